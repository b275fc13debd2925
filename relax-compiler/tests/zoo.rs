//! A zoo of small models in the text format, each run through every pass with
//! results checked after each one and through the simulated native entry
//! (`verify::check_passes`). Weights are random constants added in code.

use relax_compiler::text::parse_module;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;

fn module(text: &str, weights: &[(&str, DType, &[usize])]) -> IRModule {
    let mut m = parse_module(text).unwrap_or_else(|e| panic!("{e}"));
    for (i, (name, dtype, shape)) in weights.iter().enumerate() {
        m.constants.insert(name.to_string(), NDArray::random(*dtype, shape, 100 + i as u64));
    }
    m
}

fn check(m: IRModule, inputs: &[NDArray]) -> IRModule {
    check_passes(m, "forward", inputs, Tolerance { rtol: 1e-4, atol: 1e-5 }).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn cnn_with_symbolic_batch() {
    let m = module(
        r#"mod cnn {
    fn forward(x: Tensor<[n, 3, 10, 10], f32>) -> Tensor<[n, 5], f32> {
        dataflow {
            let c = relu(conv2d(x, cw, cb, strides = [2, 2], padding = [1, 1, 1, 1]));
            let p = avg_pool2d(c, kernel = [2, 2], strides = [1, 1]);
            let g = global_avg_pool2d(max_pool2d(p, kernel = [2, 2], strides = [2, 2]));
            let y = softmax(matmul(flatten(g, axis = 1), fw) + fb, axis = -1);
            output y;
        }
        y
    }
}"#,
        &[
            ("cw", DType::F32, &[8, 3, 3, 3]),
            ("cb", DType::F32, &[8]),
            ("fw", DType::F32, &[8, 5]),
            ("fb", DType::F32, &[5]),
        ],
    );
    for n in [1, 2] {
        check(m.clone(), &[NDArray::random(DType::F32, &[n, 3, 10, 10], n as u64)]);
    }
}

#[test]
fn attention_block_with_layer_norm_and_tuples() {
    let m = module(
        r#"mod block {
    fn forward(x: Tensor<[s, 8], f32>) -> Tensor<[s, 8], f32> {
        dataflow {
            let qkv = split(matmul(x, wqkv), sections = 3, axis = 1);
            let scores = matmul(qkv.0, permute_dims(qkv.1, axes = [1, 0])) * 0.35;
            let attn = matmul(softmax(scores, axis = -1), qkv.2);
            let h = layer_norm(x + attn, gamma, beta, axis = -1, epsilon = 0.00001);
            let y = h + gelu(matmul(h, w1)) * 0.5;
            output y;
        }
        y
    }
}"#,
        &[
            ("wqkv", DType::F32, &[8, 24]),
            ("gamma", DType::F32, &[8]),
            ("beta", DType::F32, &[8]),
            ("w1", DType::F32, &[8, 8]),
        ],
    );
    for s in [1, 5] {
        check(m.clone(), &[NDArray::random(DType::F32, &[s, 8], s as u64)]);
    }
}

#[test]
fn reductions_reshapes_and_a_plain_block() {
    let m = module(
        r#"mod stats {
    fn forward(x: Tensor<[n, 4, 6], f64>) -> (Tensor<[n, 6], f64>, Tensor<[n, 24], f64>) {
        let centered = x - mean(x, axes = [1], keepdims = true);
        let spread = sqrt(sum(centered * centered, axes = [1]) / 4.0);
        let flat = reshape(exp(centered) + max(x, axes = [2], keepdims = true), shape = [n, 24]);
        (spread, flat)
    }
}"#,
        &[],
    );
    check(m, &[NDArray::random(DType::F64, &[3, 4, 6], 9)]);
}

#[test]
fn integer_and_bool_dtypes() {
    let m = module(
        r#"mod ints {
    fn forward(a: Tensor<[n, 5], i64>, b: Tensor<[5], i64>) -> Tensor<[n, 5], i32> {
        let big = greater(a * b, a + 2);
        let y = cast(where(big, a - b, mod(maximum(a, b), 3)), dtype = i32);
        y
    }
}"#,
        &[],
    );
    check(m, &[NDArray::random(DType::I64, &[4, 5], 1), NDArray::random(DType::I64, &[5], 2)]);
}

#[test]
fn concat_slice_and_expand() {
    let m = module(
        r#"mod shapes {
    fn forward(x: Tensor<[n, 6], f32>) -> Tensor<[n, 2, 9], f32> {
        let a = strided_slice(x, axes = [1], begin = [1], end = [4], strides = [1]);
        let b = concat(x, a, axis = 1);
        let y = concat(expand_dims(b, axis = 1), expand_dims(tanh(b), axis = 1), axis = 1);
        y
    }
}"#,
        &[],
    );
    check(m, &[NDArray::random(DType::F32, &[2, 6], 4)]);
}

#[test]
fn plans_reuse_dead_intermediates() {
    // A chain of unfusable kernels: each intermediate dies after the next runs,
    // so the arena needs two slots, not four.
    let m = module(
        r#"mod chain {
    fn forward(x: Tensor<[16, 16], f32>) -> Tensor<[16, 16], f32> {
        let a = matmul(x, w);
        let b = matmul(a, w);
        let c = matmul(b, w);
        let d = matmul(c, w);
        let y = matmul(d, w);
        y
    }
}"#,
        &[("w", DType::F32, &[16, 16])],
    );
    let compiled = check(m, &[NDArray::random(DType::F32, &[16, 16], 5)]);
    assert_eq!(compiled.entries[0].workspace_bytes.as_int(), Some(2 * 16 * 16 * 4));
}

#[test]
fn tuple_results_are_named_after_their_variables() {
    let m = module(
        r#"mod two {
    fn forward(x: Tensor<[n, 3], f32>) -> (Tensor<[n, 3], f32>, Tensor<[n], f32>) {
        let scaled = x * 2.0;
        let total = sum(x, axes = [1]);
        (scaled, total)
    }
}"#,
        &[],
    );
    let compiled = check(m, &[NDArray::random(DType::F32, &[2, 3], 6)]);
    let names: Vec<&str> = compiled.entries[0].outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["scaled", "total"]);
}

#[test]
fn constant_and_parameter_results_are_copied_out() {
    let m = module(
        r#"mod passthrough {
    fn forward(x: Tensor<[n, 2], f32>) -> (Tensor<[n, 2], f32>, Tensor<[3], i64>, Tensor<[n, 2], f32>) {
        let twice = x + x;
        (x, table, twice)
    }
}"#,
        &[("table", DType::I64, &[3])],
    );
    let compiled = check(m, &[NDArray::random(DType::F32, &[4, 2], 8)]);
    let copies = compiled.entries[0].steps.iter().filter(|s| matches!(s, relax_compiler::ir::entry::Step::Copy { .. }));
    assert_eq!(copies.count(), 2);
}
