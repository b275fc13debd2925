//! `TopK`, relax's `topk`: the `k` largest (or smallest) elements along an
//! axis, in order, with their indices.

use super::Converter;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{dim_logic, AttrValue, Attrs, Dim};

// `sorted = 0` leaves the order to the implementation; the sorted order is
// one, so it is accepted and ignored.
pub const CONVERTERS: &[Converter] =
    &[Converter::new("TopK", top_k).attrs(&["axis", "k", "largest", "sorted"]).outputs(2)];

/// `k` is an attribute before opset 10 and a one-element input from it: a
/// constant, or a graph input's value known only at run time (then a `k`
/// outside the axis makes the output size negative, which the entry rejects).
fn top_k(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let k = if ctx.opset < 10 {
        Dim::Int(ctx.attrs.int("k")?.ok_or("attribute k is required")?)
    } else {
        match ctx.int_values(1)?.as_ref().map(|v| &v.dims[..]) {
            Some([k]) if k.as_int().is_some() => k.clone(),
            Some([k]) => {
                let info = x.info();
                let axis = ctx.attrs.int_or("axis", -1)?;
                let a = if axis < 0 { axis + info.rank() as i64 } else { axis };
                let lane = usize::try_from(a).ok().and_then(|a| info.shape.get(a)).ok_or("axis is out of range")?;
                let fits = dim_logic::not(&dim_logic::any([
                    dim_logic::is_negative(k),
                    dim_logic::is_negative(&(lane.clone() - k.clone())),
                ]));
                ctx.importer.derived_dim("k", dim_logic::select(&fits, k, &Dim::Int(-1)))
            }
            Some(other) => {
                return Err(format!("input `{}` (K) must hold one integer, got {}", ctx.input_name(1), other.len()))
            }
            None => return Err("input K is required".to_string()),
        }
    };
    let attrs = Attrs::new()
        .with("k", AttrValue::Dims(vec![k]))
        .with("axis", AttrValue::Int(ctx.attrs.int_or("axis", -1)?))
        .with("largest", AttrValue::Bool(ctx.attrs.int_or("largest", 1)? != 0));
    ctx.call_tuple("topk", &[x], attrs)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{f32s, i64s, run_node};
    use crate::frontend::onnx::builder::{attr_int, node};

    #[test]
    fn top_k_from_an_input_or_an_attribute() {
        // Rows [1, 4, 4, 2] and [0, -1, 3, 3]: ties go to the lower index.
        let x = f32s(&[2, 4], &[1., 4., 4., 2., 0., -1., 3., 3.]);
        let k = i64s(&[1], &[2]);
        let largest = node("TopK", &["x", "k"], &["values", "indices"]);
        let outs = run_node(11, largest, &[("x", &x)], &[("k", &k)]);
        assert_eq!(outs[0], f32s(&[2, 2], &[4., 4., 3., 3.]));
        assert_eq!(outs[1], i64s(&[2, 2], &[1, 2, 2, 3]));
        let smallest = node("TopK", &["x", "k"], &["values", "indices"])
            .with_attr(attr_int("largest", 0))
            .with_attr(attr_int("axis", 0));
        let k = i64s(&[1], &[1]);
        let outs = run_node(24, smallest, &[("x", &x)], &[("k", &k)]);
        assert_eq!(outs[0], f32s(&[1, 4], &[0., -1., 3., 2.]));
        assert_eq!(outs[1], i64s(&[1, 4], &[1, 1, 1, 0]));
        let by_attribute = node("TopK", &["x"], &["values", "indices"]).with_attr(attr_int("k", 3));
        let outs = run_node(9, by_attribute, &[("x", &x)], &[]);
        assert_eq!(outs[1], i64s(&[2, 3], &[1, 2, 3, 2, 3, 0]));
    }
}
