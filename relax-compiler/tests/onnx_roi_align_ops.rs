//! `RoiAlign` against a case worked out by hand and a direct loop over the
//! ONNX definition (sample positions, the one-pixel border rule, clamping,
//! bilinear weights; averaged or, per sample, the largest weighted
//! neighbour).

mod common;

use common::{assert_close, f32s, import_error, ints, run_model, single_node, values};
use relax_compiler::frontend::onnx::builder::{attr_float, attr_int, attr_string, node};
use relax_compiler::frontend::onnx::proto::NodeProto;
use relax_compiler::NDArray;
use relax_rt::DType;

fn run(opset: i64, node: NodeProto, args: &[(&str, &NDArray)]) -> NDArray {
    let model = single_node(node, args, &[]).model(opset);
    run_model(&model, &args.iter().map(|(_, a)| *a).collect::<Vec<_>>()).remove(0)
}

struct Params {
    out: (usize, usize),
    grid: usize,
    scale: f64,
    half_pixel: bool,
    max: bool,
}

/// The sample positions of one axis and their (low, high, weight of high,
/// outside) neighbours, for a RoI from `start` to `end`.
fn samples(start: f64, end: f64, bins: usize, size: usize, p: &Params) -> Vec<(usize, usize, f64, bool)> {
    let offset = if p.half_pixel { 0.5 } else { 0.0 };
    let (start, end) = (start * p.scale - offset, end * p.scale - offset);
    let mut length = end - start;
    if !p.half_pixel {
        length = length.max(1.0);
    }
    let bin = length / bins as f64;
    let mut out = vec![];
    for b in 0..bins {
        for i in 0..p.grid {
            let at = start + b as f64 * bin + (i as f64 + 0.5) * bin / p.grid as f64;
            let outside = at < -1.0 || at > size as f64;
            let mut at = at.max(0.0);
            let mut low = at.floor() as usize;
            let high;
            if low >= size - 1 {
                low = size - 1;
                high = low;
                at = low as f64;
            } else {
                high = low + 1;
            }
            out.push((low, high, at - low as f64, outside));
        }
    }
    out
}

fn roi_align_direct(x: &NDArray, rois: &[[f64; 4]], batch: &[usize], p: &Params) -> Vec<f64> {
    let (c, h, w) = (x.shape()[1], x.shape()[2], x.shape()[3]);
    let v = values(x);
    let mut out = vec![];
    for (roi, &b) in rois.iter().zip(batch) {
        let ys = samples(roi[1], roi[3], p.out.0, h, p);
        let xs = samples(roi[0], roi[2], p.out.1, w, p);
        for ch in 0..c {
            let pixel = |y: usize, x: usize| v[((b * c + ch) * h + y) * w + x];
            for bh in 0..p.out.0 {
                for bw in 0..p.out.1 {
                    let mut acc: Option<f64> = None;
                    for sy in &ys[bh * p.grid..(bh + 1) * p.grid] {
                        for sx in &xs[bw * p.grid..(bw + 1) * p.grid] {
                            let zero = sy.3 || sx.3;
                            let weight = |wy: f64, wx: f64| if zero { 0.0 } else { wy * wx };
                            let terms = [
                                weight(1.0 - sy.2, 1.0 - sx.2) * pixel(sy.0, sx.0),
                                weight(1.0 - sy.2, sx.2) * pixel(sy.0, sx.1),
                                weight(sy.2, 1.0 - sx.2) * pixel(sy.1, sx.0),
                                weight(sy.2, sx.2) * pixel(sy.1, sx.1),
                            ];
                            let sample =
                                if p.max { terms.iter().copied().fold(f64::MIN, f64::max) } else { terms.iter().sum() };
                            acc = Some(match acc {
                                None => sample,
                                Some(a) if p.max => a.max(sample),
                                Some(a) => a + sample,
                            });
                        }
                    }
                    let acc = acc.unwrap();
                    out.push(if p.max { acc } else { acc / (p.grid * p.grid) as f64 });
                }
            }
        }
    }
    out
}

fn roi_node(p: &Params) -> NodeProto {
    node("RoiAlign", &["x", "rois", "batch"], &["y"])
        .with_attr(attr_int("output_height", p.out.0 as i64))
        .with_attr(attr_int("output_width", p.out.1 as i64))
        .with_attr(attr_int("sampling_ratio", p.grid as i64))
        .with_attr(attr_float("spatial_scale", p.scale as f32))
        .with_attr(attr_string("mode", if p.max { "max" } else { "avg" }))
        .with_attr(attr_string(
            "coordinate_transformation_mode",
            if p.half_pixel { "half_pixel" } else { "output_half_pixel" },
        ))
}

#[test]
fn one_sample_in_the_middle_of_four_pixels() {
    // The RoI [0, 0]-[1, 1] without the half-pixel shift, one bin of one
    // sample: at (0.5, 0.5), the mean of the four pixels.
    let x = f32s(&[1, 1, 2, 2], &[0.0, 1.0, 2.0, 3.0]);
    let (rois, batch) = (f32s(&[1, 4], &[0.0, 0.0, 1.0, 1.0]), ints(DType::I64, &[1], &[0]));
    let p = Params { out: (1, 1), grid: 1, scale: 1.0, half_pixel: false, max: false };
    let got = run(16, roi_node(&p), &[("x", &x), ("rois", &rois), ("batch", &batch)]);
    assert_eq!(got, f32s(&[1, 1, 1, 1], &[1.5]));
}

#[test]
fn roi_align_follows_the_definition_in_every_mode() {
    let x = NDArray::random(DType::F32, &[2, 3, 7, 6], 11);
    // Inside, partly outside, tiny (forced to 1x1 without the shift), and far outside.
    let rois = [[0.5, 1.0, 4.0, 6.5], [-2.0, 3.0, 8.0, 9.0], [2.0, 2.0, 2.2, 2.1], [20.0, 20.0, 30.0, 25.0]];
    let batch = [1, 0, 1, 0];
    let rois_array = f32s(&[4, 4], &rois.iter().flatten().copied().collect::<Vec<_>>());
    let batch_array = ints(DType::I64, &[4], &batch.iter().map(|&b| b as i64).collect::<Vec<_>>());
    for (half_pixel, max, scale) in [(true, false, 1.0), (false, false, 0.5), (true, true, 1.0), (false, true, 0.75)] {
        let p = Params { out: (3, 2), grid: 2, scale, half_pixel, max };
        let got = run(16, roi_node(&p), &[("x", &x), ("rois", &rois_array), ("batch", &batch_array)]);
        let want = roi_align_direct(&x, &rois, &batch, &p);
        assert_close(&got, &f32s(&[4, 3, 3, 2], &want), 1e-5);
    }
    // Opset 10 has no coordinate_transformation_mode: no shift.
    let p = Params { out: (2, 2), grid: 3, scale: 1.0, half_pixel: false, max: false };
    let mut n = roi_node(&p);
    n.attribute.retain(|a| a.name() != "coordinate_transformation_mode");
    let got = run(10, n, &[("x", &x), ("rois", &rois_array), ("batch", &batch_array)]);
    assert_close(&got, &f32s(&[4, 3, 2, 2], &roi_align_direct(&x, &rois, &batch, &p)), 1e-5);
}

#[test]
fn the_adaptive_grid_is_rejected() {
    let x = f32s(&[1, 1, 2, 2], &[0.0, 1.0, 2.0, 3.0]);
    let (rois, batch) = (f32s(&[1, 4], &[0.0, 0.0, 1.0, 1.0]), ints(DType::I64, &[1], &[0]));
    let n = node("RoiAlign", &["x", "rois", "batch"], &["y"]);
    let model = single_node(n, &[("x", &x), ("rois", &rois), ("batch", &batch)], &[]).model(16);
    assert!(import_error(&model)[0].contains("sampling_ratio must be positive"), "{:?}", import_error(&model));
}
