//! Reductions: `sum`, `mean`, `max`, `min`, `prod` over a set of axes, and
//! `argmax`/`argmin` along one axis.
//!
//! `axes = [..]` lists the reduced axes (negative ones count from the end; naming
//! an axis twice is an error). Without it every axis is reduced; `axes = []`
//! reduces none. `keepdims = true` keeps reduced axes as size 1 (default false).
//! Accumulation happens in the input dtype, so integer sums wrap.
//!
//! A reduction over no elements gives its identity: sum 0, prod 1, max the
//! lowest value of the dtype (-inf for floats), min the highest (+inf); mean is
//! then 0 / 0 = NaN. `max` and `min` on bool are "any" and "all".
//!
//! `argmax`/`argmin` take `axis` (default 0) and `keepdims` (default true, as
//! in ONNX) and give i64 positions: the first extreme one on ties, and the
//! first NaN if there is one, as `max`/`min` propagate NaN. A statically empty
//! axis is an error; a symbolic one that is empty at run time gives 0.

use super::compute::{
    accumulator_dtype, arg_reduce, expect_args, expect_attrs, expect_dtype_class, infos_of, load, normalize_axis,
    reduce, widen, ArgScan, Combine, DTypeClass, Fold, InOp,
};
use super::formula::{ScalarCode, ScalarOps, ScalarValue};
use super::{OpDef, OpKind};
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, StructInfo, TensorInfo, UnOp};
use crate::ndarray::{unravel, NDArray, Scalar};
use relax_rt::DType;

/// The `OpDef` of a [`Reduction`] or [`ArgReduction`] constant, whose methods
/// are the operator's functions.
macro_rules! reduction_op {
    ($spec:expr) => {
        OpDef {
            name: $spec.name,
            kind: OpKind::Reduction,
            infer: |args, attrs| $spec.infer(args, attrs).map(StructInfo::Tensor),
            eval: |args, attrs| $spec.eval(args, attrs),
            legalize: |args, attrs, outs| $spec.legalize(args, attrs, outs),
        }
    };
}

const SUM: Reduction = Reduction { name: "sum", combine: Combine::Sum, class: DTypeClass::Numeric, averages: false };
const MEAN: Reduction = Reduction { name: "mean", combine: Combine::Sum, class: DTypeClass::Float, averages: true };
const MAX: Reduction = Reduction { name: "max", combine: Combine::Max, class: DTypeClass::Any, averages: false };
const MIN: Reduction = Reduction { name: "min", combine: Combine::Min, class: DTypeClass::Any, averages: false };
const PROD: Reduction = Reduction { name: "prod", combine: Combine::Prod, class: DTypeClass::Numeric, averages: false };
const ARGMAX: ArgReduction = ArgReduction { name: "argmax", extreme: Extreme::Largest };
const ARGMIN: ArgReduction = ArgReduction { name: "argmin", extreme: Extreme::Smallest };

pub const OPS: &[OpDef] = &[
    reduction_op!(SUM),
    reduction_op!(MEAN),
    reduction_op!(MAX),
    reduction_op!(MIN),
    reduction_op!(PROD),
    reduction_op!(ARGMAX),
    reduction_op!(ARGMIN),
];

// ---- which axes are reduced ----

/// The input axes a reduction folds, and whether the output keeps them as
/// axes of size 1. Its shape rules are generic so inference (`Dim`),
/// reference semantics (`usize`) and kernels (`PExpr` indices) share them.
struct ReducedAxes {
    reduced: Vec<bool>,
    keepdims: bool,
}

impl ReducedAxes {
    /// From the `axes` and `keepdims` attributes.
    fn from_attrs(op: &str, attrs: &Attrs, rank: usize) -> Result<ReducedAxes, String> {
        let keepdims = attrs.bool_or("keepdims", false).in_op(op)?;
        let Some(axes) = attrs.ints("axes").in_op(op)? else {
            return Ok(ReducedAxes { reduced: vec![true; rank], keepdims });
        };
        let mut reduced = vec![false; rank];
        for &axis in &axes {
            let a = axis_in_range(op, axis, rank)?;
            if reduced[a] {
                return Err(format!("{op}: axes {axes:?} name axis {a} twice"));
            }
            reduced[a] = true;
        }
        Ok(ReducedAxes { reduced, keepdims })
    }

    /// Just `axis`.
    fn single(axis: usize, rank: usize, keepdims: bool) -> ReducedAxes {
        ReducedAxes { reduced: (0..rank).map(|a| a == axis).collect(), keepdims }
    }

    /// The output shape: reduced axes dropped, or replaced by `one`.
    fn out_shape<T: Clone>(&self, shape: &[T], one: T) -> Vec<T> {
        let keep = |(d, &reduced): (&T, &bool)| match (reduced, self.keepdims) {
            (false, _) => Some(d.clone()),
            (true, true) => Some(one.clone()),
            (true, false) => None,
        };
        shape.iter().zip(&self.reduced).filter_map(keep).collect()
    }

    /// The extents of the reduced axes, in axis order.
    fn reduced_extents<T: Clone>(&self, shape: &[T]) -> Vec<T> {
        shape.iter().zip(&self.reduced).filter(|(_, &reduced)| reduced).map(|(d, _)| d.clone()).collect()
    }

    /// The input index read for output element `out_idx` at position
    /// `red_idx` of the reduced axes.
    fn input_index<T: Clone>(&self, out_idx: &[T], red_idx: &[T]) -> Vec<T> {
        let (mut kept, mut folded) = (out_idx.iter(), red_idx.iter());
        let pick = |&reduced: &bool| {
            if !reduced {
                return kept.next().cloned();
            }
            if self.keepdims {
                kept.next(); // the size-1 output axis standing in for this one
            }
            folded.next().cloned()
        };
        self.reduced.iter().filter_map(pick).collect()
    }
}

/// `axis` resolved against `rank`, which must hold it (rank 0 has no axes).
fn axis_in_range(op: &str, axis: i64, rank: usize) -> Result<usize, String> {
    match normalize_axis(op, axis, rank) {
        Ok(a) if a < rank => Ok(a),
        _ => Err(format!("{op}: axis {axis} is out of range for a tensor of rank {rank}")),
    }
}

// ---- sum, mean, max, min, prod ----

/// A reduction over a set of axes.
struct Reduction {
    name: &'static str,
    combine: Combine,
    class: DTypeClass,
    /// Whether the result is divided by the number of reduced elements (mean).
    averages: bool,
}

impl Reduction {
    /// Checks the argument and attributes; the tensor and its reduced axes.
    fn check<'a>(&self, args: &'a [TensorInfo], attrs: &Attrs) -> Result<(&'a TensorInfo, ReducedAxes), String> {
        expect_args(self.name, args, 1)?;
        expect_attrs(self.name, attrs, &["axes", "keepdims"])?;
        expect_dtype_class(self.name, args[0].dtype, self.class)?;
        Ok((&args[0], ReducedAxes::from_attrs(self.name, attrs, args[0].rank())?))
    }

    fn infer(&self, args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
        let (x, axes) = self.check(args, attrs)?;
        Ok(TensorInfo::new(x.dtype, axes.out_shape(&x.shape, Dim::Int(1))))
    }

    /// The folded value turned into the result: divided by the element
    /// count (an i64) for mean, unchanged otherwise.
    fn finish<S: ScalarOps>(&self, total: S, count: S) -> S {
        if !self.averages {
            return total;
        }
        let dtype = total.dtype();
        total / count.cast(dtype)
    }

    /// Folds in the order the kernel's loops do (reduced axes row-major),
    /// rounding to the accumulator dtype after each step (f32 for narrow
    /// floats, the dtype otherwise) and to the dtype at the end, so floats
    /// agree exactly.
    fn eval(&self, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
        let (_, axes) = self.check(&infos_of(args), attrs)?;
        let (x, dtype) = (args[0], args[0].dtype());
        let out_shape = axes.out_shape(x.shape(), 1);
        let red_shape = axes.reduced_extents(x.shape());
        let count: usize = red_shape.iter().product();
        let acc_dtype = accumulator_dtype(dtype);
        let result = NDArray::from_fn(dtype, &out_shape, |o| {
            let oi = unravel(o, &out_shape);
            let total = (0..count).fold(self.combine.init_value(acc_dtype), |acc, r| {
                let element = x.at(&axes.input_index(&oi, &unravel(r, &red_shape)));
                self.combine.apply_scalar(acc, element).cast(acc_dtype)
            });
            let count = ScalarValue::new(Scalar::I(count as i64), DType::I64);
            self.finish(ScalarValue::new(total, acc_dtype), count).value
        });
        Ok(vec![result])
    }

    fn legalize(&self, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
        let (x, axes) = self.check(args, attrs)?;
        let out = single_output(self.name, outs)?;
        let extents = axes.reduced_extents(&x.shape);
        let count = ScalarCode::new(PExpr::from_dim(&Dim::product(&extents)), DType::I64);
        let acc_dtype = accumulator_dtype(x.dtype);
        let read = |oi: &[PExpr], ri: &[PExpr]| widen(load(0, axes.input_index(oi, ri)), x.dtype);
        let finish = |acc: PExpr, _: &[PExpr]| self.finish(ScalarCode::new(acc, acc_dtype), count.clone()).expr;
        let fold = Fold { extents: &extents, combine: self.combine, acc_dtype };
        Ok(reduce(self.name, args, out, fold, read, finish))
    }
}

fn single_output<'a>(op: &str, outs: &'a [TensorInfo]) -> Result<&'a TensorInfo, String> {
    match outs {
        [out] => Ok(out),
        _ => Err(format!("{op}: has one output, its kernel was asked for {}", outs.len())),
    }
}

// ---- argmax, argmin ----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Extreme {
    Largest,
    Smallest,
}

/// The position of the first extreme element along one axis.
struct ArgReduction {
    name: &'static str,
    extreme: Extreme,
}

impl ArgReduction {
    /// Checks the argument and attributes; the tensor, its reduced axis and
    /// how the output is shaped.
    fn check<'a>(&self, args: &'a [TensorInfo], attrs: &Attrs) -> Result<(&'a TensorInfo, usize, ReducedAxes), String> {
        expect_args(self.name, args, 1)?;
        expect_attrs(self.name, attrs, &["axis", "keepdims"])?;
        let x = &args[0];
        let axis = axis_in_range(self.name, attrs.int_or("axis", 0).in_op(self.name)?, x.rank())?;
        if x.shape[axis].as_int() == Some(0) {
            return Err(format!("{}: axis {axis} of {x} is empty, so there is no position", self.name));
        }
        let keepdims = attrs.bool_or("keepdims", true).in_op(self.name)?;
        Ok((x, axis, ReducedAxes::single(axis, x.rank(), keepdims)))
    }

    fn infer(&self, args: &[TensorInfo], attrs: &Attrs) -> Result<TensorInfo, String> {
        let (x, _, axes) = self.check(args, attrs)?;
        Ok(TensorInfo::new(DType::I64, axes.out_shape(&x.shape, Dim::Int(1))))
    }

    /// The combine whose identity the scan starts from.
    fn combine(&self) -> Combine {
        match self.extreme {
            Extreme::Largest => Combine::Max,
            Extreme::Smallest => Combine::Min,
        }
    }

    /// Whether `candidate` replaces `best`: strictly more extreme, or NaN
    /// replacing a number. Strictness makes the first extreme one win.
    fn beats<S: ScalarOps>(&self, candidate: S, best: S) -> S {
        let more_extreme = match self.extreme {
            Extreme::Largest => BinOp::Gt,
            Extreme::Smallest => BinOp::Lt,
        };
        let strictly = candidate.clone().bin(more_extreme, best.clone());
        if !candidate.dtype().is_float() {
            return strictly;
        }
        let is_nan = |v: S| v.clone().bin(BinOp::Ne, v);
        strictly.bin(BinOp::Or, is_nan(candidate).bin(BinOp::And, is_nan(best).un(UnOp::Not)))
    }

    fn eval(&self, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
        let (_, axis, axes) = self.check(&infos_of(args), attrs)?;
        let (x, dtype) = (args[0], args[0].dtype());
        let out_shape = axes.out_shape(x.shape(), 1);
        let result = NDArray::from_fn(DType::I64, &out_shape, |o| {
            let oi = unravel(o, &out_shape);
            let mut best = ScalarValue::new(self.combine().init_value(dtype), dtype);
            let mut best_at = 0;
            for r in 0..x.shape()[axis] {
                let candidate = ScalarValue::new(x.at(&axes.input_index(&oi, &[r])), dtype);
                if self.beats(candidate, best).value.to_bool() {
                    (best, best_at) = (candidate, r);
                }
            }
            Scalar::I(best_at as i64)
        });
        Ok(vec![result])
    }

    fn legalize(&self, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
        let (x, axis, axes) = self.check(args, attrs)?;
        let out = single_output(self.name, outs)?;
        let scan = ArgScan { init: self.combine().init(x.dtype), dtype: x.dtype, extent: x.shape[axis].clone() };
        let read = |oi: &[PExpr], r: PExpr| load(0, axes.input_index(oi, &[r]));
        let beats =
            |candidate, best| self.beats(ScalarCode::new(candidate, x.dtype), ScalarCode::new(best, x.dtype)).expr;
        Ok(arg_reduce(self.name, args, out, scan, read, beats))
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, StructInfo, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::compute::DTypeClass;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn axes(list: &[i64]) -> Attrs {
        Attrs::new().with("axes", AttrValue::Dims(list.iter().map(|&a| Dim::Int(a)).collect()))
    }

    fn keepdims(attrs: Attrs) -> Attrs {
        attrs.with("keepdims", AttrValue::Bool(true))
    }

    fn axis(a: i64) -> Attrs {
        Attrs::new().with("axis", AttrValue::Int(a))
    }

    fn infer_error(op: &str, shape: &[Dim], dtype: DType, attrs: &Attrs) -> String {
        let def = lookup(op).unwrap_or_else(|| panic!("no operator `{op}`"));
        (def.infer)(&[TensorInfo::new(dtype, shape.to_vec())], attrs).expect_err("inference should fail")
    }

    fn dims(shape: &[i64]) -> Vec<Dim> {
        shape.iter().map(|&d| Dim::Int(d)).collect()
    }

    /// Runs `op` through the harness and checks its one output against `want`.
    fn assert_op(op: &str, x: &NDArray, attrs: &Attrs, want: &NDArray) {
        let got = check_op(op, std::slice::from_ref(x), attrs);
        got[0].assert_close(want, 1e-6, 0.0).unwrap_or_else(|e| panic!("{op}: {e}"));
    }

    fn matrix(dtype: DType, rows: usize, values: &[f64]) -> NDArray {
        NDArray::from_f64_values(dtype, &[rows, values.len() / rows], values)
    }

    // ---- every reduction, random inputs, every axes choice ----

    const REDUCTIONS: &[(&str, DTypeClass)] = &[
        ("sum", DTypeClass::Numeric),
        ("mean", DTypeClass::Float),
        ("max", DTypeClass::Any),
        ("min", DTypeClass::Any),
        ("prod", DTypeClass::Numeric),
    ];

    #[test]
    fn reductions_match_their_kernels_for_every_axes_choice() {
        let choices = [None, Some(vec![1]), Some(vec![-1, 0]), Some(vec![0, 2]), Some(vec![]), Some(vec![2, 1, 0])];
        for &(op, class) in REDUCTIONS {
            for (seed, dtype) in DType::ALL.into_iter().filter(|&d| class.contains(d)).enumerate() {
                let x = NDArray::random(dtype, &[2, 3, 4], seed as u64 + 1);
                for (choice, keep) in choices.iter().flat_map(|c| [(c, false), (c, true)]) {
                    let mut attrs = choice.as_ref().map_or_else(Attrs::new, |list| axes(list));
                    attrs.set("keepdims", AttrValue::Bool(keep));
                    check_op(op, std::slice::from_ref(&x), &attrs);
                    check_op_symbolic(op, std::slice::from_ref(&x), &attrs, &[(0, 0, "n"), (0, 2, "k")]);
                }
            }
        }
    }

    #[test]
    fn arg_reductions_match_their_kernels_on_every_dtype() {
        for op in ["argmax", "argmin"] {
            for (seed, dtype) in DType::ALL.into_iter().enumerate() {
                let x = NDArray::random(dtype, &[3, 4, 5], seed as u64 + 20);
                for (a, keep) in [(0, true), (1, false), (-1, true), (2, false)] {
                    let attrs = axis(a).with("keepdims", AttrValue::Bool(keep));
                    check_op(op, std::slice::from_ref(&x), &attrs);
                    check_op_symbolic(op, std::slice::from_ref(&x), &attrs, &[(0, 1, "n"), (0, 2, "m")]);
                }
            }
        }
    }

    // ---- hand-checked values ----

    #[test]
    fn sums_and_products_over_chosen_axes() {
        let x = matrix(DType::I32, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_op("sum", &x, &axes(&[0]), &NDArray::from_i64_values(DType::I32, &[3], &[5, 7, 9]));
        assert_op("sum", &x, &Attrs::new(), &NDArray::from_i64_values(DType::I32, &[], &[21]));
        assert_op("sum", &x, &keepdims(axes(&[1])), &NDArray::from_i64_values(DType::I32, &[2, 1], &[6, 15]));
        assert_op("prod", &x, &axes(&[-1]), &NDArray::from_i64_values(DType::I32, &[2], &[6, 120]));
        assert_op("sum", &x, &keepdims(axes(&[0])), &NDArray::from_i64_values(DType::I32, &[1, 3], &[5, 7, 9]));
        assert_op("sum", &x, &axes(&[]), &x);
        let x = matrix(DType::F32, 2, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_op("mean", &x, &axes(&[1]), &NDArray::from_f64_values(DType::F32, &[2], &[2.0, 5.0]));
        assert_op("mean", &x, &keepdims(Attrs::new()), &NDArray::from_f64_values(DType::F32, &[1, 1], &[3.5]));
    }

    #[test]
    fn max_and_min_propagate_nan_and_are_any_and_all_on_bool() {
        let x = matrix(DType::F32, 2, &[1.0, f64::NAN, 3.0, -4.0, 5.0, 0.5]);
        assert_op("max", &x, &axes(&[1]), &NDArray::from_f64_values(DType::F32, &[2], &[f64::NAN, 5.0]));
        assert_op("min", &x, &axes(&[1]), &NDArray::from_f64_values(DType::F32, &[2], &[f64::NAN, -4.0]));
        let flags = NDArray::from_i64_values(DType::Bool, &[3, 2], &[0, 0, 0, 1, 1, 1]);
        assert_op("max", &flags, &axes(&[1]), &NDArray::from_i64_values(DType::Bool, &[3], &[0, 1, 1]));
        assert_op("min", &flags, &axes(&[1]), &NDArray::from_i64_values(DType::Bool, &[3], &[0, 0, 1]));
    }

    #[test]
    fn integer_sums_wrap_in_the_input_dtype() {
        let x = NDArray::from_i64_values(DType::I32, &[2], &[i32::MAX as i64, 1]);
        assert_op("sum", &x, &Attrs::new(), &NDArray::from_i64_values(DType::I32, &[], &[i32::MIN as i64]));
        let x = NDArray::from_i64_values(DType::U8, &[3], &[200, 100, 1]);
        assert_op("sum", &x, &Attrs::new(), &NDArray::from_i64_values(DType::U8, &[], &[45]));
    }

    #[test]
    fn reducing_an_empty_axis_gives_the_identity() {
        let empty = NDArray::zeros(DType::F32, &[2, 0]);
        let over_columns = axes(&[1]);
        let floats = |v: f64| NDArray::from_f64_values(DType::F32, &[2], &[v, v]);
        assert_op("sum", &empty, &over_columns, &floats(0.0));
        assert_op("prod", &empty, &over_columns, &floats(1.0));
        assert_op("max", &empty, &over_columns, &floats(f64::NEG_INFINITY));
        assert_op("min", &empty, &over_columns, &floats(f64::INFINITY));
        assert_op("mean", &empty, &over_columns, &floats(f64::NAN));
        let ints = |d: DType, v: i64| NDArray::from_i64_values(d, &[2], &[v, v]);
        assert_op("max", &NDArray::zeros(DType::I32, &[2, 0]), &over_columns, &ints(DType::I32, i32::MIN as i64));
        assert_op("min", &NDArray::zeros(DType::I8, &[2, 0]), &over_columns, &ints(DType::I8, 127));
        check_op_symbolic("sum", &[empty], &over_columns, &[(0, 1, "n")]);
    }

    #[test]
    fn argmax_and_argmin_pick_the_first_extreme() {
        let x = matrix(DType::F32, 2, &[1.0, 3.0, 3.0, 2.0, 5.0, 4.0, 5.0, 0.0]);
        let positions = |shape: &[usize], v: &[i64]| NDArray::from_i64_values(DType::I64, shape, v);
        assert_op("argmax", &x, &axis(1), &positions(&[2, 1], &[1, 0]));
        assert_op("argmin", &x, &axis(-1), &positions(&[2, 1], &[0, 3]));
        assert_op("argmax", &x, &Attrs::new(), &positions(&[1, 4], &[1, 1, 1, 0]));
        assert_op("argmin", &x, &Attrs::new(), &positions(&[1, 4], &[0, 0, 0, 1]));
        let flat = axis(1).with("keepdims", AttrValue::Bool(false));
        assert_op("argmax", &x, &flat, &positions(&[2], &[1, 0]));
    }

    #[test]
    fn arg_reductions_point_at_the_first_nan_and_handle_extreme_values() {
        let x = NDArray::from_f64_values(DType::F64, &[4], &[1.0, f64::NAN, 5.0, f64::NAN]);
        let first = NDArray::from_i64_values(DType::I64, &[1], &[1]);
        assert_op("argmax", &x, &Attrs::new(), &first);
        assert_op("argmin", &x, &Attrs::new(), &first);
        let x = NDArray::from_f64_values(DType::F32, &[2], &[f64::NEG_INFINITY, f64::NEG_INFINITY]);
        assert_op("argmax", &x, &Attrs::new(), &NDArray::from_i64_values(DType::I64, &[1], &[0]));
        let x = NDArray::from_i64_values(DType::I64, &[3], &[i64::MAX, 0, i64::MAX]);
        assert_op("argmin", &x, &Attrs::new(), &NDArray::from_i64_values(DType::I64, &[1], &[1]));
        assert_op("argmax", &x, &Attrs::new(), &NDArray::from_i64_values(DType::I64, &[1], &[0]));
    }

    #[test]
    fn reductions_keep_symbolic_dims_in_their_result() {
        let n = Dim::var("n");
        let x = TensorInfo::new(DType::F32, vec![n.clone(), Dim::Int(3), Dim::var("m")]);
        let sum = lookup("sum").unwrap();
        let out = (sum.infer)(std::slice::from_ref(&x), &axes(&[-1])).unwrap();
        assert_eq!(out, StructInfo::tensor(DType::F32, vec![n.clone(), Dim::Int(3)]));
        let out = (sum.infer)(std::slice::from_ref(&x), &keepdims(axes(&[1]))).unwrap();
        assert_eq!(out, StructInfo::tensor(DType::F32, vec![n.clone(), Dim::Int(1), Dim::var("m")]));
        let argmax = lookup("argmax").unwrap();
        let out = (argmax.infer)(&[x], &axis(2)).unwrap();
        assert_eq!(out, StructInfo::tensor(DType::I64, vec![n, Dim::Int(3), Dim::Int(1)]));
    }

    // ---- inference errors ----

    #[test]
    fn reductions_reject_bad_axes() {
        let shape = dims(&[2, 3]);
        let err = infer_error("sum", &shape, DType::F32, &axes(&[2]));
        assert_eq!(err, "sum: axis 2 is out of range for a tensor of rank 2");
        let err = infer_error("max", &shape, DType::F32, &axes(&[-3]));
        assert_eq!(err, "max: axis -3 is out of range for a tensor of rank 2");
        let err = infer_error("prod", &shape, DType::I64, &axes(&[1, -1]));
        assert_eq!(err, "prod: axes [1, -1] name axis 1 twice");
        let err = infer_error("sum", &[], DType::F32, &axes(&[0]));
        assert_eq!(err, "sum: axis 0 is out of range for a tensor of rank 0");
        let symbolic = Attrs::new().with("axes", AttrValue::Dims(vec![Dim::var("n")]));
        let err = infer_error("sum", &shape, DType::F32, &symbolic);
        assert_eq!(err, "sum: attribute `axes` must be constant integers, got n");
    }

    #[test]
    fn reductions_reject_wrong_dtypes_and_attributes() {
        let shape = dims(&[2, 3]);
        let err = infer_error("mean", &shape, DType::I32, &Attrs::new());
        assert_eq!(err, "mean: expected float tensors (f16, bf16, f32, f64), got i32");
        let err = infer_error("sum", &shape, DType::Bool, &Attrs::new());
        assert_eq!(err, "sum: expected numeric tensors (floats and integers, not bool), got bool");
        let err = infer_error("sum", &shape, DType::F32, &axis(1));
        assert_eq!(err, "sum: unknown attribute `axis` (it takes axes, keepdims)");
        let err = infer_error("argmax", &shape, DType::F32, &axes(&[1]));
        assert_eq!(err, "argmax: unknown attribute `axes` (it takes axis, keepdims)");
        let err = infer_error("min", &shape, DType::F32, &Attrs::new().with("keepdims", AttrValue::Str("yes".into())));
        assert_eq!(err, "min: attribute `keepdims` must be a bool, got \"yes\"");
    }

    #[test]
    fn arg_reductions_reject_bad_axes_and_empty_ones() {
        let err = infer_error("argmax", &dims(&[2, 3]), DType::F32, &axis(2));
        assert_eq!(err, "argmax: axis 2 is out of range for a tensor of rank 2");
        let err = infer_error("argmin", &dims(&[3, 0]), DType::I32, &axis(1));
        assert_eq!(err, "argmin: axis 1 of Tensor<[3, 0], i32> is empty, so there is no position");
    }

    #[test]
    fn reference_semantics_report_bad_arguments_instead_of_panicking() {
        let x = NDArray::random(DType::F32, &[2, 3], 1);
        for op in ["sum", "mean", "argmax"] {
            let eval = lookup(op).unwrap().eval;
            assert_eq!(eval(&[], &Attrs::new()).unwrap_err(), format!("{op}: expected 1 argument, got 0"));
            assert!(eval(&[&x, &x], &Attrs::new()).is_err(), "{op} accepted two arguments");
            assert!(eval(&[&x], &axes(&[5])).is_err(), "{op} accepted axis 5");
        }
    }
}
