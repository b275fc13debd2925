//! Conversions between dtypes and literal constants, exactly as the reference
//! semantics (`relax_compiler::ndarray::Scalar::cast`) define them:
//! - to bool: `x != 0` (NaN is true);
//! - integer to integer: widen by the source's signedness, then truncate;
//! - float to integer: truncate toward zero, saturating at the target's range
//!   (NaN to 0): 300.0 as u8 is 255, -1.0 as u8 is 0 (`llvm.fpto[su]i.sat`);
//!   to the 4- and 2-bit integers the truncated value wraps instead (-9.0 as
//!   i4 is 7), 0 beyond i64;
//! - integer to float: through f64, so an i64 is rounded once to f64 and
//!   then to f32, the same double rounding the reference does;
//! - float to float: to f32/f64 by `fpext`/`fptrunc`; to a narrow float
//!   (f16, bf16, ...) rounded once from the source (`narrow_float::round`);
//!   a narrow float is already an f32 in registers;
//! - bool to anything: 0 or 1.

use crate::error::Result;
use crate::llvm::codegen::Codegen;
use crate::llvm::narrow_float;
use inkwell::builder::Builder;
use inkwell::values::{BasicValueEnum, FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};
use relax_compiler::Scalar;
use relax_rt::DType;

/// A value in registers with the dtype it represents.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Typed<'ctx> {
    pub value: BasicValueEnum<'ctx>,
    pub dtype: DType,
}

impl<'ctx> Typed<'ctx> {
    pub fn new(value: impl Into<BasicValueEnum<'ctx>>, dtype: DType) -> Typed<'ctx> {
        Typed { value: value.into(), dtype }
    }
}

/// Whether integers of `dtype` are signed (unsigned ones and bool are not).
pub(crate) fn is_signed_int(dtype: DType) -> bool {
    dtype.is_signed_int()
}

pub(crate) fn cast<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    v: Typed<'ctx>,
    to: DType,
) -> Result<BasicValueEnum<'ctx>> {
    let from = v.dtype;
    if from == to {
        return Ok(v.value);
    }
    if to == DType::Bool {
        return Ok(to_bool(b, v)?.into());
    }
    let target_type = cg.value_type(to);
    Ok(match (from.is_float(), to.is_float()) {
        (true, true) => float_to_float(cg, b, v.value.into_float_value(), to)?.into(),
        (true, false) => float_to_int(cg, b, v.value.into_float_value(), to)?.into(),
        (false, true) => int_to_float(cg, b, v.value.into_int_value(), from, to)?.into(),
        (false, false) => b
            .build_int_cast_sign_flag(v.value.into_int_value(), target_type.into_int_type(), is_signed_int(from), "")?
            .into(),
    })
}

/// `x != 0` as an `i1`.
pub(crate) fn to_bool<'ctx>(b: &Builder<'ctx>, v: Typed<'ctx>) -> Result<IntValue<'ctx>> {
    Ok(match v.dtype {
        DType::Bool => v.value.into_int_value(),
        _ if v.dtype.is_float() => {
            let x = v.value.into_float_value();
            b.build_float_compare(FloatPredicate::UNE, x, x.get_type().const_zero(), "")?
        }
        _ => {
            let x = v.value.into_int_value();
            b.build_int_compare(IntPredicate::NE, x, x.get_type().const_zero(), "")?
        }
    })
}

fn float_to_int<'ctx>(cg: &Codegen<'ctx>, b: &Builder<'ctx>, x: FloatValue<'ctx>, to: DType) -> Result<IntValue<'ctx>> {
    if to.bits() < 8 {
        return float_to_small_int(cg, b, x, to);
    }
    let name = if is_signed_int(to) { "llvm.fptosi.sat" } else { "llvm.fptoui.sat" };
    let saturate = cg.intrinsic(name, &[cg.value_type(to), x.get_type().into()])?;
    Ok(cg.call(b, saturate, &[x.into()])?.into_int_value())
}

/// A float to a 4- or 2-bit integer: truncated to i64, its low bits kept
/// (wrapping, as ONNX's reference converts them); beyond i64, and NaN, 0.
fn float_to_small_int<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    to: DType,
) -> Result<IntValue<'ctx>> {
    let i64t = cg.i64();
    let saturate = cg.intrinsic("llvm.fptosi.sat", &[i64t.into(), x.get_type().into()])?;
    let whole = cg.call(b, saturate, &[x.into()])?.into_int_value();
    let magnitude = cg.call_intrinsic(b, "llvm.fabs", &[x.into()])?.into_float_value();
    let limit = x.get_type().const_float(9.223372036854775e18);
    let in_range = b.build_float_compare(FloatPredicate::OLT, magnitude, limit, "")?;
    let whole = b.build_select(in_range, whole, i64t.const_zero(), "")?.into_int_value();
    Ok(b.build_int_truncate(whole, cg.value_type(to).into_int_type(), "")?)
}

fn int_to_float<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: IntValue<'ctx>,
    from: DType,
    to: DType,
) -> Result<FloatValue<'ctx>> {
    let f64t = cg.context.f64_type();
    let as_f64 = if is_signed_int(from) {
        b.build_signed_int_to_float(x, f64t, "")?
    } else {
        b.build_unsigned_int_to_float(x, f64t, "")?
    };
    float_to_float(cg, b, as_f64, to)
}

/// A float register value (f32 or f64) as the register value of float `to`.
fn float_to_float<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    to: DType,
) -> Result<FloatValue<'ctx>> {
    let (f32t, f64t) = (cg.context.f32_type(), cg.context.f64_type());
    Ok(match to {
        DType::F64 if x.get_type() == f64t => x,
        DType::F64 => b.build_float_ext(x, f64t, "")?,
        DType::F32 if x.get_type() == f32t => x,
        DType::F32 => b.build_float_trunc(x, f32t, "")?,
        _ => narrow_float::round(cg, b, x, to)?,
    })
}

/// A literal: `value` converted to `dtype` by the reference rules, as a constant.
pub(crate) fn constant<'ctx>(cg: &Codegen<'ctx>, value: Scalar, dtype: DType) -> Typed<'ctx> {
    let v = value.cast(dtype);
    let ty = cg.value_type(dtype);
    let value: BasicValueEnum<'ctx> = match dtype {
        _ if dtype.is_float() => ty.into_float_type().const_float(v.to_f64()).into(),
        DType::Bool => ty.into_int_type().const_int(v.to_bool() as u64, false).into(),
        _ => ty.into_int_type().const_int(v.to_i64() as u64, true).into(),
    };
    Typed { value, dtype }
}
