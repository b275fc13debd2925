//! `--check`: the run against the committed `docs/onnx-conformance.md`.
//!
//! The report's per-operator table is the baseline: an operator that passes
//! fewer cases than the committed report says, or any crash, fails the check
//! and names the operators. The real models' table is a baseline too
//! (`models.rs`). More passing cases are fine (commit the new report to raise
//! the bar).

use std::collections::BTreeMap;
use std::process::ExitCode;

use crate::cmd::{bail, Result};

mod models;

/// Passing and crashing cases of one operator.
#[derive(Clone, Copy, Default, PartialEq, Debug)]
struct Counts {
    pass: u32,
    crash: u32,
}

pub fn check(committed: &str, now: &str) -> Result<ExitCode> {
    let (before, after) = (by_operator(committed), by_operator(now));
    if before.is_empty() {
        bail!("the committed report has no per-operator table to compare with");
    }
    let mut problems = regressions(&before, &after);
    let total = |m: &BTreeMap<String, Counts>| m.values().map(|c| c.pass).sum::<u32>();
    println!("conformance check: {} node cases pass (the committed report: {})", total(&after), total(&before));
    problems.extend(models::check(committed, now));
    if problems.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for p in &problems {
        println!("  regression: {p}");
    }
    bail!(
        "{} operators or real models pass less than docs/onnx-conformance.md says, or crash (listed above)",
        problems.len()
    )
}

fn regressions(before: &BTreeMap<String, Counts>, after: &BTreeMap<String, Counts>) -> Vec<String> {
    let mut problems = Vec::new();
    for (op, was) in before {
        let now = after.get(op).copied().unwrap_or_default();
        if now.pass < was.pass {
            problems.push(format!("{op}: {} cases pass, the committed report says {}", now.pass, was.pass));
        }
    }
    for (op, now) in after.iter().filter(|(_, c)| c.crash > 0) {
        problems.push(format!("{op}: {} cases crash", now.crash));
    }
    problems
}

/// `| operator | cases | pass | fail | unsupported | crash | why |` rows of the
/// "By operator" section.
fn by_operator(report: &str) -> BTreeMap<String, Counts> {
    table_rows(report, "## By operator")
        .into_iter()
        .filter_map(|cells| {
            let number = |k: usize| cells.get(k)?.parse::<u32>().ok();
            Some((cells.first()?.to_string(), Counts { pass: number(2)?, crash: number(5)? }))
        })
        .collect()
}

/// The cells of every table line of the section whose heading starts with
/// `heading` (the header and separator lines too: callers skip what does not
/// parse). Only leading cells are read, so a `|` in a reason cannot shift them.
fn table_rows<'a>(report: &'a str, heading: &str) -> Vec<Vec<&'a str>> {
    let Some((_, rest)) = report.split_once(heading) else { return Vec::new() };
    let section = rest.split("\n## ").next().unwrap_or("");
    section
        .lines()
        .filter(|line| line.trim_start().starts_with('|'))
        .map(|line| line.trim().trim_matches('|').split('|').map(str::trim).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "# ONNX conformance\n\n## By operator\n\n\
        | operator | cases | pass | fail | unsupported | crash | why not passing |\n\
        |---|---:|---:|---:|---:|---:|---|\n\
        | Abs | 1 | 1 | 0 | 0 | 0 |  |\n\
        | Loop | 5 | 2 | 0 | 3 | 0 | unsupported: Loop |\n\n## Failures and crashes\n\n| Abs | 9 | 9 | 0 | 0 | 0 | |\n";

    #[test]
    fn reads_the_operator_table_only() {
        let counts = by_operator(REPORT);
        assert_eq!(counts.len(), 2);
        assert_eq!(counts["Loop"], Counts { pass: 2, crash: 0 });
    }

    #[test]
    fn fewer_passes_or_any_crash_is_a_regression() {
        let before = by_operator(REPORT);
        assert!(regressions(&before, &before).is_empty());
        let worse = by_operator(&REPORT.replace("| Loop | 5 | 2 | 0 | 3 | 0 |", "| Loop | 5 | 1 | 0 | 3 | 1 |"));
        assert_eq!(
            regressions(&before, &worse),
            ["Loop: 1 cases pass, the committed report says 2", "Loop: 1 cases crash"]
        );
        let better = by_operator(&REPORT.replace("| Loop | 5 | 2 |", "| Loop | 5 | 5 |"));
        assert!(regressions(&before, &better).is_empty());
        let gone = by_operator(&REPORT.replace("| Abs | 1 | 1 | 0 | 0 | 0 |  |\n", ""));
        assert_eq!(regressions(&before, &gone), ["Abs: 0 cases pass, the committed report says 1"]);
    }
}
