//! `layer_norm(x, gamma, beta?, axis = -1, epsilon = 1e-5)`, with ONNX
//! LayerNormalization semantics: each row over the trailing axes
//! `[axis, rank)` is normalized with its own mean and biased variance, then
//! scaled by `gamma` and shifted by `beta`, which broadcast to the
//! normalized (trailing) dims. `beta` is optional as in ONNX. The kernel reads
//! the parameters at each row position, so their dims must be 1 or provably
//! equal to the normalized dims they face.

use super::rows::{map_rows, Rows};
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo, UnOp};
use crate::ndarray::NDArray;
use crate::op::compute::{
    accumulator, broadcast_flat, broadcast_index, expect_attrs, expect_dtype_class, infos_of, load, normalize_axis,
    prim_func, require_equal, same_dtype, with_accumulators, DTypeClass, InOp, Remedy, Unproven,
};
use crate::op::{OpDef, OpKind};

pub const LAYER_NORM: OpDef = OpDef {
    name: "layer_norm",
    kind: OpKind::Reduction,
    infer: |args, attrs| {
        check(args, attrs)?;
        Ok(StructInfo::Tensor(args[0].clone()))
    },
    eval,
    legalize,
};

/// The validated attributes.
struct LayerNorm {
    axis: usize,
    epsilon: f64,
}

fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<LayerNorm, String> {
    if !(2..=3).contains(&args.len()) {
        return Err(format!("layer_norm: expected 2 or 3 arguments (x, gamma, beta?), got {}", args.len()));
    }
    expect_attrs("layer_norm", attrs, &["axis", "epsilon"])?;
    expect_dtype_class("layer_norm", same_dtype("layer_norm", args)?, DTypeClass::Float)?;
    let x = &args[0];
    if x.rank() == 0 {
        return Err("layer_norm: expected a tensor of rank 1 or more, got a scalar".to_string());
    }
    let axis = normalize_axis("layer_norm", attrs.int_or("axis", -1).in_op("layer_norm")?, x.rank())?;
    let epsilon = attrs.float_or("epsilon", 1e-5).in_op("layer_norm")?;
    if !(epsilon >= 0.0 && epsilon.is_finite()) {
        return Err(format!("layer_norm: epsilon must be a finite non-negative number, got {epsilon}"));
    }
    for (k, param) in args.iter().enumerate().skip(1) {
        check_param(x, &x.shape[axis..], k, param)?;
    }
    Ok(LayerNorm { axis, epsilon })
}

/// Argument `k` (gamma or beta) must broadcast to the `normalized` dims of
/// `x` without changing them: no more axes, and each (right-aligned) dim 1 or
/// provably the normalized dim it faces.
fn check_param(x: &TensorInfo, normalized: &[Dim], k: usize, param: &TensorInfo) -> Result<(), String> {
    let name = ["x", "gamma", "beta"][k];
    let mismatch = || {
        format!(
            "layer_norm: {name} of shape {} does not broadcast to the normalized dims {} of x {}",
            shape_to_string(&param.shape),
            shape_to_string(normalized),
            shape_to_string(&x.shape)
        )
    };
    let Some(offset) = normalized.len().checked_sub(param.rank()) else { return Err(mismatch()) };
    let facing = param.shape.iter().zip(&normalized[offset..]).enumerate();
    for (axis, (d, t)) in facing.filter(|(_, (d, _))| d.as_int() != Some(1)) {
        let unproven = || Unproven {
            op: "layer_norm",
            what: "normalized dimensions".to_string(),
            remedy: Remedy::Cast { arg: k, name: name.to_string(), info: param, axis },
        };
        require_equal(t, d, unproven, mismatch)?;
    }
    Ok(())
}

fn eval(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let LayerNorm { axis, epsilon } = check(&infos_of(args), attrs)?;
    let x = args[0];
    let row_shape = &x.shape()[axis..];
    // Parameter value at position `r` of a row; beta defaults to 0.
    let param =
        |k: usize, r: usize| args.get(k).map_or(0.0, |p| p.get(broadcast_flat(p.shape(), row_shape, r)).to_f64());
    let normalize = |row: &[f64]| {
        let n = row.len() as f64;
        let mean = row.iter().sum::<f64>() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let rstd = 1.0 / (var + epsilon).sqrt();
        row.iter().enumerate().map(|(r, v)| (v - mean) * rstd * param(1, r) + param(2, r)).collect()
    };
    Ok(vec![map_rows(x, axis..x.shape().len(), normalize)])
}

/// Per row: `mean`, then `var` (biased), then each output.
fn legalize(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let LayerNorm { axis, epsilon } = check(args, attrs)?;
    let x_info = &args[0];
    let dtype = x_info.dtype;
    let rows = Rows::new(&x_info.shape, axis..x_info.rank());
    let row_info = TensorInfo::new(dtype, rows.row_shape());
    let param = |k: usize| load(k, broadcast_index(&args[k], &row_info, &rows.position_in_row()));
    let x = load(0, rows.element());
    let centered = x.clone() - accumulator("mean");
    let rstd =
        PExpr::constant(1.0, dtype) / PExpr::un(UnOp::Sqrt, accumulator("var") + PExpr::constant(epsilon, dtype));
    let scaled = centered.clone() * rstd * param(1);
    let output = if args.len() == 3 { scaled + param(2) } else { scaled };
    let per_row = Stmt::Seq(vec![
        rows.fold("mean", PExpr::constant(0.0, dtype), |sum| sum + x),
        Stmt::store("mean", vec![], accumulator("mean") / rows.row_len(dtype)),
        rows.fold("var", PExpr::constant(0.0, dtype), |sum| sum + centered.clone() * centered.clone()),
        Stmt::store("var", vec![], accumulator("var") / rows.row_len(dtype)),
        rows.for_each_in_row(Stmt::store("out", rows.element(), output)),
    ]);
    let body = rows.for_each_row(with_accumulators(&["mean", "var"], dtype, per_row));
    Ok(prim_func("layer_norm", args, &outs[..1], body))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn f32_info(dims: Vec<Dim>) -> TensorInfo {
        TensorInfo::new(DType::F32, dims)
    }

    fn infer_err(args: &[TensorInfo], attrs: &Attrs) -> String {
        (lookup("layer_norm").unwrap().infer)(args, attrs).unwrap_err()
    }

    #[test]
    fn normalizes_a_small_row_by_hand() {
        // Row [1, 3]: mean 2, biased variance 1, so normalized [-1, 1].
        let x = NDArray::from_f64_values(DType::F64, &[1, 2], &[1.0, 3.0]);
        let gamma = NDArray::from_f64_values(DType::F64, &[2], &[2.0, 3.0]);
        let beta = NDArray::from_f64_values(DType::F64, &[2], &[0.5, -0.5]);
        let attrs = Attrs::new().with("epsilon", AttrValue::Float(0.0));
        let out = check_op("layer_norm", &[x, gamma, beta], &attrs);
        assert_eq!(out[0], NDArray::from_f64_values(DType::F64, &[1, 2], &[-1.5, 2.5]));
    }

    #[test]
    fn epsilon_is_added_to_the_variance() {
        let x = NDArray::from_f64_values(DType::F64, &[2], &[1.0, 3.0]);
        let ones = NDArray::from_f64_values(DType::F64, &[2], &[1.0, 1.0]);
        let attrs = Attrs::new().with("epsilon", AttrValue::Float(3.0));
        let out = check_op("layer_norm", &[x, ones], &attrs);
        assert_eq!(out[0], NDArray::from_f64_values(DType::F64, &[2], &[-0.5, 0.5]));
    }

    #[test]
    fn random_inputs_over_trailing_axes() {
        let x = NDArray::random(DType::F32, &[2, 3, 4], 1);
        let (g, b) = (NDArray::random(DType::F32, &[3, 4], 2), NDArray::random(DType::F32, &[3, 4], 3));
        check_op("layer_norm", &[x.clone(), g, b], &Attrs::new().with("axis", AttrValue::Int(1)));
        // gamma broadcast along the normalized dims; beta omitted.
        let g = NDArray::random(DType::F32, &[1, 4], 4);
        check_op("layer_norm", &[x.clone(), g], &Attrs::new().with("axis", AttrValue::Int(-2)));
        let (g, b) = (NDArray::random(DType::F32, &[4], 5), NDArray::random(DType::F32, &[4], 6));
        check_op("layer_norm", &[x, g, b], &Attrs::new());
    }

    #[test]
    fn symbolic_batch_and_row_length() {
        let x = NDArray::random(DType::F32, &[3, 5], 7);
        let (g, b) = (NDArray::random(DType::F32, &[5], 8), NDArray::random(DType::F32, &[5], 9));
        check_op_symbolic(
            "layer_norm",
            &[x, g, b],
            &Attrs::new(),
            &[(0, 0, "n"), (0, 1, "d"), (1, 0, "d"), (2, 0, "d")],
        );
    }

    #[test]
    fn rejects_parameter_dims_it_cannot_prove_equal_to_the_normalized_dims() {
        let x = f32_info(vec![Dim::var("n"), Dim::var("d")]);
        let g = f32_info(vec![Dim::var("e")]);
        assert_eq!(
            infer_err(&[x.clone(), g], &Attrs::new()),
            "layer_norm: cannot prove at compile time that normalized dimensions d and e are equal; state it with a \
             match_cast of the second argument: `let gamma_checked = match_cast(gamma, Tensor<[d], f32>);`"
        );
        // Over two trailing axes, the parameter's own axis is the one cast.
        let x3 = f32_info(vec![Dim::var("n"), Dim::var("h"), Dim::var("d")]);
        let (g, b) = (f32_info(vec![Dim::var("h"), Dim::var("d")]), f32_info(vec![Dim::Int(1), Dim::var("e")]));
        let axis1 = Attrs::new().with("axis", AttrValue::Int(1));
        let err = infer_err(&[x3.clone(), g.clone(), b], &axis1);
        assert!(err.ends_with("`let beta_checked = match_cast(beta, Tensor<[1, d], f32>);`"), "{err}");
        // A parameter dim of 1 broadcasts whatever the normalized dim is.
        let ones = f32_info(vec![Dim::Int(1), Dim::Int(1)]);
        assert!((lookup("layer_norm").unwrap().infer)(&[x3, g, ones], &axis1).is_ok());
    }

    #[test]
    fn rejects_parameters_that_do_not_fit_the_normalized_dims() {
        let x = f32_info(vec![Dim::var("n"), Dim::Int(4)]);
        let g = f32_info(vec![Dim::Int(5)]);
        assert_eq!(
            infer_err(&[x.clone(), g], &Attrs::new()),
            "layer_norm: gamma of shape [5] does not broadcast to the normalized dims [4] of x [n, 4]"
        );
        let (g, b) = (f32_info(vec![Dim::Int(4)]), f32_info(vec![Dim::Int(2), Dim::Int(4)]));
        assert_eq!(
            infer_err(&[x, g, b], &Attrs::new()),
            "layer_norm: beta of shape [2, 4] does not broadcast to the normalized dims [4] of x [n, 4]"
        );
    }

    #[test]
    fn rejects_bad_arguments_and_attributes() {
        let x = f32_info(vec![Dim::Int(2), Dim::Int(4)]);
        let g = f32_info(vec![Dim::Int(4)]);
        assert_eq!(
            infer_err(std::slice::from_ref(&x), &Attrs::new()),
            "layer_norm: expected 2 or 3 arguments (x, gamma, beta?), got 1"
        );
        let ints = TensorInfo::new(DType::I32, vec![Dim::Int(4)]);
        assert_eq!(
            infer_err(&[ints.clone(), ints], &Attrs::new()),
            "layer_norm: expected float tensors (f16, bf16, f32, f64), got i32"
        );
        let negative = Attrs::new().with("epsilon", AttrValue::Float(-1.0));
        assert_eq!(
            infer_err(&[x.clone(), g.clone()], &negative),
            "layer_norm: epsilon must be a finite non-negative number, got -1"
        );
        let far = Attrs::new().with("axis", AttrValue::Int(-3));
        assert_eq!(infer_err(&[x, g], &far), "layer_norm: axis -3 is out of range for a tensor of rank 2");
    }
}
