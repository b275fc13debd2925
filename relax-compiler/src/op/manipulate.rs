//! Data-movement operators: reshaping, transposing, slicing, joining and
//! gathering. Every output element is a copy of one input element, so each
//! operator is an index map: inference computes the output shape, reference
//! semantics copy elements by concrete index, and legalization emits
//! `out[i] = in0[source(i)]`.
//!
//! Shape rules are written once, over symbolic [`Dim`]s. Reference semantics
//! run the same rules on the concrete shapes of their inputs (through
//! [`info_of`]), so inference and evaluation cannot disagree about shapes or
//! about which inputs are invalid; only the element copy is written twice.
//!
//! Attributes may name symbolic dims (`reshape(x, shape = [n, 4, 16])`). The
//! interpreter substitutes the dims it has bound before evaluating; an entry
//! still symbolic is deduced from the input where the operator determines it
//! (see `evaluable_reshape_target` and `evaluable_broadcast_target`).
//!
//! Kernels index the input with the output's extents, so the dims that tie
//! them (a reshape's element counts, `concat`'s off-axis dims, the dims
//! `broadcast_to` keeps) must be provably equal (see [`require_equal`]).

use super::compute::{
    at_least_zero, broadcast_flat, broadcast_index, compute, compute_stmt, expect_args, expect_attrs, index_vars,
    info_of, infos_of, load, normalize_axis, output_names, prim_func, ravel_index, require_equal, same_dtype,
    unravel_index, InOp, Remedy, Unproven,
};
use super::{OpDef, OpKind};
use crate::ir::dim::shape_to_string;
use crate::ir::dim_logic;
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo};
use crate::ndarray::{ravel, unravel, NDArray};
use relax_rt::DType;

pub const OPS: &[OpDef] = &[
    OpDef {
        name: "reshape",
        kind: OpKind::Injective,
        infer: infer_reshape,
        eval: eval_reshape,
        legalize: |a, _, o| legalize_flat_copy("reshape", a, o),
    },
    OpDef {
        name: "flatten",
        kind: OpKind::Injective,
        infer: infer_flatten,
        eval: eval_flatten,
        legalize: |a, _, o| legalize_flat_copy("flatten", a, o),
    },
    OpDef {
        name: "permute_dims",
        kind: OpKind::Injective,
        infer: infer_permute_dims,
        eval: eval_permute_dims,
        legalize: legalize_permute_dims,
    },
    OpDef {
        name: "expand_dims",
        kind: OpKind::Injective,
        infer: infer_expand_dims,
        eval: eval_expand_dims,
        legalize: legalize_expand_dims,
    },
    OpDef {
        name: "squeeze",
        kind: OpKind::Injective,
        infer: infer_squeeze,
        eval: eval_squeeze,
        legalize: legalize_squeeze,
    },
    OpDef {
        name: "concat",
        kind: OpKind::Injective,
        infer: infer_concat,
        eval: eval_concat,
        legalize: legalize_concat,
    },
    OpDef { name: "split", kind: OpKind::Injective, infer: infer_split, eval: eval_split, legalize: legalize_split },
    OpDef {
        name: "strided_slice",
        kind: OpKind::Injective,
        infer: infer_strided_slice,
        eval: eval_strided_slice,
        legalize: legalize_strided_slice,
    },
    OpDef { name: "take", kind: OpKind::Injective, infer: infer_take, eval: eval_take, legalize: legalize_take },
    OpDef {
        name: "broadcast_to",
        kind: OpKind::Broadcast,
        infer: infer_broadcast_to,
        eval: eval_broadcast_to,
        legalize: legalize_broadcast_to,
    },
    // `copy` materializes a value in a new buffer (lowering `return x` needs
    // one); `identity` is the same operation under ONNX's name.
    OpDef {
        name: "copy",
        kind: OpKind::ElemWise,
        infer: |a, at| infer_copy("copy", a, at),
        eval: |a, at| eval_copy("copy", a, at),
        legalize: |a, at, o| legalize_copy("copy", a, at, o),
    },
    OpDef {
        name: "identity",
        kind: OpKind::ElemWise,
        infer: |a, at| infer_copy("identity", a, at),
        eval: |a, at| eval_copy("identity", a, at),
        legalize: |a, at, o| legalize_copy("identity", a, at, o),
    },
];

/// Slice positions of at least this magnitude mean "beyond the end" whatever
/// the dim, as ONNX's `INT64_MAX` does. No supported target has a tensor
/// dimension this large (2^57 bytes is x86_64's whole virtual address space),
/// so clamping such a position to the dim is exact even for a symbolic dim.
const OPEN_END: i64 = 1 << 57;

// ---- shared plumbing ----

/// The single tensor argument of `op`.
fn the_arg<'a>(op: &str, args: &'a [TensorInfo]) -> Result<&'a TensorInfo, String> {
    expect_args(op, args, 1)?;
    Ok(&args[0])
}

/// The single tensor argument of `op`'s reference semantics.
fn the_value<'a>(op: &str, args: &[&'a NDArray]) -> Result<&'a NDArray, String> {
    match args {
        [x] => Ok(x),
        _ => Err(format!("{op}: expected 1 argument, got {}", args.len())),
    }
}

/// The single output buffer of `op`'s kernel.
fn the_output<'a>(op: &str, outs: &'a [TensorInfo]) -> Result<&'a TensorInfo, String> {
    match outs {
        [out] => Ok(out),
        _ => Err(format!("{op}: writes 1 output, its kernel was asked for {}", outs.len())),
    }
}

/// A shape `op`'s rules computed for concrete inputs. It is constant unless an
/// attribute names a symbolic dim that nothing bound.
fn concrete(op: &str, shape: &[Dim]) -> Result<Vec<usize>, String> {
    let text = || shape_to_string(shape);
    shape
        .iter()
        .map(|d| match d.as_int() {
            Some(v) if v >= 0 => Ok(v as usize),
            Some(v) => Err(format!("{op}: shape {} has a negative dimension {v}", text())),
            None => Err(format!("{op}: shape {} names symbolic dims that are not bound to values", text())),
        })
        .collect()
}

/// Reference semantics of an index map: `out[i] = x[source(i)]`.
fn gather(x: &NDArray, out_shape: &[usize], source: impl Fn(&[usize]) -> Vec<usize>) -> NDArray {
    NDArray::from_fn(x.dtype(), out_shape, |flat| x.at(&source(&unravel(flat, out_shape))))
}

/// The kernel of an index map: `out[i] = in0[source(i)]`.
fn legalize_gather(
    op: &str,
    args: &[TensorInfo],
    outs: &[TensorInfo],
    source: impl Fn(&[PExpr]) -> Vec<PExpr>,
) -> Result<PrimFunc, String> {
    Ok(compute(op, args, the_output(op, outs)?, |i| load(0, source(i))))
}

/// Resolves an axis of `op` that must name an existing axis (unlike
/// [`normalize_axis`], a scalar has none).
fn axis_in(op: &str, axis: i64, rank: usize) -> Result<usize, String> {
    match normalize_axis(op, axis, rank) {
        Ok(a) if a < rank => Ok(a),
        _ => Err(format!("{op}: axis {axis} is out of range for a tensor of rank {rank}")),
    }
}

/// Resolves a list of possibly negative axes of `op` against `rank`,
/// rejecting repeats.
fn normalize_axes(op: &str, axes: &[i64], rank: usize) -> Result<Vec<usize>, String> {
    let mut out: Vec<usize> = Vec::with_capacity(axes.len());
    for &axis in axes {
        let a = axis_in(op, axis, rank)?;
        if out.contains(&a) {
            return Err(format!("{op}: axis {axis} appears more than once in {axes:?}"));
        }
        out.push(a);
    }
    Ok(out)
}

/// The `shape` attribute of `op`, its only one.
fn shape_attr(op: &str, attrs: &Attrs) -> Result<Vec<Dim>, String> {
    expect_attrs(op, attrs, &["shape"])?;
    attrs.dims("shape").in_op(op)?.ok_or_else(|| format!("{op}: missing attribute `shape`"))
}

/// A constant list attribute `op` cannot do without.
fn required_ints(op: &str, attrs: &Attrs, name: &str) -> Result<Vec<i64>, String> {
    attrs.ints(name).in_op(op)?.ok_or_else(|| format!("{op}: missing attribute `{name}`"))
}

/// Rejects target-shape entries no tensor can have: negative constants (other
/// than reshape's `-1` when `wildcard` allows it) and constant parts whose
/// product no target could address (it would also overflow the arithmetic).
fn check_target_entries(op: &str, target: &[Dim], wildcard: bool) -> Result<(), String> {
    let text = || shape_to_string(target);
    let mut product: i64 = 1;
    for v in target.iter().filter_map(Dim::as_int) {
        if v < 0 && !(wildcard && v == -1) {
            return Err(format!("{op}: target shape {} has a negative entry {v}", text()));
        }
        product = product.saturating_mul(v.max(1));
    }
    if product >= OPEN_END {
        return Err(format!("{op}: target shape {} has more elements than any target can address", text()));
    }
    Ok(())
}

/// `items` with `fill` inserted so that it lands at each of `positions` (given
/// in the result's numbering): new unit dims, or index 0 on squeezed axes.
fn insert_at<T: Clone>(items: &[T], positions: &[usize], fill: T) -> Vec<T> {
    let mut rest = items.iter();
    (0..items.len() + positions.len())
        .map(|k| if positions.contains(&k) { fill.clone() } else { rest.next().expect("length counted").clone() })
        .collect()
}

/// `items` without the entries at `positions`.
fn drop_positions<T: Clone>(items: &[T], positions: &[usize]) -> Vec<T> {
    items.iter().enumerate().filter(|(k, _)| !positions.contains(k)).map(|(_, v)| v.clone()).collect()
}

/// `start + i * stride` as index arithmetic, without the no-op parts.
fn affine(start: &Dim, i: &PExpr, stride: &Dim) -> PExpr {
    let scaled = match stride.as_int() {
        Some(1) => i.clone(),
        Some(s) => i.clone() * PExpr::int(s),
        None => i.clone() * PExpr::from_dim(stride),
    };
    if start.as_int() == Some(0) {
        scaled
    } else {
        PExpr::from_dim(start) + scaled
    }
}

// ---- reshape, flatten ----

fn infer_reshape(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("reshape", args)?;
    Ok(StructInfo::tensor(x.dtype, reshape_shape(x, &shape_attr("reshape", attrs)?)?))
}

fn eval_reshape(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("reshape", args)?;
    let target = evaluable_reshape_target(&shape_attr("reshape", attrs)?)?;
    Ok(vec![x.reshaped(&concrete("reshape", &reshape_shape(&info_of(x), &target)?)?)])
}

/// The target shape with its `-1` entry, if any, resolved. A `0` entry is a
/// zero-sized dim (ONNX's copy-from-input `0` is the importer's business).
/// Element counts must provably agree (see [`check_same_count`]).
fn reshape_shape(x: &TensorInfo, target: &[Dim]) -> Result<Vec<Dim>, String> {
    check_target_entries("reshape", target, true)?;
    let target: Vec<Dim> = target.iter().map(Dim::simplify).collect();
    let wildcards: Vec<usize> = (0..target.len()).filter(|&k| target[k].as_int() == Some(-1)).collect();
    match wildcards[..] {
        [] => check_same_count("reshape", x, &target).map(|()| target),
        [k] => resolve_wildcard(x, target, k),
        _ => Err(format!("reshape: at most one entry of the target shape {} may be -1", shape_to_string(&target))),
    }
}

/// Requires `x` to provably have as many elements as `target`: the kernel of
/// `op` (a reshape or flatten) reads one input element per output element.
fn check_same_count(op: &str, x: &TensorInfo, target: &[Dim]) -> Result<(), String> {
    let (have, want) = (x.numel(), Dim::product(target));
    let unproven = || Unproven {
        op,
        what: "element counts".to_string(),
        remedy: Remedy::Advice(format!(
            "write -1 for the target entry the element count determines, and match_cast the result `y` \
             to the shape you expect: `let y_checked = match_cast(y, {});`",
            TensorInfo::new(x.dtype, target.to_vec())
        )),
    };
    let differ = || {
        let (from, to) = (shape_to_string(&x.shape), shape_to_string(target));
        format!("{op}: cannot reshape {from} ({have} elements) into {to} ({want} elements)")
    };
    require_equal(&have, &want, unproven, differ)
}

/// Resolves `target[k] == -1` to the element count over the other entries.
fn resolve_wildcard(x: &TensorInfo, mut target: Vec<Dim>, k: usize) -> Result<Vec<Dim>, String> {
    let others = drop_positions(&target, &[k]);
    let divisor = Dim::product(&others);
    if divisor.as_int() == Some(0) {
        let text = shape_to_string(&target);
        return Err(format!("reshape: cannot infer the -1 in {text}: the other entries multiply to 0"));
    }
    let (quotient, remainder) = divide_products(&x.shape, &others);
    if remainder.as_int().is_some_and(|r| r != 0) {
        return Err(format!(
            "reshape: cannot reshape {} ({} elements) into {}: the element count is not a multiple of {divisor}",
            shape_to_string(&x.shape),
            x.numel(),
            shape_to_string(&target)
        ));
    }
    target[k] = quotient;
    Ok(target)
}

/// `product(num) / product(den)` and its remainder, after cancelling factors
/// provably equal on both sides: `[n, 64] / [n, 16]` gives exactly `4`, where
/// the simplifier (which divides only by constants) would keep `n * 64 / (n * 16)`.
fn divide_products(num: &[Dim], den: &[Dim]) -> (Dim, Dim) {
    let mut num = num.to_vec();
    let mut den_left = Vec::new();
    for d in den {
        match num.iter().position(|n| n.proven_eq(d)) {
            Some(i) => {
                num.swap_remove(i);
            }
            None => den_left.push(d.clone()),
        }
    }
    let (n, d) = (Dim::product(&num), Dim::product(&den_left));
    (n.clone().floor_div(d.clone()).simplify(), n.floor_mod(d).simplify())
}

/// Reference semantics may see a target naming a dim nothing bound. A reshape
/// preserves the element count, so one such entry is determined exactly as a
/// `-1` is, and is evaluated as one; several are ambiguous.
fn evaluable_reshape_target(target: &[Dim]) -> Result<Vec<Dim>, String> {
    let symbolic: Vec<usize> = (0..target.len()).filter(|&k| !target[k].is_const()).collect();
    let wildcards = target.iter().filter(|d| d.as_int() == Some(-1)).count();
    match symbolic[..] {
        [] => Ok(target.to_vec()),
        [k] if wildcards == 0 => {
            let mut resolved = target.to_vec();
            resolved[k] = Dim::Int(-1);
            Ok(resolved)
        }
        _ => Err(format!(
            "reshape: cannot evaluate a reshape to {}: its symbolic entries are not bound to values",
            shape_to_string(target)
        )),
    }
}

fn infer_flatten(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("flatten", args)?;
    Ok(StructInfo::tensor(x.dtype, flatten_shape(x, attrs)?))
}

fn eval_flatten(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("flatten", args)?;
    Ok(vec![x.reshaped(&concrete("flatten", &flatten_shape(&info_of(x), attrs)?)?)])
}

/// ONNX `Flatten`: the dims before `axis` and the dims from `axis` on each
/// collapse into one, giving a matrix (`axis` may equal the rank).
fn flatten_shape(x: &TensorInfo, attrs: &Attrs) -> Result<Vec<Dim>, String> {
    expect_attrs("flatten", attrs, &["axis"])?;
    let axis = attrs.int_or("axis", 1).in_op("flatten")?;
    let rank = x.rank() as i64;
    let split = if axis < 0 { axis + rank } else { axis };
    if !(0..=rank).contains(&split) {
        return Err(format!(
            "flatten: axis {axis} is out of range for a tensor of rank {rank} (expected {}..={rank})",
            -rank
        ));
    }
    let (outer, inner) = x.shape.split_at(split as usize);
    Ok(vec![Dim::product(outer), Dim::product(inner)])
}

/// A kernel copying `in0` into `out` in row-major order whatever their shapes:
/// each output index is flattened, then unflattened in the input's shape.
fn legalize_flat_copy(op: &str, args: &[TensorInfo], outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (x, out) = (the_arg(op, args)?, the_output(op, outs)?);
    check_same_count(op, x, &out.shape)?;
    Ok(compute(op, args, out, |i| load(0, unravel_index(&ravel_index(i, &out.shape), &x.shape))))
}

// ---- permute_dims ----

fn infer_permute_dims(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("permute_dims", args)?;
    Ok(StructInfo::tensor(x.dtype, permute(&permutation(x, attrs)?, &x.shape)))
}

fn eval_permute_dims(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("permute_dims", args)?;
    let perm = permutation(&info_of(x), attrs)?;
    Ok(vec![gather(x, &permute(&perm, x.shape()), |i| unpermute(&perm, i))])
}

fn legalize_permute_dims(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let perm = permutation(the_arg("permute_dims", args)?, attrs)?;
    legalize_gather("permute_dims", args, outs, |i| unpermute(&perm, i))
}

/// Output axis j is input axis `perm[j]`; `axes` defaults to reversing them.
fn permutation(x: &TensorInfo, attrs: &Attrs) -> Result<Vec<usize>, String> {
    expect_attrs("permute_dims", attrs, &["axes"])?;
    let Some(axes) = attrs.ints("axes").in_op("permute_dims")? else { return Ok((0..x.rank()).rev().collect()) };
    if axes.len() != x.rank() {
        return Err(format!(
            "permute_dims: expected one axis per dimension of a tensor of rank {}, got {axes:?}",
            x.rank()
        ));
    }
    // With one entry per axis and no repeats, the axes are a permutation.
    normalize_axes("permute_dims", &axes, x.rank())
}

/// The shape (or any per-axis list) after permuting.
fn permute<T: Clone>(perm: &[usize], items: &[T]) -> Vec<T> {
    perm.iter().map(|&a| items[a].clone()).collect()
}

/// The input index that output index `idx` reads.
fn unpermute<T: Clone>(perm: &[usize], idx: &[T]) -> Vec<T> {
    let mut source = idx.to_vec();
    for (j, &a) in perm.iter().enumerate() {
        source[a] = idx[j].clone();
    }
    source
}

// ---- expand_dims, squeeze ----

fn infer_expand_dims(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("expand_dims", args)?;
    Ok(StructInfo::tensor(x.dtype, insert_at(&x.shape, &new_unit_axes(x, attrs)?, Dim::Int(1))))
}

fn eval_expand_dims(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("expand_dims", args)?;
    Ok(vec![x.reshaped(&insert_at(x.shape(), &new_unit_axes(&info_of(x), attrs)?, 1))])
}

fn legalize_expand_dims(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let axes = new_unit_axes(the_arg("expand_dims", args)?, attrs)?;
    legalize_gather("expand_dims", args, outs, |i| drop_positions(i, &axes))
}

/// Where the new unit axes go, numbered in the output (`axis` is one or a list).
fn new_unit_axes(x: &TensorInfo, attrs: &Attrs) -> Result<Vec<usize>, String> {
    expect_attrs("expand_dims", attrs, &["axis"])?;
    let axes = required_ints("expand_dims", attrs, "axis")?;
    normalize_axes("expand_dims", &axes, x.rank() + axes.len())
}

fn infer_squeeze(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("squeeze", args)?;
    Ok(StructInfo::tensor(x.dtype, drop_positions(&x.shape, &squeezed_axes(x, attrs)?)))
}

fn eval_squeeze(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("squeeze", args)?;
    Ok(vec![x.reshaped(&drop_positions(x.shape(), &squeezed_axes(&info_of(x), attrs)?))])
}

fn legalize_squeeze(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let axes = squeezed_axes(the_arg("squeeze", args)?, attrs)?;
    legalize_gather("squeeze", args, outs, |i| insert_at(i, &axes, PExpr::int(0)))
}

/// The axes `squeeze` removes: the listed ones, each of which must be provably
/// of size 1, or by default every axis whose size is the constant 1 (a
/// tensor with symbolic dims must list them, so the rank is static).
fn squeezed_axes(x: &TensorInfo, attrs: &Attrs) -> Result<Vec<usize>, String> {
    expect_attrs("squeeze", attrs, &["axes"])?;
    let Some(axes) = attrs.ints("axes").in_op("squeeze")? else {
        // Without axes the rank would depend on whether a symbolic dim is 1.
        if let Some(d) = x.shape.iter().find(|d| !d.is_const()) {
            return Err(format!(
                "squeeze: without `axes` the result's rank depends on whether {d} is 1 at run time; list the axes"
            ));
        }
        return Ok((0..x.rank()).filter(|&a| x.shape[a].as_int() == Some(1)).collect());
    };
    let axes = normalize_axes("squeeze", &axes, x.rank())?;
    if let Some(&a) = axes.iter().find(|&&a| x.shape[a].as_int() != Some(1)) {
        let (size, shape) = (&x.shape[a], shape_to_string(&x.shape));
        let why = if size.is_const() { "not 1" } else { "not provably 1" };
        return Err(format!("squeeze: cannot squeeze axis {a} of {shape}: its size {size} is {why}"));
    }
    Ok(axes)
}

// ---- concat ----

/// Where `concat` puts its arguments: along `axis`, argument k starts at
/// `offsets[k]`; the result has `shape`.
struct ConcatLayout {
    axis: usize,
    offsets: Vec<Dim>,
    shape: Vec<Dim>,
}

fn infer_concat(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let layout = concat_layout(args, attrs)?;
    Ok(StructInfo::tensor(args[0].dtype, layout.shape))
}

fn eval_concat(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let infos = infos_of(args);
    let layout = concat_layout(&infos, attrs)?;
    let shape = concrete("concat", &layout.shape)?;
    let mut out = NDArray::zeros(infos[0].dtype, &shape);
    for (x, offset) in args.iter().zip(concrete("concat", &layout.offsets)?) {
        for j in 0..x.numel() {
            let mut idx = unravel(j, x.shape());
            idx[layout.axis] += offset;
            out.set(ravel(&idx, &shape), x.get(j));
        }
    }
    Ok(vec![out])
}

/// One loop nest per argument, copying it to its place along the axis. (A
/// single nest choosing the argument per element would read every argument at
/// every index, out of bounds for all but one.)
fn legalize_concat(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let layout = concat_layout(args, attrs)?;
    let out = the_output("concat", outs)?;
    let copies = args
        .iter()
        .zip(&layout.offsets)
        .enumerate()
        .map(|(k, (arg, offset))| {
            let vars = index_vars("i", arg.rank());
            let idx: Vec<PExpr> = vars.iter().map(|v| PExpr::var(v)).collect();
            let mut dest = idx.clone();
            dest[layout.axis] = affine(offset, &idx[layout.axis], &Dim::Int(1));
            Stmt::loop_nest(&vars, &arg.shape, Stmt::store("out", dest, load(k, idx)))
        })
        .collect();
    Ok(prim_func("concat", args, std::slice::from_ref(out), Stmt::Seq(copies)))
}

fn concat_layout(args: &[TensorInfo], attrs: &Attrs) -> Result<ConcatLayout, String> {
    expect_attrs("concat", attrs, &["axis"])?;
    let first = args.first().ok_or("concat: expected at least one tensor")?;
    same_dtype("concat", args)?;
    let axis = axis_in("concat", attrs.int_or("axis", 0).in_op("concat")?, first.rank())?;
    let mut offsets = Vec::with_capacity(args.len());
    let mut total = Dim::Int(0);
    for (k, arg) in args.iter().enumerate() {
        check_concat_compatible(first, arg, k, axis)?;
        offsets.push(total.clone());
        total = (total + arg.shape[axis].clone()).simplify();
    }
    let mut shape = first.shape.clone();
    shape[axis] = total;
    Ok(ConcatLayout { axis, offsets, shape })
}

/// Argument `k` needs the rank of argument 0 and, off the axis, provably its
/// dims: its copy loops run over its own shape and write into an output
/// shaped like argument 0.
fn check_concat_compatible(first: &TensorInfo, arg: &TensorInfo, k: usize, axis: usize) -> Result<(), String> {
    if arg.rank() != first.rank() {
        let (rank, first_rank) = (arg.rank(), first.rank());
        return Err(format!("concat: argument {k} has rank {rank} but argument 0 has rank {first_rank}"));
    }
    for a in (0..arg.rank()).filter(|&a| a != axis) {
        let unproven = || Unproven {
            op: "concat",
            what: format!("axis {a} sizes"),
            remedy: Remedy::Cast { arg: k, name: format!("x{k}"), info: arg, axis: a },
        };
        let differ = || {
            format!(
                "concat: argument {k} has shape {} but argument 0 has shape {}: they differ at axis {a}, \
                 which is not the concatenation axis {axis}",
                shape_to_string(&arg.shape),
                shape_to_string(&first.shape)
            )
        };
        require_equal(&first.shape[a], &arg.shape[a], unproven, differ)?;
    }
    Ok(())
}

// ---- strided_slice, split: both read ranges of axes ----

/// The elements a slice reads along one axis: `len` of them, the first at
/// `start`, each `stride` after the previous.
#[derive(Clone, Debug)]
struct AxisRange {
    axis: usize,
    start: Dim,
    len: Dim,
    stride: Dim,
}

impl AxisRange {
    /// numpy/ONNX slicing `begin:end:stride` of an axis of size `dim`:
    /// negative positions count from the end and positions clamp into the axis.
    ///
    /// Only the clamps that matter for a non-empty range are applied. With a
    /// positive stride a start past the end, or a stop before 0, already gives
    /// a negative span and so length 0; the start is clamped from below only
    /// and the stop from above only (mirrored for negative strides). This keeps
    /// symbolic lengths short: `x[1:]` has `max(0, n - 1)` elements.
    fn slice(axis: usize, dim: &Dim, begin: i64, end: i64, stride: i64) -> AxisRange {
        let clip = |v: i64| v.clamp(-OPEN_END, OPEN_END);
        let (begin, end, stride) = (clip(begin), clip(end), clip(stride));
        let (start, span) = if stride > 0 {
            let start = clamp_below(begin, dim, 0);
            (start.clone(), clamp_above(end, dim, 0) - start)
        } else {
            let start = clamp_above(begin, dim, -1);
            (start.clone(), start - clamp_below(end, dim, -1))
        };
        let step = stride.abs();
        let len = at_least_zero((span + (step - 1)).floor_div(step));
        AxisRange { axis, start, len, stride: Dim::Int(stride) }
    }

    /// [`AxisRange::slice`] with positions and stride known only at run time:
    /// the same clamps, for both signs of the stride, chosen by a flag (see
    /// `ir::dim_logic`). A zero stride selects nothing.
    fn slice_symbolic(axis: usize, dim: &Dim, begin: &Dim, end: &Dim, stride: &Dim) -> AxisRange {
        let clip = |v: &Dim| dim_logic::clamp(v, -OPEN_END, OPEN_END);
        let (begin, end, stride) = (clip(begin), clip(end), clip(stride));
        let position = |v: &Dim| (v.clone() + dim_logic::is_negative(v) * dim.clone()).simplify();
        let (b, e) = (position(&begin), position(&end));
        let forward_start = b.clone().max(0);
        let forward_span = e.clone().min(dim.clone()) - forward_start.clone();
        let backward_start = b.min(dim.clone() - 1);
        let backward_span = backward_start.clone() - e.max(-1);
        let backward = dim_logic::is_negative(&stride);
        let start = dim_logic::select(&backward, &backward_start, &forward_start);
        let span = dim_logic::select(&backward, &backward_span, &forward_span);
        let step = stride.clone().max(Dim::Int(0) - stride.clone()).max(1);
        let nonzero = dim_logic::not(&dim_logic::equals(&stride, 0));
        let len = (at_least_zero((span + (step.clone() - 1)).floor_div(step)) * nonzero).simplify();
        AxisRange { axis, start: start.simplify(), len, stride }
    }
}

/// A slice position: negative ones count from the end of an axis of size `dim`.
fn position(v: i64, dim: &Dim) -> Dim {
    if v < 0 {
        dim.clone() + v
    } else {
        Dim::Int(v)
    }
}

/// `min(position(v), dim + k)`, settling what the simplifier cannot with two
/// facts it does not know: `dim >= 0` and `dim < OPEN_END`.
fn clamp_above(v: i64, dim: &Dim, k: i64) -> Dim {
    let hi = dim.clone() + k;
    if v >= OPEN_END {
        return hi.simplify();
    }
    if (0..=k).contains(&v) {
        return Dim::Int(v);
    }
    position(v, dim).min(hi).simplify()
}

/// `max(position(v), lo)`, deciding the same cases as [`clamp_above`].
fn clamp_below(v: i64, dim: &Dim, lo: i64) -> Dim {
    if v <= -OPEN_END {
        return Dim::Int(lo);
    }
    if (lo..0).contains(&v) {
        return position(v, dim).simplify();
    }
    position(v, dim).max(lo).simplify()
}

/// `shape` with each ranged axis cut to its range's length.
fn ranged_shape(shape: &[Dim], ranges: &[AxisRange]) -> Vec<Dim> {
    let mut out = shape.to_vec();
    for r in ranges {
        out[r.axis] = r.len.clone();
    }
    out
}

/// The input index that output index `idx` of a slice reads.
fn ranged_source(idx: &[PExpr], ranges: &[AxisRange]) -> Vec<PExpr> {
    let mut source = idx.to_vec();
    for r in ranges {
        source[r.axis] = affine(&r.start, &idx[r.axis], &r.stride);
    }
    source
}

/// Reference semantics of a slice of `x`.
fn eval_ranges(op: &str, x: &NDArray, ranges: &[AxisRange]) -> Result<NDArray, String> {
    let shape = concrete(op, &ranged_shape(&info_of(x).shape, ranges))?;
    let start =
        |r: &AxisRange| r.start.as_int().ok_or_else(|| format!("{op}: slice start {} is not constant", r.start));
    let starts: Vec<i64> = ranges.iter().map(start).collect::<Result<_, _>>()?;
    let stride =
        |r: &AxisRange| r.stride.as_int().ok_or_else(|| format!("{op}: slice stride {} is not constant", r.stride));
    let strides: Vec<i64> = ranges.iter().map(stride).collect::<Result<_, _>>()?;
    Ok(gather(x, &shape, |idx| {
        let mut source = idx.to_vec();
        for ((r, start), stride) in ranges.iter().zip(&starts).zip(&strides) {
            source[r.axis] = (start + idx[r.axis] as i64 * stride) as usize;
        }
        source
    }))
}

fn infer_strided_slice(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("strided_slice", args)?;
    Ok(StructInfo::tensor(x.dtype, ranged_shape(&x.shape, &slice_ranges(x, attrs)?)))
}

fn eval_strided_slice(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("strided_slice", args)?;
    Ok(vec![eval_ranges("strided_slice", x, &slice_ranges(&info_of(x), attrs)?)?])
}

fn legalize_strided_slice(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let ranges = slice_ranges(the_arg("strided_slice", args)?, attrs)?;
    legalize_gather("strided_slice", args, outs, |i| ranged_source(i, &ranges))
}

/// One range per sliced axis; `axes` defaults to the leading axes, `strides`
/// to 1. Positions and strides may be symbolic (known only at run time).
fn slice_ranges(x: &TensorInfo, attrs: &Attrs) -> Result<Vec<AxisRange>, String> {
    expect_attrs("strided_slice", attrs, &["axes", "begin", "end", "strides"])?;
    let op = "strided_slice";
    let dims = |name: &str| attrs.dims(name).in_op(op);
    let begin = dims("begin")?.ok_or_else(|| format!("{op}: missing attribute `begin`"))?;
    let end = dims("end")?.ok_or_else(|| format!("{op}: missing attribute `end`"))?;
    let axes = attrs.ints("axes").in_op(op)?.unwrap_or_else(|| (0..begin.len() as i64).collect());
    let strides = dims("strides")?.unwrap_or_else(|| vec![Dim::Int(1); axes.len()]);
    if [begin.len(), end.len(), strides.len()].iter().any(|&n| n != axes.len()) {
        return Err(format!(
            "{op}: expected one begin, end and stride per sliced axis; got {} axes, {} begin, {} end and {} strides",
            axes.len(),
            begin.len(),
            end.len(),
            strides.len()
        ));
    }
    let axes = normalize_axes(op, &axes, x.rank())?;
    (0..axes.len())
        .map(|k| match (begin[k].as_int(), end[k].as_int(), strides[k].as_int()) {
            (_, _, Some(0)) => Err(format!("{op}: the stride for axis {} is 0", axes[k])),
            (Some(b), Some(e), Some(s)) => Ok(AxisRange::slice(axes[k], &x.shape[axes[k]], b, e, s)),
            _ => Ok(AxisRange::slice_symbolic(axes[k], &x.shape[axes[k]], &begin[k], &end[k], &strides[k])),
        })
        .collect()
}

fn infer_split(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("split", args)?;
    let parts = split_sections(x, attrs)?
        .iter()
        .map(|r| StructInfo::tensor(x.dtype, ranged_shape(&x.shape, std::slice::from_ref(r))))
        .collect();
    Ok(StructInfo::Tuple(parts))
}

fn eval_split(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("split", args)?;
    split_sections(&info_of(x), attrs)?.iter().map(|r| eval_ranges("split", x, std::slice::from_ref(r))).collect()
}

/// One loop nest per section, each writing its own output.
fn legalize_split(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let sections = split_sections(the_arg("split", args)?, attrs)?;
    if outs.len() != sections.len() {
        return Err(format!("split: writes {} outputs, its kernel was asked for {}", sections.len(), outs.len()));
    }
    let names = output_names(outs.len());
    let body = sections
        .iter()
        .zip(outs)
        .zip(&names)
        .map(|((r, out), name)| compute_stmt(name, &out.shape, |i| load(0, ranged_source(i, std::slice::from_ref(r)))))
        .collect();
    Ok(prim_func("split", args, outs, Stmt::Seq(body)))
}

/// The sections `split` cuts along its axis: `sections = k` equal parts, or
/// the parts between the split points `indices`.
fn split_sections(x: &TensorInfo, attrs: &Attrs) -> Result<Vec<AxisRange>, String> {
    expect_attrs("split", attrs, &["axis", "sections", "indices"])?;
    let axis = axis_in("split", attrs.int_or("axis", 0).in_op("split")?, x.rank())?;
    let dim = &x.shape[axis];
    match (attrs.get("sections").is_some(), attrs.ints("indices").in_op("split")?) {
        (true, Some(_)) => Err("split: takes either `sections` or `indices`, not both".into()),
        (true, None) => equal_sections(axis, dim, attrs.int("sections").in_op("split")?),
        (false, Some(points)) => Ok(sections_between(axis, dim, &points)),
        (false, None) => Err("split: expected `sections` (a number of equal parts) or `indices` (split points)".into()),
    }
}

/// `count` equal parts of `dim / count` each. The split must be provably even:
/// an uneven one is an error, and so is one the simplifier cannot decide
/// (`n` into 2), since elements would silently belong to no section.
fn equal_sections(axis: usize, dim: &Dim, count: i64) -> Result<Vec<AxisRange>, String> {
    if count <= 0 {
        return Err(format!("split: expected a positive number of sections, got {count}"));
    }
    match dim.clone().floor_mod(count).as_int() {
        Some(0) => {}
        Some(_) => return Err(format!("split: cannot split axis {axis} of size {dim} into {count} equal sections")),
        None => {
            return Err(format!(
                "split: cannot prove that axis {axis} of size {dim} divides into {count} equal sections; \
                 use `indices` or match_cast the input to a shape such as `{dim} * {count}`"
            ))
        }
    }
    let len = dim.clone().floor_div(count).simplify();
    let section =
        |k: i64| AxisRange { axis, start: (len.clone() * k).simplify(), len: len.clone(), stride: Dim::Int(1) };
    Ok((0..count).map(section).collect())
}

/// numpy's `split(x, indices)`: section k is `x[p[k-1] : p[k]]` along the axis
/// with slicing semantics (so negative points count from the end and
/// decreasing points give empty sections), from 0 to the end overall.
fn sections_between(axis: usize, dim: &Dim, points: &[i64]) -> Vec<AxisRange> {
    let begins = std::iter::once(0).chain(points.iter().copied());
    let ends = points.iter().copied().chain(std::iter::once(OPEN_END));
    begins.zip(ends).map(|(b, e)| AxisRange::slice(axis, dim, b, e, 1)).collect()
}

// ---- take ----

fn infer_take(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    expect_args("take", args, 2)?;
    let (x, indices) = (&args[0], &args[1]);
    let axis = take_axis(x, indices, attrs)?;
    Ok(StructInfo::tensor(x.dtype, take_shape(&x.shape, &indices.shape, axis)))
}

fn eval_take(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let &[x, indices] = args else { return Err(format!("take: expected 2 arguments, got {}", args.len())) };
    let axis = take_axis(&info_of(x), &info_of(indices), attrs)?;
    let dim = x.shape()[axis];
    let wrapped: Vec<usize> =
        (0..indices.numel()).map(|j| wrap_index(indices.get(j).to_i64(), dim, axis)).collect::<Result<_, _>>()?;
    let rank = indices.shape().len();
    let shape = take_shape(x.shape(), indices.shape(), axis);
    Ok(vec![gather(x, &shape, |idx| {
        let index = wrapped[ravel(&idx[axis..axis + rank], indices.shape())];
        take_source(idx, axis, rank, index)
    })])
}

/// The kernel reads the index, wraps it and clamps it into the axis, so a bad
/// index reads a wrong element but never outside the buffer.
fn legalize_take(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    expect_args("take", args, 2)?;
    let (x, indices) = (&args[0], &args[1]);
    let axis = take_axis(x, indices, attrs)?;
    let dim = PExpr::from_dim(&x.shape[axis]);
    let rank = indices.rank();
    legalize_gather("take", args, outs, |idx| {
        let raw = PExpr::cast(DType::I64, load(1, idx[axis..axis + rank].to_vec()));
        take_source(idx, axis, rank, clamped_index(raw, dim.clone()))
    })
}

/// The gathered axis; indices must be i32 or i64.
fn take_axis(x: &TensorInfo, indices: &TensorInfo, attrs: &Attrs) -> Result<usize, String> {
    expect_attrs("take", attrs, &["axis"])?;
    if !matches!(indices.dtype, DType::I32 | DType::I64) {
        return Err(format!("take: indices must be i32 or i64, got {}", indices.dtype));
    }
    axis_in("take", attrs.int_or("axis", 0).in_op("take")?, x.rank())
}

/// `x`'s shape with the gathered axis replaced by the indices' shape.
fn take_shape<T: Clone>(x: &[T], indices: &[T], axis: usize) -> Vec<T> {
    [&x[..axis], indices, &x[axis + 1..]].concat()
}

/// The input index that output index `idx` reads: the run of `idx` from
/// `axis` (which addressed the indices) becomes the gathered `index`.
fn take_source<T: Clone>(idx: &[T], axis: usize, indices_rank: usize, index: T) -> Vec<T> {
    [&idx[..axis], &[index], &idx[axis + indices_rank..]].concat()
}

/// A Python-style index (negative counts from the end) into an axis of size `dim`.
fn wrap_index(i: i64, dim: usize, axis: usize) -> Result<usize, String> {
    let wrapped = if i < 0 { i + dim as i64 } else { i };
    if (0..dim as i64).contains(&wrapped) {
        Ok(wrapped as usize)
    } else {
        Err(format!("take: index {i} is out of range for axis {axis} of size {dim}"))
    }
}

/// [`wrap_index`] as index arithmetic, clamped into `0..dim`.
fn clamped_index(raw: PExpr, dim: PExpr) -> PExpr {
    let negative = PExpr::bin(BinOp::Lt, raw.clone(), PExpr::int(0));
    let wrapped = PExpr::select(negative, raw.clone() + dim.clone(), raw);
    PExpr::bin(BinOp::Max, PExpr::bin(BinOp::Min, wrapped, dim - PExpr::int(1)), PExpr::int(0))
}

// ---- broadcast_to ----

fn infer_broadcast_to(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let x = the_arg("broadcast_to", args)?;
    Ok(StructInfo::tensor(x.dtype, broadcast_target(x, &shape_attr("broadcast_to", attrs)?)?))
}

fn eval_broadcast_to(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let x = the_value("broadcast_to", args)?;
    let target = evaluable_broadcast_target(x.shape(), &shape_attr("broadcast_to", attrs)?);
    let shape = concrete("broadcast_to", &broadcast_target(&info_of(x), &target)?)?;
    Ok(vec![NDArray::from_fn(x.dtype(), &shape, |i| x.get(broadcast_flat(x.shape(), &shape, i)))])
}

fn legalize_broadcast_to(args: &[TensorInfo], _: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (x, out) = (the_arg("broadcast_to", args)?, the_output("broadcast_to", outs)?);
    broadcast_target(x, &out.shape)?;
    Ok(compute("broadcast_to", args, out, |i| load(0, broadcast_index(x, out, i))))
}

/// The target shape, checked against numpy broadcasting: aligned from the
/// right, each input dim is 1 or provably the target's, since the kernel reads
/// the input at the output's index on every axis that is not 1.
fn broadcast_target(x: &TensorInfo, target: &[Dim]) -> Result<Vec<Dim>, String> {
    check_target_entries("broadcast_to", target, false)?;
    let (from, to) = (shape_to_string(&x.shape), shape_to_string(target));
    let Some(offset) = target.len().checked_sub(x.rank()) else {
        return Err(format!("broadcast_to: cannot broadcast {from} to {to}, which has fewer dimensions"));
    };
    for (k, d) in x.shape.iter().enumerate().filter(|(_, d)| d.as_int() != Some(1)) {
        let t = &target[k + offset];
        let unproven = || Unproven {
            op: "broadcast_to",
            what: "target and input dimensions".to_string(),
            remedy: Remedy::Cast { arg: 0, name: "x".to_string(), info: x, axis: k },
        };
        let differ = || {
            format!("broadcast_to: cannot broadcast {from} to {to}: axis {k} has size {d}, which is neither 1 nor {t}")
        };
        require_equal(t, d, unproven, differ)?;
    }
    Ok(target.iter().map(Dim::simplify).collect())
}

/// Reference semantics may see a target naming a dim nothing bound. Where it
/// faces an input dim other than 1 it must equal that dim, so it is read from
/// the input; elsewhere it stays symbolic (and evaluation reports it).
fn evaluable_broadcast_target(x_shape: &[usize], target: &[Dim]) -> Vec<Dim> {
    let offset = target.len().saturating_sub(x_shape.len());
    let facing = |k: usize| k.checked_sub(offset).and_then(|j| x_shape.get(j)).copied();
    target
        .iter()
        .enumerate()
        .map(|(k, t)| match facing(k) {
            Some(d) if d != 1 && !t.is_const() => Dim::from(d),
            _ => t.clone(),
        })
        .collect()
}

// ---- copy / identity ----

fn infer_copy(op: &str, args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    expect_attrs(op, attrs, &[])?;
    Ok(StructInfo::Tensor(the_arg(op, args)?.clone()))
}

fn eval_copy(op: &str, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    expect_attrs(op, attrs, &[])?;
    Ok(vec![the_value(op, args)?.clone()])
}

fn legalize_copy(op: &str, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    expect_attrs(op, attrs, &[])?;
    the_arg(op, args)?;
    legalize_gather(op, args, outs, |i| i.to_vec())
}

#[cfg(test)]
// Argument lists read best as `&[x.clone()]`, like the call they stand for.
#[allow(clippy::cloned_ref_to_slice_refs)]
mod tests {
    use super::AxisRange;
    use crate::interp::tir::run_prim_func;
    use crate::ir::{AttrValue, Attrs, Dim, StructInfo, TensorInfo};
    use crate::ndarray::{NDArray, Scalar};
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic, ints};
    use relax_rt::DType;
    use std::collections::HashMap;

    fn attrs(pairs: &[(&str, AttrValue)]) -> Attrs {
        pairs.iter().fold(Attrs::new(), |a, (k, v)| a.with(k, v.clone()))
    }

    fn n() -> Dim {
        Dim::var("n")
    }

    fn f32_info(shape: Vec<Dim>) -> TensorInfo {
        TensorInfo::new(DType::F32, shape)
    }

    fn static_info(dtype: DType, shape: &[i64]) -> TensorInfo {
        TensorInfo::new(dtype, shape.iter().map(|&d| Dim::Int(d)).collect())
    }

    /// 0, 1, 2, ... in row-major order, so copied elements show where they came from.
    fn iota(dtype: DType, shape: &[usize]) -> NDArray {
        NDArray::from_fn(dtype, shape, |i| Scalar::I(i as i64))
    }

    fn values(a: &NDArray) -> Vec<i64> {
        (0..a.numel()).map(|i| a.get(i).to_i64()).collect()
    }

    fn infer(op: &str, args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
        (lookup(op).expect("registered").infer)(args, attrs)
    }

    /// The inferred struct info, printed.
    fn inferred(op: &str, args: &[TensorInfo], attrs: &Attrs) -> String {
        infer(op, args, attrs).unwrap_or_else(|e| panic!("{op}: {e}")).to_string()
    }

    fn infer_error(op: &str, args: &[TensorInfo], attrs: &Attrs) -> String {
        infer(op, args, attrs).expect_err("inference should fail")
    }

    fn eval_error(op: &str, args: &[NDArray], attrs: &Attrs) -> String {
        let refs: Vec<&NDArray> = args.iter().collect();
        (lookup(op).expect("registered").eval)(&refs, attrs).expect_err("evaluation should fail")
    }

    // ---- reshape, flatten ----

    #[test]
    fn reshape_keeps_row_major_order_in_every_dtype() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[2, 3, 4], seed as u64);
            let out = check_op("reshape", &[x], &attrs(&[("shape", ints(&[4, -1]))]));
            assert_eq!(out[0].shape(), &[4, 6]);
        }
        let out = check_op("reshape", &[iota(DType::I64, &[2, 3])], &attrs(&[("shape", ints(&[3, 1, 2]))]));
        assert_eq!(out[0].shape(), &[3, 1, 2]);
        assert_eq!(out[0].at(&[2, 0, 1]), Scalar::I(5));
        assert_eq!(out[0].at(&[1, 0, 0]), Scalar::I(2));
    }

    #[test]
    fn reshape_zero_is_a_size_not_a_copy_of_the_input_dim() {
        let out = check_op("reshape", &[NDArray::zeros(DType::F32, &[2, 0, 3])], &attrs(&[("shape", ints(&[0, 5]))]));
        assert_eq!(out[0].shape(), &[0, 5]);
        let err = infer_error("reshape", &[static_info(DType::F32, &[2, 3])], &attrs(&[("shape", ints(&[0, 6]))]));
        assert_eq!(err, "reshape: cannot reshape [2, 3] (6 elements) into [0, 6] (0 elements)");
    }

    #[test]
    fn reshape_with_symbolic_dims() {
        let x = f32_info(vec![n(), 64.into()]);
        let shape = |dims: Vec<Dim>| attrs(&[("shape", AttrValue::Dims(dims))]);
        assert_eq!(
            inferred("reshape", &[x.clone()], &shape(vec![n(), 4.into(), 16.into()])),
            "Tensor<[n, 4, 16], f32>"
        );
        assert_eq!(inferred("reshape", &[x.clone()], &shape(vec![(-1).into(), 16.into()])), "Tensor<[n * 4, 16], f32>");
        // The shared factor n cancels, so the -1 is exactly 4.
        assert_eq!(
            inferred("reshape", &[x.clone()], &shape(vec![n(), (-1).into(), 16.into()])),
            "Tensor<[n, 4, 16], f32>"
        );
        // Stated through a -1, an unknown count needs no proof.
        assert_eq!(inferred("reshape", &[x], &shape(vec![(-1).into()])), "Tensor<[n * 64], f32>");

        let data = NDArray::random(DType::F32, &[3, 64], 7);
        check_op_symbolic("reshape", &[data.clone()], &shape(vec![n(), 4.into(), 16.into()]), &[(0, 0, "n")]);
        check_op_symbolic("reshape", &[data], &shape(vec![(-1).into(), 16.into()]), &[(0, 0, "n")]);
    }

    #[test]
    fn reshape_rejects_impossible_shapes() {
        let x = static_info(DType::F32, &[2, 3]);
        let err = |shape: &[i64]| infer_error("reshape", &[x.clone()], &attrs(&[("shape", ints(shape))]));
        assert_eq!(err(&[4, 2]), "reshape: cannot reshape [2, 3] (6 elements) into [4, 2] (8 elements)");
        assert_eq!(
            err(&[4, -1]),
            "reshape: cannot reshape [2, 3] (6 elements) into [4, -1]: the element count is not a multiple of 4"
        );
        assert_eq!(err(&[-1, -1]), "reshape: at most one entry of the target shape [-1, -1] may be -1");
        assert_eq!(err(&[2, -3]), "reshape: target shape [2, -3] has a negative entry -3");
        assert_eq!(err(&[0, -1]), "reshape: cannot infer the -1 in [0, -1]: the other entries multiply to 0");
        assert_eq!(
            err(&[1 << 40, 1 << 40]),
            "reshape: target shape [1099511627776, 1099511627776] has more elements than any target can address"
        );
        assert_eq!(infer_error("reshape", &[x], &Attrs::new()), "reshape: missing attribute `shape`");

        let symbolic = f32_info(vec![n(), 3.into()]);
        let one_more = attrs(&[("shape", AttrValue::Dims(vec![n() * 3 + 1]))]);
        let err = infer_error("reshape", &[symbolic.clone()], &one_more);
        assert_eq!(err, "reshape: cannot reshape [n, 3] (n * 3 elements) into [n * 3 + 1] (n * 3 + 1 elements)");
        // n * 3 and n * 4 agree only when n is 0: not provably different, not provably equal.
        let wider = attrs(&[("shape", AttrValue::Dims(vec![n(), 4.into()]))]);
        let err = infer_error("reshape", &[symbolic], &wider);
        assert!(err.starts_with("reshape: cannot prove at compile time that element counts n * 3 and n * 4"), "{err}");

        let unbound = attrs(&[("shape", AttrValue::Dims(vec![n(), Dim::var("m")]))]);
        let err = eval_error("reshape", &[NDArray::zeros(DType::F32, &[6])], &unbound);
        assert_eq!(err, "reshape: cannot evaluate a reshape to [n, m]: its symbolic entries are not bound to values");
    }

    #[test]
    fn reshape_rejects_element_counts_it_cannot_prove_equal() {
        let x = f32_info(vec![n(), 64.into()]);
        let to_m = attrs(&[("shape", AttrValue::Dims(vec![Dim::var("m")]))]);
        assert_eq!(
            infer_error("reshape", &[x.clone()], &to_m),
            "reshape: cannot prove at compile time that element counts n * 64 and m are equal; write -1 for the \
             target entry the element count determines, and match_cast the result `y` to the shape you expect: \
             `let y_checked = match_cast(y, Tensor<[m], f32>);`"
        );
        // The kernel copies by flat index, so legalizing is held to the same proof.
        let reshape = lookup("reshape").expect("registered");
        let out = f32_info(vec![Dim::var("m")]);
        let err = (reshape.legalize)(&[x], &to_m, &[out]).expect_err("counts are not proven equal");
        assert!(err.starts_with("reshape: cannot prove at compile time that element counts n * 64 and m"), "{err}");
    }

    #[test]
    fn flatten_collapses_around_the_axis() {
        let x = NDArray::random(DType::I32, &[2, 3, 4], 3);
        let cases: [(i64, [usize; 2]); 5] = [(0, [1, 24]), (1, [2, 12]), (2, [6, 4]), (3, [24, 1]), (-1, [6, 4])];
        for (axis, expected) in cases {
            let out = check_op("flatten", &[x.clone()], &attrs(&[("axis", AttrValue::Int(axis))]));
            assert_eq!(out[0].shape(), &expected, "axis {axis}");
        }
        let scalar = NDArray::scalar(DType::F64, Scalar::F(2.5));
        assert_eq!(check_op("flatten", &[scalar], &attrs(&[("axis", AttrValue::Int(0))]))[0].shape(), &[1, 1]);
        let default_axis = check_op("flatten", &[x.clone()], &Attrs::new());
        assert_eq!(default_axis[0].shape(), &[2, 12]);

        let axis2 = attrs(&[("axis", AttrValue::Int(2))]);
        assert_eq!(inferred("flatten", &[f32_info(vec![n(), 3.into(), 4.into()])], &axis2), "Tensor<[n * 3, 4], f32>");
        check_op_symbolic("flatten", &[x], &axis2, &[(0, 0, "n")]);

        let err =
            infer_error("flatten", &[static_info(DType::F32, &[2, 3, 4])], &attrs(&[("axis", AttrValue::Int(4))]));
        assert_eq!(err, "flatten: axis 4 is out of range for a tensor of rank 3 (expected -3..=3)");
    }

    // ---- permute_dims ----

    #[test]
    fn permute_dims_moves_axes_in_every_dtype() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[2, 3, 4], seed as u64);
            let out = check_op("permute_dims", &[x.clone()], &attrs(&[("axes", ints(&[1, 2, 0]))]));
            assert_eq!(out[0].shape(), &[3, 4, 2]);
            assert_eq!(out[0].at(&[2, 1, 1]), x.at(&[1, 2, 1]));
        }
        let negative =
            check_op("permute_dims", &[iota(DType::F32, &[2, 3, 4])], &attrs(&[("axes", ints(&[-1, 0, 1]))]));
        assert_eq!(negative[0].shape(), &[4, 2, 3]);
    }

    #[test]
    fn permute_dims_defaults_to_reversing() {
        let out = check_op("permute_dims", &[iota(DType::I64, &[2, 3])], &Attrs::new());
        assert_eq!(out[0].shape(), &[3, 2]);
        assert_eq!(values(&out[0]), [0, 3, 1, 4, 2, 5]);
        let x = f32_info(vec![n(), 3.into(), Dim::var("m")]);
        assert_eq!(inferred("permute_dims", &[x], &Attrs::new()), "Tensor<[m, 3, n], f32>");
        let data = NDArray::random(DType::F32, &[2, 3, 4], 1);
        check_op_symbolic("permute_dims", &[data], &Attrs::new(), &[(0, 0, "n"), (0, 2, "m")]);
    }

    #[test]
    fn permute_dims_needs_a_permutation() {
        let x = static_info(DType::F32, &[2, 3]);
        let err = |axes: &[i64]| infer_error("permute_dims", &[x.clone()], &attrs(&[("axes", ints(axes))]));
        assert_eq!(err(&[0]), "permute_dims: expected one axis per dimension of a tensor of rank 2, got [0]");
        assert_eq!(err(&[1, 1]), "permute_dims: axis 1 appears more than once in [1, 1]");
        assert_eq!(err(&[0, 2]), "permute_dims: axis 2 is out of range for a tensor of rank 2");
    }

    // ---- expand_dims, squeeze ----

    #[test]
    fn expand_dims_inserts_unit_axes() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[2, 3], seed as u64);
            let out = check_op("expand_dims", &[x], &attrs(&[("axis", AttrValue::Int(1))]));
            assert_eq!(out[0].shape(), &[2, 1, 3]);
        }
        let x = iota(DType::I32, &[2, 3]);
        let both = check_op("expand_dims", &[x.clone()], &attrs(&[("axis", ints(&[0, -1]))]));
        assert_eq!(both[0].shape(), &[1, 2, 3, 1]);
        assert_eq!(values(&both[0]), values(&x));
        let last = check_op("expand_dims", &[x.clone()], &attrs(&[("axis", AttrValue::Int(-1))]));
        assert_eq!(last[0].shape(), &[2, 3, 1]);

        let axis = attrs(&[("axis", ints(&[0, 2]))]);
        assert_eq!(inferred("expand_dims", &[f32_info(vec![n(), 3.into()])], &axis), "Tensor<[1, n, 1, 3], f32>");
        check_op_symbolic("expand_dims", &[x], &axis, &[(0, 0, "n")]);
    }

    #[test]
    fn expand_dims_rejects_bad_axes() {
        let x = static_info(DType::F32, &[2, 3]);
        let err = |axis: AttrValue| infer_error("expand_dims", &[x.clone()], &attrs(&[("axis", axis)]));
        assert_eq!(err(ints(&[1, 1])), "expand_dims: axis 1 appears more than once in [1, 1]");
        assert_eq!(err(AttrValue::Int(3)), "expand_dims: axis 3 is out of range for a tensor of rank 3");
        assert_eq!(infer_error("expand_dims", &[x], &Attrs::new()), "expand_dims: missing attribute `axis`");
    }

    #[test]
    fn squeeze_removes_unit_axes() {
        let x = NDArray::random(DType::U8, &[1, 3, 1, 2], 5);
        assert_eq!(check_op("squeeze", &[x.clone()], &Attrs::new())[0].shape(), &[3, 2]);
        assert_eq!(check_op("squeeze", &[x.clone()], &attrs(&[("axes", ints(&[2]))]))[0].shape(), &[1, 3, 2]);
        let both = check_op("squeeze", &[x.clone()], &attrs(&[("axes", ints(&[-4, 2]))]));
        assert_eq!(both[0].shape(), &[3, 2]);
        assert_eq!(values(&both[0]), values(&x));

        // With a symbolic dim the axes must be listed: n may be 1 at run time.
        let symbolic = f32_info(vec![1.into(), n(), 1.into()]);
        let err = infer_error("squeeze", &[symbolic.clone()], &Attrs::new());
        assert_eq!(
            err,
            "squeeze: without `axes` the result's rank depends on whether n is 1 at run time; list the axes"
        );
        let listed = attrs(&[("axes", ints(&[0, 2]))]);
        assert_eq!(inferred("squeeze", &[symbolic], &listed), "Tensor<[n], f32>");
        check_op_symbolic("squeeze", &[NDArray::random(DType::F32, &[1, 4, 1], 2)], &listed, &[(0, 1, "n")]);
    }

    #[test]
    fn squeeze_only_removes_axes_of_size_one() {
        let err = infer_error("squeeze", &[static_info(DType::F32, &[1, 3])], &attrs(&[("axes", ints(&[1]))]));
        assert_eq!(err, "squeeze: cannot squeeze axis 1 of [1, 3]: its size 3 is not 1");
        let symbolic = f32_info(vec![n(), 1.into()]);
        let err = infer_error("squeeze", &[symbolic], &attrs(&[("axes", ints(&[0]))]));
        assert_eq!(err, "squeeze: cannot squeeze axis 0 of [n, 1]: its size n is not provably 1");
    }

    // ---- concat ----

    #[test]
    fn concat_joins_along_the_axis_in_every_dtype() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let parts: Vec<NDArray> = [1, 4, 0, 2]
                .iter()
                .enumerate()
                .map(|(k, &width)| NDArray::random(dtype, &[2, width, 3], (seed * 4 + k) as u64))
                .collect();
            let out = check_op("concat", &parts, &attrs(&[("axis", AttrValue::Int(1))]));
            assert_eq!(out[0].shape(), &[2, 7, 3]);
            assert_eq!(out[0].at(&[1, 6, 2]), parts[3].at(&[1, 1, 2]));
        }
    }

    #[test]
    fn concat_hand_checked() {
        let a = iota(DType::I64, &[2, 2]);
        let b = NDArray::from_i64_values(DType::I64, &[2, 1], &[10, 11]);
        let columns = check_op("concat", &[a.clone(), b.clone()], &attrs(&[("axis", AttrValue::Int(-1))]));
        assert_eq!(values(&columns[0]), [0, 1, 10, 2, 3, 11]);
        let rows = check_op("concat", &[a.clone(), a], &Attrs::new());
        assert_eq!(values(&rows[0]), [0, 1, 2, 3, 0, 1, 2, 3]);
    }

    #[test]
    fn concat_with_symbolic_dims() {
        let a = f32_info(vec![2.into(), n(), 4.into()]);
        let b = f32_info(vec![2.into(), Dim::var("m"), 4.into()]);
        let c = static_info(DType::F32, &[2, 1, 4]);
        let axis1 = attrs(&[("axis", AttrValue::Int(1))]);
        assert_eq!(inferred("concat", &[a, b, c], &axis1), "Tensor<[2, m + n + 1, 4], f32>");
        let data: Vec<NDArray> = [3, 5, 1].iter().map(|&w| NDArray::random(DType::F32, &[2, w, 4], w as u64)).collect();
        check_op_symbolic("concat", &data, &axis1, &[(0, 1, "n"), (1, 1, "m")]);
    }

    #[test]
    fn concat_rejects_mismatched_arguments() {
        let f = |shape: &[i64]| static_info(DType::F32, shape);
        let axis1 = attrs(&[("axis", AttrValue::Int(1))]);
        assert_eq!(
            infer_error("concat", &[f(&[2, 3]), static_info(DType::I32, &[2, 3])], &axis1),
            "concat: arguments must have one dtype, got f32 and i32"
        );
        assert_eq!(
            infer_error("concat", &[f(&[2, 3]), f(&[3])], &axis1),
            "concat: argument 1 has rank 1 but argument 0 has rank 2"
        );
        assert_eq!(
            infer_error("concat", &[f(&[2, 3]), f(&[4, 3])], &axis1),
            "concat: argument 1 has shape [4, 3] but argument 0 has shape [2, 3]: they differ at axis 0, \
             which is not the concatenation axis 1"
        );
        assert_eq!(infer_error("concat", &[], &Attrs::new()), "concat: expected at least one tensor");
        assert_eq!(
            infer_error("concat", &[f(&[]), f(&[])], &Attrs::new()),
            "concat: axis 0 is out of range for a tensor of rank 0"
        );
    }

    #[test]
    fn concat_rejects_off_axis_dims_it_cannot_prove_equal() {
        let axis1 = attrs(&[("axis", AttrValue::Int(1))]);
        let unknown = [f32_info(vec![n(), 2.into()]), f32_info(vec![Dim::var("m"), 3.into()])];
        assert_eq!(
            infer_error("concat", &unknown, &axis1),
            "concat: cannot prove at compile time that axis 0 sizes n and m are equal; state it with a \
             match_cast of the second argument: `let x1_checked = match_cast(x1, Tensor<[n, 3], f32>);`"
        );
        let stated = [f32_info(vec![n(), 2.into()]), f32_info(vec![n(), 3.into()])];
        assert_eq!(inferred("concat", &stated, &axis1), "Tensor<[n, 5], f32>");
    }

    // ---- split ----

    #[test]
    fn split_into_equal_sections_in_every_dtype() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[6, 4], seed as u64);
            let parts = check_op("split", &[x.clone()], &attrs(&[("sections", AttrValue::Int(3))]));
            assert_eq!(parts.len(), 3);
            assert!(parts.iter().all(|p| p.shape() == [2, 4]));
            assert_eq!(parts[2].at(&[1, 3]), x.at(&[5, 3]));
        }
        let columns = attrs(&[("axis", AttrValue::Int(1)), ("sections", AttrValue::Int(2))]);
        let parts = check_op("split", &[iota(DType::I32, &[2, 4])], &columns);
        assert_eq!(values(&parts[0]), [0, 1, 4, 5]);
        assert_eq!(values(&parts[1]), [2, 3, 6, 7]);
    }

    #[test]
    fn split_at_indices_follows_numpy() {
        let x = iota(DType::I64, &[6]);
        let split = |points: &[i64]| -> Vec<Vec<i64>> {
            check_op("split", &[x.clone()], &attrs(&[("indices", ints(points))])).iter().map(values).collect()
        };
        assert_eq!(split(&[2, 5]), [vec![0, 1], vec![2, 3, 4], vec![5]]);
        assert_eq!(split(&[-2]), [vec![0, 1, 2, 3], vec![4, 5]]);
        assert_eq!(split(&[4, 1]), [vec![0, 1, 2, 3], vec![], vec![1, 2, 3, 4, 5]]);
        assert_eq!(split(&[0, 9]), [vec![], vec![0, 1, 2, 3, 4, 5], vec![]]);
        assert_eq!(split(&[]), [vec![0, 1, 2, 3, 4, 5]]);
    }

    #[test]
    fn split_with_symbolic_dims() {
        let x = f32_info(vec![n(), 3.into()]);
        let halves = attrs(&[("sections", AttrValue::Int(2))]);
        // n may be odd: the last element would belong to no section.
        let err = infer_error("split", &[x.clone()], &halves);
        assert!(err.starts_with("split: cannot prove that axis 0 of size n divides into 2 equal sections"), "{err}");
        let even = f32_info(vec![n() * 4, 3.into()]);
        assert_eq!(inferred("split", &[even], &halves), "(Tensor<[n * 2, 3], f32>, Tensor<[n * 2, 3], f32>)");
        let at2 = attrs(&[("indices", ints(&[2]))]);
        assert_eq!(inferred("split", &[x], &at2), "(Tensor<[min(2, n), 3], f32>, Tensor<[max(0, n - 2), 3], f32>)");

        let data = NDArray::random(DType::F32, &[8, 3], 4);
        check_op_symbolic("split", &[data.clone()], &at2, &[(0, 0, "n")]);
        // n = 1: the first section is cut short and the second is empty.
        check_op_symbolic("split", &[NDArray::random(DType::F32, &[1, 3], 5)], &at2, &[(0, 0, "n")]);
    }

    #[test]
    fn split_rejects_bad_sections() {
        let x = static_info(DType::F32, &[10]);
        let err = |a: Attrs| infer_error("split", &[x.clone()], &a);
        let both = attrs(&[("sections", AttrValue::Int(2)), ("indices", ints(&[3]))]);
        assert_eq!(err(both), "split: takes either `sections` or `indices`, not both");
        assert_eq!(
            err(Attrs::new()),
            "split: expected `sections` (a number of equal parts) or `indices` (split points)"
        );
        let none = attrs(&[("sections", AttrValue::Int(0))]);
        assert_eq!(err(none), "split: expected a positive number of sections, got 0");
        assert_eq!(
            err(attrs(&[("sections", AttrValue::Int(3))])),
            "split: cannot split axis 0 of size 10 into 3 equal sections"
        );
    }

    // ---- strided_slice ----

    /// CPython's slice adjustment, which numpy follows: the indices `x[start:stop:step]` reads.
    fn python_slice(len: i64, start: i64, stop: i64, step: i64) -> Vec<i64> {
        let adjust = |v: i64| match v {
            v if v < 0 && v + len < 0 => {
                if step < 0 {
                    -1
                } else {
                    0
                }
            }
            v if v < 0 => v + len,
            v if v >= len => {
                if step < 0 {
                    len - 1
                } else {
                    len
                }
            }
            v => v,
        };
        let (mut i, stop) = (adjust(start), adjust(stop));
        let mut out = vec![];
        while (step > 0 && i < stop) || (step < 0 && i > stop) {
            out.push(i);
            i += step;
        }
        out
    }

    #[test]
    fn strided_slice_matches_python_slicing_everywhere() {
        let positions: Vec<i64> = (-8..8).chain([i64::MIN, i64::MAX, -(1 << 60), 1 << 60]).collect();
        for len in 0..6usize {
            let x = iota(DType::I64, &[len]);
            for &begin in &positions {
                for &end in &positions {
                    for stride in [-3, -2, -1, 1, 2, 3] {
                        let a =
                            attrs(&[("begin", ints(&[begin])), ("end", ints(&[end])), ("strides", ints(&[stride]))]);
                        let out = check_op_symbolic("strided_slice", &[x.clone()], &a, &[(0, 0, "n")]);
                        let expected = python_slice(len as i64, begin, end, stride);
                        assert_eq!(values(&out[0]), expected, "x[{begin}:{end}:{stride}] with len {len}");
                    }
                }
            }
        }
    }

    #[test]
    fn strided_slice_in_every_dtype() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[5, 6], seed as u64);
            let a = attrs(&[
                ("axes", ints(&[1, 0])),
                ("begin", ints(&[-5, 1])),
                ("end", ints(&[100, 4])),
                ("strides", ints(&[1, 2])),
            ]);
            let out = check_op("strided_slice", &[x.clone()], &a);
            assert_eq!(out[0].shape(), &[2, 5]);
            assert_eq!(out[0].at(&[1, 4]), x.at(&[3, 5]));
        }
        let leading = attrs(&[("begin", ints(&[1])), ("end", ints(&[3]))]);
        let out = check_op("strided_slice", &[iota(DType::I32, &[4, 2])], &leading);
        assert_eq!(values(&out[0]), [2, 3, 4, 5]);
    }

    #[test]
    fn strided_slice_symbolic_lengths_stay_readable() {
        let x = f32_info(vec![n()]);
        let slice = |begin: i64, end: i64, stride: i64| {
            let a = attrs(&[("begin", ints(&[begin])), ("end", ints(&[end])), ("strides", ints(&[stride]))]);
            inferred("strided_slice", &[x.clone()], &a)
        };
        assert_eq!(slice(0, i64::MAX, 1), "Tensor<[n], f32>");
        assert_eq!(slice(1, i64::MAX, 1), "Tensor<[max(0, n - 1)], f32>");
        assert_eq!(slice(0, -1, 1), "Tensor<[max(0, n - 1)], f32>");
        assert_eq!(slice(-1, i64::MIN, -1), "Tensor<[n], f32>");
        assert_eq!(slice(0, i64::MAX, 2), "Tensor<[(n + 1) / 2], f32>");
    }

    #[test]
    fn strided_slice_rejects_bad_attributes() {
        let x = static_info(DType::F32, &[4, 5]);
        let err = |a: Attrs| infer_error("strided_slice", &[x.clone()], &a);
        let base = |extra: &[(&str, AttrValue)]| {
            let mut a = attrs(&[("begin", ints(&[0])), ("end", ints(&[2]))]);
            for (k, v) in extra {
                a.set(k, v.clone());
            }
            a
        };
        assert_eq!(err(base(&[("strides", ints(&[0]))])), "strided_slice: the stride for axis 0 is 0");
        assert_eq!(
            err(base(&[("axes", ints(&[0, 1]))])),
            "strided_slice: expected one begin, end and stride per sliced axis; \
             got 2 axes, 1 begin, 1 end and 2 strides"
        );
        let twice = base(&[("axes", ints(&[1, -1])), ("begin", ints(&[0, 0])), ("end", ints(&[1, 1]))]);
        assert_eq!(err(twice), "strided_slice: axis -1 appears more than once in [1, -1]");
        assert_eq!(err(attrs(&[("end", ints(&[2]))])), "strided_slice: missing attribute `begin`");
    }

    /// Positions known only at run time give the same ranges as constants.
    #[test]
    fn symbolic_slices_agree_with_constant_ones() {
        let (b, e, st) = (Dim::var("b"), Dim::var("e"), Dim::var("s"));
        for dim in 0..5i64 {
            let symbolic = AxisRange::slice_symbolic(0, &Dim::var("d"), &b, &e, &st);
            for (begin, end, stride) in
                (-7..7).flat_map(|b| (-7..7).flat_map(move |e| [-3, -1, 1, 2].map(|s| (b, e, s))))
            {
                let env = HashMap::from([
                    ("b".to_string(), begin),
                    ("e".to_string(), end),
                    ("s".to_string(), stride),
                    ("d".to_string(), dim),
                ]);
                let constant = AxisRange::slice(0, &Dim::Int(dim), begin, end, stride);
                let len = symbolic.len.eval(&env);
                assert_eq!(len, constant.len.as_int(), "len of {begin}:{end}:{stride} in {dim}");
                if len > Some(0) {
                    assert_eq!(symbolic.start.eval(&env), constant.start.as_int(), "start of {begin}:{end}:{stride}");
                }
            }
        }
    }

    // ---- take ----

    #[test]
    fn take_gathers_rows_and_columns() {
        let x = iota(DType::F32, &[5, 3]);
        let rows = NDArray::from_i64_values(DType::I64, &[2, 2], &[0, -1, 4, 2]);
        let out = check_op("take", &[x.clone(), rows], &Attrs::new());
        assert_eq!(out[0].shape(), &[2, 2, 3]);
        assert_eq!(values(&out[0]), [0, 1, 2, 12, 13, 14, 12, 13, 14, 6, 7, 8]);

        let columns = NDArray::from_i64_values(DType::I32, &[2], &[2, 0]);
        let out = check_op("take", &[x.clone(), columns], &attrs(&[("axis", AttrValue::Int(1))]));
        assert_eq!(values(&out[0]), [2, 0, 5, 3, 8, 6, 11, 9, 14, 12]);

        let scalar = NDArray::scalar(DType::I64, Scalar::I(-2));
        let out = check_op("take", &[x, scalar], &attrs(&[("axis", AttrValue::Int(-1))]));
        assert_eq!(values(&out[0]), [1, 4, 7, 10, 13]);
    }

    #[test]
    fn take_in_every_dtype_and_with_symbolic_dims() {
        let indices = NDArray::from_i64_values(DType::I32, &[3], &[3, -4, 1]);
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[4, 2], seed as u64);
            check_op_symbolic("take", &[x, indices.clone()], &Attrs::new(), &[(0, 0, "n"), (1, 0, "k")]);
        }
        let x = f32_info(vec![n(), 2.into()]);
        let k = TensorInfo::new(DType::I64, vec![Dim::var("k")]);
        assert_eq!(inferred("take", &[x, k], &Attrs::new()), "Tensor<[k, 2], f32>");
    }

    #[test]
    fn take_rejects_bad_indices() {
        let x = static_info(DType::F32, &[5, 3]);
        let float = static_info(DType::F32, &[2]);
        let err = infer_error("take", &[x.clone(), float], &Attrs::new());
        assert_eq!(err, "take: indices must be i32 or i64, got f32");
        let ok = static_info(DType::I64, &[2]);
        let axis2 = attrs(&[("axis", AttrValue::Int(2))]);
        let err = infer_error("take", &[x.clone(), ok], &axis2);
        assert_eq!(err, "take: axis 2 is out of range for a tensor of rank 2");
        assert_eq!(infer_error("take", &[x], &Attrs::new()), "take: expected 2 arguments, got 1");

        let data = NDArray::zeros(DType::F32, &[5, 3]);
        let outside = NDArray::from_i64_values(DType::I64, &[2], &[1, 5]);
        let err = eval_error("take", &[data, outside], &Attrs::new());
        assert_eq!(err, "take: index 5 is out of range for axis 0 of size 5");
    }

    #[test]
    fn take_kernel_clamps_indices_into_the_axis() {
        let def = lookup("take").expect("registered");
        let x = iota(DType::I64, &[5]);
        let indices = NDArray::from_i64_values(DType::I64, &[3], &[7, -9, -2]);
        let infos = [static_info(DType::I64, &[5]), static_info(DType::I64, &[3])];
        let f = (def.legalize)(&infos, &Attrs::new(), &[static_info(DType::I64, &[3])]).expect("legalizes");
        let mut buffers = vec![x, indices, NDArray::zeros(DType::I64, &[3])];
        run_prim_func(&f, &mut buffers, &[]).expect("stays in bounds");
        assert_eq!(values(&buffers[2]), [4, 0, 3]);
    }

    // ---- broadcast_to ----

    #[test]
    fn broadcast_to_repeats_unit_axes() {
        for (seed, dtype) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(dtype, &[3, 1], seed as u64);
            let out = check_op("broadcast_to", &[x.clone()], &attrs(&[("shape", ints(&[2, 3, 4]))]));
            assert_eq!(out[0].shape(), &[2, 3, 4]);
            assert_eq!(out[0].at(&[1, 2, 3]), x.at(&[2, 0]));
        }
        let out = check_op("broadcast_to", &[iota(DType::I8, &[1, 3])], &attrs(&[("shape", ints(&[2, 3]))]));
        assert_eq!(values(&out[0]), [0, 1, 2, 0, 1, 2]);

        let target = attrs(&[("shape", AttrValue::Dims(vec![n(), 4.into()]))]);
        assert_eq!(inferred("broadcast_to", &[f32_info(vec![n(), 1.into()])], &target), "Tensor<[n, 4], f32>");
        check_op_symbolic("broadcast_to", &[NDArray::random(DType::F32, &[3, 1], 9)], &target, &[(0, 0, "n")]);
    }

    #[test]
    fn broadcast_to_rejects_incompatible_targets() {
        let err = |from: &[i64], to: &[i64]| {
            infer_error("broadcast_to", &[static_info(DType::F32, from)], &attrs(&[("shape", ints(to))]))
        };
        assert_eq!(
            err(&[3], &[4]),
            "broadcast_to: cannot broadcast [3] to [4]: axis 0 has size 3, which is neither 1 nor 4"
        );
        assert_eq!(err(&[2, 3], &[3]), "broadcast_to: cannot broadcast [2, 3] to [3], which has fewer dimensions");
        assert_eq!(err(&[1], &[-2]), "broadcast_to: target shape [-2] has a negative entry -2");
        let unbound = attrs(&[("shape", AttrValue::Dims(vec![n(), 3.into()]))]);
        let err = eval_error("broadcast_to", &[NDArray::zeros(DType::F32, &[1, 3])], &unbound);
        assert_eq!(err, "broadcast_to: shape [n, 3] names symbolic dims that are not bound to values");
    }

    #[test]
    fn broadcast_to_rejects_dims_it_cannot_prove_equal() {
        let x = f32_info(vec![n(), 1.into()]);
        let target = attrs(&[("shape", AttrValue::Dims(vec![Dim::var("m"), 4.into()]))]);
        assert_eq!(
            infer_error("broadcast_to", &[x], &target),
            "broadcast_to: cannot prove at compile time that target and input dimensions m and n are equal; \
             state it with a match_cast of the first argument: `let x_checked = match_cast(x, Tensor<[m, 1], f32>);`"
        );
    }

    // ---- copy / identity ----

    #[test]
    fn copy_and_identity_return_their_argument() {
        for op in ["copy", "identity"] {
            for (seed, dtype) in DType::ALL.into_iter().enumerate() {
                let x = NDArray::random(dtype, &[3, 2], seed as u64);
                let out = check_op_symbolic(op, &[x.clone()], &Attrs::new(), &[(0, 0, "n")]);
                assert_eq!(out[0], x);
            }
            assert_eq!(infer_error(op, &[], &Attrs::new()), format!("{op}: expected 1 argument, got 0"));
        }
    }

    #[test]
    fn misspelt_attributes_are_errors() {
        let x = [static_info(DType::F32, &[4, 2])];
        let stride = attrs(&[("begin", ints(&[0])), ("end", ints(&[2])), ("stride", ints(&[2]))]);
        assert_eq!(
            infer_error("strided_slice", &x, &stride),
            "strided_slice: unknown attribute `stride` (it takes axes, begin, end, strides)"
        );
        let axis = attrs(&[("axis", ints(&[0]))]);
        assert_eq!(infer_error("squeeze", &x, &axis), "squeeze: unknown attribute `axis` (it takes axes)");
        assert_eq!(infer_error("copy", &x, &axis), "copy: unknown attribute `axis` (it takes none)");
    }

    #[test]
    fn kernels_reject_the_wrong_number_of_outputs() {
        let x = [static_info(DType::F32, &[4])];
        let split = lookup("split").expect("registered");
        let halves = attrs(&[("sections", AttrValue::Int(2))]);
        let err = (split.legalize)(&x, &halves, &x).expect_err("needs two outputs");
        assert_eq!(err, "split: writes 2 outputs, its kernel was asked for 1");
        let reshape = lookup("reshape").expect("registered");
        let err = (reshape.legalize)(&x, &attrs(&[("shape", ints(&[4]))]), &[]).expect_err("needs an output");
        assert_eq!(err, "reshape: writes 1 output, its kernel was asked for 0");
    }
}
