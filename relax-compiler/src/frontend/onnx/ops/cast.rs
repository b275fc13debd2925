//! `Cast` and `CastLike`, the conversion they share with `QuantizeLinear`,
//! and `BitCast` (relax's `bitcast`: the same bits read as another type).
//!
//! relax's `cast` converts like numpy's `astype`: floats round to nearest
//! even, and a value too large for an 8-bit float becomes infinity (E5M2) or
//! NaN (the others). ONNX saturates by default when the target is an 8-bit
//! float (`saturate = 1`): values beyond the largest finite one, infinities
//! included, become it. That is a clip to `[-max, max]` before the cast, in
//! f32 (f64 for f64 sources) so the bounds are exact whatever the source
//! format. `FLOAT8E8M0` targets support ONNX's default conversion only
//! (`round_mode = up`, `saturate = 1`), which is relax's cast to `f8e8m0`.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::dtype::{dtype_of, type_name};
use crate::frontend::onnx::proto::tensor_proto::DataType;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};
use relax_rt::{DType, NarrowFloat};

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Cast", cast).attrs(&["to", "saturate", "round_mode"]).check(check_cast),
    Converter::new("CastLike", cast_like).attrs(&["saturate", "round_mode"]).since(15),
    Converter::new("BitCast", bit_cast).attrs(&["to"]).since(26).check(check_bit_cast),
];

fn check_cast(attrs: &Attributes, _: i64) -> Result<(), String> {
    let to = attrs.int("to")?.ok_or("attribute `to` is required")?;
    let dtype = dtype_of(to as i32).map_err(|e| format!("attribute to: {e}"))?;
    Saturation::of(attrs, dtype).map(|_| ())
}

fn cast(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let to = ctx.attrs.int("to")?.ok_or("attribute `to` is required")?;
    let dtype = dtype_of(to as i32)?;
    let saturation = Saturation::of(&ctx.attrs, dtype)?;
    single(convert(ctx, ctx.input(0)?, dtype, saturation)?)
}

fn cast_like(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let dtype = ctx.input(1)?.dtype();
    let saturation = Saturation::of(&ctx.attrs, dtype)?;
    single(convert(ctx, ctx.input(0)?, dtype, saturation)?)
}

fn check_bit_cast(attrs: &Attributes, _: i64) -> Result<(), String> {
    let to = attrs.int("to")?.ok_or("attribute `to` is required")?;
    dtype_of(to as i32).map(|_| ()).map_err(|e| format!("attribute to: {e}"))
}

/// The bits of each element read as type `to`, of the same width.
fn bit_cast(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let to = ctx.attrs.int("to")?.ok_or("attribute `to` is required")?;
    let dtype = dtype_of(to as i32)?;
    single(ctx.call("bitcast", &[ctx.input(0)?], Attrs::new().with("dtype", AttrValue::DType(dtype)))?)
}

/// What happens to values beyond an 8-bit float's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saturation {
    /// They become the largest finite value (ONNX's default).
    Saturate,
    /// They become infinity or NaN, as the format has (`saturate = 0`).
    Overflow,
}

impl Saturation {
    /// The `saturate` attribute (default 1), checked against what relax
    /// implements for a conversion to `dtype`.
    pub fn of(attrs: &Attributes, dtype: DType) -> Result<Saturation, String> {
        let saturation = match attrs.int_or("saturate", 1)? {
            0 => Saturation::Overflow,
            _ => Saturation::Saturate,
        };
        if dtype == DType::F8E8M0 {
            let round_mode = attrs.string_or("round_mode", "up")?;
            if round_mode != "up" || saturation == Saturation::Overflow {
                return Err(format!(
                    "conversion to {} with round_mode `{round_mode}` and saturate {} is not supported \
                     (only the default, round_mode `up` with saturate 1)",
                    type_name(DataType::Float8e8m0 as i32),
                    i32::from(saturation == Saturation::Saturate)
                ));
            }
        }
        Ok(saturation)
    }
}

/// `x` converted to `dtype` as ONNX's `Cast` does; integer casts of shape
/// values keep them symbolic (but to 4- or 2-bit integers, which would wrap
/// them).
pub fn convert(ctx: &mut NodeCtx, x: Value, dtype: DType, saturation: Saturation) -> Result<Value, String> {
    if let Value::Shape(s) = &x {
        if dtype.is_int() && dtype.bits() >= 8 {
            return Ok(Value::Shape(s.clone().with_dtype(dtype)));
        }
    }
    let x = match (saturation, dtype.narrow_float()) {
        (Saturation::Saturate, Some(NarrowFloat::Format(f))) if dtype.size() == 1 && x.dtype() != DType::Bool => {
            clip_to(ctx, x, f.max_value())?
        }
        _ => x,
    };
    cast_value(ctx, x, dtype)
}

/// `x` clipped to `[-max, max]`, in f32 or f64 for floats (where `max` is
/// exact) and in `x`'s own dtype for integers (where it rounds inwards).
fn clip_to(ctx: &mut NodeCtx, x: Value, max: f64) -> Result<Value, String> {
    let x = match x.dtype() {
        DType::F64 | DType::F32 => x,
        d if d.is_float() => cast_value(ctx, x, DType::F32)?,
        _ => x,
    };
    let bounds = Attrs::new().with("min", AttrValue::Float(-max)).with("max", AttrValue::Float(max));
    ctx.call("clip", &[x], bounds)
}

fn cast_value(ctx: &mut NodeCtx, x: Value, dtype: DType) -> Result<Value, String> {
    ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))
}
