//! The operators of the `ai.onnx.preview.training` and `ai.onnx.ml` domains,
//! in models that import only their domain, against values computed here
//! from the ONNX definitions with plain f64 arithmetic (or by hand).

mod common;

use common::{assert_close, f32s, f64s, import_error, ints, run_in_domain, single_node, values};
use relax_compiler::frontend::onnx::builder::{attr_float, attr_int, attr_ints, attr_string, attr_tensor, node};
use relax_compiler::NDArray;
use relax_rt::DType;

const TRAINING: &str = "ai.onnx.preview.training";
const ML: &str = "ai.onnx.ml";

fn scalar_f32(v: f64) -> NDArray {
    f32s(&[], &[v])
}

fn count(t: i64) -> NDArray {
    ints(DType::I64, &[], &[t])
}

#[test]
fn adagrad_updates_every_tensor_with_a_decayed_rate() {
    let (x1, x2) = (f32s(&[2], &[1.0, -2.0]), f32s(&[2, 2], &[0.5, 0.25, -1.0, 3.0]));
    let (g1, g2) = (f32s(&[2], &[0.1, 0.2]), f32s(&[2, 2], &[-0.3, 0.4, 0.0, 1.0]));
    let (h1, h2) = (f32s(&[2], &[0.0, 1.0]), f32s(&[2, 2], &[2.0, 0.5, 0.1, 0.0]));
    let (rate, t, decay, eps, norm): (f64, i64, f64, f64, f64) = (0.5, 3, 0.25, 1e-3, 0.01);
    let n = node("Adagrad", &["R", "T", "X1", "X2", "G1", "G2", "H1", "H2"], &["X1n", "X2n", "H1n", "H2n"])
        .with_attr(attr_float("decay_factor", decay as f32))
        .with_attr(attr_float("epsilon", eps as f32))
        .with_attr(attr_float("norm_coefficient", norm as f32));
    let (r, c) = (scalar_f32(rate), count(t));
    let args = [("R", &r), ("T", &c), ("X1", &x1), ("X2", &x2), ("G1", &g1), ("G2", &g2), ("H1", &h1), ("H2", &h2)];
    let out = run_in_domain(TRAINING, 1, n, &args);
    let r = rate / (1.0 + t as f64 * decay as f32 as f64);
    for (k, (x, g, h)) in [(&x1, &g1, &h1), (&x2, &g2, &h2)].into_iter().enumerate() {
        let (mut x_new, mut h_new) = (vec![], vec![]);
        for ((x, g), h) in values(x).into_iter().zip(values(g)).zip(values(h)) {
            let g = norm * x + g;
            let h = h + g * g;
            x_new.push(x - r * g / (h.sqrt() + eps));
            h_new.push(h);
        }
        assert_close(&out[k], &f32s(x.shape(), &x_new), 1e-5);
        assert_close(&out[2 + k], &f32s(x.shape(), &h_new), 1e-5);
    }
}

fn adam(t: i64, post: f64) -> (Vec<NDArray>, Vec<Vec<f64>>) {
    let (x, g, v, h) = (
        f32s(&[3], &[1.0, -1.0, 2.0]),
        f32s(&[3], &[0.5, 0.1, -0.2]),
        f32s(&[3], &[0.1, 0.0, 0.3]),
        f32s(&[3], &[0.2, 0.3, 0.0]),
    );
    let (rate, alpha, beta, eps, norm): (f64, f64, f64, f64, f64) = (0.1, 0.9, 0.99, 1e-2, 0.001);
    let n = node("Adam", &["R", "T", "X", "G", "V", "H"], &["Xn", "Vn", "Hn"])
        .with_attr(attr_float("alpha", alpha as f32))
        .with_attr(attr_float("beta", beta as f32))
        .with_attr(attr_float("epsilon", eps as f32))
        .with_attr(attr_float("norm_coefficient", norm as f32))
        .with_attr(attr_float("norm_coefficient_post", post as f32));
    let (r, c) = (scalar_f32(rate), count(t));
    let out = run_in_domain(TRAINING, 1, n, &[("R", &r), ("T", &c), ("X", &x), ("G", &g), ("V", &v), ("H", &h)]);
    let r_adj = if t > 0 { rate * (1.0 - beta.powi(t as i32)).sqrt() / (1.0 - alpha.powi(t as i32)) } else { rate };
    let mut want = vec![vec![]; 3];
    for (((x, g), v), h) in values(&x).into_iter().zip(values(&g)).zip(values(&v)).zip(values(&h)) {
        let g = norm * x + g;
        let v = alpha * v + (1.0 - alpha) * g;
        let h = beta * h + (1.0 - beta) * g * g;
        want[0].push((1.0 - post) * (x - r_adj * v / (h.sqrt() + eps)));
        want[1].push(v);
        want[2].push(h);
    }
    (out, want)
}

#[test]
fn adam_corrects_its_rate_once_the_count_is_positive() {
    for (t, post) in [(0, 0.0), (2, 0.0), (5, 0.1)] {
        let (out, want) = adam(t, post);
        for (got, want) in out.iter().zip(&want) {
            assert_close(got, &f32s(&[3], want), 1e-4);
        }
    }
}

#[test]
fn momentum_standard_and_nesterov() {
    let (x, g, v) = (f32s(&[2], &[1.0, -2.0]), f32s(&[2], &[0.5, 0.25]), f32s(&[2], &[0.1, -0.1]));
    let (rate, alpha, beta, norm) = (0.1, 0.9, 0.5, 0.01);
    for (mode, t) in [("standard", 0), ("standard", 4), ("nesterov", 0), ("nesterov", 1)] {
        let n = node("Momentum", &["R", "T", "X", "G", "V"], &["Xn", "Vn"])
            .with_attr(attr_float("alpha", alpha as f32))
            .with_attr(attr_float("beta", beta as f32))
            .with_attr(attr_float("norm_coefficient", norm as f32))
            .with_attr(attr_string("mode", mode));
        let (r, c) = (scalar_f32(rate), count(t));
        let out = run_in_domain(TRAINING, 1, n, &[("R", &r), ("T", &c), ("X", &x), ("G", &g), ("V", &v)]);
        let beta_adj = if t > 0 { beta } else { 1.0 };
        let (mut x_new, mut v_new) = (vec![], vec![]);
        for ((x, g), v) in values(&x).into_iter().zip(values(&g)).zip(values(&v)) {
            let g = norm * x + g;
            let v = alpha * v + beta_adj * g;
            let direction = if mode == "nesterov" { g + alpha * v } else { v };
            x_new.push(x - rate * direction);
            v_new.push(v);
        }
        assert_close(&out[0], &f32s(&[2], &x_new), 1e-5);
        assert_close(&out[1], &f32s(&[2], &v_new), 1e-5);
    }
}

#[test]
fn optimizer_nodes_check_their_declarations_and_operands() {
    let x = f32s(&[1], &[1.0]);
    let no_mode = node("Momentum", &["R", "T", "X", "G", "V"], &["Xn", "Vn"])
        .with_domain(TRAINING)
        .with_attr(attr_float("alpha", 0.5))
        .with_attr(attr_float("beta", 0.5))
        .with_attr(attr_float("norm_coefficient", 0.0));
    let (r, c) = (scalar_f32(0.1), count(1));
    let args = [("R", &r), ("T", &c), ("X", &x), ("G", &x), ("V", &x)];
    let model = single_node(no_mode, &args, &[]).model_importing(&[(TRAINING, 1)]);
    assert_eq!(
        import_error(&model),
        ["node `Xn` (Momentum): attribute mode is required (\"standard\" or \"nesterov\")"]
    );
    let uneven = node("Adagrad", &["R", "T", "X", "G"], &["Xn"]).with_domain(TRAINING);
    let model = single_node(uneven, &args[..4], &[]).model_importing(&[(TRAINING, 1)]);
    assert_eq!(
        import_error(&model),
        ["node `Xn` (Adagrad): after R and T the inputs must be 3 groups of equally many tensors (X, G, H), got 2 inputs"]
    );
}

#[test]
fn nodes_need_their_domain_imported() {
    let x = f32s(&[2], &[1.0, 2.0]);
    // An ML model using a default-domain operator it does not import.
    let relu = node("Relu", &["x"], &["y"]);
    let model = single_node(relu, &[("x", &x)], &[]).model_importing(&[(ML, 1)]);
    assert_eq!(
        import_error(&model),
        ["node `y` (Relu): operator Relu is in the domain ai.onnx, but the model imports no version of it \
          (supported: 7 to 28)"]
    );
    // A default-domain model using an ML operator.
    let binarizer = node("Binarizer", &["x"], &["y"]).with_domain(ML);
    let model = single_node(binarizer, &[("x", &x)], &[]).model(17);
    assert_eq!(
        import_error(&model),
        ["node `y` (Binarizer): operator Binarizer is in the domain ai.onnx.ml, but the model imports no version \
          of it (supported: 1 to 5)"]
    );
    // TreeEnsemble only exists from version 5 of ai.onnx.ml.
    let tree = node("TreeEnsemble", &["x"], &["y"]).with_domain(ML);
    let model = single_node(tree, &[("x", &x)], &[]).model_importing(&[(ML, 3)]);
    assert_eq!(
        import_error(&model),
        ["node `y` (TreeEnsemble): TreeEnsemble does not exist before opset 5 of ai.onnx.ml, and the model \
          imports opset 3"]
    );
}

#[test]
fn binarizer_compares_with_the_threshold_in_the_input_dtype() {
    let x = f32s(&[5], &[-1.0, 0.5, 0.75, 2.0, f64::NAN]);
    let n = node("Binarizer", &["x"], &["y"]).with_attr(attr_float("threshold", 0.5));
    let out = run_in_domain(ML, 1, n, &[("x", &x)]);
    assert_eq!(out[0], f32s(&[5], &[0.0, 0.0, 1.0, 1.0, 0.0]));
    // 2.5 on integers: 3 and above.
    let x = ints(DType::I32, &[4], &[-3, 2, 3, 7]);
    let n = node("Binarizer", &["x"], &["y"]).with_attr(attr_float("threshold", 2.5));
    assert_eq!(run_in_domain(ML, 1, n, &[("x", &x)])[0], ints(DType::I32, &[4], &[0, 0, 1, 1]));
    let x = ints(DType::I64, &[3], &[-1, 0, 1]);
    let n = node("Binarizer", &["x"], &["y"]);
    assert_eq!(run_in_domain(ML, 1, n, &[("x", &x)])[0], ints(DType::I64, &[3], &[0, 0, 1]));
}

#[test]
fn array_feature_extractor_takes_from_the_last_axis() {
    let x = f32s(&[2, 3], &[0.0, 1.0, 2.0, 10.0, 11.0, 12.0]);
    let indices = ints(DType::I64, &[1, 3], &[2, 0, -1]);
    let n = node("ArrayFeatureExtractor", &["x", "i"], &["y"]);
    let out = run_in_domain(ML, 1, n.clone(), &[("x", &x), ("i", &indices)]);
    assert_eq!(out[0], f32s(&[2, 3], &[2.0, 0.0, 2.0, 12.0, 10.0, 12.0]));
    // A vector gives a one-row matrix.
    let v = ints(DType::I32, &[4], &[5, 6, 7, 8]);
    let indices = ints(DType::I64, &[2], &[3, 1]);
    let out = run_in_domain(ML, 1, n, &[("x", &v), ("i", &indices)]);
    assert_eq!(out[0], ints(DType::I32, &[1, 2], &[8, 6]));
}

/// Two trees over features [a, b]:
/// - tree 0: node 0 `a <= 1` (true: node 1, false: leaf 2); node 1 `b` in
///   {3, 4} (true: leaf 0, false: leaf 1);
/// - tree 1: node 2 `b > 0` tracking NaN as true (true: leaf 3, false: leaf 4).
///
/// Leaves: 0 -> target 0 weight 1, 1 -> target 1 weight 2, 2 -> target 1
/// weight 4, 3 -> target 0 weight 8, 4 -> target 2 weight 16.
fn forest(aggregate: i64) -> relax_compiler::frontend::onnx::proto::NodeProto {
    node("TreeEnsemble", &["x"], &["y"])
        .with_attr(attr_ints("nodes_featureids", &[0, 1, 1]))
        .with_attr(attr_tensor("nodes_modes", &ints(DType::U8, &[3], &[0, 6, 3])))
        .with_attr(attr_tensor("nodes_splits", &f32s(&[3], &[1.0, f64::NAN, 0.0])))
        .with_attr(attr_ints("nodes_truenodeids", &[1, 0, 3]))
        .with_attr(attr_ints("nodes_trueleafs", &[0, 1, 1]))
        .with_attr(attr_ints("nodes_falsenodeids", &[2, 1, 4]))
        .with_attr(attr_ints("nodes_falseleafs", &[1, 1, 1]))
        .with_attr(attr_ints("nodes_missing_value_tracks_true", &[0, 0, 1]))
        .with_attr(attr_tensor("membership_values", &f32s(&[3], &[3.0, 4.0, f64::NAN])))
        .with_attr(attr_ints("leaf_targetids", &[0, 1, 1, 0, 2]))
        .with_attr(attr_tensor("leaf_weights", &f32s(&[5], &[1.0, 2.0, 4.0, 8.0, 16.0])))
        .with_attr(attr_ints("tree_roots", &[0, 2]))
        .with_attr(attr_int("n_targets", 3))
        .with_attr(attr_int("aggregate_function", aggregate))
}

#[test]
fn tree_ensemble_aggregates_the_leaves_reached() {
    // Rows [a, b] and the leaves they reach (tree 0, tree 1), by hand:
    // [0, 3] -> 0, 3; [0, -1] -> 1, 4; [2, 4] -> 2, 3; [0, NaN] -> 1, 3.
    let x = f32s(&[4, 2], &[0.0, 3.0, 0.0, -1.0, 2.0, 4.0, 0.0, f64::NAN]);
    let sum = [9.0, 0.0, 0.0, 0.0, 2.0, 16.0, 8.0, 4.0, 0.0, 8.0, 2.0, 0.0];
    let out = run_in_domain(ML, 5, forest(1), &[("x", &x)]);
    assert_eq!(out[0], f32s(&[4, 3], &sum));
    let out = run_in_domain(ML, 5, forest(0), &[("x", &x)]);
    assert_eq!(out[0], f32s(&[4, 3], &sum.map(|v| v / 2.0)));
    // MIN and MAX: a target no tree gives to keeps the reference's start value.
    let (big, small) = (f32::MAX as f64, -(f32::MAX as f64));
    let min = [1.0, big, big, big, 2.0, 16.0, 8.0, 4.0, big, 8.0, 2.0, big];
    assert_eq!(run_in_domain(ML, 5, forest(2), &[("x", &x)])[0], f32s(&[4, 3], &min));
    let max = [8.0, small, small, small, 2.0, 16.0, 8.0, 4.0, small, 8.0, 2.0, small];
    assert_eq!(run_in_domain(ML, 5, forest(3), &[("x", &x)])[0], f32s(&[4, 3], &max));
}

#[test]
fn tree_ensemble_of_one_leaf_and_double_splits() {
    // One tree that is a single leaf (both branches of the root go to it),
    // and one that splits a double input at a double threshold not
    // representable in f32.
    let tree = node("TreeEnsemble", &["x"], &["y"])
        .with_attr(attr_ints("nodes_featureids", &[7, 0]))
        .with_attr(attr_tensor("nodes_modes", &ints(DType::U8, &[2], &[0, 1])))
        .with_attr(attr_tensor("nodes_splits", &f64s(&[2], &[0.0, 0.1])))
        .with_attr(attr_ints("nodes_truenodeids", &[0, 1]))
        .with_attr(attr_ints("nodes_trueleafs", &[1, 1]))
        .with_attr(attr_ints("nodes_falsenodeids", &[0, 2]))
        .with_attr(attr_ints("nodes_falseleafs", &[1, 1]))
        .with_attr(attr_ints("leaf_targetids", &[0, 0, 0]))
        .with_attr(attr_tensor("leaf_weights", &f64s(&[3], &[0.5, 1.0, 2.0])))
        .with_attr(attr_ints("tree_roots", &[0, 1]))
        .with_attr(attr_int("n_targets", 1));
    // The double just below 0.1, which as an f32 would be 0.1.
    let below = 0.09999999999999999;
    assert!(below < 0.1 && below as f32 == 0.1_f32);
    let x = f64s(&[3, 1], &[0.1, below, 1.0]);
    let out = run_in_domain(ML, 5, tree, &[("x", &x)]);
    assert_eq!(out[0], f64s(&[3, 1], &[2.5, 1.5, 2.5]));
}

#[test]
fn tree_ensemble_rejects_post_transforms_and_bad_features() {
    let x = f32s(&[1, 2], &[0.0, 0.0]);
    let softmax = forest(1).with_domain(ML).with_attr(attr_int("post_transform", 1));
    let model = single_node(softmax, &[("x", &x)], &[]).model_importing(&[(ML, 5)]);
    assert_eq!(
        import_error(&model),
        ["node `y` (TreeEnsemble): attribute post_transform=1 is not supported (only 0, NONE)"]
    );
    let narrow = f32s(&[1, 1], &[0.0]);
    let model = single_node(forest(1).with_domain(ML), &[("x", &narrow)], &[]).model_importing(&[(ML, 5)]);
    assert_eq!(import_error(&model), ["node `y` (TreeEnsemble): a node tests feature 1, but the input has 1 features"]);
}
