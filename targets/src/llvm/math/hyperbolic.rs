//! sinh, cosh, asinh, acosh and atanh in f64 (f32 calls these on the
//! widened value), and the log1p they share.
//!
//! sinh: for |x| <= 22, with E = e^|x| - 1 (no cancellation near 0),
//! sinh = (E + E / (E + 1)) / 2; beyond, e^-|x| is below an ulp and
//! sinh = h (h / 2) with h = e^(|x|/2), which stays finite up to where sinh
//! itself overflows. cosh likewise: (e^|x| + e^-|x|) / 2, then h (h / 2).
//!
//! The inverses avoid the cancellations of their textbook formulas (fdlibm's
//! choices): with a = |x|,
//! - asinh: log1p(a + a^2 / (1 + sqrt(1 + a^2))) below 2,
//!   log(2a + 1 / (a + sqrt(a^2 + 1))) up to 2^28, then log(a) + ln 2;
//! - acosh (x >= 1, else NaN): with t = x - 1, log1p(t + sqrt(2t + t^2))
//!   up to 2, log(2x - 1 / (x + sqrt(x^2 - 1))) up to 2^28, then
//!   log(x) + ln 2;
//! - atanh: log1p(2a + 2a^2 / (1 - a)) / 2 below 0.5, else
//!   log1p(2a / (1 - a)) / 2 (1 gives inf, beyond 1 NaN).
//!
//! The odd functions copy x's sign, so -0 stays -0. All branches are
//! computed and one selected; inputs are clamped where a discarded branch
//! would leave its domain.

use super::exp::{exp, expm1_small_nonnegative};
use super::fp::{Fp, F};
use super::log::log;
use crate::error::Result;
use std::f64::consts::LN_2;

/// Past this, e^-|x| no longer changes e^|x| / 2 in f64.
const EXP_SPLIT: f64 = 22.0;
/// Past this, x^2 + 1 rounds to x^2 and asinh(x) = log(2x).
const HUGE: f64 = 268435456.0;

/// e^a / 2 for a >= 0 without overflowing before the result does.
fn half_exp<'ctx>(fp: &Fp<'_, 'ctx>, a: F<'ctx>) -> Result<F<'ctx>> {
    let h = exp(fp, fp.mul(a, fp.c(0.5))?)?;
    fp.mul(h, fp.mul(h, fp.c(0.5))?)
}

pub(super) fn sinh<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let a = fp.abs(x)?;
    let large = fp.gt(a, fp.c(EXP_SPLIT))?;
    let e = expm1_small_nonnegative(fp, fp.minimum(a, fp.c(EXP_SPLIT))?)?;
    let small = fp.mul(fp.c(0.5), fp.add(e, fp.div(e, fp.add(e, fp.c(1.0))?)?)?)?;
    fp.copysign(fp.select(large, half_exp(fp, a)?, small)?, x)
}

pub(super) fn cosh<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let a = fp.abs(x)?;
    let large = fp.gt(a, fp.c(EXP_SPLIT))?;
    let e = exp(fp, fp.minimum(a, fp.c(EXP_SPLIT))?)?;
    let small = fp.mul_add(fp.c(0.5), e, fp.div(fp.c(0.5), e)?)?;
    fp.select(large, half_exp(fp, a)?, small)
}

/// log(1 + y): log(u) for u = 1 + y rounded, plus the first-order correction
/// (y - (u - 1)) / u for the rounding (none where u is 0 or infinite).
pub(super) fn log1p<'ctx>(fp: &Fp<'_, 'ctx>, y: F<'ctx>) -> Result<F<'ctx>> {
    let u = fp.add(fp.c(1.0), y)?;
    let correction = fp.div(fp.sub(y, fp.sub(u, fp.c(1.0))?)?, u)?;
    let ordinary = fp.and(fp.gt(u, fp.c(0.0))?, fp.lt(u, fp.c(f64::INFINITY))?)?;
    fp.add(log(fp, u)?, fp.select(ordinary, correction, fp.c(0.0))?)
}

/// log(a) + ln 2, for arguments past [`HUGE`].
fn log_twice<'ctx>(fp: &Fp<'_, 'ctx>, a: F<'ctx>) -> Result<F<'ctx>> {
    fp.add(log(fp, a)?, fp.c(LN_2))
}

pub(super) fn asinh<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let a = fp.abs(x)?;
    let one = fp.c(1.0);
    let m = fp.minimum(a, fp.c(HUGE))?;
    let root = fp.sqrt(fp.mul_add(m, m, one)?)?;
    let near = log1p(fp, fp.add(m, fp.div(fp.mul(m, m)?, fp.add(one, root)?)?)?)?;
    let middle = log(fp, fp.add(fp.add(m, m)?, fp.div(one, fp.add(m, root)?)?)?)?;
    let result = fp.select(fp.lt(a, fp.c(2.0))?, near, middle)?;
    let result = fp.select(fp.gt(a, fp.c(HUGE))?, log_twice(fp, a)?, result)?;
    fp.copysign(result, x)
}

pub(super) fn acosh<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let one = fp.c(1.0);
    let m = fp.minimum(fp.maximum(x, one)?, fp.c(HUGE))?;
    let t = fp.sub(m, one)?;
    let near = log1p(fp, fp.add(t, fp.sqrt(fp.mul_add(t, t, fp.add(t, t)?)?)?)?)?;
    let root = fp.sqrt(fp.mul_add(m, m, fp.c(-1.0))?)?;
    let middle = log(fp, fp.sub(fp.add(m, m)?, fp.div(one, fp.add(m, root)?)?)?)?;
    let result = fp.select(fp.le(x, fp.c(2.0))?, near, middle)?;
    let result = fp.select(fp.gt(x, fp.c(HUGE))?, log_twice(fp, x)?, result)?;
    fp.select(fp.lt(x, one)?, fp.c(f64::NAN), result)
}

pub(super) fn atanh<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let a = fp.abs(x)?;
    let one = fp.c(1.0);
    let twice = fp.add(a, a)?;
    let rest = fp.sub(one, a)?;
    let near = fp.add(twice, fp.div(fp.mul(twice, a)?, rest)?)?;
    let far = fp.div(twice, rest)?;
    let argument = fp.select(fp.lt(a, fp.c(0.5))?, near, far)?;
    fp.copysign(fp.mul(fp.c(0.5), log1p(fp, argument)?)?, x)
}
