//! `tract-runner CASE_DIR [--iterations N] [--warmup W] [--max-seconds S]`: one ONNX backend-test
//! case run with tract, for `cargo xtask bench`.
//!
//! The model's input facts are pinned to the shapes of `test_data_set_0`'s
//! inputs before optimizing, as a tract user serving fixed shapes would; the
//! outputs are checked against the case's expected outputs (a timing of wrong
//! results is worthless) and then W warmup plus N runs are timed on one
//! reused state (`--max-seconds` cuts them short for slow models exactly as
//! `relaxc bench` does: warmup stops after S/5 seconds, timing after S seconds
//! and at least 3 calls). The last line is the machine-readable one every bench runner
//! prints: `median_us=.. min_us=.. max_us=.. mean_us=.. iterations=N warmup=W`.
//!
//! A model tract cannot load or run exits with code 3 and prints
//! `unsupported: <tract's error>` on one line, so the bench can tell "tract
//! does not support this" from a broken runner (any other failure, exit 1).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tract_onnx::pb::TensorProto;
use tract_onnx::prelude::*;

/// The relative tolerance of the output check, as for onnxruntime's runner.
const RTOL: f64 = 1e-3;
/// Absolute tolerance, for values near zero.
const ATOL: f64 = 1e-5;
/// Exit code of a model tract does not load, optimize or run.
const UNSUPPORTED: u8 = 3;

struct Args {
    case_dir: PathBuf,
    iterations: usize,
    warmup: usize,
    max_seconds: Option<f64>,
}

/// The fewest timed calls a time limit leaves.
const MIN_TIMED: usize = 3;

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}\nusage: tract-runner CASE_DIR [--iterations N] [--warmup W] [--max-seconds S]");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Unsupported(e)) => {
            println!("unsupported: {}", one_line(&e));
            ExitCode::from(UNSUPPORTED)
        }
        Err(Failure::Other(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

enum Failure {
    /// tract's own error while loading, optimizing or running the model.
    Unsupported(String),
    /// Anything else: unreadable files, wrong results.
    Other(String),
}

fn parse_args(args: Vec<String>) -> Result<Args, String> {
    let mut case_dir = None;
    let (mut iterations, mut warmup, mut max_seconds) = (100, 10, None);
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--max-seconds" => {
                let value = it.next().ok_or("--max-seconds needs a value")?;
                let s: f64 = value.parse().map_err(|_| format!("--max-seconds takes seconds, got `{value}`"))?;
                max_seconds = Some(s);
            }
            "--iterations" | "--warmup" => {
                let value = it.next().ok_or(format!("{arg} needs a value"))?;
                let n: usize = value.parse().map_err(|_| format!("{arg} takes a count, got `{value}`"))?;
                if arg == "--iterations" {
                    iterations = n.max(1);
                } else {
                    warmup = n;
                }
            }
            _ if case_dir.is_none() && !arg.starts_with('-') => case_dir = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
    }
    Ok(Args { case_dir: case_dir.ok_or("no case directory given")?, iterations, warmup, max_seconds })
}

fn run(args: &Args) -> Result<(), Failure> {
    let set = args.case_dir.join("test_data_set_0");
    let inputs = read_numbered(&set, "input_").map_err(Failure::Other)?;
    let expected = read_numbered(&set, "output_").map_err(Failure::Other)?;
    let plan = load(&args.case_dir.join("model.onnx"), &inputs).map_err(|e| Failure::Unsupported(format!("{e:#}")))?;
    let mut state = plan.spawn().map_err(|e| Failure::Unsupported(format!("{e:#}")))?;
    let values = || inputs.iter().map(|t| t.clone().into_tvalue()).collect::<TVec<_>>();
    let got = state.run(values()).map_err(|e| Failure::Unsupported(format!("{e:#}")))?;
    check_outputs(&got, &expected).map_err(Failure::Other)?;
    let mut call = || -> Result<f64, Failure> {
        // The inputs are cloned outside the timed region: tract takes them by value.
        let given = values();
        let start = Instant::now();
        let out = state.run(given).map_err(|e| Failure::Other(format!("{e:#}")))?;
        let elapsed = start.elapsed();
        drop(out);
        Ok(elapsed.as_secs_f64() * 1e6)
    };
    let limit_us = args.max_seconds.map(|s| s * 1e6);
    let (mut spent, mut warmed) = (0.0, 0);
    while warmed < args.warmup && !limit_us.is_some_and(|l| warmed >= 1 && spent >= l / 5.0) {
        spent += call()?;
        warmed += 1;
    }
    let (mut samples, mut spent) = (Vec::with_capacity(args.iterations), 0.0);
    while samples.len() < args.iterations && !limit_us.is_some_and(|l| samples.len() >= MIN_TIMED && spent >= l) {
        samples.push(call()?);
        spent += samples[samples.len() - 1];
    }
    let stats = Stats::of(&mut samples);
    println!("tract: median {:.1} us over {} runs (min {:.1} us)", stats.median, samples.len(), stats.min);
    println!("{}", stats.line(samples.len(), warmed));
    Ok(())
}

/// Loads the model with every input fact pinned to the given tensor's dtype
/// and shape, then optimizes it into a runnable plan.
fn load(model: &Path, inputs: &[Tensor]) -> TractResult<Arc<TypedRunnableModel>> {
    let mut model = tract_onnx::onnx().model_for_path(model)?;
    for (i, t) in inputs.iter().enumerate() {
        model.set_input_fact(i, InferenceFact::dt_shape(t.datum_type(), t.shape()))?;
    }
    model.into_optimized()?.into_runnable()
}

/// `<prefix>0.pb`, `<prefix>1.pb`, ... of a data set, in order.
fn read_numbered(dir: &Path, prefix: &str) -> Result<Vec<Tensor>, String> {
    let mut tensors = Vec::new();
    loop {
        let path = dir.join(format!("{prefix}{}.pb", tensors.len()));
        if !path.is_file() {
            return Ok(tensors);
        }
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let proto = tract_onnx::tensor::proto_from_reader(bytes.as_slice())
            .map_err(|e| format!("{}: {e:#}", path.display()))?;
        tensors.push(to_tensor(&proto).map_err(|e| format!("{}: {e:#}", path.display()))?);
    }
}

fn to_tensor(proto: &TensorProto) -> TractResult<Tensor> {
    let resolver = tract_onnx::onnx().provider;
    tract_onnx::tensor::load_tensor(&*resolver, proto, None)
}

/// Every output within `ATOL + RTOL * |expected|` of the expected one.
fn check_outputs(got: &[TValue], expected: &[Tensor]) -> Result<(), String> {
    if got.len() != expected.len() {
        return Err(format!("tract returned {} outputs, the case expects {}", got.len(), expected.len()));
    }
    for (i, (g, e)) in got.iter().zip(expected).enumerate() {
        if g.shape() != e.shape() {
            return Err(format!("output {i}: tract's shape is {:?}, expected {:?}", g.shape(), e.shape()));
        }
        let cast = |t: &Tensor| -> Result<Vec<f64>, String> {
            let c = t.cast_to::<f64>().map_err(|err| format!("output {i}: {err:#}"))?;
            let view = c.to_plain_array_view::<f64>().map_err(|err| format!("output {i}: {err:#}"))?;
            Ok(view.iter().copied().collect())
        };
        let (g, e) = (cast(g)?, cast(e)?);
        if let Some((k, (a, b))) = g.iter().zip(&e).enumerate().find(|(_, (a, b))| !close(**a, **b)) {
            return Err(format!("output {i} differs from the expected output at index {k}: got {a}, expected {b}"));
        }
    }
    Ok(())
}

/// Within tolerance, equal (infinities), or both NaN.
fn close(got: f64, expected: f64) -> bool {
    got == expected || (got.is_nan() && expected.is_nan()) || (got - expected).abs() <= ATOL + RTOL * expected.abs()
}

/// The summary of a run's per-call times, in microseconds.
struct Stats {
    median: f64,
    min: f64,
    max: f64,
    mean: f64,
}

impl Stats {
    fn of(samples: &mut [f64]) -> Stats {
        samples.sort_by(f64::total_cmp);
        let n = samples.len();
        let median = if n % 2 == 1 { samples[n / 2] } else { (samples[n / 2 - 1] + samples[n / 2]) / 2.0 };
        Stats { median, min: samples[0], max: samples[n - 1], mean: samples.iter().sum::<f64>() / n as f64 }
    }

    fn line(&self, iterations: usize, warmup: usize) -> String {
        format!(
            "median_us={:.3} min_us={:.3} max_us={:.3} mean_us={:.3} iterations={iterations} warmup={warmup}",
            self.median, self.min, self.max, self.mean
        )
    }
}

/// An error on one line: its causes joined, whitespace runs collapsed.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
