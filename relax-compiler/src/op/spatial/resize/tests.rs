//! `resize` against values computed by hand (each test says how), and its
//! legalized kernel against its reference semantics on random inputs
//! through `check_op`.

use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
use crate::ndarray::NDArray;
use crate::op::lookup;
use crate::op::testing::{check_op, check_op_symbolic};
use relax_rt::DType;

fn attrs(sizes: &[i64], mode: &str, transform: &str) -> Attrs {
    Attrs::new()
        .with("sizes", AttrValue::Dims(sizes.iter().map(|&d| Dim::Int(d)).collect()))
        .with("mode", AttrValue::Str(mode.to_string()))
        .with("coordinate_transformation_mode", AttrValue::Str(transform.to_string()))
}

fn f32s(shape: &[usize], values: &[f64]) -> NDArray {
    NDArray::from_f64_values(DType::F32, shape, values)
}

fn values(a: &NDArray) -> Vec<f64> {
    (0..a.numel()).map(|i| a.get(i).to_f64()).collect()
}

fn assert_near(got: &NDArray, want: &[f64]) {
    let got = values(got);
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-6, "{got:?} vs {want:?}");
    }
}

#[test]
fn nearest_asymmetric_floor_repeats_like_upsample() {
    // ONNX's Upsample example: scales [1, 1, 2, 3] repeat rows twice and columns three times.
    let x = f32s(&[1, 1, 2, 2], &[1., 2., 3., 4.]);
    let scales = NDArray::from_f64_values(DType::F32, &[4], &[1.0, 1.0, 2.0, 3.0]);
    let a = attrs(&[1, 1, 4, 6], "nearest", "asymmetric")
        .with("nearest_mode", AttrValue::Str("floor".into()))
        .with("scales_input", AttrValue::Bool(true));
    let out = check_op("resize", &[x, scales], &a).remove(0);
    let row = |a: f64, b: f64| [a, a, a, b, b, b];
    let want: Vec<f64> = [row(1., 2.), row(1., 2.), row(3., 4.), row(3., 4.)].concat();
    assert_near(&out, &want);
}

#[test]
fn linear_half_pixel_by_hand() {
    // [1, 2] to 4 elements: coordinates -0.25, 0.25, 0.75, 1.25, clamped at the edges.
    let out = check_op("resize", &[f32s(&[2], &[1., 2.])], &attrs(&[4], "linear", "half_pixel")).remove(0);
    assert_near(&out, &[1.0, 1.25, 1.75, 2.0]);
}

#[test]
fn cubic_asymmetric_by_hand() {
    // x = i^3, a = -0.5: coordinate 0.5 weighs x[-1..=2] (clamped: 0, 0, 1, 8) by
    // -0.0625, 0.5625, 0.5625, -0.0625 = 0.0625; coordinate 1.5 gives 1.5^3 = 3.375.
    let x = f32s(&[4], &[0., 1., 8., 27.]);
    let a = attrs(&[8], "cubic", "asymmetric").with("cubic_coeff_a", AttrValue::Float(-0.5));
    let out = check_op("resize", std::slice::from_ref(&x), &a).remove(0);
    assert_near(&NDArray::from_f64_values(DType::F64, &[2], &[values(&out)[1], values(&out)[3]]), &[0.0625, 3.375]);
    // exclude_outside drops the tap at -1 and renormalizes: 0.0625 / 1.0625 = 1/17.
    let excluded = check_op("resize", &[x], &a.with("exclude_outside", AttrValue::Bool(true))).remove(0);
    assert!((values(&excluded)[1] - 1.0 / 17.0).abs() < 1e-7);
}

#[test]
fn tf_crop_and_resize_extrapolates_outside_the_region() {
    // roi [0.5, 1.5] of 4 elements into 3: coordinates 1.5 + 1.5 x = 1.5, 3, 4.5; the last is outside.
    let x = f32s(&[4], &[0., 10., 20., 30.]);
    let roi = f32s(&[2], &[0.5, 1.5]);
    let a = attrs(&[3], "linear", "tf_crop_and_resize").with("extrapolation_value", AttrValue::Float(7.0));
    let out = check_op("resize", &[x, roi], &a).remove(0);
    assert_near(&out, &[15.0, 30.0, 7.0]);
}

#[test]
fn antialias_linear_widens_the_filter_when_downscaling() {
    // 8 -> 4 (scale 0.5), half_pixel: coordinate 2x + 0.5, filter stretched twice,
    // taps 2x-1..=2x+2 weighted 1/8, 3/8, 3/8, 1/8 (edge-clamped).
    let x = f32s(&[8], &[0., 1., 2., 3., 4., 5., 6., 7.]);
    let a = attrs(&[4], "linear", "half_pixel").with("antialias", AttrValue::Bool(true));
    let out = check_op("resize", &[x], &a).remove(0);
    assert_near(&out, &[0.625, 2.5, 4.5, 6.375]);
}

#[test]
fn every_mode_and_transform_agrees_with_its_kernel() {
    let x = NDArray::random(DType::F32, &[2, 3, 5, 4], 7);
    let transforms = [
        "half_pixel",
        "half_pixel_symmetric",
        "pytorch_half_pixel",
        "align_corners",
        "asymmetric",
        "tf_half_pixel_for_nn",
        "tf_crop_and_resize",
    ];
    let modes: [(&str, &[(&str, AttrValue)]); 6] = [
        ("nearest", &[("nearest_mode", AttrValue::Str("round_prefer_ceil".into()))]),
        ("nearest", &[("nearest_mode", AttrValue::Str("ceil".into()))]),
        ("linear", &[]),
        ("linear", &[("antialias", AttrValue::Bool(true))]),
        ("cubic", &[("exclude_outside", AttrValue::Bool(true))]),
        ("cubic", &[("antialias", AttrValue::Bool(true)), ("cubic_coeff_a", AttrValue::Float(-0.5))]),
    ];
    let scales = NDArray::from_f64_values(DType::F32, &[2], &[0.6, 1.7]);
    let roi = f32s(&[4], &[0.1, -0.2, 0.8, 1.1]);
    for transform in transforms {
        for (mode, extra) in &modes {
            for scales_input in [false, true] {
                let mut a = attrs(&[3, 6], mode, transform).with("axes", AttrValue::Dims(vec![2.into(), 3.into()]));
                for (name, value) in extra.iter() {
                    a = a.with(name, value.clone());
                }
                let mut args = vec![x.clone()];
                if scales_input {
                    a = a.with("scales_input", AttrValue::Bool(true));
                    args.push(scales.clone());
                }
                if transform == "tf_crop_and_resize" {
                    args.push(roi.clone());
                }
                check_op_symbolic("resize", &args, &a, &[(0, 0, "n")]);
            }
        }
    }
}

#[test]
fn kept_axes_may_be_symbolic_and_integers_resize_by_nearest() {
    let x = NDArray::random(DType::I32, &[3, 4], 2);
    let a =
        Attrs::new().with("sizes", AttrValue::Dims(vec![Dim::Int(7)])).with("axes", AttrValue::Dims(vec![1.into()]));
    check_op_symbolic("resize", &[x], &a, &[(0, 0, "n")]);
}

#[test]
fn rejects_what_it_cannot_do() {
    let info = |dtype, shape: &[i64]| TensorInfo::new(dtype, shape.iter().map(|&d| Dim::Int(d)).collect());
    let infer = |args: &[TensorInfo], a: &Attrs| (lookup("resize").unwrap().infer)(args, a).unwrap_err();
    let x = info(DType::F32, &[2, 4]);
    let ints = info(DType::I32, &[2, 4]);
    assert_eq!(
        infer(&[ints], &attrs(&[2, 8], "linear", "half_pixel")),
        "resize: expected float tensors (f16, bf16, f32, f64), got i32 (linear and cubic modes interpolate floats)"
    );
    assert_eq!(
        infer(std::slice::from_ref(&x), &attrs(&[3, 8], "nearest", "half_pixel").with("axes", AttrValue::Int(1))),
        "resize: attribute `sizes` [3, 8] must have one entry per resized axis (1)"
    );
    assert_eq!(
        infer(std::slice::from_ref(&x), &attrs(&[2, 8], "nearest", "tf_crop_and_resize")),
        "resize: expected 2 arguments (the input, the region of interest), got 1"
    );
    assert_eq!(
        infer(std::slice::from_ref(&x), &attrs(&[2, 8], "bilinear", "half_pixel")),
        "resize: attribute `mode` must be one of nearest, linear, cubic, got \"bilinear\""
    );
    let scales = info(DType::F32, &[4]);
    let a = attrs(&[2, 8], "nearest", "half_pixel").with("scales_input", AttrValue::Bool(true));
    assert_eq!(infer(&[x, scales], &a), "resize: `scales` must have shape [2] for the 2 resized axes, got [4]");
}
