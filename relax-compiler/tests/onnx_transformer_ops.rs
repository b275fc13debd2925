//! The ONNX operators of transformer and state-space layers (`Attention`,
//! `LinearAttention`, `RMSNormalization`, `RotaryEmbedding`, `SwiGLU`,
//! `CausalConvWithState`),
//! one node at a time, run through every pass and compared with values
//! computed here from the ONNX definitions: by hand for the small cases, and
//! with loops over plain f64 arithmetic written from the specification text
//! for the others.

mod common;

use common::{run_node, single_node};
use relax_compiler::frontend::onnx::builder::GraphBuilder;
use relax_compiler::frontend::onnx::builder::{attr_float, attr_int, attr_string, node};
use relax_compiler::frontend::onnx::proto::Message;
use relax_compiler::frontend::onnx::proto::NodeProto;
use relax_compiler::frontend::onnx::{import_bytes, OnnxOptions};
use relax_compiler::interp::{run_function, Value};
use relax_compiler::ir::Dim;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::{NDArray, Scalar};
use relax_rt::DType;
use std::path::Path;

/// The import errors of `node` alone over run-time inputs `args`, one per line.
fn import_error(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> String {
    common::import_error(&single_node(node, args, &[]).model(opset)).join("\n")
}

fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F32, shape, values)
}

fn random(shape: &[usize], seed: u64) -> NDArray {
    NDArray::random(DType::F32, shape, seed)
}

fn bools(shape: &[usize], values: &[bool]) -> NDArray {
    NDArray::from_i64_values(DType::Bool, shape, &values.iter().map(|&b| b as i64).collect::<Vec<_>>())
}

fn assert_close(got: &NDArray, want: &NDArray) {
    got.assert_close(want, 1e-5, 1e-6).unwrap_or_else(|e| panic!("{e}"));
}

// ---- Attention ----

/// Attention in f64, written from the ONNX text: `q` `[b, qh, s, d]`, `k`
/// `[b, kvh, t, d]` (past keys included), `v` `[b, kvh, t, dv]`; query head
/// `h` reads key/value head `h / (qh / kvh)`. `bias(b, h, i, j)` is the
/// additive mask. Returns `Y` `[b, qh, s, dv]` and the probabilities.
struct Reference {
    scale: f64,
    softcap: f64,
}

impl Reference {
    fn run(&self, q: &NDArray, k: &NDArray, v: &NDArray, bias: impl Fn([usize; 4]) -> f64) -> (NDArray, NDArray) {
        let [b, qh, s, d] = dims4(q);
        let [_, kvh, t, _] = dims4(k);
        let dv = v.shape()[3];
        let (mut y, mut probs) = (vec![0.0; b * qh * s * dv], vec![0.0; b * qh * s * t]);
        for (bi, h, i) in (0..b).flat_map(|bi| (0..qh).flat_map(move |h| (0..s).map(move |i| (bi, h, i)))) {
            let g = h / (qh / kvh);
            let biases: Vec<f64> = (0..t).map(|j| bias([bi, h, i, j])).collect();
            if biases.iter().all(|&x| x == f64::NEG_INFINITY) {
                continue; // A fully masked row is zero.
            }
            let scores: Vec<f64> = (0..t)
                .map(|j| {
                    let dot: f64 = (0..d).map(|e| q.at(&[bi, h, i, e]).to_f64() * k.at(&[bi, g, j, e]).to_f64()).sum();
                    let x = dot * self.scale;
                    let capped = if self.softcap > 0.0 { self.softcap * (x / self.softcap).tanh() } else { x };
                    capped + biases[j]
                })
                .collect();
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = scores.iter().map(|x| (x - max).exp()).sum();
            let row = ((bi * qh + h) * s + i) * t;
            for j in 0..t {
                probs[row + j] = (scores[j] - max).exp() / total;
                for e in 0..dv {
                    y[((bi * qh + h) * s + i) * dv + e] += probs[row + j] * v.at(&[bi, g, j, e]).to_f64();
                }
            }
        }
        (f32s(&[b, qh, s, dv], &y), f32s(&[b, qh, s, t], &probs))
    }
}

fn dims4(x: &NDArray) -> [usize; 4] {
    x.shape().try_into().expect("a 4-D tensor")
}

/// `past` and `current` joined along the sequence axis (2).
fn concat_seq(past: &NDArray, current: &NDArray) -> NDArray {
    let [b, h, p, d] = dims4(past);
    let c = current.shape()[2];
    NDArray::from_fn(DType::F32, &[b, h, p + c, d], |flat| {
        let (bi, hi, j, e) = (flat / (h * (p + c) * d), flat / ((p + c) * d) % h, flat / d % (p + c), flat % d);
        if j < p {
            past.at(&[bi, hi, j, e])
        } else {
            current.at(&[bi, hi, j - p, e])
        }
    })
}

fn allowed(yes: bool) -> f64 {
    if yes {
        0.0
    } else {
        f64::NEG_INFINITY
    }
}

#[test]
fn attention_with_zero_queries_averages_the_allowed_values() {
    // Zero queries score every key 0, so each output row is the mean of the
    // values its causal frontier allows: with 1 past key, query 0 sees keys
    // 0..=1 and query 1 keys 0..=2.
    let q = NDArray::zeros(DType::F32, &[1, 1, 2, 2]);
    let k = random(&[1, 1, 2, 2], 1);
    let v = f32s(&[1, 1, 2, 1], &[10.0, 40.0]);
    let (past_k, past_v) = (random(&[1, 1, 1, 2], 2), f32s(&[1, 1, 1, 1], &[1.0]));
    let n = node("Attention", &["q", "k", "v", "", "pk", "pv"], &["y", "present_k", "present_v"])
        .with_attr(attr_int("is_causal", 1));
    let got = run_node(23, n, &[("q", &q), ("k", &k), ("v", &v), ("pk", &past_k), ("pv", &past_v)], &[]);
    assert_close(&got[0], &f32s(&[1, 1, 2, 1], &[(1.0 + 10.0) / 2.0, (1.0 + 10.0 + 40.0) / 3.0]));
    assert_eq!(got[1], concat_seq(&past_k, &k));
    assert_eq!(got[2], concat_seq(&past_v, &v));
}

#[test]
fn grouped_query_attention_with_causal_past_matches_the_reference() {
    // Four query heads share two key/value heads; two past keys shift the
    // causal frontier: query i sees keys j <= i + 2.
    let (q, k, v) = (random(&[2, 4, 3, 5], 3), random(&[2, 2, 3, 5], 4), random(&[2, 2, 3, 6], 5));
    let (past_k, past_v) = (random(&[2, 2, 2, 5], 6), random(&[2, 2, 2, 6], 7));
    let n = node("Attention", &["q", "k", "v", "", "pk", "pv"], &["y", "present_k", "present_v", "qk"])
        .with_attr(attr_int("is_causal", 1));
    let args = [("q", &q), ("k", &k), ("v", &v), ("pk", &past_k), ("pv", &past_v)];
    let got = run_node(23, n, &args, &[]);
    let (keys, values) = (concat_seq(&past_k, &k), concat_seq(&past_v, &v));
    let reference = Reference { scale: 1.0 / 5f64.sqrt(), softcap: 0.0 };
    let (y, _) = reference.run(&q, &keys, &values, |[_, _, i, j]| allowed(j <= i + 2));
    assert_close(&got[0], &y);
    assert_eq!((&got[1], &got[2]), (&keys, &values));
    // Mode 0: the scaled product alone, before any mask.
    let qk = NDArray::from_fn(DType::F32, &[2, 4, 3, 5], |flat| {
        let (b, h, i, j) = (flat / 60, flat / 15 % 4, flat / 5 % 3, flat % 5);
        let dot: f64 = (0..5).map(|e| q.at(&[b, h, i, e]).to_f64() * keys.at(&[b, h / 2, j, e]).to_f64()).sum();
        Scalar::F(dot * reference.scale)
    });
    assert_close(&got[3], &qk);
}

/// `[b, s, heads * d]` from `[b, heads, s, d]`.
fn packed(x: &NDArray) -> NDArray {
    let [b, h, s, d] = dims4(x);
    NDArray::from_fn(DType::F32, &[b, s, h * d], |flat| {
        let (bi, i, c) = (flat / (s * h * d), flat / (h * d) % s, flat % (h * d));
        x.at(&[bi, c / d, i, c % d])
    })
}

#[test]
fn three_d_attention_with_bool_mask_scale_and_softcap() {
    let (q, k, v) = (random(&[1, 2, 3, 4], 8), random(&[1, 2, 4, 4], 9), random(&[1, 2, 4, 2], 10));
    let keep = [true, false, true, true, false, true, true, false, true, true, true, false];
    let mask = bools(&[3, 4], &keep);
    let n = node("Attention", &["q", "k", "v", "mask"], &["y", "", "", "qk"])
        .with_attr(attr_int("q_num_heads", 2))
        .with_attr(attr_int("kv_num_heads", 2))
        .with_attr(attr_float("scale", 0.75))
        .with_attr(attr_float("softcap", 1.5))
        .with_attr(attr_int("qk_matmul_output_mode", 1));
    let args = [("q", &packed(&q)), ("k", &packed(&k)), ("v", &packed(&v)), ("mask", &mask)];
    let got = run_node(23, n, &args, &[]);
    let reference = Reference { scale: 0.75, softcap: 1.5 };
    let (y, _) = reference.run(&q, &k, &v, |[_, _, i, j]| allowed(keep[i * 4 + j]));
    assert_close(&got[0], &packed(&y));
    // Mode 1: soft-capped scores, before the mask.
    let want = NDArray::from_fn(DType::F32, &[1, 2, 3, 4], |flat| {
        let (h, i, j) = (flat / 12, flat / 4 % 3, flat % 4);
        let dot: f64 = (0..4).map(|e| q.at(&[0, h, i, e]).to_f64() * k.at(&[0, h, j, e]).to_f64()).sum();
        Scalar::F(1.5 * (dot * 0.75 / 1.5).tanh())
    });
    assert_close(&got[1], &want);
}

#[test]
fn fully_masked_rows_are_zero_in_the_output_and_the_probabilities() {
    let (q, k, v) = (random(&[1, 1, 3, 2], 11), random(&[1, 1, 3, 2], 12), random(&[1, 1, 3, 2], 13));
    // Row 1 masks every key with -inf; the mask is a run-time input, so the
    // guard is computed at run time.
    let inf = f64::NEG_INFINITY;
    let mask_values = [0.0, -1.0, inf, inf, inf, inf, 0.5, 0.0, 0.0];
    let mask = f32s(&[3, 3], &mask_values);
    let n = node("Attention", &["q", "k", "v", "mask"], &["y", "", "", "probs"])
        .with_attr(attr_int("qk_matmul_output_mode", 3));
    let got = run_node(23, n, &[("q", &q), ("k", &k), ("v", &v), ("mask", &mask)], &[]);
    let reference = Reference { scale: 1.0 / 2f64.sqrt(), softcap: 0.0 };
    let (y, probs) = reference.run(&q, &k, &v, |[_, _, i, j]| mask_values[i * 3 + j]);
    assert_close(&got[0], &y);
    assert_close(&got[1], &probs);
    assert!((0..2).all(|e| got[0].at(&[0, 0, 1, e]).to_f64() == 0.0));
    assert!((0..3).all(|j| got[1].at(&[0, 0, 1, j]).to_f64() == 0.0));
    // A constant all-false boolean row is folded into the guard.
    let keep = bools(&[3, 3], &[false, false, false, true, true, false, true, true, true]);
    let n = node("Attention", &["q", "k", "v", "keep"], &["y"]);
    let got = run_node(23, n, &[("q", &q), ("k", &k), ("v", &v)], &[("keep", &keep)]);
    let (y, _) = reference.run(&q, &k, &v, |[_, _, i, j]| allowed(keep.at(&[i, j]).to_bool()));
    assert_close(&got[0], &y);
    assert!((0..2).all(|e| got[0].at(&[0, 0, 0, e]).to_f64() == 0.0));
}

#[test]
fn a_short_mask_is_padded_with_minus_infinity() {
    // Two of four keys are covered by the mask; the others are masked out,
    // which mode 2 (scores with the bias) shows as -inf.
    let (q, k, v) = (random(&[1, 1, 2, 3], 14), random(&[1, 1, 4, 3], 15), random(&[1, 1, 4, 3], 16));
    let mask = f32s(&[2, 2], &[0.0, -0.5, 0.25, 0.0]);
    let n = node("Attention", &["q", "k", "v", "mask"], &["y", "", "", "scores"])
        .with_attr(attr_int("qk_matmul_output_mode", 2));
    let got = run_node(24, n, &[("q", &q), ("k", &k), ("v", &v), ("mask", &mask)], &[]);
    let reference = Reference { scale: 1.0 / 3f64.sqrt(), softcap: 0.0 };
    let bias = |[_, _, i, j]: [usize; 4]| if j < 2 { mask.at(&[i, j]).to_f64() } else { f64::NEG_INFINITY };
    let (y, _) = reference.run(&q, &k, &v, bias);
    assert_close(&got[0], &y);
    assert!((0..2).all(|i| (2..4).all(|j| got[1].at(&[0, 0, i, j]).to_f64() == f64::NEG_INFINITY)));
}

#[test]
fn nonpad_kv_seqlen_masks_padding_and_aligns_the_causal_frontier_per_batch() {
    // Two queries over a four-key external cache holding 2 and 4 valid keys:
    // the offsets are 0 and 2, so batch 0 sees j <= i (and j < 2), batch 1
    // sees j <= i + 2.
    let (q, k, v) = (random(&[2, 1, 2, 3], 17), random(&[2, 1, 4, 3], 18), random(&[2, 1, 4, 3], 19));
    let valid = NDArray::from_i64_values(DType::I64, &[2], &[2, 4]);
    let n = node("Attention", &["q", "k", "v", "", "", "", "valid"], &["y"]).with_attr(attr_int("is_causal", 1));
    let got = run_node(24, n, &[("q", &q), ("k", &k), ("v", &v), ("valid", &valid)], &[]);
    let reference = Reference { scale: 1.0 / 3f64.sqrt(), softcap: 0.0 };
    let lengths = [2, 4];
    let (y, _) = reference.run(&q, &k, &v, |[b, _, i, j]| allowed(j < lengths[b] && j + 2 <= i + lengths[b]));
    assert_close(&got[0], &y);
}

#[test]
fn sliding_windows_bound_both_sides() {
    // Opset 25: key j is visible to query i when i - 1 <= j <= i + 2.
    let (q, k, v) = (random(&[1, 2, 5, 2], 20), random(&[1, 2, 5, 2], 21), random(&[1, 2, 5, 2], 22));
    let n = node("Attention", &["q", "k", "v"], &["y"])
        .with_attr(attr_int("left_window_size", 1))
        .with_attr(attr_int("right_window_size", 2));
    let got = run_node(25, n, &[("q", &q), ("k", &k), ("v", &v)], &[]);
    let reference = Reference { scale: 1.0 / 2f64.sqrt(), softcap: 0.0 };
    let (y, _) = reference.run(&q, &k, &v, |[_, _, i, j]| allowed(j + 1 >= i && j <= i + 2));
    assert_close(&got[0], &y);
}

#[test]
fn attention_over_symbolic_batch_and_sequence_lengths() {
    // Without positional masks nothing needs the lengths at compile time;
    // the causal frontier does, and says so.
    let dims = |heads: i64| [Dim::var("n"), Dim::Int(heads), Dim::var("s"), Dim::Int(4)];
    let build = |n: NodeProto| {
        let g = GraphBuilder::new("dynamic")
            .input("q", DType::F32, &dims(4))
            .input("k", DType::F32, &dims(2))
            .input("v", DType::F32, &dims(2))
            .node(n)
            .output("y");
        import_bytes(&g.model(23).encode_to_vec(), Path::new("."), "dynamic", &OnnxOptions::default())
    };
    let module = build(node("Attention", &["q", "k", "v"], &["y"])).unwrap_or_else(|e| panic!("{e}"));
    let (q, k, v) = (random(&[2, 4, 3, 4], 37), random(&[2, 2, 3, 4], 38), random(&[2, 2, 3, 4], 39));
    let inputs = [q.clone(), k.clone(), v.clone()];
    let got = run_function(&module, "forward", inputs.iter().cloned().map(Value::Tensor).collect()).unwrap();
    let (y, _) = Reference { scale: 0.5, softcap: 0.0 }.run(&q, &k, &v, |_| 0.0);
    assert_close(got.tensors()[0], &y);
    check_passes(module, "forward", &inputs, Tolerance { rtol: 1e-5, atol: 1e-6 }).unwrap_or_else(|e| panic!("{e}"));
    let causal = node("Attention", &["q", "k", "v"], &["y"]).with_attr(attr_int("is_causal", 1));
    let err = build(causal).expect_err("symbolic lengths").to_string();
    assert!(err.contains("is_causal or a sliding window needs the query and key sequence lengths"), "{err}");
}

#[test]
fn attention_rejects_what_onnx_does_not_define() {
    let x3 = random(&[1, 2, 4], 23);
    let three_d = [("q", &x3), ("k", &x3), ("v", &x3)];
    let err = import_error(23, node("Attention", &["q", "k", "v"], &["y"]), &three_d);
    assert!(err.contains("3-D inputs need positive attributes q_num_heads and kv_num_heads"), "{err}");
    let window = node("Attention", &["q", "k", "v"], &["y"]).with_attr(attr_int("left_window_size", 1));
    let err = import_error(24, window, &three_d);
    assert!(err.contains("attribute `left_window_size` exists from opset 25"), "{err}");
    let mode = node("Attention", &["q", "k", "v"], &["y"]).with_attr(attr_int("qk_matmul_output_mode", 4));
    assert!(import_error(23, mode, &three_d).contains("qk_matmul_output_mode=4 must be 0, 1, 2 or 3"));
    let x4 = random(&[1, 3, 2, 4], 24);
    let k4 = random(&[1, 2, 2, 4], 25);
    let uneven = node("Attention", &["q", "k", "v"], &["y"]);
    let err = import_error(23, uneven, &[("q", &x4), ("k", &k4), ("v", &k4)]);
    assert!(err.contains("the 3 query heads are not a multiple of the 2 key/value heads"), "{err}");
    let lone_past = node("Attention", &["q", "k", "v", "", "pk"], &["y"]);
    let err = import_error(23, lone_past, &[("q", &x4), ("k", &x4), ("v", &x4), ("pk", &x4)]);
    assert!(err.contains("past_key and past_value must be given together"), "{err}");
}

// ---- LinearAttention ----

/// The recurrence of `LinearAttention` in f64, written from the ONNX text,
/// on unpacked `[batch, heads, tokens, size]` inputs: per key/value head,
/// decay the state by `exp(decay)`, replace `v` by `beta * (v - S^T k)`, add
/// `k ⊗ v`, and read `scale * q^T S` for each query head of the group.
/// Returns the output `[batch, q_heads, tokens, value_size]` and the state.
struct Recurrence<'a> {
    q: &'a NDArray,
    k: &'a NDArray,
    v: &'a NDArray,
    past: Option<&'a NDArray>,
    decay: Option<&'a NDArray>,
    beta: Option<&'a NDArray>,
    scale: f64,
}

impl Recurrence<'_> {
    fn run(&self) -> (NDArray, NDArray) {
        let [b, qh, t, dk] = dims4(self.q);
        let (kvh, dv) = (self.k.shape()[1], self.v.shape()[3]);
        let mut out = vec![0.0; b * qh * t * dv];
        let mut states = vec![0.0; b * kvh * dk * dv];
        for (bi, g) in (0..b).flat_map(|bi| (0..kvh).map(move |g| (bi, g))) {
            let mut s: Vec<Vec<f64>> = (0..dk)
                .map(|d| (0..dv).map(|m| self.past.map_or(0.0, |p| p.at(&[bi, g, d, m]).to_f64())).collect())
                .collect();
            for ti in 0..t {
                if let Some(decay) = self.decay {
                    let per_key = decay.shape()[3] > 1;
                    for (d, row) in s.iter_mut().enumerate() {
                        let factor = decay.at(&[bi, g, ti, if per_key { d } else { 0 }]).to_f64().exp();
                        row.iter_mut().for_each(|x| *x *= factor);
                    }
                }
                let k: Vec<f64> = (0..dk).map(|d| self.k.at(&[bi, g, ti, d]).to_f64()).collect();
                let mut v: Vec<f64> = (0..dv).map(|m| self.v.at(&[bi, g, ti, m]).to_f64()).collect();
                if let Some(beta) = self.beta {
                    let rate = beta.at(&[bi, if beta.shape()[1] > 1 { g } else { 0 }, ti, 0]).to_f64();
                    for (m, x) in v.iter_mut().enumerate() {
                        let recalled: f64 = (0..dk).map(|d| s[d][m] * k[d]).sum();
                        *x = rate * (*x - recalled);
                    }
                }
                for d in 0..dk {
                    for m in 0..dv {
                        s[d][m] += k[d] * v[m];
                    }
                }
                for h in g * (qh / kvh)..(g + 1) * (qh / kvh) {
                    for m in 0..dv {
                        let read: f64 = (0..dk).map(|d| self.q.at(&[bi, h, ti, d]).to_f64() * s[d][m]).sum();
                        out[((bi * qh + h) * t + ti) * dv + m] = self.scale * read;
                    }
                }
            }
            for d in 0..dk {
                for m in 0..dv {
                    states[((bi * kvh + g) * dk + d) * dv + m] = s[d][m];
                }
            }
        }
        (f32s(&[b, qh, t, dv], &out), f32s(&[b, kvh, dk, dv], &states))
    }
}

fn linear_attention(rule: &str, q_heads: i64, kv_heads: i64, inputs: &[&str]) -> NodeProto {
    node("LinearAttention", inputs, &["y", "state"])
        .with_attr(attr_string("update_rule", rule))
        .with_attr(attr_int("q_num_heads", q_heads))
        .with_attr(attr_int("kv_num_heads", kv_heads))
}

#[test]
fn linear_attention_by_hand() {
    // One head of size 1, rule `linear`, scale 1: the state is the running
    // sum of k * v and each output is q times it.
    let (q, k, v) =
        (f32s(&[1, 3, 1], &[1.0, 2.0, -1.0]), f32s(&[1, 3, 1], &[2.0, 1.0, 3.0]), f32s(&[1, 3, 1], &[5.0, -4.0, 1.0]));
    let n = linear_attention("linear", 1, 1, &["q", "k", "v"]).with_attr(attr_float("scale", 1.0));
    let got = run_node(27, n, &[("q", &q), ("k", &k), ("v", &v)], &[]);
    // States 10, 10 - 4 = 6, 6 + 3 = 9.
    assert_close(&got[0], &f32s(&[1, 3, 1], &[10.0, 12.0, -9.0]));
    assert_close(&got[1], &f32s(&[1, 1, 1, 1], &[9.0]));
}

#[test]
fn gated_delta_linear_attention_with_grouped_heads_and_past_state() {
    // Four query heads over two key/value heads, three tokens, per-key decay
    // and per-head beta, continuing from a past state.
    let (q, k, v) = (random(&[1, 4, 3, 2], 40), random(&[1, 2, 3, 2], 41), random(&[1, 2, 3, 3], 42));
    let (decay, beta, past) = (random(&[1, 2, 3, 2], 43), random(&[1, 2, 3, 1], 44), random(&[1, 2, 2, 3], 45));
    let n = linear_attention("gated_delta", 4, 2, &["q", "k", "v", "past", "decay", "beta"]);
    let args = [
        ("q", &packed(&q)),
        ("k", &packed(&k)),
        ("v", &packed(&v)),
        ("past", &past),
        ("decay", &packed(&decay)),
        ("beta", &packed(&beta)),
    ];
    let got = run_node(27, n, &args, &[]);
    let recurrence = Recurrence {
        q: &q,
        k: &k,
        v: &v,
        past: Some(&past),
        decay: Some(&decay),
        beta: Some(&beta),
        scale: 1.0 / 2f64.sqrt(),
    };
    let (y, state) = recurrence.run();
    assert_close(&got[0], &packed(&y));
    assert_close(&got[1], &state);
}

#[test]
fn gated_and_delta_rules_from_a_zero_state() {
    let (q, k, v) = (random(&[2, 2, 2, 3], 46), random(&[2, 2, 2, 3], 47), random(&[2, 2, 2, 2], 48));
    // `gated` with one decay per head.
    let decay = random(&[2, 2, 2, 1], 49);
    let n = linear_attention("gated", 2, 2, &["q", "k", "v", "", "decay"]).with_attr(attr_float("scale", 0.5));
    let args = [("q", &packed(&q)), ("k", &packed(&k)), ("v", &packed(&v)), ("decay", &packed(&decay))];
    let got = run_node(27, n, &args, &[]);
    let base = Recurrence { q: &q, k: &k, v: &v, past: None, decay: Some(&decay), beta: None, scale: 0.5 };
    let (y, state) = base.run();
    assert_close(&got[0], &packed(&y));
    assert_close(&got[1], &state);
    // `delta` with one beta shared by both heads.
    let beta = random(&[2, 1, 2, 1], 50);
    let n = linear_attention("delta", 2, 2, &["q", "k", "v", "", "", "beta"]);
    let args = [("q", &packed(&q)), ("k", &packed(&k)), ("v", &packed(&v)), ("beta", &packed(&beta))];
    let got = run_node(27, n, &args, &[]);
    let delta = Recurrence { decay: None, beta: Some(&beta), scale: 1.0 / 3f64.sqrt(), ..base };
    let (y, state) = delta.run();
    assert_close(&got[0], &packed(&y));
    assert_close(&got[1], &state);
}

#[test]
fn linear_attention_rejects_missing_gates_and_long_sequences() {
    let x = random(&[1, 2, 4], 51);
    let args = [("q", &x), ("k", &x), ("v", &x)];
    let err = import_error(27, linear_attention("gated", 2, 2, &["q", "k", "v"]), &args);
    assert!(err.contains("the gated update rules need the decay input"), "{err}");
    let err = import_error(27, linear_attention("sideways", 2, 2, &["q", "k", "v"]), &args);
    assert!(err.contains("update_rule=sideways must be linear, gated, delta or gated_delta"), "{err}");
    let long = random(&[1, 300, 2], 52);
    let args = [("q", &long), ("k", &long), ("v", &long)];
    let err = import_error(27, linear_attention("linear", 1, 1, &["q", "k", "v"]), &args);
    assert!(err.contains("300 tokens would be unrolled into 300 steps; at most 256"), "{err}");
}

// ---- RMSNormalization, RotaryEmbedding, SwiGLU ----

#[test]
fn rms_normalization_over_trailing_axes() {
    let x = random(&[2, 3, 4], 26);
    let scale = random(&[3, 4], 27);
    let n = node("RMSNormalization", &["x", "scale"], &["y"])
        .with_attr(attr_int("axis", -2))
        .with_attr(attr_float("epsilon", 0.1));
    let got = run_node(23, n, &[("x", &x)], &[("scale", &scale)]);
    let epsilon = 0.1f32 as f64;
    let want = NDArray::from_fn(DType::F32, &[2, 3, 4], |flat| {
        let sample = flat / 12;
        let mean_square = (0..12).map(|e| x.get(sample * 12 + e).to_f64().powi(2)).sum::<f64>() / 12.0;
        Scalar::F(x.get(flat).to_f64() / (mean_square + epsilon).sqrt() * scale.get(flat % 12).to_f64())
    });
    assert_close(&got[0], &want);
    // By hand: [3, 4] has mean square 12.5, so with epsilon 0 it becomes
    // [3, 4] / sqrt(12.5).
    let n = node("RMSNormalization", &["x", "scale"], &["y"]).with_attr(attr_float("epsilon", 0.0));
    let got = run_node(23, n, &[("x", &f32s(&[2], &[3.0, 4.0]))], &[("scale", &f32s(&[1], &[2.0]))]);
    let root = 12.5f64.sqrt();
    assert_close(&got[0], &f32s(&[2], &[6.0 / root, 8.0 / root]));
    let bad = node("RMSNormalization", &["x", "x"], &["y"]).with_attr(attr_int("stash_type", 7));
    let err = import_error(23, bad, &[("x", &x)]);
    assert!(err.contains("attribute stash_type=7 must be a floating-point type"), "{err}");
}

/// RoPE from the ONNX text on `[batch, heads, seq, size]`: the first `dim`
/// features form pairs (halves, or even/odd when `interleaved`) rotated by
/// the angle of the token's position.
fn rope(x: &NDArray, cos: &NDArray, sin: &NDArray, positions: &[usize], dim: usize, interleaved: bool) -> NDArray {
    let [b, h, s, d] = dims4(x);
    let half = dim / 2;
    NDArray::from_fn(DType::F32, &[b, h, s, d], |flat| {
        let (bi, hi, i, e) = (flat / (h * s * d), flat / (s * d) % h, flat / d % s, flat % d);
        if e >= dim {
            return x.get(flat);
        }
        let at = |f: usize| x.at(&[bi, hi, i, f]).to_f64();
        let (pair, second) = if interleaved { (e / 2, e % 2 == 1) } else { (e % half, e >= half) };
        let (x1, x2) = if interleaved { (at(2 * pair), at(2 * pair + 1)) } else { (at(pair), at(pair + half)) };
        let p = positions[bi * s + i];
        let (c, sn) = (cos.at(&[p, pair]).to_f64(), sin.at(&[p, pair]).to_f64());
        Scalar::F(if second { sn * x1 + c * x2 } else { c * x1 - sn * x2 })
    })
}

#[test]
fn rotary_embedding_in_halves_and_interleaved() {
    let x = random(&[2, 2, 3, 6], 28);
    let (cos, sin) = (random(&[8, 3], 29), random(&[8, 3], 30));
    let positions = [5usize, 0, 7, 1, 1, 2];
    let ids = NDArray::from_i64_values(DType::I64, &[2, 3], &positions.map(|p| p as i64));
    for interleaved in [0, 1] {
        let n = node("RotaryEmbedding", &["x", "cos", "sin", "ids"], &["y"])
            .with_attr(attr_int("interleaved", interleaved));
        let got = run_node(23, n, &[("x", &x), ("ids", &ids)], &[("cos", &cos), ("sin", &sin)]);
        assert_close(&got[0], &rope(&x, &cos, &sin, &positions, 6, interleaved == 1));
    }
    // By hand: the pair (1, 0) rotated by a quarter turn is (0, 1); the last
    // two features are not rotated.
    let x = f32s(&[1, 1, 1, 4], &[1.0, 0.0, 7.0, 8.0]);
    let (c, s) = (f32s(&[1, 1, 1], &[0.0]), f32s(&[1, 1, 1], &[1.0]));
    let partial = node("RotaryEmbedding", &["x", "c", "s"], &["y"])
        .with_attr(attr_int("rotary_embedding_dim", 2))
        .with_attr(attr_int("interleaved", 1));
    let got = run_node(23, partial, &[("x", &x)], &[("c", &c), ("s", &s)]);
    assert_close(&got[0], &f32s(&[1, 1, 1, 4], &[0.0, 1.0, 7.0, 8.0]));
}

#[test]
fn rotary_embedding_of_packed_heads_with_per_token_angles() {
    // 3-D input with two heads of four features, half of them rotated, and
    // angles given per token (no position ids).
    let x = random(&[1, 2, 2, 4], 31);
    let (cos, sin) = (random(&[1, 2, 1], 32), random(&[1, 2, 1], 33));
    let n = node("RotaryEmbedding", &["x", "cos", "sin"], &["y"])
        .with_attr(attr_int("num_heads", 2))
        .with_attr(attr_int("rotary_embedding_dim", 2));
    let got = run_node(23, n, &[("x", &packed(&x))], &[("cos", &cos), ("sin", &sin)]);
    let (cos2, sin2) = (cos.reshaped(&[2, 1]), sin.reshaped(&[2, 1]));
    assert_close(&got[0], &packed(&rope(&x, &cos2, &sin2, &[0, 1], 2, false)));
}

#[test]
fn swiglu_gates_the_value_with_swish() {
    let (a, b) = (random(&[2, 3], 34), random(&[2, 3], 35));
    let n = node("SwiGLU", &["a", "b"], &["y"]).with_attr(attr_float("alpha", 0.5));
    let got = run_node(28, n, &[("a", &a), ("b", &b)], &[]);
    let want = NDArray::from_fn(DType::F32, &[2, 3], |i| {
        let (x, y) = (a.get(i).to_f64(), b.get(i).to_f64());
        Scalar::F(x / (1.0 + (-0.5 * x).exp()) * y)
    });
    assert_close(&got[0], &want);
    let err = import_error(28, node("SwiGLU", &["a", "c"], &["y"]), &[("a", &a), ("c", &random(&[3], 36))]);
    assert!(err.contains("must have the same shape"), "{err}");
}

#[test]
fn causal_conv_with_state_carries_the_last_positions() {
    // One batch, two channels, kernel 3: each output is the weighted sum of
    // the position and the two before it, reaching into the past state.
    let x = f32s(&[1, 2, 3], &[1.0, 2.0, 3.0, -1.0, 0.0, 1.0]);
    let w = f32s(&[2, 1, 3], &[0.5, 0.25, 1.0, 1.0, -1.0, 2.0]);
    let bias = f32s(&[2], &[0.0, 10.0]);
    let past = f32s(&[1, 2, 2], &[4.0, 5.0, 6.0, 7.0]);
    let n = node("CausalConvWithState", &["x", "w", "b", "past"], &["y", "state"]);
    let got = run_node(27, n, &[("x", &x), ("past", &past)], &[("w", &w), ("b", &bias)]);
    // Channel 0 extended: [4, 5, 1, 2, 3]; channel 1: [6, 7, -1, 0, 1].
    let y0 = [0.5 * 4.0 + 0.25 * 5.0 + 1.0, 0.5 * 5.0 + 0.25 + 2.0, 0.5 + 0.25 * 2.0 + 3.0];
    let y1 = [6.0 - 7.0 - 2.0 + 10.0, 7.0 + 1.0 + 0.0 + 10.0, -1.0 - 0.0 + 2.0 + 10.0];
    assert_close(&got[0], &f32s(&[1, 2, 3], &[y0[0], y0[1], y0[2], y1[0], y1[1], y1[2]]));
    assert_eq!(got[1], f32s(&[1, 2, 2], &[2.0, 3.0, 0.0, 1.0]));
    // Without a past state the sequence starts after zeros; SiLU applies.
    let silu = node("CausalConvWithState", &["x", "w"], &["y", "state"]).with_attr(attr_string("activation", "silu"));
    let got = run_node(27, silu, &[("x", &x)], &[("w", &w)]);
    let conv = [1.0, 0.25 + 2.0, 0.5 + 0.5 + 3.0, -2.0, 1.0, -1.0 + 2.0];
    let want: Vec<f64> = conv.iter().map(|&c: &f64| c / (1.0 + (-c).exp())).collect();
    assert_close(&got[0], &f32s(&[1, 2, 3], &want));
    assert_eq!(got[1], f32s(&[1, 2, 2], &[2.0, 3.0, 0.0, 1.0]));
}
