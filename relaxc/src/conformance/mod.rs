//! `relaxc conformance DIR --report FILE`: every case of a generated ONNX
//! node-test tree, compiled and run natively, tallied into a Markdown report.
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
    let list = cases::list(&args.dir, args.filter.as_deref())?;
    let journal_path = args.journal.clone().unwrap_or_else(|| args.dir.join("conformance.journal"));
    let (journal, mut outcomes) =
        if args.resume { Journal::resume(&journal_path)? } else { (Journal::create(&journal_path)?, BTreeMap::new()) };
    let tolerance = args.tolerance.tolerance();
    let watchdog = Watchdog::start(journal, Duration::from_secs(args.timeout));
    let total = list.cases.len();
    for (index, case) in list.cases.iter().enumerate() {
        if outcomes.contains_key(&case.name) {
            continue;
        }
        let label = progress_label(index + 1, total);
        watchdog.begin(&case.name, &label)?;
        let started = Instant::now();
        let outcome = run_isolated(case, tolerance);
        watchdog.finish(&outcome)?;
        println!("{}", progress_line(&label, &outcome, started.elapsed()));
        outcomes.insert(case.name.clone(), outcome);
    }
    let rows: Vec<report::Row> = list
        .cases
        .iter()
        .filter_map(|case| Some(report::Row { operator: case.operator.clone(), outcome: outcomes.remove(&case.name)? }))
        .collect();
    let info = report::RunInfo { onnx_version: list.onnx_version.clone(), target: host::TRIPLE.to_string(), tolerance };
    write_report(&args.report, &report::render(&info, &rows))?;
    println!("{}", summary(&rows, &args.report));
    Ok(ExitCode::SUCCESS)
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
fn progress_line(label: &str, outcome: &Outcome, took: Duration) -> String {
    let mut line = format!("{label} {:<11}  {} ({:.1} s)", outcome.status, outcome.case, took.as_secs_f64());
    if !outcome.reason.is_empty() {
        let reason: String = outcome.reason.chars().take(120).collect();
        line += &format!(": {reason}");
    }
    line
}

/// Worded so no test-runner summary parser mistakes it for test results.
fn summary(rows: &[report::Row], report: &std::path::Path) -> String {
    let count = |s: Status| rows.iter().filter(|r| r.outcome.status == s).count();
    format!(
        "conformance: {} pass, {} fail, {} unsupported, {} crash, of {} cases; report written to {}",
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Unsupported),
        count(Status::Crash),
        rows.len(),
        report.display()
    )
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
        let outcome = Outcome::new("test_foo", Status::Unsupported, None, "no Foo");
        let line = progress_line(&progress_label(7, 1884), &outcome, Duration::from_millis(300));
        assert_eq!(line, "[   7/1884] unsupported  test_foo (0.3 s): no Foo");
        let pass = Outcome::new("test_abs", Status::Pass, Some((0.0, 0.0)), "");
        let line = progress_line(&progress_label(12, 20), &pass, Duration::from_secs(1));
        assert_eq!(line, "[12/20] pass         test_abs (1.0 s)");
    }
}
