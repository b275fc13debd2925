//! `examples/inline-macro` (a CNN declared with `relax!`) built and run on
//! every target, its printed outputs checked against the reference interpreter
//! running the model text of the same `relax!` block.

use relax_compiler::NDArray;
use relax_e2e::compare::check_rows;
use relax_e2e::macro_source::relax_macro_body;
use relax_e2e::printed::{find_line, parse_rows};
use relax_e2e::reference::Model;
use relax_e2e::rejection::ExpectedRejection;
use relax_e2e::{run_example, workspace, Error, Result, Target};
use std::sync::OnceLock;

const EXAMPLE: &str = "inline-macro";
const EXAMPLE_DIR: &str = "examples/inline-macro";
const SOURCE: &str = "examples/inline-macro/src/main.rs";
/// The example's input: `Tensor::from_fn(&[3, 1, 8, 8], |i| ((i as f32) * 0.37).sin())`.
const INPUT_SHAPE: [usize; 4] = [3, 1, 8, 8];
/// The input the example shows being rejected.
const WRONG_SHAPE: [usize; 4] = [3, 1, 8, 7];
const RTOL: f64 = 1e-4;
const ATOL: f64 = 1e-5;

#[test]
fn inline_macro_native() -> Result<()> {
    check_on(Target::Native)
}

#[test]
fn inline_macro_aarch64_qemu() -> Result<()> {
    check_on(Target::Aarch64Qemu)
}

#[test]
fn inline_macro_wasm32_wasmtime() -> Result<()> {
    check_on(Target::Wasm32Wasi)
}

fn check_on(target: Target) -> Result<()> {
    let output = run_example(EXAMPLE, target)?;
    let reference = reference()?;
    let checks = || -> Result<()> {
        check_rows("y", &parse_rows(&output, "y")?, &reference.y, RTOL, ATOL)?;
        reference.rejection.check(find_line(&output, "rejected")?)
    };
    checks().map_err(|e| Error::new(format!("{EXAMPLE} on {target}: {e}\n--- output ---\n{output}")))
}

/// What the interpreter says the example must print.
struct Reference {
    y: NDArray,
    rejection: ExpectedRejection,
}

/// Computed once per test process: the three targets' tests share it.
fn reference() -> Result<&'static Reference> {
    static REFERENCE: OnceLock<Result<Reference>> = OnceLock::new();
    REFERENCE.get_or_init(compute_reference).as_ref().map_err(Clone::clone)
}

fn compute_reference() -> Result<Reference> {
    let path = workspace::path(SOURCE);
    let source =
        std::fs::read_to_string(&path).map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    let text = relax_macro_body(&source).map_err(|e| e.context(path.display()))?;
    // The macro resolves `#[weights = ...]` against the crate's directory.
    let model = Model::from_text(&format!("the relax! block of {SOURCE}"), text, &workspace::path(EXAMPLE_DIR))?;
    let numel: usize = INPUT_SHAPE.iter().product();
    let input = NDArray::from_f32(&INPUT_SHAPE, (0..numel).map(|i| ((i as f32) * 0.37).sin()).collect());
    Ok(Reference {
        y: model.run("forward", input)?,
        rejection: ExpectedRejection::new(model.module(), "forward", &WRONG_SHAPE)?,
    })
}
