//! Pooling over NCHW and NCDHW inputs: `max_pool2d`, `avg_pool2d`,
//! `lp_pool2d`, their 3-D forms `max_pool3d`, `avg_pool3d` and `lp_pool3d`,
//! and `global_avg_pool2d`.
//!
//! The windowed pools take `kernel` (`[kh, kw]`, or `[kd, kh, kw]`), the
//! `strides`, `padding` and `dilation` attributes of [`super::window`], and
//! `ceil_mode = false`.
//! Padding never contributes a value: max ignores it (as if it were -inf, or
//! the dtype's lowest integer), and the average divides by the number of
//! real input elements in the window; with `count_include_pad` it counts the
//! padding too, but never positions past it that ceil mode can reach
//! (PyTorch's and ONNX's semantics). The Lp pool of order `p` is the
//! window's Lp norm, `(sum |x|^p)^(1/p)`, to which padding adds nothing. A
//! window lying wholly in padding (only
//! possible when the padding is at least the window's span, which PyTorch
//! rejects and ONNX allows) gives the max's identity and an average of NaN.

use super::window::{
    expect_4d, expect_rank, input_layout, output_spatial, padded_get, padded_load, parse_windows, positive_list, Window,
};
use crate::interp::tir::binary;
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo, UnOp};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{
    accumulator, expect_args, expect_attrs, expect_dtype_class, index_vars, infos_of, load, prim_func, reduce,
    with_accumulators, Combine, DTypeClass, Fold, InOp,
};
use crate::op::formula::{ScalarCode, ScalarOps, ScalarValue};
use crate::op::{OpDef, OpKind};
use relax_rt::DType;

/// The windowed pool `kind` over `spatial` axes as an operator.
macro_rules! pool_op {
    ($kind:expr, $spatial:expr, $eval:ident, $legalize:ident) => {
        OpDef {
            name: Pool { kind: $kind, spatial: $spatial }.name(),
            kind: OpKind::OutEWiseFusable,
            infer: |args, attrs| Ok(check(Pool { kind: $kind, spatial: $spatial }, args, attrs)?.struct_info()),
            eval: |args, attrs| $eval(Pool { kind: $kind, spatial: $spatial }, args, attrs),
            legalize: |args, attrs, outs| $legalize(Pool { kind: $kind, spatial: $spatial }, args, attrs, outs),
        }
    };
}

pub const MAX_POOL2D: OpDef = pool_op!(Kind::Max, 2, eval_max, legalize_max);
pub const AVG_POOL2D: OpDef = pool_op!(Kind::Avg, 2, eval_avg, legalize_avg);
pub const MAX_POOL3D: OpDef = pool_op!(Kind::Max, 3, eval_max, legalize_max);
pub const AVG_POOL3D: OpDef = pool_op!(Kind::Avg, 3, eval_avg, legalize_avg);
pub const LP_POOL2D: OpDef = pool_op!(Kind::Lp, 2, eval_lp, legalize_lp);
pub const LP_POOL3D: OpDef = pool_op!(Kind::Lp, 3, eval_lp, legalize_lp);

pub const GLOBAL_AVG_POOL2D: OpDef = OpDef {
    name: "global_avg_pool2d",
    kind: OpKind::OutEWiseFusable,
    infer: |args, attrs| {
        let x = check_global(args, attrs)?;
        let (n, c) = (x.shape[0].clone(), x.shape[1].clone());
        Ok(StructInfo::tensor(x.dtype, vec![n, c, Dim::Int(1), Dim::Int(1)]))
    },
    eval: eval_global_avg,
    legalize: legalize_global_avg,
};

/// Which windowed pool.
#[derive(Clone, Copy)]
enum Kind {
    Max,
    Avg,
    Lp,
}

/// A windowed pool and its number of spatial axes (2 or 3).
#[derive(Clone, Copy)]
struct Pool {
    kind: Kind,
    spatial: usize,
}

impl Pool {
    const fn name(self) -> &'static str {
        match (self.kind, self.spatial) {
            (Kind::Max, 3) => "max_pool3d",
            (Kind::Avg, 3) => "avg_pool3d",
            (Kind::Lp, 3) => "lp_pool3d",
            (Kind::Max, _) => "max_pool2d",
            (Kind::Avg, _) => "avg_pool2d",
            (Kind::Lp, _) => "lp_pool2d",
        }
    }

    fn dtypes(self) -> DTypeClass {
        match self.kind {
            Kind::Max => DTypeClass::Numeric,
            Kind::Avg | Kind::Lp => DTypeClass::Float,
        }
    }

    fn attrs(self) -> &'static [&'static str] {
        match self.kind {
            Kind::Max => &["kernel", "strides", "padding", "dilation", "ceil_mode"],
            Kind::Avg => &["kernel", "strides", "padding", "dilation", "ceil_mode", "count_include_pad"],
            Kind::Lp => &["kernel", "strides", "padding", "dilation", "ceil_mode", "p"],
        }
    }

    /// How the `kernel` attribute reads, for messages.
    fn kernel_form(self) -> &'static str {
        if self.spatial == 3 {
            "[kd, kh, kw]"
        } else {
            "[kh, kw]"
        }
    }
}

/// A validated windowed pool.
struct Pooling {
    dtype: DType,
    windows: Vec<Window>,
    count_include_pad: bool,
    output: Vec<Dim>,
}

impl Pooling {
    fn struct_info(self) -> StructInfo {
        StructInfo::tensor(self.dtype, self.output)
    }

    /// The output shape as concrete sizes (reference semantics only see static shapes).
    fn static_output(&self, op: &str) -> Result<Vec<usize>, String> {
        TensorInfo::new(self.dtype, self.output.clone())
            .static_shape()
            .ok_or_else(|| format!("{op}: output shape is not static"))
    }
}

fn check(pool: Pool, args: &[TensorInfo], attrs: &Attrs) -> Result<Pooling, String> {
    let op = pool.name();
    expect_args(op, args, 1)?;
    expect_attrs(op, attrs, pool.attrs())?;
    let x = &args[0];
    expect_rank(op, "input", input_layout(pool.spatial), x, pool.spatial + 2)?;
    expect_dtype_class(op, x.dtype, pool.dtypes())?;
    if let Kind::Lp = pool.kind {
        lp_order(op, attrs)?;
    }
    let kernel = positive_list(op, attrs, "kernel", pool.spatial)?
        .ok_or_else(|| format!("{op}: missing attribute `kernel` ({})", pool.kernel_form()))?;
    let windows = parse_windows(op, attrs, &kernel)?;
    let ceil_mode = attrs.bool_or("ceil_mode", false).in_op(op)?;
    let count_include_pad = attrs.bool_or("count_include_pad", false).in_op(op)?;
    let mut output = vec![x.shape[0].clone(), x.shape[1].clone()];
    output.extend(output_spatial(op, &windows, &x.shape, ceil_mode)?);
    Ok(Pooling { dtype: x.dtype, windows, count_include_pad, output })
}

/// Visits the taps of the window of output element `out` of a concrete
/// pool: `visit(value, counted)` with the input value (`fill` in padding)
/// and whether an average counts the position.
fn for_each_tap(pool: &Pooling, x: &NDArray, out: &[usize], fill: Scalar, mut visit: impl FnMut(Scalar, bool)) {
    let sizes = &x.shape()[2..];
    let taps: Vec<usize> = pool.windows.iter().zip(sizes).map(|(w, &d)| w.taps_at(d)).collect();
    for combo in 0..taps.iter().product() {
        let tap = unravel(combo, &taps);
        let mut idx = vec![out[0] as i64, out[1] as i64];
        let mut counted = true;
        for (a, w) in pool.windows.iter().enumerate() {
            let p = w.position_at(out[a + 2], tap[a]);
            counted &= w.covers_at(p, sizes[a], pool.count_include_pad);
            idx.push(p);
        }
        visit(padded_get(x, &idx, fill), counted);
    }
}

fn eval_max(op: Pool, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let pool = check(op, &infos_of(args), attrs)?;
    let out_shape = pool.static_output(op.name())?;
    let lowest = Combine::Max.init_value(pool.dtype);
    let value = |flat: usize| {
        let mut best = lowest;
        for_each_tap(&pool, args[0], &unravel(flat, &out_shape), lowest, |v, _| {
            best = Combine::Max.apply_scalar(best, v)
        });
        best
    };
    Ok(vec![NDArray::from_fn(pool.dtype, &out_shape, value)])
}

/// The input index read by the taps `r` of output element `o`: `[n, c,
/// positions...]` (positions may lie in the padding).
fn tap_index(windows: &[Window], o: &[PExpr], r: &[PExpr]) -> Vec<PExpr> {
    let mut idx = vec![o[0].clone(), o[1].clone()];
    idx.extend(windows.iter().enumerate().map(|(a, w)| w.position(o[a + 2].clone(), r[a].clone())));
    idx
}

/// The tap counts of each spatial axis.
fn tap_extents(windows: &[Window], input: &[Dim]) -> Vec<Dim> {
    windows.iter().enumerate().map(|(a, w)| w.taps(&input[a + 2])).collect()
}

/// The max over each window's taps, padding reading as the identity.
fn legalize_max(op: Pool, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let pool = check(op, args, attrs)?;
    let input = &args[0].shape;
    let lowest = Combine::Max.init(pool.dtype);
    let tap = |o: &[PExpr], r: &[PExpr]| padded_load(0, input, tap_index(&pool.windows, o, r), lowest.clone());
    let taps = tap_extents(&pool.windows, input);
    let fold = Fold { extents: &taps, combine: Combine::Max, acc_dtype: pool.dtype };
    Ok(reduce(op.name(), args, &outs[0], fold, tap, |acc, _| acc))
}

fn eval_avg(op: Pool, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let pool = check(op, &infos_of(args), attrs)?;
    let dtype = pool.dtype;
    let out_shape = pool.static_output(op.name())?;
    let zero = Scalar::F(0.0);
    let value = |flat: usize| {
        let (mut sum, mut count) = (zero, 0i64);
        for_each_tap(&pool, args[0], &unravel(flat, &out_shape), zero, |v, counted| {
            sum = Combine::Sum.apply_scalar(sum, v).cast(dtype);
            count += counted as i64;
        });
        binary(BinOp::Div, sum, Scalar::I(count).cast(dtype), dtype)
    };
    Ok(vec![NDArray::from_fn(dtype, &out_shape, value)])
}

/// Per output element, a `sum` of the window's values and a `count` of the
/// positions that average counts, then `sum / count`.
fn legalize_avg(op: Pool, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let pool = check(op, args, attrs)?;
    let (input, out, dtype) = (&args[0].shape, &outs[0], pool.dtype);
    let (out_vars, tap_vars) = (index_vars("i", out.rank()), index_vars("r", pool.windows.len()));
    let o: Vec<PExpr> = out_vars.iter().map(|v| PExpr::var(v)).collect();
    let r: Vec<PExpr> = tap_vars.iter().map(|v| PExpr::var(v)).collect();
    let idx = tap_index(&pool.windows, &o, &r);
    let counted = pool
        .windows
        .iter()
        .enumerate()
        .map(|(a, w)| w.covers(idx[a + 2].clone(), &input[a + 2], pool.count_include_pad))
        .reduce(|p, q| PExpr::bin(BinOp::And, p, q))
        .unwrap_or(PExpr::Bool(true));
    let (zero, one) = (PExpr::constant(0.0, dtype), PExpr::constant(1.0, dtype));
    let value = padded_load(0, input, idx, zero.clone());
    let step = Stmt::Seq(vec![
        Stmt::store("sum", vec![], accumulator("sum") + value),
        Stmt::store("count", vec![], accumulator("count") + PExpr::select(counted, one, zero.clone())),
    ]);
    let per_output = Stmt::Seq(vec![
        Stmt::store("sum", vec![], zero.clone()),
        Stmt::store("count", vec![], zero),
        Stmt::loop_nest(&tap_vars, &tap_extents(&pool.windows, input), step),
        Stmt::store("out", o, accumulator("sum") / accumulator("count")),
    ]);
    let body = Stmt::loop_nest(&out_vars, &out.shape, with_accumulators(&["sum", "count"], dtype, per_output));
    Ok(prim_func(op.name(), args, &outs[..1], body))
}

/// The order `p` of an Lp pool `op`, a positive integer (default 2).
fn lp_order(op: &str, attrs: &Attrs) -> Result<i64, String> {
    match attrs.int_or("p", 2).in_op(op)? {
        p if p > 0 => Ok(p),
        p => Err(format!("{op}: the order p must be positive, got {p}")),
    }
}

/// `|x|^p`, with the common orders as plain arithmetic.
fn lp_power<S: ScalarOps>(x: S, p: i64) -> S {
    let magnitude = x.un(UnOp::Abs);
    match p {
        1 => magnitude,
        2 => magnitude.clone() * magnitude,
        _ => {
            let order = magnitude.lit(p as f64);
            magnitude.bin(BinOp::Pow, order)
        }
    }
}

/// `sum^(1/p)`.
fn lp_root<S: ScalarOps>(sum: S, p: i64) -> S {
    match p {
        1 => sum,
        2 => sum.un(UnOp::Sqrt),
        _ => {
            let inverse = sum.lit(1.0 / p as f64);
            sum.bin(BinOp::Pow, inverse)
        }
    }
}

fn eval_lp(op: Pool, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let pool = check(op, &infos_of(args), attrs)?;
    let (dtype, p) = (pool.dtype, lp_order(op.name(), attrs)?);
    let out_shape = pool.static_output(op.name())?;
    let zero = ScalarValue::new(Scalar::F(0.0), dtype);
    let value = |flat: usize| {
        let mut sum = zero;
        for_each_tap(&pool, args[0], &unravel(flat, &out_shape), zero.value, |v, _| {
            sum = sum + lp_power(ScalarValue::new(v, dtype), p);
        });
        lp_root(sum, p).value
    };
    Ok(vec![NDArray::from_fn(dtype, &out_shape, value)])
}

/// The sum of `|x|^p` over each window's taps (padding reads as 0), then
/// its `p`-th root.
fn legalize_lp(op: Pool, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let pool = check(op, args, attrs)?;
    let (input, dtype, p) = (&args[0].shape, pool.dtype, lp_order(op.name(), attrs)?);
    let tap = |o: &[PExpr], r: &[PExpr]| {
        let x = padded_load(0, input, tap_index(&pool.windows, o, r), PExpr::constant(0.0, dtype));
        lp_power(ScalarCode::new(x, dtype), p).expr
    };
    let taps = tap_extents(&pool.windows, input);
    let fold = Fold { extents: &taps, combine: Combine::Sum, acc_dtype: dtype };
    let root = |acc: PExpr, _: &[PExpr]| lp_root(ScalarCode::new(acc, dtype), p).expr;
    Ok(reduce(op.name(), args, &outs[0], fold, tap, root))
}

/// The input of `global_avg_pool2d`: one float NCHW tensor.
fn check_global<'a>(args: &'a [TensorInfo], attrs: &Attrs) -> Result<&'a TensorInfo, String> {
    let op = "global_avg_pool2d";
    expect_args(op, args, 1)?;
    expect_attrs(op, attrs, &[])?;
    expect_4d(op, "input", "NCHW", &args[0])?;
    expect_dtype_class(op, args[0].dtype, DTypeClass::Float)?;
    Ok(&args[0])
}

fn eval_global_avg(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let dtype = check_global(&infos_of(args), attrs)?.dtype;
    let x = args[0];
    let (n, c, area) = (x.shape()[0], x.shape()[1], x.shape()[2] * x.shape()[3]);
    let mean = |flat: usize| {
        let plane = (0..area).map(|i| x.get(flat * area + i));
        let sum = plane.fold(Scalar::F(0.0), |acc, v| Combine::Sum.apply_scalar(acc, v).cast(dtype));
        binary(BinOp::Div, sum, Scalar::I(area as i64).cast(dtype), dtype)
    };
    Ok(vec![NDArray::from_fn(dtype, &[n, c, 1, 1], mean)])
}

/// The sum over each (n, c) plane divided by its area.
fn legalize_global_avg(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let x = check_global(args, attrs)?;
    let (height, width) = (&x.shape[2], &x.shape[3]);
    let area = PExpr::cast(x.dtype, PExpr::from_dim(&(height.clone() * width.clone()).simplify()));
    let value = |o: &[PExpr], r: &[PExpr]| load(0, vec![o[0].clone(), o[1].clone(), r[0].clone(), r[1].clone()]);
    let extents = [height.clone(), width.clone()];
    let fold = Fold { extents: &extents, combine: Combine::Sum, acc_dtype: x.dtype };
    Ok(reduce("global_avg_pool2d", args, &outs[0], fold, value, |acc, _| acc / area.clone()))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic, ints};
    use relax_rt::DType;

    /// Attributes of a window with `kernel`, `strides` and symmetric `padding`.
    fn window(kernel: [i64; 2], strides: [i64; 2], padding: [i64; 2]) -> Attrs {
        Attrs::new().with("kernel", ints(&kernel)).with("strides", ints(&strides)).with("padding", ints(&padding))
    }

    fn image(values: &[f64], height: usize, width: usize) -> NDArray {
        NDArray::from_f64_values(DType::F32, &[1, 1, height, width], values)
    }

    fn infer_err(op: &str, x: TensorInfo, attrs: &Attrs) -> String {
        (lookup(op).unwrap().infer)(&[x], attrs).unwrap_err()
    }

    #[test]
    fn max_pool_by_hand() {
        let x = image(&(0..16).map(f64::from).collect::<Vec<_>>(), 4, 4);
        let out = check_op("max_pool2d", &[x], &window([2, 2], [2, 2], [0, 0]));
        assert_eq!(out[0], image(&[5.0, 7.0, 13.0, 15.0], 2, 2));
    }

    #[test]
    fn max_pool_ignores_padding() {
        // All values are negative: a zero from the padding would win if it counted.
        let x = image(&[-1.0, -2.0, -3.0, -4.0], 2, 2);
        let out = check_op("max_pool2d", &[x], &window([2, 2], [1, 1], [1, 1]));
        assert_eq!(out[0], image(&[-1.0, -1.0, -2.0, -1.0, -1.0, -2.0, -3.0, -3.0, -4.0], 3, 3));
    }

    #[test]
    fn avg_pool_excludes_padding_unless_asked() {
        let x = image(&[1.0, 2.0, 3.0, 4.0], 2, 2);
        let attrs = window([2, 2], [1, 1], [1, 1]);
        let out = check_op("avg_pool2d", std::slice::from_ref(&x), &attrs);
        assert_eq!(out[0], image(&[1.0, 1.5, 2.0, 2.0, 2.5, 3.0, 3.0, 3.5, 4.0], 3, 3));
        let out = check_op("avg_pool2d", &[x], &attrs.with("count_include_pad", AttrValue::Bool(true)));
        assert_eq!(out[0], image(&[0.25, 0.75, 0.5, 1.0, 2.5, 1.5, 0.75, 1.75, 1.0], 3, 3));
    }

    #[test]
    fn ceil_mode_adds_a_partial_last_window() {
        let x = image(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 1, 6);
        let floor = window([1, 3], [1, 2], [0, 0]);
        assert_eq!(check_op("avg_pool2d", std::slice::from_ref(&x), &floor)[0], image(&[2.0, 4.0], 1, 2));
        // The third window starts at 4 and runs past the end: it averages 5 and 6
        // whether or not padding counts, since there is no padding to count.
        let ceil = floor.with("ceil_mode", AttrValue::Bool(true));
        assert_eq!(check_op("avg_pool2d", std::slice::from_ref(&x), &ceil)[0], image(&[2.0, 4.0, 5.5], 1, 3));
        let include = ceil.clone().with("count_include_pad", AttrValue::Bool(true));
        assert_eq!(check_op("avg_pool2d", std::slice::from_ref(&x), &include)[0], image(&[2.0, 4.0, 5.5], 1, 3));
        assert_eq!(check_op("max_pool2d", &[x], &ceil)[0], image(&[3.0, 5.0, 6.0], 1, 3));
    }

    #[test]
    fn random_windows() {
        let x = NDArray::random(DType::F32, &[2, 3, 7, 8], 1);
        let attrs = window([3, 2], [2, 3], [1, 0])
            .with("dilation", ints(&[2, 1]))
            .with("padding", ints(&[1, 0, 2, 1]))
            .with("ceil_mode", AttrValue::Bool(true));
        for op in ["max_pool2d", "avg_pool2d"] {
            check_op(op, std::slice::from_ref(&x), &attrs);
        }
        check_op("avg_pool2d", &[x], &attrs.with("count_include_pad", AttrValue::Bool(true)));
        let bytes = NDArray::random(DType::I8, &[1, 2, 5, 5], 2);
        check_op("max_pool2d", &[bytes], &window([3, 3], [2, 2], [1, 1]));
    }

    #[test]
    fn lp_pool_is_the_norm_of_each_window() {
        let x = image(&[1.0, -2.0, 3.0, -4.0], 2, 2);
        let whole = |p: i64| window([2, 2], [1, 1], [0, 0]).with("p", AttrValue::Int(p));
        assert_eq!(check_op("lp_pool2d", std::slice::from_ref(&x), &whole(1))[0], image(&[10.0], 1, 1));
        let l2 = check_op("lp_pool2d", std::slice::from_ref(&x), &whole(2));
        l2[0].assert_close(&image(&[30f64.sqrt()], 1, 1), 1e-6, 0.0).unwrap();
        // Padded by one: a corner window holds one element, the centre all
        // four, (1 + 8 + 27 + 64)^(1/3) = 100^(1/3).
        let padded = window([2, 2], [1, 1], [1, 1]).with("p", AttrValue::Int(3));
        let out = check_op("lp_pool2d", std::slice::from_ref(&x), &padded);
        assert_eq!(out[0].at(&[0, 0, 0, 0]).to_f64(), 1.0);
        assert!((out[0].at(&[0, 0, 1, 1]).to_f64() - 100f64.cbrt()).abs() < 1e-5);
        let ceil = window([3, 2], [2, 3], [1, 0]).with("ceil_mode", AttrValue::Bool(true)).with("p", AttrValue::Int(3));
        check_op_symbolic("lp_pool2d", &[NDArray::random(DType::F64, &[2, 3, 7, 8], 6)], &ceil, &[(0, 0, "n")]);
        let zero = window([2, 2], [1, 1], [0, 0]).with("p", AttrValue::Int(0));
        let x = TensorInfo::new(DType::F32, vec![Dim::Int(1), Dim::Int(1), Dim::Int(2), Dim::Int(2)]);
        assert_eq!(infer_err("lp_pool2d", x, &zero), "lp_pool2d: the order p must be positive, got 0");
    }

    #[test]
    fn symbolic_batch_and_spatial_dims() {
        let x = NDArray::random(DType::F32, &[2, 3, 9, 8], 3);
        let attrs = window([3, 3], [2, 2], [1, 1]).with("ceil_mode", AttrValue::Bool(true));
        let symbolic = [(0, 0, "n"), (0, 2, "h"), (0, 3, "w")];
        for op in ["max_pool2d", "avg_pool2d", "global_avg_pool2d"] {
            let attrs = if op == "global_avg_pool2d" { Attrs::new() } else { attrs.clone() };
            check_op_symbolic(op, std::slice::from_ref(&x), &attrs, &symbolic);
        }
    }

    #[test]
    fn pools_in_three_dimensions() {
        // A 2x2x2 cube of 0..8: one window holds all of it (max 7, mean 3.5).
        let cube = NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2, 2], &(0..8).map(f64::from).collect::<Vec<_>>());
        let whole = Attrs::new().with("kernel", ints(&[2, 2, 2]));
        let one = |v: f64| NDArray::from_f64_values(DType::F32, &[1, 1, 1, 1, 1], &[v]);
        assert_eq!(check_op("max_pool3d", std::slice::from_ref(&cube), &whole)[0], one(7.0));
        assert_eq!(check_op("avg_pool3d", &[cube], &whole)[0], one(3.5));
        let x = NDArray::random(DType::F32, &[2, 2, 5, 6, 7], 5);
        let attrs = Attrs::new()
            .with("kernel", ints(&[3, 2, 3]))
            .with("strides", ints(&[2, 1, 2]))
            .with("dilation", ints(&[1, 2, 1]))
            .with("padding", ints(&[1, 0, 1, 1, 1, 0]))
            .with("ceil_mode", AttrValue::Bool(true));
        let symbolic = [(0, 0, "n"), (0, 2, "d"), (0, 4, "w")];
        for op in ["max_pool3d", "avg_pool3d"] {
            check_op_symbolic(op, std::slice::from_ref(&x), &attrs, &symbolic);
        }
        check_op("avg_pool3d", &[x], &attrs.with("count_include_pad", AttrValue::Bool(true)));
        let flat = TensorInfo::new(DType::F32, vec![Dim::Int(1), Dim::Int(3), Dim::Int(4), Dim::Int(4)]);
        assert_eq!(
            infer_err("max_pool3d", flat, &Attrs::new().with("kernel", ints(&[2, 2, 2]))),
            "max_pool3d: input must be 5-D NCDHW, got shape [1, 3, 4, 4]"
        );
    }

    #[test]
    fn lp_pool_in_three_dimensions() {
        // The cube of 0..8 in one window: L1 norm 0 + 1 + ... + 7 = 28, L2 norm
        // sqrt(0 + 1 + 4 + 9 + 16 + 25 + 36 + 49) = sqrt(140).
        let cube = NDArray::from_f64_values(DType::F64, &[1, 1, 2, 2, 2], &(0..8).map(f64::from).collect::<Vec<_>>());
        let whole = |p: i64| Attrs::new().with("kernel", ints(&[2, 2, 2])).with("p", AttrValue::Int(p));
        let one = |v: f64| NDArray::from_f64_values(DType::F64, &[1, 1, 1, 1, 1], &[v]);
        assert_eq!(check_op("lp_pool3d", std::slice::from_ref(&cube), &whole(1))[0], one(28.0));
        check_op("lp_pool3d", &[cube], &whole(2))[0].assert_close(&one(140f64.sqrt()), 1e-12, 0.0).unwrap();
        let attrs = Attrs::new()
            .with("kernel", ints(&[2, 3, 2]))
            .with("strides", ints(&[1, 2, 2]))
            .with("padding", ints(&[0, 1, 1, 1, 0, 1]))
            .with("ceil_mode", AttrValue::Bool(true))
            .with("p", AttrValue::Int(3));
        let x = NDArray::random(DType::F32, &[1, 2, 4, 5, 6], 7);
        check_op_symbolic("lp_pool3d", &[x], &attrs, &[(0, 0, "n"), (0, 3, "h")]);
    }

    #[test]
    fn global_avg_pool_by_hand() {
        let x = NDArray::from_f64_values(DType::F64, &[1, 2, 2, 2], &[1.0, 2.0, 3.0, 4.0, -1.0, -1.0, 5.0, 1.0]);
        let out = check_op("global_avg_pool2d", &[x], &Attrs::new());
        assert_eq!(out[0], NDArray::from_f64_values(DType::F64, &[1, 2, 1, 1], &[2.5, 1.0]));
        check_op("global_avg_pool2d", &[NDArray::random(DType::F32, &[2, 3, 5, 4], 4)], &Attrs::new());
    }

    #[test]
    fn rejects_bad_inputs_and_attributes() {
        let x = TensorInfo::new(DType::F32, vec![Dim::Int(1), Dim::Int(3), Dim::Int(4), Dim::Int(4)]);
        assert_eq!(
            infer_err("max_pool2d", x.clone(), &Attrs::new()),
            "max_pool2d: missing attribute `kernel` ([kh, kw])"
        );
        assert_eq!(
            infer_err("max_pool2d", x.clone(), &window([2, 5], [1, 1], [0, 0])),
            "max_pool2d: the window spans 5 elements of the input width (kernel 5, dilation 1) but the padded width is 4"
        );
        let ints = TensorInfo::new(DType::I32, x.shape.clone());
        assert_eq!(
            infer_err("avg_pool2d", ints.clone(), &window([2, 2], [1, 1], [0, 0])),
            "avg_pool2d: expected float tensors (f16, bf16, f32, f64), got i32"
        );
        assert_eq!(
            infer_err("global_avg_pool2d", ints, &Attrs::new()),
            "global_avg_pool2d: expected float tensors (f16, bf16, f32, f64), got i32"
        );
        let flat = TensorInfo::new(DType::F32, vec![Dim::Int(3), Dim::Int(4)]);
        assert_eq!(
            infer_err("global_avg_pool2d", flat, &Attrs::new()),
            "global_avg_pool2d: input must be 4-D NCHW, got shape [3, 4]"
        );
        let include = window([2, 2], [1, 1], [0, 0]).with("count_include_pad", AttrValue::Bool(true));
        assert_eq!(
            infer_err("max_pool2d", x, &include),
            "max_pool2d: unknown attribute `count_include_pad` (it takes kernel, strides, padding, dilation, ceil_mode)"
        );
    }
}
