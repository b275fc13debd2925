//! `--check` on the real models (the "Real models" section of the report).
//!
//! A real model is all-or-nothing, so the baseline is per model: one that
//! passes in the committed report must pass in this run, and no model may
//! crash. A model the committed report lacks sets no bar yet.

use std::collections::BTreeMap;

use super::table_rows;

/// The section's heading, as `relaxc conformance --models` writes it.
const HEADING: &str = "## Real models";

/// A model's row: `| model | case | result | ... |`.
#[derive(Clone, Debug, PartialEq)]
struct Model {
    name: String,
    result: String,
}

/// Prints how many real models pass and returns the regressions.
pub fn check(committed: &str, now: &str) -> Vec<String> {
    let (before, after) = (by_case(committed), by_case(now));
    if before.is_empty() && after.is_empty() {
        return Vec::new();
    }
    let passing = |m: &BTreeMap<String, Model>| m.values().filter(|m| m.result == "pass").count();
    println!(
        "conformance check: {} of {} real models pass (the committed report: {} of {})",
        passing(&after),
        after.len(),
        passing(&before),
        before.len()
    );
    regressions(&before, &after)
}

fn regressions(before: &BTreeMap<String, Model>, after: &BTreeMap<String, Model>) -> Vec<String> {
    let mut problems = Vec::new();
    for (case, was) in before.iter().filter(|(_, m)| m.result == "pass") {
        let now = after.get(case).map_or("not run", |m| m.result.as_str());
        if now != "pass" {
            problems.push(format!("{} ({case}): {now}, the committed report says pass", was.name));
        }
    }
    for (case, now) in after.iter().filter(|(_, m)| m.result == "crash") {
        problems.push(format!("{} ({case}): crashes", now.name));
    }
    problems
}

/// Case name -> model, from the section's table.
fn by_case(report: &str) -> BTreeMap<String, Model> {
    table_rows(report, HEADING)
        .into_iter()
        .filter(|cells| matches!(cells.get(2), Some(&("pass" | "fail" | "unsupported" | "crash"))))
        .map(|cells| (cells[1].to_string(), Model { name: cells[0].to_string(), result: cells[2].to_string() }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "# ONNX conformance\n\n## By operator\n\n\
        | Abs | 1 | 1 | 0 | 0 | 0 |  |\n\n\
        ## Real models (onnx light model zoo)\n\nThe real architectures...\n\n\
        | model | case | result | max abs error | max rel error | compile + run | reason |\n\
        |---|---|---|---:|---:|---:|---|\n\
        | AlexNet | light_bvlc_alexnet | pass | 0 | 0 | 28.3 s |  |\n\
        | VGG-19 | light_vgg19 | fail | 1.00e-1 | 1.00e-1 | 52.0 s | test_data_set_0: output `prob_1` differs |\n";

    fn model(name: &str, result: &str) -> Model {
        Model { name: name.into(), result: result.into() }
    }

    #[test]
    fn reads_the_real_models_table_only() {
        let models = by_case(REPORT);
        assert_eq!(models.len(), 2);
        assert_eq!(models["light_bvlc_alexnet"], model("AlexNet", "pass"));
        assert_eq!(models["light_vgg19"], model("VGG-19", "fail"));
        assert!(by_case("## By operator\n\n| Abs | 1 | 1 | 0 | 0 | 0 |  |\n").is_empty());
    }

    #[test]
    fn a_passing_model_that_stops_passing_or_any_crash_is_a_regression() {
        let before = by_case(REPORT);
        assert!(regressions(&before, &before).is_empty());
        let worse = by_case(&REPORT.replace("| light_bvlc_alexnet | pass |", "| light_bvlc_alexnet | fail |"));
        assert_eq!(
            regressions(&before, &worse),
            ["AlexNet (light_bvlc_alexnet): fail, the committed report says pass"]
        );
        let crash = by_case(&REPORT.replace("| light_vgg19 | fail |", "| light_vgg19 | crash |"));
        assert_eq!(regressions(&before, &crash), ["VGG-19 (light_vgg19): crashes"]);
        let gone = by_case(&REPORT.replace("| AlexNet | light_bvlc_alexnet | pass | 0 | 0 | 28.3 s |  |\n", ""));
        assert_eq!(
            regressions(&before, &gone),
            ["AlexNet (light_bvlc_alexnet): not run, the committed report says pass"]
        );
    }

    #[test]
    fn more_passing_models_or_no_committed_section_are_fine() {
        let before = by_case(REPORT);
        let better = by_case(&REPORT.replace("| light_vgg19 | fail |", "| light_vgg19 | pass |"));
        assert!(regressions(&before, &better).is_empty());
        assert!(regressions(&BTreeMap::new(), &before).is_empty(), "the committed report had no models yet");
        assert!(check("## By operator\n", "## By operator\n").is_empty());
    }
}
