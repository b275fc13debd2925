//! The artifacts a build produces: the archive is reused when nothing changed,
//! and the C header plus archive link into a C program that runs the model.

use relax_build::{BuildEnv, Model};
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn host_env(out_dir: PathBuf) -> BuildEnv {
    BuildEnv { target: format!("{}-unknown-linux-gnu", std::env::consts::ARCH), features: vec![], out_dir }
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relax-build-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn unchanged_models_are_not_recompiled() {
    let env = host_env(fresh_dir("cache"));
    let model = Model::from_file(repo().join("models/digits/digits.relax"));
    let first = model.compile(&env).unwrap();
    let stamp = std::fs::metadata(&first.archive).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let second = model.compile(&env).unwrap();
    assert_eq!(first.archive, second.archive);
    assert_eq!(stamp, std::fs::metadata(&second.archive).unwrap().modified().unwrap(), "archive was rewritten");
    // A different source is a different archive.
    let text = std::fs::read_to_string(repo().join("models/digits/digits.relax")).unwrap();
    let changed =
        Model::from_source("changed.relax", &text.replace("axis = -1", "axis = 1"), repo().join("models/digits"));
    assert_ne!(changed.compile(&env).unwrap().archive, first.archive);
}

const C_MAIN: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include "digits.h"

int main(void) {
    float x[2 * 64];
    for (int i = 0; i < 2 * 64; i++) x[i] = (float)(i % 17) / 16.0f;
    int64_t in_shape[2] = {2, 64}, out_shape[2] = {0, 0};
    RelaxTensor in = {x, in_shape, 2, 0};
    RelaxTensor out = {NULL, out_shape, 2, 0};
    uint64_t ws_bytes = 0;
    int32_t rc = SYM_prepare(&in, &out, &ws_bytes);
    if (rc != 0) { printf("prepare failed: %s\n", SYM_checks[rc]); return 1; }
    float *y = malloc(sizeof(float) * out_shape[0] * out_shape[1]);
    void *ws = aligned_alloc(64, ws_bytes ? (ws_bytes + 63) / 64 * 64 : 64);
    out.data = y;
    rc = SYM(&in, &out, ws, ws_bytes);
    if (rc != 0) { printf("run failed: %s\n", SYM_checks[rc]); return 1; }
    for (int i = 0; i < 10; i++) printf("%.6f ", y[i]);
    printf("\n");
    in_shape[1] = 63;
    rc = SYM_prepare(&in, &out, &ws_bytes);
    printf("bad shape: %s\n", SYM_checks[rc]);
    return 0;
}
"#;

#[test]
fn c_programs_link_the_archive_through_the_header() {
    let dir = fresh_dir("c");
    let model = Model::from_file(repo().join("models/digits/digits.relax"));
    let artifacts = model.compile(&host_env(dir.clone())).unwrap();
    let sym = format!("{}_forward", artifacts.lib_name);
    std::fs::write(dir.join("main.c"), C_MAIN.replace("SYM", &sym)).unwrap();
    let exe = dir.join("main");
    let status = Command::new("cc")
        .args(["-std=c11", "-O1", "-o"])
        .arg(&exe)
        .arg(dir.join("main.c"))
        .arg(format!("-I{}", dir.display()))
        .arg(format!("-L{}", dir.display()))
        .arg(format!("-l{}", artifacts.lib_name))
        .status()
        .expect("cc runs");
    assert!(status.success(), "the C program failed to compile or link");
    let out = Command::new(&exe).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let probs: Vec<f64> = text.lines().next().unwrap().split_whitespace().map(|v| v.parse().unwrap()).collect();
    let x: Vec<f32> = (0..2 * 64).map(|i| (i % 17) as f32 / 16.0).collect();
    let x = relax_compiler::NDArray::from_f32(&[2, 64], x);
    let reference = relax_compiler::interp::run_function(
        &model.load().unwrap(),
        "forward",
        vec![relax_compiler::interp::Value::Tensor(x)],
    )
    .unwrap();
    let reference = reference.tensor().unwrap().clone();
    let expected = relax_compiler::NDArray::from_f64_values(
        relax_rt::DType::F32,
        &[10],
        &(0..10).map(|i| reference.get(i).to_f64()).collect::<Vec<_>>(),
    );
    let got = relax_compiler::NDArray::from_f64_values(relax_rt::DType::F32, &[10], &probs);
    got.assert_close(&expected, 0.0, 2e-6).unwrap(); // printed with 6 decimals
    assert!(text.contains("bad shape: input x axis 1 must be 64"), "{text}");
}
