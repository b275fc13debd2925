//! Element-wise operators: arithmetic with numpy broadcasting, unary math,
//! comparisons, logic, bitwise operations and shifts on integers, `where`,
//! `cast`, `bitcast` and `clip`.
//!
//! Each operator is a scalar formula (see [`super::formula`]) written once and
//! read both as reference semantics and as the legalized kernel's expression,
//! so the two agree bit for bit and most table entries are one line.
//!
//! Conventions: binary operators take arguments of one dtype; integer
//! arithmetic wraps, and integer division or remainder by zero gives 0 (the
//! loop IR's semantics, so generated code never traps); `round` rounds half to
//! even; `maximum`/`minimum` propagate NaN; a shift by an amount outside
//! `0..bits` shifts every bit out (0, or the sign fill for `right_shift` of a
//! negative signed value), as numpy's shifts do. Broadcast dims must be provably
//! equal unless one is 1 (see [`require_equal`]).

use super::compute::{
    broadcast_index, broadcast_shapes, compute, eval_broadcast, expect_args, expect_attrs, expect_dtype_class,
    infos_of, int_range, load, require_equal, same_dtype, DTypeClass, InOp, Remedy, Unproven,
};
use super::formula::{gelu, gelu_tanh, relu, rsqrt, sigmoid, sign, square, ScalarCode, ScalarOps, ScalarValue};
use super::{OpDef, OpKind};
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, StructInfo, TensorInfo, UnOp};
use crate::ndarray::NDArray;
use relax_rt::DType;

/// `unary!(name, class, formula)`: `out[i] = formula(in0[i])` for a tensor
/// whose dtype is in `DTypeClass::class`; the result has the same dtype.
macro_rules! unary {
    ($name:literal, $class:ident, $formula:expr) => {
        OpDef {
            name: $name,
            kind: OpKind::ElemWise,
            infer: |args, attrs| Signature::map(DTypeClass::$class).infer_struct($name, args, attrs),
            eval: |args, attrs| {
                let out = Signature::map(DTypeClass::$class).infer($name, &infos_of(args), attrs)?;
                eval_unary($name, args, out.dtype, $formula)
            },
            legalize: |args, _, out| legalize_unary($name, args, out, $formula),
        }
    };
}

/// `binary!(name, signature, formula)`: `out[i] = formula(a[i], b[i])` after
/// broadcasting two tensors of one dtype, checked against `signature`.
macro_rules! binary {
    ($name:literal, $signature:expr, $formula:expr) => {
        OpDef {
            name: $name,
            kind: OpKind::Broadcast,
            infer: |args, attrs| $signature.infer_struct($name, args, attrs),
            eval: |args, attrs| {
                let out = $signature.infer($name, &infos_of(args), attrs)?;
                eval_binary($name, args, out.dtype, $formula)
            },
            legalize: |args, _, out| legalize_binary($name, args, out, $formula),
        }
    };
}

const ARITHMETIC: Signature = Signature::binary(DTypeClass::Numeric);
const COMPARISON: Signature = Signature { params: BINARY_PARAMS, class: DTypeClass::Any, returns_bool: true };
const LOGICAL: Signature = Signature::binary(DTypeClass::Bool);
const BITWISE: Signature = Signature::binary(DTypeClass::Integer);

pub const OPS: &[OpDef] = &[
    // Arithmetic.
    binary!("add", ARITHMETIC, |a, b| a + b),
    binary!("sub", ARITHMETIC, |a, b| a - b),
    binary!("mul", ARITHMETIC, |a, b| a * b),
    binary!("div", ARITHMETIC, |a, b| a / b),
    binary!("pow", ARITHMETIC, |a, b| a.bin(BinOp::Pow, b)),
    binary!("maximum", ARITHMETIC, |a, b| a.bin(BinOp::Max, b)),
    binary!("minimum", ARITHMETIC, |a, b| a.bin(BinOp::Min, b)),
    binary!("mod", ARITHMETIC, |a, b| a.bin(BinOp::Rem, b)),
    binary!("floor_mod", ARITHMETIC, |a, b| a.bin(BinOp::FloorMod, b)),
    // Unary math.
    unary!("neg", Numeric, |x| -x),
    unary!("abs", Numeric, |x| x.un(UnOp::Abs)),
    unary!("exp", Float, |x| x.un(UnOp::Exp)),
    unary!("log", Float, |x| x.un(UnOp::Log)),
    unary!("sqrt", Float, |x| x.un(UnOp::Sqrt)),
    unary!("rsqrt", Float, rsqrt),
    unary!("tanh", Float, |x| x.un(UnOp::Tanh)),
    unary!("sigmoid", Float, sigmoid),
    unary!("relu", Numeric, relu),
    unary!("gelu", Float, gelu),
    unary!("gelu_tanh", Float, gelu_tanh),
    unary!("erf", Float, |x| x.un(UnOp::Erf)),
    unary!("floor", Numeric, |x| x.un(UnOp::Floor)),
    unary!("ceil", Numeric, |x| x.un(UnOp::Ceil)),
    unary!("round", Numeric, |x| x.un(UnOp::Round)),
    unary!("sin", Float, |x| x.un(UnOp::Sin)),
    unary!("cos", Float, |x| x.un(UnOp::Cos)),
    unary!("asin", Float, |x| x.un(UnOp::Asin)),
    unary!("acos", Float, |x| x.un(UnOp::Acos)),
    unary!("atan", Float, |x| x.un(UnOp::Atan)),
    unary!("sinh", Float, |x| x.un(UnOp::Sinh)),
    unary!("cosh", Float, |x| x.un(UnOp::Cosh)),
    unary!("asinh", Float, |x| x.un(UnOp::Asinh)),
    unary!("acosh", Float, |x| x.un(UnOp::Acosh)),
    unary!("atanh", Float, |x| x.un(UnOp::Atanh)),
    unary!("sign", Numeric, sign),
    unary!("reciprocal", Float, |x| x.lit(1.0) / x),
    unary!("square", Numeric, square),
    // Comparisons (bool results).
    binary!("equal", COMPARISON, |a, b| a.bin(BinOp::Eq, b)),
    binary!("not_equal", COMPARISON, |a, b| a.bin(BinOp::Ne, b)),
    binary!("less", COMPARISON, |a, b| a.bin(BinOp::Lt, b)),
    binary!("less_equal", COMPARISON, |a, b| a.bin(BinOp::Le, b)),
    binary!("greater", COMPARISON, |a, b| a.bin(BinOp::Gt, b)),
    binary!("greater_equal", COMPARISON, |a, b| a.bin(BinOp::Ge, b)),
    // Logic.
    binary!("logical_and", LOGICAL, |a, b| a.bin(BinOp::And, b)),
    binary!("logical_or", LOGICAL, |a, b| a.bin(BinOp::Or, b)),
    unary!("logical_not", Bool, |x| x.un(UnOp::Not)),
    // Bits of integers.
    binary!("bitwise_and", BITWISE, |a, b| a.bin(BinOp::BitAnd, b)),
    binary!("bitwise_or", BITWISE, |a, b| a.bin(BinOp::BitOr, b)),
    binary!("bitwise_xor", BITWISE, |a, b| a.bin(BinOp::BitXor, b)),
    unary!("bitwise_not", Integer, |x| x.un(UnOp::Not)),
    binary!("left_shift", BITWISE, |a, b| a.bin(BinOp::Shl, b)),
    binary!("right_shift", BITWISE, |a, b| a.bin(BinOp::Shr, b)),
    // Selection and conversion.
    OpDef { name: "where", kind: OpKind::Broadcast, infer: infer_where, eval: eval_where, legalize: legalize_where },
    OpDef { name: "cast", kind: OpKind::ElemWise, infer: infer_cast, eval: eval_cast, legalize: legalize_cast },
    OpDef {
        name: "bitcast",
        kind: OpKind::ElemWise,
        infer: infer_bitcast,
        eval: eval_bitcast,
        legalize: legalize_bitcast,
    },
    OpDef { name: "clip", kind: OpKind::ElemWise, infer: infer_clip, eval: eval_clip, legalize: legalize_clip },
];

// ---- signatures: the inference rule of the table's operators ----

/// Parameter names of the operators, as messages call the arguments.
const UNARY_PARAMS: &[&str] = &["x"];
const BINARY_PARAMS: &[&str] = &["a", "b"];
const WHERE_PARAMS: &[&str] = &["cond", "a", "b"];

/// What an element-wise operator takes and gives: one tensor per parameter,
/// of one dtype in `class`, broadcast together; the result has that dtype, or
/// bool.
#[derive(Clone, Copy, Debug)]
struct Signature {
    params: &'static [&'static str],
    class: DTypeClass,
    returns_bool: bool,
}

impl Signature {
    const fn map(class: DTypeClass) -> Signature {
        Signature { params: UNARY_PARAMS, class, returns_bool: false }
    }

    const fn binary(class: DTypeClass) -> Signature {
        Signature { params: BINARY_PARAMS, class, returns_bool: false }
    }

    fn infer(&self, op: &str, args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
        expect_args(op, args, self.params.len())?;
        expect_attrs(op, attrs, &[])?;
        let dtype = same_dtype(op, args)?;
        expect_dtype_class(op, dtype, self.class)?;
        let out_dtype = if self.returns_bool { DType::Bool } else { dtype };
        Ok(TensorInfo::new(out_dtype, broadcast_all(op, args, self.params)?))
    }

    fn infer_struct(&self, op: &str, args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
        self.infer(op, args, attrs).map(StructInfo::Tensor)
    }
}

/// The numpy broadcast of every argument's shape (`params` name them). Each
/// argument in turn is broadcast with the shape of those before it, so a dim
/// that cannot be proven equal is stated on the later argument.
fn broadcast_all(op: &str, args: &[TensorInfo], params: &[&str]) -> Result<Vec<Dim>, String> {
    args.iter().enumerate().try_fold(Vec::new(), |shape, (k, arg)| {
        let offset = shape.len().max(arg.rank()) - arg.rank();
        broadcast_shapes(&shape, &arg.shape, |axis, x, y| {
            let unproven = || Unproven {
                op,
                what: "broadcast dimensions".to_string(),
                remedy: Remedy::Cast { arg: k, name: params[k].to_string(), info: arg, axis: axis - offset },
            };
            let differ = || {
                let (a, b) = (shape_to_string(&shape), shape_to_string(&arg.shape));
                format!("{op}: shapes {a} and {b} cannot be broadcast: axis {axis} is {x} vs {y}")
            };
            require_equal(x, y, unproven, differ)
        })
    })
}

// ---- evaluating and legalizing formulas ----

/// Reference semantics of `op`: `formula` on every element, after
/// broadcasting. The caller has checked `args` with its inference rule.
fn eval_elementwise<const N: usize>(
    op: &str,
    args: &[&NDArray],
    out_dtype: DType,
    formula: impl Fn([ScalarValue; N]) -> ScalarValue,
) -> Result<Vec<NDArray>, String> {
    if args.len() != N {
        return Err(format!("{op}: expected {N} arguments, got {}", args.len()));
    }
    let result = eval_broadcast(op, args, out_dtype, |values| {
        formula(std::array::from_fn(|k| ScalarValue::new(values[k], args[k].dtype()))).value
    })?;
    Ok(vec![result])
}

/// The kernel `out[i] = formula(in0[i'], in1[i''], ...)`, each input read at
/// its broadcast index.
fn legalize_elementwise<const N: usize>(
    name: &str,
    args: &[TensorInfo],
    outs: &[TensorInfo],
    formula: impl Fn([ScalarCode; N]) -> ScalarCode,
) -> Result<PrimFunc, String> {
    expect_args(name, args, N)?;
    let [out] = outs else { return Err(format!("{name}: has one output, its kernel was asked for {}", outs.len())) };
    Ok(compute(name, args, out, |idx| {
        let operands =
            std::array::from_fn(|k| ScalarCode::new(load(k, broadcast_index(&args[k], out, idx)), args[k].dtype));
        formula(operands).expr
    }))
}

fn eval_unary(
    op: &str,
    args: &[&NDArray],
    out_dtype: DType,
    formula: impl Fn(ScalarValue) -> ScalarValue,
) -> Result<Vec<NDArray>, String> {
    eval_elementwise(op, args, out_dtype, |[x]| formula(x))
}

fn eval_binary(
    op: &str,
    args: &[&NDArray],
    out_dtype: DType,
    formula: impl Fn(ScalarValue, ScalarValue) -> ScalarValue,
) -> Result<Vec<NDArray>, String> {
    eval_elementwise(op, args, out_dtype, |[a, b]| formula(a, b))
}

fn legalize_unary(
    name: &str,
    args: &[TensorInfo],
    outs: &[TensorInfo],
    formula: impl Fn(ScalarCode) -> ScalarCode,
) -> Result<PrimFunc, String> {
    legalize_elementwise(name, args, outs, |[x]| formula(x))
}

fn legalize_binary(
    name: &str,
    args: &[TensorInfo],
    outs: &[TensorInfo],
    formula: impl Fn(ScalarCode, ScalarCode) -> ScalarCode,
) -> Result<PrimFunc, String> {
    legalize_elementwise(name, args, outs, |[a, b]| formula(a, b))
}

// ---- where(cond, a, b) ----

/// A bool condition and two branches of one dtype, all three broadcast.
fn infer_where_info(args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
    expect_args("where", args, 3)?;
    expect_attrs("where", attrs, &[])?;
    if args[0].dtype != DType::Bool {
        return Err(format!("where: the condition must be bool, got {}", args[0].dtype));
    }
    let (a, b) = (args[1].dtype, args[2].dtype);
    if a != b {
        return Err(format!("where: the branches must have one dtype, got {a} and {b}"));
    }
    Ok(TensorInfo::new(a, broadcast_all("where", args, WHERE_PARAMS)?))
}

fn infer_where(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    infer_where_info(args, attrs).map(StructInfo::Tensor)
}

fn eval_where(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let out = infer_where_info(&infos_of(args), attrs)?;
    eval_elementwise("where", args, out.dtype, |[cond, a, b]| cond.select(a, b))
}

fn legalize_where(args: &[TensorInfo], _: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    legalize_elementwise("where", args, outs, |[cond, a, b]| cond.select(a, b))
}

// ---- cast(x, dtype = ..) ----

/// Any dtype to the `dtype` attribute's, by `Scalar::cast` (the conversion the
/// loop IR and codegen share): floats truncate toward zero when converted to
/// integers, NaN becomes 0, and anything nonzero is `true`.
fn infer_cast_info(args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
    expect_args("cast", args, 1)?;
    expect_attrs("cast", attrs, &["dtype"])?;
    Ok(TensorInfo::new(attrs.dtype("dtype").in_op("cast")?, args[0].shape.clone()))
}

fn infer_cast(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    infer_cast_info(args, attrs).map(StructInfo::Tensor)
}

fn eval_cast(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let dtype = infer_cast_info(&infos_of(args), attrs)?.dtype;
    eval_unary("cast", args, dtype, |x| x.cast(dtype))
}

fn legalize_cast(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let dtype = attrs.dtype("dtype").in_op("cast")?;
    legalize_unary("cast", args, outs, |x| x.cast(dtype))
}

// ---- bitcast(x, dtype = ..) ----

/// Each element's bits, in the memory layout of `x`'s dtype, read as the
/// `dtype` attribute's, which must have the same width (`f32` and `i32`,
/// `f16` and `u16`, `bool` and `u8`, `i4` and `u4`).
fn infer_bitcast_info(args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
    expect_args("bitcast", args, 1)?;
    expect_attrs("bitcast", attrs, &["dtype"])?;
    let (from, to) = (args[0].dtype, attrs.dtype("dtype").in_op("bitcast")?);
    if from.bits() != to.bits() || from.size() != to.size() {
        return Err(format!("bitcast: {from} ({} bits) and {to} ({} bits) differ in width", from.bits(), to.bits()));
    }
    Ok(TensorInfo::new(to, args[0].shape.clone()))
}

fn infer_bitcast(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    infer_bitcast_info(args, attrs).map(StructInfo::Tensor)
}

/// The array's bytes read as the new dtype.
fn eval_bitcast(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let out = infer_bitcast_info(&infos_of(args), attrs)?;
    Ok(vec![NDArray::from_bytes(out.dtype, args[0].shape(), &args[0].to_bytes())?])
}

fn legalize_bitcast(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let out = infer_bitcast_info(args, attrs)?;
    let [declared] = outs else {
        return Err(format!("bitcast: has one output, its kernel was asked for {}", outs.len()));
    };
    Ok(compute("bitcast", args, declared, |idx| PExpr::bitcast(out.dtype, load(0, idx.to_vec()))))
}

// ---- clip(x, min = .., max = ..) ----

/// `min(max(x, min), max)`: both bounds optional; with `min > max` every
/// element becomes `max` (numpy's rule).
fn infer_clip_info(args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
    expect_args("clip", args, 1)?;
    expect_dtype_class("clip", args[0].dtype, DTypeClass::Numeric)?;
    clip_bounds(attrs, args[0].dtype)?;
    Ok(args[0].clone())
}

fn infer_clip(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    infer_clip_info(args, attrs).map(StructInfo::Tensor)
}

/// The `min` and `max` attributes as values representable in `dtype`. For an
/// integer dtype they are rounded inwards (`min = -0.5` admits 0 but not -1)
/// and limited to the dtype's range, so converting them cannot wrap.
fn clip_bounds(attrs: &Attrs, dtype: DType) -> Result<(f64, f64), String> {
    expect_attrs("clip", attrs, &["min", "max"])?;
    let lo = attrs.float_or("min", f64::NEG_INFINITY).in_op("clip")?;
    let hi = attrs.float_or("max", f64::INFINITY).in_op("clip")?;
    if lo.is_nan() || hi.is_nan() {
        return Err("clip: bounds must be numbers, got NaN".to_string());
    }
    if dtype.is_float() {
        return Ok((lo, hi));
    }
    let (min, max) = int_range(dtype);
    Ok((lo.ceil().clamp(min as f64, max as f64), hi.floor().clamp(min as f64, max as f64)))
}

fn clip<S: ScalarOps>(x: S, (lo, hi): (f64, f64)) -> S {
    let (lo, hi) = (x.lit(lo), x.lit(hi));
    x.bin(BinOp::Max, lo).bin(BinOp::Min, hi)
}

fn eval_clip(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let dtype = infer_clip_info(&infos_of(args), attrs)?.dtype;
    let bounds = clip_bounds(attrs, dtype)?;
    eval_unary("clip", args, dtype, |x| clip(x, bounds))
}

fn legalize_clip(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    expect_args("clip", args, 1)?;
    let bounds = clip_bounds(attrs, args[0].dtype)?;
    legalize_unary("clip", args, outs, |x| clip(x, bounds))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, StructInfo, TensorInfo};
    use crate::ndarray::{NDArray, Scalar};
    use crate::op::compute::{info_of, DTypeClass};
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    const UNARY: &[&str] = &[
        "neg",
        "abs",
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "tanh",
        "sigmoid",
        "relu",
        "gelu",
        "gelu_tanh",
        "erf",
        "floor",
        "ceil",
        "round",
        "sin",
        "cos",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "asinh",
        "acosh",
        "atanh",
        "sign",
        "reciprocal",
        "square",
        "logical_not",
        "bitwise_not",
    ];
    const FLOAT_ONLY: &[&str] = &[
        "exp",
        "log",
        "sqrt",
        "rsqrt",
        "tanh",
        "sigmoid",
        "gelu",
        "gelu_tanh",
        "erf",
        "sin",
        "cos",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "asinh",
        "acosh",
        "atanh",
        "reciprocal",
    ];
    const BINARY: &[&str] = &[
        "add",
        "sub",
        "mul",
        "div",
        "pow",
        "maximum",
        "minimum",
        "mod",
        "floor_mod",
        "equal",
        "not_equal",
        "less",
        "less_equal",
        "greater",
        "greater_equal",
        "logical_and",
        "logical_or",
        "bitwise_and",
        "bitwise_or",
        "bitwise_xor",
        "left_shift",
        "right_shift",
    ];
    const COMPARISONS: &[&str] = &["equal", "not_equal", "less", "less_equal", "greater", "greater_equal"];

    /// The dtypes each operator is meant to accept, stated independently of its table entry.
    fn intended_domain(op: &str) -> DTypeClass {
        if FLOAT_ONLY.contains(&op) {
            DTypeClass::Float
        } else if op.starts_with("logical") {
            DTypeClass::Bool
        } else if op.starts_with("bitwise") || op.ends_with("_shift") {
            DTypeClass::Integer
        } else if COMPARISONS.contains(&op) {
            DTypeClass::Any
        } else {
            DTypeClass::Numeric
        }
    }

    fn infer(op: &str, args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
        (lookup(op).unwrap_or_else(|| panic!("no operator `{op}`")).infer)(args, attrs)
    }

    fn infer_error(op: &str, args: &[TensorInfo], attrs: &Attrs) -> String {
        infer(op, args, attrs).expect_err("inference should fail")
    }

    fn tensor(dtype: DType, shape: &[Dim]) -> TensorInfo {
        TensorInfo::new(dtype, shape.to_vec())
    }

    fn dims(shape: &[i64]) -> Vec<Dim> {
        shape.iter().map(|&d| Dim::Int(d)).collect()
    }

    /// The dtypes `op` accepts when every argument has that dtype; checks
    /// they are the ones it is meant to.
    fn accepted_dtypes(op: &str, arity: usize) -> Vec<DType> {
        let accepts = |d: DType| infer(op, &vec![tensor(d, &dims(&[2])); arity], &Attrs::new()).is_ok();
        let accepted: Vec<DType> = DType::ALL.into_iter().filter(|&d| accepts(d)).collect();
        let intended: Vec<DType> = DType::ALL.into_iter().filter(|&d| intended_domain(op).contains(d)).collect();
        assert_eq!(accepted, intended, "{op} accepts the wrong dtypes");
        accepted
    }

    fn f64s(dtype: DType, values: &[f64]) -> NDArray {
        NDArray::from_f64_values(dtype, &[values.len()], values)
    }

    fn i64s(dtype: DType, values: &[i64]) -> NDArray {
        NDArray::from_i64_values(dtype, &[values.len()], values)
    }

    fn bools(values: &[bool]) -> NDArray {
        NDArray::from_i64_values(DType::Bool, &[values.len()], &values.iter().map(|&b| b as i64).collect::<Vec<_>>())
    }

    fn u64s(values: &[u64]) -> NDArray {
        NDArray::from_fn(DType::U64, &[values.len()], |i| Scalar::from_u64(values[i]))
    }

    /// Runs `op` through the harness and checks its one output against `want`.
    fn assert_op(op: &str, args: &[NDArray], attrs: &Attrs, want: &NDArray) {
        let got = check_op(op, args, attrs);
        got[0].assert_close(want, 1e-12, 0.0).unwrap_or_else(|e| panic!("{op}: {e}"));
    }

    // ---- every operator, random inputs, every dtype it accepts ----

    #[test]
    fn unary_ops_match_their_kernels_on_every_accepted_dtype() {
        for op in UNARY {
            for (seed, dtype) in accepted_dtypes(op, 1).into_iter().enumerate() {
                let x = NDArray::random(dtype, &[3, 5], seed as u64 + 1);
                check_op(op, std::slice::from_ref(&x), &Attrs::new());
                check_op_symbolic(op, &[x], &Attrs::new(), &[(0, 0, "n"), (0, 1, "m")]);
            }
        }
    }

    #[test]
    fn binary_ops_broadcast_on_every_accepted_dtype() {
        for op in BINARY {
            for (seed, dtype) in accepted_dtypes(op, 2).into_iter().enumerate() {
                let a = NDArray::random(dtype, &[2, 3, 4], 2 * seed as u64 + 1);
                let b = NDArray::random(dtype, &[3, 1], 2 * seed as u64 + 2);
                let scalar = NDArray::random(dtype, &[], 7);
                check_op(op, &[a.clone(), b.clone()], &Attrs::new());
                check_op(op, &[scalar, a.clone()], &Attrs::new());
                check_op_symbolic(op, &[a, b], &Attrs::new(), &[(0, 0, "n"), (0, 1, "m"), (1, 0, "m")]);
            }
        }
    }

    // ---- hand-checked values ----

    #[test]
    fn integer_division_truncates_and_remainders_take_their_sign_rules() {
        let a = i64s(DType::I32, &[7, -7, 7, -7, 5]);
        let b = i64s(DType::I32, &[2, 2, -2, -2, 0]);
        let args = [a, b];
        assert_op("div", &args, &Attrs::new(), &i64s(DType::I32, &[3, -3, -3, 3, 0]));
        assert_op("mod", &args, &Attrs::new(), &i64s(DType::I32, &[1, -1, 1, -1, 0]));
        assert_op("floor_mod", &args, &Attrs::new(), &i64s(DType::I32, &[1, 1, -1, -1, 0]));
    }

    #[test]
    fn float_remainders_and_powers() {
        let args = [f64s(DType::F64, &[5.5, -5.5]), f64s(DType::F64, &[2.0, 2.0])];
        assert_op("mod", &args, &Attrs::new(), &f64s(DType::F64, &[1.5, -1.5]));
        assert_op("floor_mod", &args, &Attrs::new(), &f64s(DType::F64, &[1.5, 0.5]));
        let args = [f64s(DType::F32, &[4.0, 2.0, -8.0]), f64s(DType::F32, &[0.5, -1.0, 3.0])];
        assert_op("pow", &args, &Attrs::new(), &f64s(DType::F32, &[2.0, 0.5, -512.0]));
        let args = [i64s(DType::I64, &[2, 3, -2, 2, -1]), i64s(DType::I64, &[10, 0, 3, -1, -3])];
        assert_op("pow", &args, &Attrs::new(), &i64s(DType::I64, &[1024, 1, -8, 0, -1]));
    }

    #[test]
    fn bitwise_operations_keep_the_dtype() {
        let a = i64s(DType::I16, &[0b1100, -1, 0x7f00]);
        let b = i64s(DType::I16, &[0b1010, 0x1234, 0x0ff0]);
        let args = [a.clone(), b];
        assert_op("bitwise_and", &args, &Attrs::new(), &i64s(DType::I16, &[0b1000, 0x1234, 0x0f00]));
        assert_op("bitwise_or", &args, &Attrs::new(), &i64s(DType::I16, &[0b1110, -1, 0x7ff0]));
        assert_op("bitwise_xor", &args, &Attrs::new(), &i64s(DType::I16, &[0b0110, !0x1234, 0x70f0]));
        assert_op("bitwise_not", &[a], &Attrs::new(), &i64s(DType::I16, &[!0b1100, 0, !0x7f00]));
        // On u8 the complement stays in 0..=255: !5 is 250.
        assert_op("bitwise_not", &[i64s(DType::U8, &[5, 0])], &Attrs::new(), &i64s(DType::U8, &[250, 255]));
        let top = NDArray::from_fn(DType::U64, &[1], |_| Scalar::from_u64(u64::MAX));
        let mask = i64s(DType::U64, &[0xff]);
        assert_op("bitwise_xor", &[top, mask], &Attrs::new(), &u64s(&[u64::MAX - 0xff]));
    }

    #[test]
    fn shifts_by_amounts_outside_the_width_shift_every_bit_out() {
        // Left shifts wrap into and past the sign bit: 64 << 1 and 1 << 7 are -128 in i8.
        let x = i64s(DType::I8, &[64, 1, -64, 3]);
        let by = i64s(DType::I8, &[1, 7, 1, 8]);
        assert_op("left_shift", &[x, by], &Attrs::new(), &i64s(DType::I8, &[-128, -128, -128, 0]));
        // Right shifts of signed values are arithmetic; out-of-range amounts
        // (8 and more, or negative) leave the sign fill.
        let x = i64s(DType::I8, &[-8, 4, -1, -8, 100]);
        let by = i64s(DType::I8, &[1, 9, 127, -1, -3]);
        assert_op("right_shift", &[x, by], &Attrs::new(), &i64s(DType::I8, &[-4, 0, -1, -1, 0]));
        let x = i64s(DType::I32, &[-8, 4, -1]);
        let by = i64s(DType::I32, &[-1, -32, 32]);
        assert_op("left_shift", &[x, by], &Attrs::new(), &i64s(DType::I32, &[0, 0, 0]));
        // Unsigned right shifts fill with zeros, including at the top bit of u64.
        let x = u64s(&[1 << 63, u64::MAX, 0x80]);
        let by = u64s(&[63, 64, 7]);
        assert_op("right_shift", &[x.clone(), by.clone()], &Attrs::new(), &u64s(&[1, 0, 1]));
        assert_op("left_shift", &[x, by], &Attrs::new(), &u64s(&[0, 0, 1 << 14]));
        assert_op(
            "right_shift",
            &[i64s(DType::U8, &[200]), i64s(DType::U8, &[3])],
            &Attrs::new(),
            &i64s(DType::U8, &[25]),
        );
    }

    #[test]
    fn unsigned_arithmetic_wraps_and_compares_as_unsigned() {
        let args = [i64s(DType::U16, &[65535, 0, 40000]), i64s(DType::U16, &[1, 1, 30000])];
        assert_op("add", &args, &Attrs::new(), &i64s(DType::U16, &[0, 1, 4464]));
        assert_op("sub", &args, &Attrs::new(), &i64s(DType::U16, &[65534, 65535, 10000]));
        // 40000 * 30000 = 1_200_000_000 = 18310 * 65536 + 35840.
        assert_op("mul", &args, &Attrs::new(), &i64s(DType::U16, &[65535, 0, 35840]));
        let args = [u64s(&[u64::MAX, 7, 1 << 63]), u64s(&[2, u64::MAX, 3])];
        assert_op("div", &args, &Attrs::new(), &u64s(&[u64::MAX / 2, 0, (1 << 63) / 3]));
        assert_op("mod", &args, &Attrs::new(), &u64s(&[1, 7, (1 << 63) % 3]));
        assert_op("floor_mod", &args, &Attrs::new(), &u64s(&[1, 7, (1 << 63) % 3]));
        assert_op("maximum", &args, &Attrs::new(), &u64s(&[u64::MAX, u64::MAX, 1 << 63]));
        assert_op("minimum", &args, &Attrs::new(), &u64s(&[2, 7, 3]));
        assert_op("greater", &args, &Attrs::new(), &bools(&[true, false, true]));
        assert_op("sub", &[u64s(&[0]), u64s(&[1])], &Attrs::new(), &u64s(&[u64::MAX]));
        // 3^(2^63) mod 2^64, by the exponent's bits: an unsigned exponent is never negative.
        let expected = crate::interp::tir::uint_pow(3, 1 << 63);
        assert_op("pow", &[u64s(&[3]), u64s(&[1 << 63])], &Attrs::new(), &u64s(&[expected]));
        let args = [i64s(DType::U32, &[4_000_000_000]), i64s(DType::U32, &[3])];
        assert_op("div", &args, &Attrs::new(), &i64s(DType::U32, &[1_333_333_333]));
        assert_op("abs", &[u64s(&[u64::MAX])], &Attrs::new(), &u64s(&[u64::MAX]));
    }

    #[test]
    fn half_precision_rounds_after_every_operation() {
        // f16 has 10 fraction bits: 1 + 2^-11 is a tie between 1 and 1 + 2^-10
        // and rounds to even (1); 1 + 3 * 2^-11 rounds up to 1 + 2^-9.
        let one = f64s(DType::F16, &[1.0, 1.0, 65504.0, 65504.0]);
        let small = f64s(DType::F16, &[2f64.powi(-11), 3.0 * 2f64.powi(-11), 16.0, 15.0]);
        // 65504 + 16 = 65520 is halfway to 65536 and rounds up, past the largest f16: inf.
        let want = f64s(DType::F16, &[1.0, 1.0 + 2f64.powi(-9), f64::INFINITY, 65504.0]);
        assert_op("add", &[one, small], &Attrs::new(), &want);
        // bf16 has 7: 257 is a tie between 256 and 258 and rounds to 256.
        let args = [f64s(DType::BF16, &[256.0, 1.0]), f64s(DType::BF16, &[1.0, 2f64.powi(-8)])];
        assert_op("add", &args, &Attrs::new(), &f64s(DType::BF16, &[256.0, 1.0]));
        // Each product is rounded before the sum: (1 + 2^-10)^2 = 1 + 2^-9 + 2^-20 rounds to 1 + 2^-9.
        let x = f64s(DType::F16, &[1.0 + 2f64.powi(-10)]);
        assert_op("square", &[x], &Attrs::new(), &f64s(DType::F16, &[1.0 + 2f64.powi(-9)]));
    }

    #[test]
    fn bitcast_reads_the_same_bits_as_another_dtype() {
        let to = |d: DType| Attrs::new().with("dtype", AttrValue::DType(d));
        // 1.0f32 is 0x3f800000; -2.0 is 0xc0000000 (as i32, -1073741824).
        let x = f64s(DType::F32, &[1.0, -2.0]);
        assert_op("bitcast", &[x], &to(DType::I32), &i64s(DType::I32, &[0x3f80_0000, -0x4000_0000]));
        // i8 -2 is the byte 254; f16 1.0 is 0x3c00 and bf16 1.0 0x3f80.
        assert_op("bitcast", &[i64s(DType::I8, &[-2, 5])], &to(DType::U8), &i64s(DType::U8, &[254, 5]));
        assert_op("bitcast", &[f64s(DType::F16, &[1.0])], &to(DType::U16), &i64s(DType::U16, &[0x3c00]));
        assert_op("bitcast", &[i64s(DType::I16, &[0x3f80])], &to(DType::BF16), &f64s(DType::BF16, &[1.0]));
        // i4 -1 is the nibble 15; E2M1's code 7 is 6.0.
        assert_op("bitcast", &[i64s(DType::I4, &[-1, 7])], &to(DType::U4), &i64s(DType::U4, &[15, 7]));
        assert_op("bitcast", &[i64s(DType::U4, &[7])], &to(DType::F4E2M1), &f64s(DType::F4E2M1, &[6.0]));
        let err = infer_error("bitcast", &[tensor(DType::F32, &dims(&[2]))], &to(DType::I64));
        assert_eq!(err, "bitcast: f32 (32 bits) and i64 (64 bits) differ in width");
        let err = infer_error("bitcast", &[tensor(DType::I4, &dims(&[2]))], &to(DType::I8));
        assert_eq!(err, "bitcast: i4 (4 bits) and i8 (8 bits) differ in width");
    }

    #[test]
    fn integer_arithmetic_wraps() {
        let args = [i64s(DType::I32, &[i32::MAX as i64, i32::MIN as i64]), i64s(DType::I32, &[1, 1])];
        assert_op("add", &args, &Attrs::new(), &i64s(DType::I32, &[i32::MIN as i64, i32::MIN as i64 + 1]));
        assert_op("sub", &args, &Attrs::new(), &i64s(DType::I32, &[i32::MAX as i64 - 1, i32::MAX as i64]));
        assert_op("neg", &[i64s(DType::I8, &[-128, 5])], &Attrs::new(), &i64s(DType::I8, &[-128, -5]));
    }

    #[test]
    fn maximum_and_minimum_propagate_nan() {
        let args = [f64s(DType::F32, &[1.0, f64::NAN, -3.0]), f64s(DType::F32, &[2.0, 0.0, f64::NAN])];
        assert_op("maximum", &args, &Attrs::new(), &f64s(DType::F32, &[2.0, f64::NAN, f64::NAN]));
        assert_op("minimum", &args, &Attrs::new(), &f64s(DType::F32, &[1.0, f64::NAN, f64::NAN]));
    }

    #[test]
    fn activations() {
        let x = f64s(DType::F64, &[0.0, 2.0, 1.0, -1.0]);
        let none = Attrs::new();
        assert_op(
            "sigmoid",
            std::slice::from_ref(&x),
            &none,
            &f64s(DType::F64, &[0.5, 0.8807970779778823, 0.7310585786300049, 0.2689414213699951]),
        );
        let gelu_1 = 0.8413447460685429;
        assert_op(
            "gelu",
            std::slice::from_ref(&x),
            &none,
            &f64s(DType::F64, &[0.0, 2.0 * 0.9772498680518208, gelu_1, gelu_1 - 1.0]),
        );
        let got = check_op("gelu_tanh", std::slice::from_ref(&x), &none);
        assert!((got[0].get(2).to_f64() - 0.8411919906082768).abs() < 1e-15, "gelu_tanh(1) = {:?}", got[0]);
        assert!((got[0].get(3).to_f64() + 1.0 - 0.8411919906082768).abs() < 1e-15, "gelu_tanh(-1) = {:?}", got[0]);
        assert_op("relu", &[i64s(DType::I32, &[-3, 0, 4])], &none, &i64s(DType::I32, &[0, 0, 4]));
    }

    #[test]
    fn elementary_functions() {
        let none = Attrs::new();
        assert_op("rsqrt", &[f64s(DType::F32, &[4.0, 0.25])], &none, &f64s(DType::F32, &[0.5, 2.0]));
        assert_op("reciprocal", &[f64s(DType::F32, &[-4.0, 0.0])], &none, &f64s(DType::F32, &[-0.25, f64::INFINITY]));
        assert_op("square", &[i64s(DType::I64, &[-3, 4])], &none, &i64s(DType::I64, &[9, 16]));
        assert_op("erf", &[f64s(DType::F64, &[0.5, 0.0])], &none, &f64s(DType::F64, &[0.5204998778130465, 0.0]));
        assert_op("abs", &[i64s(DType::I32, &[-3, 4])], &none, &i64s(DType::I32, &[3, 4]));
        assert_op("exp", &[f64s(DType::F64, &[0.0, 1.0])], &none, &f64s(DType::F64, &[1.0, std::f64::consts::E]));
        assert_op("log", &[f64s(DType::F64, &[1.0, -1.0])], &none, &f64s(DType::F64, &[0.0, f64::NAN]));
    }

    #[test]
    fn sign_keeps_nan_and_zero() {
        let none = Attrs::new();
        assert_op(
            "sign",
            &[f64s(DType::F32, &[-2.5, 0.0, 3.0, f64::NAN])],
            &none,
            &f64s(DType::F32, &[-1.0, 0.0, 1.0, f64::NAN]),
        );
        assert_op("sign", &[i64s(DType::I32, &[-5, 0, 7])], &none, &i64s(DType::I32, &[-1, 0, 1]));
    }

    #[test]
    fn rounding_rounds_half_to_even() {
        let x = f64s(DType::F32, &[0.5, 1.5, 2.5, -0.5, -1.7]);
        let none = Attrs::new();
        assert_op("round", std::slice::from_ref(&x), &none, &f64s(DType::F32, &[0.0, 2.0, 2.0, -0.0, -2.0]));
        assert_op("floor", std::slice::from_ref(&x), &none, &f64s(DType::F32, &[0.0, 1.0, 2.0, -1.0, -2.0]));
        assert_op("ceil", &[x], &none, &f64s(DType::F32, &[1.0, 2.0, 3.0, -0.0, -1.0]));
        assert_op("round", &[i64s(DType::I8, &[-7, 9])], &none, &i64s(DType::I8, &[-7, 9]));
    }

    #[test]
    fn comparisons_give_bool_and_nan_is_unordered() {
        let args = [f64s(DType::F32, &[1.0, 2.0, f64::NAN]), f64s(DType::F32, &[2.0, 2.0, f64::NAN])];
        let none = Attrs::new();
        assert_op("less", &args, &none, &bools(&[true, false, false]));
        assert_op("less_equal", &args, &none, &bools(&[true, true, false]));
        assert_op("greater", &args, &none, &bools(&[false, false, false]));
        assert_op("greater_equal", &args, &none, &bools(&[false, true, false]));
        assert_op("equal", &args, &none, &bools(&[false, true, false]));
        assert_op("not_equal", &args, &none, &bools(&[true, false, true]));
        let column = NDArray::from_i64_values(DType::U8, &[2, 1], &[1, 3]);
        let want = NDArray::from_i64_values(DType::Bool, &[2, 2], &[1, 0, 0, 0]);
        assert_op("less", &[column, i64s(DType::U8, &[2, 1])], &none, &want);
    }

    #[test]
    fn logical_truth_tables() {
        let args = [bools(&[false, false, true, true]), bools(&[false, true, false, true])];
        let none = Attrs::new();
        assert_op("logical_and", &args, &none, &bools(&[false, false, false, true]));
        assert_op("logical_or", &args, &none, &bools(&[false, true, true, true]));
        assert_op("logical_not", &args[..1], &none, &bools(&[true, true, false, false]));
    }

    #[test]
    fn where_broadcasts_all_three_arguments() {
        let cond = NDArray::from_i64_values(DType::Bool, &[2, 1], &[1, 0]);
        let a = i64s(DType::I64, &[1, 2, 3]);
        let b = NDArray::from_i64_values(DType::I64, &[], &[-1]);
        let want = NDArray::from_i64_values(DType::I64, &[2, 3], &[1, 2, 3, -1, -1, -1]);
        assert_op("where", &[cond.clone(), a.clone(), b.clone()], &Attrs::new(), &want);
        check_op_symbolic("where", &[cond, a, b], &Attrs::new(), &[(0, 0, "n"), (1, 0, "m")]);
        let cond = NDArray::random(DType::Bool, &[4, 1, 3], 3);
        let (a, b) = (NDArray::random(DType::F32, &[5, 1], 4), NDArray::random(DType::F32, &[3], 5));
        check_op_symbolic("where", &[cond, a, b], &Attrs::new(), &[(0, 0, "n"), (1, 0, "m")]);
    }

    fn cast_to(dtype: DType) -> Attrs {
        Attrs::new().with("dtype", AttrValue::DType(dtype))
    }

    #[test]
    fn cast_truncates_floats_toward_zero() {
        let x = f64s(DType::F32, &[-1.7, 2.9, 0.5, f64::NAN]);
        assert_op("cast", &[x], &cast_to(DType::I32), &i64s(DType::I32, &[-1, 2, 0, 0]));
        let x = f64s(DType::F64, &[1e20, f64::NEG_INFINITY]);
        assert_op("cast", &[x], &cast_to(DType::I64), &i64s(DType::I64, &[i64::MAX, i64::MIN]));
        assert_op("cast", &[i64s(DType::I32, &[0, 3, -1])], &cast_to(DType::Bool), &bools(&[false, true, true]));
        assert_op("cast", &[bools(&[false, true])], &cast_to(DType::F32), &f64s(DType::F32, &[0.0, 1.0]));
        assert_op("cast", &[i64s(DType::I32, &[300, -1])], &cast_to(DType::U8), &i64s(DType::U8, &[44, 255]));
    }

    #[test]
    fn cast_between_every_pair_of_dtypes() {
        for (seed, from) in DType::ALL.into_iter().enumerate() {
            let x = NDArray::random(from, &[3, 4], seed as u64 + 10);
            for to in DType::ALL {
                let out = check_op_symbolic("cast", std::slice::from_ref(&x), &cast_to(to), &[(0, 1, "n")]);
                assert_eq!(out[0].dtype(), to);
            }
        }
    }

    fn clip_attrs(min: Option<f64>, max: Option<f64>) -> Attrs {
        let mut attrs = Attrs::new();
        if let Some(v) = min {
            attrs.set("min", AttrValue::Float(v));
        }
        if let Some(v) = max {
            attrs.set("max", AttrValue::Float(v));
        }
        attrs
    }

    #[test]
    fn clip_limits_values_to_its_bounds() {
        let x = f64s(DType::F32, &[-2.0, 0.3, 5.0]);
        assert_op(
            "clip",
            std::slice::from_ref(&x),
            &clip_attrs(Some(-1.0), Some(1.0)),
            &f64s(DType::F32, &[-1.0, 0.3, 1.0]),
        );
        assert_op("clip", std::slice::from_ref(&x), &clip_attrs(Some(0.0), None), &f64s(DType::F32, &[0.0, 0.3, 5.0]));
        assert_op("clip", &[x], &clip_attrs(Some(2.0), Some(1.0)), &f64s(DType::F32, &[1.0, 1.0, 1.0]));
        let random = NDArray::random(DType::F64, &[4, 5], 9);
        check_op_symbolic("clip", &[random], &clip_attrs(Some(-0.5), Some(0.25)), &[(0, 0, "n")]);
    }

    #[test]
    fn clip_rounds_integer_bounds_inwards_and_to_the_dtype_range() {
        let x = i64s(DType::I32, &[-3, 0, 3]);
        assert_op("clip", &[x], &clip_attrs(Some(-0.5), Some(2.7)), &i64s(DType::I32, &[0, 0, 2]));
        let x = i64s(DType::I8, &[-100, 100]);
        assert_op("clip", std::slice::from_ref(&x), &clip_attrs(Some(-1e9), Some(1e9)), &x);
        assert_op("clip", std::slice::from_ref(&x), &clip_attrs(None, None), &x);
    }

    // ---- inference errors ----

    #[test]
    fn binary_ops_reject_mixed_dtypes_and_unbroadcastable_shapes() {
        let none = Attrs::new();
        let err = infer_error("add", &[tensor(DType::F32, &dims(&[2])), tensor(DType::I32, &dims(&[2]))], &none);
        assert_eq!(err, "add: arguments must have one dtype, got f32 and i32");
        let err = infer_error("mul", &[tensor(DType::F32, &dims(&[2, 3])), tensor(DType::F32, &dims(&[4]))], &none);
        assert_eq!(err, "mul: shapes [2, 3] and [4] cannot be broadcast: axis 1 is 3 vs 4");
        let (n3, n4) = (vec![Dim::var("n"), Dim::Int(3)], vec![Dim::var("n"), Dim::Int(4)]);
        let err = infer_error("less", &[tensor(DType::I64, &n3), tensor(DType::I64, &n4)], &none);
        assert!(err.contains("cannot be broadcast: axis 1 is 3 vs 4"), "{err}");
        let err = infer_error("add", &[tensor(DType::F32, &dims(&[2]))], &none);
        assert_eq!(err, "add: expected 2 arguments, got 1");
    }

    #[test]
    fn symbolic_dims_broadcast_against_one_and_themselves() {
        let n = Dim::var("n");
        let a = tensor(DType::F32, &[n.clone(), Dim::Int(1)]);
        let b = tensor(DType::F32, &[Dim::Int(1), Dim::Int(4)]);
        let out = infer("add", &[a.clone(), b], &Attrs::new()).unwrap();
        assert_eq!(out, StructInfo::tensor(DType::F32, vec![n.clone(), Dim::Int(4)]));
        let out = infer("equal", &[a.clone(), a], &Attrs::new()).unwrap();
        assert_eq!(out, StructInfo::tensor(DType::Bool, vec![n, Dim::Int(1)]));
    }

    #[test]
    fn broadcasting_dims_that_cannot_be_proven_equal_is_rejected() {
        let (n, m) = (Dim::var("n"), Dim::var("m"));
        let a = tensor(DType::F32, &[n.clone(), Dim::Int(4)]);
        let b = tensor(DType::F32, &[m.clone(), Dim::Int(4)]);
        assert_eq!(
            infer_error("add", &[a.clone(), b.clone()], &Attrs::new()),
            "add: cannot prove at compile time that broadcast dimensions n and m are equal; state it with a \
             match_cast of the second argument: `let b_checked = match_cast(b, Tensor<[n, 4], f32>);`"
        );
        // A symbolic dim against a constant other than 1 is just as undecided.
        let four = tensor(DType::F32, &[Dim::Int(4)]);
        let err = infer_error("less", &[tensor(DType::F32, std::slice::from_ref(&m)), four], &Attrs::new());
        assert!(err.starts_with("less: cannot prove at compile time that broadcast dimensions m and 4"), "{err}");
        // In `where`, the branch that disagrees with the shape so far is the one to cast.
        let cond = tensor(DType::Bool, &[n.clone(), Dim::Int(1)]);
        let column = tensor(DType::F32, &[Dim::Int(1), m]);
        let err = infer_error("where", &[cond, a, column], &Attrs::new());
        assert!(err.contains("broadcast dimensions 4 and m"), "{err}");
        assert!(err.ends_with("of the third argument: `let b_checked = match_cast(b, Tensor<[1, 4], f32>);`"), "{err}");
        // Once stated, the same call is accepted.
        let stated = tensor(DType::F32, &[n.clone(), Dim::Int(4)]);
        let out = infer("add", &[tensor(DType::F32, &[n.clone(), Dim::Int(4)]), stated], &Attrs::new()).unwrap();
        assert_eq!(out, StructInfo::tensor(DType::F32, vec![n, Dim::Int(4)]));
    }

    #[test]
    fn ops_reject_dtypes_outside_their_domain() {
        let none = Attrs::new();
        let one = |d| [tensor(d, &dims(&[3]))];
        assert_eq!(
            infer_error("exp", &one(DType::I32), &none),
            "exp: expected float tensors (f16, bf16, f32, f64), got i32"
        );
        assert_eq!(
            infer_error("gelu", &one(DType::Bool), &none),
            "gelu: expected float tensors (f16, bf16, f32, f64), got bool"
        );
        assert_eq!(
            infer_error("neg", &one(DType::Bool), &none),
            "neg: expected numeric tensors (floats and integers, not bool), got bool"
        );
        assert_eq!(infer_error("logical_not", &one(DType::F32), &none), "logical_not: expected bool tensors, got f32");
        let two = |d| [tensor(d, &dims(&[3])), tensor(d, &dims(&[3]))];
        assert_eq!(
            infer_error("add", &two(DType::Bool), &none),
            "add: expected numeric tensors (floats and integers, not bool), got bool"
        );
        assert_eq!(infer_error("logical_or", &two(DType::I8), &none), "logical_or: expected bool tensors, got i8");
    }

    #[test]
    fn ops_reject_attributes_they_do_not_take() {
        let x = [tensor(DType::F32, &dims(&[3]))];
        let attrs = Attrs::new().with("axis", AttrValue::Int(1));
        assert_eq!(infer_error("relu", &x, &attrs), "relu: unknown attribute `axis` (it takes none)");
        let attrs = Attrs::new().with("lo", AttrValue::Float(0.0));
        assert_eq!(infer_error("clip", &x, &attrs), "clip: unknown attribute `lo` (it takes min, max)");
    }

    #[test]
    fn where_cast_and_clip_check_their_arguments() {
        let none = Attrs::new();
        let f32x3 = tensor(DType::F32, &dims(&[3]));
        let err = infer_error("where", &[f32x3.clone(), f32x3.clone(), f32x3.clone()], &none);
        assert_eq!(err, "where: the condition must be bool, got f32");
        let cond = tensor(DType::Bool, &dims(&[3]));
        let err = infer_error("where", &[cond.clone(), f32x3.clone(), tensor(DType::I64, &dims(&[1]))], &none);
        assert_eq!(err, "where: the branches must have one dtype, got f32 and i64");
        let err = infer_error("where", &[cond, f32x3.clone(), tensor(DType::F32, &dims(&[2]))], &none);
        assert!(err.contains("cannot be broadcast"), "{err}");
        assert_eq!(infer_error("cast", std::slice::from_ref(&f32x3), &none), "cast: missing attribute `dtype`");
        let attrs = Attrs::new().with("dtype", AttrValue::Str("f16".into()));
        assert_eq!(
            infer_error("cast", std::slice::from_ref(&f32x3), &attrs),
            "cast: attribute `dtype` must be a dtype, got \"f16\""
        );
        let err = infer_error("clip", std::slice::from_ref(&f32x3), &clip_attrs(Some(f64::NAN), None));
        assert_eq!(err, "clip: bounds must be numbers, got NaN");
        let err = infer_error("clip", &[tensor(DType::Bool, &dims(&[3]))], &clip_attrs(Some(0.0), None));
        assert!(err.starts_with("clip: expected numeric tensors"), "{err}");
    }

    #[test]
    fn reference_semantics_report_bad_arguments_instead_of_panicking() {
        let x = f64s(DType::F32, &[1.0]);
        let y = i64s(DType::I32, &[1]);
        let add = lookup("add").unwrap();
        assert_eq!((add.eval)(&[&x], &Attrs::new()).unwrap_err(), "add: expected 2 arguments, got 1");
        assert_eq!(
            (add.eval)(&[&x, &y], &Attrs::new()).unwrap_err(),
            "add: arguments must have one dtype, got f32 and i32"
        );
        let exp = lookup("exp").unwrap();
        assert!((exp.eval)(&[&y], &Attrs::new()).is_err());
        let info = info_of(&x);
        assert!((add.legalize)(std::slice::from_ref(&info), &Attrs::new(), std::slice::from_ref(&info)).is_err());
    }
}
