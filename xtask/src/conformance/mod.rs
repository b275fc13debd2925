//! `cargo xtask conformance`: the ONNX backend node tests and the onnx wheel's
//! light model zoo (real architectures), compiled and run natively, summarized
//! in `docs/onnx-conformance.md`.
//!
//! xtask builds without LLVM, so the work is `relaxc conformance` (release
//! build), which runs every case in one process and records each outcome in a
//! journal. This module generates the cases when they are missing and
//! supervises that process: a case that crashes it (a fault in generated code)
//! or outlives its time limit ends it, and the run is resumed from the journal
//! until every case has an outcome.

use std::path::Path;
use std::process::{Command, ExitCode, ExitStatus};

use crate::cmd::{self, bail, Result};
use crate::{cargo, python, setup, workspace_root};

mod regressions;

/// A tree of cases that a script in `tools/` writes with the pinned onnx.
struct Generated {
    dir: &'static str,
    script: &'static str,
    what: &'static str,
}

const NODE_CASES: Generated =
    Generated { dir: "target/onnx-node-tests", script: "tools/onnx_node_tests.py", what: "the ONNX node tests" };
/// Run after the node cases and reported apart (`relaxc conformance --models`).
const LIGHT_MODELS: Generated =
    Generated { dir: "target/onnx-light", script: "tools/light_models.py", what: "the onnx light model zoo" };
const REPORT: &str = "docs/onnx-conformance.md";
const JOURNAL: &str = "target/onnx-conformance.journal";

/// `relaxc conformance`'s exit code when it stopped a case over its time limit.
const TIMED_OUT_EXIT: i32 = 3;
/// More restarts than this means something other than single cases is wrong.
const MAX_RESTARTS: usize = 200;

pub struct Options {
    pub run_setup: bool,
    /// Fail when an operator passes fewer cases than the committed report
    /// says, a real model that passed there does not, or any case crashes
    /// (CI's regression guard).
    pub check: bool,
    /// Passed through to `relaxc conformance`: `--filter TEXT`, `--timeout S`,
    /// `--model-timeout S`.
    pub relaxc_args: Vec<String>,
}

pub fn conformance(options: &Options) -> Result<ExitCode> {
    if options.run_setup {
        setup::setup()?;
    }
    let root = workspace_root();
    if options.check && options.relaxc_args.iter().any(|a| a == "--filter") {
        bail!("--check compares the whole run with the committed report; it cannot be used with --filter");
    }
    let committed = std::fs::read_to_string(root.join(REPORT)).unwrap_or_default();
    generate_if_missing(&root, &NODE_CASES)?;
    generate_if_missing(&root, &LIGHT_MODELS)?;
    println!("== conformance: building relaxc ==");
    let mut build = cargo();
    build.args(["build", "--release", "--package", "relaxc"]);
    cmd::run(&mut build)?;
    println!("== conformance: running the cases ==");
    run_until_complete(&root.join("target/release/relaxc"), &root, &options.relaxc_args)?;
    if options.check {
        let now = std::fs::read_to_string(root.join(REPORT)).map_err(|e| cmd::Error(format!("{REPORT}: {e}")))?;
        return regressions::check(&committed, &now);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs the tree's script when its index, which the script writes last, is missing.
fn generate_if_missing(root: &Path, tree: &Generated) -> Result<()> {
    if root.join(tree.dir).join("index.tsv").is_file() {
        return Ok(());
    }
    println!("== conformance: generating {} into {} ==", tree.what, tree.dir);
    let python = python::ensure(root, &[])?;
    let mut generate = Command::new(python);
    generate.current_dir(root).arg(tree.script).arg("--output").arg(tree.dir);
    let status = cmd::run_status(&mut generate)?;
    if !status.success() {
        bail!("{} could not generate the cases (its message is above)", tree.script);
    }
    Ok(())
}

/// Runs `relaxc conformance`, resuming after every timeout or crash.
fn run_until_complete(relaxc: &Path, root: &Path, extra: &[String]) -> Result<()> {
    for restart in 0..=MAX_RESTARTS {
        let mut run = relaxc_command(relaxc, root, extra, restart > 0);
        let status = cmd::run_status(&mut run)?;
        if status.success() {
            return Ok(());
        }
        if !resumable(status) {
            return Err(cmd::failed(&run, status));
        }
        cmd::flush();
        println!("conformance: relaxc stopped ({}); resuming with the next case", describe(status));
    }
    bail!("relaxc stopped {MAX_RESTARTS} times; see the log above and {JOURNAL}")
}

fn relaxc_command(relaxc: &Path, root: &Path, extra: &[String], resume: bool) -> Command {
    let mut c = Command::new(relaxc);
    c.current_dir(root).arg("conformance").arg(NODE_CASES.dir).args(["--models", LIGHT_MODELS.dir]);
    c.args(["--report", REPORT, "--journal", JOURNAL]);
    if resume {
        c.arg("--resume");
    }
    c.args(extra);
    c
}

/// A timeout, or death by a signal (the journal names the case that caused it).
fn resumable(status: ExitStatus) -> bool {
    status.code() == Some(TIMED_OUT_EXIT) || status.code().is_none()
}

fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(TIMED_OUT_EXIT) => "a case timed out".to_string(),
        Some(code) => format!("exit code {code}"),
        None => signal_name(status),
    }
}

#[cfg(unix)]
fn signal_name(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map_or_else(|| "killed".to_string(), |s| format!("killed by signal {s}"))
}

#[cfg(not(unix))]
fn signal_name(_: ExitStatus) -> String {
    "killed".to_string()
}
