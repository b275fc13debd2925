//! sin and cos in f64 (f32 calls these on the widened value: the extra
//! precision makes the f32 result correctly rounded almost always).
//!
//! Reduction: x = k pi/2 + r with k = round(x 2/pi), |r| <= pi/4, using pi/2
//! in three pieces of which the first two have at most 29 bits, so k p1 and
//! k p2 are exact while |k| < 2^24 (|x| < 2.6e7). Beyond that the reduction
//! is not exact (there is no Payne-Hanek reduction): results stay within
//! [-1, 1] but lose accuracy as |x| grows. On the reduced range sin r = r + r^3 S(r^2) and
//! cos r = 1 - r^2/2 + r^4 C(r^2); k mod 4 picks which one and its sign.
//! inf and NaN give NaN through the reduction.

use super::coefficients::{COS_F64, SIN_F64};
use super::constants::half_pi_parts;
use super::fp::{Fp, F, I};
use crate::error::Result;
use inkwell::IntPredicate;
use std::f64::consts::{FRAC_2_PI, FRAC_PI_4};

/// The interval the polynomials were fitted on: pi/4 plus room for the
/// rounding of k.
const REDUCED_BOUND: f64 = FRAC_PI_4 + 1.0 / 4096.0;

/// Which function; cos(x) is sin evaluated one quadrant further.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Trig {
    Sin,
    Cos,
}

pub(super) fn sin_cos<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>, which: Trig) -> Result<F<'ctx>> {
    let magic = fp.c(fp.kind.round_magic());
    let shifted = fp.mul_add(x, fp.c(FRAC_2_PI), magic)?;
    let k = fp.sub(shifted, magic)?;
    // The low bits of `shifted`'s encoding are k modulo a power of two.
    let mut quadrant = fp.bits(shifted)?;
    if which == Trig::Cos {
        quadrant = fp.iadd(quadrant, fp.ci(1))?;
    }

    let (p1, p2, p3) = half_pi_parts(29);
    let minus_k = fp.neg(k)?;
    let r = fp.mul_add(minus_k, fp.c(p1), x)?;
    let r = fp.mul_add(minus_k, fp.c(p2), r)?;
    let r = fp.mul_add(minus_k, fp.c(p3), r)?;

    // Past the exact range the reduction is approximate; keeping r on the
    // polynomials' interval at least keeps results within [-1, 1].
    let r = fp.select(fp.gt(fp.abs(r)?, fp.c(REDUCED_BOUND))?, fp.c(0.0), r)?;
    let z = fp.mul(r, r)?;
    let sin_r = fp.mul_add(fp.mul(r, z)?, fp.poly(&SIN_F64, z)?, r)?;
    let cos_r = fp.add(fp.c(1.0), fp.mul_add(fp.mul(z, z)?, fp.poly(&COS_F64, z)?, fp.mul(fp.c(-0.5), z)?)?)?;

    let odd = quadrant_bit(fp, quadrant, 1)?;
    let negative = quadrant_bit(fp, quadrant, 2)?;
    let value = fp.select(odd, cos_r, sin_r)?;
    fp.select(negative, fp.neg(value)?, value)
}

fn quadrant_bit<'ctx>(fp: &Fp<'_, 'ctx>, quadrant: I<'ctx>, bit: i64) -> Result<I<'ctx>> {
    fp.icmp(IntPredicate::NE, fp.and(quadrant, fp.ci(bit))?, fp.ci(0))
}
