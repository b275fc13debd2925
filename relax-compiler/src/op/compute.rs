//! The small compute language legalization rules are written in:
//! `compute(shape, |i| expr)` for one value per output element, `reduce(...)`
//! for reductions, and shape helpers (broadcasting, axis normalization) shared
//! by inference and legalization. Rules say *what* each element is; loop
//! structure is left for scheduling passes to change.
//!
//! It also holds the checks every operator shares, so that they behave and
//! read alike: [`require_equal`] for the dim equalities a kernel relies on
//! (proven, or an error saying how to state them), and the argument, dtype and
//! attribute checks, whose messages all start with the operator's name.

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
    if n == 1 {
        vec!["out".to_string()]
    } else {
        (0..n).map(|i| format!("out{i}")).collect()
    }
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
    let mut params: Vec<Buffer> =
        inputs.iter().enumerate().map(|(k, t)| Buffer::new(input_name(k), t.dtype, t.shape.clone())).collect();
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
            // As loop-IR literals (u64::MAX is held as its bits, -1).
            (Combine::Max, false) => PExpr::Int(int_range(dtype).0 as i64, dtype),
            (Combine::Min, false) => PExpr::Int(int_range(dtype).1 as i64, dtype),
        }
    }

    /// The binary operator folding one element into the accumulator.
    pub fn bin_op(self) -> BinOp {
        match self {
            Combine::Sum => BinOp::Add,
            Combine::Max => BinOp::Max,
            Combine::Min => BinOp::Min,
            Combine::Prod => BinOp::Mul,
        }
    }

    pub fn apply(self, acc: PExpr, x: PExpr) -> PExpr {
        PExpr::bin(self.bin_op(), acc, x)
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
            // u64 values above i64::MAX order as unsigned; sums and products
            // wrap alike in both readings.
            (Scalar::U(_), _) | (_, Scalar::U(_)) => {
                let (a, b) = (acc.to_u64(), x.to_u64());
                Scalar::from_u64(match self {
                    Combine::Sum => a.wrapping_add(b),
                    Combine::Prod => a.wrapping_mul(b),
                    Combine::Max => a.max(b),
                    Combine::Min => a.min(b),
                })
            }
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
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// Min that propagates NaN.
pub fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// Smallest and largest value of an integer dtype (or bool); for other
/// dtypes, i64's range.
pub fn int_range(dtype: DType) -> (i128, i128) {
    let bits = dtype.bits();
    match dtype {
        DType::Bool => (0, 1),
        _ if dtype.is_signed_int() => (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1),
        _ if dtype.is_unsigned_int() => (0, (1i128 << bits) - 1),
        _ => (i64::MIN.into(), i64::MAX.into()),
    }
}

/// What a [`reduce`] kernel folds over: the extents of the reduced axes
/// (index vars `r*`), how elements combine, and the accumulator's dtype.
pub struct Fold<'a> {
    pub extents: &'a [Dim],
    pub combine: Combine,
    pub acc_dtype: DType,
}

/// A reduction kernel: for each output element (index vars `i*`), an accumulator
/// starts at the combine's identity, folds `value(out_idx, red_idx)` over
/// `fold`'s extents, and `finish(acc, out_idx)` is stored. `value` and
/// `finish` give values of the accumulator's dtype; where it is not the
/// output's, the stored value is cast to it (explicitly, so the expression
/// keeps one dtype wherever fusion moves it).
pub fn reduce(
    name: &str,
    inputs: &[TensorInfo],
    out: &TensorInfo,
    fold: Fold<'_>,
    value: impl Fn(&[PExpr], &[PExpr]) -> PExpr,
    finish: impl Fn(PExpr, &[PExpr]) -> PExpr,
) -> PrimFunc {
    let Fold { extents, combine, acc_dtype } = fold;
    let out_vars = index_vars("i", out.rank());
    let red_vars = index_vars("r", extents.len());
    let (oi, ri) = (vars_as_exprs(&out_vars), vars_as_exprs(&red_vars));
    let acc = PExpr::load("acc", vec![]);
    let step = Stmt::store("acc", vec![], combine.apply(acc.clone(), value(&oi, &ri)));
    let result = finish(acc, &oi);
    let per_element = Stmt::alloc(
        Buffer::new("acc", acc_dtype, vec![]),
        Stmt::Seq(vec![
            Stmt::store("acc", vec![], combine.init(acc_dtype)),
            Stmt::loop_nest(&red_vars, extents, step),
            Stmt::store(
                "out",
                oi.clone(),
                if acc_dtype == out.dtype { result } else { PExpr::cast(out.dtype, result) },
            ),
        ]),
    );
    prim_func(name, inputs, std::slice::from_ref(out), Stmt::loop_nest(&out_vars, &out.shape, per_element))
}

// ---- equalities kernels rely on ----

/// Requires dims `a` and `b` to be equal, an equality `op`'s kernel relies on:
/// kernels take loop extents from one buffer's shape and index another with
/// them, and nothing checks the two at run time, so dims that merely might be
/// equal could make generated code read or write out of bounds. Provably equal
/// dims pass; provably different ones give `differ()`, the operator's own
/// account of the mismatch; dims the simplifier cannot decide give an error
/// naming both and saying how to state the equality (`unproven()`).
pub fn require_equal<'a>(
    a: &Dim,
    b: &Dim,
    unproven: impl FnOnce() -> Unproven<'a>,
    differ: impl FnOnce() -> String,
) -> Result<(), String> {
    match a.equality(b) {
        Equality::Proven => Ok(()),
        Equality::Disproven => Err(differ()),
        Equality::Unknown => Err(unproven().message(a, b)),
    }
}

/// What [`require_equal`] says about an equality it cannot decide.
pub struct Unproven<'a> {
    /// The operator, which starts the message.
    pub op: &'a str,
    /// What the two dims are, read just before them: "inner dimensions".
    pub what: String,
    pub remedy: Remedy<'a>,
}

impl Unproven<'_> {
    fn message(&self, a: &Dim, b: &Dim) -> String {
        let remedy = self.remedy.describe(a);
        format!("{}: cannot prove at compile time that {} {a} and {b} are equal; {remedy}", self.op, self.what)
    }
}

/// How a user who knows two dims are equal tells the compiler, which then
/// checks it at run time.
pub enum Remedy<'a> {
    /// `match_cast` argument number `arg` (its parameter `name`, its struct
    /// info `info`) so that its axis `axis`, which holds the second dim,
    /// reads the first.
    Cast { arg: usize, name: String, info: &'a TensorInfo, axis: usize },
    /// Advice in words, for an equality no cast of one argument states.
    Advice(String),
}

impl Remedy<'_> {
    /// The remedy as a clause; `first` is the dim a cast should state.
    fn describe(&self, first: &Dim) -> String {
        match self {
            Remedy::Cast { arg, name, info, axis } => {
                let mut shape = info.shape.clone();
                shape[*axis] = first.clone();
                let target = TensorInfo::new(info.dtype, shape);
                let cast = format!("let {name}_checked = match_cast({name}, {target});");
                format!("state it with a match_cast of the {} argument: `{cast}`", ordinal(*arg))
            }
            Remedy::Advice(text) => text.clone(),
        }
    }
}

/// "first", "second", ... for argument positions counted from 0.
fn ordinal(k: usize) -> String {
    const WORDS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];
    WORDS.get(k).map_or_else(|| format!("{}th", k + 1), |w| w.to_string())
}

// ---- shape rules shared by inference and legalization ----

/// Numpy broadcasting of two shapes: aligned from the right, an axis of size 1
/// stretches to the other's size, and otherwise the two sizes must be equal.
/// The caller states that requirement, in its own words, as
/// `require(axis, x, y)` (usually through [`require_equal`]); `axis` counts in
/// the result, and on success the result has `x` there.
pub fn broadcast_shapes(
    a: &[Dim],
    b: &[Dim],
    mut require: impl FnMut(usize, &Dim, &Dim) -> Result<(), String>,
) -> Result<Vec<Dim>, String> {
    let rank = a.len().max(b.len());
    let pad =
        |s: &[Dim]| -> Vec<Dim> { std::iter::repeat_n(Dim::Int(1), rank - s.len()).chain(s.iter().cloned()).collect() };
    let (pa, pb) = (pad(a), pad(b));
    pa.iter()
        .zip(&pb)
        .enumerate()
        .map(|(axis, (x, y))| match (x.as_int(), y.as_int()) {
            (Some(1), _) => Ok(y.clone()),
            (_, Some(1)) => Ok(x.clone()),
            _ => require(axis, x, y).map(|()| x.clone()),
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
            if d.as_int() == Some(1) && out_dim.as_int() != Some(1) {
                PExpr::int(0)
            } else {
                out_idx[k + offset].clone()
            }
        })
        .collect()
}

/// The same rule on concrete shapes: the flat index into `arg_shape` of the
/// output element at flat index `flat`.
pub fn broadcast_flat(arg_shape: &[usize], out_shape: &[usize], flat: usize) -> usize {
    let idx = unravel(flat, out_shape);
    let offset = out_shape.len() - arg_shape.len();
    arg_shape.iter().enumerate().fold(0, |acc, (k, &d)| acc * d + if d == 1 { 0 } else { idx[k + offset] })
}

/// Broadcasting on concrete shapes, for `op`'s reference semantics.
pub fn broadcast_concrete(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>, String> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|i| {
            let x = if i + a.len() >= rank { a[i + a.len() - rank] } else { 1 };
            let y = if i + b.len() >= rank { b[i + b.len() - rank] } else { 1 };
            match (x, y) {
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                (x, y) if x == y => Ok(x),
                _ => Err(format!("{op}: shapes {a:?} and {b:?} cannot be broadcast")),
            }
        })
        .collect()
}

/// Element-wise reference semantics of `op` with broadcasting over any number
/// of inputs.
pub fn eval_broadcast(
    op: &str,
    args: &[&NDArray],
    out_dtype: DType,
    f: impl Fn(&[Scalar]) -> Scalar,
) -> Result<NDArray, String> {
    let mut shape: Vec<usize> = vec![];
    for a in args {
        shape = broadcast_concrete(op, &shape, a.shape())?;
    }
    let mut vals = vec![Scalar::I(0); args.len()];
    Ok(NDArray::from_fn(out_dtype, &shape, |i| {
        for (v, a) in vals.iter_mut().zip(args) {
            *v = a.get(broadcast_flat(a.shape(), &shape, i));
        }
        f(&vals)
    }))
}

/// Resolves a possibly negative axis of `op` against a rank.
pub fn normalize_axis(op: &str, axis: i64, rank: usize) -> Result<usize, String> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r.max(1)).contains(&a) && (a < r || rank == 0) {
        Ok(a as usize)
    } else {
        Err(format!("{op}: axis {axis} is out of range for a tensor of rank {rank}"))
    }
}

/// Requires exactly `n` tensor arguments.
pub fn expect_args(op: &str, args: &[TensorInfo], n: usize) -> Result<(), String> {
    if args.len() == n {
        Ok(())
    } else {
        Err(format!("{op}: expected {n} argument{}, got {}", if n == 1 { "" } else { "s" }, args.len()))
    }
}

/// Requires all arguments to share one dtype and returns it.
pub fn same_dtype(op: &str, args: &[TensorInfo]) -> Result<DType, String> {
    let first = args.first().ok_or_else(|| format!("{op}: expected at least one argument"))?.dtype;
    match args.iter().find(|a| a.dtype != first) {
        None => Ok(first),
        Some(other) => Err(format!("{op}: arguments must have one dtype, got {first} and {}", other.dtype)),
    }
}

/// `acc + x * y` for elements of `dtype`, with each operation rounded (floats)
/// or wrapped (integers) to the [`accumulator_dtype`], exactly as a kernel
/// accumulating there computes it. Reference semantics of matmul and
/// convolution use it so they agree with their legalized kernels bit for bit,
/// whatever the reduction length.
pub fn multiply_add(acc: Scalar, x: Scalar, y: Scalar, dtype: DType) -> Scalar {
    use crate::interp::tir::binary;
    let dtype = accumulator_dtype(dtype);
    let product = binary(BinOp::Mul, x, y, dtype).cast(dtype);
    binary(BinOp::Add, acc, product, dtype).cast(dtype)
}

/// The dtype sums and products over elements of `dtype` accumulate in: f32
/// for floats narrower than f32, as numpy's float16 reductions and matmul do
/// (the result is rounded to the narrow dtype once, when stored), and `dtype`
/// itself otherwise.
pub fn accumulator_dtype(dtype: DType) -> DType {
    if dtype.narrow_float().is_some() {
        DType::F32
    } else {
        dtype
    }
}

/// `x`, an expression of `dtype`, converted to [`accumulator_dtype`] (a cast
/// only where the two differ).
pub fn widen(x: PExpr, dtype: DType) -> PExpr {
    let acc = accumulator_dtype(dtype);
    if acc == dtype {
        x
    } else {
        PExpr::cast(acc, x)
    }
}

/// The struct info of a concrete tensor (static shape): lets reference
/// semantics validate their arguments with the same checks as inference.
pub fn info_of(a: &NDArray) -> TensorInfo {
    TensorInfo::new(a.dtype(), a.shape().iter().map(|&d| Dim::from(d)).collect())
}

// ---- index arithmetic for data-movement kernels ----

/// The loop nest storing `f(idx)` into every element of the output buffer
/// `out_name` of shape `shape`: [`compute`]'s body, for kernels with several
/// outputs, which sequence one nest per output.
pub fn compute_stmt(out_name: &str, shape: &[Dim], f: impl Fn(&[PExpr]) -> PExpr) -> Stmt {
    let vars = index_vars("i", shape.len());
    let idx = vars_as_exprs(&vars);
    Stmt::loop_nest(&vars, shape, Stmt::store(out_name, idx.clone(), f(&idx)))
}

/// The row-major flat offset of the multi-index `idx` into `shape`.
pub fn ravel_index(idx: &[PExpr], shape: &[Dim]) -> PExpr {
    let mut terms = idx.iter().zip(shape);
    let Some((first, _)) = terms.next() else { return PExpr::int(0) };
    terms.fold(first.clone(), |acc, (i, d)| acc * PExpr::from_dim(d) + i.clone())
}

/// The multi-index of the row-major flat offset `flat` into `shape`: axis k is
/// `flat / stride_k % dim_k`. Axis 0 needs no modulo (the offset is in range)
/// and unit axes are always 0.
pub fn unravel_index(flat: &PExpr, shape: &[Dim]) -> Vec<PExpr> {
    (0..shape.len())
        .map(|k| {
            if shape[k].as_int() == Some(1) {
                return PExpr::int(0);
            }
            let stride = Dim::product(&shape[k + 1..]);
            let quotient = match stride.as_int() {
                Some(1) => flat.clone(),
                _ => PExpr::bin(BinOp::FloorDiv, flat.clone(), PExpr::from_dim(&stride)),
            };
            if k == 0 {
                quotient
            } else {
                PExpr::bin(BinOp::FloorMod, quotient, PExpr::from_dim(&shape[k]))
            }
        })
        .collect()
}

/// `max(d, 0)`, simplified, for a length computed as a difference that may be
/// negative (an empty slice). The `max` is dropped when `d` is provably
/// non-negative, which keeps shapes such as `n` from reading `max(n, 0)`.
pub fn at_least_zero(d: Dim) -> Dim {
    let d = d.simplify();
    if provably_nonneg(&d) {
        d
    } else {
        d.max(0).simplify()
    }
}

/// Whether a simplified dim is provably `>= 0`, knowing that every variable is
/// a tensor dimension (so non-negative). Conservative: any subtraction fails.
pub fn provably_nonneg(d: &Dim) -> bool {
    let positive_const = |b: &Dim| b.as_int().is_some_and(|v| v > 0);
    match d {
        Dim::Int(v) => *v >= 0,
        Dim::Var(_) => true,
        Dim::Add(a, b) | Dim::Mul(a, b) | Dim::Min(a, b) => provably_nonneg(a) && provably_nonneg(b),
        Dim::Max(a, b) => provably_nonneg(a) || provably_nonneg(b),
        Dim::Div(a, b) => provably_nonneg(a) && positive_const(b),
        Dim::Mod(_, b) => positive_const(b),
        Dim::Sub(..) => false,
    }
}

// ---- dtype and attribute checks shared by inference rules ----

/// `message` as an error of `op`: prefixed with `op: ` unless it already is.
/// Every operator error starts with its operator's name exactly once, so the
/// user sees which call failed; this covers messages from helpers that know
/// no operator, such as the attribute accessors of [`crate::ir::Attrs`].
pub fn in_op(op: &str, message: String) -> String {
    match message.strip_prefix(op) {
        Some(rest) if rest.starts_with(": ") => message,
        _ => format!("{op}: {message}"),
    }
}

/// [`in_op`] on a result: `attrs.int_or("axis", 0).in_op(op)?`.
pub trait InOp<T> {
    fn in_op(self, op: &str) -> Result<T, String>;
}

impl<T> InOp<T> for Result<T, String> {
    fn in_op(self, op: &str) -> Result<T, String> {
        self.map_err(|e| in_op(op, e))
    }
}

/// A family of dtypes an operator is defined on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DTypeClass {
    /// Floats of every width.
    Float,
    /// Floats and integers; not bool.
    Numeric,
    /// Signed and unsigned integers; not bool.
    Integer,
    /// bool only.
    Bool,
    /// Every dtype.
    Any,
}

impl DTypeClass {
    pub fn contains(self, dtype: DType) -> bool {
        match self {
            DTypeClass::Float => dtype.is_float(),
            DTypeClass::Numeric => dtype != DType::Bool,
            DTypeClass::Integer => dtype.is_int(),
            DTypeClass::Bool => dtype == DType::Bool,
            DTypeClass::Any => true,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            DTypeClass::Float => "float tensors (f16, bf16, f32, f64)",
            DTypeClass::Integer => "integer tensors (signed or unsigned, not bool)",
            DTypeClass::Numeric => "numeric tensors (floats and integers, not bool)",
            DTypeClass::Bool => "bool tensors",
            DTypeClass::Any => "tensors of any dtype",
        }
    }
}

/// Requires `dtype` to be in `class`; the error names the operator, what it
/// accepts and what it got.
pub fn expect_dtype_class(op: &str, dtype: DType, class: DTypeClass) -> Result<(), String> {
    if class.contains(dtype) {
        Ok(())
    } else {
        Err(format!("{op}: expected {}, got {dtype}", class.describe()))
    }
}

/// Rejects attributes `op` does not take, so a misspelt name (`axis` for
/// `axes`) is an error instead of a silently ignored default.
pub fn expect_attrs(op: &str, attrs: &crate::ir::Attrs, known: &[&str]) -> Result<(), String> {
    match attrs.0.iter().find(|(name, _)| !known.contains(&name.as_str())) {
        None => Ok(()),
        Some((name, _)) if known.is_empty() => Err(format!("{op}: unknown attribute `{name}` (it takes none)")),
        Some((name, _)) => Err(format!("{op}: unknown attribute `{name}` (it takes {})", known.join(", "))),
    }
}

// ---- reductions ----

impl Combine {
    /// [`Combine::init`] as a concrete value, for reference semantics; derived
    /// from it so the two cannot disagree.
    pub fn init_value(self, dtype: DType) -> Scalar {
        match self.init(dtype) {
            PExpr::Int(v, d) => Scalar::I(v).cast(d),
            PExpr::Float(v, d) => Scalar::F(v).cast(d),
            PExpr::Bool(b) => Scalar::B(b),
            other => unreachable!("Combine::init built a non-literal {other:?}"),
        }
    }
}

/// Where the scan of an [`arg_reduce`] kernel starts.
pub struct ArgScan {
    /// The value every candidate is first compared with.
    pub init: PExpr,
    /// The dtype of the scanned values.
    pub dtype: DType,
    /// The extent of the scanned axis.
    pub extent: Dim,
}

/// An argmax-style kernel: for each output element (index vars `i*`) it scans
/// `value(out_idx, r)` for `r` in `0..extent`, keeping the best value so far
/// (starting from `scan.init`) and its position (starting at 0); a candidate
/// replaces them when `beats(candidate, best)` (a bool expression) holds. The
/// position is stored, so with a strict `beats` the first best one wins and an
/// empty extent stores 0.
pub fn arg_reduce(
    name: &str,
    inputs: &[TensorInfo],
    out: &TensorInfo,
    scan: ArgScan,
    value: impl Fn(&[PExpr], PExpr) -> PExpr,
    beats: impl Fn(PExpr, PExpr) -> PExpr,
) -> PrimFunc {
    let out_vars = index_vars("i", out.rank());
    let oi = vars_as_exprs(&out_vars);
    let r = PExpr::var("r");
    let candidate = value(&oi, r.clone());
    let replace = Stmt::Seq(vec![Stmt::store("best", vec![], candidate.clone()), Stmt::store("best_at", vec![], r)]);
    let wins = beats(candidate, accumulator("best"));
    let step = Stmt::If { cond: wins, then_branch: Box::new(replace), else_branch: None };
    let per_element = Stmt::Seq(vec![
        Stmt::store("best", vec![], scan.init),
        Stmt::store("best_at", vec![], PExpr::int(0)),
        Stmt::for_("r", PExpr::from_dim(&scan.extent), step),
        Stmt::store("out", oi, accumulator("best_at")),
    ]);
    let scratch = with_accumulators(&["best"], scan.dtype, with_accumulators(&["best_at"], DType::I64, per_element));
    prim_func(name, inputs, std::slice::from_ref(out), Stmt::loop_nest(&out_vars, &out.shape, scratch))
}

/// [`info_of`] for each argument of a reference-semantics function.
pub fn infos_of(args: &[&NDArray]) -> Vec<TensorInfo> {
    args.iter().map(|a| info_of(a)).collect()
}

// ---- scalar accumulators for multi-pass kernels ----

/// The value of the rank-0 scratch buffer `name` (a scalar accumulator).
pub fn accumulator(name: &str) -> PExpr {
    PExpr::load(name, vec![])
}

/// `body` with rank-0 scratch buffers `names` of `dtype` in scope: the
/// per-row or per-window statistics of kernels that keep several at once
/// (softmax's max and sum, an average's sum and count). Being scalars, they
/// never scale with a symbolic extent.
pub fn with_accumulators(names: &[&str], dtype: DType, body: Stmt) -> Stmt {
    names.iter().rev().fold(body, |body, name| Stmt::alloc(Buffer::new(*name, dtype, vec![]), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> Dim {
        Dim::var("n")
    }

    fn unproven(info: &TensorInfo) -> Unproven<'_> {
        let remedy = Remedy::Cast { arg: 1, name: "w".to_string(), info, axis: 0 };
        Unproven { op: "matmul", what: "inner dimensions".to_string(), remedy }
    }

    #[test]
    fn require_equal_passes_only_proven_equalities() {
        let w = TensorInfo::new(DType::F32, vec![Dim::var("j"), Dim::Int(10)]);
        let differ = || "matmul: they differ".to_string();
        assert_eq!(require_equal(&(n() * 2), &(n() + n()), || unproven(&w), differ), Ok(()));
        assert_eq!(require_equal(&(n() + 1), &n(), || unproven(&w), differ), Err("matmul: they differ".to_string()));
        assert_eq!(
            require_equal(&Dim::var("k"), &Dim::var("j"), || unproven(&w), differ),
            Err("matmul: cannot prove at compile time that inner dimensions k and j are equal; state it with a \
                 match_cast of the second argument: `let w_checked = match_cast(w, Tensor<[k, 10], f32>);`"
                .to_string())
        );
    }

    #[test]
    fn advice_is_given_as_written() {
        let remedy = || Remedy::Advice("use -1".to_string());
        let unproven = || Unproven { op: "reshape", what: "element counts".to_string(), remedy: remedy() };
        let err = require_equal(&n(), &Dim::var("m"), unproven, String::new).unwrap_err();
        assert_eq!(err, "reshape: cannot prove at compile time that element counts n and m are equal; use -1");
    }

    #[test]
    fn broadcasting_asks_only_about_axes_where_neither_dim_is_one() {
        let (a, b) = (vec![n(), Dim::Int(1), Dim::Int(3)], vec![Dim::var("m"), Dim::Int(3)]);
        let mut asked = vec![];
        let out = broadcast_shapes(&a, &b, |axis, x, y| {
            asked.push((axis, x.clone(), y.clone()));
            Ok(())
        });
        assert_eq!(out, Ok(vec![n(), Dim::var("m"), Dim::Int(3)]));
        assert_eq!(asked, [(2, Dim::Int(3), Dim::Int(3))]);
        let refused = broadcast_shapes(&[n()], &[Dim::var("m")], |_, _, _| Err("no".to_string()));
        assert_eq!(refused, Err("no".to_string()));
    }

    #[test]
    fn in_op_prefixes_a_message_once() {
        assert_eq!(in_op("sum", "attribute `axes` must be constant".into()), "sum: attribute `axes` must be constant");
        assert_eq!(in_op("sum", "sum: axis 2 is out of range".into()), "sum: axis 2 is out of range");
        // Another operator's name that merely starts the same way is not this one's prefix.
        assert_eq!(in_op("sum", "summary: x".into()), "sum: summary: x");
        assert_eq!(Err::<(), _>("bad".to_string()).in_op("cast"), Err("cast: bad".to_string()));
    }
}
