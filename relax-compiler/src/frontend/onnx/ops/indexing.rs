//! Indexing operators: `CumSum`, `CumProd`, `Trilu`, `OneHot`, `GatherElements`,
//! `GatherND`, `ScatterElements` (and its deprecated name `Scatter`),
//! `ScatterND` and `Hardmax`, each one relax operator of `op/indexing.rs`,
//! and `EyeLike`, a diagonal made of two `trilu` masks.
//!
//! The running folds' axis and `Trilu`'s `k` may be computed at run time; `OneHot`'s
//! depth fixes the result's shape, so it must be known at compile time.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::dtype::dtype_of;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use relax_rt::DType;

const REDUCTIONS: &[&str] = &["none", "add", "mul", "max", "min"];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("CumSum", |ctx| running(ctx, "cumsum")).attrs(&["exclusive", "reverse"]).since(11),
    Converter::new("CumProd", |ctx| running(ctx, "cumprod")).attrs(&["exclusive", "reverse"]).since(26),
    Converter::new("Trilu", trilu).attrs(&["upper"]).since(14),
    Converter::new("OneHot", one_hot).attrs(&["axis"]).since(9),
    Converter::new("GatherElements", gather_elements).attrs(&["axis"]).since(11),
    Converter::new("GatherND", gather_nd).attrs(&["batch_dims"]).since(11),
    Converter::new("ScatterElements", scatter_elements).attrs(&["axis", "reduction"]).since(11).check(check_reduction),
    Converter::new("Scatter", scatter_elements).attrs(&["axis"]).since(9),
    Converter::new("ScatterND", scatter_nd).attrs(&["reduction"]).since(11).check(check_reduction),
    Converter::new("Hardmax", hardmax).attrs(&["axis"]),
    Converter::new("EyeLike", eye_like).attrs(&["dtype", "k"]).since(9).check(check_eye_like),
];

fn check_reduction(attrs: &Attributes, _: i64) -> Result<(), String> {
    let reduction = attrs.string_or("reduction", "none")?;
    if REDUCTIONS.contains(&reduction.as_str()) {
        Ok(())
    } else {
        Err(format!("attribute reduction={reduction} must be one of {}", REDUCTIONS.join(", ")))
    }
}

/// A running sum or product (`op`). A constant axis becomes an attribute;
/// one computed at run time stays an argument, which the kernel reads.
fn running(ctx: &mut NodeCtx, op: &str) -> Result<Vec<Value>, String> {
    let mut attrs = Attrs::new()
        .with("exclusive", AttrValue::Bool(ctx.attrs.int_or("exclusive", 0)? != 0))
        .with("reverse", AttrValue::Bool(ctx.attrs.int_or("reverse", 0)? != 0));
    let args = scalar_as_attr(ctx, 1, "axis", &mut attrs)?;
    single(ctx.call(op, &args, attrs)?)
}

/// `k` (default 0) is an attribute when constant, else an argument.
fn trilu(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let mut attrs = Attrs::new().with("upper", AttrValue::Bool(ctx.attrs.int_or("upper", 1)? != 0));
    let args = scalar_as_attr(ctx, 1, "k", &mut attrs)?;
    single(ctx.call("trilu", &args, attrs)?)
}

/// The arguments of a relax operator taking input 0 and, in input `k`, a
/// single integer: set as attribute `name` when it is a constant, passed as
/// a second argument when computed at run time, left out when omitted.
fn scalar_as_attr(ctx: &NodeCtx, k: usize, name: &str, attrs: &mut Attrs) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    match ctx.optional_input(k) {
        None => Ok(vec![x]),
        Some(v) => match v.const_ints().as_deref() {
            Some([value]) => {
                attrs.set(name, AttrValue::Int(*value));
                Ok(vec![x])
            }
            Some(other) => Err(format!("input `{}` must be a single integer, got {other:?}", ctx.input_name(k))),
            None => Ok(vec![x, v]),
        },
    }
}

/// `depth` may be any numeric type; a float depth is truncated, as ONNX says.
fn one_hot(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let depth = ctx.input(1)?;
    let depth = match depth.as_const() {
        Some(d) if d.numel() == 1 => Dim::Int(d.get(0).to_f64() as i64),
        Some(d) => return Err(format!("depth must hold one value, got shape {:?}", d.shape())),
        None => {
            let floats = match &depth {
                Value::Tensor(t) => ctx.importer.param_scaled_values(t, vec![Dim::Int(1)]),
                _ => None,
            };
            let values = match floats {
                Some(dims) => dims,
                None => ctx.int_values(1)?.map(|v| v.dims).unwrap_or_default(),
            };
            match &values[..] {
                [depth] => ctx.importer.derived_dim("depth", depth.clone().max(1)),
                _ => return Err(format!("input `{}` (depth) must hold one number", ctx.input_name(1))),
            }
        }
    };
    let attrs = Attrs::new()
        .with("depth", AttrValue::Dims(vec![depth]))
        .with("axis", AttrValue::Int(ctx.attrs.int_or("axis", -1)?));
    single(ctx.call("one_hot", &[ctx.input(0)?, ctx.input(2)?], attrs)?)
}

fn gather_elements(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let attrs = Attrs::new().with("axis", AttrValue::Int(ctx.attrs.int_or("axis", 0)?));
    single(ctx.call("gather_elements", &[ctx.input(0)?, ctx.input(1)?], attrs)?)
}

fn gather_nd(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let attrs = Attrs::new().with("batch_dims", AttrValue::Int(ctx.attrs.int_or("batch_dims", 0)?));
    single(ctx.call("gather_nd", &[ctx.input(0)?, ctx.input(1)?], attrs)?)
}

fn scatter_elements(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let attrs = Attrs::new()
        .with("axis", AttrValue::Int(ctx.attrs.int_or("axis", 0)?))
        .with("reduction", AttrValue::Str(ctx.attrs.string_or("reduction", "none")?));
    single(ctx.call("scatter_elements", &[ctx.input(0)?, ctx.input(1)?, ctx.input(2)?], attrs)?)
}

fn scatter_nd(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let attrs = Attrs::new().with("reduction", AttrValue::Str(ctx.attrs.string_or("reduction", "none")?));
    single(ctx.call("scatter_nd", &[ctx.input(0)?, ctx.input(1)?, ctx.input(2)?], attrs)?)
}

/// From opset 13 `Hardmax` works along one axis (default the last). Before,
/// the input is seen as a matrix: the axes before `axis` (default 1) are the
/// rows and the rest the columns; a reshape around the relax operator does
/// that.
fn hardmax(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    if ctx.opset >= 13 {
        let attrs = Attrs::new().with("axis", AttrValue::Int(ctx.attrs.int_or("axis", -1)?));
        return single(ctx.call("hardmax", &[x], attrs)?);
    }
    let shape = x.info().shape;
    let axis = ctx.attrs.int_or("axis", 1)?;
    let a = if axis < 0 { axis + shape.len() as i64 } else { axis };
    let a = usize::try_from(a)
        .ok()
        .filter(|&a| a <= shape.len())
        .ok_or_else(|| format!("axis {axis} is out of range for an input of rank {}", shape.len()))?;
    let matrix = vec![Dim::product(&shape[..a]), Dim::product(&shape[a..])];
    let flat = ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(matrix)))?;
    let marked = ctx.call("hardmax", &[flat], Attrs::new().with("axis", AttrValue::Int(1)))?;
    single(ctx.call("reshape", &[marked], Attrs::new().with("shape", AttrValue::Dims(shape)))?)
}

fn check_eye_like(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.int("dtype")? {
        Some(code) => dtype_of(code as i32).map(|_| ()).map_err(|e| format!("attribute dtype: {e}")),
        None => Ok(()),
    }
}

/// Ones where `column - row == k`, zeros elsewhere, in the shape of the
/// (rank-2) input and the `dtype` attribute's type (default the input's).
/// The diagonal is where the upper triangle from `k` and the one from `k +
/// 1` differ; with a static shape it all folds to a constant.
fn eye_like(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    if info.rank() != 2 {
        return Err(format!("the input must be a matrix, got {info}"));
    }
    let dtype = match ctx.attrs.int("dtype")? {
        Some(code) => dtype_of(code as i32)?,
        None => info.dtype,
    };
    let k = ctx.attrs.int_or("k", 0)?;
    let shape = Attrs::new().with("shape", AttrValue::Dims(info.shape));
    let ones = ctx.call("broadcast_to", &[Value::scalar(DType::I32, 1.0)], shape)?;
    let mut upper = |from: i64| {
        let attrs = Attrs::new().with("upper", AttrValue::Bool(true)).with("k", AttrValue::Int(from));
        ctx.call("trilu", std::slice::from_ref(&ones), attrs)
    };
    let (from_k, after_k) = (upper(k)?, upper(k.saturating_add(1))?);
    let diagonal = ctx.call("not_equal", &[from_k, after_k], Attrs::new())?;
    single(ctx.call("cast", &[diagonal], Attrs::new().with("dtype", AttrValue::DType(dtype)))?)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{i64s, run_node, run_node_symbolic};
    use crate::frontend::onnx::builder::{attr_int, node};
    use crate::ndarray::NDArray;
    use relax_rt::DType;

    #[test]
    fn eye_like_fills_the_kth_diagonal() {
        let x = NDArray::zeros(DType::I32, &[3, 4]);
        let above = node("EyeLike", &["x"], &["y"]).with_attr(attr_int("k", 1)).with_attr(attr_int("dtype", 11));
        let expected = [0., 1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 1.];
        assert_eq!(run_node(22, above, &[("x", &x)], &[])[0], NDArray::from_f64_values(DType::F64, &[3, 4], &expected));
        // Below the main diagonal, in the input's dtype; one row longer than
        // the matrix is wide, and with the row count only known at run time.
        let x = NDArray::zeros(DType::I64, &[4, 3]);
        let below = node("EyeLike", &["x"], &["y"]).with_attr(attr_int("k", -2));
        let y = run_node_symbolic(9, below, &[("x", &x)], &[], &[("x", 0, "rows")]);
        let expected = [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];
        assert_eq!(y[0], NDArray::from_i64_values(DType::I64, &[4, 3], &expected));
    }

    #[test]
    fn cum_prod_reverse_exclusive_along_a_run_time_axis() {
        // The spec's example [1, 2, 3] reversed and exclusive: [6, 3, 1]; per row here.
        let x = i64s(&[2, 3], &[1, 2, 3, 2, 2, 2]);
        let axis = i64s(&[], &[1]);
        let n = node("CumProd", &["x", "axis"], &["y"])
            .with_attr(attr_int("exclusive", 1))
            .with_attr(attr_int("reverse", 1));
        let y = run_node(26, n, &[("x", &x), ("axis", &axis)], &[]);
        assert_eq!(y[0], i64s(&[2, 3], &[6, 3, 1, 4, 2, 1]));
    }
}
