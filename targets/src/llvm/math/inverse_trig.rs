//! atan, asin and acos in f64 (f32 calls these on the widened value).
//!
//! atan: with a = |x|, the argument is brought to |t| <= tan(pi/8) by
//! atan(a) = pi/4 + atan((a - 1) / (a + 1)) for a in (tan(pi/8), tan(3pi/8)]
//! and atan(a) = pi/2 - atan(1/a) beyond; there atan(t) = t + t^3 A(t^2).
//! The constant pi/4 or pi/2 is added in two pieces, its tail first, so the
//! result is within about an ulp. The sign is copied from x (atan(-0) = -0,
//! atan(+-inf) = +-pi/2, NaN propagates).
//!
//! asin(x) = atan(x / sqrt((1 - |x|)(1 + |x|))): the factored 1 - x^2 keeps
//! full relative accuracy as |x| nears 1, where the ratio grows to infinity
//! and atan to pi/2; |x| > 1 gives the square root of a negative, NaN.
//! acos(x) = 2 atan(sqrt((1 - x) / (1 + x))), accurate both near 1 (result
//! near 0, with 1 - x exact) and near -1 (result near pi, with 1 + x exact).

use super::coefficients::ATAN_F64;
use super::fp::{Fp, F};
use crate::error::Result;
use std::f64::consts::{FRAC_PI_2, FRAC_PI_4};

/// `pi/2 - FRAC_PI_2` (60-digit arithmetic); half of it for pi/4.
const FRAC_PI_2_TAIL: f64 = 6.123233995736766e-17;
/// tan(pi/8) and tan(3pi/8): where the reductions switch.
const TAN_PI_8: f64 = 0.41421356237309503;
const TAN_3PI_8: f64 = 2.414213562373095;

pub(super) fn atan<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let a = fp.abs(x)?;
    let far = fp.gt(a, fp.c(TAN_3PI_8))?;
    let middle = fp.gt(a, fp.c(TAN_PI_8))?;
    let one = fp.c(1.0);
    let t = fp.select(middle, fp.div(fp.sub(a, one)?, fp.add(a, one)?)?, a)?;
    let t = fp.select(far, fp.div(fp.c(-1.0), a)?, t)?;
    let (zero, pi4, pi2) = (fp.c(0.0), fp.c(FRAC_PI_4), fp.c(FRAC_PI_2));
    let base = fp.select(far, pi2, fp.select(middle, pi4, zero)?)?;
    let tail = fp.select(far, fp.c(FRAC_PI_2_TAIL), fp.select(middle, fp.c(FRAC_PI_2_TAIL / 2.0), zero)?)?;
    let z = fp.mul(t, t)?;
    let atan_t = fp.mul_add(fp.mul(t, z)?, fp.poly(&ATAN_F64, z)?, t)?;
    let result = fp.add(base, fp.add(tail, atan_t)?)?;
    fp.copysign(result, x)
}

pub(super) fn asin<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let a = fp.abs(x)?;
    let one = fp.c(1.0);
    let cosine = fp.sqrt(fp.mul(fp.sub(one, a)?, fp.add(one, a)?)?)?;
    atan(fp, fp.div(x, cosine)?)
}

pub(super) fn acos<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let one = fp.c(1.0);
    let half_tangent = fp.sqrt(fp.div(fp.sub(one, x)?, fp.add(one, x)?)?)?;
    let half = atan(fp, half_tangent)?;
    fp.add(half, half)
}
