//! The math library generated code uses, emitted as LLVM IR helpers (internal,
//! always inlined) so archives never depend on libm: wasm32-unknown-unknown
//! has none, and C users link the archive alone. Only intrinsics that lower to
//! instructions on every target are used directly (sqrt, fabs, fmuladd,
//! minimum/maximum, copysign, and floor/ceil/roundeven where the target has
//! them, see [`rounding`]).
//!
//! Accuracy (measured by this crate's tests against the platform libm):
//! f32 within a few ulp, f64 within 1e-13 relative over normal ranges; the
//! inverse trigonometric and hyperbolic functions (`inverse_trig`,
//! `hyperbolic`) within 1e-15 in f64 and correctly rounded in f32 on the
//! tests' sweeps.

mod coefficients;
mod constants;
mod erf;
mod exp;
mod fmod;
mod fp;
mod hyperbolic;
mod int_pow;
mod inverse_trig;
mod log;
mod poly;
mod pow;
mod rounding;
mod tanh;
mod trig;

pub(crate) use fp::{FloatKind, Fp};

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use inkwell::builder::Builder;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{FloatValue, IntValue};

/// A one-argument float function of the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MathFn {
    Exp,
    Log,
    Tanh,
    Erf,
    Sin,
    Cos,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
}

impl MathFn {
    fn name(self) -> &'static str {
        match self {
            MathFn::Exp => "exp",
            MathFn::Log => "log",
            MathFn::Tanh => "tanh",
            MathFn::Erf => "erf",
            MathFn::Sin => "sin",
            MathFn::Cos => "cos",
            MathFn::Asin => "asin",
            MathFn::Acos => "acos",
            MathFn::Atan => "atan",
            MathFn::Sinh => "sinh",
            MathFn::Cosh => "cosh",
            MathFn::Asinh => "asinh",
            MathFn::Acosh => "acosh",
            MathFn::Atanh => "atanh",
        }
    }

    /// sin, cos and the inverse trigonometric and hyperbolic functions of
    /// an f32 are computed in f64 (see `trig`, `inverse_trig`, `hyperbolic`).
    fn computed_in_f64(self) -> bool {
        !matches!(self, MathFn::Exp | MathFn::Log | MathFn::Tanh | MathFn::Erf)
    }
}

/// The format of a float value.
pub(crate) fn kind_of(cg: &Codegen<'_>, v: FloatValue<'_>) -> Result<FloatKind> {
    let t = v.get_type();
    if t == cg.context.f32_type() {
        Ok(FloatKind::F32)
    } else if t == cg.context.f64_type() {
        Ok(FloatKind::F64)
    } else {
        Err(CodegenError::new(format!("math on unsupported float type {t:?}")))
    }
}

/// `f(x)`.
pub(crate) fn call<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    f: MathFn,
    x: FloatValue<'ctx>,
) -> Result<FloatValue<'ctx>> {
    let kind = kind_of(cg, x)?;
    if kind == FloatKind::F32 && f.computed_in_f64() {
        return in_f64(cg, b, &[x], |args| call(cg, b, f, args[0]));
    }
    let ty: BasicTypeEnum<'ctx> = x.get_type().into();
    let helper =
        cg.helper(&format!("relax.{}.{}", f.name(), kind.suffix()), cg.fn_type(Some(ty), &[ty]), |hb, func| {
            let fp = Fp::new(cg, hb, kind);
            let x = func.get_nth_param(0).map(|p| p.into_float_value()).ok_or_else(missing_param)?;
            let result = match f {
                MathFn::Exp => exp::exp(&fp, x)?,
                MathFn::Log => log::log(&fp, x)?,
                MathFn::Tanh => tanh::tanh(&fp, x)?,
                MathFn::Erf => erf::erf(&fp, x)?,
                MathFn::Sin => trig::sin_cos(&fp, x, trig::Trig::Sin)?,
                MathFn::Cos => trig::sin_cos(&fp, x, trig::Trig::Cos)?,
                MathFn::Asin => inverse_trig::asin(&fp, x)?,
                MathFn::Acos => inverse_trig::acos(&fp, x)?,
                MathFn::Atan => inverse_trig::atan(&fp, x)?,
                MathFn::Sinh => hyperbolic::sinh(&fp, x)?,
                MathFn::Cosh => hyperbolic::cosh(&fp, x)?,
                MathFn::Asinh => hyperbolic::asinh(&fp, x)?,
                MathFn::Acosh => hyperbolic::acosh(&fp, x)?,
                MathFn::Atanh => hyperbolic::atanh(&fp, x)?,
            };
            hb.build_return(Some(&result))?;
            Ok(())
        })?;
    Ok(cg.call(b, helper, &[x.into()])?.into_float_value())
}

/// `x^y` with C `pow` semantics; f32 is computed in f64 and rounded.
pub(crate) fn pow<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    y: FloatValue<'ctx>,
) -> Result<FloatValue<'ctx>> {
    if kind_of(cg, x)? == FloatKind::F32 {
        return in_f64(cg, b, &[x, y], |args| pow(cg, b, args[0], args[1]));
    }
    let ty: BasicTypeEnum<'ctx> = x.get_type().into();
    let helper = cg.helper("relax.pow.f64", cg.fn_type(Some(ty), &[ty, ty]), |hb, func| {
        let fp = Fp::new(cg, hb, FloatKind::F64);
        let (x, y) = two_float_params(func)?;
        hb.build_return(Some(&pow::pow(&fp, x, y)?))?;
        Ok(())
    })?;
    Ok(cg.call(b, helper, &[x.into(), y.into()])?.into_float_value())
}

/// C `fmod(x, y)`, exact.
pub(crate) fn fmod<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    y: FloatValue<'ctx>,
) -> Result<FloatValue<'ctx>> {
    let kind = kind_of(cg, x)?;
    let ty: BasicTypeEnum<'ctx> = x.get_type().into();
    let helper = cg.helper(&format!("relax.fmod.{}", kind.suffix()), cg.fn_type(Some(ty), &[ty, ty]), |hb, func| {
        let (x, y) = two_float_params(func)?;
        fmod::emit_fmod(&Fp::new(cg, hb, kind), func, x, y)
    })?;
    Ok(cg.call(b, helper, &[x.into(), y.into()])?.into_float_value())
}

/// Wrapping integer power of two 64-bit values, signed or unsigned.
pub(crate) fn int_pow<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    base: IntValue<'ctx>,
    exponent: IntValue<'ctx>,
    signed: bool,
) -> Result<IntValue<'ctx>> {
    let i64t: BasicTypeEnum<'ctx> = cg.i64().into();
    let name = if signed { "relax.ipow.i64" } else { "relax.ipow.u64" };
    let helper = cg.helper(name, cg.fn_type(Some(i64t), &[i64t, i64t]), |hb, func| {
        let param = |i| func.get_nth_param(i).map(|p| p.into_int_value()).ok_or_else(missing_param);
        int_pow::emit_int_pow(cg, hb, func, param(0)?, param(1)?, signed)
    })?;
    Ok(cg.call(b, helper, &[base.into(), exponent.into()])?.into_int_value())
}

/// Runs `f` on the arguments widened to f64 and narrows its result back to f32.
fn in_f64<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    args: &[FloatValue<'ctx>],
    f: impl FnOnce(&[FloatValue<'ctx>]) -> Result<FloatValue<'ctx>>,
) -> Result<FloatValue<'ctx>> {
    let f64t = cg.context.f64_type();
    let wide = args.iter().map(|&a| b.build_float_ext(a, f64t, "")).collect::<Result<Vec<_>, _>>()?;
    Ok(b.build_float_trunc(f(&wide)?, cg.context.f32_type(), "")?)
}

fn two_float_params(func: inkwell::values::FunctionValue<'_>) -> Result<(FloatValue<'_>, FloatValue<'_>)> {
    let param = |i| func.get_nth_param(i).map(|p| p.into_float_value()).ok_or_else(missing_param);
    Ok((param(0)?, param(1)?))
}

fn missing_param() -> CodegenError {
    CodegenError::new("helper declared with too few parameters")
}
