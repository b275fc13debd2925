//! tanh(x) = sign(x) * e / (e + 2) with e = e^(2|x|) - 1.
//!
//! Using e^(2|x|) - 1 rather than e^(2|x|) keeps full relative accuracy near 0,
//! where 1 - 2/(e^(2|x|) + 1) would cancel. |x| is capped where tanh already
//! rounds to 1 (so e^(2|x|) cannot overflow); NaN passes through the cap.

use super::exp::expm1_small_nonnegative;
use super::fp::{FloatKind, Fp, F};
use crate::error::Result;

/// Past this, 1 - tanh(x) < 2e^(-2x) is below half an ulp of 1.
fn saturation(kind: FloatKind) -> f64 {
    match kind {
        FloatKind::F32 => 10.0,
        FloatKind::F64 => 20.0,
    }
}

pub(super) fn tanh<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let cap = fp.c(saturation(fp.kind));
    let ax = fp.abs(x)?;
    let ax = fp.select(fp.gt(ax, cap)?, cap, ax)?;
    let e = expm1_small_nonnegative(fp, fp.add(ax, ax)?)?;
    let t = fp.div(e, fp.add(e, fp.c(2.0))?)?;
    fp.copysign(t, x)
}
