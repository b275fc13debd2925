//! ONNX nodes whose shape, axes, pads or sizes are graph inputs: data the
//! caller passes at run time. Each model is imported once and run (through
//! every pass and the simulated native entry, `verify::check_passes`) with
//! several values, so a result that depended on one value baked in at compile
//! time would fail. Expected values are computed here from the ONNX
//! definitions with plain index arithmetic.

use relax_compiler::frontend::onnx::builder::{attr_int, node, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{Message, NodeProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::entry::run_entry;
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;
use std::path::Path;

/// A one-node model over inputs of the given dtypes and shapes.
fn model(n: NodeProto, inputs: &[(&str, DType, &[usize])]) -> IRModule {
    let mut graph = GraphBuilder::new("run_time");
    for (name, dtype, shape) in inputs {
        let shape: Vec<Dim> = shape.iter().map(|&d| Dim::from(d)).collect();
        graph = graph.input(name, *dtype, &shape);
    }
    for out in n.output.iter().filter(|o| !o.is_empty()) {
        graph = graph.output(out);
    }
    let bytes = graph.node(n).model(18).encode_to_vec();
    import_bytes(&bytes, Path::new("."), "run_time", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `m` through every pass on `inputs` and returns its first output.
fn run(m: &IRModule, inputs: &[NDArray]) -> NDArray {
    let compiled = check_passes(m.clone(), "forward", inputs, Tolerance { rtol: 0.0, atol: 0.0 })
        .unwrap_or_else(|e| panic!("{e}"));
    run_entry(&compiled, "forward", inputs).unwrap_or_else(|e| panic!("{e}")).remove(0)
}

/// Whether the compiled entry rejects `inputs` (a failed run-time check).
fn rejects(m: &IRModule, inputs: &[NDArray]) -> bool {
    let compiled = relax_compiler::pipeline::compile(m.clone(), &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    run_entry(&compiled, "forward", inputs).is_err()
}

fn iota(shape: &[usize]) -> NDArray {
    let n: usize = shape.iter().product();
    NDArray::from_f64_values(DType::F32, shape, &(0..n).map(|v| v as f64).collect::<Vec<_>>())
}

fn i64s(values: &[i64]) -> NDArray {
    NDArray::from_i64_values(DType::I64, &[values.len()], values)
}

fn values(a: &NDArray) -> Vec<f64> {
    (0..a.numel()).map(|i| a.get(i).to_f64()).collect()
}

#[test]
fn reshape_to_a_shape_given_at_run_time() {
    let m =
        model(node("Reshape", &["x", "shape"], &["y"]), &[("x", DType::F32, &[2, 3, 4]), ("shape", DType::I64, &[3])]);
    let x = iota(&[2, 3, 4]);
    for (shape, want) in [([4, 0, -1], vec![4, 3, 2]), ([-1, 2, 2], vec![6, 2, 2]), ([0, 0, 4], vec![2, 3, 4])] {
        let y = run(&m, &[x.clone(), i64s(&shape)]);
        assert_eq!(y.shape(), &want[..], "target {shape:?}");
        assert_eq!(values(&y), values(&x));
    }
    assert!(rejects(&m, &[x.clone(), i64s(&[5, -1, 0])]), "24 elements do not fill [5, 4.8, 3]");
    assert!(rejects(&m, &[x, i64s(&[-2, -3, 4])]), "negative sizes are rejected, even with the right product");
}

/// `ReduceSum` over `axes` of a `[2, 3, 4]` iota, computed by index.
fn reduce_sum(axes: &[i64], keepdims: bool) -> (Vec<usize>, Vec<f64>) {
    let dims = [2usize, 3, 4];
    let reduced: Vec<bool> = (0..3).map(|i| axes.iter().any(|&a| (a + 3) % 3 == i as i64)).collect();
    let kept: Vec<usize> = (0..3).map(|i| if reduced[i] { 1 } else { dims[i] }).collect();
    let mut sums = vec![0.0; kept.iter().product()];
    for flat in 0..24 {
        let idx = [flat / 12, flat / 4 % 3, flat % 4];
        let out: usize = (0..3).fold(0, |acc, i| acc * kept[i] + if reduced[i] { 0 } else { idx[i] });
        sums[out] += flat as f64;
    }
    let shape = if keepdims { kept } else { (0..3).filter(|&i| !reduced[i]).map(|i| dims[i]).collect() };
    (shape, sums)
}

#[test]
fn reductions_over_axes_given_at_run_time() {
    for keepdims in [true, false] {
        let n = node("ReduceSum", &["x", "axes"], &["y"]).with_attr(attr_int("keepdims", keepdims as i64));
        let m = model(n, &[("x", DType::F32, &[2, 3, 4]), ("axes", DType::I64, &[2])]);
        for axes in [[0, 2], [-1, 1], [1, 0]] {
            let y = run(&m, &[iota(&[2, 3, 4]), i64s(&axes)]);
            let (shape, sums) = reduce_sum(&axes, keepdims);
            assert_eq!(y.shape(), &shape[..], "axes {axes:?}, keepdims {keepdims}");
            assert_eq!(values(&y), sums, "axes {axes:?}, keepdims {keepdims}");
        }
    }
    let m = model(
        node("ReduceSum", &["x", "axes"], &["y"]).with_attr(attr_int("keepdims", 0)),
        &[("x", DType::F32, &[2, 3, 4]), ("axes", DType::I64, &[2])],
    );
    assert!(rejects(&m, &[iota(&[2, 3, 4]), i64s(&[1, 1])]), "a repeated axis leaves the rank wrong");
}

#[test]
fn slices_given_at_run_time() {
    let inputs: &[(&str, DType, &[usize])] = &[
        ("x", DType::F32, &[4, 5]),
        ("starts", DType::I64, &[1]),
        ("ends", DType::I64, &[1]),
        ("axes", DType::I64, &[1]),
        ("steps", DType::I64, &[1]),
    ];
    let m = model(node("Slice", &["x", "starts", "ends", "axes", "steps"], &["y"]), inputs);
    let x = iota(&[4, 5]);
    let slice = |start: i64, end: i64, axis: i64, step: i64| {
        run(&m, &[x.clone(), i64s(&[start]), i64s(&[end]), i64s(&[axis]), i64s(&[step])])
    };
    let y = slice(1, 100, 1, 2);
    assert_eq!((y.shape(), values(&y)), (&[4, 2][..], vec![1.0, 3.0, 6.0, 8.0, 11.0, 13.0, 16.0, 18.0]));
    let y = slice(-1, i64::MIN, 0, -2);
    let rows: Vec<f64> = [3.0, 1.0].iter().flat_map(|r| (0..5).map(move |c| r * 5.0 + c as f64)).collect();
    assert_eq!((y.shape(), values(&y)), (&[2, 5][..], rows));
    assert_eq!(slice(3, 1, -1, 1).shape(), &[4, 0]);
}

#[test]
fn unsqueeze_squeeze_tile_and_expand_given_at_run_time() {
    let x = iota(&[2, 3]);
    let m = model(node("Unsqueeze", &["x", "axes"], &["y"]), &[("x", DType::F32, &[2, 3]), ("axes", DType::I64, &[2])]);
    assert_eq!(run(&m, &[x.clone(), i64s(&[0, -1])]).shape(), &[1, 2, 3, 1]);
    assert_eq!(run(&m, &[x.clone(), i64s(&[1, 2])]).shape(), &[2, 1, 1, 3]);
    let m =
        model(node("Squeeze", &["x", "axes"], &["y"]), &[("x", DType::F32, &[1, 3, 1]), ("axes", DType::I64, &[1])]);
    assert_eq!(run(&m, &[iota(&[1, 3, 1]), i64s(&[0])]).shape(), &[3, 1]);
    assert_eq!(run(&m, &[iota(&[1, 3, 1]), i64s(&[-1])]).shape(), &[1, 3]);
    let m =
        model(node("Tile", &["x", "repeats"], &["y"]), &[("x", DType::F32, &[2, 3]), ("repeats", DType::I64, &[2])]);
    let y = run(&m, &[x.clone(), i64s(&[2, 1])]);
    assert_eq!((y.shape(), values(&y)), (&[4, 3][..], [values(&x), values(&x)].concat()));
    assert_eq!(run(&m, &[x.clone(), i64s(&[1, 3])]).shape(), &[2, 9]);
    let m = model(node("Expand", &["x", "shape"], &["y"]), &[("x", DType::F32, &[3, 1]), ("shape", DType::I64, &[3])]);
    let y = run(&m, &[iota(&[3, 1]), i64s(&[2, 1, 4])]);
    assert_eq!(y.shape(), &[2, 3, 4]);
    assert_eq!(values(&y)[4..8], [1.0; 4]);
    assert!(rejects(&m, &[iota(&[3, 1]), i64s(&[2, 2, 4])]), "3 does not broadcast to 2");
}

#[test]
fn split_and_pad_given_at_run_time() {
    let m = model(node("Split", &["x", "split"], &["a", "b"]), &[("x", DType::F32, &[5]), ("split", DType::I64, &[2])]);
    assert_eq!(values(&run(&m, &[iota(&[5]), i64s(&[2, 3])])), vec![0.0, 1.0]);
    assert_eq!(values(&run(&m, &[iota(&[5]), i64s(&[4, 1])])), vec![0.0, 1.0, 2.0, 3.0]);
    assert!(rejects(&m, &[iota(&[5]), i64s(&[2, 2])]), "the parts must add up to the axis");
    let m = model(node("Pad", &["x", "pads"], &["y"]), &[("x", DType::F32, &[2, 2]), ("pads", DType::I64, &[4])]);
    let y = run(&m, &[iota(&[2, 2]), i64s(&[0, 1, 1, -1])]);
    assert_eq!((y.shape(), values(&y)), (&[3, 2][..], vec![0.0, 0.0, 0.0, 2.0, 0.0, 0.0]));
}

#[test]
fn resize_by_scales_and_sizes_given_at_run_time() {
    let nearest = |inputs: &[&str]| {
        node("Resize", inputs, &["y"])
            .with_attr(relax_compiler::frontend::onnx::builder::attr_string("mode", "nearest"))
            .with_attr(relax_compiler::frontend::onnx::builder::attr_string(
                "coordinate_transformation_mode",
                "asymmetric",
            ))
    };
    let x = iota(&[1, 1, 2, 2]);
    let m = model(nearest(&["x", "", "scales"]), &[("x", DType::F32, &[1, 1, 2, 2]), ("scales", DType::F32, &[4])]);
    let scales = |h: f64, w: f64| NDArray::from_f64_values(DType::F32, &[4], &[1.0, 1.0, h, w]);
    let y = run(&m, &[x.clone(), scales(2.0, 1.5)]);
    // Height doubles: row i reads i / 2 rounded half down (0 0 1 1); width
    // 2 * 1.5 = 3: column j reads j / 1.5 = 0, 0.67, 1.33 rounded: 0 1 1.
    assert_eq!(y.shape(), &[1, 1, 4, 3]);
    assert_eq!(values(&y), vec![0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 2.0, 3.0, 3.0]);
    assert_eq!(run(&m, &[x.clone(), scales(0.5, 1.0)]).shape(), &[1, 1, 1, 2]);
    let m = model(nearest(&["x", "", "", "sizes"]), &[("x", DType::F32, &[1, 1, 2, 2]), ("sizes", DType::I64, &[4])]);
    let y = run(&m, &[x.clone(), i64s(&[1, 1, 1, 4])]);
    assert_eq!((y.shape(), values(&y)), (&[1, 1, 1, 4][..], vec![0.0, 0.0, 1.0, 1.0]));
}

// ---- shapes used as data: positions, scales, broadcasts the model assumes ----

/// A graph over `x: [N, S] f32` (symbolic) and optional i64 scalar inputs.
fn symbolic_model(nodes: Vec<NodeProto>, scalars: &[&str], output: &str) -> IRModule {
    let mut graph = GraphBuilder::new("shapes_as_data").input("x", DType::F32, &[Dim::var("N"), Dim::var("S")]);
    for name in scalars {
        graph = graph.input(name, DType::I64, &[]);
    }
    for n in nodes {
        graph = graph.node(n);
    }
    let bytes = graph.output(output).model(18).encode_to_vec();
    import_bytes(&bytes, Path::new("."), "shapes_as_data", &OnnxOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn scalar(v: i64) -> NDArray {
    NDArray::from_i64_values(DType::I64, &[], &[v])
}

#[test]
fn a_shape_divides_data_as_attention_scales_do() {
    // x / sqrt(float(S)), with S read from the shape.
    let m = symbolic_model(
        vec![
            node("Shape", &["x"], &["shape"]).with_attr(attr_int("start", 1)),
            node("Cast", &["shape"], &["size"]).with_attr(attr_int("to", 1)),
            node("Sqrt", &["size"], &["scale"]),
            node("Div", &["x", "scale"], &["y"]),
        ],
        &[],
        "y",
    );
    for (n, s) in [(2, 3), (1, 5)] {
        let x = iota(&[n, s]);
        let scale = (s as f32).sqrt();
        let want: Vec<f64> = values(&x).iter().map(|&v| (v as f32 / scale) as f64).collect();
        assert_eq!(values(&run(&m, &[x])), want, "N = {n}, S = {s}");
    }
}

#[test]
fn positions_range_over_a_symbolic_length() {
    // Range(0, S, 1) as exporters compute token positions.
    let zero = NDArray::from_i64_values(DType::I64, &[], &[0]);
    let one = NDArray::from_i64_values(DType::I64, &[], &[1]);
    let mut graph = GraphBuilder::new("positions").input("x", DType::F32, &[Dim::var("N"), Dim::var("S")]);
    graph = graph.initializer("zero", &zero).initializer("one", &one).initializer("axis", &one);
    let graph = graph
        .node(node("Shape", &["x"], &["shape"]))
        .node(node("Gather", &["shape", "axis"], &["len"]))
        .node(node("Range", &["zero", "len", "one"], &["positions"]))
        .output("positions");
    let bytes = graph.model(18).encode_to_vec();
    let m = import_bytes(&bytes, Path::new("."), "positions", &OnnxOptions::default()).unwrap();
    for s in [0, 1, 4] {
        let got = run(&m, &[iota(&[2, s])]);
        assert_eq!(got, NDArray::from_i64_values(DType::I64, &[s], &(0..s as i64).collect::<Vec<_>>()));
    }
}

#[test]
fn ranges_of_bounds_given_at_run_time_count_like_onnx() {
    let m =
        symbolic_model(vec![node("Range", &["start", "limit", "delta"], &["r"])], &["start", "limit", "delta"], "r");
    for (start, limit, delta) in [(0, 5, 1), (10, 4, -3), (-2, 7, 4), (3, 3, 1), (5, 1, 1), (-1, -9, -2)] {
        let inputs = [iota(&[1, 1]), scalar(start), scalar(limit), scalar(delta)];
        let want: Vec<i64> = match delta > 0 {
            true => (start..limit).step_by(delta as usize).collect(),
            false => (limit + 1..=start).rev().step_by(-delta as usize).collect(),
        };
        let got = run(&m, &inputs);
        assert_eq!(got, NDArray::from_i64_values(DType::I64, &[want.len()], &want), "Range({start}, {limit}, {delta})");
    }
}

#[test]
fn a_broadcast_the_model_assumes_is_checked_when_it_runs() {
    // x: [N, S] + y: [N, T]; ONNX requires S == T (neither is 1 here).
    let mut graph = GraphBuilder::new("assumed").input("x", DType::F32, &[Dim::var("N"), Dim::var("S")]);
    graph = graph.input("y", DType::F32, &[Dim::var("N"), Dim::var("T")]);
    let bytes = graph.node(node("Add", &["x", "y"], &["z"])).output("z").model(18).encode_to_vec();
    let m = import_bytes(&bytes, Path::new("."), "assumed", &OnnxOptions::default()).unwrap();
    let got = run(&m, &[iota(&[2, 3]), iota(&[2, 3])]);
    assert_eq!(values(&got), values(&iota(&[2, 3])).iter().map(|v| 2.0 * v).collect::<Vec<_>>());
    assert!(rejects(&m, &[iota(&[2, 3]), iota(&[2, 4])]));
}
