//! ONNX models built in Rust, imported, run through every pass with the
//! interpreter checking each (`verify::check_passes`), and compared with
//! results computed here by plain loops, independently of the operators.

use relax_compiler::frontend::onnx::builder::{
    attr_float, attr_graph, attr_int, attr_ints, attr_string, attr_tensor, node, tensor_proto, GraphBuilder,
};
use relax_compiler::frontend::onnx::proto::tensor_proto::DataLocation;
use relax_compiler::frontend::onnx::proto::{Message, ModelProto, StringStringEntryProto};
use relax_compiler::frontend::onnx::{import_bytes, import_file, OnnxOptions};
use relax_compiler::interp::{run_function, Value};
use relax_compiler::ir::{Dim, ExprKind, StructInfo};
use relax_compiler::text::print_module;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;
use std::path::Path;

fn import(model: &ModelProto, options: &OnnxOptions) -> IRModule {
    import_bytes(&model.encode_to_vec(), Path::new("."), "net", options).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `forward` on the imported module, then checks every pass agrees.
fn run(module: &IRModule, inputs: &[NDArray]) -> Vec<NDArray> {
    let args = inputs.iter().cloned().map(Value::Tensor).collect();
    let out = run_function(module, "forward", args).unwrap_or_else(|e| panic!("{e}"));
    check_passes(module.clone(), "forward", inputs, Tolerance { rtol: 1e-4, atol: 1e-5 })
        .unwrap_or_else(|e| panic!("{e}"));
    out.tensors().into_iter().cloned().collect()
}

fn assert_close(got: &NDArray, want: &NDArray) {
    got.assert_close(want, 1e-4, 1e-5).unwrap_or_else(|e| panic!("{e}"));
}

fn f32s(shape: &[usize], seed: u64) -> NDArray {
    NDArray::random(DType::F32, shape, seed)
}

fn i64s(values: &[i64]) -> NDArray {
    NDArray::from_i64_values(DType::I64, &[values.len()], values)
}

fn at(a: &NDArray, idx: &[usize]) -> f64 {
    a.at(idx).to_f64()
}

// ---- an MLP: Gemm (transB = 1) + Relu + Gemm + Softmax ----

#[test]
fn mlp_with_transposed_gemm_weights() {
    let (w1, b1, w2, b2) = (f32s(&[8, 4], 1), f32s(&[8], 2), f32s(&[3, 8], 3), f32s(&[3], 4));
    let model = GraphBuilder::new("mlp")
        .input("x", DType::F32, &[Dim::var("batch"), Dim::Int(4)])
        .initializer("fc1.weight", &w1)
        .initializer("fc1.bias", &b1)
        .initializer("fc2.weight", &w2)
        .initializer("fc2.bias", &b2)
        .node(node("Gemm", &["x", "fc1.weight", "fc1.bias"], &["h"]).with_attr(attr_int("transB", 1)))
        .node(node("Relu", &["h"], &["a"]))
        .node(
            node("Gemm", &["a", "fc2.weight", "fc2.bias"], &["logits"])
                .with_attr(attr_int("transB", 1))
                .with_attr(attr_float("alpha", 0.5)),
        )
        .node(node("Softmax", &["logits"], &["probs"]).with_attr(attr_int("axis", 1)))
        .output("probs")
        .model(13);
    let module = import(&model, &OnnxOptions::default());
    let f = module.function("forward").unwrap();
    assert_eq!(f.params[0].sinfo, StructInfo::tensor(DType::F32, vec![Dim::var("batch"), Dim::Int(4)]));
    assert_eq!(f.ret, StructInfo::tensor(DType::F32, vec![Dim::var("batch"), Dim::Int(3)]));
    // The transposes of the constant weights are folded at import.
    assert_eq!(module.constants["fc1_weight"].shape(), &[4, 8]);

    for batch in [1, 3] {
        let x = f32s(&[batch, 4], 10 + batch as u64);
        let got = run(&module, std::slice::from_ref(&x));
        let dense = |input: &[f64], w: &NDArray, b: &NDArray, alpha: f64| -> Vec<f64> {
            let (outs, ins) = (w.shape()[0], w.shape()[1]);
            (0..outs).map(|o| alpha * (0..ins).map(|i| input[i] * at(w, &[o, i])).sum::<f64>() + at(b, &[o])).collect()
        };
        let mut want = Vec::new();
        for r in 0..batch {
            let row: Vec<f64> = (0..4).map(|i| at(&x, &[r, i])).collect();
            let hidden: Vec<f64> = dense(&row, &w1, &b1, 1.0).into_iter().map(|v| v.max(0.0)).collect();
            let logits = dense(&hidden, &w2, &b2, 0.5);
            let total: f64 = logits.iter().map(|v| v.exp()).sum();
            want.extend(logits.iter().map(|v| v.exp() / total));
        }
        assert_close(&got[0], &NDArray::from_f64_values(DType::F32, &[batch, 3], &want));
    }
}

// ---- a CNN: Conv (SAME_UPPER) + BatchNormalization + Relu + MaxPool + GlobalAveragePool + Flatten ----

/// Cross-correlation with zero padding, the textbook loop.
fn conv2d_reference(x: &NDArray, w: &NDArray, b: &NDArray, stride: usize, pad: [usize; 4]) -> Vec<Vec<Vec<Vec<f64>>>> {
    let (n, c, h, wd) = (x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]);
    let (o, k) = (w.shape()[0], w.shape()[2]);
    let out_h = (h + pad[0] + pad[2] - k) / stride + 1;
    let out_w = (wd + pad[1] + pad[3] - k) / stride + 1;
    let read = |bi: usize, ci: usize, y: i64, xx: i64| -> f64 {
        if y < 0 || xx < 0 || y >= h as i64 || xx >= wd as i64 {
            0.0
        } else {
            at(x, &[bi, ci, y as usize, xx as usize])
        }
    };
    (0..n)
        .map(|bi| {
            (0..o)
                .map(|oi| {
                    (0..out_h)
                        .map(|oy| {
                            (0..out_w)
                                .map(|ox| {
                                    let mut acc = at(b, &[oi]);
                                    for ci in 0..c {
                                        for ky in 0..k {
                                            for kx in 0..k {
                                                let y = (oy * stride + ky) as i64 - pad[0] as i64;
                                                let xx = (ox * stride + kx) as i64 - pad[1] as i64;
                                                acc += read(bi, ci, y, xx) * at(w, &[oi, ci, ky, kx]);
                                            }
                                        }
                                    }
                                    acc
                                })
                                .collect()
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[test]
fn cnn_with_same_padding_batch_norm_and_pools() {
    let (w, b) = (f32s(&[4, 3, 3, 3], 1), f32s(&[4], 2));
    let scale = NDArray::from_f32(&[4], vec![1.0, 0.5, 2.0, -1.0]);
    let shift = NDArray::from_f32(&[4], vec![0.1, -0.2, 0.0, 0.3]);
    let mean = NDArray::from_f32(&[4], vec![0.0, 0.2, -0.1, 0.05]);
    let var = NDArray::from_f32(&[4], vec![1.0, 0.5, 2.0, 0.25]);
    let model = GraphBuilder::new("cnn")
        .input("image", DType::F32, &[Dim::var("N"), Dim::Int(3), Dim::Int(8), Dim::Int(8)])
        .initializer("w", &w)
        .initializer("b", &b)
        .initializer("scale", &scale)
        .initializer("shift", &shift)
        .initializer("mean", &mean)
        .initializer("var", &var)
        .node(
            node("Conv", &["image", "w", "b"], &["c"])
                .with_name("conv1")
                .with_attr(attr_string("auto_pad", "SAME_UPPER"))
                .with_attr(attr_ints("strides", &[2, 2]))
                .with_attr(attr_ints("kernel_shape", &[3, 3])),
        )
        .node(
            node("BatchNormalization", &["c", "scale", "shift", "mean", "var"], &["bn"])
                .with_attr(attr_float("epsilon", 1e-3)),
        )
        .node(node("Relu", &["bn"], &["r"]))
        .node(
            node("MaxPool", &["r"], &["p"])
                .with_attr(attr_ints("kernel_shape", &[2, 2]))
                .with_attr(attr_ints("strides", &[2, 2])),
        )
        .node(node("GlobalAveragePool", &["p"], &["g"]))
        .node(node("Flatten", &["g"], &["features"]))
        .output("features")
        .model(15);
    let module = import(&model, &OnnxOptions::default());
    assert_eq!(
        module.function("forward").unwrap().ret,
        StructInfo::tensor(DType::F32, vec![Dim::var("N"), Dim::Int(4)])
    );

    for n in [1, 2] {
        let x = f32s(&[n, 3, 8, 8], 20 + n as u64);
        let got = run(&module, std::slice::from_ref(&x));
        // SAME_UPPER on 8 with kernel 3, stride 2: 4 outputs, 1 pad, at the end.
        let conv = conv2d_reference(&x, &w, &b, 2, [0, 0, 1, 1]);
        let mut want = Vec::new();
        for image in &conv {
            for (ci, plane) in image.iter().enumerate() {
                let norm = |v: f64| {
                    let v = (v - at(&mean, &[ci])) / (at(&var, &[ci]) + 1e-3).sqrt() * at(&scale, &[ci])
                        + at(&shift, &[ci]);
                    v.max(0.0)
                };
                let pooled: Vec<f64> = (0..2)
                    .flat_map(|py| (0..2).map(move |px| (py, px)))
                    .map(|(py, px)| {
                        let taps = [(0, 0), (0, 1), (1, 0), (1, 1)];
                        taps.iter().map(|(dy, dx)| norm(plane[2 * py + dy][2 * px + dx])).fold(f64::MIN, f64::max)
                    })
                    .collect();
                want.push(pooled.iter().sum::<f64>() / 4.0);
            }
        }
        assert_close(&got[0], &NDArray::from_f64_values(DType::F32, &[n, 4], &want));
    }
}

// ---- shape arithmetic that stays symbolic ----

#[test]
fn dynamic_batch_reshape_from_shape_arithmetic_stays_symbolic() {
    let model = GraphBuilder::new("flat")
        .input("x", DType::F32, &[Dim::var("N"), Dim::Int(2), Dim::Int(3)])
        .initializer("zero", &NDArray::from_i64_values(DType::I64, &[], &[0]))
        .initializer("axes0", &i64s(&[0]))
        .initializer("minus_one", &i64s(&[-1]))
        .initializer("two", &i64s(&[2]))
        .node(node("Shape", &["x"], &["shape"]))
        .node(node("Gather", &["shape", "zero"], &["n"]).with_attr(attr_int("axis", 0)))
        .node(node("Unsqueeze", &["n", "axes0"], &["n1"]))
        // [N * 2, -1]: arithmetic on the symbolic batch.
        .node(node("Mul", &["n1", "two"], &["n2"]))
        .node(node("Concat", &["n2", "minus_one"], &["target"]).with_attr(attr_int("axis", 0)))
        .node(node("Reshape", &["x", "target"], &["y"]))
        .output("y")
        .model(13);
    let module = import(&model, &OnnxOptions::default());
    let f = module.function("forward").unwrap();
    assert_eq!(f.ret, StructInfo::tensor(DType::F32, vec![Dim::var("N") * 2, Dim::Int(3)]));
    let text = print_module(&module);
    assert!(text.contains("reshape(x, shape = [N * 2, 3])"), "{text}");
    assert_eq!(f.body.bindings().count(), 1, "only the reshape runs:\n{text}");
    for n in [1, 4] {
        let x = f32s(&[n, 2, 3], n as u64);
        let got = run(&module, std::slice::from_ref(&x));
        assert_close(&got[0], &x.reshaped(&[n * 2, 3]));
    }
}

#[test]
fn pinned_dims_become_constants_and_names_are_sanitized() {
    let model = GraphBuilder::new("pinned")
        .input("input.1", DType::F32, &[Dim::var("batch size"), Dim::var("seq"), Dim::Int(2)])
        .node(node("Neg", &["input.1"], &["type"]))
        .output("type")
        .model(17);
    let options = OnnxOptions {
        dims: [("batch size".to_string(), 2)].into(),
        dim_max: [("seq".to_string(), 16)].into(),
        ..OnnxOptions::default()
    };
    let module = import(&model, &options);
    let f = module.function("forward").unwrap();
    assert_eq!(f.params[0].name, "input_1");
    assert_eq!(f.params[0].sinfo, StructInfo::tensor(DType::F32, vec![Dim::Int(2), Dim::var("seq"), Dim::Int(2)]));
    assert_eq!(f.body.bindings().next().unwrap().var.name, "type_");
    assert_eq!(f.dim_max, [("seq".to_string(), 16)], "the bound is kept; pinned dims need none");
    let x = f32s(&[2, 5, 2], 7);
    let got = run(&module, std::slice::from_ref(&x));
    let want: Vec<f64> = (0..x.numel()).map(|i| -x.get(i).to_f64()).collect();
    assert_close(&got[0], &NDArray::from_f64_values(DType::F32, &[2, 5, 2], &want));
}

// ---- control flow ----

fn branch(
    name: &str,
    nodes: Vec<relax_compiler::frontend::onnx::proto::NodeProto>,
    output: &str,
) -> relax_compiler::frontend::onnx::proto::GraphProto {
    nodes.into_iter().fold(GraphBuilder::new(name), |g, n| g.node(n)).output(output).build()
}

#[test]
fn if_on_a_compile_time_condition_keeps_only_the_taken_branch() {
    // The condition compares a static dim, so it folds; the other branch uses
    // an operator relax-rs does not have, which must not matter.
    let then_branch = branch("double", vec![node("Add", &["x", "x"], &["doubled"])], "doubled");
    let else_branch = branch("odd", vec![node("Unique", &["x"], &["unique"])], "unique");
    let model = GraphBuilder::new("branchy")
        .input("x", DType::F32, &[Dim::var("n"), Dim::Int(4)])
        .initializer("one", &NDArray::from_i64_values(DType::I64, &[], &[1]))
        .initializer("three", &NDArray::from_i64_values(DType::I64, &[], &[3]))
        .node(node("Shape", &["x"], &["s"]))
        .node(node("Gather", &["s", "one"], &["width"]))
        .node(node("Greater", &["width", "three"], &["wide"]))
        .node(
            node("If", &["wide"], &["y"])
                .with_attr(attr_graph("then_branch", then_branch))
                .with_attr(attr_graph("else_branch", else_branch)),
        )
        .output("y")
        .model(13);
    let module = import(&model, &OnnxOptions::default());
    let x = f32s(&[3, 4], 5);
    let got = run(&module, std::slice::from_ref(&x));
    let want: Vec<f64> = (0..x.numel()).map(|i| 2.0 * x.get(i).to_f64()).collect();
    assert_close(&got[0], &NDArray::from_f64_values(DType::F32, &[3, 4], &want));
}

#[test]
fn if_on_a_run_time_condition_becomes_graph_control_flow() {
    let then_branch = branch("pos", vec![node("Exp", &["x"], &["e"])], "e");
    let else_branch = branch("neg", vec![node("Neg", &["x"], &["m"])], "m");
    let model = GraphBuilder::new("cf")
        .input("x", DType::F32, &[Dim::Int(3)])
        .initializer("zero", &NDArray::from_f32(&[], vec![0.0]))
        .node(node("ReduceSum", &["x"], &["total"]).with_attr(attr_int("keepdims", 0)))
        .node(node("Greater", &["total", "zero"], &["positive"]))
        .node(
            node("If", &["positive"], &["y"])
                .with_attr(attr_graph("then_branch", then_branch))
                .with_attr(attr_graph("else_branch", else_branch)),
        )
        .output("y")
        .model(13);
    let module = import(&model, &OnnxOptions::default());
    let f = module.function("forward").unwrap();
    assert!(f.body.bindings().any(|b| matches!(b.value.kind, ExprKind::If { .. })));
    // Every pass keeps the results, through the simulated native entry.
    for (values, want) in
        [([1.0, 2.0, -0.5], [1f64.exp(), 2f64.exp(), (-0.5f64).exp()]), ([-1.0, 0.5, 0.0], [1.0, -0.5, 0.0])]
    {
        let x = NDArray::from_f32(&[3], values.to_vec());
        let compiled = check_passes(module.clone(), "forward", std::slice::from_ref(&x), Tolerance::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let got = run_function(&compiled, "forward", vec![Value::Tensor(x)]).unwrap_or_else(|e| panic!("{e}"));
        assert_close(got.tensors()[0], &NDArray::from_f64_values(DType::F32, &[3], &want));
    }
}

// ---- weights in a separate file ----

#[test]
fn external_data_is_read_relative_to_the_model_file() {
    let dir = std::env::temp_dir().join(format!("relax-onnx-external-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bias = NDArray::from_f32(&[3], vec![1.0, -2.0, 0.5]);
    let mut blob = vec![0xAB; 16]; // data before the tensor, skipped by `offset`
    blob.extend(bias.to_bytes());
    std::fs::write(dir.join("weights.bin"), &blob).unwrap();
    let entry = |k: &str, v: &str| StringStringEntryProto { key: Some(k.into()), value: Some(v.into()) };
    let mut tensor = tensor_proto("bias", &bias);
    tensor.raw_data = None;
    tensor.data_location = Some(DataLocation::External as i32);
    tensor.external_data = vec![entry("location", "weights.bin"), entry("offset", "16"), entry("length", "12")];
    let model = GraphBuilder::new("ext")
        .input("x", DType::F32, &[Dim::Int(2), Dim::Int(3)])
        .initializer_proto(tensor)
        .node(node("Add", &["x", "bias"], &["y"]))
        .output("y")
        .model(14);
    let path = dir.join("my-net.onnx");
    std::fs::write(&path, model.encode_to_vec()).unwrap();
    let module = import_file(&path, &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(module.name, "my_net");
    assert_eq!(module.constants["bias"], bias);
    let x = f32s(&[2, 3], 3);
    let got = run(&module, std::slice::from_ref(&x));
    let want: Vec<f64> = (0..6).map(|i| x.get(i).to_f64() + bias.get(i % 3).to_f64()).collect();
    assert_close(&got[0], &NDArray::from_f64_values(DType::F32, &[2, 3], &want));
}

#[test]
fn several_outputs_make_a_tuple_and_graph_inputs_are_copied_out() {
    let model = GraphBuilder::new("two")
        .input("x", DType::F32, &[Dim::Int(2), Dim::Int(2)])
        .node(node("Identity", &["x"], &["same"]))
        .node(node("Constant", &[], &["k"]).with_attr(attr_tensor("value", &NDArray::from_f32(&[], vec![3.0]))))
        .node(node("Mul", &["x", "k"], &["tripled"]))
        .output("same")
        .output("tripled")
        .model(13);
    let module = import(&model, &OnnxOptions::default());
    assert!(matches!(module.function("forward").unwrap().ret, StructInfo::Tuple(ref items) if items.len() == 2));
    let x = f32s(&[2, 2], 8);
    let got = run(&module, std::slice::from_ref(&x));
    assert_close(&got[0], &x);
    let want: Vec<f64> = (0..4).map(|i| 3.0 * x.get(i).to_f64()).collect();
    assert_close(&got[1], &NDArray::from_f64_values(DType::F32, &[2, 2], &want));
}
