//! `RNN`, `GRU` and `LSTM` through the importer. The cell arithmetic is
//! checked against onnxruntime by `models/architectures/recurrent_tagger` and
//! against a hand computation in `op/recurrent.rs`; these tests check the
//! layout handling the importer adds: directions stacked as ONNX lays them
//! out, batch-first `layout = 1` equal to the steps-first result transposed,
//! padded sequences, and the attributes it refuses.

mod common;

use common::*;
use relax_compiler::frontend::onnx::builder::{attr_int, attr_string, node};
use relax_compiler::NDArray;
use relax_rt::DType;

fn seeded(shape: &[usize], seed: u64) -> NDArray {
    let n: usize = shape.iter().product();
    let values: Vec<f64> = (0..n).map(|i| (((i as u64 + 1) * (seed * 7919 + 13)) % 97) as f64 / 97.0 - 0.5).collect();
    f32s(shape, &values)
}

/// A one-layer GRU over `x` (steps first unless `batch_first`), bidirectional.
fn gru(x: &NDArray, batch_first: bool, lens: &NDArray) -> Vec<NDArray> {
    let hidden = 3;
    let input = x.shape()[2];
    let (w, r, b) =
        (seeded(&[2, 3 * hidden, input], 1), seeded(&[2, 3 * hidden, hidden], 2), seeded(&[2, 6 * hidden], 3));
    let n = node("GRU", &["x", "w", "r", "b", "lens"], &["y", "y_h"])
        .with_attr(attr_int("hidden_size", hidden as i64))
        .with_attr(attr_string("direction", "bidirectional"))
        .with_attr(attr_int("layout", batch_first as i64));
    run_node(14, n, &[("x", x), ("lens", lens)], &[("w", &w), ("r", &r), ("b", &b)])
}

fn transpose(a: &NDArray, perm: &[usize]) -> NDArray {
    let shape: Vec<usize> = perm.iter().map(|&p| a.shape()[p]).collect();
    let strides: Vec<usize> = (0..a.shape().len()).map(|k| a.shape()[k + 1..].iter().product()).collect();
    let out_strides: Vec<usize> = (0..shape.len()).map(|k| shape[k + 1..].iter().product()).collect();
    let values: Vec<f64> = (0..a.numel())
        .map(|i| {
            let source: usize = (0..shape.len()).map(|k| (i / out_strides[k]) % shape[k] * strides[perm[k]]).sum();
            a.get(source).to_f64()
        })
        .collect();
    NDArray::from_f64_values(a.dtype(), &shape, &values)
}

#[test]
fn batch_first_is_the_steps_first_result_transposed() {
    let x = seeded(&[4, 2, 5], 4);
    let lens = ints(DType::I32, &[2], &[4, 3]);
    let steps_first = gru(&x, false, &lens);
    let batch_first = gru(&transpose(&x, &[1, 0, 2]), true, &lens);
    assert_eq!(steps_first[0].shape(), [4, 2, 2, 3]);
    assert_eq!(batch_first[0], transpose(&steps_first[0], &[2, 0, 1, 3]));
    assert_eq!(batch_first[1], transpose(&steps_first[1], &[1, 0, 2]));
}

#[test]
fn padded_steps_are_zero_in_both_directions() {
    let x = seeded(&[4, 2, 5], 5);
    let y = &gru(&x, false, &ints(DType::I32, &[2], &[4, 1]))[0];
    // y[t, direction, batch 1, :] for t >= 1 is zero; t = 0 is not.
    let at = |t: usize, d: usize, j: usize| y.get(((t * 2 + d) * 2 + 1) * 3 + j).to_f64();
    for d in 0..2 {
        assert!((0..3).any(|j| at(0, d, j) != 0.0));
        assert!((1..4).all(|t| (0..3).all(|j| at(t, d, j) == 0.0)));
    }
}

#[test]
fn coupled_lstm_gates_are_refused_by_name() {
    let x = seeded(&[2, 1, 2], 6);
    let (w, r) = (seeded(&[1, 4, 2], 7), seeded(&[1, 4, 1], 8));
    let n = node("LSTM", &["x", "w", "r"], &["y"]).with_name("tagger").with_attr(attr_int("hidden_size", 1));
    let model = single_node(n.with_attr(attr_int("input_forget", 1)), &[("x", &x)], &[("w", &w), ("r", &r)]);
    let err = import_error(&model.model(14));
    assert_eq!(err, ["node `tagger` (LSTM): input_forget = 1 (coupled input and forget gates) is not supported"]);
}
