//! Test harness for converters: one node in a model of its own, imported,
//! run with the reference interpreter after every pass of the pipeline, and
//! its outputs returned for comparison with values computed independently.

use crate::frontend::onnx::builder::GraphBuilder;
use crate::frontend::onnx::proto::{Message, NodeProto};
use crate::frontend::onnx::{import_bytes, OnnxOptions};
use crate::interp::{run_function, Value};
use crate::ir::Dim;
use crate::ndarray::NDArray;
use crate::verify::{check_passes, Tolerance};
use relax_rt::DType;
use std::path::Path;

/// The outputs of `node` on run-time inputs `args` and initializers `consts`
/// (constants the importer folds), checked to agree after every pass.
pub fn run_node(opset: i64, node: NodeProto, args: &[(&str, &NDArray)], consts: &[(&str, &NDArray)]) -> Vec<NDArray> {
    run_node_symbolic(opset, node, args, consts, &[])
}

/// [`run_node`] with the listed `(input, axis, name)` dims of the inputs
/// declared symbolic, so the converter sees (and cannot fold) them.
pub fn run_node_symbolic(
    opset: i64,
    node: NodeProto,
    args: &[(&str, &NDArray)],
    consts: &[(&str, &NDArray)],
    symbolic: &[(&str, usize, &str)],
) -> Vec<NDArray> {
    let mut graph = GraphBuilder::new("single");
    for (name, a) in args {
        let mut shape: Vec<Dim> = a.shape().iter().map(|&d| Dim::from(d)).collect();
        for (_, axis, var) in symbolic.iter().filter(|(input, _, _)| input == name) {
            shape[*axis] = Dim::var(var);
        }
        graph = graph.input(name, a.dtype(), &shape);
    }
    for (name, a) in consts {
        graph = graph.initializer(name, a);
    }
    for out in node.output.iter().filter(|o| !o.is_empty()) {
        graph = graph.output(out);
    }
    let bytes = graph.node(node).model(opset).encode_to_vec();
    let module =
        import_bytes(&bytes, Path::new("."), "single", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let inputs: Vec<NDArray> = args.iter().map(|(_, a)| (*a).clone()).collect();
    let result = run_function(&module, "forward", inputs.iter().cloned().map(Value::Tensor).collect())
        .unwrap_or_else(|e| panic!("{e}"));
    check_passes(module, "forward", &inputs, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    result.tensors().into_iter().cloned().collect()
}

/// The import error of `node` on run-time inputs `args`.
pub fn import_error(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> String {
    let mut graph = GraphBuilder::new("single");
    for (name, a) in args {
        let shape: Vec<Dim> = a.shape().iter().map(|&d| Dim::from(d)).collect();
        graph = graph.input(name, a.dtype(), &shape);
    }
    for out in node.output.iter().filter(|o| !o.is_empty()) {
        graph = graph.output(out);
    }
    let bytes = graph.node(node).model(opset).encode_to_vec();
    match import_bytes(&bytes, Path::new("."), "single", &OnnxOptions::default()) {
        Ok(_) => panic!("the import should fail"),
        Err(e) => e.to_string(),
    }
}

pub fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F32, shape, values)
}

pub fn i64s(shape: &[usize], values: &[i64]) -> NDArray {
    NDArray::from_i64_values(DType::I64, shape, values)
}

/// Asserts `got` is within float rounding of `want`.
pub fn assert_close(got: &NDArray, want: &NDArray) {
    assert_eq!(got.shape(), want.shape(), "shapes differ");
    got.assert_close(want, 1e-5, 1e-6).unwrap_or_else(|e| panic!("{e}"));
}
