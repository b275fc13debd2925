//! Natural logarithm.
//!
//! x = 2^k m with m in [sqrt(1/2), sqrt(2)) (subnormals are first scaled up
//! into the normal range). With f = m - 1 (exact) and s = f / (2 + f),
//! log(m) = 2 atanh(s) = 2s + s^3 Q(s^2), and since 2s = f - s f this is
//! computed as f - s (f - s^2 Q(s^2)): the leading term is the exact f, so the
//! rounding of the division only touches a term a fifth of its size.
//! log(x) = k ln2 + log(m), with ln2 split so k * hi is exact.
//! Special values: log(+-0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN -> NaN.

use super::coefficients::{LOG_F32, LOG_F64};
use super::constants::ln2_parts;
use super::fp::{FloatKind, Fp, F};
use crate::error::Result;
use std::f64::consts::SQRT_2;

pub(super) fn log<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let mantissa_bits = fp.kind.mantissa_bits();
    let smallest_normal = 2f64.powi(1 - fp.kind.exponent_bias() as i32);

    // Scale subnormals into the normal range, remembering the exponent shift.
    let subnormal = fp.lt(x, fp.c(smallest_normal))?;
    let scaled = fp.select(subnormal, fp.mul(x, fp.c(2f64.powi(mantissa_bits as i32)))?, x)?;
    let shift = fp.select_int(subnormal, fp.ci(-(mantissa_bits as i64)), fp.ci(0))?;

    // Split the encoding: exponent k and mantissa m in [1, 2).
    let bits = fp.bits(scaled)?;
    let k = fp.isub(fp.ashr(bits, mantissa_bits)?, fp.ci(fp.kind.exponent_bias()))?;
    let mantissa_mask = fp.ci((1i64 << mantissa_bits) - 1);
    let m = fp.bits_to_float(fp.or(fp.and(bits, mantissa_mask)?, fp.bits(fp.c(1.0))?)?)?;

    // Re-centre m on 1: [sqrt(2), 2) becomes [sqrt(1/2), 1) with k + 1.
    let high = fp.gt(m, fp.c(SQRT_2))?;
    let m = fp.select(high, fp.mul(m, fp.c(0.5))?, m)?;
    let k = fp.iadd(fp.iadd(k, shift)?, fp.b.build_int_z_extend(high, fp.int_ty(), "")?)?;

    let log_m = log_near_one(fp, fp.sub(m, fp.c(1.0))?)?;
    let (hi, lo) = ln2_parts(ln2_hi_bits(fp.kind));
    let kf = fp.int_to_float(k)?;
    let result = fp.mul_add(kf, fp.c(hi), fp.mul_add(kf, fp.c(lo), log_m)?)?;
    special_values(fp, x, result)
}

/// Bits of ln 2 in the high piece: `k * hi` exact for |k| < 2^8 (f32), 2^11 (f64).
fn ln2_hi_bits(kind: FloatKind) -> u32 {
    match kind {
        FloatKind::F32 => 16,
        FloatKind::F64 => 32,
    }
}

/// log(1 + f) for f in [sqrt(1/2) - 1, sqrt(2) - 1].
fn log_near_one<'ctx>(fp: &Fp<'_, 'ctx>, f: F<'ctx>) -> Result<F<'ctx>> {
    let poly = match fp.kind {
        FloatKind::F32 => &LOG_F32,
        FloatKind::F64 => &LOG_F64,
    };
    let s = fp.div(f, fp.add(fp.c(2.0), f)?)?;
    let z = fp.mul(s, s)?;
    let correction = fp.sub(f, fp.mul(z, fp.poly(poly, z)?)?)?;
    fp.mul_add(fp.neg(s)?, correction, f)
}

fn special_values<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>, result: F<'ctx>) -> Result<F<'ctx>> {
    // NaN and +inf are their own logarithm.
    let finite_or_negative = fp.lt(x, fp.c(f64::INFINITY))?;
    let result = fp.select(finite_or_negative, result, x)?;
    let result = fp.select(fp.eq(x, fp.c(0.0))?, fp.c(f64::NEG_INFINITY), result)?;
    fp.select(fp.lt(x, fp.c(0.0))?, fp.c(f64::NAN), result)
}
