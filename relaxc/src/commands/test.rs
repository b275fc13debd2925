//! `relaxc test CASE_DIR [--rtol R --atol A]`: one ONNX backend-test case,
//! compiled natively and run on each data set; one line per data set with the
//! largest absolute and relative errors. Succeeds only when every set matches.

use crate::case_dir::CaseDir;
use crate::case_run::{run_case, CaseResult, DataSetResult};
use crate::cli::TestArgs;
use crate::error::Result;
use crate::progress;
use std::process::ExitCode;

pub fn test(args: &TestArgs) -> Result<ExitCode> {
    let case = CaseDir::open(&args.case_dir)?;
    let tolerance = args.tolerance.tolerance();
    let result =
        progress::while_running(&format!("compiling and running {}", case.name()), || run_case(&case, tolerance));
    let sets = match result {
        CaseResult::NotCompiled(error) => return Err(error),
        CaseResult::Ran(sets) => sets,
    };
    for set in &sets {
        println!("{}", data_set_line(set));
    }
    let passed = sets.iter().filter(|s| s.outcome.passed()).count();
    println!("{passed} of {} data sets match (rtol {:e}, atol {:e})", sets.len(), tolerance.rtol, tolerance.atol);
    Ok(if passed == sets.len() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `test_data_set_0: ok        max abs error 0, max rel error 0`.
pub fn data_set_line(set: &DataSetResult) -> String {
    let verdict = if set.outcome.passed() { "ok" } else { "MISMATCH" };
    format!("{}: {verdict:<9} {}", set.name, set.outcome.describe())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case_run::{DataSetOutcome, OutputComparison};
    use crate::compare::Difference;

    #[test]
    fn a_mismatch_line_gives_the_errors_and_the_first_bad_value() {
        let diff =
            Difference { max_abs: 0.5, max_rel: 0.25, mismatched: 3, total: 12, first_mismatch: Some((4, 1.5, 2.0)) };
        let set = DataSetResult {
            name: "test_data_set_1".into(),
            outcome: DataSetOutcome::Compared(vec![OutputComparison { name: "y".into(), result: Ok(diff) }]),
        };
        assert_eq!(
            data_set_line(&set),
            "test_data_set_1: MISMATCH  max abs error 5.00e-1, max rel error 2.50e-1; \
             output `y`: 3 of 12 values differ, the first at index 4: got 1.5, expected 2"
        );
    }

    #[test]
    fn a_matching_line_gives_the_errors() {
        let diff = Difference { max_abs: 0.0, max_rel: 0.0, mismatched: 0, total: 4, first_mismatch: None };
        let set = DataSetResult {
            name: "test_data_set_0".into(),
            outcome: DataSetOutcome::Compared(vec![OutputComparison { name: "y".into(), result: Ok(diff) }]),
        };
        assert_eq!(data_set_line(&set), "test_data_set_0: ok        max abs error 0, max rel error 0");
    }
}
