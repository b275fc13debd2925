//! `affine_grid(theta)`: ONNX's `AffineGrid`, the sampling grid
//! `grid_sample` reads. For `size = [H, W]` (attribute, possibly symbolic)
//! and `theta` `[N, 2, 3]` the output is `[N, H, W, 2]` with
//! `out[n, h, w] = theta[n] * (x_w, y_h, 1)`; in 3-D, `size = [D, H, W]`,
//! `theta` `[N, 3, 4]` and `out[n, d, h, w] = theta[n] * (x_w, y_h, z_d, 1)`.
//!
//! The base coordinates span `[-1, 1]` evenly along each axis of `L`
//! elements: element `i` is at `-1 + i * 2 / (L - 1)` with `align_corners`
//! (-1 and 1 the centres of the end elements; a single element sits at -1),
//! else `-1 + 1 / L + i * 2 / L` (-1 and 1 their outer edges). Arithmetic
//! is in f64, rounded to theta's dtype at the end.

use super::sampling::Real;
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, Dim, PExpr, PrimFunc, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{compute, expect_args, expect_attrs, expect_dtype_class, infos_of, load, DTypeClass, InOp};
use crate::op::{OpDef, OpKind};
use relax_rt::DType;

pub const AFFINE_GRID: OpDef = OpDef {
    name: "affine_grid",
    kind: OpKind::Injective,
    infer: |args, attrs| {
        let (output, _) = check(args, attrs)?;
        Ok(StructInfo::tensor(args[0].dtype, output))
    },
    eval,
    legalize,
};

const OP: &str = "affine_grid";

/// The output shape and `align_corners`.
fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<(Vec<Dim>, bool), String> {
    expect_args(OP, args, 1)?;
    expect_attrs(OP, attrs, &["size", "align_corners"])?;
    let theta = &args[0];
    expect_dtype_class(OP, theta.dtype, DTypeClass::Float)?;
    let size = attrs.dims("size").in_op(OP)?.ok_or_else(|| format!("{OP}: attribute `size` is required"))?;
    let r = size.len();
    if !(2..=3).contains(&r) {
        return Err(format!("{OP}: `size` must hold 2 or 3 spatial sizes, got {}", shape_to_string(&size)));
    }
    let rows_ok =
        theta.rank() == 3 && theta.shape[1].as_int() == Some(r as i64) && theta.shape[2].as_int() == Some(r as i64 + 1);
    if !rows_ok {
        return Err(format!(
            "{OP}: theta must be [N, {r}, {}] for {r}-D sizes, got {}",
            r + 1,
            shape_to_string(&theta.shape)
        ));
    }
    let mut output = vec![theta.shape[0].clone()];
    output.extend(size);
    output.push(Dim::Int(r as i64));
    Ok((output, attrs.bool_or("align_corners", false).in_op(OP)?))
}

/// The base coordinate of element `i` of an axis of `len` elements.
fn base<R: Real>(i: R, len: R, align_corners: bool) -> R {
    let one = R::lit(1.0);
    if align_corners {
        let step = R::lit(2.0) / (len.clone() - one.clone());
        R::select(len.gt(&one), R::lit(-1.0) + i * step, R::lit(-1.0))
    } else {
        let step = R::lit(2.0) / len;
        R::lit(-1.0) + step.clone() / R::lit(2.0) + i * step
    }
}

fn eval(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let (output, align) = check(&infos_of(args), attrs)?;
    let theta = args[0];
    let shape = TensorInfo::new(theta.dtype(), output).static_shape().ok_or(format!("{OP}: size is not static"))?;
    let r = shape.len() - 2;
    let value = |flat: usize| {
        let idx = unravel(flat, &shape);
        let (n, k) = (idx[0], idx[r + 1]);
        // Homogeneous coordinate j: x (the last spatial axis) first.
        let mut acc = theta.at(&[n, k, r]).to_f64();
        for j in 0..r {
            let axis = r - j;
            acc += theta.at(&[n, k, j]).to_f64() * base(idx[axis] as f64, shape[axis] as f64, align);
        }
        Scalar::F(acc)
    };
    Ok(vec![NDArray::from_fn(theta.dtype(), &shape, value)])
}

fn legalize(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let (_, align) = check(args, attrs)?;
    let out = &outs[0];
    let r = out.rank() - 2;
    let real = |e: PExpr| PExpr::cast(DType::F64, e);
    Ok(compute(OP, args, out, |o| {
        let (n, k) = (o[0].clone(), o[r + 1].clone());
        let mut acc = real(load(0, vec![n.clone(), k.clone(), PExpr::int(r as i64)]));
        for j in 0..r {
            let axis = r - j;
            let coordinate = base(real(o[axis].clone()), real(PExpr::from_dim(&out.shape[axis])), align);
            acc = acc + real(load(0, vec![n.clone(), k.clone(), PExpr::int(j as i64)])) * coordinate;
        }
        PExpr::cast(out.dtype, acc)
    }))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim};
    use crate::ndarray::NDArray;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn attrs(size: &[i64], align: bool) -> Attrs {
        Attrs::new()
            .with("size", AttrValue::Dims(size.iter().map(|&d| Dim::Int(d)).collect()))
            .with("align_corners", AttrValue::Bool(align))
    }

    #[test]
    fn identity_theta_gives_the_base_grid() {
        // theta = [[1, 0, 0], [0, 1, 0]]: the grid is (x_w, y_h). For H = 2, W = 3 the
        // base coordinates are y = -1/2, 1/2 and x = -2/3, 0, 2/3 (edges), or
        // y = -1, 1 and x = -1, 0, 1 (centres, align_corners).
        let theta = NDArray::from_f64_values(DType::F64, &[1, 2, 3], &[1., 0., 0., 0., 1., 0.]);
        let grid = |x: [f64; 3], y: [f64; 2]| -> Vec<f64> {
            y.iter().flat_map(|&yv| x.iter().flat_map(move |&xv| [xv, yv])).collect()
        };
        let edges = check_op("affine_grid", std::slice::from_ref(&theta), &attrs(&[2, 3], false)).remove(0);
        let want = grid([-2.0 / 3.0, 0.0, 2.0 / 3.0], [-0.5, 0.5]);
        edges.assert_close(&NDArray::from_f64_values(DType::F64, &[1, 2, 3, 2], &want), 1e-15, 1e-15).unwrap();
        let centres = check_op("affine_grid", &[theta], &attrs(&[2, 3], true)).remove(0);
        let want = grid([-1.0, 0.0, 1.0], [-1.0, 1.0]);
        assert_eq!(centres, NDArray::from_f64_values(DType::F64, &[1, 2, 3, 2], &want));
    }

    #[test]
    fn translation_and_three_dimensions() {
        // theta = [I | t] in 3-D moves every point by t = (0.5, -0.25, 2); with one
        // depth element (align_corners) z sits at -1, so z' = 1 everywhere.
        let mut values = vec![0.0; 12];
        for (i, t) in [0.5, -0.25, 2.0].iter().enumerate() {
            values[i * 4 + i] = 1.0;
            values[i * 4 + 3] = *t;
        }
        let theta = NDArray::from_f64_values(DType::F32, &[1, 3, 4], &values);
        let out = check_op("affine_grid", &[theta], &attrs(&[1, 2, 2], true)).remove(0);
        let point = |x: f64, y: f64| [x + 0.5, y - 0.25, 1.0];
        let want: Vec<f64> = [point(-1., -1.), point(1., -1.), point(-1., 1.), point(1., 1.)].concat();
        assert_eq!(out, NDArray::from_f64_values(DType::F32, &[1, 1, 2, 2, 3], &want));
    }

    #[test]
    fn random_theta_with_symbolic_batch() {
        let theta = NDArray::random(DType::F32, &[3, 2, 3], 4);
        for align in [false, true] {
            check_op_symbolic("affine_grid", std::slice::from_ref(&theta), &attrs(&[4, 5], align), &[(0, 0, "n")]);
        }
    }
}
