//! floor, ceil and round-half-to-even. Where the target has rounding
//! instructions these are the LLVM intrinsics; elsewhere (x86-64 before SSE4.1)
//! the intrinsics would become libm calls, so they are emulated with the
//! classic add-and-subtract of `2^mantissa_bits`, which rounds to an integer
//! in the default rounding mode and vectorizes with plain SSE2.

use super::fp::{Fp, F};
use crate::error::Result;

pub(super) fn round_even<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    if fp.cg.target.has_native_rounding() {
        return native(fp, "llvm.roundeven", x);
    }
    // For |x| < 2^m, (|x| + 2^m) - 2^m is |x| rounded half-to-even; larger
    // magnitudes (and inf, NaN) are already integral and pass through.
    let big = fp.c(2f64.powi(fp.kind.mantissa_bits() as i32));
    let ax = fp.abs(x)?;
    let rounded = fp.sub(fp.add(ax, big)?, big)?;
    let magnitude = fp.select(fp.lt(ax, big)?, rounded, ax)?;
    // Restores the sign, so -0.3 rounds to -0.0 as the instruction would.
    fp.copysign(magnitude, x)
}

pub(super) fn floor<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    if fp.cg.target.has_native_rounding() {
        return native(fp, "llvm.floor", x);
    }
    let r = round_even(fp, x)?;
    let too_high = fp.gt(r, x)?;
    fp.select(too_high, fp.sub(r, fp.c(1.0))?, r)
}

pub(super) fn ceil<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    if fp.cg.target.has_native_rounding() {
        return native(fp, "llvm.ceil", x);
    }
    let r = round_even(fp, x)?;
    let too_low = fp.lt(r, x)?;
    fp.select(too_low, fp.add(r, fp.c(1.0))?, r)
}

fn native<'ctx>(fp: &Fp<'_, 'ctx>, intrinsic: &str, x: F<'ctx>) -> Result<F<'ctx>> {
    Ok(fp.cg.call_intrinsic(fp.b, intrinsic, &[x.into()])?.into_float_value())
}
