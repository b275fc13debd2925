//! Indexing operators: running sums and products (`cumsum`, `cumprod`),
//! triangle masks (`trilu`),
//! `one_hot`, element-wise and n-dimensional gathers and scatters, and
//! `hardmax`. What they share is that an element's position, not only its
//! value, decides the result, often through an index read from a tensor.
//!
//! Indices read from tensors are wrapped (negative counts from the end) and,
//! in kernels, clamped into their axis: nothing checks them at run time, so a
//! bad index reads or writes a wrong element but never outside a buffer.
//! Reference semantics report such an index instead. Scatter kernels copy the
//! data into the output, then write the updates in a second loop nest.

use super::compute::{
    compute, compute_stmt, expect_args, expect_attrs, expect_dtype_class, index_vars, info_of, infos_of, load,
    normalize_axis, prim_func, reduce, require_equal, with_accumulators, Combine, DTypeClass, Fold, InOp, Remedy,
    Unproven,
};
use super::{OpDef, OpKind};
use crate::interp::tir::binary;
use crate::ir::{Attrs, BinOp, Dim, Equality, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use relax_rt::DType;

pub const OPS: &[OpDef] = &[
    OpDef {
        name: "cumsum",
        kind: OpKind::Opaque,
        infer: |args, attrs| infer_scan(CUMSUM, args, attrs),
        eval: |args, attrs| eval_scan(CUMSUM, args, attrs),
        legalize: |args, attrs, outs| legalize_scan(CUMSUM, args, attrs, outs),
    },
    OpDef {
        name: "cumprod",
        kind: OpKind::Opaque,
        infer: |args, attrs| infer_scan(CUMPROD, args, attrs),
        eval: |args, attrs| eval_scan(CUMPROD, args, attrs),
        legalize: |args, attrs, outs| legalize_scan(CUMPROD, args, attrs, outs),
    },
    OpDef { name: "trilu", kind: OpKind::Opaque, infer: infer_trilu, eval: eval_trilu, legalize: legalize_trilu },
    OpDef {
        name: "one_hot",
        kind: OpKind::Opaque,
        infer: infer_one_hot,
        eval: eval_one_hot,
        legalize: legalize_one_hot,
    },
    OpDef {
        name: "gather_elements",
        kind: OpKind::Opaque,
        infer: infer_gather_elements,
        eval: eval_gather_elements,
        legalize: legalize_gather_elements,
    },
    OpDef {
        name: "scatter_elements",
        kind: OpKind::Opaque,
        infer: infer_scatter_elements,
        eval: eval_scatter_elements,
        legalize: legalize_scatter_elements,
    },
    OpDef {
        name: "scatter_nd",
        kind: OpKind::Opaque,
        infer: infer_scatter_nd,
        eval: eval_scatter_nd,
        legalize: legalize_scatter_nd,
    },
    OpDef {
        name: "gather_nd",
        kind: OpKind::Opaque,
        infer: infer_gather_nd,
        eval: eval_gather_nd,
        legalize: legalize_gather_nd,
    },
    OpDef {
        name: "hardmax",
        kind: OpKind::Opaque,
        infer: infer_hardmax,
        eval: eval_hardmax,
        legalize: legalize_hardmax,
    },
];

// ---- shared plumbing ----

/// The arguments of `op`'s reference semantics, `n` of them.
fn values<'a, 'b>(op: &str, args: &'b [&'a NDArray], n: usize) -> Result<&'b [&'a NDArray], String> {
    if args.len() == n {
        Ok(args)
    } else {
        Err(format!("{op}: expected {n} arguments, got {}", args.len()))
    }
}

/// The single output buffer of `op`'s kernel.
fn the_output<'a>(op: &str, outs: &'a [TensorInfo]) -> Result<&'a TensorInfo, String> {
    match outs {
        [out] => Ok(out),
        _ => Err(format!("{op}: writes 1 output, its kernel was asked for {}", outs.len())),
    }
}

/// An axis of `op` that must name an existing axis of a tensor of `rank`.
fn axis_in(op: &str, axis: i64, rank: usize) -> Result<usize, String> {
    if rank == 0 {
        return Err(format!("{op}: expected a tensor of rank at least 1, got a scalar"));
    }
    normalize_axis(op, axis, rank)
}

/// Indices must be integers.
fn expect_indices(op: &str, indices: &TensorInfo) -> Result<(), String> {
    if matches!(indices.dtype, DType::I32 | DType::I64) {
        Ok(())
    } else {
        Err(format!("{op}: indices must be i32 or i64, got {}", indices.dtype))
    }
}

/// A Python-style index (negative counts from the end) into an axis of size
/// `dim`, for reference semantics, which reject one outside the axis.
fn wrap_index(op: &str, i: i64, dim: usize) -> Result<usize, String> {
    let wrapped = if i < 0 { i + dim as i64 } else { i };
    if (0..dim as i64).contains(&wrapped) {
        Ok(wrapped as usize)
    } else {
        Err(format!("{op}: index {i} is out of range for an axis of size {dim}"))
    }
}

/// [`wrap_index`] as index arithmetic on a raw index of any integer dtype,
/// clamped into `0..dim` so the kernel stays inside the buffer.
fn clamped_index(raw: PExpr, dim: &Dim) -> PExpr {
    let (raw, dim) = (PExpr::cast(DType::I64, raw), PExpr::from_dim(dim));
    let negative = PExpr::bin(BinOp::Lt, raw.clone(), PExpr::int(0));
    let wrapped = PExpr::select(negative, raw.clone() + dim.clone(), raw);
    PExpr::bin(BinOp::Max, PExpr::bin(BinOp::Min, wrapped, dim - PExpr::int(1)), PExpr::int(0))
}

/// Loop variable `i` of an axis of extent `extent` used to index an axis of
/// size `dim`: unchanged when the two are provably equal, otherwise clamped,
/// since only the constant case is checked at compile time.
fn within(i: &PExpr, extent: &Dim, dim: &Dim) -> PExpr {
    if extent.equality(dim) == Equality::Proven {
        i.clone()
    } else {
        PExpr::bin(BinOp::Min, i.clone(), PExpr::from_dim(dim) - PExpr::int(1))
    }
}

/// `body`, run only when `data` has elements: clamping cannot bring an index
/// into an empty axis, so a kernel that reads or writes `data` by index does
/// `otherwise` instead. No guard when `data` is provably non-empty.
fn when_nonempty(data: &TensorInfo, body: Stmt, otherwise: Option<Stmt>) -> Stmt {
    let count = Dim::product(&data.shape).simplify();
    if count.as_int().is_some_and(|c| c > 0) {
        return body;
    }
    let cond = PExpr::bin(BinOp::Gt, PExpr::from_dim(&count), PExpr::int(0));
    Stmt::If { cond, then_branch: Box::new(body), else_branch: otherwise.map(Box::new) }
}

/// A gather kernel: `out[i] = f(i)`, which reads the data (`in0`) by index;
/// an empty data tensor (only reachable with invalid indices) gives zeros.
fn gather_kernel(op: &str, args: &[TensorInfo], out: &TensorInfo, f: impl Fn(&[PExpr]) -> PExpr) -> PrimFunc {
    let zeros = compute_stmt("out", &out.shape, |_| PExpr::constant(0.0, out.dtype));
    let body = when_nonempty(&args[0], compute_stmt("out", &out.shape, f), Some(zeros));
    prim_func(op, args, std::slice::from_ref(out), body)
}

/// `idx` with entry `axis` replaced by `value`.
fn replaced<T: Clone>(idx: &[T], axis: usize, value: T) -> Vec<T> {
    let mut out = idx.to_vec();
    out[axis] = value;
    out
}

/// The loop variables `prefix0, prefix1, ...` as expressions.
fn var_exprs(prefix: &str, rank: usize) -> Vec<PExpr> {
    index_vars(prefix, rank).iter().map(|v| PExpr::var(v)).collect()
}

/// Requires every constant dim of `inner` to be at most `outer`'s but on
/// `indexed`: the indices of `op` may be smaller than the data on the axes
/// they do not index, and of any size on the one they do.
fn expect_within(op: &str, what: &str, inner: &[Dim], outer: &[Dim], indexed: usize) -> Result<(), String> {
    for (axis, (a, b)) in inner.iter().zip(outer).enumerate().filter(|(axis, _)| *axis != indexed) {
        if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
            if x > y {
                return Err(format!("{op}: {what} has size {x} on axis {axis}, more than the data's {y}"));
            }
        }
    }
    Ok(())
}

/// Requires two shapes to be provably equal, axis by axis.
fn expect_same_shape(op: &str, what: &str, a: &[Dim], b: &[Dim]) -> Result<(), String> {
    let text = |s: &[Dim]| crate::ir::dim::shape_to_string(s);
    if a.len() != b.len() {
        return Err(format!("{op}: {what}: shapes {} and {} differ in rank", text(a), text(b)));
    }
    for (x, y) in a.iter().zip(b) {
        let unproven = || Unproven {
            op,
            what: format!("{what} dims"),
            remedy: Remedy::Advice("state the shapes with match_cast".to_string()),
        };
        require_equal(x, y, unproven, || format!("{op}: {what}: shapes {} and {} differ", text(a), text(b)))?;
    }
    Ok(())
}

// ---- cumsum, trilu: an optional scalar argument ----

/// Requires argument `k` of `op`, named `what`, to be one integer (rank 0
/// or all unit dims): a run-time value standing for an attribute.
fn expect_one_int(op: &str, what: &str, arg: &TensorInfo) -> Result<(), String> {
    if !arg.dtype.is_int() || arg.shape.iter().any(|d| d.as_int() != Some(1)) {
        return Err(format!("{op}: {what} must be one integer, got {arg}"));
    }
    Ok(())
}

/// The single integer of an argument [`expect_one_int`] accepted, as the
/// kernel reads it.
fn load_one_int(k: usize, arg: &TensorInfo) -> PExpr {
    PExpr::cast(DType::I64, load(k, vec![PExpr::int(0); arg.rank()]))
}

/// An attribute given either as attribute `name` (with `default`) or as
/// argument 1 of a concrete call, but not both.
fn attr_or_arg(op: &str, args: &[&NDArray], attrs: &Attrs, name: &str, default: i64) -> Result<i64, String> {
    match args.get(1) {
        Some(arg) => Ok(arg.get(0).to_i64()),
        None => attrs.int_or(name, default).in_op(op),
    }
}

/// Checks that `op` has its tensor and, optionally, argument 1 standing for
/// attribute `name`, which must then be absent.
fn expect_tensor_and_scalar(op: &str, args: &[TensorInfo], attrs: &Attrs, name: &str) -> Result<(), String> {
    if !(1..=2).contains(&args.len()) {
        return Err(format!("{op}: expected 1 or 2 arguments, got {}", args.len()));
    }
    if let Some(arg) = args.get(1) {
        expect_one_int(op, &format!("the `{name}` argument"), arg)?;
        if attrs.get(name).is_some() {
            return Err(format!("{op}: `{name}` is given both as an attribute and as an argument"));
        }
    }
    Ok(())
}

// ---- cumsum, cumprod ----

/// A running fold along an axis: the operator's name and how it combines.
#[derive(Clone, Copy)]
struct Scan {
    name: &'static str,
    combine: Combine,
}

const CUMSUM: Scan = Scan { name: "cumsum", combine: Combine::Sum };
const CUMPROD: Scan = Scan { name: "cumprod", combine: Combine::Prod };

/// Which elements along the axis a running fold at position `i` includes:
/// `r <= i` by default, strictly before with `exclusive`, from the end with
/// `reverse`. One comparison serves the kernel and reference semantics.
fn scan_includes(op: &str, attrs: &Attrs) -> Result<BinOp, String> {
    let exclusive = attrs.bool_or("exclusive", false).in_op(op)?;
    let reverse = attrs.bool_or("reverse", false).in_op(op)?;
    Ok(match (exclusive, reverse) {
        (false, false) => BinOp::Le,
        (true, false) => BinOp::Lt,
        (false, true) => BinOp::Ge,
        (true, true) => BinOp::Gt,
    })
}

/// Checks `cumsum(x)` (axis attribute) or `cumsum(x, axis)` (axis known at
/// run time), or the same of `cumprod`; returns the axis when it is an
/// attribute.
fn check_scan(scan: Scan, args: &[TensorInfo], attrs: &Attrs) -> Result<Option<usize>, String> {
    let op = scan.name;
    expect_tensor_and_scalar(op, args, attrs, "axis")?;
    expect_attrs(op, attrs, &["axis", "exclusive", "reverse"])?;
    expect_dtype_class(op, args[0].dtype, DTypeClass::Numeric)?;
    scan_includes(op, attrs)?;
    let axis = axis_in(op, attrs.int_or("axis", 0).in_op(op)?, args[0].rank())?;
    Ok(Some(axis).filter(|_| args.len() == 1))
}

fn infer_scan(scan: Scan, args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    check_scan(scan, args, attrs)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

/// Folds in increasing position order, folding in the identity (0 or 1)
/// for excluded elements, exactly as the kernel does, so the two agree bit
/// for bit.
fn eval_scan(scan: Scan, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let (op, combine) = (scan.name, scan.combine);
    check_scan(scan, &infos_of(args), attrs)?;
    let x = args[0];
    let axis = axis_in(op, attr_or_arg(op, args, attrs, "axis", 0)?, x.shape().len())?;
    let includes = scan_includes(op, attrs)?;
    let (dtype, dim) = (x.dtype(), x.shape()[axis]);
    let identity = combine.init_value(dtype);
    Ok(vec![NDArray::from_fn(dtype, x.shape(), |flat| {
        let idx = unravel(flat, x.shape());
        (0..dim).fold(identity, |acc, r| {
            let taken = binary(includes, Scalar::I(r as i64), Scalar::I(idx[axis] as i64), DType::I64).to_bool();
            let term = if taken { x.at(&replaced(&idx, axis, r)) } else { identity };
            binary(combine.bin_op(), acc, term, dtype).cast(dtype)
        })
    })])
}

fn legalize_scan(scan: Scan, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (op, combine) = (scan.name, scan.combine);
    let axis = check_scan(scan, args, attrs)?;
    let includes = scan_includes(op, attrs)?;
    let out = the_output(op, outs)?;
    let Some(axis) = axis else { return Ok(scan_along_run_time_axis(scan, args, includes, out)) };
    let dtype = args[0].dtype;
    let fold = Fold { extents: std::slice::from_ref(&args[0].shape[axis]), combine, acc_dtype: dtype };
    let value = |oi: &[PExpr], ri: &[PExpr]| {
        let taken = PExpr::bin(includes, ri[0].clone(), oi[axis].clone());
        PExpr::select(taken, load(0, replaced(oi, axis, ri[0].clone())), combine.init(dtype))
    };
    Ok(reduce(op, args, out, fold, value, |acc, _| acc))
}

/// The kernel when the axis is an argument: the axis is wrapped and clamped
/// into the rank, and then selects, for each output element, the extent
/// folded over and the position it is at; the folded element's index is
/// the output's with `r` on the selected axis, so it stays in bounds.
fn scan_along_run_time_axis(scan: Scan, args: &[TensorInfo], includes: BinOp, out: &TensorInfo) -> PrimFunc {
    let (x, rank, combine) = (&args[0], args[0].rank(), scan.combine);
    let axis = clamped_index(load_one_int(1, &args[1]), &Dim::Int(rank as i64));
    let is_axis = |k: usize| PExpr::bin(BinOp::Eq, axis.clone(), PExpr::int(k as i64));
    let pick = |per_axis: Vec<PExpr>| {
        let last = per_axis[rank - 1].clone();
        per_axis.into_iter().enumerate().rev().skip(1).fold(last, |rest, (k, v)| PExpr::select(is_axis(k), v, rest))
    };
    let oi = var_exprs("i", rank);
    let r = PExpr::var("r");
    let extent = pick(x.shape.iter().map(PExpr::from_dim).collect());
    let position = pick(oi.clone());
    let source: Vec<PExpr> = (0..rank).map(|k| PExpr::select(is_axis(k), r.clone(), oi[k].clone())).collect();
    let term = PExpr::select(PExpr::bin(includes, r, position), load(0, source), combine.init(x.dtype));
    let acc = PExpr::load("acc", vec![]);
    let per_element = Stmt::Seq(vec![
        Stmt::store("acc", vec![], combine.init(x.dtype)),
        Stmt::for_("r", extent, Stmt::store("acc", vec![], combine.apply(acc.clone(), term))),
        Stmt::store("out", oi, acc),
    ]);
    let body = with_accumulators(&["acc"], x.dtype, per_element);
    prim_func(scan.name, args, std::slice::from_ref(out), Stmt::loop_nest(&index_vars("i", rank), &out.shape, body))
}

// ---- trilu ----

/// Checks `trilu(x)` or `trilu(x, k)`; returns whether the upper triangle is
/// kept.
fn check_trilu(args: &[TensorInfo], attrs: &Attrs) -> Result<bool, String> {
    expect_tensor_and_scalar("trilu", args, attrs, "k")?;
    expect_attrs("trilu", attrs, &["k", "upper"])?;
    if args[0].rank() < 2 {
        return Err(format!("trilu: expected a tensor of rank at least 2, got rank {}", args[0].rank()));
    }
    attrs.int_or("k", 0).in_op("trilu")?;
    attrs.bool_or("upper", true).in_op("trilu")
}

/// Element (row, column) is kept when `column - row >= k` in the upper
/// triangle, `<= k` in the lower one.
fn trilu_keep(upper: bool) -> BinOp {
    if upper {
        BinOp::Ge
    } else {
        BinOp::Le
    }
}

fn infer_trilu(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    check_trilu(args, attrs)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

fn eval_trilu(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let upper = check_trilu(&infos_of(args), attrs)?;
    let (x, k) = (args[0], attr_or_arg("trilu", args, attrs, "k", 0)?);
    let rank = x.shape().len();
    Ok(vec![NDArray::from_fn(x.dtype(), x.shape(), |flat| {
        let idx = unravel(flat, x.shape());
        let offset = Scalar::I(idx[rank - 1] as i64 - idx[rank - 2] as i64);
        let keep = binary(trilu_keep(upper), offset, Scalar::I(k), DType::I64).to_bool();
        if keep {
            x.get(flat)
        } else {
            Scalar::I(0).cast(x.dtype())
        }
    })])
}

fn legalize_trilu(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let upper = check_trilu(args, attrs)?;
    let k = match args.get(1) {
        Some(arg) => load_one_int(1, arg),
        None => PExpr::int(attrs.int_or("k", 0).in_op("trilu")?),
    };
    let (out, dtype, rank) = (the_output("trilu", outs)?, args[0].dtype, args[0].rank());
    Ok(compute("trilu", args, out, |i| {
        let offset = i[rank - 1].clone() - i[rank - 2].clone();
        let keep = PExpr::bin(trilu_keep(upper), offset, k.clone());
        PExpr::select(keep, load(0, i.to_vec()), PExpr::constant(0.0, dtype))
    }))
}

// ---- one_hot ----

/// `one_hot(indices, values)`: the output has a new axis of size `depth` at
/// `axis`; along it, position `indices[...]` (wrapped when negative) holds
/// `values[1]` and every other `values[0]`. An index outside `-depth..depth`
/// gives a row of `values[0]`, so nothing is read from it.
struct OneHot {
    /// Possibly symbolic (a depth the caller passes at run time).
    depth: Dim,
    axis: usize,
}

fn one_hot_attrs(args: &[TensorInfo], attrs: &Attrs) -> Result<OneHot, String> {
    expect_args("one_hot", args, 2)?;
    expect_attrs("one_hot", attrs, &["depth", "axis"])?;
    let (indices, values) = (&args[0], &args[1]);
    expect_dtype_class("one_hot", indices.dtype, DTypeClass::Numeric)?;
    if values.rank() != 1 || values.shape[0].as_int() != Some(2) {
        return Err(format!("one_hot: values must be [off, on], a tensor of shape [2], got {values}"));
    }
    let depth = match attrs.dims("depth").in_op("one_hot")?.as_deref() {
        Some([depth]) => depth.clone(),
        _ => return Err("one_hot: attribute `depth` must be one integer".to_string()),
    };
    if depth.as_int().is_some_and(|d| d < 1) {
        return Err(format!("one_hot: depth must be positive, got {depth}"));
    }
    let axis = normalize_axis("one_hot", attrs.int_or("axis", -1).in_op("one_hot")?, indices.rank() + 1)?;
    Ok(OneHot { depth, axis })
}

fn infer_one_hot(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let OneHot { depth, axis } = one_hot_attrs(args, attrs)?;
    let mut shape = args[0].shape.clone();
    shape.insert(axis, depth);
    Ok(StructInfo::tensor(args[1].dtype, shape))
}

fn eval_one_hot(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let [indices, on_off] = values("one_hot", args, 2)? else { unreachable!("two arguments were checked") };
    let OneHot { depth, axis } = one_hot_attrs(&infos_of(args), attrs)?;
    let depth = depth.as_int().ok_or_else(|| format!("one_hot: depth {depth} is not known"))?;
    let mut shape = indices.shape().to_vec();
    shape.insert(axis, depth as usize);
    Ok(vec![NDArray::from_fn(on_off.dtype(), &shape, |flat| {
        let mut idx = unravel(flat, &shape);
        let position = idx.remove(axis) as i64;
        let raw = indices.at(&idx).cast(DType::I64).to_i64();
        let wrapped = if raw < 0 { raw + depth } else { raw };
        on_off.get(usize::from(wrapped == position))
    })])
}

fn legalize_one_hot(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let OneHot { depth, axis } = one_hot_attrs(args, attrs)?;
    Ok(compute("one_hot", args, the_output("one_hot", outs)?, |i| {
        let mut idx = i.to_vec();
        let position = idx.remove(axis);
        let raw = PExpr::cast(DType::I64, load(0, idx));
        let negative = PExpr::bin(BinOp::Lt, raw.clone(), PExpr::int(0));
        let wrapped = PExpr::select(negative, raw.clone() + PExpr::from_dim(&depth), raw);
        let hot = PExpr::bin(BinOp::Eq, wrapped, position);
        PExpr::select(hot, load(1, vec![PExpr::int(1)]), load(1, vec![PExpr::int(0)]))
    }))
}

// ---- gather_elements ----

/// `out[i] = data[i with axis replaced by indices[i]]`; the output has the
/// indices' shape, which may be smaller than the data's on other axes.
fn gather_elements_axis(args: &[TensorInfo], attrs: &Attrs) -> Result<usize, String> {
    expect_args("gather_elements", args, 2)?;
    expect_attrs("gather_elements", attrs, &["axis"])?;
    let (data, indices) = (&args[0], &args[1]);
    expect_indices("gather_elements", indices)?;
    if data.rank() != indices.rank() {
        return Err(format!("gather_elements: indices {indices} must have the rank of the data {data}"));
    }
    let axis = axis_in("gather_elements", attrs.int_or("axis", 0).in_op("gather_elements")?, data.rank())?;
    expect_within("gather_elements", "indices", &indices.shape, &data.shape, axis)?;
    Ok(axis)
}

fn infer_gather_elements(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    gather_elements_axis(args, attrs)?;
    Ok(StructInfo::tensor(args[0].dtype, args[1].shape.clone()))
}

fn eval_gather_elements(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let [data, indices] = values("gather_elements", args, 2)? else { unreachable!("two arguments were checked") };
    let axis = gather_elements_axis(&infos_of(args), attrs)?;
    let dim = data.shape()[axis];
    let wrapped = (0..indices.numel())
        .map(|j| wrap_index("gather_elements", indices.get(j).to_i64(), dim))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(vec![NDArray::from_fn(data.dtype(), indices.shape(), |flat| {
        data.at(&replaced(&unravel(flat, indices.shape()), axis, wrapped[flat]))
    })])
}

fn legalize_gather_elements(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let axis = gather_elements_axis(args, attrs)?;
    let (data, indices) = (&args[0], &args[1]);
    Ok(gather_kernel("gather_elements", args, the_output("gather_elements", outs)?, |i| {
        let index = clamped_index(load(1, i.to_vec()), &data.shape[axis]);
        load(0, replaced(&element_target(i, indices, data), axis, index))
    }))
}

/// The data index that indices-shaped position `i` addresses on the axes
/// it does not index (kept inside the data's dims).
fn element_target(i: &[PExpr], indices: &TensorInfo, data: &TensorInfo) -> Vec<PExpr> {
    i.iter().zip(indices.shape.iter().zip(&data.shape)).map(|(v, (e, d))| within(v, e, d)).collect()
}

// ---- scatters: shared ----

/// How a scatter combines an update with the element already there: `none`
/// replaces it.
fn scatter_reduction(op: &str, data: &TensorInfo, attrs: &Attrs) -> Result<Option<Combine>, String> {
    let reduction = match attrs.str_or("reduction", "none").in_op(op)?.as_str() {
        "none" => None,
        "add" => Some(Combine::Sum),
        "mul" => Some(Combine::Prod),
        "max" => Some(Combine::Max),
        "min" => Some(Combine::Min),
        other => return Err(format!("{op}: unknown reduction `{other}` (expected none, add, mul, max or min)")),
    };
    if reduction.is_some() {
        expect_dtype_class(op, data.dtype, DTypeClass::Numeric)?;
    }
    Ok(reduction)
}

/// The new value of an updated element, in reference semantics.
fn combined(reduction: Option<Combine>, old: Scalar, update: Scalar, dtype: DType) -> Scalar {
    reduction.map_or(update, |c| c.apply_scalar(old, update)).cast(dtype)
}

/// A scatter kernel: `out = data`, then for every position `j` of `extents`
/// (loop vars `j*`) `out[target(j)]` combines with `in2[j]`; nothing is
/// written into empty data.
fn scatter_kernel(
    op: &str,
    args: &[TensorInfo],
    out: &TensorInfo,
    reduction: Option<Combine>,
    extents: &[Dim],
    target: impl Fn(&[PExpr]) -> Vec<PExpr>,
) -> PrimFunc {
    let copy = compute_stmt("out", &out.shape, |i| load(0, i.to_vec()));
    let j = var_exprs("j", extents.len());
    let at = target(&j);
    let update = load(2, j);
    let value = reduction.map_or(update.clone(), |c| c.apply(PExpr::load("out", at.clone()), update));
    let write = Stmt::loop_nest(&index_vars("j", extents.len()), extents, Stmt::store("out", at, value));
    let write = when_nonempty(&args[0], write, None);
    prim_func(op, args, std::slice::from_ref(out), Stmt::Seq(vec![copy, write]))
}

// ---- scatter_elements ----

/// The scattered axis and the reduction, after checking that updates have
/// the indices' shape.
fn scatter_elements_attrs(args: &[TensorInfo], attrs: &Attrs) -> Result<(usize, Option<Combine>), String> {
    const OP: &str = "scatter_elements";
    expect_args(OP, args, 3)?;
    expect_attrs(OP, attrs, &["axis", "reduction"])?;
    let (data, indices, updates) = (&args[0], &args[1], &args[2]);
    expect_indices(OP, indices)?;
    if updates.dtype != data.dtype {
        return Err(format!("{OP}: updates must have the data's dtype {}, got {}", data.dtype, updates.dtype));
    }
    if data.rank() != indices.rank() {
        return Err(format!("{OP}: indices {indices} must have the rank of the data {data}"));
    }
    expect_same_shape(OP, "indices and updates", &indices.shape, &updates.shape)?;
    let axis = axis_in(OP, attrs.int_or("axis", 0).in_op(OP)?, data.rank())?;
    expect_within(OP, "indices", &indices.shape, &data.shape, axis)?;
    Ok((axis, scatter_reduction(OP, data, attrs)?))
}

fn infer_scatter_elements(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    scatter_elements_attrs(args, attrs)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

fn eval_scatter_elements(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let [data, indices, updates] = values("scatter_elements", args, 3)? else { unreachable!("three were checked") };
    let (axis, reduction) = scatter_elements_attrs(&infos_of(args), attrs)?;
    let mut out = (*data).clone();
    for j in 0..indices.numel() {
        let index = wrap_index("scatter_elements", indices.get(j).to_i64(), data.shape()[axis])?;
        let target = crate::ndarray::ravel(&replaced(&unravel(j, indices.shape()), axis, index), data.shape());
        out.set(target, combined(reduction, out.get(target), updates.get(j), data.dtype()));
    }
    Ok(vec![out])
}

fn legalize_scatter_elements(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (axis, reduction) = scatter_elements_attrs(args, attrs)?;
    let (data, indices) = (&args[0], &args[1]);
    let out = the_output("scatter_elements", outs)?;
    Ok(scatter_kernel("scatter_elements", args, out, reduction, &indices.shape, |j| {
        let index = clamped_index(load(1, j.to_vec()), &data.shape[axis]);
        replaced(&element_target(j, indices, data), axis, index)
    }))
}

// ---- scatter_nd, gather_nd: shared ----

/// The length `k` of each index tuple: the last dim of the indices, which
/// must be a constant no larger than `limit` (the data axes it can address).
fn tuple_length(op: &str, indices: &TensorInfo, limit: usize) -> Result<usize, String> {
    expect_indices(op, indices)?;
    let last = indices.shape.last().ok_or_else(|| format!("{op}: indices must have rank at least 1, got a scalar"))?;
    match last.as_int() {
        Some(k) if (0..=limit as i64).contains(&k) => Ok(k as usize),
        Some(k) => Err(format!("{op}: index tuples of length {k} address more than the {limit} data axes available")),
        None => Err(format!("{op}: the last dim of the indices, {last}, must be a constant")),
    }
}

/// The data index of index tuple `prefix` of `indices` (its first `k`
/// entries, each wrapped and clamped into data axis `first + t`).
fn tuple_target(prefix: &[PExpr], k: usize, first: usize, data: &TensorInfo) -> Vec<PExpr> {
    (0..k)
        .map(|t| {
            let at: Vec<PExpr> = prefix.iter().cloned().chain([PExpr::int(t as i64)]).collect();
            clamped_index(load(1, at), &data.shape[first + t])
        })
        .collect()
}

/// [`tuple_target`] on concrete values: index tuple `n` (counted in the
/// indices' leading dims), each entry wrapped into data axis `first + t`.
fn tuple_value(
    op: &str,
    indices: &NDArray,
    n: usize,
    k: usize,
    first: usize,
    data: &NDArray,
) -> Result<Vec<usize>, String> {
    (0..k).map(|t| wrap_index(op, indices.get(n * k + t).to_i64(), data.shape()[first + t])).collect()
}

// ---- scatter_nd ----

/// `scatter_nd(data, indices, updates)`: index tuple `indices[j, :]` names
/// a slice of the data, which `updates[j, ...]` replaces (or combines with).
fn scatter_nd_attrs(args: &[TensorInfo], attrs: &Attrs) -> Result<(usize, Option<Combine>), String> {
    const OP: &str = "scatter_nd";
    expect_args(OP, args, 3)?;
    expect_attrs(OP, attrs, &["reduction"])?;
    let (data, indices, updates) = (&args[0], &args[1], &args[2]);
    if updates.dtype != data.dtype {
        return Err(format!("{OP}: updates must have the data's dtype {}, got {}", data.dtype, updates.dtype));
    }
    let k = tuple_length(OP, indices, data.rank())?;
    let q = indices.rank();
    let expected = [&indices.shape[..q - 1], &data.shape[k..]].concat();
    expect_same_shape(OP, "updates and indices[:-1] ++ data[k:]", &updates.shape, &expected)?;
    Ok((k, scatter_reduction(OP, data, attrs)?))
}

fn infer_scatter_nd(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    scatter_nd_attrs(args, attrs)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

fn eval_scatter_nd(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let [data, indices, updates] = values("scatter_nd", args, 3)? else { unreachable!("three were checked") };
    let (k, reduction) = scatter_nd_attrs(&infos_of(args), attrs)?;
    let q = indices.shape().len();
    let slice: Vec<usize> = data.shape()[k..].to_vec();
    let slice_len: usize = slice.iter().product();
    let mut out = (*data).clone();
    for n in 0..indices.shape()[..q - 1].iter().product() {
        let head = tuple_value("scatter_nd", indices, n, k, 0, data)?;
        for s in 0..slice_len {
            let target = crate::ndarray::ravel(&[head.clone(), unravel(s, &slice)].concat(), data.shape());
            let update = updates.get(n * slice_len + s);
            out.set(target, combined(reduction, out.get(target), update, data.dtype()));
        }
    }
    Ok(vec![out])
}

fn legalize_scatter_nd(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (k, reduction) = scatter_nd_attrs(args, attrs)?;
    let (data, q) = (&args[0], args[1].rank());
    let out = the_output("scatter_nd", outs)?;
    Ok(scatter_kernel("scatter_nd", args, out, reduction, &args[2].shape, |j| {
        [tuple_target(&j[..q - 1], k, 0, data), j[q - 1..].to_vec()].concat()
    }))
}

// ---- gather_nd ----

/// `gather_nd(data, indices)` with `batch_dims` b: the first b axes of both
/// are shared; each index tuple of length k then picks a slice of the data's
/// remaining axes. Returns (b, k).
fn gather_nd_attrs(args: &[TensorInfo], attrs: &Attrs) -> Result<(usize, usize), String> {
    const OP: &str = "gather_nd";
    expect_args(OP, args, 2)?;
    expect_attrs(OP, attrs, &["batch_dims"])?;
    let (data, indices) = (&args[0], &args[1]);
    let b = attrs.int_or("batch_dims", 0).in_op(OP)?;
    if b < 0 || b as usize >= indices.rank().max(1) || b as usize > data.rank() {
        return Err(format!("{OP}: batch_dims {b} must be below the rank of the indices and at most the data's"));
    }
    let b = b as usize;
    let k = tuple_length(OP, indices, data.rank() - b)?;
    expect_same_shape(OP, "batch dims of data and indices", &data.shape[..b], &indices.shape[..b])?;
    Ok((b, k))
}

fn gather_nd_shape<T: Clone>(data: &[T], indices: &[T], b: usize, k: usize) -> Vec<T> {
    [&indices[..indices.len() - 1], &data[b + k..]].concat()
}

fn infer_gather_nd(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let (b, k) = gather_nd_attrs(args, attrs)?;
    Ok(StructInfo::tensor(args[0].dtype, gather_nd_shape(&args[0].shape, &args[1].shape, b, k)))
}

fn eval_gather_nd(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let [data, indices] = values("gather_nd", args, 2)? else { unreachable!("two arguments were checked") };
    let (b, k) = gather_nd_attrs(&infos_of(args), attrs)?;
    let shape = gather_nd_shape(data.shape(), indices.shape(), b, k);
    let q = indices.shape().len();
    let slice_len: usize = data.shape()[b + k..].iter().product();
    let mut out = NDArray::zeros(data.dtype(), &shape);
    for flat in 0..out.numel() {
        let o = unravel(flat, &shape);
        let tuple = tuple_value("gather_nd", indices, flat / slice_len.max(1), k, b, data)?;
        out.set(flat, data.at(&[&o[..b], &tuple[..], &o[q - 1..]].concat()));
    }
    Ok(vec![out])
}

fn legalize_gather_nd(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (b, k) = gather_nd_attrs(args, attrs)?;
    let (data, q) = (&args[0], args[1].rank());
    Ok(gather_kernel("gather_nd", args, the_output("gather_nd", outs)?, |o| {
        load(0, [&o[..b], &tuple_target(&o[..q - 1], k, b, data)[..], &o[q - 1..]].concat())
    }))
}

// ---- hardmax ----

/// `hardmax`: 1 where an element is the first largest along `axis`, else 0.
fn hardmax_axis(args: &[TensorInfo], attrs: &Attrs) -> Result<usize, String> {
    expect_args("hardmax", args, 1)?;
    expect_attrs("hardmax", attrs, &["axis"])?;
    expect_dtype_class("hardmax", args[0].dtype, DTypeClass::Numeric)?;
    axis_in("hardmax", attrs.int_or("axis", -1).in_op("hardmax")?, args[0].rank())
}

fn infer_hardmax(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    hardmax_axis(args, attrs)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

/// Scans the axis as the kernel does: the first element is the best until a
/// strictly larger one replaces it.
fn eval_hardmax(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = values("hardmax", args, 1)?[0];
    let axis = hardmax_axis(&[info_of(x)], attrs)?;
    let dtype = x.dtype();
    Ok(vec![NDArray::from_fn(dtype, x.shape(), |flat| {
        let idx = unravel(flat, x.shape());
        let at = |r: usize| x.at(&replaced(&idx, axis, r));
        let best =
            (1..x.shape()[axis]).fold(
                0,
                |best, r| {
                    if binary(BinOp::Gt, at(r), at(best), dtype).to_bool() {
                        r
                    } else {
                        best
                    }
                },
            );
        Scalar::I(i64::from(best == idx[axis])).cast(dtype)
    })])
}

fn legalize_hardmax(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let axis = hardmax_axis(args, attrs)?;
    let (x, out) = (&args[0], the_output("hardmax", outs)?);
    let oi = var_exprs("i", out.rank());
    let (best, best_at) = (PExpr::load("best", vec![]), PExpr::load("best_at", vec![]));
    let r = PExpr::var("r");
    let candidate = load(0, replaced(&oi, axis, r.clone()));
    let replace = Stmt::Seq(vec![Stmt::store("best", vec![], candidate.clone()), Stmt::store("best_at", vec![], r)]);
    let wins = PExpr::bin(BinOp::Gt, candidate, best);
    let one_hot = PExpr::bin(BinOp::Eq, best_at, oi[axis].clone());
    let per_element = Stmt::Seq(vec![
        Stmt::store("best", vec![], load(0, replaced(&oi, axis, PExpr::int(0)))),
        Stmt::store("best_at", vec![], PExpr::int(0)),
        Stmt::for_(
            "r",
            PExpr::from_dim(&x.shape[axis]),
            Stmt::If { cond: wins, then_branch: Box::new(replace), else_branch: None },
        ),
        Stmt::store(
            "out",
            oi.clone(),
            PExpr::select(one_hot, PExpr::constant(1.0, x.dtype), PExpr::constant(0.0, x.dtype)),
        ),
    ]);
    let scratch = with_accumulators(&["best"], x.dtype, with_accumulators(&["best_at"], DType::I64, per_element));
    Ok(prim_func(
        "hardmax",
        args,
        std::slice::from_ref(out),
        Stmt::loop_nest(&index_vars("i", out.rank()), &out.shape, scratch),
    ))
}

#[cfg(test)]
mod tests {
    use crate::interp::tir::run_prim_func;
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::{NDArray, Scalar};
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn attrs(pairs: &[(&str, AttrValue)]) -> Attrs {
        pairs.iter().fold(Attrs::new(), |a, (k, v)| a.with(k, v.clone()))
    }

    fn int(v: i64) -> AttrValue {
        AttrValue::Int(v)
    }

    fn iota(dtype: DType, shape: &[usize]) -> NDArray {
        NDArray::from_fn(dtype, shape, |i| Scalar::I(i as i64))
    }

    fn ints(dtype: DType, shape: &[usize], data: &[i64]) -> NDArray {
        NDArray::from_i64_values(dtype, shape, data)
    }

    fn values(a: &NDArray) -> Vec<i64> {
        (0..a.numel()).map(|i| a.get(i).to_i64()).collect()
    }

    fn infer_error(op: &str, args: &[TensorInfo], attrs: &Attrs) -> String {
        (lookup(op).expect("registered").infer)(args, attrs).expect_err("inference should fail")
    }

    fn eval_error(op: &str, args: &[NDArray], attrs: &Attrs) -> String {
        let refs: Vec<&NDArray> = args.iter().collect();
        (lookup(op).expect("registered").eval)(&refs, attrs).expect_err("evaluation should fail")
    }

    fn info(dtype: DType, shape: &[i64]) -> TensorInfo {
        TensorInfo::new(dtype, shape.iter().map(|&d| Dim::Int(d)).collect())
    }

    /// Runs `op`'s kernel on inputs whose indices are out of range, which
    /// the interpreter's bounds checks would reject as a stray access.
    fn run_kernel(op: &str, args: Vec<NDArray>, at: &Attrs, out_shape: &[usize], dtype: DType) -> NDArray {
        let infos: Vec<TensorInfo> = args.iter().map(crate::op::compute::info_of).collect();
        let out = NDArray::zeros(dtype, out_shape);
        let f = (lookup(op).expect("registered").legalize)(&infos, at, &[crate::op::compute::info_of(&out)])
            .expect("legalizes");
        let mut buffers = args;
        buffers.push(out);
        run_prim_func(&f, &mut buffers, &[]).expect("stays in bounds");
        buffers.pop().expect("the output")
    }

    #[test]
    fn cumsum_in_all_four_directions() {
        let x = ints(DType::I32, &[4], &[1, 2, 3, 4]);
        let case = |exclusive: bool, reverse: bool| {
            let at = attrs(&[("exclusive", AttrValue::Bool(exclusive)), ("reverse", AttrValue::Bool(reverse))]);
            values(&check_op("cumsum", std::slice::from_ref(&x), &at)[0])
        };
        assert_eq!(case(false, false), [1, 3, 6, 10]);
        assert_eq!(case(true, false), [0, 1, 3, 6]);
        assert_eq!(case(false, true), [10, 9, 7, 4]);
        assert_eq!(case(true, true), [9, 7, 4, 0]);
    }

    #[test]
    fn cumprod_in_all_four_directions_starts_from_one() {
        let x = ints(DType::I64, &[4], &[1, 2, 3, 4]);
        let case = |exclusive: bool, reverse: bool| {
            let at = attrs(&[("exclusive", AttrValue::Bool(exclusive)), ("reverse", AttrValue::Bool(reverse))]);
            values(&check_op("cumprod", std::slice::from_ref(&x), &at)[0])
        };
        assert_eq!(case(false, false), [1, 2, 6, 24]);
        assert_eq!(case(true, false), [1, 1, 2, 6]);
        assert_eq!(case(false, true), [24, 24, 12, 4]);
        assert_eq!(case(true, true), [24, 12, 4, 1]);
    }

    #[test]
    fn cumprod_along_attribute_and_run_time_axes() {
        // Rows [1, 2, 3] and [4, 5, 6]: down the columns 1*4, 2*5, 3*6.
        let x = NDArray::from_f64_values(DType::F32, &[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let down = check_op("cumprod", std::slice::from_ref(&x), &attrs(&[("axis", int(0))]));
        assert_eq!(down[0], NDArray::from_f64_values(DType::F32, &[2, 3], &[1., 2., 3., 4., 10., 18.]));
        let axis = NDArray::scalar(DType::I64, Scalar::I(-1));
        let along = check_op_symbolic("cumprod", &[x, axis], &Attrs::new(), &[(0, 0, "n")]);
        assert_eq!(along[0], NDArray::from_f64_values(DType::F32, &[2, 3], &[1., 2., 6., 4., 20., 120.]));
        assert_eq!(
            infer_error("cumprod", &[info(DType::Bool, &[2])], &Attrs::new()),
            "cumprod: expected numeric tensors (floats and integers, not bool), got bool"
        );
    }

    #[test]
    fn cumsum_along_an_axis_with_symbolic_dims() {
        let x = NDArray::random(DType::F32, &[3, 4], 1);
        check_op_symbolic("cumsum", std::slice::from_ref(&x), &attrs(&[("axis", int(1))]), &[(0, 0, "n"), (0, 1, "m")]);
        let out = check_op("cumsum", &[iota(DType::I64, &[2, 3])], &attrs(&[("axis", int(-2))]));
        assert_eq!(values(&out[0]), [0, 1, 2, 3, 5, 7]);
        assert_eq!(
            infer_error("cumsum", &[info(DType::Bool, &[2])], &Attrs::new()),
            "cumsum: expected numeric tensors (floats and integers, not bool), got bool"
        );
        assert_eq!(
            infer_error("cumsum", &[info(DType::F32, &[2])], &attrs(&[("axis", int(1))])),
            "cumsum: axis 1 is out of range for a tensor of rank 1"
        );
    }

    #[test]
    fn cumsum_along_an_axis_given_at_run_time() {
        let x = NDArray::random(DType::F32, &[2, 3, 4], 5);
        for axis in [-3, -1, 0, 1, 2] {
            let scalar = NDArray::scalar(DType::I32, Scalar::I(axis));
            let by_arg = check_op_symbolic("cumsum", &[x.clone(), scalar], &reverse(), &[(0, 0, "b")]);
            let by_attr = check_op("cumsum", std::slice::from_ref(&x), &reverse().with("axis", int(axis)));
            by_arg[0].assert_close(&by_attr[0], 0.0, 0.0).expect("the same sums");
        }
        let both = [info(DType::F32, &[2]), info(DType::I64, &[1])];
        assert_eq!(
            infer_error("cumsum", &both, &attrs(&[("axis", int(0))])),
            "cumsum: `axis` is given both as an attribute and as an argument"
        );
        assert_eq!(
            infer_error("cumsum", &[info(DType::F32, &[2]), info(DType::I64, &[2])], &Attrs::new()),
            "cumsum: the `axis` argument must be one integer, got Tensor<[2], i64>"
        );
    }

    fn reverse() -> Attrs {
        attrs(&[("reverse", AttrValue::Bool(true))])
    }

    #[test]
    fn trilu_with_k_given_at_run_time() {
        let x = iota(DType::I64, &[3, 3]);
        let k = ints(DType::I64, &[1], &[-1]);
        let lower = attrs(&[("upper", AttrValue::Bool(false))]);
        let out = check_op_symbolic("trilu", &[x, k], &lower, &[(0, 0, "n")]);
        assert_eq!(values(&out[0]), [0, 0, 0, 3, 0, 0, 6, 7, 0]);
    }

    #[test]
    fn trilu_keeps_a_triangle_from_diagonal_k() {
        let x = iota(DType::I64, &[3, 3]);
        let upper = check_op("trilu", std::slice::from_ref(&x), &attrs(&[("k", int(1))]));
        assert_eq!(values(&upper[0]), [0, 1, 2, 0, 0, 5, 0, 0, 0]);
        let lower =
            check_op("trilu", std::slice::from_ref(&x), &attrs(&[("upper", AttrValue::Bool(false)), ("k", int(-1))]));
        assert_eq!(values(&lower[0]), [0, 0, 0, 3, 0, 0, 6, 7, 0]);
        let batch = NDArray::random(DType::F32, &[2, 3, 4], 3);
        check_op_symbolic("trilu", &[batch], &attrs(&[("k", int(-1))]), &[(0, 0, "b"), (0, 2, "m")]);
        assert_eq!(
            infer_error("trilu", &[info(DType::F32, &[3])], &Attrs::new()),
            "trilu: expected a tensor of rank at least 2, got rank 1"
        );
    }

    #[test]
    fn one_hot_wraps_negative_indices_and_ignores_out_of_range_ones() {
        let indices = ints(DType::I64, &[4], &[0, -1, 5, 2]);
        let on_off = NDArray::from_f64_values(DType::F32, &[2], &[0.5, 3.0]);
        let out = check_op("one_hot", &[indices.clone(), on_off.clone()], &attrs(&[("depth", int(3))]));
        assert_eq!(out[0].shape(), &[4, 3]);
        let row = |r: usize| (0..3).map(|c| out[0].at(&[r, c]).to_f64()).collect::<Vec<_>>();
        assert_eq!(
            [row(0), row(1), row(2), row(3)],
            [[3.0, 0.5, 0.5], [0.5, 0.5, 3.0], [0.5, 0.5, 0.5], [0.5, 0.5, 3.0]]
        );
        let first = attrs(&[("depth", int(3)), ("axis", int(0))]);
        assert_eq!(check_op("one_hot", &[indices.clone(), on_off.clone()], &first)[0].shape(), &[3, 4]);
        check_op_symbolic("one_hot", &[indices, on_off], &first, &[(0, 0, "n")]);
        let bad_values = [info(DType::I64, &[2]), info(DType::F32, &[3])];
        assert_eq!(
            infer_error("one_hot", &bad_values, &attrs(&[("depth", int(3))])),
            "one_hot: values must be [off, on], a tensor of shape [2], got Tensor<[3], f32>"
        );
    }

    #[test]
    fn gather_elements_picks_along_the_axis() {
        let data = iota(DType::F32, &[3, 3]);
        let indices = ints(DType::I64, &[2, 3], &[1, 2, 0, 2, -3, 1]);
        let out = check_op("gather_elements", &[data.clone(), indices.clone()], &Attrs::new());
        assert_eq!(values(&out[0]), [3, 7, 2, 6, 1, 5]);
        let rows = check_op("gather_elements", &[data.clone(), indices.clone()], &attrs(&[("axis", int(1))]));
        assert_eq!(values(&rows[0]), [1, 2, 0, 5, 3, 4]);
        check_op_symbolic(
            "gather_elements",
            &[data.clone(), indices.clone()],
            &Attrs::new(),
            &[(0, 0, "n"), (1, 0, "k")],
        );
        let outside = ints(DType::I64, &[1, 1], &[3]);
        assert_eq!(
            eval_error("gather_elements", &[data.clone(), outside.clone()], &Attrs::new()),
            "gather_elements: index 3 is out of range for an axis of size 3"
        );
        assert_eq!(
            values(&run_kernel("gather_elements", vec![data, outside], &Attrs::new(), &[1, 1], DType::F32)),
            [6]
        );
    }

    #[test]
    fn gather_elements_rejects_larger_indices() {
        let err =
            infer_error("gather_elements", &[info(DType::F32, &[2, 2]), info(DType::I64, &[2, 3])], &Attrs::new());
        assert_eq!(err, "gather_elements: indices has size 3 on axis 1, more than the data's 2");
    }

    #[test]
    fn index_kernels_leave_empty_data_alone() {
        let (empty, two) = (NDArray::zeros(DType::F32, &[0]), ints(DType::I64, &[2], &[0, 1]));
        let gathered = run_kernel("gather_elements", vec![empty.clone(), two.clone()], &Attrs::new(), &[2], DType::F32);
        assert_eq!(values(&gathered), [0, 0]);
        let updates = NDArray::zeros(DType::F32, &[2]);
        let scattered = run_kernel("scatter_elements", vec![empty, two, updates], &Attrs::new(), &[0], DType::F32);
        assert_eq!(scattered.numel(), 0);
    }

    #[test]
    fn scatter_elements_with_every_reduction() {
        let data = iota(DType::I32, &[2, 3]);
        let indices = ints(DType::I64, &[2, 2], &[2, 2, -3, 1]);
        let updates = ints(DType::I32, &[2, 2], &[10, 20, 30, 40]);
        let args = [data, indices, updates];
        let run = |reduction: &str| {
            let at = attrs(&[("axis", int(1)), ("reduction", AttrValue::Str(reduction.into()))]);
            values(&check_op("scatter_elements", &args, &at)[0])
        };
        assert_eq!(run("none"), [0, 1, 20, 30, 40, 5]);
        assert_eq!(run("add"), [0, 1, 32, 33, 44, 5]);
        assert_eq!(run("mul"), [0, 1, 400, 90, 160, 5]);
        assert_eq!(run("max"), [0, 1, 20, 30, 40, 5]);
        assert_eq!(run("min"), [0, 1, 2, 3, 4, 5]);
        check_op_symbolic("scatter_elements", &args, &attrs(&[("axis", int(1))]), &[(0, 1, "m")]);
        let bad = attrs(&[("reduction", AttrValue::Str("mean".into()))]);
        let infos = [info(DType::I32, &[2, 3]), info(DType::I64, &[2, 2]), info(DType::I32, &[2, 2])];
        assert_eq!(
            infer_error("scatter_elements", &infos, &bad),
            "scatter_elements: unknown reduction `mean` (expected none, add, mul, max or min)"
        );
    }

    #[test]
    fn scatter_elements_kernel_clamps_indices() {
        let args = vec![iota(DType::I64, &[3]), ints(DType::I64, &[2], &[9, -7]), ints(DType::I64, &[2], &[-1, -2])];
        assert_eq!(values(&run_kernel("scatter_elements", args, &Attrs::new(), &[3], DType::I64)), [-2, 1, -1]);
    }

    #[test]
    fn scatter_nd_replaces_slices_and_elements() {
        let data = iota(DType::F32, &[4, 2]);
        let rows = ints(DType::I64, &[2, 1], &[3, -4]);
        let updates = ints(DType::F32, &[2, 2], &[10, 11, 12, 13]);
        let out = check_op("scatter_nd", &[data.clone(), rows, updates], &Attrs::new());
        assert_eq!(values(&out[0]), [12, 13, 2, 3, 4, 5, 10, 11]);
        let elements = ints(DType::I32, &[2, 2], &[1, 1, 2, 0]);
        let adds = ints(DType::F32, &[2], &[100, 200]);
        let add = attrs(&[("reduction", AttrValue::Str("add".into()))]);
        let out = check_op("scatter_nd", &[data.clone(), elements.clone(), adds.clone()], &add);
        assert_eq!(values(&out[0]), [0, 1, 2, 103, 204, 5, 6, 7]);
        check_op_symbolic(
            "scatter_nd",
            &[data, elements, adds],
            &Attrs::new(),
            &[(0, 0, "n"), (1, 0, "k"), (2, 0, "k")],
        );
        let infos = [info(DType::F32, &[4, 2]), info(DType::I64, &[2, 1]), info(DType::F32, &[2, 3])];
        assert_eq!(
            infer_error("scatter_nd", &infos, &Attrs::new()),
            "scatter_nd: updates and indices[:-1] ++ data[k:]: shapes [2, 3] and [2, 2] differ"
        );
    }

    #[test]
    fn gather_nd_with_and_without_batch_dims() {
        let data = iota(DType::I32, &[2, 2, 2]);
        let pairs = ints(DType::I64, &[2, 2], &[0, 1, 1, 0]);
        let out = check_op("gather_nd", &[data.clone(), pairs.clone()], &Attrs::new());
        assert_eq!(out[0].shape(), &[2, 2]);
        assert_eq!(values(&out[0]), [2, 3, 4, 5]);
        let per_batch = ints(DType::I64, &[2, 1], &[1, 0]);
        let batched = attrs(&[("batch_dims", int(1))]);
        let out = check_op("gather_nd", &[data.clone(), per_batch.clone()], &batched);
        assert_eq!(values(&out[0]), [2, 3, 4, 5]);
        check_op_symbolic("gather_nd", &[data.clone(), pairs], &Attrs::new(), &[(0, 0, "n"), (1, 0, "k")]);
        check_op_symbolic("gather_nd", &[data.clone(), per_batch], &batched, &[(0, 2, "m")]);
        let outside = ints(DType::I64, &[1, 3], &[0, 5, 1]);
        assert_eq!(
            eval_error("gather_nd", &[data.clone(), outside.clone()], &Attrs::new()),
            "gather_nd: index 5 is out of range for an axis of size 2"
        );
        assert_eq!(values(&run_kernel("gather_nd", vec![data, outside], &Attrs::new(), &[1], DType::I32)), [3]);
    }

    #[test]
    fn hardmax_marks_the_first_largest() {
        let x = NDArray::from_f64_values(DType::F32, &[2, 3], &[1.0, 3.0, 3.0, -1.0, -5.0, -2.0]);
        let out = check_op("hardmax", std::slice::from_ref(&x), &Attrs::new());
        assert_eq!(values(&out[0]), [0, 1, 0, 1, 0, 0]);
        let columns = check_op("hardmax", std::slice::from_ref(&x), &attrs(&[("axis", int(0))]));
        assert_eq!(values(&columns[0]), [1, 1, 1, 0, 0, 0]);
        check_op_symbolic(
            "hardmax",
            &[NDArray::random(DType::F64, &[3, 5], 4)],
            &Attrs::new(),
            &[(0, 0, "n"), (0, 1, "m")],
        );
        assert_eq!(
            infer_error("hardmax", &[info(DType::F32, &[])], &Attrs::new()),
            "hardmax: expected a tensor of rank at least 1, got a scalar"
        );
    }
}
