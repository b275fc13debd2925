//! `conv2d_transpose(x, w, bias?)`: the transposed 2-D convolution (ONNX's
//! `ConvTranspose`, PyTorch's `conv_transpose2d`) of an NCHW input with a
//! weight `[C, O / groups, KH, KW]`, plus an optional bias `[O]`; and
//! `conv3d_transpose`, the same over NCDHW inputs, with per-axis attributes
//! of three elements (padding `[befores..., afters...]`).
//! Attributes: `strides = [sh, sw]`, `padding = [top, left, bottom, right]`
//! (or `[ph, pw]`; it crops the output, and negative padding extends it),
//! `dilation = [dh, dw]`, `output_padding = [oh, ow]` (extra rows and
//! columns at the end), `groups`.
//!
//! Every input element scatters `x * w[tap]` to output position
//! `i * stride - pad_before + tap * dilation`. The kernel gathers instead, so
//! each output element is one reduction and no two writes collide: output
//! position `y` takes tap `t` from input row `(y + pad_before - t * dilation)
//! / stride` when that division is exact and the row exists. Height
//! `(H - 1) * sh - top - bottom + dh * (KH - 1) + 1 + oh`, width alike.

use crate::ir::dim::{floor_div, floor_mod, shape_to_string};
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{
    accumulator_dtype, expect_attrs, expect_dtype_class, infos_of, load, multiply_add, require_equal, same_dtype,
    widen, DTypeClass, InOp, Remedy, Unproven,
};
use crate::op::nn::window::{channel_sum_kernel, plus_bias};
use crate::op::{OpDef, OpKind};
use relax_rt::DType;

/// The transposed convolution over `spatial` axes as an operator.
macro_rules! conv_transpose_op {
    ($name:literal, $spatial:literal) => {
        OpDef {
            name: $name,
            kind: OpKind::OutEWiseFusable,
            infer: |args, attrs| {
                let conv = check(Op { name: $name, spatial: $spatial }, args, attrs)?;
                Ok(StructInfo::tensor(conv.dtype, conv.output))
            },
            eval: |args, attrs| eval(Op { name: $name, spatial: $spatial }, args, attrs),
            legalize: |args, attrs, outs| legalize(Op { name: $name, spatial: $spatial }, args, attrs, outs),
        }
    };
}

pub const CONV2D_TRANSPOSE: OpDef = conv_transpose_op!("conv2d_transpose", 2);
pub const CONV3D_TRANSPOSE: OpDef = conv_transpose_op!("conv3d_transpose", 3);

/// Which of the two operators: its name and number of spatial axes.
#[derive(Clone, Copy)]
struct Op {
    name: &'static str,
    spatial: usize,
}

/// One spatial axis: where output position `y` reads its input.
#[derive(Clone, Copy, Debug)]
struct Axis {
    kernel: i64,
    stride: i64,
    dilation: i64,
    pad_before: i64,
}

impl Axis {
    /// `y + pad_before - tap * dilation`: `stride` times the input position
    /// tap `tap` of output position `y` reads, when that is a whole position.
    fn scaled(&self, y: PExpr, tap: PExpr) -> PExpr {
        y + PExpr::int(self.pad_before) - tap * PExpr::int(self.dilation)
    }

    /// The input position of [`Axis::scaled`] position `s` clamped into
    /// `0..size` (loads stay in bounds), and whether it is a real one.
    fn source(&self, s: PExpr, size: &Dim) -> (PExpr, PExpr) {
        let stride = PExpr::int(self.stride);
        let q = PExpr::bin(BinOp::FloorDiv, s.clone(), stride.clone());
        let exact = PExpr::bin(BinOp::Eq, PExpr::bin(BinOp::FloorMod, s, stride), PExpr::int(0));
        let size = PExpr::from_dim(size);
        let inside = PExpr::bin(
            BinOp::And,
            PExpr::bin(BinOp::Ge, q.clone(), PExpr::int(0)),
            PExpr::bin(BinOp::Lt, q.clone(), size.clone()),
        );
        let clamped = PExpr::bin(BinOp::Min, PExpr::bin(BinOp::Max, q, PExpr::int(0)), size - PExpr::int(1));
        (clamped, PExpr::bin(BinOp::And, exact, inside))
    }

    /// The input position tap `tap` of output `y` reads, if any, concretely.
    fn source_at(&self, y: usize, tap: usize, size: usize) -> Option<usize> {
        let s = y as i64 + self.pad_before - tap as i64 * self.dilation;
        let q = floor_div(s, self.stride)?;
        (floor_mod(s, self.stride) == Some(0) && (0..size as i64).contains(&q)).then_some(q as usize)
    }

    /// Taps to visit: all of them, or none for an empty input axis, where a
    /// clamped load would have no element to read.
    fn taps(&self, input: &Dim) -> Dim {
        (input.clone().min(1) * self.kernel).simplify()
    }
}

/// A validated transposed convolution.
struct ConvTranspose {
    dtype: DType,
    axes: Vec<Axis>,
    groups: i64,
    /// Input channels per group (`C / groups`).
    group_inputs: Dim,
    /// Output channels per group (the weight's second dim).
    group_outputs: Dim,
    output: Vec<Dim>,
}

impl ConvTranspose {
    /// The group output channel `o` belongs to.
    fn group(&self, o: PExpr) -> PExpr {
        if self.groups == 1 {
            PExpr::int(0)
        } else {
            PExpr::bin(BinOp::FloorDiv, o, PExpr::from_dim(&self.group_outputs))
        }
    }
}

fn check(op: Op, args: &[TensorInfo], attrs: &Attrs) -> Result<ConvTranspose, String> {
    let name = op.name;
    if !(2..=3).contains(&args.len()) {
        return Err(format!("{name}: expected 2 or 3 arguments (x, w, bias?), got {}", args.len()));
    }
    expect_attrs(name, attrs, &["strides", "padding", "dilation", "output_padding", "groups"])?;
    let dtype = same_dtype(name, args)?;
    expect_dtype_class(name, dtype, DTypeClass::Numeric)?;
    let (x, w) = (&args[0], &args[1]);
    let (layout, kernel_layout) = if op.spatial == 3 { ("NCDHW", "kd, kh, kw") } else { ("NCHW", "kh, kw") };
    expect_rank(op, "input", layout, x)?;
    expect_rank(op, "weight", &format!("[in channels, out channels / groups, {kernel_layout}]"), w)?;
    let kernel: Vec<i64> =
        w.shape[2..].iter().map(Dim::as_int).collect::<Option<_>>().ok_or_else(|| {
            format!("{name}: the kernel size must be static, got weight {}", shape_to_string(&w.shape))
        })?;
    let groups = attrs.int_or("groups", 1).in_op(name)?;
    if groups < 1 {
        return Err(format!("{name}: groups must be at least 1, got {groups}"));
    }
    check_channels(name, x, w, groups)?;
    let geometry = Geometry::parse(op, attrs)?;
    let output = output_shape(op, x, w, groups, &kernel, &geometry)?;
    if let Some(bias) = args.get(2) {
        check_bias(name, bias, &output[1])?;
    }
    Ok(ConvTranspose {
        dtype,
        axes: (0..op.spatial)
            .map(|a| Axis {
                kernel: kernel[a],
                stride: geometry.strides[a],
                dilation: geometry.dilation[a],
                pad_before: geometry.padding[a],
            })
            .collect(),
        groups,
        group_inputs: x.shape[1].clone().floor_div(groups).simplify(),
        group_outputs: w.shape[1].clone(),
        output,
    })
}

fn expect_rank(op: Op, role: &str, layout: &str, t: &TensorInfo) -> Result<(), String> {
    let rank = op.spatial + 2;
    if t.rank() == rank {
        return Ok(());
    }
    Err(format!("{}: {role} must be {rank}-D {layout}, got shape {}", op.name, shape_to_string(&t.shape)))
}

/// The window attributes, validated: one value per spatial axis, padding
/// `[befores..., afters...]`.
struct Geometry {
    strides: Vec<i64>,
    dilation: Vec<i64>,
    padding: Vec<i64>,
    output_padding: Vec<i64>,
}

impl Geometry {
    fn parse(op: Op, attrs: &Attrs) -> Result<Geometry, String> {
        let n = op.spatial;
        Ok(Geometry {
            strides: per_axis(op, attrs, "strides", 1)?.unwrap_or_else(|| vec![1; n]),
            dilation: per_axis(op, attrs, "dilation", 1)?.unwrap_or_else(|| vec![1; n]),
            padding: padding(op, attrs)?,
            output_padding: per_axis(op, attrs, "output_padding", 0)?.unwrap_or_else(|| vec![0; n]),
        })
    }
}

/// An attribute of one integer `>= min` per spatial axis, or `None` when absent.
fn per_axis(op: Op, attrs: &Attrs, name: &str, min: i64) -> Result<Option<Vec<i64>>, String> {
    let Some(values) = attrs.ints(name).in_op(op.name)? else { return Ok(None) };
    if values.len() != op.spatial {
        return Err(format!("{}: attribute `{name}` must have {} elements, got {values:?}", op.name, op.spatial));
    }
    if values.iter().any(|&v| v < min) {
        return Err(format!("{}: attribute `{name}` must be at least {min}, got {values:?}", op.name));
    }
    Ok(Some(values))
}

/// `padding` as `[befores..., afters...]` (in 2-D [top, left, bottom,
/// right]); one value per axis pads both sides alike. Padding crops the
/// output; negative padding extends it (ONNX derives such pads from an
/// `output_shape` larger than the natural one).
fn padding(op: Op, attrs: &Attrs) -> Result<Vec<i64>, String> {
    let n = op.spatial;
    let Some(values) = attrs.ints("padding").in_op(op.name)? else { return Ok(vec![0; 2 * n]) };
    match values.len() {
        len if len == n => Ok(values.iter().chain(&values).copied().collect()),
        len if len == 2 * n => Ok(values),
        _ => Err(format!("{}: attribute `padding` must have {n} or {} elements, got {values:?}", op.name, 2 * n)),
    }
}

/// The input's channels must provably equal the weight's first dim, which
/// the kernel indexes with them, and split into whole groups.
fn check_channels(name: &str, x: &TensorInfo, w: &TensorInfo, groups: i64) -> Result<(), String> {
    let unproven = || Unproven {
        op: name,
        what: "input channel counts".to_string(),
        remedy: Remedy::Cast { arg: 0, name: "x".to_string(), info: x, axis: 1 },
    };
    let differ = || {
        format!(
            "{name}: input {} has {} channels but weight {} expects {}",
            shape_to_string(&x.shape),
            x.shape[1],
            shape_to_string(&w.shape),
            w.shape[0]
        )
    };
    require_equal(&w.shape[0], &x.shape[1], unproven, differ)?;
    let channels = &w.shape[0];
    if channels.clone().floor_mod(groups).simplify() != Dim::Int(0) {
        let verdict = if channels.is_const() { "does not divide" } else { "cannot be shown to divide" };
        return Err(format!(
            "{name}: weight {} has {channels} input channels, which groups = {groups} {verdict}",
            shape_to_string(&w.shape)
        ));
    }
    Ok(())
}

/// `[N, O, spatial...]`; errors when a static output axis would be empty or
/// negative because the padding crops more than the transposed window spans.
fn output_shape(
    op: Op,
    x: &TensorInfo,
    w: &TensorInfo,
    groups: i64,
    kernel: &[i64],
    g: &Geometry,
) -> Result<Vec<Dim>, String> {
    let n = op.spatial;
    let mut shape = vec![x.shape[0].clone(), (w.shape[1].clone() * groups).simplify()];
    for a in 0..n {
        let span = g.dilation[a] * (kernel[a] - 1) + 1;
        let extra = span + g.output_padding[a] - g.padding[a] - g.padding[a + n];
        let size = ((x.shape[a + 2].clone() - 1) * g.strides[a] + extra).simplify();
        if size.as_int().is_some_and(|s| s < 1) {
            let names: &[&str] = if n == 3 { &["depth", "height", "width"] } else { &["height", "width"] };
            return Err(format!(
                "{}: input {} gives output {} {size}; the padding {:?} crops too much",
                op.name,
                shape_to_string(&x.shape),
                names[a],
                g.padding
            ));
        }
        shape.push(size);
    }
    Ok(shape)
}

/// The bias holds one value per output channel.
fn check_bias(name: &str, bias: &TensorInfo, out_channels: &Dim) -> Result<(), String> {
    let wrong = || {
        format!(
            "{name}: bias must have shape [{out_channels}] (one value per output channel), got {}",
            shape_to_string(&bias.shape)
        )
    };
    if bias.rank() != 1 {
        return Err(wrong());
    }
    let unproven = || Unproven {
        op: name,
        what: "output channel counts".to_string(),
        remedy: Remedy::Cast { arg: 2, name: "bias".to_string(), info: bias, axis: 0 },
    };
    require_equal(out_channels, &bias.shape[0], unproven, wrong)
}

fn eval(op: Op, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let conv = check(op, &infos_of(args), attrs)?;
    let (x, w, dtype) = (args[0], args[1], conv.dtype);
    let out_shape = TensorInfo::new(dtype, conv.output.clone())
        .static_shape()
        .ok_or_else(|| format!("{}: output shape is not static", op.name))?;
    let group_inputs = x.shape()[1] / conv.groups as usize;
    let group_outputs = w.shape()[1];
    let taps: Vec<usize> = conv.axes.iter().map(|a| a.kernel as usize).collect();
    let zero = Scalar::I(0).cast(dtype);
    let value = |flat: usize| {
        let idx = unravel(flat, &out_shape);
        let (n, o) = (idx[0], idx[1]);
        let c0 = o / group_outputs * group_inputs;
        let mut acc = zero;
        for c in c0..c0 + group_inputs {
            for combo in 0..taps.iter().product() {
                let tap = unravel(combo, &taps);
                let sources: Option<Vec<usize>> = conv
                    .axes
                    .iter()
                    .enumerate()
                    .map(|(a, ax)| ax.source_at(idx[a + 2], tap[a], x.shape()[a + 2]))
                    .collect();
                if let Some(sources) = sources {
                    let mut at = vec![n, c];
                    at.extend(sources);
                    let mut weight_at = vec![c, o % group_outputs];
                    weight_at.extend(&tap);
                    acc = multiply_add(acc, x.at(&at), w.at(&weight_at), dtype);
                }
            }
        }
        plus_bias(acc, args, o, dtype)
    };
    Ok(vec![NDArray::from_fn(dtype, &out_shape, value)])
}

/// `out[n, o, y...]` is `bias[o]` plus the sum over the group's input
/// channels `ic` and taps `t...` of `in[n, c, q...] * w[c, o % (O/g), t...]`,
/// where `c` is `ic` within `o`'s group and a tap whose source `q` is not a
/// whole input position contributes 0.
fn legalize(op: Op, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let conv = check(op, args, attrs)?;
    let input = &args[0].shape;
    let mut extents = vec![conv.group_inputs.clone()];
    extents.extend(conv.axes.iter().enumerate().map(|(a, ax)| ax.taps(&input[a + 2])));
    let zero = PExpr::constant(0.0, accumulator_dtype(conv.dtype));
    let product = |o: &[PExpr], r: &[PExpr]| {
        let group = conv.group(o[1].clone());
        let c = group.clone() * PExpr::from_dim(&conv.group_inputs) + r[0].clone();
        let oc = o[1].clone() - group * PExpr::from_dim(&conv.group_outputs);
        let (mut at, mut valid) = (vec![o[0].clone(), c.clone()], PExpr::Bool(true));
        for (a, ax) in conv.axes.iter().enumerate() {
            let (q, ok) = ax.source(ax.scaled(o[a + 2].clone(), r[a + 1].clone()), &input[a + 2]);
            at.push(q);
            valid = PExpr::bin(BinOp::And, valid, ok);
        }
        let mut weight_at = vec![c, oc];
        weight_at.extend(r[1..].iter().cloned());
        let x = widen(load(0, at), conv.dtype);
        PExpr::select(valid, x * widen(load(1, weight_at), conv.dtype), zero.clone())
    };
    Ok(channel_sum_kernel(op.name, args, &outs[0], &extents, product))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic, f32_info, ints};
    use relax_rt::DType;

    fn infer_err(args: &[TensorInfo], attrs: &Attrs) -> String {
        (lookup("conv2d_transpose").unwrap().infer)(args, attrs).unwrap_err()
    }

    #[test]
    fn scatters_each_input_by_hand() {
        // ONNX's ConvTranspose example: a 3x3 input of 0..9 and a 3x3 kernel
        // of ones give 5x5 sums of the input elements each position sees.
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 3, 3], &(0..9).map(f64::from).collect::<Vec<_>>());
        let w = NDArray::from_f64_values(DType::F32, &[1, 1, 3, 3], &[1.0; 9]);
        let out = check_op("conv2d_transpose", &[x, w], &Attrs::new());
        #[rustfmt::skip]
        let expected = [
            0., 1., 3., 3., 2.,
            3., 8., 15., 12., 7.,
            9., 21., 36., 27., 15.,
            9., 20., 33., 24., 13.,
            6., 13., 21., 15., 8.,
        ];
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[1, 1, 5, 5], &expected));
    }

    #[test]
    fn stride_leaves_gaps_and_output_padding_adds_a_row() {
        // A 1x2 input, kernel 1, stride 2: values land two apart, the gap is 0.
        let x = NDArray::from_f64_values(DType::F64, &[1, 1, 1, 2], &[3.0, 5.0]);
        let w = NDArray::from_f64_values(DType::F64, &[1, 1, 1, 1], &[2.0]);
        let attrs = Attrs::new().with("strides", ints(&[2, 2])).with("output_padding", ints(&[1, 1]));
        let out = check_op("conv2d_transpose", &[x, w], &attrs);
        let expected = [6.0, 0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(out[0], NDArray::from_f64_values(DType::F64, &[1, 1, 2, 4], &expected));
    }

    #[test]
    fn three_dimensions() {
        // Along the width, stride 2 and a kernel of two ones spread [1, 2] to [1, 1, 2, 2].
        let x = NDArray::from_f64_values(DType::F32, &[1, 1, 1, 1, 2], &[1.0, 2.0]);
        let w = NDArray::from_f64_values(DType::F32, &[1, 1, 1, 1, 2], &[1.0, 1.0]);
        let out = check_op("conv3d_transpose", &[x, w], &Attrs::new().with("strides", ints(&[1, 1, 2])));
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[1, 1, 1, 1, 4], &[1.0, 1.0, 2.0, 2.0]));
        let x = NDArray::random(DType::F32, &[2, 4, 3, 2, 3], 11);
        let w = NDArray::random(DType::F32, &[4, 3, 2, 3, 2], 12);
        let bias = NDArray::random(DType::F32, &[6], 13);
        let attrs = Attrs::new()
            .with("strides", ints(&[2, 1, 3]))
            .with("padding", ints(&[1, 0, 0, 0, 1, 1]))
            .with("dilation", ints(&[1, 2, 1]))
            .with("output_padding", ints(&[1, 0, 2]))
            .with("groups", AttrValue::Int(2));
        check_op_symbolic("conv3d_transpose", &[x, w, bias], &attrs, &[(0, 0, "n"), (0, 2, "d")]);
    }

    #[test]
    fn random_strided_dilated_grouped_padded_with_bias() {
        let x = NDArray::random(DType::F32, &[2, 4, 5, 4], 1);
        let w = NDArray::random(DType::F32, &[4, 3, 3, 2], 2);
        let bias = NDArray::random(DType::F32, &[6], 3);
        let attrs = Attrs::new()
            .with("strides", ints(&[3, 2]))
            .with("padding", ints(&[1, 0, 2, 1]))
            .with("dilation", ints(&[2, 1]))
            .with("output_padding", ints(&[1, 1]))
            .with("groups", AttrValue::Int(2));
        let out = check_op("conv2d_transpose", &[x, w, bias], &attrs);
        // Height (5 - 1) * 3 - 3 + 2 * 2 + 1 + 1 = 15, width (4 - 1) * 2 - 1 + 1 + 1 + 1 = 8.
        assert_eq!(out[0].shape(), &[2, 6, 15, 8]);
        let (xi, wi) = (NDArray::random(DType::I32, &[1, 2, 3, 3], 4), NDArray::random(DType::I32, &[2, 2, 2, 2], 5));
        check_op("conv2d_transpose", &[xi, wi], &Attrs::new().with("strides", ints(&[2, 1])));
    }

    #[test]
    fn symbolic_batch_and_spatial_dims_and_empty_input() {
        let x = NDArray::random(DType::F32, &[2, 3, 4, 5], 6);
        let w = NDArray::random(DType::F32, &[3, 2, 3, 3], 7);
        let attrs = Attrs::new().with("strides", ints(&[2, 2])).with("padding", ints(&[1, -1, 0, -2]));
        check_op_symbolic("conv2d_transpose", &[x, w.clone()], &attrs, &[(0, 0, "n"), (0, 2, "h"), (0, 3, "w")]);
        // Height 0: (0 - 1) * 1 + 3 = 2 rows, all the bias, and no load is issued.
        let empty = NDArray::zeros(DType::F32, &[1, 3, 0, 2]);
        let bias = NDArray::from_f64_values(DType::F32, &[2], &[4.0, 5.0]);
        let out = check_op_symbolic("conv2d_transpose", &[empty, w, bias], &Attrs::new(), &[(0, 2, "h")]);
        assert_eq!(out[0].shape(), &[1, 2, 2, 4]);
        assert!((0..8).all(|i| out[0].get(i).to_f64() == 4.0));
    }

    #[test]
    fn rejects_bad_shapes_and_attributes() {
        let (x, w) = (f32_info(&[1, 4, 3, 3]), f32_info(&[4, 2, 3, 3]));
        assert_eq!(
            infer_err(&[f32_info(&[1, 3, 3, 3]), w.clone()], &Attrs::new()),
            "conv2d_transpose: input [1, 3, 3, 3] has 3 channels but weight [4, 2, 3, 3] expects 4"
        );
        assert_eq!(
            infer_err(&[x.clone(), w.clone()], &Attrs::new().with("groups", AttrValue::Int(3))),
            "conv2d_transpose: weight [4, 2, 3, 3] has 4 input channels, which groups = 3 does not divide"
        );
        assert_eq!(
            infer_err(&[x.clone(), w.clone(), f32_info(&[3])], &Attrs::new()),
            "conv2d_transpose: bias must have shape [2] (one value per output channel), got [3]"
        );
        assert_eq!(
            infer_err(&[x.clone(), w.clone()], &Attrs::new().with("output_padding", ints(&[1, -1]))),
            "conv2d_transpose: attribute `output_padding` must be at least 0, got [1, -1]"
        );
        assert_eq!(
            infer_err(&[x.clone(), w.clone()], &Attrs::new().with("padding", ints(&[3, 0]))),
            "conv2d_transpose: input [1, 4, 3, 3] gives output height -1; the padding [3, 0, 3, 0] crops too much"
        );
        assert_eq!(
            infer_err(&[f32_info(&[4, 3, 3]), w], &Attrs::new()),
            "conv2d_transpose: input must be 4-D NCHW, got shape [4, 3, 3]"
        );
    }
}
