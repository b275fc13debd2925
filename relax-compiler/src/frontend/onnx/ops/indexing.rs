//! Indexing operators: `CumSum`, `Trilu`, `OneHot`, `GatherElements`,
//! `GatherND`, `ScatterElements` (and its deprecated name `Scatter`),
//! `ScatterND` and `Hardmax`, each one relax operator of `op/indexing.rs`.
//!
//! `CumSum`'s axis and `Trilu`'s `k` may be computed at run time; `OneHot`'s
//! depth fixes the result's shape, so it must be known at compile time.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};

const REDUCTIONS: &[&str] = &["none", "add", "mul", "max", "min"];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("CumSum", cumsum).attrs(&["exclusive", "reverse"]).since(11),
    Converter::new("Trilu", trilu).attrs(&["upper"]).since(14),
    Converter::new("OneHot", one_hot).attrs(&["axis"]).since(9),
    Converter::new("GatherElements", gather_elements).attrs(&["axis"]).since(11),
    Converter::new("GatherND", gather_nd).attrs(&["batch_dims"]).since(11),
    Converter::new("ScatterElements", scatter_elements).attrs(&["axis", "reduction"]).since(11).check(check_reduction),
    Converter::new("Scatter", scatter_elements).attrs(&["axis"]).since(9),
    Converter::new("ScatterND", scatter_nd).attrs(&["reduction"]).since(11).check(check_reduction),
    Converter::new("Hardmax", hardmax).attrs(&["axis"]),
];

fn check_reduction(attrs: &Attributes, _: i64) -> Result<(), String> {
    let reduction = attrs.string_or("reduction", "none")?;
    if REDUCTIONS.contains(&reduction.as_str()) {
        Ok(())
    } else {
        Err(format!("attribute reduction={reduction} must be one of {}", REDUCTIONS.join(", ")))
    }
}

/// A constant axis becomes an attribute; one computed at run time stays an
/// argument, which the kernel reads.
fn cumsum(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let mut attrs = Attrs::new()
        .with("exclusive", AttrValue::Bool(ctx.attrs.int_or("exclusive", 0)? != 0))
        .with("reverse", AttrValue::Bool(ctx.attrs.int_or("reverse", 0)? != 0));
    let args = scalar_as_attr(ctx, 1, "axis", &mut attrs)?;
    single(ctx.call("cumsum", &args, attrs)?)
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
        None => match ctx.int_values(1)?.as_ref().map(|v| &v.dims[..]) {
            Some([depth]) => ctx.importer.derived_dim("depth", depth.clone().max(1)),
            _ => return Err(format!("input `{}` (depth) must hold one integer", ctx.input_name(1))),
        },
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
