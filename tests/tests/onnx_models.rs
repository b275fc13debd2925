//! `examples/onnx-models` (two ONNX models with a counted and a while `Loop`
//! and a run-time `If`, compiled by its `build.rs` with `Model::onnx`) built
//! and run on every target, each printed output checked against onnxruntime's
//! output in the models' test cases (`models/architectures/<model>/`).

use relax_compiler::frontend::onnx::read_tensor;
use relax_compiler::NDArray;
use relax_e2e::compare::check_rows;
use relax_e2e::printed::{find_line, parse_rows};
use relax_e2e::{run_example, workspace, Error, Result, Target};

const EXAMPLE: &str = "onnx-models";
/// Model, then its outputs in order (as the example names them).
const MODELS: [(&str, &[&str]); 2] =
    [("loop_decoder", &["states", "refined", "shrink_steps"]), ("if_model", &["features"])];
const DATA_SETS: usize = 2;
/// The tolerance `relaxc/tests/architectures.rs` checks these models with.
const RTOL: f64 = 1e-4;
const ATOL: f64 = 1e-5;

#[test]
fn onnx_models_native() -> Result<()> {
    check_on(Target::Native)
}

#[test]
fn onnx_models_aarch64_qemu() -> Result<()> {
    check_on(Target::Aarch64Qemu)
}

#[test]
fn onnx_models_wasm32_wasmtime() -> Result<()> {
    check_on(Target::Wasm32Wasi)
}

fn check_on(target: Target) -> Result<()> {
    let output = run_example(EXAMPLE, target)?;
    let checks = || -> Result<()> {
        for (model, outputs) in MODELS {
            for set in 0..DATA_SETS {
                for (k, name) in outputs.iter().enumerate() {
                    let label = format!("{model}_{set}_{name}");
                    check_rows(&label, &parse_rows(&output, &label)?, &expected(model, set, k)?, RTOL, ATOL)?;
                }
            }
        }
        let rejection = find_line(&output, "wrong input shape is rejected")?;
        match rejection.contains("parameter `sequence` expects shape [S, N, 6], got [3, 1, 5]") {
            true => Ok(()),
            false => Err(Error::new(format!("unexpected rejection: {rejection}"))),
        }
    };
    checks().map_err(|e| Error::new(format!("{EXAMPLE} on {target}: {e}\n--- output ---\n{output}")))
}

/// onnxruntime's output `k` of data set `set`, flattened to one f32 row (the
/// example prints the i64 step count as a float too).
fn expected(model: &str, set: usize, k: usize) -> Result<NDArray> {
    let path = workspace::path(&format!("models/architectures/{model}/test_data_set_{set}/output_{k}.pb"));
    let bytes = std::fs::read(&path).map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    let tensor = read_tensor(&bytes).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    let values: Vec<f32> = (0..tensor.numel()).map(|i| tensor.get(i).to_f64() as f32).collect();
    Ok(NDArray::from_f32(&[1, values.len()], values))
}
