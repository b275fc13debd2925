//! The `ai.onnx.ml` domain's operators on numeric tensors: `Binarizer`,
//! `ArrayFeatureExtractor` and `TreeEnsemble` (see [`tree_ensemble`]).
//! String tensors (`LabelEncoder`, string features) have no relax dtype.

mod tree_ensemble;
mod trees;

use super::{single, Converter};
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::opsets::ML;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};
use crate::op::compute::int_range;
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Binarizer", binarizer).domain(ML).attrs(&["threshold"]),
    Converter::new("ArrayFeatureExtractor", array_feature_extractor).domain(ML),
    Converter::new("TreeEnsemble", tree_ensemble::convert)
        .domain(ML)
        .since(5)
        .attrs(tree_ensemble::ATTRIBUTES)
        .check(tree_ensemble::check),
];

/// `x > threshold ? 1 : 0` in `x`'s dtype. For an integer `x`, `x >
/// threshold` is `x > floor(threshold)`, which compares in `x`'s dtype.
fn binarizer(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let dtype = x.dtype();
    if !matches!(dtype, DType::F32 | DType::F64 | DType::I32 | DType::I64) {
        return Err(format!("the input must be f32, f64, i32 or i64, got {dtype}"));
    }
    let threshold = ctx.attrs.float_or("threshold", 0.0)?;
    let threshold = match dtype.is_float() {
        true => threshold,
        false => {
            let (lo, hi) = int_range(dtype);
            threshold.floor().clamp(lo as f64, hi as f64)
        }
    };
    let above = ctx.call("greater", &[x, Value::scalar(dtype, threshold)], Attrs::new())?;
    let (one, zero) = (Value::scalar(dtype, 1.0), Value::scalar(dtype, 0.0));
    single(ctx.call("where", &[above, one, zero], Attrs::new())?)
}

/// `x[..., indices]` along the last axis, `indices` flattened; a 1-D `x` gives
/// a `[1, len]` row (as the ONNX reference and onnxruntime do). Negative
/// indices count from the end.
fn array_feature_extractor(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let (x, indices) = (ctx.input(0)?, ctx.input(1)?);
    if x.rank() == 0 {
        return Err("the input must have at least one axis".to_string());
    }
    if indices.dtype() != DType::I64 {
        return Err(format!("the indices must be i64, got {}", indices.dtype()));
    }
    let count = indices.info().numel();
    let flat = ctx.call("reshape", &[indices], Attrs::new().with("shape", AttrValue::Dims(vec![count])))?;
    let taken = ctx.call("take", &[x.clone(), flat], Attrs::new().with("axis", AttrValue::Int(-1)))?;
    if x.rank() > 1 {
        return single(taken);
    }
    single(ctx.call("expand_dims", &[taken], Attrs::new().with("axis", ints_attr(&[0])))?)
}
