//! `conv2d(x, w, bias?)`: 2-D convolution (cross-correlation, as in every ML
//! framework) of an NCHW input with an OIHW weight `[O, C / groups, KH, KW]`,
//! plus an optional bias `[O]`. Attributes: `strides = [sh, sw]`,
//! `padding = [top, left, bottom, right]` (or `[ph, pw]`),
//! `dilation = [dh, dw]`, `groups`.
//!
//! With `groups = g`, input and output channels split into `g` groups and
//! output channel `o` sees only input channels of group `o / (O / g)`
//! (depthwise convolution is `g = C`). Products accumulate in the output
//! dtype, like `matmul`. The kernel indexes the input's channels and the bias
//! with the weight's channel counts, so those must provably agree.

use super::window::{
    channel_sum_kernel, expect_rank, input_layout, output_spatial, padded_get, padded_load, parse_windows, plus_bias,
    Window,
};
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{
    expect_attrs, expect_dtype_class, infos_of, load, multiply_add, require_equal, same_dtype, widen, DTypeClass, InOp,
    Remedy, Unproven,
};
use crate::op::{OpDef, OpKind};
use relax_rt::DType;

/// The convolution over `spatial` axes as an operator.
macro_rules! conv_op {
    ($name:literal, $spatial:literal) => {
        OpDef {
            name: $name,
            kind: OpKind::OutEWiseFusable,
            infer: |args, attrs| {
                let conv = check($name, $spatial, args, attrs)?;
                Ok(StructInfo::tensor(conv.dtype, conv.output))
            },
            eval: |args, attrs| eval($name, $spatial, args, attrs),
            legalize: |args, attrs, outs| legalize($name, $spatial, args, attrs, outs),
        }
    };
}

pub const CONV2D: OpDef = conv_op!("conv2d", 2);
/// `conv3d`: the same over NCDHW inputs and OIDHW weights.
pub const CONV3D: OpDef = conv_op!("conv3d", 3);

/// A validated convolution.
struct Conv2d {
    dtype: DType,
    windows: Vec<Window>,
    groups: i64,
    /// Input channels each output channel sees (the weight's second dim).
    group_inputs: Dim,
    /// Output channels per group.
    group_outputs: Dim,
    output: Vec<Dim>,
}

impl Conv2d {
    /// The input channel that reduction channel `ic` of output channel `oc` reads.
    fn input_channel(&self, oc: PExpr, ic: PExpr) -> PExpr {
        if self.groups == 1 {
            return ic;
        }
        let group = PExpr::bin(BinOp::FloorDiv, oc, PExpr::from_dim(&self.group_outputs));
        group * PExpr::from_dim(&self.group_inputs) + ic
    }
}

fn check(op: &str, spatial: usize, args: &[TensorInfo], attrs: &Attrs) -> Result<Conv2d, String> {
    if !(2..=3).contains(&args.len()) {
        return Err(format!("{op}: expected 2 or 3 arguments (x, w, bias?), got {}", args.len()));
    }
    expect_attrs(op, attrs, &["strides", "padding", "dilation", "groups"])?;
    let dtype = same_dtype(op, args)?;
    expect_dtype_class(op, dtype, DTypeClass::Numeric)?;
    let (x, w) = (&args[0], &args[1]);
    expect_rank(op, "input", input_layout(spatial), x, spatial + 2)?;
    let weight_layout = if spatial == 3 {
        "OIDHW [out channels, in channels / groups, kd, kh, kw]"
    } else {
        "OIHW [out channels, in channels / groups, kh, kw]"
    };
    expect_rank(op, "weight", weight_layout, w, spatial + 2)?;
    let kernel: Vec<i64> = w.shape[2..]
        .iter()
        .map(Dim::as_int)
        .collect::<Option<_>>()
        .ok_or_else(|| format!("{op}: the kernel size must be static, got weight {}", shape_to_string(&w.shape)))?;
    let windows = parse_windows(op, attrs, &kernel)?;
    let groups = attrs.int_or("groups", 1).in_op(op)?;
    if groups < 1 {
        return Err(format!("{op}: groups must be at least 1, got {groups}"));
    }
    let (out_channels, group_inputs) = (&w.shape[0], &w.shape[1]);
    check_channels(op, x, w, groups)?;
    if let Some(bias) = args.get(2) {
        check_bias(op, bias, out_channels)?;
    }
    let mut output = vec![x.shape[0].clone(), out_channels.clone()];
    output.extend(output_spatial(op, &windows, &x.shape, false)?);
    Ok(Conv2d {
        dtype,
        windows,
        groups,
        group_inputs: group_inputs.clone(),
        group_outputs: out_channels.clone().floor_div(groups).simplify(),
        output,
    })
}

/// The input must provably have `groups` times the weight's input channels,
/// the channels the kernel reads. The output channels must provably split into
/// whole groups, since the kernel derives each output channel's group from
/// that split.
fn check_channels(op: &str, x: &TensorInfo, w: &TensorInfo, groups: i64) -> Result<(), String> {
    let expected = (w.shape[1].clone() * groups).simplify();
    let unproven = || Unproven {
        op,
        what: "input channel counts".to_string(),
        remedy: Remedy::Cast { arg: 0, name: "x".to_string(), info: x, axis: 1 },
    };
    let differ = || {
        format!(
            "{op}: input {} has {} channels but weight {} with groups = {groups} expects {expected}",
            shape_to_string(&x.shape),
            x.shape[1],
            shape_to_string(&w.shape)
        )
    };
    require_equal(&expected, &x.shape[1], unproven, differ)?;
    let out_channels = &w.shape[0];
    if out_channels.clone().floor_mod(groups).simplify() != Dim::Int(0) {
        let verdict = if out_channels.is_const() { "does not divide" } else { "cannot be shown to divide" };
        return Err(format!(
            "{op}: weight {} has {out_channels} output channels, which groups = {groups} {verdict}",
            shape_to_string(&w.shape)
        ));
    }
    Ok(())
}

/// The bias holds one value per output channel, which the kernel reads at
/// each output channel's index.
fn check_bias(op: &str, bias: &TensorInfo, out_channels: &Dim) -> Result<(), String> {
    let wrong = || {
        format!(
            "{op}: bias must have shape [{out_channels}] (one value per output channel), got {}",
            shape_to_string(&bias.shape)
        )
    };
    if bias.rank() != 1 {
        return Err(wrong());
    }
    let unproven = || Unproven {
        op,
        what: "output channel counts".to_string(),
        remedy: Remedy::Cast { arg: 2, name: "bias".to_string(), info: bias, axis: 0 },
    };
    require_equal(out_channels, &bias.shape[0], unproven, wrong)
}

fn eval(op: &str, spatial: usize, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let conv = check(op, spatial, &infos_of(args), attrs)?;
    let (x, w, dtype) = (args[0], args[1], conv.dtype);
    let out_shape = TensorInfo::new(dtype, conv.output.clone())
        .static_shape()
        .ok_or_else(|| format!("{op}: output shape is not static"))?;
    let group_inputs = w.shape()[1];
    let group_outputs = w.shape()[0] / conv.groups as usize;
    let taps: Vec<usize> = conv.windows.iter().zip(&x.shape()[2..]).map(|(win, &d)| win.taps_at(d)).collect();
    let zero = Scalar::I(0).cast(dtype);
    let value = |flat: usize| {
        let idx = unravel(flat, &out_shape);
        let (n, oc) = (idx[0], idx[1]);
        let first_input = oc / group_outputs * group_inputs;
        let mut acc = zero;
        for ic in 0..group_inputs {
            for combo in 0..taps.iter().product() {
                let tap = unravel(combo, &taps);
                let mut at = vec![n as i64, (first_input + ic) as i64];
                at.extend(conv.windows.iter().enumerate().map(|(a, win)| win.position_at(idx[a + 2], tap[a])));
                let mut weight_at = vec![oc, ic];
                weight_at.extend(&tap);
                acc = multiply_add(acc, padded_get(x, &at, zero), w.at(&weight_at), dtype);
            }
        }
        plus_bias(acc, args, oc, dtype)
    };
    Ok(vec![NDArray::from_fn(dtype, &out_shape, value)])
}

/// `out[n, o, y...]` is `bias[o]` plus the sum over reduction channels `ic`
/// and taps `t...` of the products of `w[o, ic, t...]` with
/// `in[n, c, y * stride - pad_before + t * dilation...]`, where `c` is `ic`
/// within `o`'s group and padded positions read 0.
fn legalize(
    op: &str,
    spatial: usize,
    args: &[TensorInfo],
    attrs: &Attrs,
    outs: &[TensorInfo],
) -> Result<PrimFunc, String> {
    let conv = check(op, spatial, args, attrs)?;
    let input = &args[0].shape;
    let mut extents = vec![conv.group_inputs.clone()];
    extents.extend(conv.windows.iter().enumerate().map(|(a, win)| win.taps(&input[a + 2])));
    let zero = PExpr::constant(0.0, conv.dtype);
    let product = |o: &[PExpr], r: &[PExpr]| {
        let (oc, ic) = (o[1].clone(), r[0].clone());
        let mut at = vec![o[0].clone(), conv.input_channel(oc.clone(), ic.clone())];
        at.extend(conv.windows.iter().enumerate().map(|(a, win)| win.position(o[a + 2].clone(), r[a + 1].clone())));
        let mut weight_at = vec![oc, ic];
        weight_at.extend(r[1..].iter().cloned());
        let x = widen(padded_load(0, input, at, zero.clone()), conv.dtype);
        x * widen(load(1, weight_at), conv.dtype)
    };
    Ok(channel_sum_kernel(op, args, &outs[0], &extents, product))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic, f32_info, ints};
    use relax_rt::DType;

    fn infer_err(args: &[TensorInfo], attrs: &Attrs) -> String {
        (lookup("conv2d").unwrap().infer)(args, attrs).unwrap_err()
    }

    fn ones(shape: &[usize]) -> NDArray {
        NDArray::from_fn(DType::F32, shape, |_| crate::ndarray::Scalar::F(1.0))
    }

    #[test]
    fn sums_each_window_by_hand() {
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 3, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
        let bias = NDArray::from_f64_values(DType::F32, &[1], &[0.5]);
        let out = check_op("conv2d", &[x, ones(&[1, 1, 2, 2]), bias], &Attrs::new());
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2], &[12.5, 16.5, 24.5, 28.5]));
    }

    #[test]
    fn padding_reads_as_zero() {
        // Every 3x3 window over the 2x2 input padded by 1 covers all four values.
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2], &[1.0, 2.0, 3.0, 4.0]);
        let attrs = Attrs::new().with("padding", ints(&[1, 1]));
        let out = check_op("conv2d", &[x, ones(&[1, 1, 3, 3])], &attrs);
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2], &[10.0, 10.0, 10.0, 10.0]));
    }

    #[test]
    fn convolves_in_three_dimensions() {
        // A 2x2x2 box of ones over x[d, h, w] = 9d + 3h + w (3x3x3): the first
        // window sums 4 * 9 + 4 * 3 + 4 * 1 = 52, and each step adds 8 * (9, 3, 1).
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 3, 3, 3], &(0..27).map(f64::from).collect::<Vec<_>>());
        let out = check_op("conv3d", &[x, ones(&[1, 1, 2, 2, 2])], &Attrs::new());
        let want = [52.0, 60.0, 76.0, 84.0, 124.0, 132.0, 148.0, 156.0];
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2, 2], &want));
        let x = NDArray::random(DType::F32, &[2, 4, 5, 4, 6], 6);
        let w = NDArray::random(DType::F32, &[6, 2, 2, 3, 2], 7);
        let bias = NDArray::random(DType::F32, &[6], 8);
        let attrs = Attrs::new()
            .with("strides", ints(&[1, 2, 2]))
            .with("padding", ints(&[1, 1, 0, 0, 1, 1]))
            .with("dilation", ints(&[2, 1, 1]))
            .with("groups", AttrValue::Int(2));
        check_op_symbolic("conv3d", &[x, w, bias], &attrs, &[(0, 0, "n"), (0, 3, "h")]);
    }

    #[test]
    fn groups_see_only_their_input_channels() {
        // Two groups of one channel each: output 0 reads channel 0 only, output 1 channel 1.
        let x = NDArray::from_f64_values(DType::F64, &[1, 2, 1, 1], &[3.0, 5.0]);
        let w = NDArray::from_f64_values(DType::F64, &[2, 1, 1, 1], &[10.0, 100.0]);
        let out = check_op("conv2d", &[x, w], &Attrs::new().with("groups", AttrValue::Int(2)));
        assert_eq!(out[0], NDArray::from_f64_values(DType::F64, &[1, 2, 1, 1], &[30.0, 500.0]));
    }

    #[test]
    fn random_strided_dilated_grouped_and_padded() {
        let x = NDArray::random(DType::F32, &[2, 4, 7, 6], 1);
        let w = NDArray::random(DType::F32, &[6, 2, 3, 2], 2);
        let bias = NDArray::random(DType::F32, &[6], 3);
        let attrs = Attrs::new()
            .with("strides", ints(&[2, 1]))
            .with("padding", ints(&[1, 0, 2, 1]))
            .with("dilation", ints(&[2, 1]))
            .with("groups", AttrValue::Int(2));
        let out = check_op("conv2d", &[x, w, bias], &attrs);
        // Height (7 + 1 + 2 - 2*2 - 1) / 2 + 1 = 3, width (6 + 0 + 1 - 1 - 1) / 1 + 1 = 6.
        assert_eq!(out[0].shape(), &[2, 6, 3, 6]);
        let depthwise = Attrs::new().with("groups", AttrValue::Int(3)).with("padding", ints(&[1, 1]));
        let (x, w) = (NDArray::random(DType::F32, &[1, 3, 5, 5], 4), NDArray::random(DType::F32, &[3, 1, 3, 3], 5));
        check_op("conv2d", &[x, w], &depthwise);
    }

    #[test]
    fn integer_convolution() {
        let x = NDArray::random(DType::I32, &[1, 2, 4, 4], 6);
        let w = NDArray::random(DType::I32, &[3, 2, 2, 2], 7);
        check_op("conv2d", &[x, w], &Attrs::new().with("padding", ints(&[1, 0, 0, 1])));
    }

    #[test]
    fn symbolic_batch_and_spatial_dims() {
        let x = NDArray::random(DType::F32, &[2, 3, 9, 8], 8);
        let w = NDArray::random(DType::F32, &[4, 3, 3, 3], 9);
        let attrs = Attrs::new().with("strides", ints(&[2, 3])).with("padding", ints(&[1, 2, 0, 1]));
        let symbolic = [(0, 0, "n"), (0, 2, "h"), (0, 3, "w")];
        check_op_symbolic("conv2d", &[x, w], &attrs, &symbolic);
        let info = TensorInfo::new(DType::F32, vec![Dim::var("n"), Dim::Int(3), Dim::var("h"), Dim::var("w")]);
        let out = (lookup("conv2d").unwrap().infer)(&[info, f32_info(&[4, 3, 3, 3])], &attrs).unwrap();
        // Height (h + 1 - 3) / 2 + 1 simplifies to h / 2.
        assert_eq!(out.to_string(), "Tensor<[n, 4, h / 2, w / 3 + 1], f32>");
    }

    #[test]
    fn empty_input_with_padding_reads_only_padding() {
        // Height 0 padded to 2: each output is the bias, and no load is issued.
        let x = NDArray::zeros(DType::F32, &[1, 1, 0, 3]);
        let bias = NDArray::from_f64_values(DType::F32, &[1], &[7.0]);
        let attrs = Attrs::new().with("padding", ints(&[1, 1]));
        let out = check_op_symbolic("conv2d", &[x, ones(&[1, 1, 1, 1]), bias], &attrs, &[(0, 2, "h")]);
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[1, 1, 2, 5], &[7.0; 10]));
    }

    #[test]
    fn rejects_channel_counts_it_cannot_prove_equal() {
        let x = TensorInfo::new(DType::F32, vec![Dim::var("n"), Dim::var("c"), Dim::Int(8), Dim::Int(8)]);
        let grouped = Attrs::new().with("groups", AttrValue::Int(2));
        assert_eq!(
            infer_err(&[x.clone(), f32_info(&[8, 3, 3, 3])], &grouped),
            "conv2d: cannot prove at compile time that input channel counts 6 and c are equal; state it with a \
             match_cast of the first argument: `let x_checked = match_cast(x, Tensor<[n, 6, 8, 8], f32>);`"
        );
        let x = TensorInfo::new(DType::F32, vec![Dim::var("n"), Dim::Int(3), Dim::Int(8), Dim::Int(8)]);
        let w = TensorInfo::new(DType::F32, vec![Dim::var("o"), Dim::Int(3), Dim::Int(3), Dim::Int(3)]);
        let bias = TensorInfo::new(DType::F32, vec![Dim::var("p")]);
        assert_eq!(
            infer_err(&[x, w, bias], &Attrs::new()),
            "conv2d: cannot prove at compile time that output channel counts o and p are equal; state it with a \
             match_cast of the third argument: `let bias_checked = match_cast(bias, Tensor<[o], f32>);`"
        );
    }

    #[test]
    fn rejects_channel_mismatches() {
        let attrs = Attrs::new();
        assert_eq!(
            infer_err(&[f32_info(&[1, 3, 8, 8]), f32_info(&[8, 2, 3, 3])], &attrs),
            "conv2d: input [1, 3, 8, 8] has 3 channels but weight [8, 2, 3, 3] with groups = 1 expects 2"
        );
        let grouped = Attrs::new().with("groups", AttrValue::Int(3));
        assert_eq!(
            infer_err(&[f32_info(&[1, 3, 8, 8]), f32_info(&[8, 1, 3, 3])], &grouped),
            "conv2d: weight [8, 1, 3, 3] has 8 output channels, which groups = 3 does not divide"
        );
        assert_eq!(
            infer_err(&[f32_info(&[1, 3, 8, 8]), f32_info(&[8, 3, 3, 3]), f32_info(&[4])], &attrs),
            "conv2d: bias must have shape [8] (one value per output channel), got [4]"
        );
        let symbolic = TensorInfo::new(DType::F32, vec![Dim::var("o"), Dim::Int(1), Dim::Int(3), Dim::Int(3)]);
        assert_eq!(
            infer_err(&[f32_info(&[1, 3, 8, 8]), symbolic], &grouped),
            "conv2d: weight [o, 1, 3, 3] has o output channels, which groups = 3 cannot be shown to divide"
        );
        let zero_groups = Attrs::new().with("groups", AttrValue::Int(0));
        assert_eq!(
            infer_err(&[f32_info(&[1, 3, 8, 8]), f32_info(&[8, 3, 3, 3])], &zero_groups),
            "conv2d: groups must be at least 1, got 0"
        );
    }

    #[test]
    fn rejects_bad_shapes_and_attributes() {
        let (x, w) = (f32_info(&[1, 3, 4, 4]), f32_info(&[8, 3, 3, 3]));
        assert_eq!(
            infer_err(&[f32_info(&[3, 4, 4]), w.clone()], &Attrs::new()),
            "conv2d: input must be 4-D NCHW, got shape [3, 4, 4]"
        );
        let big = f32_info(&[8, 3, 5, 3]);
        assert_eq!(
            infer_err(&[x.clone(), big], &Attrs::new()),
            "conv2d: the window spans 5 elements of the input height (kernel 5, dilation 1) but the padded height is 4"
        );
        let cases = [
            ("strides", ints(&[1, 1, 1]), "conv2d: attribute `strides` must have 2 elements, got [1, 1, 1]"),
            ("strides", ints(&[0, 1]), "conv2d: attribute `strides` must be positive, got [0, 1]"),
            ("dilation", ints(&[1, -2]), "conv2d: attribute `dilation` must be positive, got [1, -2]"),
            ("padding", ints(&[1, 1, 1]), "conv2d: attribute `padding` must have 2 or 4 elements, got [1, 1, 1]"),
            ("padding", ints(&[0, -1]), "conv2d: attribute `padding` must not be negative, got [0, -1]"),
            (
                "stride",
                ints(&[2, 2]),
                "conv2d: unknown attribute `stride` (it takes strides, padding, dilation, groups)",
            ),
        ];
        for (name, value, message) in cases {
            assert_eq!(infer_err(&[x.clone(), w.clone()], &Attrs::new().with(name, value)), message);
        }
        let symbolic_kernel = TensorInfo::new(DType::F32, vec![Dim::Int(8), Dim::Int(3), Dim::var("k"), Dim::Int(3)]);
        assert_eq!(
            infer_err(&[x, symbolic_kernel], &Attrs::new()),
            "conv2d: the kernel size must be static, got weight [8, 3, k, 3]"
        );
    }
}
