//! Element-wise operators with numpy broadcasting: arithmetic, comparisons,
//! logic, bitwise operations and shifts, `Where`, and the variadic `Sum`,
//! `Mean`, `Max` and `Min`.
//!
//! Integer arithmetic on shape values (`Shape(x)[0] * 4`) is done on the
//! symbolic dims; everything else becomes the relax operator of the same
//! meaning, folded when its inputs are constants.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Add", add),
    Converter::new("Sub", sub),
    Converter::new("Mul", mul),
    Converter::new("Div", div),
    Converter::new("Mod", modulo).attrs(&["fmod"]).since(10),
    Converter::new("Pow", pow),
    Converter::new("Sum", sum),
    Converter::new("Mean", mean),
    Converter::new("Max", max),
    Converter::new("Min", min),
    Converter::new("Equal", |ctx| binary(ctx, "equal")),
    Converter::new("Less", |ctx| binary(ctx, "less")),
    Converter::new("LessOrEqual", |ctx| binary(ctx, "less_equal")).since(12),
    Converter::new("Greater", |ctx| binary(ctx, "greater")),
    Converter::new("GreaterOrEqual", |ctx| binary(ctx, "greater_equal")).since(12),
    Converter::new("And", |ctx| binary(ctx, "logical_and")),
    Converter::new("Or", |ctx| binary(ctx, "logical_or")),
    // Exclusive or of bools is inequality.
    Converter::new("Xor", |ctx| binary(ctx, "not_equal")),
    Converter::new("Not", not),
    Converter::new("Where", where_).since(9),
    // Opsets 11 to 27 allow unsigned types only; 28 adds signed ones with an
    // arithmetic right shift. Both are relax's shifts, including amounts
    // outside the width (every bit shifted out).
    Converter::new("BitShift", bit_shift).attrs(&["direction"]).since(11).check(check_direction),
    Converter::new("BitwiseAnd", |ctx| binary(ctx, "bitwise_and")).since(18),
    Converter::new("BitwiseOr", |ctx| binary(ctx, "bitwise_or")).since(18),
    Converter::new("BitwiseXor", |ctx| binary(ctx, "bitwise_xor")).since(18),
    Converter::new("BitwiseNot", |ctx| unary(ctx, "bitwise_not")).since(18),
];

fn add(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    arithmetic(ctx, "add", |a, b| a + b)
}

fn sub(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    arithmetic(ctx, "sub", |a, b| a - b)
}

fn mul(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    arithmetic(ctx, "mul", |a, b| a * b)
}

fn div(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    arithmetic(ctx, "div", Dim::floor_div)
}

/// `fmod = 1` is C's remainder (the sign of the dividend), relax's `mod`;
/// the default takes the sign of the divisor (Python's `%`), `floor_mod`.
fn modulo(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    match ctx.attrs.int_or("fmod", 0)? {
        1 => arithmetic(ctx, "mod", Dim::floor_mod),
        _ => arithmetic(ctx, "floor_mod", Dim::floor_mod),
    }
}

/// ONNX lets the exponent have its own type; the result has the base's.
fn pow(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (base, exponent) = (ctx.input(0)?, ctx.input(1)?);
    let exponent = if exponent.dtype() == base.dtype() {
        exponent
    } else {
        ctx.call("cast", &[exponent], Attrs::new().with("dtype", AttrValue::DType(base.dtype())))?
    };
    single(ctx.call("pow", &[base, exponent], Attrs::new())?)
}

fn sum(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    variadic(ctx, "add", |a, b| a + b)
}

fn max(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    variadic(ctx, "maximum", Dim::max)
}

fn min(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    variadic(ctx, "minimum", Dim::min)
}

fn mean(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let count = ctx.present_inputs().len();
    let total = variadic(ctx, "add", |a, b| a + b)?.remove(0);
    let divisor = Value::scalar(total.dtype(), count as f64);
    single(ctx.call("div", &[total, divisor], Attrs::new())?)
}

/// A binary operator of the two inputs, as relax `op` (comparisons, logic, bits).
fn binary(ctx: &mut NodeCtx, op: &str) -> Result<Vec<Value>, String> {
    single(ctx.call(op, &[ctx.input(0)?, ctx.input(1)?], Attrs::new())?)
}

fn not(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    unary(ctx, "logical_not")
}

fn unary(ctx: &mut NodeCtx, op: &str) -> Result<Vec<Value>, String> {
    single(ctx.call(op, &[ctx.input(0)?], Attrs::new())?)
}

/// The shift `direction`, which has no default.
fn shift_op(attrs: &Attributes) -> Result<&'static str, String> {
    match attrs.string_or("direction", "")?.as_str() {
        "LEFT" => Ok("left_shift"),
        "RIGHT" => Ok("right_shift"),
        "" => Err("attribute `direction` is required (LEFT or RIGHT)".to_string()),
        other => Err(format!("attribute direction must be LEFT or RIGHT, got `{other}`")),
    }
}

fn check_direction(attrs: &Attributes, _: i64) -> Result<(), String> {
    shift_op(attrs).map(|_| ())
}

fn bit_shift(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let op = shift_op(&ctx.attrs)?;
    binary(ctx, op)
}

fn where_(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    single(ctx.call("where", &[ctx.input(0)?, ctx.input(1)?, ctx.input(2)?], Attrs::new())?)
}

/// A binary operator: on symbolic dims when either side is a shape value.
fn arithmetic(ctx: &mut NodeCtx, op: &str, on_dims: fn(Dim, Dim) -> Dim) -> Result<Vec<Value>, String> {
    let (a, b) = (ctx.input(0)?, ctx.input(1)?);
    single(combine(ctx, op, a, b, on_dims)?)
}

/// `op` folded over every input, left to right.
fn variadic(ctx: &mut NodeCtx, op: &str, on_dims: fn(Dim, Dim) -> Dim) -> Result<Vec<Value>, String> {
    let mut inputs = ctx.present_inputs().into_iter();
    let first = inputs.next().ok_or("expected at least one input")?;
    single(inputs.try_fold(first, |acc, next| combine(ctx, op, acc, next, on_dims))?)
}

fn combine(ctx: &mut NodeCtx, op: &str, a: Value, b: Value, on_dims: fn(Dim, Dim) -> Dim) -> Result<Value, String> {
    let symbolic = matches!(a, Value::Shape(_)) || matches!(b, Value::Shape(_));
    if let (true, Some(x), Some(y)) = (symbolic, a.as_shape(), b.as_shape()) {
        return Ok(Value::from_shape(x.zip_with(&y, on_dims)?));
    }
    ctx.call(op, &[a, b], Attrs::new())
}
