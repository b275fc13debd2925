//! `examples/digits` (the MLP of `models/digits/digits.relax`, compiled by its
//! `build.rs`) built and run on every target, its printed accuracy and
//! probabilities checked against the reference interpreter on the same test set.

use relax_compiler::NDArray;
use relax_e2e::compare::{check_rows, leading_rows};
use relax_e2e::printed::{find_line, parse_rows};
use relax_e2e::reference::Model;
use relax_e2e::rejection::ExpectedRejection;
use relax_e2e::{run_example, workspace, Error, Result, Target};
use std::sync::OnceLock;

const EXAMPLE: &str = "digits";
const MODEL: &str = "models/digits/digits.relax";
/// Format in `models/digits/data/README.md`; the example embeds the same file.
const TEST_SET: &str = "models/digits/data/digits_test.bin";
const PIXELS: usize = 64;
/// How many rows of probabilities the example prints.
const PRINTED_ROWS: usize = 4;
/// The input the example shows being rejected.
const WRONG_SHAPE: [usize; 2] = [2, 63];
const RTOL: f64 = 1e-4;
const ATOL: f64 = 1e-6;

#[test]
fn digits_native() -> Result<()> {
    check_on(Target::Native)
}

#[test]
fn digits_aarch64_qemu() -> Result<()> {
    check_on(Target::Aarch64Qemu)
}

#[test]
fn digits_wasm32_wasmtime() -> Result<()> {
    check_on(Target::Wasm32Wasi)
}

fn check_on(target: Target) -> Result<()> {
    let output = run_example(EXAMPLE, target)?;
    let reference = reference()?;
    let checks = || -> Result<()> {
        let accuracy = find_line(&output, "test accuracy")?;
        if accuracy != reference.accuracy_line {
            return Err(Error::new(format!(
                "printed accuracy `{accuracy}`, the reference interpreter gives `{}`",
                reference.accuracy_line
            )));
        }
        let probs = parse_rows(&output, "probs")?;
        check_rows("probs", &probs, &reference.first_probs, RTOL, ATOL)?;
        let separate = find_line(&output, "separate weights give the same probabilities")?;
        if separate != "true" {
            return Err(Error::new(format!("with separate weights the probabilities differ ({separate})")));
        }
        reference.rejection.check(find_line(&output, "wrong input shape is rejected")?)
    };
    checks().map_err(|e| Error::new(format!("{EXAMPLE} on {target}: {e}\n--- output ---\n{output}")))
}

/// What the interpreter says the example must print.
struct Reference {
    /// The accuracy line's text, formatted as the example formats it.
    accuracy_line: String,
    first_probs: NDArray,
    rejection: ExpectedRejection,
}

/// Computed once per test process: the three targets' tests share it.
fn reference() -> Result<&'static Reference> {
    static REFERENCE: OnceLock<Result<Reference>> = OnceLock::new();
    REFERENCE.get_or_init(compute_reference).as_ref().map_err(Clone::clone)
}

fn compute_reference() -> Result<Reference> {
    let model = Model::from_file(&workspace::path(MODEL))?;
    let (pixels, labels) = read_test_set()?;
    let n = labels.len();
    let probs = model.run("forward", NDArray::from_f32(&[n, PIXELS], pixels))?;
    let rows = probs.as_f32().ok_or("the model's output is not f32")?;
    let classes = probs.shape()[1];
    let correct = rows.chunks_exact(classes).zip(&labels).filter(|(p, &label)| argmax(p) == label as usize).count();
    Ok(Reference {
        accuracy_line: format!("{:.4} ({correct} of {n} correct)", correct as f64 / n as f64),
        first_probs: leading_rows(&probs, PRINTED_ROWS)?,
        rejection: ExpectedRejection::new(model.module(), "forward", &WRONG_SHAPE)?,
    })
}

/// The first index of the largest value, as the example breaks ties.
fn argmax(row: &[f32]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

/// Pixels (`count * 64` values) and labels of the test set.
fn read_test_set() -> Result<(Vec<f32>, Vec<u8>)> {
    let path = workspace::path(TEST_SET);
    let bytes = std::fs::read(&path).map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    let bad = || Error::new(format!("{} is not in the format of its README", path.display()));
    let count = u32::from_le_bytes(bytes.get(..4).ok_or_else(bad)?.try_into().unwrap()) as usize;
    let record = PIXELS * 4 + 1;
    if bytes.len() != 4 + count * record {
        return Err(bad());
    }
    let (mut pixels, mut labels) = (Vec::with_capacity(count * PIXELS), Vec::with_capacity(count));
    for r in bytes[4..].chunks_exact(record) {
        pixels.extend(r[..PIXELS * 4].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())));
        labels.push(r[PIXELS * 4]);
    }
    Ok((pixels, labels))
}
