//! The command line: subcommands, their arguments and the help text.

use crate::compare::Tolerance;
use crate::model_file::ImportOptions;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const ABOUT: &str = "Look inside or check a model (.onnx or .relax) before wiring it into a crate.";

const LONG_ABOUT: &str = "\
Look inside or check a model (.onnx or .relax) before wiring it into a crate.

`run`, `test` and `conformance` execute native code, not the reference
interpreter: the model is compiled for this machine exactly as a crate's
build.rs compiles it (relax-build: the same passes, LLVM code generation and
static archive), the archive is linked into a shared library with the system C
compiler (`cc`, or $CC) and loaded into relaxc, and each function is called
through relax-rt's `invoke`, the call path of generated Rust wrappers. The JIT
in relax-targets shares the code generator but not the object file and the
archive; loading the real archive checks what users link.

Exit status: 0 on success, 1 on an error or an output mismatch, 2 on a bad
command line.";

#[derive(Parser, Debug)]
#[command(name = "relaxc", version, about = ABOUT, long_about = LONG_ABOUT)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Compile a model for this machine, run it on .npy inputs and write each output as DIR/<name>.npy.
    Run(RunArgs),
    /// Run an ONNX backend-test case directory (model.onnx, test_data_set_*/) and compare with its expected outputs.
    Test(TestArgs),
    /// Print the module in the text format after every compiler pass, or after one.
    Dump(DumpArgs),
    /// Compile a model for a target: the static archive, the Rust wrapper and the C header.
    Compile(CompileArgs),
    /// Time a model's native code: a case directory's test_data_set_0 (outputs checked first) or a model with --input files.
    Bench(BenchArgs),
    /// Run every case of a directory of ONNX backend tests and write a conformance report (used by `cargo xtask conformance`).
    Conformance(ConformanceArgs),
}

/// Options for importing ONNX models.
#[derive(Args, Debug, Clone, Default)]
pub struct ImportArgs {
    /// Give a symbolic dim of an ONNX model a value (repeatable), e.g. --dim batch=1.
    #[arg(long = "dim", value_name = "NAME=VALUE", value_parser = parse_dim)]
    pub dims: Vec<(String, i64)>,
    /// Bound a symbolic dim (repeatable), e.g. --dim-max n=64: larger inputs are rejected, and the workspace size has a maximum.
    #[arg(long = "dim-max", value_name = "NAME=VALUE", value_parser = parse_dim)]
    pub dim_max: Vec<(String, i64)>,
}

impl ImportArgs {
    pub fn options(&self) -> ImportOptions {
        ImportOptions { dims: self.dims.clone(), dim_max: self.dim_max.clone() }
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The model: a .onnx or .relax file.
    pub model: PathBuf,
    /// An input by parameter name (repeat for each input), e.g. --input x=x.npy.
    #[arg(long = "input", short = 'i', value_name = "NAME=FILE.npy", value_parser = parse_input)]
    pub inputs: Vec<(String, PathBuf)>,
    /// Where to write the outputs, one DIR/<output name>.npy each (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output_dir: PathBuf,
    /// The function to run, when the model exports more than one.
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,
    /// Compile with separate weights and load them from their file at run time (as `compile --separate-weights`).
    #[arg(long)]
    pub separate_weights: bool,
    #[command(flatten)]
    pub import: ImportArgs,
}

#[derive(Args, Debug)]
pub struct ToleranceArgs {
    /// Relative tolerance: |got - expected| <= atol + rtol * |expected|.
    #[arg(long, default_value_t = Tolerance::ONNX.rtol, value_name = "R")]
    pub rtol: f64,
    /// Absolute tolerance.
    #[arg(long, default_value_t = Tolerance::ONNX.atol, value_name = "A")]
    pub atol: f64,
}

impl ToleranceArgs {
    pub fn tolerance(&self) -> Tolerance {
        Tolerance { rtol: self.rtol, atol: self.atol }
    }
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// A directory holding model.onnx and test_data_set_*/ with input_N.pb and output_N.pb.
    pub case_dir: PathBuf,
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// An ONNX backend-test case directory (inputs and expected outputs from test_data_set_0), or a .onnx/.relax model given --input files.
    pub path: PathBuf,
    /// An input by parameter name when PATH is a model file (repeat for each input), e.g. --input x=x.npy.
    #[arg(long = "input", short = 'i', value_name = "NAME=FILE.npy", value_parser = parse_input)]
    pub inputs: Vec<(String, PathBuf)>,
    /// How many calls to time.
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub iterations: usize,
    /// How many untimed calls to make first (caches, page faults, branch predictors).
    #[arg(long, default_value_t = 10, value_name = "W")]
    pub warmup: usize,
    /// Cut the calls short for a slow model: warmup stops after S/5 seconds, timing after S seconds (and at least 3 calls).
    #[arg(long, value_name = "S")]
    pub max_seconds: Option<f64>,
    /// The function to run, when the model exports more than one.
    #[arg(long, value_name = "NAME")]
    pub function: Option<String>,
    #[command(flatten)]
    pub tolerance: BenchToleranceArgs,
    #[command(flatten)]
    pub import: ImportArgs,
}

/// The output check before timing. Looser than `test`'s absolute tolerance:
/// whole models sum in another order than onnxruntime, and values near zero
/// then differ by more than 1e-7 without being wrong.
#[derive(Args, Debug)]
pub struct BenchToleranceArgs {
    /// Relative tolerance: |got - expected| <= atol + rtol * |expected|.
    #[arg(long, default_value_t = 1e-3, value_name = "R")]
    pub rtol: f64,
    /// Absolute tolerance.
    #[arg(long, default_value_t = 1e-5, value_name = "A")]
    pub atol: f64,
}

impl BenchToleranceArgs {
    pub fn tolerance(&self) -> Tolerance {
        Tolerance { rtol: self.rtol, atol: self.atol }
    }
}

#[derive(Args, Debug)]
pub struct DumpArgs {
    /// The model: a .onnx or .relax file.
    pub model: PathBuf,
    /// Print only the module after this pass (every run of it, if it runs twice); `parsed` is the module before any pass.
    #[arg(long, value_name = "PASS")]
    pub after: Option<String>,
    /// Constants with more values than this print as declarations.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_values: usize,
    #[command(flatten)]
    pub import: ImportArgs,
}

#[derive(Args, Debug)]
pub struct CompileArgs {
    /// The model: a .onnx or .relax file.
    pub model: PathBuf,
    /// The Rust target triple to compile for (default: this machine's).
    #[arg(long, value_name = "TRIPLE")]
    pub target: Option<String>,
    /// Enable target features by Cargo's names (comma-separated or repeated), e.g. --target-feature avx2,fma.
    #[arg(long = "target-feature", value_name = "FEATURES", value_delimiter = ',')]
    pub target_features: Vec<String>,
    /// Where to write lib<name>.a, <name>.rs and <name>.h (created if missing).
    #[arg(long = "out-dir", short = 'o', value_name = "DIR")]
    pub out_dir: PathBuf,
    /// Keep the constants out of the archive: write them to lib<name>'s .safetensors file beside it, loaded at run time (for large models).
    #[arg(long)]
    pub separate_weights: bool,
    #[command(flatten)]
    pub import: ImportArgs,
}

#[derive(Args, Debug)]
pub struct ConformanceArgs {
    /// The generated node tests: a directory of case directories (or one holding `node/`).
    pub dir: PathBuf,
    /// Real models to run as well (tools/light_models.py's cases): they get a section of their own in the report.
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Where to write the Markdown report.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// Where to record each case's result as it finishes (default: DIR/conformance.journal).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Continue a run that stopped: keep the journal's results and run only the cases it lacks.
    #[arg(long)]
    pub resume: bool,
    /// Stop a case (and record it as timed out) after this many seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    /// The same for a real model, which takes far longer to compile than a node case.
    #[arg(long, default_value_t = 600, value_name = "SECONDS")]
    pub model_timeout: u64,
    /// Run only the cases whose name contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub tolerance: ToleranceArgs,
}

fn split_assignment(text: &str, what: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() && !value.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("expected {what}, got `{text}`")),
    }
}

fn parse_input(text: &str) -> Result<(String, PathBuf), String> {
    let (name, file) = split_assignment(text, "NAME=FILE.npy")?;
    Ok((name, PathBuf::from(file)))
}

fn parse_dim(text: &str) -> Result<(String, i64), String> {
    let (name, value) = split_assignment(text, "NAME=VALUE")?;
    match value.parse::<i64>() {
        Ok(v) if v >= 0 => Ok((name, v)),
        _ => Err(format!("the value of `{name}` must be a non-negative integer, got `{value}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn assignments_are_checked() {
        assert_eq!(parse_input("x=a=b.npy").unwrap(), ("x".to_string(), PathBuf::from("a=b.npy")));
        assert_eq!(parse_input("x.npy").unwrap_err(), "expected NAME=FILE.npy, got `x.npy`");
        assert_eq!(parse_dim("n=4").unwrap(), ("n".to_string(), 4));
        assert_eq!(parse_dim("n=-1").unwrap_err(), "the value of `n` must be a non-negative integer, got `-1`");
    }
}
