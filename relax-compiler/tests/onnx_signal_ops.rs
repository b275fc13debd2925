//! `DFT`, `STFT` and the window generators against values computed here: the
//! transforms as direct sums of `x[l] * e^(-+2 pi i k l / n)` in f64 (with
//! the padding, truncation and symmetry rules written out), the windows from
//! their cosine-sum formulas and a few by hand.

mod common;

use common::{assert_close, f32s, f64s, ints, run_model, single_node, values};
use relax_compiler::frontend::onnx::builder::{attr_int, node};
use relax_compiler::frontend::onnx::proto::NodeProto;
use relax_compiler::NDArray;
use relax_rt::DType;
use std::f64::consts::{PI, TAU};

fn run(opset: i64, node: NodeProto, args: &[(&str, &NDArray)], consts: &[(&str, &NDArray)]) -> Vec<NDArray> {
    let model = single_node(node, args, consts).model(opset);
    run_model(&model, &args.iter().map(|(_, a)| *a).collect::<Vec<_>>())
}

fn scalar_i64(v: i64) -> NDArray {
    ints(DType::I64, &[], &[v])
}

/// A complex signal as (re, im) pairs.
type Signal = Vec<(f64, f64)>;

/// The direct sum over the first `min(len, n)` samples (the rest zero), for
/// bins `0..bins`, with `sign` -1 (forward) or +1 (inverse, divided by `n`).
fn direct(x: &Signal, n: usize, bins: usize, sign: f64) -> Signal {
    (0..bins)
        .map(|k| {
            let (mut re, mut im) = (0.0, 0.0);
            for (l, &(a, b)) in x.iter().enumerate().take(n) {
                let t = sign * TAU * (k * l) as f64 / n as f64;
                re += a * t.cos() - b * t.sin();
                im += a * t.sin() + b * t.cos();
            }
            if sign > 0.0 {
                (re / n as f64, im / n as f64)
            } else {
                (re, im)
            }
        })
        .collect()
}

/// The real signal of length `n` with the half spectrum `x` (numpy's
/// `irfft`): the spectrum completed by conjugate symmetry, inverted.
fn inverse_real(x: &Signal, n: usize) -> Vec<f64> {
    let half = n / 2 + 1;
    let bin = |k: usize| if k < x.len() { x[k] } else { (0.0, 0.0) };
    let full: Signal = (0..n).map(|k| if k < half { bin(k) } else { (bin(n - k).0, -bin(n - k).1) }).collect();
    // Bin 0 (and n / 2 for even n) of a real signal's spectrum is real.
    let mut full = full;
    full[0].1 = 0.0;
    if n.is_multiple_of(2) {
        full[n / 2].1 = 0.0;
    }
    direct(&full, n, n, 1.0).into_iter().map(|(re, _)| re).collect()
}

/// Applies `f` to every 1-D signal of `x` (`[d0, .., c]`, row-major) along
/// `axis`, giving `out_len` complex (or real when `real_out`) values each.
fn along_axis(x: &NDArray, axis: usize, out_len: usize, real_out: bool, f: impl Fn(&Signal) -> Signal) -> NDArray {
    let shape = x.shape().to_vec();
    let (rank, c) = (shape.len(), shape[shape.len() - 1]);
    let v = values(x);
    let mut out_shape = shape.clone();
    out_shape[axis] = out_len;
    out_shape[rank - 1] = if real_out { 1 } else { 2 };
    let strides = |s: &[usize]| -> Vec<usize> { (0..s.len()).map(|a| s[a + 1..].iter().product()).collect() };
    let (in_strides, out_strides) = (strides(&shape), strides(&out_shape));
    let mut out = vec![0.0; out_shape.iter().product()];
    let others: Vec<usize> = (0..rank - 1).filter(|&a| a != axis).collect();
    let count: usize = others.iter().map(|&a| shape[a]).product();
    for flat in 0..count {
        let mut rest = flat;
        let mut base_in = 0;
        let mut base_out = 0;
        for &a in others.iter().rev() {
            let i = rest % shape[a];
            rest /= shape[a];
            base_in += i * in_strides[a];
            base_out += i * out_strides[a];
        }
        let signal: Signal = (0..shape[axis])
            .map(|l| {
                let at = base_in + l * in_strides[axis];
                (v[at], if c == 2 { v[at + 1] } else { 0.0 })
            })
            .collect();
        for (k, (re, im)) in f(&signal).into_iter().enumerate() {
            let at = base_out + k * out_strides[axis];
            out[at] = re;
            if !real_out {
                out[at + 1] = im;
            }
        }
    }
    NDArray::from_f64_values(x.dtype(), &out_shape, &out)
}

fn dft(opset: i64, attrs: &[(&str, i64)], x: &NDArray, length: Option<i64>, axis: Option<i64>) -> NDArray {
    let mut n =
        node("DFT", &["x", if length.is_some() { "n" } else { "" }, if axis.is_some() { "a" } else { "" }], &["y"]);
    for (name, v) in attrs {
        n = n.with_attr(attr_int(name, *v));
    }
    let (len, ax) = (length.map(scalar_i64), axis.map(scalar_i64));
    let mut consts: Vec<(&str, &NDArray)> = vec![];
    consts.extend(len.as_ref().map(|l| ("n", l)));
    consts.extend(ax.as_ref().map(|a| ("a", a)));
    run(opset, n, &[("x", x)], &consts).remove(0)
}

#[test]
fn dft_forward_and_inverse_of_complex_signals() {
    let x = NDArray::random(DType::F32, &[2, 5, 3, 2], 1);
    let got = dft(20, &[], &x, None, Some(1));
    assert_close(&got, &along_axis(&x, 1, 5, false, |s| direct(s, 5, 5, -1.0)), 1e-5);
    // The default axis of opset 20 is -2, the last signal axis.
    let got = dft(20, &[("inverse", 1)], &x, None, None);
    assert_close(&got, &along_axis(&x, 2, 3, false, |s| direct(s, 3, 3, 1.0)), 1e-5);
    // Opset 17's axis is an attribute, 1 by default.
    let got = dft(17, &[], &x, None, None);
    assert_close(&got, &along_axis(&x, 1, 5, false, |s| direct(s, 5, 5, -1.0)), 1e-5);
}

#[test]
fn dft_length_pads_or_truncates_the_signal() {
    let x = NDArray::random(DType::F32, &[3, 6, 1], 2);
    // Padded to 8; one-sided: 8 / 2 + 1 bins.
    let got = dft(20, &[("onesided", 1)], &x, Some(8), Some(1));
    assert_close(&got, &along_axis(&x, 1, 5, false, |s| direct(s, 8, 5, -1.0)), 1e-5);
    // Truncated to 4.
    let got = dft(19, &[("axis", 1), ("inverse", 1)], &x, Some(4), None);
    assert_close(&got, &along_axis(&x, 1, 4, false, |s| direct(s, 4, 4, 1.0)), 1e-5);
}

#[test]
fn inverse_one_sided_dft_gives_the_real_signal() {
    let x = NDArray::random(DType::F64, &[2, 4, 2], 3);
    // Default length 2 * (4 - 1) = 6.
    let got = dft(20, &[("inverse", 1), ("onesided", 1)], &x, None, Some(1));
    assert_close(
        &got,
        &along_axis(&x, 1, 6, true, |s| inverse_real(s, 6).into_iter().map(|v| (v, 0.0)).collect()),
        1e-9,
    );
    // An odd length uses bins 0..=3 with no Nyquist bin.
    let got = dft(20, &[("inverse", 1), ("onesided", 1)], &x, Some(7), Some(-2));
    assert_close(
        &got,
        &along_axis(&x, 1, 7, true, |s| inverse_real(s, 7).into_iter().map(|v| (v, 0.0)).collect()),
        1e-9,
    );
    // A real round trip: the inverse of the one-sided transform of a real signal is the signal.
    let signal = f64s(&[1, 6, 1], &[1.0, -2.0, 0.5, 4.0, 3.0, -1.0]);
    let spectrum = dft(20, &[("onesided", 1)], &signal, None, Some(1));
    assert_eq!(spectrum.shape(), &[1, 4, 2]);
    let back = dft(20, &[("inverse", 1), ("onesided", 1)], &spectrum, None, Some(1));
    assert_close(&back, &signal, 1e-12);
}

#[test]
fn dft_axis_given_at_run_time_selects_the_transform() {
    let x = NDArray::random(DType::F32, &[3, 4, 1], 4);
    let n = node("DFT", &["x", "", "axis"], &["y"]);
    for (axis, along) in [(0, 0), (1, 1), (-3, 0), (-2, 1)] {
        let a = scalar_i64(axis);
        let got = run(20, n.clone(), &[("x", &x), ("axis", &a)], &[]).remove(0);
        let len = x.shape()[along];
        assert_close(&got, &along_axis(&x, along, len, false, |s| direct(s, len, len, -1.0)), 1e-5);
    }
    // An axis out of range gives NaN rather than reading anything.
    let a = scalar_i64(2);
    let got = run(20, n, &[("x", &x), ("axis", &a)], &[]).remove(0);
    assert!(values(&got).iter().all(|v| v.is_nan()));
    // A one-sided transform's shape depends on the axis: 3 / 2 + 1 bins
    // along axis 0, 4 / 2 + 1 along axis 1.
    let one_sided = node("DFT", &["x", "", "axis"], &["y"]).with_attr(attr_int("onesided", 1));
    for (axis, along, len) in [(1, 1, 4), (-3, 0, 3)] {
        let a = scalar_i64(axis);
        let got = run(20, one_sided.clone(), &[("x", &x), ("axis", &a)], &[]).remove(0);
        let bins = len / 2 + 1;
        assert_close(&got, &along_axis(&x, along, bins, false, |s| direct(s, len, bins, -1.0)), 1e-5);
    }
}

#[test]
fn stft_windows_frames_at_a_step_given_at_run_time() {
    let signal = NDArray::random(DType::F32, &[2, 20, 1], 5);
    let window = f32s(&[6], &[0.1, 0.5, 1.0, 1.0, 0.5, 0.1]);
    let n = node("STFT", &["signal", "step", "window"], &["y"]);
    let step = scalar_i64(4);
    let got = run(17, n, &[("signal", &signal), ("step", &step)], &[("window", &window)]).remove(0);
    // frames = (20 - 6) / 4 + 1 = 4, bins = 6 / 2 + 1 = 4.
    assert_eq!(got.shape(), &[2, 4, 4, 2]);
    let (v, w) = (values(&signal), values(&window));
    let mut want = vec![];
    for b in 0..2 {
        for f in 0..4 {
            let frame: Signal = (0..6).map(|l| (v[b * 20 + f * 4 + l] * w[l], 0.0)).collect();
            want.extend(direct(&frame, 6, 4, -1.0).into_iter().flat_map(|(re, im)| [re, im]));
        }
    }
    assert_close(&got, &f32s(&[2, 4, 4, 2], &want), 1e-5);
}

#[test]
fn stft_two_sided_of_a_complex_signal_with_a_frame_length() {
    let signal = NDArray::random(DType::F64, &[1, 9, 2], 6);
    let n = node("STFT", &["signal", "step", "", "length"], &["y"]).with_attr(attr_int("onesided", 0));
    let (step, length) = (scalar_i64(2), scalar_i64(5));
    let got = run(17, n, &[("signal", &signal), ("length", &length)], &[("step", &step)]).remove(0);
    let v = values(&signal);
    let mut want = vec![];
    for f in 0..3 {
        let frame: Signal = (0..5).map(|l| (v[(f * 2 + l) * 2], v[(f * 2 + l) * 2 + 1])).collect();
        want.extend(direct(&frame, 5, 5, -1.0).into_iter().flat_map(|(re, im)| [re, im]));
    }
    assert_close(&got, &f64s(&[1, 3, 5, 2], &want), 1e-9);
}

/// `a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N)`.
fn cosine_sum(size: usize, periodic: bool, (a0, a1, a2): (f64, f64, f64)) -> Vec<f64> {
    let period = if periodic { size } else { size - 1 } as f64;
    (0..size).map(|n| a0 - a1 * (TAU * n as f64 / period).cos() + a2 * (2.0 * TAU * n as f64 / period).cos()).collect()
}

#[test]
fn windows_by_hand_and_by_formula() {
    let size = ints(DType::I32, &[], &[4]);
    let hann = run(17, node("HannWindow", &["size"], &["y"]), &[("size", &size)], &[]).remove(0);
    assert_close(&hann, &f32s(&[4], &[0.0, 0.5, 1.0, 0.5]), 1e-6);
    let five = scalar_i64(5);
    let symmetric = node("HannWindow", &["size"], &["y"]).with_attr(attr_int("periodic", 0));
    let hann = run(17, symmetric, &[], &[("size", &five)]).remove(0);
    assert_close(&hann, &f32s(&[5], &[0.0, 0.5, 1.0, 0.5, 0.0]), 1e-6);
    let ten = ints(DType::I32, &[], &[10]);
    for (op, coefficients) in
        [("HammingWindow", (25.0 / 46.0, 21.0 / 46.0, 0.0)), ("BlackmanWindow", (0.42, 0.5, 0.08))]
    {
        for periodic in [true, false] {
            let n = node(op, &["size"], &["y"])
                .with_attr(attr_int("periodic", periodic as i64))
                .with_attr(attr_int("output_datatype", 11));
            let got = run(17, n, &[("size", &ten)], &[]).remove(0);
            assert_close(&got, &f64s(&[10], &cosine_sum(10, periodic, coefficients)), 1e-12);
        }
    }
    // Hann is sin^2(pi n / N).
    let got = run(17, node("HannWindow", &["size"], &["y"]), &[("size", &ten)], &[]).remove(0);
    let want: Vec<f64> = (0..10).map(|n| (PI * n as f64 / 10.0).sin().powi(2)).collect();
    assert_close(&got, &f32s(&[10], &want), 1e-6);
}
