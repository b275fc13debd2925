//! Loss functions: `NegativeLogLikelihoodLoss` and `SoftmaxCrossEntropyLoss`
//! (which is the former applied to `log_softmax` of its scores).
//!
//! Both pick, for every sample position `(n, d1, ..., dk)`, the input's entry
//! at the target class `c = target[n, d1, ..., dk]` along axis 1, negate it
//! and weight it by `weight[c]` (1 without weights). A target equal to
//! `ignore_index` contributes nothing: neither loss nor, for `mean`, weight.
//! `mean` divides by the total weight of the counted samples, which without
//! weights or an ignore index is the plain mean.

use super::{single, Converter};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs};
use crate::ndarray::NDArray;

const LOSS_ATTRS: &[&str] = &["ignore_index", "reduction"];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("NegativeLogLikelihoodLoss", nll_loss).attrs(LOSS_ATTRS).since(12).check(check_reduction),
    Converter::new("SoftmaxCrossEntropyLoss", softmax_cross_entropy)
        .attrs(LOSS_ATTRS)
        .since(12)
        .outputs(2)
        .check(check_reduction),
];

/// How the per-sample losses are combined.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reduction {
    None,
    Sum,
    Mean,
}

fn reduction(attrs: &Attributes) -> Result<Reduction, String> {
    match attrs.string_or("reduction", "mean")?.as_str() {
        "none" => Ok(Reduction::None),
        "sum" => Ok(Reduction::Sum),
        "mean" => Ok(Reduction::Mean),
        other => Err(format!("attribute reduction={other} must be one of none, sum, mean")),
    }
}

fn check_reduction(attrs: &Attributes, _: i64) -> Result<(), String> {
    reduction(attrs).map(|_| ())
}

fn nll_loss(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let log_prob = ctx.input(0)?;
    single(negative_log_likelihood(ctx, log_prob)?)
}

/// The scores' `log_softmax` over the classes (axis 1), then the NLL loss;
/// the log-probabilities are the optional second output.
fn softmax_cross_entropy(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let scores = ctx.input(0)?;
    if scores.rank() < 2 {
        return Err(format!("the scores must have shape (N, C, ...), got {}", scores.info()));
    }
    let log_prob = ctx.call("log_softmax", &[scores], Attrs::new().with("axis", AttrValue::Int(1)))?;
    let log_prob = ctx.bind(log_prob, "log_prob");
    let loss = negative_log_likelihood(ctx, log_prob.clone())?;
    let mut outputs = vec![loss];
    if ctx.wants_output(1) {
        outputs.push(log_prob);
    }
    Ok(outputs)
}

/// The loss of log-probabilities `x` (shape `(N, C, d1, ..., dk)`) against
/// the node's target (input 1) and optional per-class weight (input 2).
fn negative_log_likelihood(ctx: &mut NodeCtx, x: Value) -> Result<Value, String> {
    let target = ctx.input(1)?;
    let (xi, ti) = (x.info(), target.info());
    if xi.rank() < 2 || ti.rank() + 1 != xi.rank() {
        return Err(format!("the input {xi} must be (N, C, d1, ..., dk) and the target {ti} (N, d1, ..., dk)"));
    }
    if !ti.dtype.is_int() {
        return Err(format!("the target must be integers, got {ti}"));
    }
    let reduction = reduction(&ctx.attrs)?;
    let ignored = ignored_mask(ctx, &target)?;
    // Ignored targets may be out of range; class 0 stands in for them.
    let classes = match &ignored {
        Some(mask) => {
            let zero = Value::scalar(ti.dtype, 0.0);
            let classes = ctx.call("where", &[mask.clone(), zero, target], Attrs::new())?;
            ctx.bind(classes, "classes")
        }
        None => target,
    };
    let picked = pick_classes(ctx, x, classes.clone())?;
    let zero = Value::scalar(xi.dtype, 0.0);
    let loss = ctx.call("neg", &[picked], Attrs::new())?;
    let loss = match &ignored {
        Some(mask) => ctx.call("where", &[mask.clone(), zero.clone(), loss], Attrs::new())?,
        None => loss,
    };
    let weight = sample_weights(ctx, classes, ignored, zero)?;
    let loss = match &weight {
        Some(w) => ctx.call("mul", &[loss, w.clone()], Attrs::new())?,
        None => loss,
    };
    reduce(ctx, reduction, loss, weight)
}

/// The per-sample losses reduced: summed, or for `mean` divided by the
/// total weight (by their count when every sample weighs 1).
fn reduce(ctx: &mut NodeCtx, reduction: Reduction, loss: Value, weight: Option<Value>) -> Result<Value, String> {
    let all = Attrs::new().with("keepdims", AttrValue::Bool(false));
    match (reduction, weight) {
        (Reduction::None, _) => Ok(loss),
        (Reduction::Sum, _) => ctx.call("sum", &[loss], all),
        (Reduction::Mean, None) => ctx.call("mean", &[loss], all),
        (Reduction::Mean, Some(w)) => {
            let total = ctx.call("sum", &[loss], all.clone())?;
            let total_weight = ctx.call("sum", &[w], all)?;
            ctx.call("div", &[total, total_weight], Attrs::new())
        }
    }
}

/// Where the target equals the `ignore_index` attribute, if there is one.
fn ignored_mask(ctx: &mut NodeCtx, target: &Value) -> Result<Option<Value>, String> {
    let Some(ignore_index) = ctx.attrs.int("ignore_index")? else { return Ok(None) };
    let ignore_index = Value::constant(NDArray::from_i64_values(target.dtype(), &[], &[ignore_index]));
    let mask = ctx.call("equal", &[target.clone(), ignore_index], Attrs::new())?;
    Ok(Some(ctx.bind(mask, "ignored")))
}

/// `x[n, classes[n, d...], d...]`: a gather along axis 1 with the classes
/// given a unit class axis, which is then dropped.
fn pick_classes(ctx: &mut NodeCtx, x: Value, classes: Value) -> Result<Value, String> {
    let at_axis_1 = || Attrs::new().with("axis", AttrValue::Int(1));
    let indices = ctx.call("expand_dims", &[classes], at_axis_1())?;
    let picked = ctx.call("gather_elements", &[x, indices], at_axis_1())?;
    ctx.call("squeeze", &[picked], Attrs::new().with("axes", ints_attr(&[1])))
}

/// Each sample's weight, `weight[class]` and 0 where ignored; `None` when
/// every sample weighs 1 (no weights and no ignore index).
fn sample_weights(
    ctx: &mut NodeCtx,
    classes: Value,
    ignored: Option<Value>,
    zero: Value,
) -> Result<Option<Value>, String> {
    let weight = match ctx.optional_input(2) {
        Some(weight) => {
            if weight.rank() != 1 {
                return Err(format!("the weight must be a vector of one value per class, got {}", weight.info()));
            }
            ctx.call("take", &[weight, classes], Attrs::new().with("axis", AttrValue::Int(0)))?
        }
        None if ignored.is_some() => Value::scalar(zero.dtype(), 1.0),
        None => return Ok(None),
    };
    let weight = match ignored {
        Some(mask) => ctx.call("where", &[mask, zero, weight], Attrs::new())?,
        None => weight,
    };
    Ok(Some(ctx.bind(weight, "weight")))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{assert_close, f32s, i64s, import_error, run_node};
    use crate::frontend::onnx::builder::{attr_int, attr_string, node};
    use crate::frontend::onnx::proto::NodeProto;
    use crate::ndarray::NDArray;
    use relax_rt::DType;

    /// The input and target of the spec's examples: N = 2, C = 3, d1 = 2.
    fn example() -> (NDArray, NDArray) {
        let x = f32s(&[2, 3, 2], &[1., 2., 2., 2., 3., 2., 0., 1., 2., 2., 1., 2.]);
        (x, i64s(&[2, 2], &[2, 1, 0, 2]))
    }

    fn nll(inputs: &[&str], reduction: &str, ignore_index: Option<i64>) -> NodeProto {
        let n = node("NegativeLogLikelihoodLoss", inputs, &["loss"]).with_attr(attr_string("reduction", reduction));
        match ignore_index {
            Some(i) => n.with_attr(attr_int("ignore_index", i)),
            None => n,
        }
    }

    fn scalar(v: f64) -> NDArray {
        f32s(&[], &[v])
    }

    #[test]
    fn nll_picks_the_target_class_and_reduces() {
        let (x, target) = example();
        let args = [("x", &x), ("target", &target)];
        // loss[n][d] = -x[n][target[n][d]][d]: -x[0,2,0], -x[0,1,1], -x[1,0,0], -x[1,2,1].
        let none = run_node(22, nll(&["x", "target"], "none", None), &args, &[]);
        assert_close(&none[0], &f32s(&[2, 2], &[-3., -2., -0., -2.]));
        let sum = run_node(13, nll(&["x", "target"], "sum", None), &args, &[]);
        assert_close(&sum[0], &scalar(-7.));
        let mean = run_node(12, nll(&["x", "target"], "mean", None), &args, &[]);
        assert_close(&mean[0], &scalar(-7. / 4.));
    }

    #[test]
    fn nll_weights_samples_by_class() {
        let (x, target) = example();
        let weight = f32s(&[3], &[0.2, 0.3, 0.1]);
        let args = [("x", &x), ("target", &target), ("weight", &weight)];
        // The spec's examples 2 and 3: losses -0.3, -0.6, 0, -0.2 over weights 0.1, 0.3, 0.2, 0.1.
        let sum = run_node(22, nll(&["x", "target", "weight"], "sum", None), &args, &[]);
        assert_close(&sum[0], &scalar(-1.1));
        let mean = run_node(22, nll(&["x", "target", "weight"], "mean", None), &args, &[]);
        assert_close(&mean[0], &scalar(-1.1 / 0.7));
        // Ignoring class 2 drops the first and last samples from the loss and the total weight.
        let mean = run_node(22, nll(&["x", "target", "weight"], "mean", Some(2)), &args, &[]);
        assert_close(&mean[0], &scalar(-0.6 / 0.5));
    }

    #[test]
    fn nll_ignores_targets_even_out_of_range_ones() {
        let (x, _) = example();
        // An i32 target whose ignored entry (-1) is no class at all.
        let target = NDArray::from_i64_values(DType::I32, &[2, 2], &[2, -1, 0, 2]);
        let args = [("x", &x), ("target", &target)];
        let none = run_node(22, nll(&["x", "target"], "none", Some(-1)), &args, &[]);
        assert_close(&none[0], &f32s(&[2, 2], &[-3., 0., -0., -2.]));
        // Without weights, mean averages over the three samples not ignored.
        let mean = run_node(22, nll(&["x", "target"], "mean", Some(-1)), &args, &[]);
        assert_close(&mean[0], &scalar(-5. / 3.));
    }

    #[test]
    fn softmax_cross_entropy_with_log_probabilities() {
        let scores = f32s(&[2, 3], &[1., 2., 3., 0., 0., 0.]);
        let labels = i64s(&[2], &[2, 1]);
        let n = node("SoftmaxCrossEntropyLoss", &["scores", "labels"], &["loss", "log_prob"]);
        let outs = run_node(13, n, &[("scores", &scores), ("labels", &labels)], &[]);
        // Row 0: log(e + e^2 + e^3) = 3.4076059644 (numpy); row 1: log 3 = 1.0986122887.
        let (lse, ln3) = (3.4076059644, 1.0986122887);
        let log_prob = [1. - lse, 2. - lse, 3. - lse, -ln3, -ln3, -ln3];
        assert_close(&outs[1], &f32s(&[2, 3], &log_prob));
        assert_close(&outs[0], &scalar((lse - 3. + ln3) / 2.));
    }

    #[test]
    fn unknown_reductions_are_rejected() {
        let (x, target) = example();
        let err = import_error(13, nll(&["x", "target"], "max", None), &[("x", &x), ("target", &target)]);
        assert!(err.contains("attribute reduction=max must be one of none, sum, mean"), "{err}");
    }
}
