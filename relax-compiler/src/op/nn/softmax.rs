//! `softmax(x, axis = -1)` and `log_softmax(x, axis = -1)`.
//!
//! Both subtract the row maximum before exponentiating, so large logits do
//! not overflow `exp`, and `log_softmax` is computed as `x - max - log(sum)`
//! rather than `log(softmax)`, which underflows to `-inf` for small
//! probabilities. Floats only.

use super::rows::{map_rows, Rows};
use crate::ir::{Attrs, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo, UnOp};
use crate::ndarray::NDArray;
use crate::op::compute::{
    accumulator, accumulator_dtype, expect_args, expect_attrs, expect_dtype_class, infos_of, load, nan_max,
    normalize_axis, prim_func, widen, with_accumulators, Combine, DTypeClass, InOp,
};
use crate::op::{OpDef, OpKind};

pub const SOFTMAX: OpDef = OpDef {
    name: "softmax",
    kind: OpKind::Reduction,
    infer: |args, attrs| infer(Form::Softmax, args, attrs),
    eval: |args, attrs| eval(Form::Softmax, args, attrs),
    legalize: |args, attrs, outs| legalize(Form::Softmax, args, attrs, outs),
};

pub const LOG_SOFTMAX: OpDef = OpDef {
    name: "log_softmax",
    kind: OpKind::Reduction,
    infer: |args, attrs| infer(Form::LogSoftmax, args, attrs),
    eval: |args, attrs| eval(Form::LogSoftmax, args, attrs),
    legalize: |args, attrs, outs| legalize(Form::LogSoftmax, args, attrs, outs),
};

/// Which of the two operators; they share everything but the final formula.
#[derive(Clone, Copy)]
enum Form {
    Softmax,
    LogSoftmax,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Form::Softmax => "softmax",
            Form::LogSoftmax => "log_softmax",
        }
    }

    /// The output from `x - max` and the row's `sum(exp(x - max))`.
    fn output(self, shifted: PExpr, sum: PExpr) -> PExpr {
        match self {
            Form::Softmax => PExpr::un(UnOp::Exp, shifted) / sum,
            Form::LogSoftmax => shifted - PExpr::un(UnOp::Log, sum),
        }
    }

    /// Reference semantics on one row.
    fn apply(self, row: &[f64]) -> Vec<f64> {
        let max = row.iter().copied().fold(f64::NEG_INFINITY, nan_max);
        let sum: f64 = row.iter().map(|x| (x - max).exp()).sum();
        match self {
            Form::Softmax => row.iter().map(|x| (x - max).exp() / sum).collect(),
            Form::LogSoftmax => row.iter().map(|x| x - max - sum.ln()).collect(),
        }
    }
}

/// Validates the argument and returns the normalized axis.
fn softmax_axis(form: Form, args: &[TensorInfo], attrs: &Attrs) -> Result<usize, String> {
    let op = form.name();
    expect_args(op, args, 1)?;
    expect_attrs(op, attrs, &["axis"])?;
    let x = &args[0];
    expect_dtype_class(op, x.dtype, DTypeClass::Float)?;
    if x.rank() == 0 {
        return Err(format!("{op}: expected a tensor of rank 1 or more, got a scalar"));
    }
    let axis = attrs.int_or("axis", -1).in_op(op)?;
    normalize_axis(op, axis, x.rank())
}

fn infer(form: Form, args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    softmax_axis(form, args, attrs)?;
    Ok(StructInfo::Tensor(args[0].clone()))
}

fn eval(form: Form, args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let axis = softmax_axis(form, &infos_of(args), attrs)?;
    Ok(vec![map_rows(args[0], axis..axis + 1, |row| form.apply(row))])
}

/// Per row: `max` over the row, then `sum` of `exp(x - max)`, then each output.
fn legalize(form: Form, args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let axis = softmax_axis(form, args, attrs)?;
    let dtype = args[0].dtype;
    let rows = Rows::new(&args[0].shape, axis..axis + 1);
    let x = load(0, rows.element());
    let shifted = x.clone() - accumulator("max");
    // The sum of a narrow float row is kept in f32 and rounded once, as
    // numpy sums float16.
    let acc_dtype = accumulator_dtype(dtype);
    let sum = if acc_dtype == dtype { accumulator("sum") } else { PExpr::cast(dtype, accumulator("sum")) };
    let per_row = Stmt::Seq(vec![
        rows.fold("max", Combine::Max.init(dtype), |max| Combine::Max.apply(max, x)),
        rows.fold("sum", PExpr::constant(0.0, acc_dtype), |sum| {
            sum + widen(PExpr::un(UnOp::Exp, shifted.clone()), dtype)
        }),
        rows.for_each_in_row(Stmt::store("out", rows.element(), form.output(shifted, sum))),
    ]);
    let per_row = with_accumulators(&["sum"], acc_dtype, per_row);
    let body = rows.for_each_row(with_accumulators(&["max"], dtype, per_row));
    Ok(prim_func(form.name(), args, &outs[..1], body))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn axis(a: i64) -> Attrs {
        Attrs::new().with("axis", AttrValue::Int(a))
    }

    #[test]
    fn softmax_of_a_small_row_by_hand() {
        // exp([0, ln 3]) = [1, 3]: probabilities 1/4 and 3/4.
        let x = NDArray::from_f64_values(DType::F64, &[1, 2], &[0.0, 3f64.ln()]);
        let out = check_op("softmax", &[x], &Attrs::new());
        out[0].assert_close(&NDArray::from_f64_values(DType::F64, &[1, 2], &[0.25, 0.75]), 1e-12, 0.0).unwrap();
    }

    #[test]
    fn log_softmax_of_a_small_row_by_hand() {
        let x = NDArray::from_f64_values(DType::F64, &[2], &[0.0, 3f64.ln()]);
        let out = check_op("log_softmax", &[x], &Attrs::new());
        let want = NDArray::from_f64_values(DType::F64, &[2], &[0.25f64.ln(), 0.75f64.ln()]);
        out[0].assert_close(&want, 1e-12, 0.0).unwrap();
    }

    #[test]
    fn large_logits_do_not_overflow() {
        let x = NDArray::from_f64_values(DType::F32, &[3], &[1000.0, 1000.0, -1000.0]);
        let soft = check_op("softmax", std::slice::from_ref(&x), &Attrs::new());
        assert_eq!(soft[0], NDArray::from_f64_values(DType::F32, &[3], &[0.5, 0.5, 0.0]));
        let log = check_op("log_softmax", &[x], &Attrs::new());
        let want = NDArray::from_f64_values(DType::F32, &[3], &[-(2f64.ln()), -(2f64.ln()), -2000.0 - 2f64.ln()]);
        log[0].assert_close(&want, 1e-6, 0.0).unwrap();
    }

    #[test]
    fn random_inputs_along_every_axis() {
        let x = NDArray::random(DType::F32, &[2, 3, 4], 7);
        for op in ["softmax", "log_softmax"] {
            for a in [-1, 0, 1, 2] {
                check_op(op, std::slice::from_ref(&x), &axis(a));
            }
        }
    }

    #[test]
    fn symbolic_rows_and_row_length() {
        let x = NDArray::random(DType::F32, &[3, 5], 8);
        for op in ["softmax", "log_softmax"] {
            check_op_symbolic(op, std::slice::from_ref(&x), &Attrs::new(), &[(0, 0, "n"), (0, 1, "c")]);
            check_op_symbolic(op, std::slice::from_ref(&x), &axis(0), &[(0, 0, "n")]);
        }
    }

    #[test]
    fn rejects_integers_scalars_and_bad_axes() {
        let infer = lookup("softmax").unwrap().infer;
        let int = TensorInfo::new(DType::I32, vec![Dim::Int(4)]);
        assert_eq!(
            infer(&[int], &Attrs::new()).unwrap_err(),
            "softmax: expected float tensors (f16, bf16, f32, f64), got i32"
        );
        let scalar = TensorInfo::new(DType::F32, vec![]);
        let err = (lookup("log_softmax").unwrap().infer)(&[scalar], &Attrs::new()).unwrap_err();
        assert_eq!(err, "log_softmax: expected a tensor of rank 1 or more, got a scalar");
        let x = TensorInfo::new(DType::F32, vec![Dim::var("n"), Dim::Int(4)]);
        assert_eq!(
            infer(std::slice::from_ref(&x), &axis(2)).unwrap_err(),
            "softmax: axis 2 is out of range for a tensor of rank 2"
        );
        let err = infer(&[x], &Attrs::new().with("axis", AttrValue::Float(1.0))).unwrap_err();
        assert_eq!(err, "softmax: attribute `axis` must be an integer, got 1.0");
    }
}
