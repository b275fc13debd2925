//! The report's section on real models: one row per model of the onnx
//! wheel's light model zoo, with its result, errors and time. It is a section
//! of its own, apart from the totals, because ONNX coverage is counted in node
//! cases, while a real model is one case exercising dozens of operators at the
//! sizes real networks use, where compile time matters too.

use super::{cell, shorten, Row};
use crate::case_run::format_error;
use std::fmt::Write;

/// The heading `cargo xtask conformance --check` finds the section by.
pub const HEADING: &str = "## Real models (onnx light model zoo)";

pub fn section(rows: &[Row]) -> String {
    let mut out = format!("{HEADING}\n\n{EXPLANATION}\n");
    out += "| model | case | result | max abs error | max rel error | compile + run | reason |\n\
            |---|---|---|---:|---:|---:|---|\n";
    for row in rows {
        out += &model_row(row);
    }
    out
}

const EXPLANATION: &str = "\
The real architectures the onnx wheel ships in `onnx/backend/test/data/light/`: the model
zoo's graphs with their large weights made constants (`ConstantOfShape`), written out by
`tools/light_models.py` with the input onnx's backend runner feeds them (`arange(n) / n` in
the input's shape) and the expected output shipped beside them. Each is compiled and run like
a node case and judged with the same tolerance; they are not counted in the totals above.
With a constant classifier every class scores the same, and the expected output does not even
depend on the input: it holds one value (0.001 everywhere after a softmax). A pass shows that
the whole network imports, compiles, runs natively at a real model's size and computes that
value; each operator's arithmetic is what the node cases check. The time is compile plus run,
wall clock, on the machine that wrote this report; it varies between runs.
";

/// `| ResNet-50 | light_resnet50 | pass | 0 | 1.20e-6 | 12.3 s |  |`.
fn model_row(row: &Row) -> String {
    let outcome = &row.outcome;
    let (abs, rel) = outcome.errors.map_or((String::new(), String::new()), |(a, r)| (format_error(a), format_error(r)));
    let time = outcome.seconds.map_or(String::new(), |s| format!("{s:.1} s"));
    let mut line = String::new();
    let _ = writeln!(
        line,
        "| {} | {} | {} | {abs} | {rel} | {time} | {} |",
        cell(&row.subject),
        outcome.case,
        outcome.status,
        cell(&shorten(&outcome.reason))
    );
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::outcome::{Outcome, Status};
    use std::time::Duration;

    fn row(model: &str, case: &str, status: Status, errors: Option<(f64, f64)>, reason: &str, ms: u64) -> Row {
        let outcome = Outcome::new(case, status, errors, reason).timed(Duration::from_millis(ms));
        Row { subject: model.into(), outcome }
    }

    #[test]
    fn each_model_is_a_row_with_its_result_errors_and_time() {
        let text = section(&[
            row("AlexNet", "light_bvlc_alexnet", Status::Pass, Some((0.0, 2.5e-6)), "", 3_140),
            row(
                "VGG-19",
                "light_vgg19",
                Status::Fail,
                Some((0.5, 0.25)),
                "test_data_set_0: output `prob_1` differs",
                52_049,
            ),
            row("Odd | Net", "light_odd", Status::Unsupported, None, "unsupported operators: Foo", 120),
        ]);
        assert!(text.starts_with("## Real models (onnx light model zoo)\n\n"), "{text}");
        let table: Vec<&str> = text.lines().filter(|l| l.starts_with("| ")).skip(1).collect();
        assert_eq!(
            table,
            [
                "| AlexNet | light_bvlc_alexnet | pass | 0 | 2.50e-6 | 3.1 s |  |",
                "| VGG-19 | light_vgg19 | fail | 5.00e-1 | 2.50e-1 | 52.0 s | test_data_set_0: output `prob_1` differs |",
                "| Odd \\| Net | light_odd | unsupported |  |  | 0.1 s | unsupported operators: Foo |",
            ]
        );
    }

    #[test]
    fn a_case_without_a_time_has_an_empty_time_cell() {
        let outcome = Outcome::new("light_x", Status::Crash, None, "the process died");
        let text = section(&[Row { subject: "X".into(), outcome }]);
        assert!(text.contains("| X | light_x | crash |  |  |  | the process died |"), "{text}");
    }
}
