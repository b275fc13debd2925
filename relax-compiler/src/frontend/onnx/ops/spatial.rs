//! Spatial operators: `DepthToSpace` and `SpaceToDepth` (a reshape, a
//! transpose and a reshape, so they need no operator of their own and fuse
//! like any data movement), the `edge`, `reflect` and `wrap` modes of `Pad`,
//! which relax's `pad` operator implements (`Pad`'s converter in `tensor.rs`
//! hands those modes here), `ConvTranspose` in 1-D and 2-D, as relax's
//! `conv2d_transpose` (in `spatial/conv_transpose.rs`), and `GridSample` and
//! `AffineGrid` as relax's `grid_sample` and `affine_grid`.

mod conv_transpose;

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim};

pub const CONVERTERS: &[Converter] = &[
    Converter::new("DepthToSpace", depth_to_space).attrs(&["blocksize", "mode"]).check(check_mode),
    Converter::new("SpaceToDepth", space_to_depth).attrs(&["blocksize", "mode"]).check(check_mode),
    Converter::new("ConvTranspose", conv_transpose::convert)
        .attrs(&["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"])
        .check(conv_transpose::check),
    Converter::new("AffineGrid", affine_grid).attrs(&["align_corners"]).since(20),
    Converter::new("GridSample", grid_sample)
        .attrs(&["align_corners", "mode", "padding_mode"])
        .since(16)
        .check(check_grid_sample),
];

/// `AffineGrid` as relax's `affine_grid`. The output shape comes from the
/// values of `size` (`[N, C, H, W]` or `[N, C, D, H, W]`): constants,
/// symbolic dims, or a graph input's values bound at run time.
fn affine_grid(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let theta = ctx.input(0)?;
    let size = ctx.int_values(1)?.map(|s| s.dims).ok_or("the size input is required")?;
    if !(4..=5).contains(&size.len()) {
        return Err(format!("size {} must be [N, C, H, W] or [N, C, D, H, W]", shape_to_string(&size)));
    }
    let batch = &theta.info().shape[0];
    if let (Some(a), Some(b)) = (size[0].as_int(), batch.as_int()) {
        if a != b {
            return Err(format!("size asks for a batch of {a} but theta holds {b} matrices"));
        }
    }
    let attrs = Attrs::new()
        .with("size", AttrValue::Dims(size[2..].to_vec()))
        .with("align_corners", AttrValue::Bool(ctx.attrs.int_or("align_corners", 0)? != 0));
    single(ctx.call("affine_grid", &[theta], attrs)?)
}

/// The interpolation modes of GridSample-`opset` (renamed in opset 20).
fn grid_sample_modes(opset: i64) -> [&'static str; 3] {
    if opset < 20 {
        ["bilinear", "nearest", "bicubic"]
    } else {
        ["linear", "nearest", "cubic"]
    }
}

fn check_grid_sample(attrs: &Attributes, opset: i64) -> Result<(), String> {
    let modes = grid_sample_modes(opset);
    let mode = attrs.string_or("mode", modes[0])?;
    if !modes.contains(&mode.as_str()) {
        return Err(format!("attribute mode={mode} is not one of {}", modes.join(", ")));
    }
    match attrs.string_or("padding_mode", "zeros")?.as_str() {
        "zeros" | "border" | "reflection" => Ok(()),
        other => Err(format!("attribute padding_mode={other} is not one of zeros, border, reflection")),
    }
}

/// `GridSample` as relax's `grid_sample`, the mode under its opset-20 name.
fn grid_sample(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let modes = grid_sample_modes(ctx.opset);
    let mode = match ctx.attrs.string_or("mode", modes[0])?.as_str() {
        "bilinear" | "linear" => "linear",
        "bicubic" | "cubic" => "cubic",
        _ => "nearest",
    };
    let attrs = Attrs::new()
        .with("mode", AttrValue::Str(mode.to_string()))
        .with("padding_mode", AttrValue::Str(ctx.attrs.string_or("padding_mode", "zeros")?))
        .with("align_corners", AttrValue::Bool(ctx.attrs.int_or("align_corners", 0)? != 0));
    single(ctx.call("grid_sample", &[ctx.input(0)?, ctx.input(1)?], attrs)?)
}

/// The channel orders ONNX defines for both directions (`SpaceToDepth` has
/// `mode` since opset 25; before, it is always `DCR`).
fn check_mode(attrs: &Attributes, _: i64) -> Result<(), String> {
    match attrs.string_or("mode", "DCR")?.as_str() {
        "DCR" | "CRD" => Ok(()),
        other => Err(format!("attribute mode={other} must be DCR or CRD")),
    }
}

/// Moves `[b, b]` blocks of channels into space: `[N, C, H, W]` becomes
/// `[N, C / b², H * b, W * b]`. In `DCR` mode the block index is the outer
/// part of the channel (depth-column-row), in `CRD` the inner.
fn depth_to_space(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let b = block_size(ctx)?;
    let [n, c, h, w] = nchw(&x)?;
    let depth = whole_blocks(&c, b * b, "channels", &x)?;
    let (split, perm) = match ctx.attrs.string_or("mode", "DCR")?.as_str() {
        "CRD" => ([n.clone(), depth.clone(), b.into(), b.into(), h.clone(), w.clone()], [0, 1, 4, 2, 5, 3]),
        _ => ([n.clone(), b.into(), b.into(), depth.clone(), h.clone(), w.clone()], [0, 3, 4, 1, 5, 2]),
    };
    let merged = [n, depth, (h * b).simplify(), (w * b).simplify()];
    single(rearrange(ctx, x, &split, &perm, &merged)?)
}

/// The inverse of `DepthToSpace`: `[N, C, H, W]` becomes
/// `[N, C * b², H / b, W / b]`, each `[b, b]` block of space becoming the
/// outer part of the channel (`DCR`) or the inner (`CRD`).
fn space_to_depth(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let b = block_size(ctx)?;
    let [n, c, h, w] = nchw(&x)?;
    let (rows, cols) = (whole_blocks(&h, b, "rows", &x)?, whole_blocks(&w, b, "columns", &x)?);
    let split = [n.clone(), c.clone(), rows.clone(), b.into(), cols.clone(), b.into()];
    let merged = [n, (c * (b * b)).simplify(), rows, cols];
    let perm = match ctx.attrs.string_or("mode", "DCR")?.as_str() {
        "CRD" => [0, 1, 3, 5, 2, 4],
        _ => [0, 3, 5, 1, 2, 4],
    };
    single(rearrange(ctx, x, &split, &perm, &merged)?)
}

/// `reshape(permute_dims(reshape(x, split), perm), merged)`.
fn rearrange(ctx: &mut NodeCtx, x: Value, split: &[Dim], perm: &[i64], merged: &[Dim]) -> Result<Value, String> {
    let blocks = ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(split.to_vec())))?;
    let moved = ctx.call("permute_dims", &[blocks], Attrs::new().with("axes", ints_attr(perm)))?;
    ctx.call("reshape", &[moved], Attrs::new().with("shape", AttrValue::Dims(merged.to_vec())))
}

/// The required, positive `blocksize` attribute.
fn block_size(ctx: &NodeCtx) -> Result<i64, String> {
    match ctx.attrs.int("blocksize")? {
        Some(b) if b >= 1 => Ok(b),
        Some(b) => Err(format!("attribute blocksize must be positive, got {b}")),
        None => Err("attribute blocksize is required".to_string()),
    }
}

/// The dims of a 4-D NCHW input.
fn nchw(x: &Value) -> Result<[Dim; 4], String> {
    let shape = x.info().shape;
    <[Dim; 4]>::try_from(shape.clone())
        .map_err(|_| format!("the input must be 4-D NCHW, got shape {}", shape_to_string(&shape)))
}

/// `dim / block`, which must be whole: provably, or by the reshape's check
/// of element counts when `dim` is symbolic.
fn whole_blocks(dim: &Dim, block: i64, what: &str, x: &Value) -> Result<Dim, String> {
    if dim.as_int().is_some_and(|d| d % block != 0) {
        return Err(format!(
            "the input {} has {dim} {what}, which blocks of {block} do not divide",
            shape_to_string(&x.info().shape)
        ));
    }
    Ok(dim.clone().floor_div(block).simplify())
}

/// `Pad` in `edge`, `reflect` or `wrap` mode, padding `axes` (negative ones
/// count from the end) by `pads` (ONNX order: every axis's start, then every
/// axis's end; the caller checked there are two per axis).
pub fn pad_with_mode(ctx: &mut NodeCtx, x: Value, mode: &str, axes: &[i64], pads: &[i64]) -> Result<Value, String> {
    let rank = x.rank();
    let mut widths = vec![0; 2 * rank];
    for (k, &axis) in axes.iter().enumerate() {
        let a = if axis < 0 { axis + rank as i64 } else { axis };
        let a = usize::try_from(a)
            .ok()
            .filter(|&a| a < rank)
            .ok_or_else(|| format!("axis {axis} is out of range for rank {rank}"))?;
        widths[a] = pads[k];
        widths[rank + a] = pads[k + axes.len()];
    }
    let attrs = Attrs::new().with("pad_width", ints_attr(&widths)).with("mode", AttrValue::Str(mode.to_string()));
    ctx.call("pad", &[x], attrs)
}

#[cfg(test)]
mod tests {
    use crate::frontend::onnx::builder::{attr_int, attr_ints, attr_string, node, GraphBuilder};
    use crate::frontend::onnx::proto::{Message, NodeProto};
    use crate::frontend::onnx::{import_bytes, OnnxOptions};
    use crate::interp::{run_function, Value};
    use crate::ir::Dim;
    use crate::ndarray::NDArray;
    use relax_rt::DType;
    use std::path::Path;

    /// Runs one node on run-time input `x` (and initializers `consts`).
    fn run(opset: i64, node: NodeProto, x: &NDArray, consts: &[(&str, &NDArray)]) -> NDArray {
        let shape: Vec<Dim> = x.shape().iter().map(|&d| Dim::from(d)).collect();
        let mut graph = GraphBuilder::new("g").input("x", x.dtype(), &shape).output("y");
        for (name, value) in consts {
            graph = graph.initializer(name, value);
        }
        let bytes = graph.node(node).model(opset).encode_to_vec();
        let module = import_bytes(&bytes, Path::new("."), "g", &OnnxOptions::default()).unwrap();
        let out = run_function(&module, "forward", vec![Value::Tensor(x.clone())]).unwrap();
        out.tensors()[0].clone()
    }

    fn iota(shape: &[usize]) -> NDArray {
        let n: usize = shape.iter().product();
        NDArray::from_f64_values(DType::F32, shape, &(0..n).map(|v| v as f64).collect::<Vec<_>>())
    }

    #[test]
    fn depth_to_space_in_both_channel_orders() {
        // Four channels of one pixel each become one 2x2 channel.
        let x = iota(&[1, 4, 1, 1]);
        let dcr = node("DepthToSpace", &["x"], &["y"]).with_attr(attr_int("blocksize", 2));
        assert_eq!(run(13, dcr, &x, &[]), iota(&[1, 1, 2, 2]));
        // With two output channels, DCR interleaves them and CRD keeps each whole.
        let x = iota(&[1, 8, 1, 1]);
        let dcr = node("DepthToSpace", &["x"], &["y"]).with_attr(attr_int("blocksize", 2));
        let expected = [0., 2., 4., 6., 1., 3., 5., 7.];
        assert_eq!(run(13, dcr, &x, &[]), NDArray::from_f64_values(DType::F32, &[1, 2, 2, 2], &expected));
        let crd = node("DepthToSpace", &["x"], &["y"])
            .with_attr(attr_int("blocksize", 2))
            .with_attr(attr_string("mode", "CRD"));
        assert_eq!(run(13, crd, &x, &[]), iota(&[1, 2, 2, 2]));
    }

    #[test]
    fn space_to_depth_inverts_depth_to_space() {
        let x = NDArray::random(DType::F32, &[2, 8, 3, 2], 1);
        for mode in ["DCR", "CRD"] {
            let to_space = node("DepthToSpace", &["x"], &["y"])
                .with_attr(attr_int("blocksize", 2))
                .with_attr(attr_string("mode", mode));
            let to_depth = node("SpaceToDepth", &["x"], &["y"])
                .with_attr(attr_int("blocksize", 2))
                .with_attr(attr_string("mode", mode));
            let spread = run(13, to_space, &x, &[]);
            assert_eq!(spread.shape(), &[2, 2, 6, 4]);
            assert_eq!(run(25, to_depth, &spread, &[]), x);
        }
    }

    #[test]
    fn pad_modes_with_axes() {
        let x = iota(&[2, 3]);
        let pads = NDArray::from_i64_values(DType::I64, &[2], &[2, 1]);
        let axes = NDArray::from_i64_values(DType::I64, &[1], &[-1]);
        let pad = |mode: &str| node("Pad", &["x", "pads", "", "axes"], &["y"]).with_attr(attr_string("mode", mode));
        let reflect = run(18, pad("reflect"), &x, &[("pads", &pads), ("axes", &axes)]);
        let expected = [2., 1., 0., 1., 2., 1., 5., 4., 3., 4., 5., 4.];
        assert_eq!(reflect, NDArray::from_f64_values(DType::F32, &[2, 6], &expected));
        let wrap = run(18, pad("wrap"), &x, &[("pads", &pads), ("axes", &axes)]);
        let expected = [1., 2., 0., 1., 2., 0., 4., 5., 3., 4., 5., 3.];
        assert_eq!(wrap, NDArray::from_f64_values(DType::F32, &[2, 6], &expected));
    }

    #[test]
    fn grid_sample_under_both_mode_names() {
        // The row [1, 2, 3, 4] sampled at x = 0 (the middle, 1.5 with align_corners)
        // and x = 1 (the last element): 2.5 and 4.
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 1, 4], &[1.0, 2.0, 3.0, 4.0]);
        let grid = NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2], &[0.0, 0.0, 1.0, 0.0]);
        let want = NDArray::from_f64_values(DType::F32, &[1, 1, 1, 2], &[2.5, 4.0]);
        for (opset, mode) in [(16, "bilinear"), (20, "linear")] {
            let sample = node("GridSample", &["x", "grid"], &["y"])
                .with_attr(attr_string("mode", mode))
                .with_attr(attr_int("align_corners", 1));
            assert_eq!(run(opset, sample, &x, &[("grid", &grid)]), want);
        }
    }

    #[test]
    fn affine_grid_of_a_scaling() {
        // theta = diag(2, 3) on a 1x2 grid (align_corners: x = -1, 1; y = -1): the
        // points (-1, -1) and (1, -1) become (-2, -3) and (2, -3).
        let theta = NDArray::from_f64_values(DType::F32, &[1, 2, 3], &[2., 0., 0., 0., 3., 0.]);
        let size = NDArray::from_i64_values(DType::I64, &[4], &[1, 1, 1, 2]);
        let grid = node("AffineGrid", &["x", "size"], &["y"]).with_attr(attr_int("align_corners", 1));
        let want = NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2], &[-2.0, -3.0, 2.0, -3.0]);
        assert_eq!(run(20, grid, &theta, &[("size", &size)]), want);
    }

    #[test]
    fn conv_transpose_derives_pads_from_output_shape() {
        // 1-D, stride 2, kernel 3: the natural length is 2 * 2 + 3 = 7; asking
        // for 6 crops one element at the start, asking for 8 adds one at the end.
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 3], &[1.0, 2.0, 3.0]);
        let w = NDArray::from_f64_values(DType::F32, &[1, 1, 3], &[1.0, 1.0, 1.0]);
        let conv = |length: i64| {
            node("ConvTranspose", &["x", "w"], &["y"])
                .with_attr(attr_ints("strides", &[2]))
                .with_attr(attr_ints("output_shape", &[length]))
        };
        let natural = [1., 1., 3., 2., 5., 3., 3.];
        let cropped = run(22, conv(6), &x, &[("w", &w)]);
        assert_eq!(cropped, NDArray::from_f64_values(DType::F32, &[1, 1, 6], &natural[1..]));
        let extended = run(22, conv(8), &x, &[("w", &w)]);
        let mut longer = natural.to_vec();
        longer.push(0.0);
        assert_eq!(extended, NDArray::from_f64_values(DType::F32, &[1, 1, 8], &longer));
    }
}
