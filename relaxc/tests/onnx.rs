//! ONNX models through `relaxc`: `test` on backend-test case directories,
//! `run` on a `.onnx` file with `.npy` inputs, and the conformance runner on a
//! small tree of cases.

mod common;

use common::onnx_case::*;
use common::*;
use relax_compiler::NDArray;
use relax_rt::DType;
use std::path::Path;

fn arg(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn test_prints_one_line_per_data_set_and_succeeds_when_all_match() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &add_model("sum", false), &[add_data(0.0), add_data(0.0)]);
    let output = relaxc(["test", &arg(dir.path())]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert_eq!(
        stdout(&output),
        "test_data_set_0: ok        max abs error 0, max rel error 0\n\
         test_data_set_1: ok        max abs error 0, max rel error 0\n\
         2 of 2 data sets match (rtol 1e-3, atol 1e-7)\n"
    );
}

#[test]
fn test_fails_on_a_mismatch_and_shows_the_first_bad_value() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &add_model("sum", false), &[add_data(0.0), add_data(0.5)]);
    let output = relaxc(["test", &arg(dir.path())]);
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<String> = stdout(&output).lines().map(String::from).collect();
    assert_eq!(lines[0], "test_data_set_0: ok        max abs error 0, max rel error 0");
    assert_eq!(
        lines[1],
        "test_data_set_1: MISMATCH  max abs error 5.00e-1, max rel error 7.69e-2; \
         output `sum`: 1 of 6 values differ, the first at index 4: got 6, expected 6.5"
    );
    assert_eq!(lines[2], "1 of 2 data sets match (rtol 1e-3, atol 1e-7)");
}

/// A run-time `If` runs natively: both branches are compiled and the one the
/// data selects runs (expected values computed by hand: exp(x) * x, and -x).
#[test]
fn test_runs_an_if_on_a_run_time_condition_natively() {
    let dir = tempfile::tempdir().unwrap();
    let pos = [0.5f32, -0.25, 1.0, 0.0, 0.75, -1.0];
    let neg = [-0.5f32, -0.25, 0.5];
    let sets = [
        (vec![f32s(&[2, 3], &pos)], vec![f32s(&[2, 3], &pos.map(|v| v.exp() * v))]),
        (vec![f32s(&[1, 3], &neg)], vec![f32s(&[1, 3], &neg.map(|v| -v))]),
    ];
    write_case(dir.path(), &if_model(), &sets);
    let output = relaxc(["test", &arg(dir.path())]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("2 of 2 data sets match"), "{}", stdout(&output));
}

/// A `Loop` runs natively; its scan output's length, `cond ? m : 0`, is read
/// from the trip count and the bool condition the caller passes (expected
/// values by hand: y after iteration i is 0.5 + 0 + 1 + .. + i).
#[test]
fn test_runs_a_loop_sized_by_its_inputs_natively() {
    let dir = tempfile::tempdir().unwrap();
    let scalar = |dtype: DType, v: f64| NDArray::from_f64_values(dtype, &[], &[v]);
    let set = |m: i64, cond: bool, ys: &[f32]| {
        let last = ys.last().copied().unwrap_or(0.5);
        let inputs = vec![scalar(DType::I64, m as f64), scalar(DType::Bool, cond as u8 as f64), f32s(&[1], &[0.5])];
        (inputs, vec![f32s(&[1], &[last]), f32s(&[ys.len(), 1], ys)])
    };
    write_case(
        dir.path(),
        &loop_model(),
        &[set(4, true, &[0.5, 1.5, 3.5, 6.5]), set(3, false, &[]), set(-2, true, &[])],
    );
    let output = relaxc(["test", &arg(dir.path())]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    assert!(stdout(&output).contains("3 of 3 data sets match"), "{}", stdout(&output));
}

#[test]
fn test_tolerances_are_options() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &add_model("sum", false), &[add_data(0.01)]);
    assert_eq!(relaxc(["test", &arg(dir.path())]).status.code(), Some(1));
    assert!(relaxc(["test", &arg(dir.path()), "--atol", "0.02"]).status.success());
}

#[test]
fn test_names_the_node_that_does_not_compile() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &unknown_op_model(), &[(vec![f32s(&[2], &[1.0, 2.0])], vec![f32s(&[2], &[1.0, 2.0])])]);
    let err = failure_message(&relaxc(["test", &arg(dir.path())]));
    assert!(err.starts_with(&format!("{}: error: ", dir.path().join("model.onnx").display())), "{err}");
    assert!(err.contains("NoSuchOp") && err.contains("`y`"), "{err}");
}

#[test]
fn test_refuses_a_directory_that_is_not_a_case() {
    let dir = tempfile::tempdir().unwrap();
    let err = failure_message(&relaxc(["test", &arg(dir.path())]));
    assert_eq!(
        err,
        format!("error: {}: not an ONNX backend-test case: there is no model.onnx\n", dir.path().display())
    );
}

#[test]
fn run_an_onnx_model_writes_outputs_under_safe_names() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("add.onnx");
    write_model(&model, &add_model("sum:0", true));
    let (a, b) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    write_npy_f32(&a, &[1, 3], &[1.0, 2.0, 3.0]);
    write_npy_f32(&b, &[1, 3], &[10.0, 20.0, 30.0]);
    let out = dir.path().join("out");
    let output = relaxc([
        "run",
        &arg(&model),
        "-i",
        &format!("a={}", arg(&a)),
        "-i",
        &format!("b={}", arg(&b)),
        "-o",
        &arg(&out),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let written: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert_eq!(written, ["sum_0.npy"], "named after the graph output `sum:0`");
    assert_eq!(read_npy_f32(&out.join("sum_0.npy")), (vec![1, 3], vec![11.0, 22.0, 33.0]));
}

#[test]
fn run_applies_dim_values_to_onnx_models() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("add.onnx");
    write_model(&model, &add_model("sum", true));
    let x = dir.path().join("x.npy");
    write_npy_f32(&x, &[1, 3], &[1.0, 2.0, 3.0]);
    let x_arg = format!("a={}", arg(&x));
    let y_arg = format!("b={}", arg(&x));
    let err = failure_message(&relaxc([
        "run",
        &arg(&model),
        "-i",
        &x_arg,
        "-i",
        &y_arg,
        "-o",
        &arg(dir.path()),
        "--dim",
        "n=2",
    ]));
    assert!(err.contains("parameter `a` expects shape [2, 3], got [1, 3]"), "{err}");
    let err = failure_message(&relaxc(["run", &arg(&model), "-o", &arg(dir.path()), "--dim", "batch=2"]));
    assert!(err.contains("batch"), "an unknown dim is named: {err}");
}

#[test]
fn conformance_reports_every_case_and_resumes_without_rerunning() {
    let dir = tempfile::tempdir().unwrap();
    let node = dir.path().join("node");
    write_case(&node.join("test_add"), &add_model("sum", false), &[add_data(0.0)]);
    write_case(&node.join("test_add_wrong"), &add_model("sum", false), &[add_data(1.0)]);
    write_case(
        &node.join("test_odd"),
        &unknown_op_model(),
        &[(vec![f32s(&[2], &[1.0, 2.0])], vec![f32s(&[2], &[1.0, 2.0])])],
    );
    std::fs::write(
        dir.path().join("index.tsv"),
        "# onnx 1.23.2 node tests\ntest_add\tAdd\ntest_add_wrong\tAdd\ntest_odd\tNoSuchOp\n",
    )
    .unwrap();
    let report = dir.path().join("report.md");
    let journal = dir.path().join("journal");
    let args = ["conformance", &arg(dir.path()), "--report", &arg(&report), "--journal", &arg(&journal)];

    let output = relaxc(args);
    assert!(output.status.success(), "{}", stderr(&output));
    let progress = stdout(&output);
    assert!(progress.contains("[1/3] pass         test_add ("), "{progress}");
    assert!(progress.contains("[2/3] fail         test_add_wrong ("), "{progress}");
    assert!(progress.contains("[3/3] unsupported  test_odd ("), "{progress}");
    assert!(progress.ends_with(&format!(
        "conformance: 1 pass, 1 fail, 1 unsupported, 0 crash, of 3 node cases; report written to {}\n",
        report.display()
    )));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("| Add | 2 | 1 | 1 | 0 | 0 | fail: test_data_set_0: output `sum`: 1 of 6 values differ"),
        "{text}"
    );
    assert!(text.contains("| NoSuchOp | 1 | 0 | 0 | 1 | 0 | unsupported: "), "{text}");
    assert!(!text.contains(&arg(dir.path())), "the report does not depend on where the cases are: {text}");

    let resumed = relaxc(args.iter().copied().chain(["--resume"]));
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(!stdout(&resumed).contains("[1/3]"), "finished cases are not run again: {}", stdout(&resumed));
    assert_eq!(std::fs::read_to_string(&report).unwrap(), text, "the same results give the same report");
}

#[test]
fn conformance_runs_real_models_after_the_node_cases_and_reports_them_apart() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes");
    write_case(&nodes.join("node/test_add"), &add_model("sum", false), &[add_data(0.0)]);
    let models = dir.path().join("models");
    write_case(&models.join("light_add"), &add_model("sum", false), &[add_data(0.0)]);
    std::fs::write(models.join("index.tsv"), "# onnx 1.23.2 light models\nlight_add\tAdd-Net\n").unwrap();
    let report = dir.path().join("report.md");
    let journal = dir.path().join("journal");
    let args = [
        "conformance",
        &arg(&nodes),
        "--models",
        &arg(&models),
        "--report",
        &arg(&report),
        "--journal",
        &arg(&journal),
    ];
    let run = |extra: &[&str]| relaxc(args.iter().chain(extra).copied());

    let output = run(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let progress = stdout(&output);
    assert!(progress.contains("[1/2] pass         test_add ("), "{progress}");
    assert!(progress.contains("[2/2] pass         light_add ("), "{progress}");
    assert!(progress.contains("of 1 node cases; 1 of 1 real models pass; report written to"), "{progress}");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("| **total** | **1** |"), "the totals count node cases only: {text}");
    let (_, section) = text.split_once("## Real models (onnx light model zoo)").unwrap();
    assert!(section.contains("| Add-Net | light_add | pass | 0 | 0 | "), "{section}");

    let filtered = run(&["--filter", "light"]);
    assert!(filtered.status.success(), "{}", stderr(&filtered));
    assert!(stdout(&filtered).contains("[1/1] pass         light_add ("), "{}", stdout(&filtered));
}

#[test]
fn compile_gives_different_archives_for_different_onnx_options() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("add.onnx");
    write_model(&model, &add_model("sum", true));
    let archive_for = |dims: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let mut args = vec!["compile".to_string(), arg(&model), "-o".into(), arg(out.path())];
        args.extend(dims.iter().flat_map(|d| ["--dim".to_string(), d.to_string()]));
        let output = relaxc(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        let archive = stdout(&output).lines().next().unwrap().to_string();
        Path::new(&archive).file_name().unwrap().to_string_lossy().into_owned()
    };
    let symbolic = archive_for(&[]);
    assert!(symbolic.starts_with("librelax_add_"), "{symbolic}");
    assert_eq!(archive_for(&[]), symbolic, "the same model and options hash the same");
    assert_ne!(archive_for(&["n=2"]), symbolic, "the options are part of the hash");
    assert_ne!(archive_for(&["n=2"]), archive_for(&["n=3"]));
}
