//! The error function, in pieces by |x|:
//! - |x| < 1: erf(x) = x P(x^2);
//! - middle (f32: [1, 4), f64: [1, 2)): erf(x) = 1 - e^(-x^2) Q(x), where
//!   Q(x) = erfc(x) e^(x^2) is smooth and slowly varying;
//! - f64 only, [2, 6): erf(x) = 1 - e^(-x^2) R(1/x^2) / x, the asymptotic form;
//! - beyond (4 or 6), erf(x) rounds to +-1.
//!
//! Every piece is computed and the right one selected, so loops calling erf
//! still vectorize. Odd symmetry comes from `copysign`; NaN falls through every
//! comparison into the last piece, which propagates it.

use super::coefficients::{ERF_MIDDLE_F32, ERF_MIDDLE_F64, ERF_SMALL_F32, ERF_SMALL_F64, ERF_TAIL_F64};
use super::exp::exp;
use super::fp::{FloatKind, Fp, F};
use crate::error::Result;

pub(super) fn erf<'ctx>(fp: &Fp<'_, 'ctx>, x: F<'ctx>) -> Result<F<'ctx>> {
    let ax = fp.abs(x)?;
    let x2 = fp.mul(ax, ax)?;
    let small = fp.mul(ax, fp.poly(small_poly(fp.kind), x2)?)?;
    let gauss = exp(fp, fp.neg(x2)?)?;
    let one = fp.c(1.0);
    let middle = fp.sub(one, fp.mul(gauss, fp.poly(middle_poly(fp.kind), ax)?)?)?;
    let magnitude = match fp.kind {
        FloatKind::F32 => {
            let beyond = fp.select(fp.ge(ax, fp.c(4.0))?, one, middle)?;
            fp.select(fp.lt(ax, one)?, small, beyond)?
        }
        FloatKind::F64 => {
            let t = fp.div(one, x2)?;
            let tail = fp.sub(one, fp.div(fp.mul(gauss, fp.poly(&ERF_TAIL_F64, t)?)?, ax)?)?;
            let beyond = fp.select(fp.ge(ax, fp.c(6.0))?, one, tail)?;
            let upper = fp.select(fp.lt(ax, fp.c(2.0))?, middle, beyond)?;
            fp.select(fp.lt(ax, one)?, small, upper)?
        }
    };
    fp.copysign(magnitude, x)
}

fn small_poly(kind: FloatKind) -> &'static super::poly::Polynomial {
    match kind {
        FloatKind::F32 => &ERF_SMALL_F32,
        FloatKind::F64 => &ERF_SMALL_F64,
    }
}

fn middle_poly(kind: FloatKind) -> &'static super::poly::Polynomial {
    match kind {
        FloatKind::F32 => &ERF_MIDDLE_F32,
        FloatKind::F64 => &ERF_MIDDLE_F64,
    }
}
