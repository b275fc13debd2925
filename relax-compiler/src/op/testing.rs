//! Test harness for operator definitions: for concrete inputs it checks that
//! inference agrees with the reference semantics on shape and dtype, and that
//! the legalized loop-level function computes the same values.

use super::lookup;
use crate::interp::tir::run_prim_func;
use crate::ir::{AttrValue, Attrs, Dim, StructInfo, TensorInfo};
use crate::ndarray::NDArray;
use relax_rt::DType;
use std::collections::HashMap;

fn concrete_info(a: &NDArray) -> TensorInfo {
    TensorInfo::new(a.dtype(), a.shape().iter().map(|&d| Dim::from(d)).collect())
}

/// Checks `op` on `args` with static shapes; returns the reference outputs.
pub fn check_op(op: &str, args: &[NDArray], attrs: &Attrs) -> Vec<NDArray> {
    check_op_symbolic(op, args, attrs, &[])
}

/// Like [`check_op`], but the listed `(arg, axis, var)` dims are symbolic in
/// the struct info, so inference and legalization are exercised symbolically.
pub fn check_op_symbolic(op: &str, args: &[NDArray], attrs: &Attrs, symbolic: &[(usize, usize, &str)]) -> Vec<NDArray> {
    let def = lookup(op).unwrap_or_else(|| panic!("no operator `{op}`"));
    let mut infos: Vec<TensorInfo> = args.iter().map(concrete_info).collect();
    let mut env = HashMap::new();
    for &(arg, axis, var) in symbolic {
        infos[arg].shape[axis] = Dim::var(var);
        env.insert(var.to_string(), args[arg].shape()[axis] as i64);
    }
    let refs: Vec<&NDArray> = args.iter().collect();
    let expected = (def.eval)(&refs, attrs).unwrap_or_else(|e| panic!("{op}: eval failed: {e}"));
    let sinfo = (def.infer)(&infos, attrs).unwrap_or_else(|e| panic!("{op}: infer failed: {e}"));
    let outs: Vec<TensorInfo> = match &sinfo {
        StructInfo::Tensor(t) => vec![t.clone()],
        StructInfo::Tuple(_) => sinfo.tensors().into_iter().cloned().collect(),
        StructInfo::Unknown => panic!("{op}: inferred unknown struct info"),
    };
    assert_eq!(outs.len(), expected.len(), "{op}: inferred {} outputs, eval gave {}", outs.len(), expected.len());
    for (info, value) in outs.iter().zip(&expected) {
        assert_eq!(info.dtype, value.dtype(), "{op}: inferred dtype differs from eval");
        let shape: Vec<i64> = info.shape.iter().map(|d| d.eval(&env).expect("unbound dim in output")).collect();
        let actual: Vec<i64> = value.shape().iter().map(|&d| d as i64).collect();
        assert_eq!(shape, actual, "{op}: inferred shape {:?} differs from eval's", info.shape);
    }
    let f = (def.legalize)(&infos, attrs, &outs).unwrap_or_else(|e| panic!("{op}: legalize failed: {e}"));
    let mut buffers: Vec<NDArray> = args.to_vec();
    buffers.extend(expected.iter().map(|e| NDArray::zeros(e.dtype(), e.shape())));
    let dims: Vec<i64> = f.dims.iter().map(|d| env[d]).collect();
    run_prim_func(&f, &mut buffers, &dims).unwrap_or_else(|e| panic!("{op}: running legalized kernel: {e}"));
    for (got, want) in buffers[args.len()..].iter().zip(&expected) {
        got.assert_close(want, 1e-5, 1e-6).unwrap_or_else(|e| panic!("{op}: legalized kernel differs from eval: {e}"));
    }
    expected
}

/// Constant integers as a list attribute (`[2, 2]`).
pub fn ints(values: &[i64]) -> AttrValue {
    AttrValue::Dims(values.iter().map(|&v| Dim::Int(v)).collect())
}

/// An f32 tensor of constant shape.
pub fn f32_info(dims: &[i64]) -> TensorInfo {
    TensorInfo::new(DType::F32, dims.iter().map(|&d| Dim::Int(d)).collect())
}
