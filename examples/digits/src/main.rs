//! The relax-rs demo: classifies the held-out 8x8 handwritten digits with the
//! bundled model, compiled ahead of time by `build.rs`, and reports test
//! accuracy and per-sample latency. The test set is embedded, so the same
//! binary runs natively, under qemu-aarch64 and under wasmtime.

use relax_rt::{Tensor, TensorViewMut, Workspace};
use std::time::Instant;

include!(concat!(env!("OUT_DIR"), "/digits.rs"));
include!(concat!(env!("OUT_DIR"), "/digits_separate.rs"));

/// The weights of `digits_separate`, embedded here so the binary runs on every
/// target (a program would usually `Weights::load` the file at run time).
const SEPARATE_WEIGHTS: &[u8] = include_bytes!(env!("RELAX_DIGITS_SEPARATE_WEIGHTS"));

/// See models/digits/data/README.md: u32 count, then per sample 64 f32 pixels and a u8 label.
const TEST_SET: &[u8] = include_bytes!("../../../models/digits/data/digits_test.bin");
const PIXELS: usize = 64;
const CLASSES: usize = 10;

struct TestSet {
    pixels: Vec<f32>,
    labels: Vec<u8>,
}

fn load_test_set(bytes: &[u8]) -> TestSet {
    let count = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
    let record = PIXELS * 4 + 1;
    let (mut pixels, mut labels) = (Vec::with_capacity(count * PIXELS), Vec::with_capacity(count));
    for r in bytes[4..].chunks_exact(record).take(count) {
        pixels.extend(r[..PIXELS * 4].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())));
        labels.push(r[PIXELS * 4]);
    }
    TestSet { pixels, labels }
}

fn argmax(row: &[f32]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

/// Median wall time of classifying one sample, reusing outputs and workspace.
fn latency_per_sample_us(set: &TestSet) -> Result<f64, relax_rt::Error> {
    let mut out = vec![0f32; CLASSES];
    let mut workspace = Workspace::new();
    let mut times = Vec::with_capacity(set.labels.len());
    for sample in set.pixels.chunks_exact(PIXELS) {
        let x = relax_rt::TensorView::new(&[1, PIXELS], sample)?;
        let mut y = TensorViewMut::new(&[1, CLASSES], &mut out)?;
        let start = Instant::now();
        digits::forward_into(x, &mut y, &mut workspace)?;
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

fn main() -> Result<(), relax_rt::Error> {
    let set = load_test_set(TEST_SET);
    let n = set.labels.len();
    let x = Tensor::new(&[n, PIXELS], set.pixels.clone())?;
    let probs = digits::forward(&x)?;
    let correct = probs.data().chunks_exact(CLASSES).zip(&set.labels).filter(|(p, &l)| argmax(p) == l as usize).count();
    println!("digits: {n} test samples, model compiled by relax-rs");
    println!("test accuracy: {:.4} ({correct} of {n} correct)", correct as f64 / n as f64);
    for (i, p) in probs.data().chunks_exact(CLASSES).take(4).enumerate() {
        let values: Vec<String> = p.iter().map(|v| format!("{v:.9e}")).collect();
        println!("probs[{i}]: {}", values.join(" "));
    }
    // wasm32-unknown-unknown has no clock; everywhere else, report latency.
    if cfg!(not(all(target_arch = "wasm32", target_os = "unknown"))) {
        println!("latency per sample (batch 1, median): {:.2} us", latency_per_sample_us(&set)?);
    }
    let weights = digits_separate::Weights::from_bytes(SEPARATE_WEIGHTS)?;
    let same = digits_separate::forward(&weights, &x)?.data() == probs.data();
    println!("separate weights give the same probabilities: {same}");
    match digits::forward(&Tensor::<f32>::zeros(&[2, 63])) {
        Err(e) => println!("wrong input shape is rejected: {e}"),
        Ok(_) => println!("ERROR: a [2, 63] input was accepted"),
    }
    Ok(())
}
