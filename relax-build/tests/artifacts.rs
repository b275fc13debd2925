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

/// The constant table of a compiled module, as the generated wrapper declares it.
fn weights_sig(module: &relax_compiler::IRModule) -> &'static relax_rt::weights::WeightsSig {
    let tensors: Vec<relax_rt::weights::WeightSig> = relax_compiler::ir::entry::constant_table(&module.entries)
        .into_iter()
        .map(|name| {
            let c = &module.constants[&name];
            let shape: &'static [usize] = Box::leak(c.shape().to_vec().into_boxed_slice());
            relax_rt::weights::WeightSig { name: Box::leak(name.into_boxed_str()), dtype: c.dtype(), shape }
        })
        .collect();
    Box::leak(Box::new(relax_rt::weights::WeightsSig {
        module: "digits",
        tensors: Box::leak(tensors.into_boxed_slice()),
    }))
}

#[test]
fn separate_weights_leave_the_constants_out_of_the_archive() {
    let dir = fresh_dir("separate");
    let embedded = Model::from_file(repo().join("models/digits/digits.relax"));
    let separate = Model::from_file(repo().join("models/digits/digits.relax")).separate_weights(true);
    let a = embedded.compile(&host_env(dir.join("a"))).unwrap();
    let b = separate.compile(&host_env(dir.join("b"))).unwrap();
    assert!(a.weights.is_none());
    let weights = b.weights.clone().expect("a weights file");
    assert_ne!(a.lib_name, b.lib_name, "the mode is part of the cache key");
    let module = separate.compile_module().unwrap();
    let constant_bytes: u64 = module.constants.values().map(|c| c.to_bytes().len() as u64).sum();
    let size = |p: &Path| std::fs::metadata(p).unwrap().len();
    assert!(constant_bytes > 8000, "digits has about 10 KB of weights");
    assert!(
        size(&a.archive) >= size(&b.archive) + constant_bytes,
        "embedded {} bytes, separate {} bytes, constants {constant_bytes} bytes",
        size(&a.archive),
        size(&b.archive)
    );
    // The file holds exactly the module's constants.
    let written = relax_compiler::frontend::weights::load_safetensors(&weights).unwrap();
    assert_eq!(written, module.constants);
    assert!(b.wrapper.contains("pub fn forward(weights: &Weights, x: &rt::Tensor<f32>)"), "{}", b.wrapper);
    assert!(b.header.contains("uint64_t workspace_bytes, const void *const *constants);"), "{}", b.header);
    // A second build reuses the archive and the weights file.
    let again = separate.compile(&host_env(dir.join("b"))).unwrap();
    assert_eq!(again.weights, b.weights);
    std::fs::remove_file(&weights).unwrap();
    let rebuilt = separate.compile(&host_env(dir.join("b"))).unwrap();
    assert!(rebuilt.weights.unwrap().exists(), "a missing weights file is written again");

    // Loading checks every tensor against what the compiled code reads.
    let sig = weights_sig(&module);
    assert!(relax_rt::Weights::load(sig, &weights).is_ok());
    let err = relax_rt::Weights::load(sig, &dir.join("missing.safetensors")).err().unwrap();
    assert!(err.message.starts_with("digits: cannot read weights file "), "{}", err.message);
    let mut wrong = module.constants.clone();
    wrong.insert("w2".into(), relax_compiler::NDArray::zeros(relax_rt::DType::F32, &[10, 32]));
    wrong.remove("b1");
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> =
        wrong.iter().map(|(n, c)| (n.clone(), c.to_bytes(), c.shape().to_vec())).collect();
    let views = bytes.iter().map(|(n, b, s)| {
        (n.as_str(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).unwrap())
    });
    let file = safetensors::serialize(views, &None).unwrap();
    let err = relax_rt::Weights::from_bytes(sig, &file).err().unwrap();
    assert_eq!(err.kind, relax_rt::ErrorKind::Weights);
    assert_eq!(err.message, "digits: weights file: tensor `b1` (f32 [32]) is missing");
    let mut bytes = bytes;
    bytes.push(("b1".into(), vec![0; 128], vec![32]));
    let views = bytes.iter().map(|(n, b, s)| {
        (n.as_str(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).unwrap())
    });
    let err = relax_rt::Weights::from_bytes(sig, &safetensors::serialize(views, &None).unwrap()).err().unwrap();
    assert_eq!(err.message, "digits: weights file: tensor `w2` has shape [10, 32], expected f32 [32, 10]");
}

#[test]
fn editing_an_onnx_models_external_data_rebuilds_it() {
    use relax_compiler::frontend::onnx::builder::{node, tensor_proto, GraphBuilder};
    use relax_compiler::frontend::onnx::proto::tensor_proto::DataLocation;
    use relax_compiler::frontend::onnx::proto::{Message, StringStringEntryProto};
    use relax_compiler::ir::Dim;
    let dir = fresh_dir("external");
    let bias = |v: f32| relax_compiler::NDArray::from_f32(&[3], vec![v, -2.0, 0.5]);
    std::fs::write(dir.join("weights.bin"), bias(1.0).to_bytes()).unwrap();
    let mut tensor = tensor_proto("bias", &bias(1.0));
    tensor.raw_data = None;
    tensor.data_location = Some(DataLocation::External as i32);
    tensor.external_data =
        vec![StringStringEntryProto { key: Some("location".into()), value: Some("weights.bin".into()) }];
    let model = GraphBuilder::new("ext")
        .input("x", relax_rt::DType::F32, &[Dim::Int(3)])
        .initializer_proto(tensor)
        .node(node("Add", &["x", "bias"], &["y"]))
        .output("y")
        .model(14);
    let path = dir.join("ext.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    let env = host_env(dir.join("out"));
    let first = Model::onnx(&path).compile(&env).unwrap();
    assert_eq!(first.inputs, [path.clone(), dir.join("weights.bin")], "build scripts rerun when either changes");
    assert_eq!(Model::onnx(&path).compile(&env).unwrap().lib_name, first.lib_name, "unchanged: same archive");
    std::fs::write(dir.join("weights.bin"), bias(4.0).to_bytes()).unwrap();
    let edited = Model::onnx(&path).compile(&env).unwrap();
    assert_ne!(edited.lib_name, first.lib_name, "new weights, new archive");
    assert_eq!(Model::onnx(&path).load().unwrap().constants["bias"], bias(4.0));
}

/// Model zoos call every file `model.onnx`: `module_name` gives each module
/// (its wrapper file and symbols) a name of its own.
#[test]
fn an_onnx_model_can_be_given_a_module_name() {
    use relax_compiler::frontend::onnx::builder::{node, GraphBuilder};
    use relax_compiler::frontend::onnx::proto::Message;
    use relax_compiler::ir::Dim;
    let dir = fresh_dir("named");
    let path = dir.join("model.onnx");
    let model = GraphBuilder::new("g")
        .input("x", relax_rt::DType::F32, &[Dim::Int(3)])
        .node(node("Relu", &["x"], &["y"]))
        .output("y")
        .model(14);
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    let env = host_env(dir.join("out"));
    let by_stem = Model::onnx(&path).compile(&env).unwrap();
    let named = Model::onnx(&path).module_name("relu_net").compile(&env).unwrap();
    assert!(by_stem.wrapper.contains("pub mod model {"), "{}", by_stem.wrapper);
    assert!(named.wrapper.contains("pub mod relu_net {"), "{}", named.wrapper);
    assert_ne!(named.lib_name, by_stem.lib_name, "two modules of one crate need two archives");
    let err = Model::from_file(repo().join("models/digits/digits.relax")).module_name("x").load().unwrap_err();
    assert!(err.to_string().contains("module_name(\"x\") applies to ONNX models"), "{err}");
}

#[test]
fn a_bounded_dim_reaches_the_wrapper_and_the_header() {
    let dir = fresh_dir("bounded");
    let model = Model::from_file(repo().join("models/digits/digits.relax")).dim_max("n", 64);
    let module = model.compile_module().unwrap();
    assert_eq!(module.functions[0].dim_max, [("n".to_string(), 64)]);
    let max = module.entries[0].max_workspace_bytes().expect("the workspace depends only on n");
    let artifacts = model.compile(&host_env(dir.clone())).unwrap();
    let sym = format!("{}_forward", artifacts.lib_name).to_uppercase();
    assert!(artifacts.wrapper.contains("pub const FORWARD_MAX_N: usize = 64;"), "{}", artifacts.wrapper);
    assert!(
        artifacts.wrapper.contains(&format!("pub const fn forward_max_workspace_bytes() -> usize {{\n        {max}\n")),
        "{}",
        artifacts.wrapper
    );
    assert!(artifacts.wrapper.contains("rt::invoke::Check::DimMax { var: \"n\", max: 64 }"), "{}", artifacts.wrapper);
    assert!(artifacts.header.contains(&format!("#define {sym}_MAX_N 64")), "{}", artifacts.header);
    assert!(artifacts.header.contains(&format!("#define {sym}_MAX_WORKSPACE_BYTES {max}")), "{}", artifacts.header);
    assert!(artifacts.header.contains("\"input x axis 0 (dim n) must be at most 64\""), "{}", artifacts.header);
    // Unbounded, there is no maximum to offer; a bound on a dim no function has is an error.
    let plain = Model::from_file(repo().join("models/digits/digits.relax")).compile(&host_env(dir)).unwrap();
    assert!(!plain.wrapper.contains("max_workspace_bytes"), "{}", plain.wrapper);
    let err = Model::from_file(repo().join("models/digits/digits.relax")).dim_max("batch", 2).load().unwrap_err();
    assert_eq!(err.to_string(), "dim_max(\"batch\", 2): no function of `digits` has a dim `batch`");
}
