//! `ReverseSequence`, `Det`, `MaxUnpool` and `Col2Im` against values worked out by
//! hand or computed here from their definitions (the determinant by the
//! Leibniz sum over permutations).

mod common;

use common::{assert_close, f32s, f64s, import_error, ints, run_model, single_node, values};
use relax_compiler::frontend::onnx::builder::{attr_int, attr_ints, node};
use relax_compiler::frontend::onnx::proto::NodeProto;
use relax_compiler::NDArray;
use relax_rt::DType;

fn run(opset: i64, node: NodeProto, args: &[(&str, &NDArray)], consts: &[(&str, &NDArray)]) -> Vec<NDArray> {
    let model = single_node(node, args, consts).model(opset);
    run_model(&model, &args.iter().map(|(_, a)| *a).collect::<Vec<_>>())
}

#[test]
fn reverse_sequence_along_either_axis() {
    // Time along axis 0, batch along axis 1 (the defaults): column b is
    // reversed in its first lens[b] entries.
    let x = f32s(&[4, 4], &(0..16).map(|v| v as f64).collect::<Vec<_>>());
    let lens = ints(DType::I64, &[4], &[4, 3, 2, 1]);
    let got = run(10, node("ReverseSequence", &["x", "lens"], &["y"]), &[("x", &x), ("lens", &lens)], &[]);
    let want = [12., 9., 6., 3., 8., 5., 2., 7., 4., 1., 10., 11., 0., 13., 14., 15.];
    assert_eq!(got[0], f32s(&[4, 4], &want));
    // Batch along axis 0: row b reversed in its first lens[b] entries.
    let n = node("ReverseSequence", &["x", "lens"], &["y"])
        .with_attr(attr_int("batch_axis", 0))
        .with_attr(attr_int("time_axis", 1));
    let x = ints(DType::I32, &[2, 3, 2], &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    let lens = ints(DType::I32, &[2], &[2, 0]);
    let got = run(10, n, &[("x", &x), ("lens", &lens)], &[]);
    assert_eq!(got[0], ints(DType::I32, &[2, 3, 2], &[3, 4, 1, 2, 5, 6, 7, 8, 9, 10, 11, 12]));
    let bad = node("ReverseSequence", &["x", "lens"], &["y"]).with_attr(attr_int("batch_axis", 0));
    let model = single_node(bad, &[("x", &x), ("lens", &lens)], &[]).model(10);
    assert_eq!(
        import_error(&model),
        ["node `y` (ReverseSequence): batch_axis=0 and time_axis=0 must be 0 and 1, one each"]
    );
}

/// The Leibniz sum: `sum over permutations p of sign(p) * prod_i a[i][p(i)]`.
fn leibniz(a: &[f64], m: usize) -> f64 {
    fn permutations(rest: Vec<usize>) -> Vec<Vec<usize>> {
        if rest.is_empty() {
            return vec![vec![]];
        }
        let mut all = vec![];
        for (k, &first) in rest.iter().enumerate() {
            let mut others = rest.clone();
            others.remove(k);
            for mut tail in permutations(others) {
                tail.insert(0, first);
                all.push(tail);
            }
        }
        all
    }
    permutations((0..m).collect())
        .into_iter()
        .map(|p| {
            let inversions = (0..m).flat_map(|i| (i + 1..m).map(move |j| (i, j))).filter(|&(i, j)| p[i] > p[j]).count();
            let sign = if inversions % 2 == 0 { 1.0 } else { -1.0 };
            sign * (0..m).map(|i| a[i * m + p[i]]).product::<f64>()
        })
        .sum()
}

#[test]
fn determinants_by_hand_and_by_permutations() {
    let det = |x: &NDArray| run(11, node("Det", &["x"], &["y"]), &[("x", x)], &[]).remove(0);
    assert_eq!(det(&f32s(&[2, 2], &[1.0, 2.0, 3.0, 4.0])), f32s(&[], &[-2.0]));
    // A zero first pivot needs a row swap: 0 - 1 * (27 - 30) + 2 * (21 - 24) = -3.
    let swap = f64s(&[3, 3], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 9.0]);
    assert_close(&det(&swap), &f64s(&[], &[-3.0]), 1e-12);
    // Singular matrices give 0, not NaN.
    let singular = f64s(&[2, 3, 3], &[1., 2., 3., 2., 4., 6., 0., 1., 1., 0., 0., 0., 0., 0., 0., 0., 0., 0.]);
    assert_eq!(det(&singular), f64s(&[2], &[0.0, 0.0]));
    let batch = NDArray::random(DType::F32, &[2, 3, 4, 4], 7);
    let v = values(&batch);
    let want: Vec<f64> = (0..6).map(|b| leibniz(&v[b * 16..b * 16 + 16], 4)).collect();
    assert_close(&det(&batch), &f32s(&[2, 3], &want), 1e-5);
    let one = f32s(&[1, 1], &[-2.5]);
    assert_eq!(det(&one), f32s(&[], &[-2.5]));
}

#[test]
fn max_unpool_scatters_into_the_inferred_or_requested_shape() {
    let x = f32s(&[1, 1, 2, 2], &[5.0, 6.0, 7.0, 8.0]);
    let indices = ints(DType::I64, &[1, 1, 2, 2], &[5, 7, 13, 15]);
    let unpool = || {
        node("MaxUnpool", &["x", "i", "shape"], &["y"])
            .with_attr(attr_ints("kernel_shape", &[2, 2]))
            .with_attr(attr_ints("strides", &[2, 2]))
    };
    let mut want = vec![0.0; 16];
    for (&at, v) in [5, 7, 13, 15].iter().zip([5.0, 6.0, 7.0, 8.0]) {
        want[at] = v;
    }
    let mut plain = unpool();
    plain.input.truncate(2);
    let got = run(11, plain, &[("x", &x), ("i", &indices)], &[]);
    assert_eq!(got[0], f32s(&[1, 1, 4, 4], &want));
    // A larger requested shape, given at run time: the 4x4 result in its corner.
    let shape = ints(DType::I64, &[4], &[1, 1, 5, 6]);
    let got = run(11, unpool(), &[("x", &x), ("i", &indices), ("shape", &shape)], &[]);
    let mut corner = vec![0.0; 30];
    for (k, v) in want.iter().enumerate() {
        corner[(k / 4) * 6 + k % 4] = *v;
    }
    assert_eq!(got[0], f32s(&[1, 1, 5, 6], &corner));
    // One spatial axis with padding: (3 - 1) * 2 - 1 + 3 = 6 positions.
    let x = f32s(&[1, 2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let indices = ints(DType::I64, &[1, 2, 3], &[0, 2, 5, 6, 9, 11]);
    let n = node("MaxUnpool", &["x", "i"], &["y"])
        .with_attr(attr_ints("kernel_shape", &[3]))
        .with_attr(attr_ints("strides", &[2]))
        .with_attr(attr_ints("pads", &[1, 0]));
    let got = run(11, n, &[("x", &x), ("i", &indices)], &[]);
    let want = [1., 0., 2., 0., 0., 3., 4., 0., 0., 5., 0., 6.];
    assert_eq!(got[0], f32s(&[1, 2, 6], &want));
}

/// `Col2Im` by its definition: every input value added at its image
/// position, for 2-D images.
fn col2im_direct(
    x: &NDArray,
    image: [usize; 2],
    block: [usize; 2],
    dil: [usize; 2],
    pads: [usize; 4],
    strides: [usize; 2],
) -> NDArray {
    let (n, ck, l) = (x.shape()[0], x.shape()[1], x.shape()[2]);
    let k = block[0] * block[1];
    let c = ck / k;
    let blocks: Vec<usize> =
        (0..2).map(|a| (image[a] + pads[a] + pads[a + 2] - dil[a] * (block[a] - 1) - 1) / strides[a] + 1).collect();
    assert_eq!(blocks[0] * blocks[1], l);
    let v = values(x);
    let mut out = vec![0.0; n * c * image[0] * image[1]];
    for b in 0..n {
        for ch in 0..c {
            for kk in 0..k {
                for ll in 0..l {
                    let (ki, kj, li, lj) = (kk / block[1], kk % block[1], ll / blocks[1], ll % blocks[1]);
                    let y = (li * strides[0] + ki * dil[0]) as i64 - pads[0] as i64;
                    let xx = (lj * strides[1] + kj * dil[1]) as i64 - pads[1] as i64;
                    if y >= 0 && xx >= 0 && (y as usize) < image[0] && (xx as usize) < image[1] {
                        out[((b * c + ch) * image[0] + y as usize) * image[1] + xx as usize] +=
                            v[(b * ck + ch * k + kk) * l + ll];
                    }
                }
            }
        }
    }
    NDArray::from_f64_values(x.dtype(), &[n, c, image[0], image[1]], &out)
}

#[test]
fn col2im_sums_overlapping_blocks_and_drops_the_padding() {
    let shape = |v: &[i64]| ints(DType::I64, &[v.len()], v);
    // Overlapping 2x3 blocks (stride 1) on a 4x5 image with padding and
    // dilation, two channels, two images; the shapes given at run time.
    let (image, block) = (shape(&[4, 5]), shape(&[2, 3]));
    let n = node("Col2Im", &["x", "image", "block"], &["y"])
        .with_attr(attr_ints("pads", &[1, 0, 0, 2]))
        .with_attr(attr_ints("dilations", &[2, 1]));
    // Blocks: (4 + 1 - 2 - 1) / 1 + 1 = 3 rows, (5 + 2 - 2 - 1) / 1 + 1 = 5 columns.
    let x = NDArray::random(DType::F32, &[2, 12, 15], 8);
    let got = run(18, n, &[("x", &x), ("image", &image), ("block", &block)], &[]);
    assert_close(&got[0], &col2im_direct(&x, [4, 5], [2, 3], [2, 1], [1, 0, 0, 2], [1, 1]), 1e-6);
    // Strided, constant shapes.
    let n = node("Col2Im", &["x", "image", "block"], &["y"]).with_attr(attr_ints("strides", &[2, 3]));
    let x = NDArray::random(DType::F64, &[1, 4, 4], 9);
    let (image, block) = (shape(&[4, 5]), shape(&[2, 2]));
    let got = run(18, n, &[("x", &x)], &[("image", &image), ("block", &block)]);
    assert_close(&got[0], &col2im_direct(&x, [4, 5], [2, 2], [1, 1], [0, 0, 0, 0], [2, 3]), 1e-12);
}
