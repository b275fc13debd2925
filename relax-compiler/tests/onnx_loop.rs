//! ONNX `Loop` as a graph-level loop: counted loops with scan outputs and
//! while loops whose body decides when to stop, checked against the same
//! loops written in plain Rust, through every pass and the simulated native
//! entry (`verify::check_passes`).

use relax_compiler::frontend::onnx::builder::{attr_graph, attr_int, node, GraphBuilder};
use relax_compiler::frontend::onnx::proto::{GraphProto, Message, ModelProto, NodeProto};
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::run_entry;
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;
use std::path::Path;

fn import(model: &ModelProto) -> Result<IRModule, String> {
    import_bytes(&model.encode_to_vec(), Path::new("."), "net", &OnnxOptions::default()).map_err(|e| e.to_string())
}

fn loop_node(inputs: &[&str], outputs: &[&str], body: GraphProto) -> NodeProto {
    node("Loop", inputs, outputs).with_attr(attr_graph("body", body))
}

fn scalar_i64(v: i64) -> NDArray {
    NDArray::from_f64_values(DType::I64, &[], &[v as f64])
}

fn scalar_bool(v: bool) -> NDArray {
    NDArray::from_f64_values(DType::Bool, &[], &[v as u8 as f64])
}

/// The body's first two inputs: the iteration number and the condition.
fn body_header(name: &str) -> GraphBuilder {
    GraphBuilder::new(name).input("i", DType::I64, &[]).input("cond_in", DType::Bool, &[])
}

/// For each row `i` of `x` (`[n, 3]`, `n` symbolic): `acc += x[i] * i`, with
/// `acc` after each row stacked as a scan output. The trip count is
/// `Shape(x)[0]`, a dim, and the condition is passed through unchanged.
fn row_sum_model() -> ModelProto {
    let body = body_header("rows")
        .input("acc_in", DType::F32, &[Dim::Int(3)])
        .node(node("Identity", &["cond_in"], &["cond_out"]))
        .node(node("Gather", &["x", "i"], &["row"]).with_attr(attr_int("axis", 0)))
        .node(node("Cast", &["i"], &["weight"]).with_attr(attr_int("to", 1)))
        .node(node("Mul", &["row", "weight"], &["weighted"]))
        .node(node("Add", &["acc_in", "weighted"], &["acc_out"]))
        .node(node("Identity", &["acc_out"], &["seen"]))
        .output("cond_out")
        .output("acc_out")
        .output("seen")
        .build();
    GraphBuilder::new("rows")
        .input("init", DType::F32, &[Dim::Int(3)])
        .input("x", DType::F32, &[Dim::var("n"), Dim::Int(3)])
        .initializer("zero", &NDArray::from_f64_values(DType::I64, &[1], &[0.0]))
        .node(node("Shape", &["x"], &["shape"]))
        .node(node("Gather", &["shape", "zero"], &["rows"]).with_attr(attr_int("axis", 0)))
        .node(node("Squeeze", &["rows"], &["m"]))
        .node(loop_node(&["m", "", "init"], &["total", "history"], body))
        .output("total")
        .output("history")
        .model(16)
}

fn row_sum_expected(init: &[f32], x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let mut acc = init.to_vec();
    let mut history = Vec::new();
    for (i, row) in x.chunks(3).enumerate() {
        for (a, v) in acc.iter_mut().zip(row) {
            *a += v * i as f32;
        }
        history.extend(&acc);
    }
    (acc, history)
}

#[test]
fn a_loop_over_the_rows_of_its_input_stacks_its_scan_output() {
    let module = import(&row_sum_model()).unwrap_or_else(|e| panic!("{e}"));
    let init = NDArray::from_f32(&[3], vec![1.0, -1.0, 0.5]);
    let x: Vec<f32> = (0..12).map(|v| v as f32 * 0.25 - 1.0).collect();
    let inputs = [init.clone(), NDArray::from_f32(&[4, 3], x.clone())];
    let compiled = check_passes(module, "forward", &inputs, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    let printed = relax_compiler::text::print_module(&compiled);
    assert!(printed.contains("loop [n] ("), "the loop runs once per row, a dim: {printed}");
    for rows in [4, 1, 0] {
        let x = NDArray::from_f32(&[rows, 3], x[..rows * 3].to_vec());
        let got = run_entry(&compiled, "forward", &[init.clone(), x.clone()]).unwrap_or_else(|e| panic!("{e}"));
        let (total, history) = row_sum_expected(init.as_f32().unwrap(), x.as_f32().unwrap());
        got[0].assert_close(&NDArray::from_f32(&[3], total), 1e-6, 1e-6).unwrap();
        got[1].assert_close(&NDArray::from_f32(&[rows, 3], history), 1e-6, 1e-6).unwrap();
    }
}

/// `while sum(x) > 1 (at most 10 times): x = x * 0.5`, counting the halvings
/// in a float: the body computes the condition, so this is a while loop.
fn halving_model() -> ModelProto {
    let body = body_header("halve")
        .input("x_in", DType::F32, &[Dim::Int(3)])
        .input("count_in", DType::F32, &[])
        .initializer("half", &NDArray::from_f32(&[], vec![0.5]))
        .initializer("one", &NDArray::from_f32(&[], vec![1.0]))
        .node(node("Mul", &["x_in", "half"], &["x_out"]))
        .node(node("Add", &["count_in", "one"], &["count_out"]))
        .node(node("ReduceSum", &["x_out"], &["total"]).with_attr(attr_int("keepdims", 0)))
        .node(node("Greater", &["total", "one"], &["cond_out"]))
        .output("cond_out")
        .output("x_out")
        .output("count_out")
        .build();
    GraphBuilder::new("halving")
        .input("x", DType::F32, &[Dim::Int(3)])
        .initializer("ten", &scalar_i64(10))
        .initializer("yes", &scalar_bool(true))
        .initializer("no_halvings", &NDArray::from_f32(&[], vec![0.0]))
        .node(loop_node(&["ten", "yes", "x", "no_halvings"], &["halved", "halvings"], body))
        .output("halved")
        .output("halvings")
        .model(16)
}

fn halving_expected(x: &[f32]) -> (Vec<f32>, f32) {
    let mut x = x.to_vec();
    let mut count = 0;
    loop {
        x.iter_mut().for_each(|v| *v *= 0.5);
        count += 1;
        if x.iter().sum::<f32>() <= 1.0 || count == 10 {
            return (x, count as f32);
        }
    }
}

#[test]
fn a_while_loop_stops_when_its_body_says_so_or_at_the_trip_count() {
    let module = import(&halving_model()).unwrap_or_else(|e| panic!("{e}"));
    let printed = relax_compiler::text::print_module(&module);
    assert!(printed.contains("loop [10] while keep_going"), "{printed}");
    let sets = [[0.25f32, 0.25, 0.25], [3.0, 2.0, 1.0], [4000.0, 3000.0, 1000.0]];
    let compiled = check_passes(module, "forward", &[NDArray::from_f32(&[3], sets[1].to_vec())], Tolerance::default())
        .unwrap_or_else(|e| panic!("{e}"));
    for (set, want_count) in sets.iter().zip([1.0, 3.0, 10.0]) {
        let got = run_entry(&compiled, "forward", &[NDArray::from_f32(&[3], set.to_vec())]).unwrap();
        let (x, count) = halving_expected(set);
        assert_eq!(count, want_count, "the Rust loop itself");
        got[0].assert_close(&NDArray::from_f32(&[3], x), 1e-6, 1e-6).unwrap();
        got[1].assert_close(&NDArray::from_f32(&[], vec![count]), 0.0, 0.0).unwrap();
    }
}

/// `test_loop11`'s shape: trip count and condition are graph inputs, so the
/// number of rows of the scan output, `cond ? max(M, 0) : 0`, is a dim the
/// entry reads from the inputs before the loop runs.
fn inputs_drive_the_loop_model() -> ModelProto {
    let body = body_header("accumulate")
        .input("y_in", DType::F32, &[Dim::Int(1)])
        .node(node("Identity", &["cond_in"], &["cond_out"]))
        .node(node("Cast", &["i"], &["step"]).with_attr(attr_int("to", 1)))
        .node(node("Add", &["y_in", "step"], &["y_out"]))
        .node(node("Identity", &["y_out"], &["seen"]))
        .output("cond_out")
        .output("y_out")
        .output("seen")
        .build();
    GraphBuilder::new("driven")
        .input("m", DType::I64, &[])
        .input("cond", DType::Bool, &[])
        .input("y", DType::F32, &[Dim::Int(1)])
        .node(loop_node(&["m", "cond", "y"], &["y_last", "ys"], body))
        .output("y_last")
        .output("ys")
        .model(11)
}

#[test]
fn a_trip_count_and_condition_passed_as_inputs_size_the_scan_output() {
    let module = import(&inputs_drive_the_loop_model()).unwrap_or_else(|e| panic!("{e}"));
    let y = NDArray::from_f32(&[1], vec![0.5]);
    let first = [scalar_i64(4), scalar_bool(true), y.clone()];
    let compiled = check_passes(module, "forward", &first, Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    for (m, cond, rows) in [(4, true, 4), (2, true, 2), (4, false, 0), (-3, true, 0)] {
        let got = run_entry(&compiled, "forward", &[scalar_i64(m), scalar_bool(cond), y.clone()]).unwrap();
        // y after iteration i is 0.5 + (0 + 1 + .. + i).
        let ys: Vec<f32> = (0..rows).map(|i| 0.5 + (i * (i + 1) / 2) as f32).collect();
        let last = ys.last().copied().unwrap_or(0.5);
        got[0].assert_close(&NDArray::from_f32(&[1], vec![last]), 0.0, 0.0).unwrap();
        got[1].assert_close(&NDArray::from_f32(&[rows as usize, 1], ys), 0.0, 0.0).unwrap();
    }
}

/// `M` computed from data (the largest element of `k`): the loop compares
/// its counter with it at run time, so it is a while loop with no scan output.
fn data_trip_count_model(scan_output: bool) -> ModelProto {
    let mut body = body_header("count")
        .input("n_in", DType::F32, &[])
        .initializer("one", &NDArray::from_f32(&[], vec![1.0]))
        .node(node("Identity", &["cond_in"], &["cond_out"]))
        .node(node("Add", &["n_in", "one"], &["n_out"]))
        .output("cond_out")
        .output("n_out");
    if scan_output {
        body = body.output("n_out");
    }
    let outputs: &[&str] = if scan_output { &["n", "ns"] } else { &["n"] };
    let graph = GraphBuilder::new("counting")
        .input("k", DType::I64, &[Dim::var("len")])
        .initializer("nothing", &NDArray::from_f32(&[], vec![0.0]))
        .node(node("ReduceMax", &["k"], &["m"]).with_attr(attr_int("keepdims", 0)))
        .node(loop_node(&["m", "", "nothing"], outputs, body.build()));
    outputs.iter().fold(graph, |g, o| g.output(o)).model(16)
}

#[test]
fn a_trip_count_computed_at_run_time_is_compared_with_the_iteration_number() {
    let module = import(&data_trip_count_model(false)).unwrap_or_else(|e| panic!("{e}"));
    let k =
        |v: &[i64]| NDArray::from_f64_values(DType::I64, &[v.len()], &v.iter().map(|&x| x as f64).collect::<Vec<_>>());
    let compiled =
        check_passes(module, "forward", &[k(&[2, 5, 1])], Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    for (values, want) in [(&[2i64, 5, 1][..], 5.0), (&[0], 0.0), (&[-4, -1], 0.0), (&[7], 7.0)] {
        let got = run_entry(&compiled, "forward", &[k(values)]).unwrap();
        got[0].assert_close(&NDArray::from_f32(&[], vec![want]), 0.0, 0.0).unwrap();
    }
}

#[test]
fn loops_whose_length_or_end_cannot_be_known_are_rejected_naming_the_node() {
    let err = import(&data_trip_count_model(true)).unwrap_err();
    assert!(err.contains("Loop") && err.contains("scan output") && err.contains("output shape"), "{err}");
    let forever = body_header("forever")
        .input("x_in", DType::F32, &[Dim::Int(1)])
        .initializer("yes", &scalar_bool(true))
        .node(node("Identity", &["yes"], &["cond_out"]))
        .node(node("Identity", &["x_in"], &["x_out"]))
        .output("cond_out")
        .output("x_out")
        .build();
    let model = GraphBuilder::new("forever")
        .input("x", DType::F32, &[Dim::Int(1)])
        .node(loop_node(&["", "", "x"], &["y"], forever))
        .output("y")
        .model(16);
    let err = import(&model).unwrap_err();
    assert!(err.contains("never end"), "{err}");
    let growing = body_header("growing")
        .input("x_in", DType::F32, &[Dim::Int(1)])
        .node(node("Identity", &["cond_in"], &["cond_out"]))
        .node(node("Concat", &["x_in", "x_in"], &["x_out"]).with_attr(attr_int("axis", 0)))
        .output("cond_out")
        .output("x_out")
        .build();
    let model = GraphBuilder::new("growing")
        .input("x", DType::F32, &[Dim::Int(1)])
        .initializer("three", &scalar_i64(3))
        .node(loop_node(&["three", "", "x"], &["y"], growing))
        .output("y")
        .model(16);
    let err = import(&model).unwrap_err();
    assert!(err.contains("must keep its shape"), "{err}");
}
