//! `cargo xtask test`: setup, then every test step in [`STEPS`], streaming
//! their output; a summary with wall times and test counts at the end.

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::cmd::{self, Result, Tee};
use crate::{cargo, setup};

/// The test suite: `cargo` invocations run from the workspace root, in order.
/// Add a line to add a step. `--no-fail-fast` so one failing test binary does
/// not hide the others' results. The cross-target end-to-end tests (`tests/`,
/// package `relax-e2e`) are a workspace member, so the first step runs them.
const STEPS: &[&[&str]] = &[&["test", "--workspace", "--no-fail-fast"]];

enum Outcome {
    Ok,
    Failed(String),
}

struct Row {
    name: String,
    outcome: Outcome,
    time: Duration,
    counts: Counts,
}

/// Totals from libtest's `test result:` lines.
#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u64,
    failed: u64,
    ignored: u64,
    /// how many `test result:` lines were seen
    binaries: u64,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
        self.ignored += o.ignored;
        self.binaries += o.binaries;
    }
}

pub fn test(run_setup: bool) -> Result<ExitCode> {
    let mut rows = Vec::new();

    if run_setup {
        let start = Instant::now();
        // Without the prerequisites the test steps cannot build: stop here.
        setup::setup()?;
        rows.push(Row {
            name: "cargo xtask setup".into(),
            outcome: Outcome::Ok,
            time: start.elapsed(),
            counts: Counts::default(),
        });
    }

    for step in STEPS {
        let mut c = cargo();
        c.args(*step);
        let name = display_cargo(&c);
        println!("\n== test: {name} ==");
        let start = Instant::now();
        let (outcome, counts) = match cmd::run_tee(&mut c, Tee::Stdout) {
            Ok((status, stdout)) => {
                let counts = parse_counts(&stdout);
                if status.success() {
                    (Outcome::Ok, counts)
                } else {
                    (Outcome::Failed(cmd::failed(&c, status).0), counts)
                }
            }
            Err(e) => (Outcome::Failed(e.0), Counts::default()),
        };
        rows.push(Row { name, outcome, time: start.elapsed(), counts });
    }

    Ok(print_summary(&rows))
}

/// `cargo test ...` without the environment and the full path of cargo.
fn display_cargo(c: &Command) -> String {
    let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    format!("cargo {}", args.join(" "))
}

/// Sum libtest's `test result: ok. 5 passed; 0 failed; 1 ignored; ...` lines.
fn parse_counts(stdout: &str) -> Counts {
    let mut c = Counts::default();
    for line in stdout.lines() {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            continue;
        };
        c.binaries += 1;
        let words: Vec<&str> =
            rest.split(|ch: char| ch == ';' || ch.is_whitespace()).filter(|w| !w.is_empty()).collect();
        for w in words.windows(2) {
            let Ok(n) = w[0].parse::<u64>() else { continue };
            match w[1] {
                "passed" => c.passed += n,
                "failed" => c.failed += n,
                "ignored" => c.ignored += n,
                _ => {}
            }
        }
    }
    c
}

fn print_summary(rows: &[Row]) -> ExitCode {
    let mut total = Counts::default();
    let mut any_failed = false;
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);

    cmd::flush();
    println!("\n== xtask test summary ==");
    for r in rows {
        total.add(r.counts);
        let tests = if r.counts.binaries > 0 {
            format!("  ({} passed, {} failed, {} ignored)", r.counts.passed, r.counts.failed, r.counts.ignored)
        } else {
            String::new()
        };
        let (word, note) = match &r.outcome {
            Outcome::Ok => ("ok", String::new()),
            Outcome::Failed(why) => {
                any_failed = true;
                ("FAILED", format!("\n      {why}"))
            }
        };
        println!("  {word:<8} {:<width$}  {:>8}{tests}{note}", r.name, format_duration(r.time),);
    }
    println!(
        "{}: {} passed, {} failed, {} skipped",
        if any_failed { "FAILED" } else { "total" },
        total.passed,
        total.failed,
        total.ignored
    );
    if any_failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn format_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_libtest_lines() {
        let out = "running 3 tests\n\
                   test a ... ok\n\
                   test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
                   \n\
                   test result: FAILED. 4 passed; 2 failed; 0 ignored; 0 measured; 3 filtered out; finished in 1.20s\n";
        let c = parse_counts(out);
        assert_eq!((c.passed, c.failed, c.ignored, c.binaries), (6, 2, 1, 2));
    }
}
