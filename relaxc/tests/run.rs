//! `relaxc run`: native results agree with the reference interpreter, and
//! every mistake a user can make gets a one-paragraph message naming the file.

mod common;

use common::*;
use relax_compiler::interp::entry::run_entry;
use relax_compiler::NDArray;
use std::path::Path;

#[test]
fn run_writes_each_output_and_agrees_with_the_interpreter() {
    let dir = tempfile::tempdir().unwrap();
    let x = pixels(3 * 64);
    let input = dir.path().join("x.npy");
    write_npy_f32(&input, &[3, 64], &x);
    let out_dir = dir.path().join("out");
    let output = relaxc([
        "run".as_ref(),
        digits().as_os_str(),
        "--input".as_ref(),
        format!("x={}", input.display()).as_ref(),
        "--output-dir".as_ref(),
        out_dir.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), format!("{}: f32 [3, 10]\n", out_dir.join("y.npy").display()));

    let (shape, got) = read_npy_f32(&out_dir.join("y.npy"));
    assert_eq!(shape, [3, 10]);
    let module = relax_build::Model::from_file(digits()).compile_module().unwrap();
    let expected = run_entry(&module, "forward", &[NDArray::from_f32(&[3, 64], x)]).unwrap();
    for (i, (g, e)) in got.iter().zip(expected[0].as_f32().unwrap()).enumerate() {
        assert!((g - e).abs() <= 1e-5, "element {i}: native {g}, interpreter {e}");
    }
}

#[test]
fn separate_weights_give_the_same_outputs_as_embedded_ones() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("x.npy");
    write_npy_f32(&input, &[5, 64], &pixels(5 * 64));
    let run = |out: &str, extra: &[&str]| {
        let out_dir = dir.path().join(out);
        let mut args = vec![
            "run".to_string(),
            path_str(&digits()),
            "--input".into(),
            format!("x={}", input.display()),
            "-o".into(),
            path_str(&out_dir),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let output = relaxc(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        std::fs::read(out_dir.join("y.npy")).unwrap()
    };
    let embedded = run("embedded", &[]);
    assert_eq!(run("separate", &["--separate-weights"]), embedded, "bit-identical outputs");
}

/// Runs digits with an input file `x.npy` of `x_shape` and `inputs` (with
/// `{x}` standing for that file); returns the error message.
fn run_error(inputs: &[&str], x_shape: &[u64]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.npy");
    write_npy_f32(&x, x_shape, &pixels(x_shape.iter().product::<u64>() as usize));
    let out = dir.path().join("out");
    let mut args = vec!["run".to_string(), path_str(&digits()), "-o".into(), path_str(&out)];
    for input in inputs {
        args.extend(["--input".to_string(), input.replace("{x}", &path_str(&x))]);
    }
    let message = failure_message(&relaxc(&args));
    assert!(!out.exists(), "nothing is written on error");
    message
}

fn path_str(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn a_wrong_shape_names_the_parameter_both_shapes_and_the_file() {
    let err = run_error(&["x={x}"], &[3, 63]);
    let expected = "digits.relax: digits::forward: parameter `x` expects shape [n, 64], got [3, 63]: \
                    axis 1 is 63, expected 64 (with n = 3 from `x` axis 0) (given x = ";
    assert!(err.starts_with("error: ") && err.contains(expected) && err.trim_end().ends_with("x.npy)"), "{err}");
}

#[test]
fn a_dim_above_its_bound_names_the_input_dim_value_and_bound() {
    let dir = tempfile::tempdir().unwrap();
    let run = |rows: u64, extra: &[&str]| {
        let x = dir.path().join(format!("x{rows}.npy"));
        write_npy_f32(&x, &[rows, 64], &pixels(rows as usize * 64));
        let out = dir.path().join(format!("out{rows}"));
        let mut args = vec!["run".to_string(), path_str(&digits()), "--dim-max".into(), "n=4".into()];
        args.extend(["-o".to_string(), path_str(&out), "--input".into(), format!("x={}", x.display())]);
        args.extend(extra.iter().map(|a| a.to_string()));
        relaxc(&args)
    };
    let err = failure_message(&run(5, &[]));
    let expected =
        "digits.relax: digits::forward: dim `n` of parameter `x` (axis 0) is 5, above its bound 4 (`n` <= 4)";
    assert!(err.contains(expected), "{err}");
    // Within the bound the model runs (and separate weights combine with it).
    let output = run(4, &["--separate-weights"]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn a_missing_input_says_how_to_pass_it() {
    let err = run_error(&[], &[1, 64]);
    assert!(
        err.ends_with("digits.relax: `forward` needs input `x` (f32 [n, 64]); pass it with --input x=FILE.npy\n"),
        "{err}"
    );
}

#[test]
fn an_unknown_or_repeated_input_is_refused() {
    let err = run_error(&["x={x}", "z={x}"], &[1, 64]);
    assert!(err.ends_with("digits.relax: `forward` has no input `z`; its inputs are `x` (f32 [n, 64])\n"), "{err}");
    let err = run_error(&["x={x}", "x={x}"], &[1, 64]);
    assert_eq!(err, "error: --input x is given more than once\n");
}

#[test]
fn an_unknown_function_lists_the_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let output = relaxc(["run", &path_str(&digits()), "--function", "backward", "-o", &path_str(dir.path())]);
    let err = failure_message(&output);
    assert!(err.ends_with("digits.relax: model `digits` has no function `backward`; it has `forward`\n"), "{err}");
}

#[test]
fn missing_and_unknown_files_are_named() {
    let err = failure_message(&relaxc(["run", "/nonexistent/model.relax", "-o", "/tmp/unused"]));
    assert_eq!(err, "error: cannot read /nonexistent/model.relax: No such file or directory (os error 2)\n");
    let digits = path_str(&digits());
    let err = failure_message(&relaxc(["run", &digits, "--input", "x=/nonexistent/x.npy", "-o", "/tmp/unused"]));
    assert_eq!(err, "error: cannot read /nonexistent/x.npy: No such file or directory (os error 2)\n");
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.txt");
    std::fs::write(&model, "").unwrap();
    let err = failure_message(&relaxc(["run", &path_str(&model), "-o", "/tmp/unused"]));
    assert_eq!(
        err,
        format!("error: {}: unknown model format: relaxc reads `.onnx` and `.relax` files\n", model.display())
    );
}

#[test]
fn a_compile_error_points_at_the_source_line() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("bad.relax");
    let text =
        "mod m {\n    fn f(x: Tensor<[n, 64], f32>, w: Tensor<[32, 10], f32>) -> Tensor<[n, 10], f32> {\n        \
                let y = matmul(x, w);\n        y\n    }\n}\n";
    std::fs::write(&model, text).unwrap();
    let err = failure_message(&relaxc(["run", &path_str(&model), "-o", "/tmp/unused"]));
    let expected = format!("{}:3:17: error: matmul: cannot multiply [n, 64] by [32, 10]", model.display());
    assert!(err.starts_with(&expected), "{err}");
}

/// Native code reads a shape the caller passes as data (`values [..]`):
/// the same archive reshapes to whatever shape each run gives, and a shape
/// that does not fit is a message naming the check, not a wrong read.
#[test]
fn run_reshapes_to_a_shape_passed_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("reshape.relax");
    std::fs::write(
        &model,
        r#"mod reshape {
    #[dims(rows = max(a, 0), cols = max(b, 0))]
    fn forward(x: Tensor<[n], f32>, shape: Tensor<[2], i64> values [a, b]) -> Tensor<[rows, cols], f32> {
        dataflow {
            let c = match_cast(x, Tensor<[rows * cols], f32>);
            let y = reshape(c + 1.0, shape = [rows, cols]);
            output y;
        }
        y
    }
}"#,
    )
    .unwrap();
    let x = dir.path().join("x.npy");
    write_npy_f32(&x, &[12], &pixels(12));
    let run = |shape: [i64; 2]| {
        let s = dir.path().join("shape.npy");
        write_npy_i64(&s, &[2], &shape);
        let out = dir.path().join(format!("out{}x{}", shape[0], shape[1]));
        let output = relaxc([
            "run".to_string(),
            path_str(&model),
            "-o".into(),
            path_str(&out),
            "--input".into(),
            format!("x={}", path_str(&x)),
            "--input".into(),
            format!("shape={}", path_str(&s)),
        ]);
        (output, out)
    };
    for shape in [[3, 4], [6, 2], [1, 12]] {
        let (output, out) = run(shape);
        assert!(output.status.success(), "{}", stderr(&output));
        let (got_shape, got) = read_npy_f32(&out.join("y.npy"));
        assert_eq!(got_shape, [shape[0] as u64, shape[1] as u64]);
        let want: Vec<f32> = pixels(12).iter().map(|v| v + 1.0).collect();
        assert_eq!(got, want);
    }
    let (output, _) = run([5, 2]);
    let message = failure_message(&output);
    assert!(message.contains("match_cast of `c`") && message.contains("which these inputs violate"), "{message}");
}
