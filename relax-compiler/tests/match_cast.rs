//! `match_cast` states a shape equality the compiler cannot prove; the native
//! entry must check it before running any kernel.

use relax_compiler::interp::run_entry;
use relax_compiler::pipeline::{compile, Options};
use relax_compiler::text::parse_module;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::NDArray;
use relax_rt::DType;

const MODEL: &str = r#"mod m {
    fn f(x: Tensor<[n, k], f32>, w: Tensor<[j, 4], f32>) -> Tensor<[n, 4], f32> {
        let w2 = match_cast(w, Tensor<[k, 4], f32>);
        let y = matmul(x, w2);
        y
    }
}
"#;

#[test]
fn unprovable_inner_dims_are_rejected_without_match_cast() {
    let text = MODEL.replace(
        "let w2 = match_cast(w, Tensor<[k, 4], f32>);\n        let y = matmul(x, w2);",
        "let y = matmul(x, w);",
    );
    let err = compile(parse_module(&text).unwrap(), &Options::default()).unwrap_err().to_string();
    assert!(err.contains("matmul") && err.contains('k') && err.contains('j') && err.contains("match_cast"), "{err}");
}

#[test]
fn match_cast_becomes_a_run_time_check() {
    let x = NDArray::random(DType::F32, &[2, 3], 1);
    let w = NDArray::random(DType::F32, &[3, 4], 2);
    let module = check_passes(parse_module(MODEL).unwrap(), "f", &[x.clone(), w], Tolerance::default()).unwrap();
    let bad_w = NDArray::random(DType::F32, &[5, 4], 3);
    let err = run_entry(&module, "f", &[x, bad_w]).unwrap_err().to_string();
    assert!(err.contains("Equal") && err.contains("match_cast of `w2`"), "{err}");
}
