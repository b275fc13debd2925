//! `pad(x)`: pads every axis of a tensor of any rank before and after by
//! `pad_width = [b0, b1, ..., a0, a1, ...]` (ONNX order: all befores, then
//! all afters; negative entries crop). `mode` says what the new elements
//! hold:
//!
//! - `constant`: the attribute `value` (default 0), cast to the dtype;
//! - `edge`: the nearest element of the axis;
//! - `reflect`: the axis mirrored about its first and last element, without
//!   repeating them (numpy's `reflect`), periodically when the padding is
//!   longer than the axis;
//! - `wrap`: the axis repeated periodically.
//!
//! Each output element reads at most one input element, at a source index
//! each mode computes per axis. The kernel stores the input element only when
//! every source index lies inside the input, under an `if`, so no load can go
//! out of bounds; otherwise it stores the fill. Only an empty axis has no
//! element to edge-pad, reflect or wrap, and its padding then reads as the
//! fill (ONNX leaves that case undefined).

use crate::ir::dim::{floor_mod, shape_to_string};
use crate::ir::{Attrs, BinOp, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{expect_args, expect_attrs, index_vars, infos_of, load, prim_func, InOp};
use crate::op::{OpDef, OpKind};

pub const PAD: OpDef = OpDef {
    name: "pad",
    kind: OpKind::Injective,
    infer: |args, attrs| {
        let pad = check(args, attrs)?;
        Ok(StructInfo::tensor(args[0].dtype, pad.output_shape(&args[0].shape)))
    },
    eval,
    legalize,
};

/// What the padding of an axis holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Constant,
    Edge,
    Reflect,
    Wrap,
}

impl Mode {
    fn parse(name: &str) -> Result<Mode, String> {
        match name {
            "constant" => Ok(Mode::Constant),
            "edge" => Ok(Mode::Edge),
            "reflect" => Ok(Mode::Reflect),
            "wrap" => Ok(Mode::Wrap),
            other => Err(format!("pad: mode must be constant, edge, reflect or wrap, got {other:?}")),
        }
    }

    /// The source index along an axis of `size` for the unpadded position
    /// `i` (output index minus padding before). In range whenever `size >= 1`;
    /// constant mode leaves it unchanged, for the range check to reject.
    fn source(self, i: PExpr, size: PExpr) -> PExpr {
        match self {
            Mode::Constant => i,
            Mode::Edge => {
                let last = size - PExpr::int(1);
                PExpr::bin(BinOp::Min, PExpr::bin(BinOp::Max, i, PExpr::int(0)), last)
            }
            Mode::Wrap => PExpr::bin(BinOp::FloorMod, i, size),
            Mode::Reflect => {
                // Period 2 * (size - 1), at least 1 so a single element maps to itself.
                let period = PExpr::bin(BinOp::Max, (size.clone() - PExpr::int(1)) * PExpr::int(2), PExpr::int(1));
                let j = PExpr::bin(BinOp::FloorMod, i, period.clone());
                let mirrored = PExpr::bin(BinOp::Ge, j.clone(), size);
                PExpr::select(mirrored, period - j.clone(), j)
            }
        }
    }

    /// [`Mode::source`] on concrete indices; `None` when it lies outside.
    fn source_at(self, i: i64, size: i64) -> Option<i64> {
        let j = match self {
            Mode::Constant => i,
            Mode::Edge => i.max(0).min(size - 1),
            Mode::Wrap => floor_mod(i, size).unwrap_or(0),
            Mode::Reflect => {
                let period = (2 * (size - 1)).max(1);
                let j = floor_mod(i, period).unwrap_or(0);
                if j >= size {
                    period - j
                } else {
                    j
                }
            }
        };
        (0..size).contains(&j).then_some(j)
    }
}

/// A validated padding.
struct Pad {
    mode: Mode,
    value: f64,
    before: Vec<i64>,
    after: Vec<i64>,
}

impl Pad {
    fn output_shape(&self, shape: &[Dim]) -> Vec<Dim> {
        shape.iter().enumerate().map(|(a, d)| (d.clone() + self.before[a] + self.after[a]).simplify()).collect()
    }

    fn is_padded(&self, axis: usize) -> bool {
        self.before[axis] != 0 || self.after[axis] != 0
    }
}

fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<Pad, String> {
    expect_args("pad", args, 1)?;
    expect_attrs("pad", attrs, &["pad_width", "mode", "value"])?;
    let x = &args[0];
    let mode = Mode::parse(&attrs.str_or("mode", "constant").in_op("pad")?)?;
    let value = attrs.float_or("value", 0.0).in_op("pad")?;
    let widths = attrs.ints("pad_width").in_op("pad")?.ok_or("pad: attribute `pad_width` is required")?;
    if widths.len() != 2 * x.rank() {
        return Err(format!(
            "pad: attribute `pad_width` must have 2 entries per axis of the input {} ({}), got {widths:?}",
            shape_to_string(&x.shape),
            2 * x.rank()
        ));
    }
    let (before, after) = widths.split_at(x.rank());
    let pad = Pad { mode, value, before: before.to_vec(), after: after.to_vec() };
    check_not_cropped_away(x, &pad)?;
    Ok(pad)
}

/// Negative padding crops; a static axis must keep a non-negative size.
fn check_not_cropped_away(x: &TensorInfo, pad: &Pad) -> Result<(), String> {
    let out = pad.output_shape(&x.shape);
    match out.iter().position(|d| d.as_int().is_some_and(|v| v < 0)) {
        None => Ok(()),
        Some(a) => Err(format!(
            "pad: axis {a} of the input {} has size {} but is cropped by {}",
            shape_to_string(&x.shape),
            x.shape[a],
            -(pad.before[a] + pad.after[a])
        )),
    }
}

fn eval(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let pad = check(&infos_of(args), attrs)?;
    let x = args[0];
    let out_shape: Vec<usize> =
        x.shape().iter().enumerate().map(|(a, &d)| (d as i64 + pad.before[a] + pad.after[a]) as usize).collect();
    let fill = Scalar::F(pad.value).cast(x.dtype());
    let value = |flat: usize| {
        let idx = unravel(flat, &out_shape);
        let source: Option<Vec<usize>> = idx
            .iter()
            .enumerate()
            .map(|(a, &o)| pad.mode.source_at(o as i64 - pad.before[a], x.shape()[a] as i64).map(|j| j as usize))
            .collect();
        source.map_or(fill, |s| x.at(&s))
    };
    Ok(vec![NDArray::from_fn(x.dtype(), &out_shape, value)])
}

/// `out[i] = in[source(i - before)]` when every padded axis's source index
/// lies in `0..size`, else the fill; unpadded axes read `in` at `i` itself.
fn legalize(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let pad = check(args, attrs)?;
    let (x, out) = (&args[0], &outs[0]);
    let vars = index_vars("i", out.rank());
    let mut source = Vec::with_capacity(x.rank());
    let mut inside: Option<PExpr> = None;
    for (a, var) in vars.iter().enumerate() {
        if !pad.is_padded(a) {
            source.push(PExpr::var(var));
            continue;
        }
        let size = PExpr::from_dim(&x.shape[a]);
        let j = pad.mode.source(PExpr::var(var) - PExpr::int(pad.before[a]), size.clone());
        let in_range = PExpr::bin(
            BinOp::And,
            PExpr::bin(BinOp::Ge, j.clone(), PExpr::int(0)),
            PExpr::bin(BinOp::Lt, j.clone(), size),
        );
        inside = Some(match inside {
            None => in_range,
            Some(c) => PExpr::bin(BinOp::And, c, in_range),
        });
        source.push(j);
    }
    let idx: Vec<PExpr> = vars.iter().map(|v| PExpr::var(v)).collect();
    let copy = Stmt::store("out", idx.clone(), load(0, source));
    let body = match inside {
        None => copy,
        Some(cond) => {
            let fill = Stmt::store("out", idx, PExpr::constant(pad.value, x.dtype));
            Stmt::If { cond, then_branch: Box::new(copy), else_branch: Some(Box::new(fill)) }
        }
    };
    Ok(prim_func("pad", args, outs, Stmt::loop_nest(&vars, &out.shape, body)))
}

#[cfg(test)]
mod tests {
    use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
    use crate::ndarray::NDArray;
    use crate::op::lookup;
    use crate::op::testing::{check_op, check_op_symbolic};
    use relax_rt::DType;

    fn attrs(mode: &str, widths: &[i64]) -> Attrs {
        Attrs::new()
            .with("mode", AttrValue::Str(mode.to_string()))
            .with("pad_width", AttrValue::Dims(widths.iter().map(|&v| Dim::Int(v)).collect()))
    }

    fn row(values: &[f64]) -> NDArray {
        NDArray::from_f64_values(DType::F32, &[values.len()], values)
    }

    fn padded(mode: &str, widths: &[i64]) -> NDArray {
        check_op("pad", &[row(&[1.0, 2.0, 3.0])], &attrs(mode, widths)).remove(0)
    }

    #[test]
    fn each_mode_by_hand() {
        let constant = attrs("constant", &[2, 1]).with("value", AttrValue::Float(9.0));
        let out = check_op("pad", &[row(&[1.0, 2.0, 3.0])], &constant).remove(0);
        assert_eq!(out, row(&[9.0, 9.0, 1.0, 2.0, 3.0, 9.0]));
        assert_eq!(padded("edge", &[2, 1]), row(&[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]));
        assert_eq!(padded("reflect", &[2, 1]), row(&[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]));
        assert_eq!(padded("wrap", &[2, 1]), row(&[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]));
    }

    #[test]
    fn padding_longer_than_the_axis_repeats_periodically() {
        // numpy: np.pad([1, 2, 3], (5, 4), mode="reflect") and mode="wrap".
        assert_eq!(padded("reflect", &[5, 4]), row(&[2., 1., 2., 3., 2., 1., 2., 3., 2., 1., 2., 3.]));
        assert_eq!(padded("wrap", &[5, 4]), row(&[2., 3., 1., 2., 3., 1., 2., 3., 1., 2., 3., 1.]));
        let single = check_op("pad", &[row(&[7.0])], &attrs("reflect", &[2, 1])).remove(0);
        assert_eq!(single, row(&[7.0; 4]));
    }

    #[test]
    fn negative_widths_crop() {
        assert_eq!(padded("edge", &[-1, 2]), row(&[2.0, 3.0, 3.0, 3.0]));
        assert_eq!(padded("constant", &[1, -2]), row(&[0.0, 1.0]));
    }

    #[test]
    fn random_rank_three_every_mode_with_symbolic_dims() {
        let x = NDArray::random(DType::F32, &[2, 3, 4], 1);
        for mode in ["constant", "edge", "reflect", "wrap"] {
            check_op_symbolic(
                "pad",
                std::slice::from_ref(&x),
                &attrs(mode, &[0, 2, 1, 0, 3, 5]),
                &[(0, 0, "n"), (0, 2, "w")],
            );
        }
        let ints = NDArray::random(DType::I32, &[3, 2], 2);
        check_op("pad", &[ints], &attrs("reflect", &[1, 1, 2, 1]));
    }

    #[test]
    fn empty_axis_pads_with_the_fill() {
        let x = NDArray::zeros(DType::F32, &[0, 2]);
        for mode in ["edge", "reflect", "wrap"] {
            let out = check_op_symbolic("pad", std::slice::from_ref(&x), &attrs(mode, &[1, 0, 1, 0]), &[(0, 0, "n")]);
            assert_eq!(out[0], NDArray::zeros(DType::F32, &[2, 2]));
        }
    }

    #[test]
    fn rejects_bad_attributes() {
        let info = TensorInfo::new(DType::F32, vec![Dim::Int(3), Dim::Int(2)]);
        let err = |a: &Attrs| (lookup("pad").unwrap().infer)(std::slice::from_ref(&info), a).unwrap_err();
        assert_eq!(
            err(&attrs("symmetric", &[1, 1, 1, 1])),
            "pad: mode must be constant, edge, reflect or wrap, got \"symmetric\""
        );
        assert_eq!(
            err(&attrs("edge", &[1, 1])),
            "pad: attribute `pad_width` must have 2 entries per axis of the input [3, 2] (4), got [1, 1]"
        );
        assert_eq!(
            err(&attrs("edge", &[0, -2, 0, -1])),
            "pad: axis 1 of the input [3, 2] has size 2 but is cropped by 3"
        );
        assert_eq!(err(&Attrs::new()), "pad: attribute `pad_width` is required");
    }
}
