//! `cargo xtask bench`: the latency of the same models under relax-rs,
//! onnxruntime (one and two threads) and tract in one run, and GEMM GFLOP/s
//! against the machine's estimated peak, written to `target/bench/report.md`.
//!
//! Each runner is its own process printing the same machine-readable line
//! (`median_us=.. iterations=..`): `relaxc bench` (release build), the script
//! `tools/bench_onnxruntime.py` and `bench/tract-runner`, a crate outside the
//! workspace (tract is large; `cargo test --workspace` never builds it) built
//! here in release into `target/bench/tract-target`. Every runner checks its
//! outputs against the case's expected ones before timing, so a row never
//! compares a wrong answer. The cases are `models/architectures/*` and square
//! f32 GEMMs written by `tools/bench_gemm_cases.py` into `target/bench/cases`.

mod peak;
mod report;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};

use crate::cmd::{self, bail, Result};
use crate::prereqs::BENCH_PYTHON_PACKAGES;
use crate::{cargo, python, setup, workspace_root};
use report::{Cell, Row};

const ARCHITECTURES: &str = "models/architectures";
const GEMM_CASES: &str = "target/bench/cases";
const GEMM_SIZES: [u64; 3] = [256, 512, 1024];
const DEFAULT_REPORT: &str = "target/bench/report.md";
const TRACT_MANIFEST: &str = "bench/tract-runner/Cargo.toml";
const TRACT_TARGET: &str = "target/bench/tract-target";
const ONNXRUNTIME_RUNNER: &str = "tools/bench_onnxruntime.py";
const GEMM_GENERATOR: &str = "tools/bench_gemm_cases.py";
/// Untimed calls before the timed ones.
const WARMUP: usize = 10;
/// Per runner and case: slow calls stop after this many seconds (and at
/// least 3 timed calls), so a naive 1024 GEMM does not take 100 x 10 s.
const MAX_SECONDS: f64 = 10.0;
/// tract-runner's exit code for a model tract does not support.
const TRACT_UNSUPPORTED: i32 = 3;

pub struct Options {
    pub run_setup: bool,
    /// Only cases whose name contains this.
    pub filter: Option<String>,
    pub iterations: usize,
    /// Where to write the report (default `target/bench/report.md`).
    pub report: Option<PathBuf>,
}

/// Parses `bench`'s arguments (after `--no-setup` was taken out).
pub fn options(run_setup: bool, args: &[String]) -> Result<Options> {
    let mut options = Options { run_setup, filter: None, iterations: 100, report: None };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| cmd::Error(format!("{arg} needs a value")));
        match arg.as_str() {
            "--filter" => options.filter = Some(value()?.clone()),
            "--report" => options.report = Some(PathBuf::from(value()?)),
            "--iterations" => {
                let v = value()?;
                options.iterations = match v.parse() {
                    Ok(n) if n >= 1 => n,
                    _ => bail!("--iterations takes a count of at least 1, got `{v}`"),
                };
            }
            other => bail!("unexpected argument `{other}` for `cargo xtask bench` (see `cargo xtask help`)"),
        }
    }
    Ok(options)
}

/// The three runners' programs, ready to run.
struct Runners {
    relaxc: PathBuf,
    python: PathBuf,
    /// The tract runner, or why it could not be built.
    tract: std::result::Result<PathBuf, String>,
}

pub fn bench(options: &Options) -> Result<ExitCode> {
    if options.run_setup {
        setup::setup()?;
    }
    let root = workspace_root();
    let python = python::ensure(&root, BENCH_PYTHON_PACKAGES)?;
    generate_gemm_cases(&root, &python)?;
    let cases = cases(&root, options.filter.as_deref())?;
    if cases.is_empty() {
        bail!("no case matches --filter {}", options.filter.as_deref().unwrap_or(""));
    }
    println!("== bench: building relaxc ==");
    cmd::run(cargo().args(["build", "--release", "--package", "relaxc"]))?;
    println!("== bench: building the tract runner ({TRACT_MANIFEST}, release) ==");
    let runners = Runners { relaxc: root.join("target/release/relaxc"), python, tract: build_tract(&root) };
    let peak = estimate_peak();
    let rows: Vec<Row> = cases.iter().map(|(name, dir)| bench_case(&root, &runners, name, dir, options)).collect();
    let header = header(&root, &runners, peak.as_ref(), options);
    let text = report::render(&header, &rows, peak.as_ref());
    let path = options.report.clone().unwrap_or_else(|| root.join(DEFAULT_REPORT));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| cmd::Error(format!("{}: {e}", dir.display())))?;
    }
    std::fs::write(&path, &text).map_err(|e| cmd::Error(format!("{}: {e}", path.display())))?;
    println!("\n{text}\nwritten to {}", path.display());
    Ok(ExitCode::SUCCESS)
}

/// `tools/bench_gemm_cases.py`, when a GEMM case is missing (the cases are
/// deterministic, so existing ones are kept).
fn generate_gemm_cases(root: &Path, python: &Path) -> Result<()> {
    let dir = root.join(GEMM_CASES);
    if GEMM_SIZES.iter().all(|n| dir.join(format!("gemm_{n}/test_data_set_0/output_0.pb")).is_file()) {
        return Ok(());
    }
    println!("== bench: writing the GEMM cases into {GEMM_CASES} ==");
    let sizes: Vec<String> = GEMM_SIZES.iter().map(u64::to_string).collect();
    let mut generate = Command::new(python);
    generate.current_dir(root).arg(GEMM_GENERATOR).arg("--output").arg(&dir).arg("--sizes").arg(sizes.join(","));
    cmd::run(&mut generate)
}

/// Every case (name, directory) in report order: the architectures
/// alphabetically, then the GEMMs by size.
fn cases(root: &Path, filter: Option<&str>) -> Result<Vec<(String, PathBuf)>> {
    let dir = root.join(ARCHITECTURES);
    let entries = std::fs::read_dir(&dir).map_err(|e| cmd::Error(format!("{}: {e}", dir.display())))?;
    let mut cases: Vec<(String, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.onnx").is_file())
        .map(|p| (p.file_name().unwrap_or_default().to_string_lossy().into_owned(), p))
        .collect();
    cases.sort();
    cases.extend(GEMM_SIZES.iter().map(|n| (format!("gemm_{n}"), root.join(GEMM_CASES).join(format!("gemm_{n}")))));
    Ok(cases.into_iter().filter(|(name, _)| filter.is_none_or(|f| name.contains(f))).collect())
}

/// Builds the tract runner; a failure (no network for crates.io, say) costs
/// the tract column, not the run.
fn build_tract(root: &Path) -> std::result::Result<PathBuf, String> {
    let mut build = cargo();
    build.args(["build", "--release", "--manifest-path", TRACT_MANIFEST, "--target-dir", TRACT_TARGET]);
    match cmd::run(&mut build) {
        Ok(()) => Ok(root.join(TRACT_TARGET).join("release/tract-runner")),
        Err(e) => {
            println!("bench: the tract column will be empty: {e}");
            Err(format!("tract runner not built: {e}"))
        }
    }
}

fn estimate_peak() -> Option<peak::Peak> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let lscpu = Command::new("lscpu").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    peak::estimate(&cpuinfo, lscpu.as_deref().and_then(peak::lscpu_max_mhz))
}

/// One case under every runner.
fn bench_case(root: &Path, runners: &Runners, name: &str, dir: &Path, options: &Options) -> Row {
    println!("== bench: {name} ==");
    let timing = |c: &mut Command| {
        c.arg("--iterations").arg(options.iterations.to_string());
        c.arg("--warmup").arg(WARMUP.to_string()).arg("--max-seconds").arg(MAX_SECONDS.to_string());
    };
    let mut cells = Vec::new();
    let mut relaxc = Command::new(&runners.relaxc);
    relaxc.arg("bench").arg(dir);
    timing(&mut relaxc);
    cells.push(run_runner(&mut relaxc, None));
    for threads in [1, 2] {
        let mut ort = Command::new(&runners.python);
        ort.current_dir(root).arg(ONNXRUNTIME_RUNNER).arg(dir).arg("--threads").arg(threads.to_string());
        timing(&mut ort);
        cells.push(run_runner(&mut ort, None));
    }
    cells.push(match &runners.tract {
        Ok(program) => {
            let mut tract = Command::new(program);
            tract.arg(dir);
            timing(&mut tract);
            run_runner(&mut tract, Some(TRACT_UNSUPPORTED))
        }
        Err(why) => Cell::Failed(why.clone()),
    });
    for (runner, cell) in report::RUNNERS.iter().zip(&cells) {
        println!("  {runner:<15} {}", describe(cell));
    }
    Row { case: name.to_string(), flops: gemm_flops(name), cells }
}

/// 2 n^3 for `gemm_<n>`.
fn gemm_flops(case: &str) -> Option<f64> {
    let n: f64 = case.strip_prefix("gemm_")?.parse().ok()?;
    Some(2.0 * n * n * n)
}

fn describe(cell: &Cell) -> String {
    match cell {
        Cell::Timed(t) => format!("median {} over {} calls", report::duration(t.median_us), t.iterations),
        Cell::Unsupported(why) => format!("unsupported: {why}"),
        Cell::Failed(why) => format!("FAILED: {why}"),
    }
}

/// Runs one runner and reads its cell from its output; `unsupported_code`
/// is the exit code with which the runner says the model is unsupported.
fn run_runner(command: &mut Command, unsupported_code: Option<i32>) -> Cell {
    let output = match command.stdin(std::process::Stdio::null()).output() {
        Ok(output) => output,
        Err(e) => return Cell::Failed(format!("could not start `{}`: {e}", cmd::display(command))),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        return match report::parse_line(&stdout) {
            Some(timing) => Cell::Timed(timing),
            None => Cell::Failed(format!("no median_us line in the output of `{}`", cmd::display(command))),
        };
    }
    if output.status.code().is_some() && output.status.code() == unsupported_code {
        let line = stdout.lines().rev().find_map(|l| l.strip_prefix("unsupported: ")).unwrap_or("unsupported");
        return Cell::Unsupported(line.to_string());
    }
    Cell::Failed(failure_message(&output))
}

/// The first line of the runner's error (its stderr, else its stdout).
fn failure_message(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let first = |text: &str| text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string);
    let status = match output.status.code() {
        Some(code) => format!("exit code {code}"),
        None => "killed by a signal".to_string(),
    };
    match first(&stderr).or_else(|| first(&stdout)) {
        Some(line) => format!("{} ({status})", line.trim_start_matches("error: ")),
        None => status,
    }
}

/// The report's header: what ran where, and how to read it.
fn header(root: &Path, runners: &Runners, peak: Option<&peak::Peak>, options: &Options) -> Vec<String> {
    let capture = |c: &mut Command| cmd::output(c).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let commit = capture(Command::new("git").current_dir(root).args(["rev-parse", "--short", "HEAD"]));
    let dirty = capture(Command::new("git").current_dir(root).args(["status", "--porcelain"])).is_some();
    let ort = capture(Command::new(&runners.python).args(["-c", "import onnxruntime; print(onnxruntime.__version__)"]));
    let tract =
        std::fs::read_to_string(root.join("bench/tract-runner/Cargo.lock")).ok().and_then(|lock| tract_version(&lock));
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    vec![
        format!(
            "relax-rs {}{}; onnxruntime {} (CPU execution provider, default graph optimizations); tract {}",
            commit.as_deref().unwrap_or("(unknown commit)"),
            if dirty { " with uncommitted changes" } else { "" },
            ort.as_deref().unwrap_or("(unknown version)"),
            tract.as_deref().unwrap_or("(unknown version)")
        ),
        "relax-rs is single-threaded today (no thread pool yet); onnxruntime runs with intra_op_num_threads 1 and 2, tract with one thread.".to_string(),
        format!(
            "Machine: {cores} cores, shared with other work, so timings are noisy; each cell is the median of up to {} calls after {WARMUP} warmup calls, cut short after {MAX_SECONDS} s (and at least 3 calls) for slow ones.",
            options.iterations
        ),
        "Inputs: each case's test_data_set_0; every runner checks its outputs against the case's expected outputs (rtol 1e-3, atol 1e-5) before timing, and a cell says `failed` instead of timing wrong results.".to_string(),
        "What is timed: relax-rs one call through relax_rt::invoke (its shape checks included) into preallocated outputs and workspace; onnxruntime one `InferenceSession.run` from Python, so its cells include the Python binding's per-call cost (tens of microseconds, visible on the tiniest models); tract one `SimpleState::run` on inputs pinned to the case's shapes and optimized.".to_string(),
        match peak {
            Some(p) => format!("Single-core f32 peak: {}.", p.how),
            None => "Single-core f32 peak: unknown (no frequency in /proc/cpuinfo or lscpu).".to_string(),
        },
    ]
}

/// tract-onnx's version in the runner's lock file.
fn tract_version(lock: &str) -> Option<String> {
    let mut lines = lock.lines();
    lines.find(|l| l.trim() == "name = \"tract-onnx\"")?;
    let version = lines.next()?.trim().strip_prefix("version = \"")?.strip_suffix('"')?;
    Some(version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_are_parsed_and_checked() {
        let o = options(false, &args(&["--filter", "gemm", "--iterations", "5", "--report", "docs/bench.md"])).unwrap();
        assert_eq!((o.filter.as_deref(), o.iterations), (Some("gemm"), 5));
        assert_eq!(o.report, Some(PathBuf::from("docs/bench.md")));
        assert!(options(false, &args(&["--iterations", "0"])).is_err());
        assert!(options(false, &args(&["--filter"])).is_err());
        assert!(options(false, &args(&["--fast"])).is_err());
    }

    #[test]
    fn gemm_cases_count_their_flops() {
        assert_eq!(gemm_flops("gemm_256"), Some(2.0 * 256.0 * 256.0 * 256.0));
        assert_eq!(gemm_flops("resnet"), None);
    }

    #[test]
    fn the_tract_version_comes_from_the_lock_file() {
        let lock = "[[package]]\nname = \"tract-hir\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"tract-onnx\"\nversion = \"0.23.9\"\n";
        assert_eq!(tract_version(lock).as_deref(), Some("0.23.9"));
    }

    #[test]
    fn every_architecture_and_gemm_is_a_case_and_the_filter_selects() {
        let root = workspace_root();
        let all = cases(&root, None).unwrap();
        assert!(all.iter().any(|(n, _)| n == "resnet"), "{all:?}");
        assert_eq!(all.iter().filter(|(n, _)| n.starts_with("gemm_")).count(), GEMM_SIZES.len());
        let gemms = cases(&root, Some("gemm_5")).unwrap();
        assert_eq!(gemms.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["gemm_512"]);
    }
}
