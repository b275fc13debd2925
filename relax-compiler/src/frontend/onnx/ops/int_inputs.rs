//! Integer vector inputs (shapes, block sizes) that size the result: known at
//! compile time, or graph inputs whose values become dims bound at run time.
//! Converters need each element twice, as a dim for shapes and as an i64
//! scalar for index arithmetic.

use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use relax_rt::DType;

/// The elements of an integer vector input, as dims and as values.
pub struct IntVector {
    pub dims: Vec<Dim>,
    pub values: Vec<Value>,
}

/// Input `k` as an [`IntVector`], `None` when omitted. Dims bound at run
/// time are clamped at `floor` (a size below it would make no sense and
/// must not size a buffer), and so are their values.
pub fn int_vector(ctx: &mut NodeCtx, k: usize, floor: i64) -> Result<Option<IntVector>, String> {
    let Some(shape) = ctx.int_values(k)? else { return Ok(None) };
    let input = ctx.input(k)?;
    let mut dims = Vec::with_capacity(shape.dims.len());
    let mut values = Vec::with_capacity(shape.dims.len());
    for (j, d) in shape.dims.into_iter().enumerate() {
        if let Some(v) = d.as_int() {
            dims.push(d);
            values.push(Value::scalar(DType::I64, v as f64));
            continue;
        }
        dims.push(ctx.importer.derived_dim("size", d.max(floor)));
        let at = Value::constant(NDArray::from_i64_values(DType::I64, &[], &[j as i64]));
        let element = match shape.scalar {
            true => {
                ctx.call("reshape", std::slice::from_ref(&input), Attrs::new().with("shape", AttrValue::Dims(vec![])))?
            }
            false => ctx.call("take", &[input.clone(), at], Attrs::new().with("axis", AttrValue::Int(0)))?,
        };
        let element = ctx.call("cast", &[element], Attrs::new().with("dtype", AttrValue::DType(DType::I64)))?;
        values.push(ctx.call("maximum", &[element, Value::scalar(DType::I64, floor as f64)], Attrs::new())?);
    }
    Ok(Some(IntVector { dims, values }))
}
