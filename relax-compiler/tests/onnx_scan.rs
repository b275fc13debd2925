//! ONNX `Scan` as a graph-level loop: results checked against values
//! computed independently in plain Rust, through every pass and the
//! simulated native entry (`verify::check_passes`).

use relax_compiler::frontend::onnx::builder::{attr_graph, attr_int, attr_ints, node, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{GraphProto, Message, ModelProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;
use std::path::Path;

fn import(model: &ModelProto) -> Result<IRModule, String> {
    import_bytes(&model.encode_to_vec(), Path::new("."), "net", &OnnxOptions::default()).map_err(|e| e.to_string())
}

/// Body: `acc_out = acc_in + col * 2`, scan output `acc_out`; the slices
/// are columns of `x` (scan axis 1) and the outputs are stacked along axis 1.
fn body() -> GraphProto {
    GraphBuilder::new("body")
        .input("acc_in", DType::F32, &[Dim::Int(2)])
        .input("col", DType::F32, &[Dim::Int(2)])
        .initializer("two", &NDArray::from_f32(&[], vec![2.0]))
        .node(node("Mul", &["col", "two"], &["scaled"]))
        .node(node("Add", &["acc_in", "scaled"], &["acc_out"]))
        .node(node("Identity", &["acc_out"], &["seen"]))
        .output("acc_out")
        .output("seen")
        .build()
}

fn model(body: GraphProto, extra: Vec<relax_compiler::frontend::onnx::proto::AttributeProto>) -> ModelProto {
    let scan = extra.into_iter().fold(
        node("Scan", &["init", "x"], &["last", "history"])
            .with_attr(attr_graph("body", body))
            .with_attr(attr_int("num_scan_inputs", 1)),
        |n, a| n.with_attr(a),
    );
    GraphBuilder::new("running")
        .input("init", DType::F32, &[Dim::Int(2)])
        .input("x", DType::F32, &[Dim::Int(2), Dim::var("t")])
        .node(scan)
        .output("last")
        .output("history")
        .model(16)
}

#[test]
fn scan_over_columns_accumulates_and_stacks_along_the_output_axis() {
    let m = model(body(), vec![attr_ints("scan_input_axes", &[1]), attr_ints("scan_output_axes", &[1])]);
    let module = import(&m).unwrap_or_else(|e| panic!("{e}"));
    let init = [1.0f32, -1.0];
    let x = [0.5f32, 1.0, 1.5, -2.0, 0.0, 2.0]; // [2, 3]: row 0 then row 1
                                                // By hand: acc after column j is init + 2 * (x[:, 0] + .. + x[:, j]).
    let mut acc = init;
    let mut history = [[0f32; 3]; 2];
    for j in 0..3 {
        for r in 0..2 {
            acc[r] += 2.0 * x[r * 3 + j];
            history[r][j] = acc[r];
        }
    }
    let inputs = [NDArray::from_f32(&[2], init.to_vec()), NDArray::from_f32(&[2, 3], x.to_vec())];
    let compiled = check_passes(module, "forward", &inputs, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    let got = relax_compiler::interp::run_entry(&compiled, "forward", &inputs).unwrap();
    got[0].assert_close(&NDArray::from_f32(&[2], acc.to_vec()), 1e-6, 1e-6).unwrap();
    got[1].assert_close(&NDArray::from_f32(&[2, 3], history.concat()), 1e-6, 1e-6).unwrap();
}

#[test]
fn state_that_changes_shape_and_reverse_scans_are_rejected_naming_the_node() {
    let growing = GraphBuilder::new("body")
        .input("acc_in", DType::F32, &[Dim::Int(2)])
        .input("col", DType::F32, &[Dim::Int(2)])
        .node(node("Concat", &["acc_in", "col"], &["acc_out"]).with_attr(attr_int("axis", 0)))
        .node(node("Identity", &["col"], &["seen"]))
        .output("acc_out")
        .output("seen")
        .build();
    let err = import(&model(growing, vec![attr_ints("scan_input_axes", &[1])])).unwrap_err();
    assert!(err.contains("Scan") && err.contains("loop-carried state must keep its shape"), "{err}");
    let err = import(&model(body(), vec![attr_ints("scan_input_directions", &[1])])).unwrap_err();
    assert!(err.contains("Scan") && err.contains("scan_input_directions"), "{err}");
}
