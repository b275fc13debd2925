//! Compiles two ONNX models to native code for the crate's target, each under
//! its own module name (both files are `model.onnx`), and embeds their test
//! inputs so the same binary runs natively, under qemu-aarch64 and under
//! wasmtime, where there is no file system to read them from.

use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Module name, then the backend-test case directory holding `model.onnx`.
const MODELS: [(&str, &str); 2] =
    [("loop_decoder", "../../models/architectures/loop_decoder"), ("if_model", "../../models/architectures/if_model")];
/// Both data sets: they differ in batch and sequence sizes, so the symbolic
/// dims (and the number of loop iterations) differ between calls.
const DATA_SETS: usize = 2;

fn main() {
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut inputs = String::new();
    for (name, dir) in MODELS {
        let dir = Path::new(dir);
        if let Err(e) = relax_build::Model::onnx(dir.join("model.onnx")).module_name(name).build() {
            eprintln!("{e}");
            std::process::exit(1);
        }
        writeln!(inputs, "const {}: [&[Input]; {DATA_SETS}] = [", name.to_uppercase()).unwrap();
        for set in 0..DATA_SETS {
            inputs += "    &[\n";
            for (shape, file) in embed_inputs(dir, set, name, &out_dir) {
                writeln!(inputs, "        Input {{ shape: &{shape:?}, bytes: include_bytes!({file:?}) }},").unwrap();
            }
            inputs += "    ],\n";
        }
        inputs += "];\n";
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    std::fs::write(out_dir.join("inputs.rs"), inputs).expect("write inputs.rs");
}

/// Writes the inputs of data set `set` as little-endian bytes to `out_dir`;
/// gives each one's shape and file.
fn embed_inputs(dir: &Path, set: usize, name: &str, out_dir: &Path) -> Vec<(Vec<usize>, PathBuf)> {
    let mut found = Vec::new();
    for k in 0.. {
        let path = dir.join(format!("test_data_set_{set}/input_{k}.pb"));
        let Ok(bytes) = std::fs::read(&path) else { break };
        let tensor =
            relax_compiler::frontend::onnx::read_tensor(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let file = out_dir.join(format!("{name}_{set}_input_{k}.bin"));
        std::fs::write(&file, tensor.to_bytes()).expect("write an input");
        found.push((tensor.shape().to_vec(), file));
    }
    found
}
