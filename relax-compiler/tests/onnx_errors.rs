//! ONNX models that cannot be imported: every problem is reported at once,
//! each naming its node and operator, and bad input never panics.

use relax_compiler::frontend::onnx::builder::{attr_int, attr_ints, attr_string, node, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{Message, ModelProto};
use relax_compiler::frontend::onnx::{import_bytes, import_file, OnnxOptions};
use relax_compiler::ir::Dim;
use relax_compiler::{Error, NDArray};
use relax_rt::DType;
use std::path::Path;

fn import_error(model: &ModelProto, options: &OnnxOptions) -> Vec<String> {
    let err: Error =
        import_bytes(&model.encode_to_vec(), Path::new("."), "net", options).expect_err("the import should fail");
    err.diagnostics.into_iter().map(|d| d.message).collect()
}

fn image_input(g: GraphBuilder) -> GraphBuilder {
    g.input("x", DType::F32, &[Dim::var("N"), Dim::Int(3), Dim::Int(8), Dim::Int(8)])
}

#[test]
fn lists_every_unsupported_node_once_with_its_name() {
    let model = image_input(GraphBuilder::new("bad"))
        .node(node("Unique", &["x"], &["u"]).with_name("dedup"))
        // Downstream of a failed node, yet its own problems are still listed.
        .node(
            node("MaxPool", &["u"], &["p"])
                .with_name("pool1")
                .with_attr(attr_ints("kernel_shape", &[2, 2]))
                .with_attr(attr_int("storage_order", 1)),
        )
        .node(node("Relu", &["p"], &["r"]).with_name("fine_but_downstream"))
        .node(node("FusedGemm", &["x", "x"], &["f"]).with_name("fused").with_domain("com.microsoft"))
        .node(
            node("Conv", &["x", "x"], &["c"])
                .with_name("conv1")
                .with_attr(attr_string("auto_pad", "SAME_SIDEWAYS"))
                .with_attr(attr_int("exotic", 1)),
        )
        .output("r")
        .model(17);
    assert_eq!(
        import_error(&model, &OnnxOptions::default()),
        [
            "node `dedup` (Unique): operator Unique is not supported (opset 17)",
            "node `pool1` (MaxPool): attribute storage_order=1 is not supported",
            "node `fused` (FusedGemm): operator FusedGemm of domain `com.microsoft` is not supported",
            "node `conv1` (Conv): attribute `exotic` is not supported; attribute auto_pad=SAME_SIDEWAYS is not supported",
        ]
    );
}

#[test]
fn shape_dependent_problems_are_reported_per_node() {
    let w4d = NDArray::random(DType::F32, &[2, 3, 3, 3, 3, 3], 1);
    let model = GraphBuilder::new("bad")
        .input("volume", DType::F32, &[Dim::Int(1), Dim::Int(3), Dim::Int(4), Dim::Int(4), Dim::Int(4), Dim::Int(4)])
        .input("data", DType::I64, &[Dim::Int(2)])
        .initializer("w4d", &w4d)
        .node(node("Conv", &["volume", "w4d"], &["c"]).with_name("conv4d"))
        .node(node("Add", &["data", "data"], &["doubled"]))
        .node(node("Reshape", &["volume", "doubled"], &["r"]).with_name("dynamic_reshape"))
        .node(node("Shape", &["volume"], &["s"]))
        .output("c")
        .output("r")
        .model(13);
    let problems = import_error(&model, &OnnxOptions::default());
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_eq!(
        problems[0],
        "node `conv4d` (Conv): 4-D convolution is not supported yet; only 1-D, 2-D and 3-D (input Tensor<[1, 3, 4, 4, 4, \
         4], f32>)"
    );
    assert_eq!(
        problems[1],
        "node `dynamic_reshape` (Reshape): input `doubled` must be integers known at compile time or a graph input \
         of at most a few integers, but it is computed at run time (Tensor<[2], i64>)"
    );
}

#[test]
fn malformed_bytes_give_a_clear_error() {
    let err = import_bytes(&[0x0a, 0xff, 0xff, 0x01], Path::new("."), "junk", &OnnxOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("not a valid ONNX model: failed to decode Protobuf message"), "{err}");
    let empty = ModelProto::default().encode_to_vec();
    let err = import_bytes(&empty, Path::new("."), "empty", &OnnxOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model imports no version of the default operator set (ai.onnx) nor of the other operator sets the \
         importer knows (ai.onnx.ml, ai.onnx.preview.training)"
    );
    let missing = Path::new("/nonexistent/model.onnx");
    let err = import_file(missing, &OnnxOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("cannot read ONNX model /nonexistent/model.onnx"), "{err}");
}

#[test]
fn opsets_outside_the_supported_range_are_rejected() {
    let model = GraphBuilder::new("old").input("x", DType::F32, &[Dim::Int(1)]).output("x").model(6);
    assert_eq!(
        import_error(&model, &OnnxOptions::default()),
        ["the model uses opset 6 of ai.onnx; supported opsets are 7 to 28"]
    );
}

#[test]
fn options_must_name_dims_of_the_model() {
    let model = GraphBuilder::new("m")
        .input("x", DType::F32, &[Dim::var("batch"), Dim::Int(2)])
        .node(node("Relu", &["x"], &["y"]))
        .output("y")
        .model(13);
    let options = OnnxOptions {
        dims: [("batch".to_string(), 8), ("bacth".to_string(), 1)].into(),
        dim_max: [("batch".to_string(), 4)].into(),
        ..OnnxOptions::default()
    };
    assert_eq!(
        import_error(&model, &options),
        [
            "option dim(\"bacth\"): the model has no dim_param `bacth` (it has: batch)",
            "option dim(\"batch\", 8) exceeds its own bound dim_max(\"batch\", 4)",
        ]
    );
}

#[test]
fn inputs_need_a_tensor_type_with_a_rank() {
    let model = GraphBuilder::new("m")
        .input_without_shape("x", DType::F32)
        .node(node("Relu", &["x"], &["y"]))
        .output("y")
        .model(13);
    assert_eq!(
        import_error(&model, &OnnxOptions::default()),
        ["graph input `x`: the input has no shape; its rank must be known"]
    );
}

#[test]
fn nodes_in_a_failed_branch_are_reported_with_their_place() {
    use relax_compiler::frontend::onnx::builder::attr_graph;
    let then_branch =
        GraphBuilder::new("t").node(node("Unique", &["x"], &["u"]).with_name("inner")).output("u").build();
    let else_branch = GraphBuilder::new("e").node(node("Neg", &["x"], &["n"])).output("n").build();
    let model = GraphBuilder::new("m")
        .input("x", DType::F32, &[Dim::Int(3)])
        .input("flag", DType::Bool, &[])
        .node(
            node("If", &["flag"], &["y"])
                .with_name("choose")
                .with_attr(attr_graph("then_branch", then_branch))
                .with_attr(attr_graph("else_branch", else_branch)),
        )
        .output("y")
        .model(13);
    assert_eq!(
        import_error(&model, &OnnxOptions::default()),
        [
            "node `inner` (Unique) in the then_branch of node `choose` (If): operator Unique is not supported (opset 13)",
            "node `choose` (If): its then_branch cannot be converted (see the nodes above)",
        ]
    );
}
