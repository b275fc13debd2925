//! Errors in a `.relax` file are reported as `file:line:column` with the line
//! and a caret under the offending text, and nothing is written.

use relax_build::{BuildEnv, Model};

const BAD: &str = "mod m {
    fn f(x: Tensor<[n, 64], f32>, w: Tensor<[32, 10], f32>) -> Tensor<[n, 10], f32> {
        let y = matmul(x, w);
        y
    }
}
";

#[test]
fn relax_file_errors_name_file_line_and_column() {
    let dir = std::env::temp_dir().join(format!("relax-build-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.relax");
    std::fs::write(&file, BAD).unwrap();
    let model = Model::from_file(&file);
    let env = BuildEnv { target: "x86_64-unknown-linux-gnu".into(), features: vec![], out_dir: dir.join("out") };
    let err = model.compile(&env).unwrap_err().render(model.source());
    let expected_place = format!("{}:3:17: error: matmul: cannot multiply [n, 64] by [32, 10]", file.display());
    assert!(err.starts_with(&expected_place), "{err}");
    assert!(err.contains("          let y = matmul(x, w);\n                  ^^^^^^^^^^^^"), "{err}");
    assert!(!dir.join("out").exists(), "nothing is written on error");
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let model = Model::from_file("/nonexistent/model.relax");
    let err = model.load().unwrap_err().to_string();
    assert!(err.contains("cannot read /nonexistent/model.relax"), "{err}");
}
