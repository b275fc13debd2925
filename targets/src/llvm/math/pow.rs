//! Float power, f64 (f32 calls it on widened values, so its result is the f64
//! one rounded, as the reference semantics compute it).
//!
//! |x|^y = exp(y log|x|) in general, with these refinements, all C `pow` rules:
//! - an integer y with |y| <= 64 multiplies by repeated squaring (exact for
//!   small powers such as x^2, and far more accurate than exp/log);
//! - y = 0.5 is sqrt;
//! - a negative x is fine for integer y: the result is negated for odd y;
//!   for non-integer y it is NaN (x = -inf excepted: it behaves like +inf);
//! - pow(x, 0) = 1 and pow(1, y) = 1 even for NaN; pow(-1, +-inf) = 1;
//! - zeros and infinities fall out of exp/log (log 0 = -inf, exp(-inf) = 0...),
//!   with the sign of an odd power of -0 or -inf kept.
//!
//! The exp/log path's relative error is about |y ln x| * 2^-52.

use super::exp::exp;
use super::fp::{Fp, F, I};
use super::log::log;
use crate::error::Result;
use inkwell::IntPredicate;

/// Integer exponents up to this magnitude use repeated squaring.
const SQUARING_LIMIT: f64 = 64.0;
/// Steps of repeated squaring that cover every exponent up to the limit.
const SQUARING_STEPS: u32 = 7;

pub(super) fn pow<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>, y: F<'ctx>) -> Result<F<'ctx>> {
    let ax = fp.abs(x)?;
    let ay = fp.abs(y)?;
    let one = fp.c(1.0);
    let y_integer = fp.eq(fp.floor(y)?, y)?;
    let y_odd = odd_integer(fp, y, ay, y_integer)?;

    let general = exp(fp, fp.mul(y, log(fp, ax)?)?)?;
    let by_squaring = integer_power(fp, ax, ay, fp.lt(y, fp.c(0.0))?)?;
    let use_squaring =
        fp.and(fp.and(y_integer, fp.le(ay, fp.c(SQUARING_LIMIT))?)?, is_normal_result(fp, by_squaring)?)?;
    let magnitude = fp.select(use_squaring, by_squaring, general)?;
    let magnitude = fp.select(fp.eq(y, fp.c(0.5))?, fp.sqrt(ax)?, magnitude)?;

    let x_sign_negative = fp.icmp(IntPredicate::SLT, fp.bits(x)?, fp.ci(0))?;
    let flip = fp.and(x_sign_negative, y_odd)?;
    let result = fp.select(flip, fp.neg(magnitude)?, magnitude)?;

    // Later rules take precedence.
    let finite_negative = fp.and(fp.lt(x, fp.c(0.0))?, fp.gt(x, fp.c(f64::NEG_INFINITY))?)?;
    let result = fp.select(fp.and(finite_negative, fp.not(y_integer)?)?, fp.c(f64::NAN), result)?;
    let unit_to_infinity = fp.and(fp.eq(ax, one)?, fp.eq(ay, fp.c(f64::INFINITY))?)?;
    let result = fp.select(fp.or(unit_to_infinity, fp.eq(x, one)?)?, one, result)?;
    fp.select(fp.eq(y, fp.c(0.0))?, one, result)
}

/// Whether y is an odd integer (every float from 2^53 up is even).
fn odd_integer<'ctx>(fp: &Fp<'_, 'ctx>, y: F<'ctx>, ay: F<'ctx>, y_integer: I<'ctx>) -> Result<I<'ctx>> {
    let half = fp.mul(y, fp.c(0.5))?;
    let half_is_fraction = fp.ne(fp.floor(half)?, half)?;
    let small = fp.lt(ay, fp.c(2f64.powi(53)))?;
    fp.and(fp.and(y_integer, small)?, half_is_fraction)
}

/// |x|^|y| by squaring (valid for integer |y| <= 64), inverted for negative y.
fn integer_power<'ctx>(fp: &Fp<'_, 'ctx>, ax: F<'ctx>, ay: F<'ctx>, y_negative: I<'ctx>) -> Result<F<'ctx>> {
    let int = fp.int_ty();
    let capped = fp.select(fp.le(ay, fp.c(SQUARING_LIMIT))?, ay, fp.c(0.0))?;
    let mut exponent = fp.b.build_float_to_signed_int(capped, int, "")?;
    let mut base = ax;
    let mut acc = fp.c(1.0);
    for _ in 0..SQUARING_STEPS {
        let bit_set = fp.icmp(IntPredicate::NE, fp.and(exponent, fp.ci(1))?, fp.ci(0))?;
        acc = fp.select(bit_set, fp.mul(acc, base)?, acc)?;
        base = fp.mul(base, base)?;
        exponent = fp.ashr(exponent, 1)?;
    }
    fp.select(y_negative, fp.div(fp.c(1.0), acc)?, acc)
}

/// Repeated squaring is used only when its result is a normal, finite number:
/// overflow, underflow and NaN are left to the exp/log path, which rounds them
/// correctly (e.g. 2^-64 of a huge base is subnormal, not 1/inf = 0).
fn is_normal_result<'ctx>(fp: &Fp<'_, 'ctx>, v: F<'ctx>) -> Result<I<'ctx>> {
    let av = fp.abs(v)?;
    let smallest_normal = 2f64.powi(1 - fp.kind.exponent_bias() as i32);
    fp.and(fp.lt(av, fp.c(f64::INFINITY))?, fp.ge(av, fp.c(smallest_normal))?)
}
