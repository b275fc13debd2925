//! Helpers for running the `relaxc` binary and making its input files.

#![allow(dead_code)]

pub mod onnx_case;

use npyz::WriterBuilder;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `models/digits/digits.relax`: forward(x: [n, 64] f32) -> probs [n, 10].
pub fn digits() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/digits/digits.relax")
}

/// Runs `relaxc` with `args`.
pub fn relaxc<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_relaxc")).args(args).output().expect("relaxc runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts failure with exit code 1 and a message without a panic or a
/// backtrace; returns the message.
pub fn failure_message(output: &Output) -> String {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(1), "stdout: {}\nstderr: {err}", stdout(output));
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
    err
}

/// Writes an f32 `.npy` file.
pub fn write_npy_f32(path: &Path, shape: &[u64], data: &[f32]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = npyz::WriteOptions::new().default_dtype().shape(shape).writer(file).begin_nd().unwrap();
    writer.extend(data.iter().copied()).unwrap();
    writer.finish().unwrap();
}

/// Writes an i64 `.npy` file.
pub fn write_npy_i64(path: &Path, shape: &[u64], data: &[i64]) {
    let file = std::fs::File::create(path).unwrap();
    let mut writer = npyz::WriteOptions::new().default_dtype().shape(shape).writer(file).begin_nd().unwrap();
    writer.extend(data.iter().copied()).unwrap();
    writer.finish().unwrap();
}

/// Reads an f32 `.npy` file: shape and values.
pub fn read_npy_f32(path: &Path) -> (Vec<u64>, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = npy.shape().to_vec();
    (shape, npy.into_vec::<f32>().unwrap())
}

/// Deterministic pixel-like values in [0, 1).
pub fn pixels(count: usize) -> Vec<f32> {
    (0..count).map(|i| ((i * 7919) % 17) as f32 / 17.0).collect()
}
