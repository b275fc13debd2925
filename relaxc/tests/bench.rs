//! `relaxc bench`: it checks a case's outputs before timing (and refuses wrong
//! ones), and prints the human and the machine-readable line. Timings are
//! never asserted on: only that the fields are there and consistent.

mod common;

use common::onnx_case::*;
use common::*;
use std::path::Path;

fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// The `key=value` fields of the last line.
fn fields(stdout: &str) -> Vec<(String, String)> {
    let last = stdout.lines().last().unwrap_or_default();
    last.split_whitespace().filter_map(|f| f.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn bench_checks_the_outputs_then_prints_the_machine_line() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path().join("add_case");
    write_case(&case, &add_model("sum", false), &[add_data(0.0)]);
    let output = relaxc(["bench", &arg(&case), "--iterations", "7", "--warmup", "2"]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let out = stdout(&output);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], "outputs match the case (max abs error 0, max rel error 0)");
    assert!(lines[1].starts_with("add_case: median "), "{out}");
    assert!(lines[1].ends_with(" over 7 calls (relax-rs native, 1 thread)"), "{out}");
    let fields = fields(&out);
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["median_us", "min_us", "max_us", "mean_us", "iterations", "warmup"]);
    let value = |k: &str| fields.iter().find(|(key, _)| key == k).unwrap().1.parse::<f64>().unwrap();
    assert_eq!((value("iterations"), value("warmup")), (7.0, 2.0));
    assert!(value("min_us") <= value("median_us") && value("median_us") <= value("max_us"), "{out}");
}

#[test]
fn bench_refuses_to_time_wrong_outputs() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &add_model("sum", false), &[add_data(0.5)]);
    let output = relaxc(["bench", &arg(dir.path()), "--iterations", "3"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(!stdout(&output).contains("median_us="), "{}", stdout(&output));
    let message = stderr(&output);
    assert!(message.contains("not benchmarking: the outputs are wrong"), "{message}");
    assert!(message.contains("output `sum`: 1 of 6 values outside"), "{message}");
}

#[test]
fn bench_times_a_model_file_with_npy_inputs_without_checking() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    write_npy_f32(&x, &[2, 64], &pixels(2 * 64));
    let output = relaxc(["bench", &arg(&digits()), "--input", &format!("x={}", x.display()), "--iterations", "3"]);
    assert!(output.status.success(), "{}{}", stdout(&output), stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("outputs not checked: no expected outputs"), "{out}");
    assert!(fields(&out).contains(&("iterations".to_string(), "3".to_string())), "{out}");
}

#[test]
fn bench_rejects_zero_iterations() {
    let dir = tempfile::tempdir().unwrap();
    write_case(dir.path(), &add_model("sum", false), &[add_data(0.0)]);
    let output = relaxc(["bench", &arg(dir.path()), "--iterations", "0"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("--iterations must be at least 1"), "{}", stderr(&output));
}
