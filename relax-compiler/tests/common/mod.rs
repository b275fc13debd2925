//! Running small ONNX models in tests: import, interpret, and check that
//! every pass of the pipeline keeps the results (`verify::check_passes`).

#![allow(dead_code)]

use relax_compiler::frontend::onnx::builder::GraphBuilder;
use relax_compiler::frontend::onnx::proto::{Message, ModelProto, NodeProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::{run_function, Value};
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{Error, NDArray};
use relax_rt::DType;
use std::path::Path;

/// A graph of `node` alone: `args` are its run-time inputs, `consts` its
/// initializers, and its named outputs the graph's.
pub fn single_node(node: NodeProto, args: &[(&str, &NDArray)], consts: &[(&str, &NDArray)]) -> GraphBuilder {
    let mut graph = GraphBuilder::new("single");
    for (name, a) in args {
        let shape: Vec<Dim> = a.shape().iter().map(|&d| Dim::from(d)).collect();
        graph = graph.input(name, a.dtype(), &shape);
    }
    for (name, a) in consts {
        graph = graph.initializer(name, a);
    }
    for out in node.output.iter().filter(|o| !o.is_empty()) {
        graph = graph.output(out);
    }
    graph.node(node)
}

/// Imports `model`, runs it on `args` with the interpreter, checks every
/// pass, and returns the outputs.
pub fn run_model(model: &ModelProto, args: &[&NDArray]) -> Vec<NDArray> {
    let bytes = model.encode_to_vec();
    let module =
        import_bytes(&bytes, Path::new("."), "single", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let inputs: Vec<NDArray> = args.iter().map(|a| (*a).clone()).collect();
    let result = run_function(&module, "forward", inputs.iter().cloned().map(Value::Tensor).collect())
        .unwrap_or_else(|e| panic!("{e}"));
    check_passes(module, "forward", &inputs, Tolerance { rtol: 1e-5, atol: 1e-6 }).unwrap_or_else(|e| panic!("{e}"));
    result.tensors().into_iter().cloned().collect()
}

/// `node` alone at `opset`, over run-time inputs `args` and initializers
/// `consts`: every pass checked, the named outputs returned.
pub fn run_node(opset: i64, node: NodeProto, args: &[(&str, &NDArray)], consts: &[(&str, &NDArray)]) -> Vec<NDArray> {
    let model = single_node(node, args, consts).model(opset);
    run_model(&model, &args.iter().map(|(_, a)| *a).collect::<Vec<_>>())
}

/// `node` of a domain other than the default one, importing `(domain,
/// version)` only, run on its run-time inputs `args`.
pub fn run_in_domain(domain: &str, version: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> Vec<NDArray> {
    let model = single_node(node.with_domain(domain), args, &[]).model_importing(&[(domain, version)]);
    run_model(&model, &args.iter().map(|(_, a)| *a).collect::<Vec<_>>())
}

/// The messages of a model that cannot be imported.
pub fn import_error(model: &ModelProto) -> Vec<String> {
    let err: Error = import_bytes(&model.encode_to_vec(), Path::new("."), "net", &OnnxOptions::default())
        .expect_err("the import should fail");
    err.diagnostics.into_iter().map(|d| d.message).collect()
}

pub fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F32, shape, values)
}

pub fn f64s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F64, shape, values)
}

pub fn ints(dtype: DType, shape: &[usize], values: &[i64]) -> NDArray {
    NDArray::from_i64_values(dtype, shape, values)
}

/// The elements as f64, for computing expected values.
pub fn values(a: &NDArray) -> Vec<f64> {
    (0..a.numel()).map(|i| a.get(i).to_f64()).collect()
}

pub fn assert_close(got: &NDArray, want: &NDArray, rtol: f64) {
    got.assert_close(want, rtol, 1e-6).unwrap_or_else(|e| panic!("{e}"));
}
