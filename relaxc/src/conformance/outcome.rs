//! What one conformance case came to: a status, the largest errors when it
//! ran, and a one-line reason when it did not pass.

use crate::case_run::{CaseResult, DataSetOutcome, DataSetResult};
use crate::compare::Difference;
use std::fmt;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Ran natively and every output of every data set matched.
    Pass,
    /// Ran, but an output differs or a run-time check failed.
    Fail,
    /// Did not compile, or its data needs something relax-rs does not have.
    Unsupported,
    /// A panic, a dead process or a timeout: a bug to report.
    Crash,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Pass, Status::Fail, Status::Unsupported, Status::Crash];

    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Unsupported => "unsupported",
            Status::Crash => "crash",
        }
    }

    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The result of one case, as the journal stores it and the report shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub case: String,
    pub status: Status,
    /// The largest absolute and relative errors, for cases that ran.
    pub errors: Option<(f64, f64)>,
    /// Why it did not pass (one line); empty for a pass.
    pub reason: String,
    /// Compile plus run, wall clock, when it was measured: the real models'
    /// section of the report shows it (it is what a user of such a model waits).
    pub seconds: Option<f64>,
}

impl Outcome {
    pub fn new(case: &str, status: Status, errors: Option<(f64, f64)>, reason: &str) -> Outcome {
        Outcome { case: case.to_string(), status, errors, reason: one_line(reason), seconds: None }
    }

    /// The same outcome, taking `took` to get.
    pub fn timed(self, took: Duration) -> Outcome {
        Outcome { seconds: Some(took.as_secs_f64()), ..self }
    }

    /// Classifies a case that finished. `paths` are replaced in messages by
    /// the case name, so the report does not depend on where the cases live.
    pub fn of_result(case: &str, result: &CaseResult, paths: &[String]) -> Outcome {
        let clean = |text: &str| without_paths(&first_line(text), case, paths);
        let sets = match result {
            CaseResult::NotCompiled(error) => {
                return Outcome::new(case, Status::Unsupported, None, &clean(error.message()))
            }
            CaseResult::Ran(sets) => sets,
        };
        let errors = sets
            .iter()
            .filter_map(|s| s.outcome.worst())
            .reduce(|a, b| a.worst(&b))
            .map(|d: Difference| (d.max_abs, d.max_rel));
        let problem =
            |set: &DataSetResult| format!("{}: {}", set.name, clean(&set.outcome.problem().unwrap_or_default()));
        if let Some(set) = sets.iter().find(|s| matches!(s.outcome, DataSetOutcome::Unreadable(_))) {
            return Outcome::new(case, Status::Unsupported, None, &problem(set));
        }
        match sets.iter().find(|s| !s.outcome.passed()) {
            None => Outcome::new(case, Status::Pass, errors, ""),
            Some(set) => Outcome::new(case, Status::Fail, errors, &problem(set)),
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim().to_string()
}

/// Newlines and tabs become spaces: a reason is one line of a table.
fn one_line(text: &str) -> String {
    text.split(['\n', '\t', '\r']).map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `/abs/dir/test_x/model.onnx: error: message` becomes `message`; other
/// mentions of the case's paths become the case name.
fn without_paths(text: &str, case: &str, paths: &[String]) -> String {
    let mut text = text.to_string();
    for path in paths {
        text = text.replace(&format!("{path}: error: "), "").replace(&format!("{path}: "), "").replace(path, case);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CliError;

    #[test]
    fn a_compile_error_is_unsupported_with_its_first_line_and_no_path() {
        let error =
            CliError::rendered("/data/test_x/model.onnx: error: unsupported operators: Foo, Bar\n  more detail\n");
        let outcome =
            Outcome::of_result("test_x", &CaseResult::NotCompiled(error), &["/data/test_x/model.onnx".into()]);
        assert_eq!(outcome, Outcome::new("test_x", Status::Unsupported, None, "unsupported operators: Foo, Bar"));
    }

    #[test]
    fn reasons_are_one_line() {
        assert_eq!(Outcome::new("c", Status::Fail, None, "a\tb\n c").reason, "a b c");
    }
}
