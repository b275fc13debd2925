//! `relaxc dump` shows the module after every pass (or one), and `relaxc
//! compile` writes exactly the archive, the Rust wrapper and the C header.

mod common;

use common::*;
use relax_compiler::pipeline::PASSES;

#[test]
fn dump_prints_the_parsed_module_and_one_module_per_pass() {
    let output = relaxc([std::ffi::OsStr::new("dump"), digits().as_os_str()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let titles: Vec<&str> = text.lines().filter(|l| l.starts_with("// =====")).collect();
    assert_eq!(titles.len(), PASSES.len() + 1, "{titles:?}");
    assert_eq!(titles[0], "// ===== as parsed, before any pass =====");
    assert_eq!(titles[4], "// ===== after pass 4/8: legalize =====");
    let legalized = text.split(titles[4]).nth(1).unwrap().split("// =====").next().unwrap();
    assert!(legalized.contains("call_tir(matmul,") && legalized.contains("prim fn matmul("), "{legalized}");
    assert!(text.contains("const w1: Tensor<[64, 32], f32>; // 2048 values not shown"), "large constants are elided");
}

#[test]
fn dump_after_a_pass_prints_every_run_of_it() {
    let output = relaxc([std::ffi::OsStr::new("dump"), digits().as_os_str(), "--after".as_ref(), "dead_code".as_ref()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let titles: Vec<String> = stdout(&output).lines().filter(|l| l.starts_with("// =====")).map(String::from).collect();
    assert_eq!(titles, ["// ===== after pass 3/8: dead_code =====", "// ===== after pass 6/8: dead_code ====="]);
}

#[test]
fn dump_refuses_an_unknown_pass() {
    let err = failure_message(&relaxc([
        std::ffi::OsStr::new("dump"),
        digits().as_os_str(),
        "--after".as_ref(),
        "fusion".as_ref(),
    ]));
    assert!(
        err.starts_with("error: there is no pass `fusion`; the stages are parsed, normalize, fold_constants, "),
        "{err}"
    );
}

#[test]
fn compile_writes_the_archive_wrapper_and_header_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let output = relaxc([
        std::ffi::OsStr::new("compile"),
        digits().as_os_str(),
        "--target".as_ref(),
        "aarch64-unknown-linux-gnu".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut files: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files[0] == "digits.h" && files[1] == "digits.rs", "{files:?}");
    assert!(files[2].starts_with("librelax_digits_") && files[2].ends_with(".a"), "{files:?}");
    let printed: Vec<String> = stdout(&output).lines().map(String::from).collect();
    assert_eq!(printed.len(), 3);
    let archive = std::fs::read(out.join(&files[2])).unwrap();
    assert!(archive.starts_with(b"!<arch>\n"), "a static archive");
    let wrapper = std::fs::read_to_string(out.join("digits.rs")).unwrap();
    assert!(wrapper.contains("compiled ahead of time by relax-rs for `aarch64-unknown-linux-gnu`"), "{wrapper}");
}

#[test]
fn compile_refuses_an_unknown_target_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let err = failure_message(&relaxc([
        std::ffi::OsStr::new("compile"),
        digits().as_os_str(),
        "--target".as_ref(),
        "riscv64gc-unknown-linux-gnu".as_ref(),
        "-o".as_ref(),
        dir.path().as_os_str(),
    ]));
    assert!(err.ends_with("digits.relax: error: unsupported target `riscv64gc-unknown-linux-gnu`: relax-rs generates code for x86_64-*, aarch64-* and wasm32-* triples\n"), "{err}");
}

#[test]
fn compile_with_separate_weights_also_writes_the_weights_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let model = digits();
    let output = relaxc([
        std::ffi::OsStr::new("compile"),
        model.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--separate-weights".as_ref(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: Vec<String> = stdout(&output).lines().map(String::from).collect();
    assert_eq!(printed.len(), 4, "{printed:?}");
    assert!(printed[3].ends_with(".safetensors"), "{printed:?}");
    let weights = relax_compiler::frontend::weights::load_safetensors(std::path::Path::new(&printed[3])).unwrap();
    let names: Vec<&str> = weights.keys().map(String::as_str).collect();
    assert_eq!(names, ["b1", "b2", "w1", "w2"]);
    let header = std::fs::read_to_string(out.join("digits.h")).unwrap();
    assert!(header.contains("_CONSTANT_COUNT 4"), "{header}");
}
