//! The bundled models, parsed from their `.relax` files with real weights, go
//! through every pass with results checked after each; the digits classifier
//! must also reproduce the numpy reference recorded when it was trained.

use relax_compiler::frontend::relax_text;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::NDArray;
use relax_rt::DType;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The first `count` test images of models/digits/data/digits_test.bin.
fn digits_inputs(count: usize) -> NDArray {
    let bytes = std::fs::read(repo().join("models/digits/data/digits_test.bin")).unwrap();
    let record = 64 * 4 + 1;
    let pixels: Vec<f32> = bytes[4..]
        .chunks_exact(record)
        .take(count)
        .flat_map(|r| r[..256].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())))
        .collect();
    NDArray::from_f32(&[count, 64], pixels)
}

/// `probs0=...` from models/digits/expected.txt (written by train.py with numpy).
fn numpy_probs_of_first_sample() -> Vec<f64> {
    let text = std::fs::read_to_string(repo().join("models/digits/expected.txt")).unwrap();
    let line = text.lines().find_map(|l| l.strip_prefix("probs0=")).unwrap();
    line.split_whitespace().map(|v| v.parse().unwrap()).collect()
}

#[test]
fn digits_model_survives_every_pass_and_matches_numpy() {
    let dir = repo().join("models/digits");
    let text = std::fs::read_to_string(dir.join("digits.relax")).unwrap();
    let module = relax_text::load(&text, &dir).unwrap();
    let compiled = check_passes(module, "forward", &[digits_inputs(8)], Tolerance::default()).unwrap();
    let out = relax_compiler::interp::run_entry(&compiled, "forward", &[digits_inputs(1)]).unwrap();
    let expected = numpy_probs_of_first_sample();
    let expected = NDArray::from_f64_values(DType::F32, &[1, 10], &expected);
    // expected.txt has 6 decimals.
    out[0].assert_close(&expected, 0.0, 5e-7).unwrap();
}

#[test]
fn digits_source_round_trips_through_the_printer() {
    let text = std::fs::read_to_string(repo().join("models/digits/digits.relax")).unwrap();
    let module = relax_compiler::text::parse_module(&text).unwrap();
    assert_eq!(relax_compiler::text::print_module(&module), text);
}
