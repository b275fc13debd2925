//! `[0, 1, ..., len - 1]` of a length known at compile time or bound at run
//! time: the index vector converters build position-dependent tensors from
//! (DFT matrices, window samples, gather indices).

use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use relax_rt::DType;

/// `[0, 1, ..., len - 1]` in i64: a constant for a known length, else an
/// exclusive running sum of ones (no relax operator makes a range of
/// run-time length).
pub fn iota(ctx: &mut NodeCtx, len: &Dim) -> Result<Value, String> {
    if let Some(n) = len.as_int() {
        let n = usize::try_from(n).map_err(|_| format!("a length of {n} is negative"))?;
        let values: Vec<i64> = (0..n as i64).collect();
        return Ok(Value::constant(NDArray::from_i64_values(DType::I64, &[n], &values)));
    }
    let ones = Attrs::new().with("shape", AttrValue::Dims(vec![len.clone()]));
    let ones = ctx.call("broadcast_to", &[Value::scalar(DType::I64, 1.0)], ones)?;
    let attrs = Attrs::new().with("axis", AttrValue::Int(0)).with("exclusive", AttrValue::Bool(true));
    ctx.call("cumsum", &[ones], attrs)
}
