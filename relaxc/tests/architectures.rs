//! Real architectures with random weights, compiled natively and compared with
//! onnxruntime: the models and onnxruntime's outputs are in
//! `models/architectures/`, written by `tools/architectures.py` (so this test
//! needs no Python). Each model has two data sets with different batch (and
//! sequence) sizes, so the symbolic dims are exercised too.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// onnxruntime and we sum in different orders; relative 1e-4, with an
/// absolute floor for values near zero.
const RTOL: &str = "1e-4";
const ATOL: &str = "1e-5";

fn architecture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/architectures").join(name)
}

fn matches_onnxruntime(name: &str) {
    let dir = architecture(name);
    let output =
        relaxc(["test".as_ref(), dir.as_os_str(), "--rtol".as_ref(), RTOL.as_ref(), "--atol".as_ref(), ATOL.as_ref()]);
    assert!(output.status.success(), "{name}:\n{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).ends_with(&format!("2 of 2 data sets match (rtol {RTOL}, atol {ATOL})\n")));
}

#[test]
fn resnet() {
    matches_onnxruntime("resnet");
}

#[test]
fn mobilenet_v2() {
    matches_onnxruntime("mobilenet_v2");
}

#[test]
fn densenet() {
    matches_onnxruntime("densenet");
}

#[test]
fn inception() {
    matches_onnxruntime("inception");
}

#[test]
fn squeezenet() {
    matches_onnxruntime("squeezenet");
}

#[test]
fn shufflenet_v2() {
    matches_onnxruntime("shufflenet_v2");
}

#[test]
fn bert_with_an_attention_mask() {
    matches_onnxruntime("bert");
}

#[test]
fn gpt2_with_a_causal_mask() {
    matches_onnxruntime("gpt2");
}

#[test]
fn lstm_and_gru_over_padded_sequences() {
    matches_onnxruntime("recurrent_tagger");
}

/// The two data sets take different branches (the threshold is an input).
#[test]
fn a_branch_chosen_at_run_time() {
    matches_onnxruntime("if_model");
}

/// A counted loop over the sequence with a scan output, then a while loop
/// whose body decides when to stop.
#[test]
fn counted_and_while_loops() {
    matches_onnxruntime("loop_decoder");
}

/// The causal mask is sliced from a 16 x 16 buffer: a longer sequence breaks
/// the model's own assumption, and the call fails with the check that says so.
#[test]
fn gpt2_refuses_a_sequence_longer_than_its_mask() {
    let dir = tempfile::tempdir().unwrap();
    let ids = dir.path().join("ids.npy");
    write_npy_i64(&ids, &[1, 17], &[3; 17]);
    let model = architecture("gpt2").join("model.onnx");
    let out = dir.path().join("out");
    let output = relaxc([
        "run".as_ref(),
        model.as_os_str(),
        "--input".as_ref(),
        format!("input_ids={}", ids.display()).as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let err = failure_message(&output);
    assert!(err.contains("match_cast"), "{err}");
}

/// The branches' weights are constants used only inside an `if`: loaded from
/// a separate weights file, they give the same bytes as embedded ones.
#[test]
fn weights_inside_branches_load_from_a_separate_file() {
    let dir = tempfile::tempdir().unwrap();
    let case = architecture("if_model");
    let image = dir.path().join("image.npy");
    let threshold = dir.path().join("threshold.npy");
    write_npy_f32(&image, &[1, 3, 16, 16], &(0..768).map(|i| (i % 17) as f32 / 17.0).collect::<Vec<_>>());
    write_npy_f32(&threshold, &[], &[-1.0]);
    let run = |separate: bool, out: &Path| {
        let mut args = vec!["run".to_string(), case.join("model.onnx").display().to_string()];
        if separate {
            args.push("--separate-weights".to_string());
        }
        for (name, file) in [("image", &image), ("threshold", &threshold)] {
            args.extend(["--input".to_string(), format!("{name}={}", file.display())]);
        }
        args.extend(["-o".to_string(), out.display().to_string()]);
        let output = relaxc(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read(out.join("features.npy")).unwrap()
    };
    assert_eq!(run(false, &dir.path().join("embedded")), run(true, &dir.path().join("separate")));
}
