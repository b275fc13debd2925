//! Symbolic dims as data: `shape_to_tensor(values = [n, s * 4], dtype = i64)`
//! is the integer vector `[n, s * 4]` (rank 0 with `scalar = true`), its
//! elements evaluated when the kernel runs.
//!
//! Exported models compute with their own shapes: a position vector
//! `Range(0, seq_len)`, a scale `1 / sqrt(Cast(Shape(x)[-1]))`. The importer
//! keeps such values as dims so shapes stay exact; this operator is how a dim
//! becomes a tensor again when arithmetic on run-time data needs it.

use super::compute::{expect_args, expect_attrs, InOp};
use super::{OpDef, OpKind};
use crate::ir::{Attrs, Buffer, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo};
use crate::ndarray::{NDArray, Scalar};
use relax_rt::DType;
use std::collections::BTreeSet;

pub const OPS: &[OpDef] = &[OpDef {
    name: "shape_to_tensor",
    kind: OpKind::Opaque,
    infer: infer_shape_to_tensor,
    eval: eval_shape_to_tensor,
    legalize: legalize_shape_to_tensor,
}];

const OP: &str = "shape_to_tensor";

struct DimsAsData {
    values: Vec<Dim>,
    dtype: DType,
    scalar: bool,
}

fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<DimsAsData, String> {
    expect_args(OP, args, 0)?;
    expect_attrs(OP, attrs, &["values", "dtype", "scalar"])?;
    let values = attrs.dims("values").in_op(OP)?.ok_or_else(|| format!("{OP}: missing attribute `values`"))?;
    let dtype = match attrs.get("dtype") {
        None => DType::I64,
        Some(_) => attrs.dtype("dtype").in_op(OP)?,
    };
    if !dtype.is_int() {
        return Err(format!("{OP}: dims are integers; expected an integer dtype, got {dtype}"));
    }
    let scalar = attrs.bool_or("scalar", false).in_op(OP)?;
    if scalar && values.len() != 1 {
        return Err(format!("{OP}: a scalar holds one value, got {}", values.len()));
    }
    Ok(DimsAsData { values, dtype, scalar })
}

impl DimsAsData {
    fn out(&self) -> TensorInfo {
        let shape = if self.scalar { vec![] } else { vec![Dim::from(self.values.len())] };
        TensorInfo::new(self.dtype, shape)
    }
}

fn infer_shape_to_tensor(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    Ok(StructInfo::Tensor(check(args, attrs)?.out()))
}

fn eval_shape_to_tensor(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    if !args.is_empty() {
        return Err(format!("{OP}: expected no arguments, got {}", args.len()));
    }
    let d = check(&[], attrs)?;
    let values: Vec<i64> = d
        .values
        .iter()
        .map(|v| v.simplify().as_int().ok_or_else(|| format!("{OP}: the value `{v}` is not bound")))
        .collect::<Result<_, _>>()?;
    let shape: Vec<usize> = if d.scalar { vec![] } else { vec![values.len()] };
    Ok(vec![NDArray::from_fn(d.dtype, &shape, |i| Scalar::I(values[i]))])
}

/// One store per element. The kernel's dim parameters are every variable the
/// values use, since none of them need appear in a buffer's shape.
fn legalize_shape_to_tensor(args: &[TensorInfo], attrs: &Attrs, _outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let d = check(args, attrs)?;
    let out = d.out();
    let stores = d
        .values
        .iter()
        .enumerate()
        .map(|(i, v)| Stmt::Store {
            buf: "out".to_string(),
            idx: if d.scalar { vec![] } else { vec![PExpr::Int(i as i64, DType::I64)] },
            value: PExpr::Cast(d.dtype, Box::new(PExpr::from_dim(v))),
        })
        .collect();
    let dims: BTreeSet<String> = d.values.iter().flat_map(Dim::free_vars).collect();
    Ok(PrimFunc {
        name: OP.to_string(),
        params: vec![Buffer::new("out".to_string(), out.dtype, out.shape)],
        num_outputs: 1,
        dims: dims.into_iter().collect(),
        body: Stmt::Seq(stores),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interp::tir::run_prim_func;
    use crate::ir::AttrValue;

    fn attrs(values: Vec<Dim>, dtype: DType, scalar: bool) -> Attrs {
        Attrs::new()
            .with("values", AttrValue::Dims(values))
            .with("dtype", AttrValue::DType(dtype))
            .with("scalar", AttrValue::Bool(scalar))
    }

    #[test]
    fn the_kernel_evaluates_symbolic_values_from_its_dim_parameters() {
        let (n, s) = (Dim::var("n"), Dim::var("s"));
        let a = attrs(vec![n.clone(), s.clone() * 4 - n.clone(), Dim::Int(-3)], DType::I32, false);
        let f = legalize_shape_to_tensor(&[], &a, &[]).unwrap();
        assert_eq!(f.dims, vec!["n".to_string(), "s".to_string()]);
        let mut buffers = vec![NDArray::zeros(DType::I32, &[3])];
        run_prim_func(&f, &mut buffers, &[5, 2]).unwrap();
        assert_eq!(buffers[0], NDArray::from_i64_values(DType::I32, &[3], &[5, 3, -3]));
        let concrete = attrs(vec![Dim::Int(5), Dim::Int(3), Dim::Int(-3)], DType::I32, false);
        assert_eq!(eval_shape_to_tensor(&[], &concrete).unwrap()[0], buffers[0]);
    }

    #[test]
    fn a_scalar_has_rank_zero_and_one_value() {
        let a = attrs(vec![Dim::var("n")], DType::I64, true);
        assert_eq!(infer_shape_to_tensor(&[], &a).unwrap(), StructInfo::tensor(DType::I64, vec![]));
        let two = attrs(vec![Dim::Int(1), Dim::Int(2)], DType::I64, true);
        assert_eq!(infer_shape_to_tensor(&[], &two).unwrap_err(), "shape_to_tensor: a scalar holds one value, got 2");
        let float = attrs(vec![Dim::Int(1)], DType::F32, false);
        assert!(infer_shape_to_tensor(&[], &float).unwrap_err().contains("integer dtype"));
    }

    #[test]
    fn unbound_values_are_an_error_in_the_reference_semantics() {
        let a = attrs(vec![Dim::var("n")], DType::I64, false);
        assert_eq!(eval_shape_to_tensor(&[], &a).unwrap_err(), "shape_to_tensor: the value `n` is not bound");
    }
}
