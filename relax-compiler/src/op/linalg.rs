//! Linear algebra: `matmul` with numpy semantics.
//!
//! A 1-D left operand is a row vector and a 1-D right operand a column vector;
//! the promoted axis is removed from the result. Leading (batch) axes
//! broadcast. Products accumulate in the output dtype, so integer matmul wraps
//! like every other integer op and the reference agrees with the kernel bit
//! for bit. The legalized kernel is the plain triple loop: how it runs fast
//! (packing, micro-kernels) is a scheduling concern, not this definition's.
//! The kernel reads both operands along the inner dimension and the broadcast
//! batch axes, so those dims must be provably equal (see [`require_equal`]).

use super::compute::{
    accumulator_dtype, broadcast_concrete, broadcast_flat, broadcast_index, broadcast_shapes, expect_args,
    expect_attrs, expect_dtype_class, infos_of, load, multiply_add, reduce, require_equal, same_dtype, widen, Combine,
    DTypeClass, Fold, Remedy, Unproven,
};
use super::{OpDef, OpKind};
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, Dim, PExpr, PrimFunc, StructInfo, TensorInfo};
use crate::ndarray::{NDArray, Scalar};
use relax_rt::DType;

pub const OPS: &[OpDef] = &[OpDef {
    name: "matmul",
    kind: OpKind::OutEWiseFusable,
    infer: infer_matmul,
    eval: eval_matmul,
    legalize: legalize_matmul,
}];

/// Both operands viewed as (batches of) matrices `[.., m, k]` and `[.., k, n]`.
/// Generic over the dim type so inference (symbolic `Dim`) and reference
/// semantics (`usize`) share the promotion rule.
struct Operands<T> {
    a_batch: Vec<T>,
    b_batch: Vec<T>,
    m: T,
    /// The inner dimension as `a` states it.
    k: T,
    /// The inner dimension as `b` states it.
    b_k: T,
    n: T,
    /// `a` was 1-D: the result has no `m` axis.
    a_vector: bool,
    /// `b` was 1-D: the result has no `n` axis.
    b_vector: bool,
}

impl<T: Clone> Operands<T> {
    /// Splits both shapes into batch and matrix axes; `one` is the size of a
    /// promoted axis. `None` if either is a scalar.
    fn split(a: &[T], b: &[T], one: T) -> Option<Operands<T>> {
        let (a_batch, m, k) = match a {
            [] => return None,
            [k] => (vec![], one.clone(), k.clone()),
            [batch @ .., m, k] => (batch.to_vec(), m.clone(), k.clone()),
        };
        let (b_batch, b_k, n) = match b {
            [] => return None,
            [k] => (vec![], k.clone(), one),
            [batch @ .., k, n] => (batch.to_vec(), k.clone(), n.clone()),
        };
        Some(Operands { a_batch, b_batch, m, k, b_k, n, a_vector: a.len() == 1, b_vector: b.len() == 1 })
    }

    /// `[batch.., m, n]` without the axes of promoted vectors.
    fn output_shape(&self, batch: &[T]) -> Vec<T> {
        let m = (!self.a_vector).then(|| self.m.clone());
        let n = (!self.b_vector).then(|| self.n.clone());
        batch.iter().cloned().chain(m).chain(n).collect()
    }
}

/// A checked matmul: its dtype, operands and broadcast batch dims.
struct Checked {
    dtype: DType,
    operands: Operands<Dim>,
    batch: Vec<Dim>,
}

/// Validates arity, dtypes, ranks and shapes. The inner dimensions and the
/// broadcast batch dims must be provably equal: the kernel reads both
/// operands with the same inner and batch indices.
fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<Checked, String> {
    expect_args("matmul", args, 2)?;
    expect_attrs("matmul", attrs, &[])?;
    let dtype = same_dtype("matmul", args)?;
    expect_dtype_class("matmul", dtype, DTypeClass::Numeric)?;
    let (a, b) = (&args[0].shape, &args[1].shape);
    let cannot =
        |why: String| format!("matmul: cannot multiply {} by {}: {why}", shape_to_string(a), shape_to_string(b));
    let operands = Operands::split(a, b, Dim::Int(1))
        .ok_or_else(|| cannot("operands must have rank 1 or more, not scalars".to_string()))?;
    let (k, b_k) = (&operands.k, &operands.b_k);
    // `b`'s inner axis is its first matrix axis, or its only one for a vector.
    let b_inner = b.len().saturating_sub(2);
    let unproven = || unproven_in_b(&args[1], "inner dimensions", b_inner);
    require_equal(k, b_k, unproven, || cannot(format!("inner dimensions {k} and {b_k} differ")))?;
    let batch = broadcast_batches(&operands, &args[1], cannot)?;
    Ok(Checked { dtype, operands, batch })
}

/// The broadcast of both operands' batch axes. `b`'s batch axes lead its
/// shape, so a batch axis the broadcast cannot prove equal is stated on `b`.
fn broadcast_batches(
    operands: &Operands<Dim>,
    b: &TensorInfo,
    cannot: impl Fn(String) -> String,
) -> Result<Vec<Dim>, String> {
    let (a_batch, b_batch) = (&operands.a_batch, &operands.b_batch);
    let offset = a_batch.len().max(b_batch.len()) - b_batch.len();
    broadcast_shapes(a_batch, b_batch, |axis, x, y| {
        let unproven = || unproven_in_b(b, "batch dimensions", axis - offset);
        let differ = || {
            let (sa, sb) = (shape_to_string(a_batch), shape_to_string(b_batch));
            cannot(format!("batch shapes {sa} and {sb} cannot be broadcast: axis {axis} is {x} vs {y}"))
        };
        require_equal(x, y, unproven, differ)
    })
}

/// An undecided equality between a dim of `a` and `b`'s axis `axis`, stated by
/// casting `b`.
fn unproven_in_b<'a>(b: &'a TensorInfo, what: &str, axis: usize) -> Unproven<'a> {
    let remedy = Remedy::Cast { arg: 1, name: "b".to_string(), info: b, axis };
    Unproven { op: "matmul", what: what.to_string(), remedy }
}

fn infer_matmul(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let c = check(args, attrs)?;
    Ok(StructInfo::tensor(c.dtype, c.operands.output_shape(&c.batch)))
}

fn eval_matmul(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    // With static shapes every check is decided, so past this the shapes agree.
    let dtype = check(&infos_of(args), attrs)?.dtype;
    let (a, b) = (args[0], args[1]);
    let ops = Operands::split(a.shape(), b.shape(), 1usize).ok_or("matmul: operands must not be scalars")?;
    let batch = broadcast_concrete("matmul", &ops.a_batch, &ops.b_batch)?;
    let (m, k, n) = (ops.m, ops.k, ops.n);
    // The output's flat order is [batch, m, n] whether or not promoted axes are dropped.
    let mut out = NDArray::zeros(dtype, &ops.output_shape(&batch));
    for bi in 0..batch.iter().product() {
        let a_base = broadcast_flat(&ops.a_batch, &batch, bi) * m * k;
        let b_base = broadcast_flat(&ops.b_batch, &batch, bi) * k * n;
        for i in 0..m {
            for j in 0..n {
                let dot = (0..k).fold(Scalar::I(0).cast(dtype), |acc, kk| {
                    multiply_add(acc, a.get(a_base + i * k + kk), b.get(b_base + kk * n + j), dtype)
                });
                out.set((bi * m + i) * n + j, dot);
            }
        }
    }
    Ok(vec![out])
}

/// `out[batch.., i, j] = sum_k a[batch_a.., i, k] * b[batch_b.., k, j]`, with
/// broadcast batch axes read at 0 where an operand has size 1.
fn legalize_matmul(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let Checked { dtype, operands, batch } = check(args, attrs)?;
    let out = &outs[0];
    let batch_info = TensorInfo::new(dtype, batch);
    let a_batch = TensorInfo::new(dtype, operands.a_batch.clone());
    let b_batch = TensorInfo::new(dtype, operands.b_batch.clone());
    let batch_rank = batch_info.rank();
    let product = |o: &[PExpr], r: &[PExpr]| {
        let (batch_idx, k) = (&o[..batch_rank], r[0].clone());
        let mut a_idx = broadcast_index(&a_batch, &batch_info, batch_idx);
        if !operands.a_vector {
            a_idx.push(o[batch_rank].clone());
        }
        a_idx.push(k.clone());
        let mut b_idx = broadcast_index(&b_batch, &batch_info, batch_idx);
        b_idx.push(k);
        if !operands.b_vector {
            b_idx.push(o[o.len() - 1].clone());
        }
        widen(load(0, a_idx), dtype) * widen(load(1, b_idx), dtype)
    };
    let acc_dtype = accumulator_dtype(dtype);
    let fold = Fold { extents: std::slice::from_ref(&operands.k), combine: Combine::Sum, acc_dtype };
    Ok(reduce("matmul", args, out, fold, product, |acc, _| acc))
}

#[cfg(test)]
mod tests {
    use crate::ir::{Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn random(dtype: DType, shape: &[usize], seed: u64) -> NDArray {
        NDArray::random(dtype, shape, seed)
    }

    /// Struct info from dims written as strings: `"n"` is symbolic, `"4"` constant.
    fn info(dtype: DType, dims: &[&str]) -> TensorInfo {
        let dim = |d: &&str| d.parse::<i64>().map(Dim::Int).unwrap_or_else(|_| Dim::var(d));
        TensorInfo::new(dtype, dims.iter().map(dim).collect())
    }

    fn infer(args: &[TensorInfo]) -> Result<String, String> {
        (lookup("matmul").unwrap().infer)(args, &Attrs::new()).map(|s| s.to_string())
    }

    #[test]
    fn multiplies_small_matrices_by_hand() {
        let a = NDArray::from_f64_values(DType::F32, &[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let b = NDArray::from_f64_values(DType::F32, &[3, 2], &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0]);
        let out = check_op("matmul", &[a, b], &Attrs::new());
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[2, 2], &[58.0, 64.0, 139.0, 154.0]));
    }

    #[test]
    fn promotes_vectors_and_drops_their_axis() {
        let v = NDArray::from_f64_values(DType::F64, &[2], &[1.0, -1.0]);
        let m = NDArray::from_f64_values(DType::F64, &[2, 2], &[1.0, 2.0, 3.0, 5.0]);
        let row = check_op("matmul", &[v.clone(), m.clone()], &Attrs::new());
        assert_eq!(row[0], NDArray::from_f64_values(DType::F64, &[2], &[-2.0, -3.0]));
        let col = check_op("matmul", &[m, v.clone()], &Attrs::new());
        assert_eq!(col[0], NDArray::from_f64_values(DType::F64, &[2], &[-1.0, -2.0]));
        let dot = check_op("matmul", &[v.clone(), v], &Attrs::new());
        assert_eq!(dot[0], NDArray::from_f64_values(DType::F64, &[], &[2.0]));
    }

    #[test]
    fn broadcasts_batch_dimensions() {
        let a = random(DType::F32, &[2, 1, 3, 4], 1);
        let b = random(DType::F32, &[5, 4, 2], 2);
        let out = check_op("matmul", &[a, b], &Attrs::new());
        assert_eq!(out[0].shape(), &[2, 5, 3, 2]);
        check_op("matmul", &[random(DType::F32, &[3, 2, 4], 3), random(DType::F32, &[4], 4)], &Attrs::new());
        check_op("matmul", &[random(DType::F32, &[4], 5), random(DType::F32, &[3, 4, 2], 6)], &Attrs::new());
    }

    #[test]
    fn integer_matmul_accumulates_in_the_output_dtype() {
        let a = NDArray::from_i64_values(DType::I8, &[1, 2], &[100, 100]);
        let b = NDArray::from_i64_values(DType::I8, &[2, 1], &[1, 1]);
        // 200 wraps to -56 in i8, as the kernel's i8 accumulator does.
        let out = check_op("matmul", &[a, b], &Attrs::new());
        assert_eq!(out[0], NDArray::from_i64_values(DType::I8, &[1, 1], &[-56]));
        check_op("matmul", &[random(DType::I32, &[3, 5], 7), random(DType::I32, &[5, 2], 8)], &Attrs::new());
    }

    #[test]
    fn symbolic_rows_and_inner_dimension() {
        let (a, b) = (random(DType::F32, &[3, 6], 9), random(DType::F32, &[6, 4], 10));
        check_op_symbolic("matmul", &[a, b], &Attrs::new(), &[(0, 0, "n"), (0, 1, "k"), (1, 0, "k")]);
        let (a, b) = (random(DType::F64, &[2, 3, 5], 11), random(DType::F64, &[5, 2], 12));
        check_op_symbolic("matmul", &[a, b], &Attrs::new(), &[(0, 0, "batch"), (1, 1, "n")]);
    }

    #[test]
    fn rejects_inner_dimensions_that_provably_differ() {
        let err = infer(&[info(DType::F32, &["n", "64"]), info(DType::F32, &["32", "10"])]).unwrap_err();
        assert_eq!(err, "matmul: cannot multiply [n, 64] by [32, 10]: inner dimensions 64 and 32 differ");
    }

    #[test]
    fn rejects_inner_dimensions_it_cannot_prove_equal() {
        let err = infer(&[info(DType::F32, &["n", "k"]), info(DType::F32, &["j", "10"])]).unwrap_err();
        assert_eq!(
            err,
            "matmul: cannot prove at compile time that inner dimensions k and j are equal; state it with a \
             match_cast of the second argument: `let b_checked = match_cast(b, Tensor<[k, 10], f32>);`"
        );
        // A vector right operand is cast on its only axis.
        let err = infer(&[info(DType::F32, &["n", "k"]), info(DType::F32, &["j"])]).unwrap_err();
        assert!(err.ends_with("`let b_checked = match_cast(b, Tensor<[k], f32>);`"), "{err}");
        // Stated equal, the same product is accepted.
        let out = infer(&[info(DType::F32, &["n", "k"]), info(DType::F32, &["k", "10"])]).unwrap();
        assert_eq!(out, "Tensor<[n, 10], f32>");
    }

    #[test]
    fn rejects_batch_dimensions_it_cannot_prove_equal() {
        let err = infer(&[info(DType::F32, &["b", "2", "3"]), info(DType::F32, &["c", "3", "4"])]).unwrap_err();
        assert_eq!(
            err,
            "matmul: cannot prove at compile time that batch dimensions b and c are equal; state it with a \
             match_cast of the second argument: `let b_checked = match_cast(b, Tensor<[b, 3, 4], f32>);`"
        );
        let err = infer(&[info(DType::F32, &["b", "2", "3"]), info(DType::F32, &["5", "c", "3", "4"])]).unwrap_err();
        assert!(err.ends_with("`let b_checked = match_cast(b, Tensor<[5, b, 3, 4], f32>);`"), "{err}");
        let out = infer(&[info(DType::F32, &["b", "2", "3"]), info(DType::F32, &["1", "3", "4"])]).unwrap();
        assert_eq!(out, "Tensor<[b, 2, 4], f32>");
    }

    #[test]
    fn rejects_bad_batches_dtypes_and_scalars() {
        let err = infer(&[info(DType::F32, &["2", "3", "4"]), info(DType::F32, &["5", "4", "1"])]).unwrap_err();
        assert_eq!(
            err,
            "matmul: cannot multiply [2, 3, 4] by [5, 4, 1]: batch shapes [2] and [5] cannot be broadcast: axis 0 is 2 vs 5"
        );
        let err = infer(&[info(DType::F32, &["2", "3"]), info(DType::I32, &["3", "1"])]).unwrap_err();
        assert_eq!(err, "matmul: arguments must have one dtype, got f32 and i32");
        let err = infer(&[info(DType::Bool, &["2", "3"]), info(DType::Bool, &["3", "1"])]).unwrap_err();
        assert_eq!(err, "matmul: expected numeric tensors (floats and integers, not bool), got bool");
        let err = infer(&[info(DType::F32, &[]), info(DType::F32, &["3"])]).unwrap_err();
        assert_eq!(err, "matmul: cannot multiply [] by [3]: operands must have rank 1 or more, not scalars");
    }

    #[test]
    fn eval_reports_mismatched_concrete_shapes() {
        let eval = lookup("matmul").unwrap().eval;
        let (a, b) = (random(DType::F32, &[2, 3], 1), random(DType::F32, &[4, 2], 2));
        let err = eval(&[&a, &b], &Attrs::new()).unwrap_err();
        assert_eq!(err, "matmul: cannot multiply [2, 3] by [4, 2]: inner dimensions 3 and 4 differ");
    }
}
