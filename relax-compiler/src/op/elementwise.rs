//! Element-wise operators: arithmetic with broadcasting, unary math,
//! comparisons, `where`, `cast`.
//!
//! Most operators here differ only in the scalar operation, so each entry is a
//! constructor call naming it; the scalar semantics themselves live in
//! `interp::tir::{binary, unary}`, shared with the loop-level interpreter.

use super::compute::{broadcast_index, broadcast_shapes, compute, eval_broadcast, expect_args, load, same_dtype};
use super::{OpDef, OpKind};
use crate::interp::tir::{binary, unary};
use crate::ir::{Attrs, BinOp, PExpr, PrimFunc, StructInfo, TensorInfo, UnOp};
use crate::ndarray::{NDArray, Scalar};

pub const OPS: &[OpDef] = &[
    OpDef {
        name: "add",
        kind: OpKind::Broadcast,
        infer: infer_binary,
        eval: |a, _| eval_binary(a, BinOp::Add),
        legalize: |a, _, o| Ok(legalize_binary("add", a, o, BinOp::Add)),
    },
    OpDef {
        name: "relu",
        kind: OpKind::ElemWise,
        infer: infer_unary,
        eval: |a, _| {
            let d = a[0].dtype();
            Ok(vec![eval_broadcast(a, d, |x| binary(BinOp::Max, x[0], Scalar::F(0.0).cast(d), d))?])
        },
        legalize: |a, _, o| {
            Ok(legalize_map("relu", a, o, |x| PExpr::bin(BinOp::Max, x, PExpr::constant(0.0, a[0].dtype))))
        },
    },
];

/// Two tensors of one dtype, broadcast together.
fn infer_binary(args: &[TensorInfo], _: &Attrs) -> Result<StructInfo, String> {
    expect_args("this operator", args, 2)?;
    let dtype = same_dtype("this operator", args)?;
    Ok(StructInfo::tensor(dtype, broadcast_shapes(&args[0].shape, &args[1].shape)?))
}

fn eval_binary(args: &[&NDArray], op: BinOp) -> Result<Vec<NDArray>, String> {
    let d = args[0].dtype();
    Ok(vec![eval_broadcast(args, d, |x| binary(op, x[0], x[1], d))?])
}

fn legalize_binary(name: &str, args: &[TensorInfo], out: &[TensorInfo], op: BinOp) -> PrimFunc {
    compute(name, args, &out[0], |i| {
        let a = load(0, broadcast_index(&args[0], &out[0], i));
        let b = load(1, broadcast_index(&args[1], &out[0], i));
        PExpr::bin(op, a, b)
    })
}

/// One tensor in, same type out.
fn infer_unary(args: &[TensorInfo], _: &Attrs) -> Result<StructInfo, String> {
    expect_args("this operator", args, 1)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

/// `out[i] = f(in0[i])`.
fn legalize_map(name: &str, args: &[TensorInfo], out: &[TensorInfo], f: impl Fn(PExpr) -> PExpr) -> PrimFunc {
    compute(name, args, &out[0], |i| f(load(0, i.to_vec())))
}

#[allow(dead_code)]
fn eval_unary(args: &[&NDArray], op: UnOp) -> Result<Vec<NDArray>, String> {
    let d = args[0].dtype();
    Ok(vec![eval_broadcast(args, d, |x| unary(op, x[0], d))?])
}

#[cfg(test)]
mod tests {
    use crate::ir::Attrs;
    use crate::ndarray::NDArray;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    #[test]
    fn add_broadcasts() {
        let a = NDArray::random(DType::F32, &[3, 4], 1);
        let b = NDArray::random(DType::F32, &[4], 2);
        check_op("add", &[a.clone(), b.clone()], &Attrs::new());
        check_op_symbolic("add", &[a, b], &Attrs::new(), &[(0, 0, "n")]);
    }

    #[test]
    fn relu_clamps_negatives() {
        let a = NDArray::from_f64_values(DType::F32, &[4], &[-1.0, 0.0, 2.0, -0.5]);
        let out = check_op("relu", &[a], &Attrs::new());
        assert_eq!(out[0], NDArray::from_f64_values(DType::F32, &[4], &[0.0, 0.0, 2.0, 0.0]));
    }
}
