//! The small compute language legalization rules are written in:
//! `compute(shape, |i| expr)` for one value per output element, `reduce(...)`
//! for reductions, and shape helpers (broadcasting, axis normalization) shared
//! by inference and legalization. Rules say *what* each element is; loop
//! structure is left for scheduling passes to change.

use crate::ir::{BinOp, Buffer, Dim, Equality, PExpr, PrimFunc, Stmt, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use relax_rt::DType;
use std::collections::BTreeSet;

/// Name of the k-th input buffer of a legalized kernel.
pub fn input_name(k: usize) -> String {
    format!("in{k}")
}

/// Names of the output buffers: `out` for one, `out0`, `out1`, ... for several.
pub fn output_names(n: usize) -> Vec<String> {
    if n == 1 { vec!["out".to_string()] } else { (0..n).map(|i| format!("out{i}")).collect() }
}

/// Loads element `idx` of input `k`.
pub fn load(k: usize, idx: Vec<PExpr>) -> PExpr {
    PExpr::load(&input_name(k), idx)
}

/// Loop variable names `i0, i1, ...` for `rank` output axes.
pub fn index_vars(prefix: &str, rank: usize) -> Vec<String> {
    (0..rank).map(|i| format!("{prefix}{i}")).collect()
}

fn vars_as_exprs(vars: &[String]) -> Vec<PExpr> {
    vars.iter().map(|v| PExpr::var(v)).collect()
}

/// A `PrimFunc` over `inputs` and `outputs` with `body`; its dim params are every
/// symbolic variable the buffer shapes mention.
pub fn prim_func(name: &str, inputs: &[TensorInfo], outputs: &[TensorInfo], body: Stmt) -> PrimFunc {
    let mut params: Vec<Buffer> = inputs
        .iter()
        .enumerate()
        .map(|(k, t)| Buffer::new(input_name(k), t.dtype, t.shape.clone()))
        .collect();
    let names = output_names(outputs.len());
    params.extend(outputs.iter().zip(&names).map(|(t, n)| Buffer::new(n.clone(), t.dtype, t.shape.clone())));
    let dims: BTreeSet<String> = params.iter().flat_map(|b| b.shape.iter().flat_map(|d| d.free_vars())).collect();
    PrimFunc { name: name.to_string(), params, num_outputs: outputs.len(), dims: dims.into_iter().collect(), body }
}

/// `out[i0, i1, ...] = f([i0, i1, ...])` for every output element.
pub fn compute(name: &str, inputs: &[TensorInfo], out: &TensorInfo, f: impl Fn(&[PExpr]) -> PExpr) -> PrimFunc {
    let vars = index_vars("i", out.rank());
    let idx = vars_as_exprs(&vars);
    let body = Stmt::loop_nest(&vars, &out.shape, Stmt::store("out", idx.clone(), f(&idx)));
    prim_func(name, inputs, std::slice::from_ref(out), body)
}

/// How a reduction combines elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Combine {
    Sum,
    Max,
    Min,
    Prod,
}

impl Combine {
    /// The identity element in `dtype`.
    pub fn init(self, dtype: DType) -> PExpr {
        match (self, dtype.is_float()) {
            (Combine::Sum, _) => PExpr::constant(0.0, dtype),
            (Combine::Prod, _) => PExpr::constant(1.0, dtype),
            (Combine::Max, true) => PExpr::constant(f64::NEG_INFINITY, dtype),
            (Combine::Min, true) => PExpr::constant(f64::INFINITY, dtype),
            (Combine::Max, false) => PExpr::Int(int_range(dtype).0, dtype),
            (Combine::Min, false) => PExpr::Int(int_range(dtype).1, dtype),
        }
    }

    pub fn apply(self, acc: PExpr, x: PExpr) -> PExpr {
        let op = match self {
            Combine::Sum => BinOp::Add,
            Combine::Max => BinOp::Max,
            Combine::Min => BinOp::Min,
            Combine::Prod => BinOp::Mul,
        };
        PExpr::bin(op, acc, x)
    }

    /// The same reduction on concrete values (for reference semantics).
    pub fn apply_scalar(self, acc: Scalar, x: Scalar) -> Scalar {
        match (acc, x) {
            (Scalar::F(a), Scalar::F(b)) => Scalar::F(match self {
                Combine::Sum => a + b,
                Combine::Prod => a * b,
                Combine::Max => nan_max(a, b),
                Combine::Min => nan_min(a, b),
            }),
            (a, b) => {
                let (a, b) = (a.to_i64(), b.to_i64());
                Scalar::I(match self {
                    Combine::Sum => a.wrapping_add(b),
                    Combine::Prod => a.wrapping_mul(b),
                    Combine::Max => a.max(b),
                    Combine::Min => a.min(b),
                })
            }
        }
    }
}

/// Max that propagates NaN (what codegen's `llvm.maximum` does).
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.max(b) }
}

/// Min that propagates NaN.
pub fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() { f64::NAN } else { a.min(b) }
}

/// Smallest and largest value of an integer dtype.
pub fn int_range(dtype: DType) -> (i64, i64) {
    match dtype {
        DType::I8 => (i8::MIN as i64, i8::MAX as i64),
        DType::U8 => (0, u8::MAX as i64),
        DType::I32 => (i32::MIN as i64, i32::MAX as i64),
        DType::Bool => (0, 1),
        _ => (i64::MIN, i64::MAX),
    }
}

/// A reduction kernel: for each output element (index vars `i*`), an accumulator
/// starts at `combine`'s identity, folds `value(out_idx, red_idx)` over the
/// reduction extents (index vars `r*`), and `finish(acc, out_idx)` is stored.
pub fn reduce(
    name: &str,
    inputs: &[TensorInfo],
    out: &TensorInfo,
    red_extents: &[Dim],
    combine: Combine,
    acc_dtype: DType,
    value: impl Fn(&[PExpr], &[PExpr]) -> PExpr,
    finish: impl Fn(PExpr, &[PExpr]) -> PExpr,
) -> PrimFunc {
    let out_vars = index_vars("i", out.rank());
    let red_vars = index_vars("r", red_extents.len());
    let (oi, ri) = (vars_as_exprs(&out_vars), vars_as_exprs(&red_vars));
    let acc = PExpr::load("acc", vec![]);
    let fold = Stmt::loop_nest(&red_vars, red_extents, Stmt::store("acc", vec![], combine.apply(acc.clone(), value(&oi, &ri))));
    let per_element = Stmt::alloc(
        Buffer::new("acc", acc_dtype, vec![]),
        Stmt::Seq(vec![
            Stmt::store("acc", vec![], combine.init(acc_dtype)),
            fold,
            Stmt::store("out", oi.clone(), finish(acc, &oi)),
        ]),
    );
    prim_func(name, inputs, std::slice::from_ref(out), Stmt::loop_nest(&out_vars, &out.shape, per_element))
}

// ---- shape rules shared by inference and legalization ----

/// Numpy broadcasting of two shapes; errors name both shapes and the axis.
pub fn broadcast_shapes(a: &[Dim], b: &[Dim]) -> Result<Vec<Dim>, String> {
    let rank = a.len().max(b.len());
    let pad = |s: &[Dim]| -> Vec<Dim> { std::iter::repeat_n(Dim::Int(1), rank - s.len()).chain(s.iter().cloned()).collect() };
    let (pa, pb) = (pad(a), pad(b));
    pa.iter()
        .zip(&pb)
        .enumerate()
        .map(|(axis, (x, y))| match (x.as_int(), y.as_int()) {
            (Some(1), _) => Ok(y.clone()),
            (_, Some(1)) => Ok(x.clone()),
            _ => match x.equality(y) {
                Equality::Proven => Ok(x.clone()),
                // Unknown equality: assume equal and let the entry check it at run time.
                Equality::Unknown => Ok(x.clone()),
                Equality::Disproven => Err(format!(
                    "shapes {} and {} cannot be broadcast: axis {axis} is {x} vs {y}",
                    crate::ir::dim::shape_to_string(a),
                    crate::ir::dim::shape_to_string(b)
                )),
            },
        })
        .collect()
}

/// The index into `arg` for output index `out_idx` under broadcasting: leading
/// axes are dropped and axes of size 1 are read at 0.
pub fn broadcast_index(arg: &TensorInfo, out: &TensorInfo, out_idx: &[PExpr]) -> Vec<PExpr> {
    let offset = out.rank() - arg.rank();
    arg.shape
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let out_dim = &out.shape[k + offset];
            if d.as_int() == Some(1) && out_dim.as_int() != Some(1) { PExpr::int(0) } else { out_idx[k + offset].clone() }
        })
        .collect()
}

/// The same rule on concrete shapes: the flat index into `arg_shape` of the
/// output element at flat index `flat`.
pub fn broadcast_flat(arg_shape: &[usize], out_shape: &[usize], flat: usize) -> usize {
    let idx = unravel(flat, out_shape);
    let offset = out_shape.len() - arg_shape.len();
    arg_shape
        .iter()
        .enumerate()
        .fold(0, |acc, (k, &d)| acc * d + if d == 1 { 0 } else { idx[k + offset] })
}

/// Broadcasting on concrete shapes, for reference semantics.
pub fn broadcast_concrete(a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| {
            let x = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
            let y = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
            match (x, y) {
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                (x, y) if x == y => Ok(x),
                _ => Err(format!("shapes {a:?} and {b:?} cannot be broadcast")),
            }
        })
        .collect()
}

/// Element-wise reference semantics with broadcasting over any number of inputs.
pub fn eval_broadcast(
    args: &[&NDArray],
    out_dtype: DType,
    f: impl Fn(&[Scalar]) -> Scalar,
) -> Result<NDArray, String> {
    let mut shape: Vec<usize> = vec![];
    for a in args {
        shape = broadcast_concrete(&shape, a.shape())?;
    }
    let mut vals = vec![Scalar::I(0); args.len()];
    Ok(NDArray::from_fn(out_dtype, &shape, |i| {
        for (v, a) in vals.iter_mut().zip(args) {
            *v = a.get(broadcast_flat(a.shape(), &shape, i));
        }
        f(&vals)
    }))
}

/// Resolves a possibly negative axis against a rank.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r.max(1)).contains(&a) && (a < r || rank == 0) {
        Ok(a as usize)
    } else {
        Err(format!("axis {axis} is out of range for a tensor of rank {rank}"))
    }
}

/// Requires exactly `n` tensor arguments.
pub fn expect_args(op: &str, args: &[TensorInfo], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!("{op} takes {n} argument{}, got {}", if n == 1 { "" } else { "s" }, args.len()))
    }
}

/// Requires all arguments to share one dtype and returns it.
pub fn same_dtype(op: &str, args: &[TensorInfo]) -> Result<DType, String> {
    let first = args.first().ok_or_else(|| format!("{op} needs at least one argument"))?.dtype;
    match args.iter().find(|a| a.dtype != first) {
        None => Ok(first),
        Some(other) => Err(format!("{op} needs arguments of one dtype, got {first} and {}", other.dtype)),
    }
}
