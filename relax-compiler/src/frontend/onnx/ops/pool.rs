//! Pooling over `[N, C, ...]` inputs: `MaxPool`, `AveragePool` and `LpPool`
//! (1-D to 3-D, as relax's `max_pool2d`, `avg_pool2d`, `lp_pool2d` and their
//! 3-D forms), and the global pools over every spatial axis of any rank.

use super::window::{check_window_attrs, from_2d, op_for, spatial_axes, to_2d, Window};
use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};

pub const CONVERTERS: &[Converter] = &[
    Converter::new("MaxPool", |ctx| pool(ctx, "max_pool"))
        .attrs(&["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"])
        .check(check_max_pool),
    Converter::new("AveragePool", |ctx| pool(ctx, "avg_pool"))
        .attrs(&["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"])
        .check(|attrs, _| check_window_attrs(attrs)),
    // `ceil_mode` and `dilations` came in opset 18; earlier models have neither.
    Converter::new("LpPool", lp_pool)
        .attrs(&["auto_pad", "ceil_mode", "dilations", "kernel_shape", "p", "pads", "strides"])
        .check(|attrs, _| check_window_attrs(attrs)),
    Converter::new("GlobalAveragePool", global_average_pool),
    Converter::new("GlobalMaxPool", |ctx| global_pool(ctx, "max")),
];

/// `storage_order` only changes the indices output, which is not supported;
/// a column-major request is reported rather than ignored.
fn check_max_pool(attrs: &Attributes, _: i64) -> Result<(), String> {
    check_window_attrs(attrs)?;
    match attrs.int_or("storage_order", 0)? {
        0 => Ok(()),
        other => Err(format!("attribute storage_order={other} is not supported")),
    }
}

fn pool(ctx: &mut NodeCtx, base: &str) -> Result<Vec<Value>, String> {
    windowed(ctx, base, Attrs::new())
}

/// The Lp norm of each window, of order `p` (default 2).
fn lp_pool(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let p = ctx.attrs.int_or("p", 2)?;
    windowed(ctx, "lp_pool", Attrs::new().with("p", AttrValue::Int(p)))
}

/// Relax pool `base` (without its rank: `max_pool`) over the node's window,
/// with the operator's own attributes `extra` added.
fn windowed(ctx: &mut NodeCtx, base: &str, extra: Attrs) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    let spatial = spatial_axes(&info, "pooling", 3)?;
    let op = op_for(base, spatial);
    let op = op.as_str();
    let kernel = ctx.attrs.ints("kernel_shape")?.ok_or("attribute kernel_shape is required")?;
    if kernel.len() != spatial {
        return Err(format!("kernel_shape {kernel:?} does not match the input's {spatial} spatial axes"));
    }
    let window = Window::new(&ctx.attrs, &kernel, &info.shape[2..])?;
    let mut attrs = window.attrs().with("kernel", ints_attr(&window.kernel));
    for (name, value) in extra.0 {
        attrs.set(&name, value);
    }
    // Only AveragePool declares count_include_pad, so the others never have it.
    for flag in ["ceil_mode", "count_include_pad"] {
        if ctx.attrs.has(flag) {
            attrs.set(flag, AttrValue::Bool(ctx.attrs.int_or(flag, 0)? != 0));
        }
    }
    if spatial == 1 {
        let lifted = to_2d(ctx, x)?;
        let y = ctx.call(op, &[lifted], attrs)?;
        return single(from_2d(ctx, y)?);
    }
    single(ctx.call(op, &[x], attrs)?)
}

fn global_average_pool(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    if ctx.input(0)?.rank() == 4 {
        return single(ctx.call("global_avg_pool2d", &[ctx.input(0)?], Attrs::new())?);
    }
    global_pool(ctx, "mean")
}

/// `reduction` over every spatial axis, keeping them as size 1.
fn global_pool(ctx: &mut NodeCtx, reduction: &str) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    if x.rank() < 3 {
        return Err(format!("the input must have spatial axes after batch and channel, got rank {}", x.rank()));
    }
    let axes: Vec<i64> = (2..x.rank() as i64).collect();
    let attrs = Attrs::new().with("axes", ints_attr(&axes)).with("keepdims", AttrValue::Bool(true));
    single(ctx.call(reduction, &[x], attrs)?)
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, f32s, run_node};
    use crate::frontend::onnx::builder::{attr_int, attr_ints, attr_string, node, GraphBuilder};
    use crate::frontend::onnx::proto::{Message, NodeProto};
    use crate::frontend::onnx::{import_bytes, OnnxOptions};
    use crate::interp::{run_function, Value};
    use crate::ir::Dim;
    use crate::ndarray::NDArray;
    use relax_rt::DType;
    use std::path::Path;

    #[test]
    fn lp_pool_in_one_dimension_with_padding() {
        // Windows of 2 over [0, 3, -4, 0] (one zero of padding each side):
        // the L2 norms 3, 5, 4; with p = 1 the sums of magnitudes 3, 7, 4.
        let x = f32s(&[1, 1, 2], &[3., -4.]);
        let lp = |p: i64| {
            node("LpPool", &["x"], &["y"])
                .with_attr(attr_ints("kernel_shape", &[2]))
                .with_attr(attr_ints("pads", &[1, 1]))
                .with_attr(attr_int("p", p))
        };
        assert_close(&run_node(18, lp(2), &[("x", &x)], &[])[0], &f32s(&[1, 1, 3], &[3., 5., 4.]));
        assert_close(&run_node(11, lp(1), &[("x", &x)], &[])[0], &f32s(&[1, 1, 3], &[3., 7., 4.]));
    }

    fn run(node: NodeProto, x: &NDArray, consts: &[(&str, &NDArray)]) -> NDArray {
        let shape: Vec<Dim> = x.shape().iter().map(|&d| Dim::from(d)).collect();
        let mut graph = GraphBuilder::new("g").input("x", DType::F32, &shape).output("y");
        for (name, value) in consts {
            graph = graph.initializer(name, value);
        }
        let bytes = graph.node(node).model(22).encode_to_vec();
        let module = import_bytes(&bytes, Path::new("."), "g", &OnnxOptions::default()).unwrap();
        run_function(&module, "forward", vec![Value::Tensor(x.clone())]).unwrap().tensors()[0].clone()
    }

    #[test]
    fn windows_with_three_spatial_axes() {
        // x[d, h, w] = 9d + 3h + w over 3x3x3. A 2x2x2 window at the origin holds
        // 0, 1, 3, 4, 9, 10, 12, 13: max 13, mean 6.5; with stride 1 each step adds 9, 3 or 1.
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 3, 3, 3], &(0..27).map(f64::from).collect::<Vec<_>>());
        let steps = |first: f64| [0., 1., 3., 4., 9., 10., 12., 13.].map(|v| v + first);
        let cube = |values: [f64; 8]| NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2, 2], &values);
        let pool = |op: &str| node(op, &["x"], &["y"]).with_attr(attr_ints("kernel_shape", &[2, 2, 2]));
        assert_eq!(run(pool("MaxPool"), &x, &[]), cube(steps(13.0)));
        assert_eq!(run(pool("AveragePool"), &x, &[]), cube(steps(6.5)));
        // The same windows summed by a convolution with a box of ones: 8 * 6.5 = 52.
        let w = NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2, 2], &[1.0; 8]);
        assert_eq!(run(node("Conv", &["x", "w"], &["y"]), &x, &[("w", &w)]), cube(steps(6.5).map(|v| v * 8.0)));
        // The values are non-negative, so their L1 norm is that sum too.
        let l1 = pool("LpPool").with_attr(attr_int("p", 1));
        assert_eq!(run(l1, &x, &[]), cube(steps(6.5).map(|v| v * 8.0)));
        // SAME_UPPER keeps the size: the last window along each axis sees only the corner.
        let same = pool("MaxPool").with_attr(attr_string("auto_pad", "SAME_UPPER"));
        let out = run(same, &x, &[]);
        assert_eq!((out.shape(), out.get(26).to_f64()), (&[1, 1, 3, 3, 3][..], 26.0));
    }
}
