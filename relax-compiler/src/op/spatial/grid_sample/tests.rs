//! `grid_sample` against values worked out by hand (each test says how), and
//! its kernel against its reference semantics on random grids through
//! `check_op`.

use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
use crate::ndarray::{NDArray, Scalar};
use crate::op::lookup;
use crate::op::testing::{check_op, check_op_symbolic};
use relax_rt::DType;

fn attrs(mode: &str, padding: &str, align: bool) -> Attrs {
    Attrs::new()
        .with("mode", AttrValue::Str(mode.into()))
        .with("padding_mode", AttrValue::Str(padding.into()))
        .with("align_corners", AttrValue::Bool(align))
}

/// The row [1, 2, 3, 4] as a 1x4 image, sampled at `(gx, 0)` for each `gx`.
fn sample_row(gx: &[f64], a: &Attrs) -> Vec<f64> {
    let x = NDArray::from_f64_values(DType::F32, &[1, 1, 1, 4], &[1.0, 2.0, 3.0, 4.0]);
    let points: Vec<f64> = gx.iter().flat_map(|&g| [g, 0.0]).collect();
    let grid = NDArray::from_f64_values(DType::F32, &[1, 1, gx.len(), 2], &points);
    let out = check_op("grid_sample", &[x, grid], a).remove(0);
    (0..out.numel()).map(|i| out.get(i).to_f64()).collect()
}

#[test]
fn linear_by_hand() {
    // align_corners: -1, 0, 1 land on 0, 1.5, 3.
    assert_eq!(sample_row(&[-1.0, 0.0, 1.0], &attrs("linear", "zeros", true)), [1.0, 2.5, 4.0]);
    // Edges: -1 and 1 land on -0.5 and 3.5, half on a missing element: zeros
    // padding reads 0 there, border the edge element, reflection its mirror.
    assert_eq!(sample_row(&[-1.0, 1.0], &attrs("linear", "zeros", false)), [0.5, 2.0]);
    assert_eq!(sample_row(&[-1.0, 1.0], &attrs("linear", "border", false)), [1.0, 4.0]);
    // -1.5 lands on -1.5, outside [-0.5, 3.5]: reflected to 0.5, between 1 and 2.
    assert_eq!(sample_row(&[-1.0, -1.5], &attrs("linear", "reflection", false)), [1.0, 1.5]);
}

#[test]
fn nearest_rounds_half_to_even() {
    // -0.5 and 0 land on 0.5 and 1.5, which round to 0 and 2.
    assert_eq!(sample_row(&[-0.5, 0.0], &attrs("nearest", "zeros", false)), [1.0, 3.0]);
    // 1.5 lands on 5.5 -> 6, outside: 0 with zeros padding, the last element with border.
    assert_eq!(sample_row(&[1.5], &attrs("nearest", "zeros", false)), [0.0]);
    assert_eq!(sample_row(&[1.5], &attrs("nearest", "border", false)), [4.0]);
}

#[test]
fn cubic_by_hand() {
    // Keys' kernel (a = -0.75) at the half-way point 1.5 (align_corners, g = 0):
    // weights -0.09375, 0.59375, 0.59375, -0.09375 on 1, 2, 3, 4 give 2.5.
    assert_eq!(sample_row(&[0.0], &attrs("cubic", "border", true)), [2.5]);
}

/// Grid values spread past [-1, 1] so every padding mode is exercised.
fn wide_grid(shape: &[usize], seed: u64) -> NDArray {
    let g = NDArray::random(DType::F32, shape, seed);
    NDArray::from_fn(DType::F32, shape, |i| Scalar::F(g.get(i).to_f64() * 1.4))
}

#[test]
fn every_mode_padding_and_rank_agrees_with_its_kernel() {
    let cases: [(&[usize], &[usize]); 2] = [(&[2, 3, 4, 5], &[2, 3, 6, 2]), (&[1, 2, 3, 4, 3], &[1, 2, 3, 2, 3])];
    for (x_shape, grid_shape) in cases {
        let x = NDArray::random(DType::F32, x_shape, 1);
        let grid = wide_grid(grid_shape, 2);
        for mode in ["nearest", "linear", "cubic"] {
            for padding in ["zeros", "border", "reflection"] {
                for align in [false, true] {
                    let args = [x.clone(), grid.clone()];
                    check_op_symbolic("grid_sample", &args, &attrs(mode, padding, align), &[(0, 0, "n"), (1, 0, "n")]);
                }
            }
        }
    }
}

#[test]
fn rejects_mismatched_shapes() {
    let info = |shape: &[i64]| TensorInfo::new(DType::F32, shape.iter().map(|&d| Dim::Int(d)).collect());
    let infer = |x, g| (lookup("grid_sample").unwrap().infer)(&[info(x), info(g)], &Attrs::new()).unwrap_err();
    assert_eq!(
        infer(&[1, 1, 4, 4], &[1, 3, 3, 3]),
        "grid_sample: the grid must be [N, out spatial..., 2] for the input [1, 1, 4, 4], got [1, 3, 3, 3]"
    );
    assert_eq!(infer(&[2, 1, 4, 4], &[1, 3, 3, 2]), "grid_sample: the input's batch 2 differs from the grid's 1");
}
