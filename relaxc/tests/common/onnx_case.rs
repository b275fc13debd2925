//! Small ONNX models and backend-test case directories, written from Rust with
//! the importer's builder.

use relax_compiler::frontend::onnx::builder::{attr_graph, attr_int, node, tensor_proto, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{Message, ModelProto};
use relax_compiler::ir::Dim;
use relax_compiler::NDArray;
use relax_rt::DType;
use std::path::Path;

/// `sum = a + b` over f32 `[2, 3]` (or `[n, 3]` with `symbolic`), the graph
/// output named `output`.
pub fn add_model(output: &str, symbolic: bool) -> ModelProto {
    let rows = if symbolic { Dim::var("n") } else { Dim::Int(2) };
    let shape = [rows, Dim::Int(3)];
    GraphBuilder::new("add")
        .input("a", DType::F32, &shape)
        .input("b", DType::F32, &shape)
        .node(node("Add", &["a", "b"], &[output]))
        .output(output)
        .model(17)
}

/// `y = if sum(x) > 0 { exp(x) * x } else { -x }` over f32 `[n, 3]`: an `If`
/// on a run-time condition whose branches compute values of their own.
#[allow(dead_code)] // not every test binary uses every model
pub fn if_model() -> ModelProto {
    let body = |name: &str, nodes: Vec<_>, out: &str| {
        nodes.into_iter().fold(GraphBuilder::new(name), |g, n| g.node(n)).output(out).build()
    };
    let then_branch = body("pos", vec![node("Exp", &["x"], &["e"]), node("Mul", &["e", "x"], &["p"])], "p");
    let else_branch = body("neg", vec![node("Neg", &["x"], &["m"])], "m");
    GraphBuilder::new("branchy")
        .input("x", DType::F32, &[Dim::var("n"), Dim::Int(3)])
        .initializer("zero", &NDArray::from_f32(&[], vec![0.0]))
        .node(node("ReduceSum", &["x"], &["total"]).with_attr(attr_int("keepdims", 0)))
        .node(node("Greater", &["total", "zero"], &["positive"]))
        .node(
            node("If", &["positive"], &["y"])
                .with_attr(attr_graph("then_branch", then_branch))
                .with_attr(attr_graph("else_branch", else_branch)),
        )
        .output("y")
        .model(13)
}

/// `test_loop11`'s shape: `y += i` for `i` in `0..m` while `cond`, with `y`
/// after each iteration stacked; the trip count and the condition are graph
/// inputs, so the number of stacked rows is read from them at run time.
#[allow(dead_code)] // not every test binary uses every model
pub fn loop_model() -> ModelProto {
    let body = GraphBuilder::new("body")
        .input("i", DType::I64, &[])
        .input("cond_in", DType::Bool, &[])
        .input("y_in", DType::F32, &[Dim::Int(1)])
        .node(node("Identity", &["cond_in"], &["cond_out"]))
        .node(node("Cast", &["i"], &["step"]).with_attr(attr_int("to", 1)))
        .node(node("Add", &["y_in", "step"], &["y_out"]))
        .node(node("Identity", &["y_out"], &["seen"]))
        .output("cond_out")
        .output("y_out")
        .output("seen")
        .build();
    GraphBuilder::new("looping")
        .input("m", DType::I64, &[])
        .input("cond", DType::Bool, &[])
        .input("y", DType::F32, &[Dim::Int(1)])
        .node(node("Loop", &["m", "cond", "y"], &["y_last", "ys"]).with_attr(attr_graph("body", body)))
        .output("y_last")
        .output("ys")
        .model(11)
}

/// A model whose only node is an operator no importer knows.
pub fn unknown_op_model() -> ModelProto {
    GraphBuilder::new("odd")
        .input("x", DType::F32, &[Dim::Int(2)])
        .node(node("NoSuchOp", &["x"], &["y"]))
        .output("y")
        .model(17)
}

pub fn write_model(path: &Path, model: &ModelProto) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, model.encode_to_vec()).unwrap();
}

pub fn f32s(shape: &[usize], values: &[f32]) -> NDArray {
    NDArray::from_f32(shape, values.to_vec())
}

/// A case directory: `model.onnx` and one `test_data_set_K` per entry of
/// `sets` (inputs, expected outputs).
pub fn write_case(dir: &Path, model: &ModelProto, sets: &[(Vec<NDArray>, Vec<NDArray>)]) {
    write_model(&dir.join("model.onnx"), model);
    for (k, (inputs, outputs)) in sets.iter().enumerate() {
        let set = dir.join(format!("test_data_set_{k}"));
        std::fs::create_dir_all(&set).unwrap();
        for (prefix, tensors) in [("input", inputs), ("output", outputs)] {
            for (i, t) in tensors.iter().enumerate() {
                let bytes = tensor_proto(&format!("{prefix}{i}"), t).encode_to_vec();
                std::fs::write(set.join(format!("{prefix}_{i}.pb")), bytes).unwrap();
            }
        }
    }
}

/// The data set of `add_model`: `a`, `b` and `a + b`, with `wrong` added to
/// element 4 of the expected sum.
pub fn add_data(wrong: f32) -> (Vec<NDArray>, Vec<NDArray>) {
    let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b = [0.5, 0.25, -1.0, 2.0, 1.0, 0.0];
    let mut sum: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x + y).collect();
    sum[4] += wrong;
    (vec![f32s(&[2, 3], &a), f32s(&[2, 3], &b)], vec![f32s(&[2, 3], &sum)])
}
