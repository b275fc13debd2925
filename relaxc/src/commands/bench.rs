//! `relaxc bench CASE_DIR_OR_MODEL [--iterations N] [--warmup W] [--max-seconds S]`: the latency
//! of one model's native code, on this machine, single-threaded.
//!
//! The model is compiled and loaded as `relaxc run` and `test` do (the real
//! archive, called through `relax_rt::invoke`). Inputs come from a
//! backend-test case's `test_data_set_0` or from `--input NAME=FILE.npy`. A
//! case's expected outputs are checked first: a benchmark of wrong results is
//! worthless, so a mismatch ends the command before anything is timed. The
//! timed calls write into outputs and a workspace allocated once, so what is
//! measured is the model (with the checks `invoke` always does), not the
//! allocator. `--max-seconds` cuts the calls short for slow models (see
//! `timing::Budget`). The last line is `timing.rs`'s machine-readable one.

use super::run::{in_parameter_order, read_inputs};
use crate::case_dir::CaseDir;
use crate::case_run::format_error;
use crate::cli::BenchArgs;
use crate::compare::{compare, Difference, Tolerance};
use crate::error::{CliError, Result};
use crate::model_file::ModelFile;
use crate::native::{NativeEntry, NativeModel};
use crate::timing::{Budget, Stats};
use crate::{progress, tensor_proto};
use relax_rt::invoke::{ArgMut, ArgRef};
use relax_rt::{DynTensor, Workspace};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// What to run: the model, its inputs in parameter order, and the outputs
/// they must give when the source says.
struct Workload {
    /// For the human line: the case directory's name, or the model file's.
    name: String,
    file: ModelFile,
    model: NativeModel,
    inputs: Vec<DynTensor>,
    expected: Option<Vec<DynTensor>>,
}

pub fn bench(args: &BenchArgs) -> Result<ExitCode> {
    if args.iterations == 0 {
        return Err(CliError::new("--iterations must be at least 1"));
    }
    let work = if args.path.is_dir() { from_case(args)? } else { from_model(args)? };
    let entry = work.model.entry(args.function.as_deref()).map_err(|e| e.about(work.file.path()))?;
    let refs: Vec<&DynTensor> = work.inputs.iter().collect();
    let mut outputs = entry.call(&refs).map_err(|e| CliError::in_file(work.file.path(), e.to_string()))?;
    match &work.expected {
        Some(expected) => check_outputs(&work.file, entry, &outputs, expected, args.tolerance.tolerance())?,
        None => println!("outputs not checked: no expected outputs (give a case directory to check them)"),
    }
    let budget = Budget { iterations: args.iterations, warmup: args.warmup, max_seconds: args.max_seconds };
    let (samples, warmup) = time_calls(entry, &work.inputs, &mut outputs, budget)
        .map_err(|e| CliError::in_file(work.file.path(), e.to_string()))?;
    let stats = Stats::of(&samples).expect("at least one timed call");
    println!("{} (relax-rs native, 1 thread)", stats.human(&work.name));
    println!("{}", stats.line(warmup));
    Ok(ExitCode::SUCCESS)
}

/// A backend-test case: its model, `test_data_set_0`'s inputs and outputs.
fn from_case(args: &BenchArgs) -> Result<Workload> {
    if !args.inputs.is_empty() {
        return Err(CliError::in_file(&args.path, "--input is for a model file; a case directory brings its inputs"));
    }
    let case = CaseDir::open(&args.path)?;
    let set = &case.data_sets[0];
    let read = |paths: &[std::path::PathBuf]| paths.iter().map(|p| tensor_proto::read(p)).collect::<Result<Vec<_>>>();
    let (inputs, expected) = (read(&set.inputs)?, read(&set.outputs)?);
    let file = ModelFile::open(&case.model, &args.import.options())?;
    let model = compile(&file)?;
    Ok(Workload { name: case.name(), file, model, inputs, expected: Some(expected) })
}

/// A model file with `--input`s; there is nothing to check its outputs against.
fn from_model(args: &BenchArgs) -> Result<Workload> {
    let file = ModelFile::open(&args.path, &args.import.options())?;
    let given = read_inputs(&args.inputs)?;
    let model = compile(&file)?;
    let entry = model.entry(args.function.as_deref()).map_err(|e| e.about(file.path()))?;
    let inputs = in_parameter_order(&file, entry, given)?;
    Ok(Workload { name: file.display_name(), file, model, inputs, expected: None })
}

fn compile(file: &ModelFile) -> Result<NativeModel> {
    progress::while_running(&format!("compiling {}", file.display_name()), || NativeModel::compile(file))
}

/// Refuses to time a model whose outputs are wrong.
fn check_outputs(
    file: &ModelFile,
    entry: &NativeEntry,
    got: &[DynTensor],
    expected: &[DynTensor],
    tolerance: Tolerance,
) -> Result<()> {
    let refuse = |why: String| {
        CliError::in_file(file.path(), format!("not benchmarking: the outputs are wrong ({why}); see `relaxc test`"))
    };
    if got.len() != expected.len() {
        return Err(refuse(format!("{} outputs, the case expects {}", got.len(), expected.len())));
    }
    let names = file.output_names(&entry.func);
    let mut worst = Difference::none();
    for ((name, g), e) in names.iter().zip(got).zip(expected) {
        let diff = compare(g, e, tolerance).map_err(|why| refuse(format!("output `{name}` {why}")))?;
        if let Some((index, g, e)) = diff.first_mismatch {
            return Err(refuse(format!(
                "output `{name}`: {} of {} values outside rtol {:e}, atol {:e}; the first at index {index}: got {g}, expected {e}",
                diff.mismatched, diff.total, tolerance.rtol, tolerance.atol
            )));
        }
        worst = worst.worst(&diff);
    }
    println!(
        "outputs match the case (max abs error {}, max rel error {})",
        format_error(worst.max_abs),
        format_error(worst.max_rel)
    );
    Ok(())
}

/// The budget's calls into the same outputs and workspace; the argument
/// lists are built once, outside the timed region.
fn time_calls(
    entry: &NativeEntry,
    inputs: &[DynTensor],
    outputs: &mut [DynTensor],
    budget: Budget,
) -> std::result::Result<(Vec<Duration>, usize), relax_rt::Error> {
    let args: Vec<ArgRef<'_>> = inputs.iter().map(ArgRef::from_dyn).collect();
    let shapes: Vec<Vec<usize>> = outputs.iter().map(|t| t.shape().to_vec()).collect();
    let mut outs: Vec<ArgMut<'_>> = outputs
        .iter_mut()
        .zip(&shapes)
        .map(|(t, shape)| ArgMut { dtype: t.dtype(), shape, bytes: t.bytes_mut() })
        .collect();
    let mut workspace = Workspace::new();
    budget.measure(|| {
        let start = Instant::now();
        entry.call_into(&args, &mut outs, &mut workspace)?;
        Ok(start.elapsed())
    })
}
