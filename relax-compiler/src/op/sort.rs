//! Selection along an axis: `topk(x, k, axis = -1, largest = true)` gives
//! the `k` first elements of each lane in order, and their positions, as a
//! tuple `(values, indices)`; indices are i64.
//!
//! The order is a strict total order on (value, position) pairs: the larger
//! value first (the smaller with `largest = false`), NaN counting as larger
//! than every number and equal to itself, and on equal values the lower
//! position first. Being total, it makes the result unique, so the kernel
//! and the reference semantics agree exactly. The kernel selects one output
//! position at a time: the best element among those ordered after the one
//! selected last, a scan of the lane per output (`k * n` comparisons, no
//! scratch memory). A `k` larger than a lane (only possible when the lane's
//! size is symbolic) leaves the extra outputs at value 0 and index -1.

use super::compute::{
    accumulator, expect_args, expect_attrs, expect_dtype_class, index_vars, infos_of, load, normalize_axis, prim_func,
    with_accumulators, DTypeClass, InOp,
};
use super::formula::{ScalarCode, ScalarOps, ScalarValue};
use super::{OpDef, OpKind};
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo, UnOp};
use crate::ndarray::{ravel, unravel, NDArray, Scalar};
use relax_rt::DType;
use std::cmp::Ordering;

pub const OPS: &[OpDef] =
    &[OpDef { name: "topk", kind: OpKind::Opaque, infer: infer_topk, eval: eval_topk, legalize: legalize_topk }];

/// A checked `topk`: the lane axis, how many to take and in which order.
struct TopK {
    axis: usize,
    /// Possibly symbolic: a count the caller passes at run time.
    k: Dim,
    largest: bool,
}

fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<TopK, String> {
    expect_args("topk", args, 1)?;
    expect_attrs("topk", attrs, &["k", "axis", "largest"])?;
    let x = &args[0];
    expect_dtype_class("topk", x.dtype, DTypeClass::Numeric)?;
    if x.rank() == 0 {
        return Err("topk: expected a tensor of rank at least 1, got a scalar".to_string());
    }
    let axis = normalize_axis("topk", attrs.int_or("axis", -1).in_op("topk")?, x.rank())?;
    let k = match attrs.dims("k").in_op("topk")?.as_deref() {
        Some([k]) => k.clone(),
        _ => return Err("topk: attribute `k` must be one integer".to_string()),
    };
    let lane = &x.shape[axis];
    match (k.as_int(), lane.as_int()) {
        (Some(k), _) if k < 0 => return Err(format!("topk: k must not be negative, got {k}")),
        (Some(k), Some(n)) if k > n => {
            return Err(format!("topk: k = {k} is more than the {n} elements along axis {axis}"))
        }
        _ => {}
    }
    Ok(TopK { axis, k, largest: attrs.bool_or("largest", true).in_op("topk")? })
}

impl TopK {
    fn output_shape(&self, x: &TensorInfo) -> Vec<Dim> {
        let mut shape = x.shape.clone();
        shape[self.axis] = self.k.clone();
        shape
    }

    /// Whether element `(a, at_a)` comes before `(b, at_b)`: a better value,
    /// or an equal one at a lower position. Positions are i64.
    fn precedes<S: ScalarOps>(&self, (a, at_a): (S, S), (b, at_b): (S, S)) -> S {
        let (better_op, nan_wins) = if self.largest { (BinOp::Gt, true) } else { (BinOp::Lt, false) };
        let mut better = a.clone().bin(better_op, b.clone());
        let mut same = a.clone().bin(BinOp::Eq, b.clone());
        if a.dtype().is_float() {
            let is_nan = |v: &S| v.clone().bin(BinOp::Ne, v.clone());
            let (a_nan, b_nan) = (is_nan(&a), is_nan(&b));
            // NaN is the largest value: first when largest, last otherwise.
            let (winner, loser) =
                if nan_wins { (a_nan.clone(), b_nan.clone()) } else { (b_nan.clone(), a_nan.clone()) };
            better = better.bin(BinOp::Or, winner.bin(BinOp::And, loser.un(UnOp::Not)));
            same = same.bin(BinOp::Or, a_nan.bin(BinOp::And, b_nan));
        }
        better.bin(BinOp::Or, same.bin(BinOp::And, at_a.bin(BinOp::Lt, at_b)))
    }
}

fn infer_topk(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let topk = check(args, attrs)?;
    let shape = topk.output_shape(&args[0]);
    Ok(StructInfo::Tuple(vec![StructInfo::tensor(args[0].dtype, shape.clone()), StructInfo::tensor(DType::I64, shape)]))
}

/// A value and its position in its lane, in reference semantics.
type Element = (ScalarValue, ScalarValue);

/// Each lane sorted by the order, its first `k` kept.
fn eval_topk(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let topk = check(&infos_of(args), attrs)?;
    let k = topk.k.as_int().ok_or_else(|| format!("topk: k = {} is not known", topk.k))? as usize;
    let (x, axis) = (args[0], topk.axis);
    let dtype = x.dtype();
    let element = |mut idx: Vec<usize>, at: usize| {
        idx[axis] = at;
        (ScalarValue::new(x.at(&idx), dtype), ScalarValue::new(Scalar::I(at as i64), DType::I64))
    };
    let order =
        |a: &Element, b: &Element| match (topk.precedes(*a, *b).value.to_bool(), topk.precedes(*b, *a).value.to_bool())
        {
            (true, _) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => Ordering::Equal,
        };
    // One entry per lane: the lane's position with its axis index at 0.
    let mut lane_shape = x.shape().to_vec();
    lane_shape[axis] = 1;
    let lanes: Vec<Vec<_>> = (0..lane_shape.iter().product())
        .map(|lane| {
            let start = unravel(lane, &lane_shape);
            let mut elements: Vec<_> = (0..x.shape()[axis]).map(|at| element(start.clone(), at)).collect();
            elements.sort_by(order);
            elements
        })
        .collect();
    let mut out_shape = x.shape().to_vec();
    out_shape[axis] = k;
    let selected = |flat: usize| {
        let mut idx = unravel(flat, &out_shape);
        let rank = std::mem::replace(&mut idx[axis], 0);
        lanes[ravel(&idx, &lane_shape)][rank]
    };
    let values = NDArray::from_fn(dtype, &out_shape, |flat| selected(flat).0.value);
    let indices = NDArray::from_fn(DType::I64, &out_shape, |flat| selected(flat).1.value);
    Ok(vec![values, indices])
}

/// Per lane, `k` selection scans (see the module documentation).
fn legalize_topk(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let topk = check(args, attrs)?;
    if outs.len() != 2 {
        return Err(format!("topk: writes 2 outputs, its kernel was asked for {}", outs.len()));
    }
    let (x, axis) = (&args[0], topk.axis);
    let (outer_vars, outer_extents): (Vec<String>, Vec<Dim>) = index_vars("i", x.rank())
        .into_iter()
        .zip(x.shape.clone())
        .enumerate()
        .filter(|(a, _)| *a != axis)
        .map(|(_, v)| v)
        .unzip();
    // The index of the lane's element at `position`.
    let at = |position: PExpr| -> Vec<PExpr> {
        let mut vars = outer_vars.iter().map(|v| PExpr::var(v));
        (0..x.rank())
            .map(|a| if a == axis { position.clone() } else { vars.next().expect("one var per outer axis") })
            .collect()
    };
    let lane = lane_kernel(&topk, x, at);
    Ok(prim_func("topk", args, outs, Stmt::loop_nest(&outer_vars, &outer_extents, lane)))
}

/// One lane's selection: for each output position `j`, the scan keeps the
/// best element (`best`, `best_at`; none yet while `best_at < 0`) among
/// those ordered after the last one selected (`last`, `last_at`).
fn lane_kernel(topk: &TopK, x: &TensorInfo, at: impl Fn(PExpr) -> Vec<PExpr>) -> Stmt {
    let value = |e: PExpr| ScalarCode::new(e, x.dtype);
    let position = |e: PExpr| ScalarCode::new(e, DType::I64);
    let (j, r) = (PExpr::var("j"), PExpr::var("r"));
    let candidate = (value(load(0, at(r.clone()))), position(r.clone()));
    let last = (value(accumulator("last")), position(accumulator("last_at")));
    let best = (value(accumulator("best")), position(accumulator("best_at")));
    let first_output = PExpr::bin(BinOp::Eq, j.clone(), PExpr::int(0));
    let after_last = PExpr::bin(BinOp::Or, first_output, topk.precedes(last, candidate.clone()).expr);
    let none_yet = PExpr::bin(BinOp::Lt, accumulator("best_at"), PExpr::int(0));
    let beats_best = PExpr::bin(BinOp::Or, none_yet, topk.precedes(candidate.clone(), best).expr);
    let take = Stmt::Seq(vec![Stmt::store("best", vec![], candidate.0.expr), Stmt::store("best_at", vec![], r)]);
    let cond = PExpr::bin(BinOp::And, after_last, beats_best);
    let scan = Stmt::If { cond, then_branch: Box::new(take), else_branch: None };
    let select = Stmt::Seq(vec![
        Stmt::store("best", vec![], PExpr::constant(0.0, x.dtype)),
        Stmt::store("best_at", vec![], PExpr::int(-1)),
        Stmt::for_("r", PExpr::from_dim(&x.shape[topk.axis]), scan),
        Stmt::store("out0", at(j.clone()), accumulator("best")),
        Stmt::store("out1", at(j), accumulator("best_at")),
        Stmt::store("last", vec![], accumulator("best")),
        Stmt::store("last_at", vec![], accumulator("best_at")),
    ]);
    let lane = Stmt::for_("j", PExpr::from_dim(&topk.k), select);
    with_accumulators(&["last", "best"], x.dtype, with_accumulators(&["last_at", "best_at"], DType::I64, lane))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn topk(k: i64, axis: i64, largest: bool) -> Attrs {
        Attrs::new()
            .with("k", AttrValue::Int(k))
            .with("axis", AttrValue::Int(axis))
            .with("largest", AttrValue::Bool(largest))
    }

    fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
        NDArray::from_f64_values(DType::F32, shape, values)
    }

    fn i64s(shape: &[usize], values: &[i64]) -> NDArray {
        NDArray::from_i64_values(DType::I64, shape, values)
    }

    #[test]
    fn largest_and_smallest_with_ties_by_position() {
        let x = f32s(&[2, 4], &[3., 1., 3., 2., 0., 5., 5., 5.]);
        let out = check_op("topk", std::slice::from_ref(&x), &topk(3, -1, true));
        assert_eq!(out[0], f32s(&[2, 3], &[3., 3., 2., 5., 5., 5.]));
        assert_eq!(out[1], i64s(&[2, 3], &[0, 2, 3, 1, 2, 3]));
        let out = check_op("topk", &[x], &topk(2, 1, false));
        assert_eq!(out[0], f32s(&[2, 2], &[1., 2., 0., 5.]));
        assert_eq!(out[1], i64s(&[2, 2], &[1, 3, 0, 1]));
    }

    #[test]
    fn along_a_leading_axis_of_integers() {
        let x = NDArray::from_i64_values(DType::I32, &[3, 2], &[4, -1, 7, -1, 4, 9]);
        let out = check_op_symbolic("topk", &[x], &topk(2, 0, true), &[(0, 1, "w")]);
        assert_eq!(out[0], NDArray::from_i64_values(DType::I32, &[2, 2], &[7, 9, 4, -1]));
        assert_eq!(out[1], i64s(&[2, 2], &[1, 2, 0, 0]));
    }

    #[test]
    fn nan_counts_as_the_largest_value() {
        let x = f32s(&[4], &[1., f64::NAN, 2., f64::NAN]);
        let out = check_op("topk", std::slice::from_ref(&x), &topk(3, 0, true));
        assert_eq!(out[1], i64s(&[3], &[1, 3, 2]));
        let out = check_op("topk", &[x], &topk(3, 0, false));
        assert_eq!(out[1], i64s(&[3], &[0, 2, 1]));
    }

    #[test]
    fn random_lanes_and_empty_selections() {
        let x = NDArray::random(DType::F64, &[3, 7, 2], 11);
        check_op_symbolic("topk", std::slice::from_ref(&x), &topk(4, 1, true), &[(0, 0, "n"), (0, 1, "m")]);
        check_op("topk", std::slice::from_ref(&x), &topk(7, -2, false));
        let none = check_op("topk", &[x], &topk(0, 2, true));
        assert_eq!(none[0].shape(), &[3, 7, 0]);
    }

    #[test]
    fn rejects_bad_k() {
        let x = TensorInfo::new(DType::F32, vec![Dim::Int(2), Dim::Int(3)]);
        let infer = |attrs: Attrs| (lookup("topk").unwrap().infer)(std::slice::from_ref(&x), &attrs).unwrap_err();
        assert_eq!(infer(topk(4, 1, true)), "topk: k = 4 is more than the 3 elements along axis 1");
        assert_eq!(infer(topk(-1, 1, true)), "topk: k must not be negative, got -1");
        assert_eq!(infer(topk(1, 2, true)), "topk: axis 2 is out of range for a tensor of rank 2");
    }
}
