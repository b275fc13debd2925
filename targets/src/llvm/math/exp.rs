//! e^x and e^x - 1.
//!
//! Reduction: x = n ln2 + r with n = round(x / ln2), |r| <= ln2/2, so
//! e^x = 2^n e^r; e^r = 1 + r + r^2 P(r) with P fitted. The input is clamped to
//! where the result is neither 0 nor infinite in the format, and 2^n is applied
//! as two factors so the scale itself never overflows or goes subnormal: the
//! final product then overflows to inf or underflows (gradually) to 0 exactly as
//! the true value would. NaN propagates through the arithmetic.

use super::coefficients::{EXP_F32, EXP_F64};
use super::constants::ln2_parts;
use super::fp::{FloatKind, Fp, F, I};
use super::poly::Polynomial;
use crate::error::Result;
use std::f64::consts::LOG2_E;

fn tail_poly(kind: FloatKind) -> &'static Polynomial {
    match kind {
        FloatKind::F32 => &EXP_F32,
        FloatKind::F64 => &EXP_F64,
    }
}

/// `[lowest, highest]` inputs worth computing: below, e^x rounds to 0; above, to inf.
fn input_range(kind: FloatKind) -> (f64, f64) {
    match kind {
        FloatKind::F32 => (-104.0, 89.0),
        FloatKind::F64 => (-746.0, 710.0),
    }
}

/// Bits of ln 2 kept in the high piece: `n * hi` must be exact for every n the
/// clamped range produces (|n| < 2^8 for f32, < 2^11 for f64).
fn ln2_hi_bits(kind: FloatKind) -> u32 {
    match kind {
        FloatKind::F32 => 16,
        FloatKind::F64 => 32,
    }
}

pub(super) fn exp<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let (lowest, highest) = input_range(fp.kind);
    let x = fp.select(fp.gt(x, fp.c(highest))?, fp.c(highest), x)?;
    let x = fp.select(fp.lt(x, fp.c(lowest))?, fp.c(lowest), x)?;
    let Reduced { n, r } = reduce(fp, x)?;
    let e_r = fp.add(fp.c(1.0), expm1_reduced(fp, r)?)?;
    let half = fp.ashr(n, 1)?;
    let rest = fp.isub(n, half)?;
    fp.mul(fp.mul(e_r, fp.pow2(half)?)?, fp.pow2(rest)?)
}

/// e^x - 1 for `0 <= x <= 64 ln2` (all `tanh` needs), accurate relative to the
/// result even where it is tiny: for n = 0 it is the polynomial alone.
pub(super) fn expm1_small_nonnegative<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let Reduced { n, r } = reduce(fp, x)?;
    let scale = fp.pow2(n)?;
    // 2^n (e^r - 1) + (2^n - 1)
    fp.mul_add(scale, expm1_reduced(fp, r)?, fp.sub(scale, fp.c(1.0))?)
}

/// e^r - 1 = r + r^2 P(r) on the reduced range.
fn expm1_reduced<'ctx>(fp: &Fp<'_, 'ctx>, r: F<'ctx>) -> Result<F<'ctx>> {
    fp.mul_add(fp.mul(r, r)?, fp.poly(tail_poly(fp.kind), r)?, r)
}

struct Reduced<'ctx> {
    /// round(x / ln2), as an integer of the format's width.
    n: I<'ctx>,
    /// x - n ln2.
    r: F<'ctx>,
}

fn reduce<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<Reduced<'ctx>> {
    let magic = fp.c(fp.kind.round_magic());
    let shifted = fp.mul_add(x, fp.c(LOG2_E), magic)?;
    let n_float = fp.sub(shifted, magic)?;
    let n = fp.isub(fp.bits(shifted)?, fp.bits(magic)?)?;
    let (hi, lo) = ln2_parts(ln2_hi_bits(fp.kind));
    let minus_n = fp.neg(n_float)?;
    let r = fp.mul_add(minus_n, fp.c(hi), x)?;
    let r = fp.mul_add(minus_n, fp.c(lo), r)?;
    Ok(Reduced { n, r })
}
