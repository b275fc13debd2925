//! `relaxc conformance DIR --report FILE`: every case of a generated ONNX
//! node-test tree, compiled and run natively, tallied into a Markdown report.
//! With `--models DIR`, real models (the onnx wheel's light model zoo) run the
//! same way after them and get a section of their own, so the node-case
//! totals stay what ONNX operator coverage is counted in.
//!
//! All cases run in this one process, which is far faster than a process per
//! case, and each is isolated: a panic is caught and recorded as a crash (a bug
//! to report), a case over its time limit is recorded by the watchdog, which
//! then ends the process, and a crash that kills the process is found in the
//! journal by the next `--resume`. `cargo xtask conformance` resumes until the
//! run completes. Only cases that ran and matched are marked pass.

mod cases;
mod journal;
mod outcome;
mod report;
mod watchdog;

use crate::case_dir::CaseDir;
use crate::case_run::run_case;
use crate::cli::ConformanceArgs;
use crate::compare::Tolerance;
use crate::error::{CliError, Result};
use crate::{host, panic_report};
use cases::Case;
use journal::Journal;
use outcome::{Outcome, Status};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant};
use watchdog::Watchdog;

pub fn run(args: &ConformanceArgs) -> Result<ExitCode> {
    panic_report::install(true);
    let filter = args.filter.as_deref();
    let nodes = cases::list(&args.dir, filter)?;
    let models = match &args.models {
        Some(dir) => cases::list(dir, filter)?.cases,
        None => Vec::new(),
    };
    if nodes.cases.is_empty() && models.is_empty() {
        return Err(CliError::new(format!("no case name contains `{}`", filter.unwrap_or_default())));
    }
    let journal_path = args.journal.clone().unwrap_or_else(|| args.dir.join("conformance.journal"));
    let (journal, mut outcomes) =
        if args.resume { Journal::resume(&journal_path)? } else { (Journal::create(&journal_path)?, BTreeMap::new()) };
    let tolerance = args.tolerance.tolerance();
    let watchdog = Watchdog::start(journal);
    let batches =
        [(&nodes.cases[..], Duration::from_secs(args.timeout)), (&models[..], Duration::from_secs(args.model_timeout))];
    run_cases(&watchdog, &batches, tolerance, &mut outcomes)?;
    let node_rows = rows(&nodes.cases, &mut outcomes);
    let model_rows = rows(&models, &mut outcomes);
    let info =
        report::RunInfo { onnx_version: nodes.onnx_version.clone(), target: host::TRIPLE.to_string(), tolerance };
    write_report(&args.report, &report::render(&info, &node_rows, &model_rows))?;
    println!("{}", summary(&node_rows, &model_rows, &args.report));
    Ok(ExitCode::SUCCESS)
}

/// Runs, in order, every case of `batches` (cases with their time limit) that
/// has no outcome yet, recording each in `outcomes`.
fn run_cases(
    watchdog: &Watchdog,
    batches: &[(&[Case], Duration)],
    tolerance: Tolerance,
    outcomes: &mut BTreeMap<String, Outcome>,
) -> Result<()> {
    let total = batches.iter().map(|(cases, _)| cases.len()).sum();
    let all = batches.iter().flat_map(|(cases, limit)| cases.iter().map(move |case| (case, *limit)));
    for (index, (case, limit)) in all.enumerate() {
        if outcomes.contains_key(&case.name) {
            continue;
        }
        let label = progress_label(index + 1, total);
        watchdog.begin(&case.name, &label, limit)?;
        let started = Instant::now();
        let outcome = run_isolated(case, tolerance).timed(started.elapsed());
        watchdog.finish(&outcome)?;
        println!("{}", progress_line(&label, &outcome));
        outcomes.insert(case.name.clone(), outcome);
    }
    Ok(())
}

/// The report rows of `cases`, taking their outcomes out of `outcomes`.
fn rows(cases: &[Case], outcomes: &mut BTreeMap<String, Outcome>) -> Vec<report::Row> {
    cases
        .iter()
        .filter_map(|case| Some(report::Row { subject: case.subject.clone(), outcome: outcomes.remove(&case.name)? }))
        .collect()
}

/// Runs one case, turning a panic anywhere in it into a crash outcome.
fn run_isolated(case: &Case, tolerance: Tolerance) -> Outcome {
    let paths = [case.dir.join("model.onnx").display().to_string(), case.dir.display().to_string()];
    let caught = catch_unwind(AssertUnwindSafe(|| CaseDir::open(&case.dir).map(|dir| run_case(&dir, tolerance))));
    match caught {
        Ok(Ok(result)) => Outcome::of_result(&case.name, &result, &paths),
        Ok(Err(layout)) => Outcome::new(&case.name, Status::Fail, None, &format!("malformed case: {layout}")),
        Err(_) => {
            let panic = panic_report::take_last().unwrap_or_else(|| "unknown panic".to_string());
            Outcome::new(&case.name, Status::Crash, None, &format!("panic: {panic}"))
        }
    }
}

/// `[  12/1884]`: which case of how many.
fn progress_label(number: usize, total: usize) -> String {
    let width = total.to_string().len();
    format!("[{number:>width$}/{total}]")
}

/// `[  12/1884] unsupported  test_foo (0.1 s): reason`.
fn progress_line(label: &str, outcome: &Outcome) -> String {
    let seconds = outcome.seconds.unwrap_or_default();
    let mut line = format!("{label} {:<11}  {} ({seconds:.1} s)", outcome.status, outcome.case);
    if !outcome.reason.is_empty() {
        let reason: String = outcome.reason.chars().take(120).collect();
        line += &format!(": {reason}");
    }
    line
}

/// Worded so no test-runner summary parser mistakes it for test results.
/// The totals are node cases' (what the ONNX coverage is counted in); the
/// real models are counted apart.
fn summary(nodes: &[report::Row], models: &[report::Row], report: &std::path::Path) -> String {
    let count = |rows: &[report::Row], s: Status| rows.iter().filter(|r| r.outcome.status == s).count();
    let mut line = format!(
        "conformance: {} pass, {} fail, {} unsupported, {} crash, of {} node cases; ",
        count(nodes, Status::Pass),
        count(nodes, Status::Fail),
        count(nodes, Status::Unsupported),
        count(nodes, Status::Crash),
        nodes.len(),
    );
    if !models.is_empty() {
        line += &format!("{} of {} real models pass; ", count(models, Status::Pass), models.len());
    }
    line + &format!("report written to {}", report.display())
}

fn write_report(path: &std::path::Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| CliError::io("write", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_align_and_carry_the_reason() {
        let outcome = Outcome::new("test_foo", Status::Unsupported, None, "no Foo").timed(Duration::from_millis(300));
        let line = progress_line(&progress_label(7, 1884), &outcome);
        assert_eq!(line, "[   7/1884] unsupported  test_foo (0.3 s): no Foo");
        let pass = Outcome::new("test_abs", Status::Pass, Some((0.0, 0.0)), "").timed(Duration::from_secs(1));
        let line = progress_line(&progress_label(12, 20), &pass);
        assert_eq!(line, "[12/20] pass         test_abs (1.0 s)");
    }

    #[test]
    fn the_summary_counts_node_cases_and_real_models_apart() {
        let row =
            |case: &str, status| report::Row { subject: "X".into(), outcome: Outcome::new(case, status, None, "") };
        let nodes = [row("test_a", Status::Pass), row("test_b", Status::Fail)];
        let path = std::path::Path::new("r.md");
        assert_eq!(
            summary(&nodes, &[], path),
            "conformance: 1 pass, 1 fail, 0 unsupported, 0 crash, of 2 node cases; report written to r.md"
        );
        let models = [row("light_a", Status::Pass), row("light_b", Status::Crash)];
        assert!(summary(&nodes, &models, path).contains("of 2 node cases; 1 of 2 real models pass; report"));
    }
}
