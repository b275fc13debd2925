//! `grid_sample(x, grid)`: ONNX's `GridSample`, any number of spatial axes.
//! `x` is `[N, C, D1, ..., Dr]` and `grid` `[N, O1, ..., Or, r]`: the output
//! `[N, C, O1, ..., Or]` samples `x` at the normalized coordinates the grid
//! holds, in reverse axis order (component 0 is the last axis, the width),
//! -1 and 1 naming the input's edges: its outer edges, or with
//! `align_corners` the centres of its first and last elements.
//!
//! Per axis of `size` elements, a normalized `g` becomes
//! `(g + 1) / 2 * (size - 1)` with `align_corners`, else
//! `((g + 1) * size - 1) / 2`; `nearest` rounds it half to even. A coordinate
//! outside `[lo, hi]` (`[0, size - 1]` with `align_corners`, else
//! `[-0.5, size - 0.5]`) is clamped to `[0, size - 1]` by
//! `padding_mode = border` and mirrored back into `[lo, hi]` by `reflection`.
//! Then `nearest` reads the element at the coordinate truncated toward zero,
//! `linear` weighs the two elements around it by `1 - |distance|` and `cubic`
//! the four around it by Keys' kernel (`a = -0.75`). Elements the taps name
//! outside the input read 0 with `zeros` padding, the nearest edge element
//! with `border`, and the element mirrored into `[lo, hi]` (truncated) with
//! `reflection`. Interpolation is in f64.

use super::sampling::{Filter, Real};
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, BinOp, Buffer, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo};
use crate::ndarray::{unravel, NDArray, Scalar};
use crate::op::compute::{
    accumulator, expect_args, expect_attrs, expect_dtype_class, index_vars, infos_of, load, prim_func, require_equal,
    with_accumulators, DTypeClass, InOp, Remedy, Unproven,
};
use crate::op::{OpDef, OpKind};
use relax_rt::DType;

pub const GRID_SAMPLE: OpDef = OpDef {
    name: "grid_sample",
    kind: OpKind::Opaque,
    infer: |args, attrs| {
        let g = check(args, attrs)?;
        Ok(StructInfo::tensor(args[0].dtype, g.output))
    },
    eval,
    legalize,
};

const OP: &str = "grid_sample";

/// What a tap outside the input reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Padding {
    Zeros,
    Border,
    Reflection,
}

/// A validated grid sample.
struct GridSample {
    /// `None` for nearest.
    filter: Option<Filter>,
    padding: Padding,
    align_corners: bool,
    output: Vec<Dim>,
}

impl GridSample {
    /// `[lo, hi]`: where coordinates along an axis of `size` lie without padding.
    fn bounds<R: Real>(&self, size: R) -> (R, R) {
        if self.align_corners {
            (R::lit(0.0), size - R::lit(1.0))
        } else {
            (R::lit(-0.5), size - R::lit(0.5))
        }
    }

    /// The coordinate along an axis of `size` of normalized `g`, rounded
    /// for `nearest` and brought back inside by border or reflection padding.
    fn coordinate<R: Real>(&self, g: R, size: R) -> R {
        let (one, half) = (R::lit(1.0), R::lit(0.5));
        let x = if self.align_corners {
            (g + one.clone()) * half * (size.clone() - one.clone())
        } else {
            ((g + one.clone()) * size.clone() - one.clone()) * half
        };
        let x = if self.filter.is_none() { x.round_even() } else { x };
        let (lo, hi) = self.bounds(size.clone());
        // 1 where x lies outside [lo, hi] (NaN lies inside).
        let outside = R::select(x.lt(&lo), one.clone(), R::select(x.gt(&hi), one.clone(), R::lit(0.0)));
        let moved = match self.padding {
            Padding::Zeros => return x,
            Padding::Border => x.clone().max(R::lit(0.0)).min(size - one),
            Padding::Reflection => reflect(x.clone(), lo, hi),
        };
        R::select(outside.gt(&R::lit(0.0)), moved, x)
    }

    /// The element a tap at integral position `i` reads along an axis of
    /// `size`, as a real number: `i` itself for zeros padding (the caller
    /// reads 0 outside), the nearest edge for border, the mirror image
    /// (truncated toward zero) for reflection.
    fn tap_position<R: Real>(&self, i: R, size: R) -> R {
        match self.padding {
            Padding::Zeros => i,
            Padding::Border => i.max(R::lit(0.0)).min(size - R::lit(1.0)),
            Padding::Reflection => {
                let (lo, hi) = self.bounds(size);
                let r = reflect(i, lo, hi);
                R::select(r.lt(&R::lit(0.0)), r.clone().ceil(), r.floor())
            }
        }
    }
}

/// `x` mirrored at `lo` and `hi` until it lies between them.
fn reflect<R: Real>(x: R, lo: R, hi: R) -> R {
    let range = hi.clone() - lo.clone();
    let two = R::lit(2.0);
    // Mirrors `distance` past one end: an even number of whole ranges lands
    // it `rest` inside from that end, an odd number from the other end.
    let fold = |distance: R, near: R, far: R, inward: R| {
        let turns = (distance.clone() / range.clone()).floor();
        let rest = distance - turns.clone() * range.clone();
        let odd = turns.clone() - (turns / two.clone()).floor() * two.clone();
        R::select(odd.eq(&R::lit(0.0)), near + inward.clone() * rest.clone(), far - inward * rest)
    };
    let below = fold(lo.clone() - x.clone(), lo.clone(), hi.clone(), R::lit(1.0));
    let above = fold(x.clone() - hi.clone(), hi.clone(), lo.clone(), R::lit(-1.0));
    R::select(x.lt(&lo), below, R::select(x.gt(&hi), above, x))
}

fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<GridSample, String> {
    expect_args(OP, args, 2)?;
    expect_attrs(OP, attrs, &["mode", "padding_mode", "align_corners"])?;
    let (x, grid) = (&args[0], &args[1]);
    expect_dtype_class(OP, x.dtype, DTypeClass::Float)?;
    expect_dtype_class(OP, grid.dtype, DTypeClass::Float).map_err(|e| format!("{e} for the grid"))?;
    let spatial = x.rank().checked_sub(2).filter(|&r| r >= 1).ok_or_else(|| {
        format!("{OP}: the input must be [N, C, spatial...] with a spatial axis, got {}", shape_to_string(&x.shape))
    })?;
    if grid.rank() != spatial + 2 || grid.shape[spatial + 1].as_int() != Some(spatial as i64) {
        return Err(format!(
            "{OP}: the grid must be [N, out spatial..., {spatial}] for the input {}, got {}",
            shape_to_string(&x.shape),
            shape_to_string(&grid.shape)
        ));
    }
    let unproven = || Unproven {
        op: OP,
        what: "batch sizes".to_string(),
        remedy: Remedy::Cast { arg: 1, name: "grid".to_string(), info: grid, axis: 0 },
    };
    let differ = || format!("{OP}: the input's batch {} differs from the grid's {}", x.shape[0], grid.shape[0]);
    require_equal(&x.shape[0], &grid.shape[0], unproven, differ)?;
    let filter = match attrs.str_or("mode", "linear").in_op(OP)?.as_str() {
        "nearest" => None,
        "linear" => Some(Filter::Linear),
        "cubic" => Some(Filter::Cubic { a: -0.75 }),
        other => return Err(format!("{OP}: mode must be nearest, linear or cubic, got {other:?}")),
    };
    let padding = match attrs.str_or("padding_mode", "zeros").in_op(OP)?.as_str() {
        "zeros" => Padding::Zeros,
        "border" => Padding::Border,
        "reflection" => Padding::Reflection,
        other => return Err(format!("{OP}: padding_mode must be zeros, border or reflection, got {other:?}")),
    };
    let mut output = vec![x.shape[0].clone(), x.shape[1].clone()];
    output.extend(grid.shape[1..=spatial].iter().cloned());
    let align_corners = attrs.bool_or("align_corners", false).in_op(OP)?;
    Ok(GridSample { filter, padding, align_corners, output })
}

/// The taps of one axis for coordinate `c`: their integral positions and weights.
fn taps(filter: Option<Filter>, c: f64) -> Vec<(f64, f64)> {
    match filter {
        None => vec![(c.trunc(), 1.0)],
        Some(f) => {
            let first = c.floor() + 1.0 - f.support() as f64;
            (0..2 * f.support()).map(|t| first + t as f64).map(|i| (i, f.weight(i - c))).collect()
        }
    }
}

fn eval(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let g = check(&infos_of(args), attrs)?;
    let (x, grid) = (args[0], args[1]);
    let output: Vec<usize> = TensorInfo::new(x.dtype(), g.output.clone())
        .static_shape()
        .ok_or_else(|| format!("{OP}: output shape is not static"))?;
    let r = x.shape().len() - 2;
    let value = |flat: usize| -> Scalar {
        let o = unravel(flat, &output);
        let per_axis: Vec<Vec<(f64, f64)>> = (0..r)
            .map(|a| {
                let mut at = vec![o[0]];
                at.extend(&o[2..]);
                at.push(r - 1 - a);
                let size = x.shape()[a + 2] as f64;
                taps(g.filter, g.coordinate(grid.at(&at).to_f64(), size))
            })
            .collect();
        let counts: Vec<usize> = per_axis.iter().map(Vec::len).collect();
        let mut acc = 0.0;
        for combo in 0..counts.iter().product() {
            let choice = unravel(combo, &counts);
            let (mut idx, mut weight, mut inside) = (vec![o[0], o[1]], 1.0, true);
            for (a, taps) in per_axis.iter().enumerate() {
                let (i, w) = taps[choice[a]];
                let size = x.shape()[a + 2];
                let p = g.tap_position(i, size as f64) as i64;
                inside &= (0..size as i64).contains(&p);
                idx.push(p.min(size as i64 - 1).max(0) as usize);
                weight *= w;
            }
            if inside && x.shape()[2..].iter().all(|&d| d > 0) {
                acc += weight * x.at(&idx).to_f64();
            }
        }
        Scalar::F(acc)
    };
    Ok(vec![NDArray::from_fn(x.dtype(), &output, value)])
}

fn real(e: PExpr) -> PExpr {
    PExpr::cast(DType::F64, e)
}

/// Per output element: each axis's coordinate into the scratch `coord`, then
/// a nest of one tap loop per axis accumulating `weights * x[taps]` (reads
/// outside the input count 0, loads stay clamped inside).
fn legalize(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let g = check(args, attrs)?;
    let (x, out) = (&args[0], &outs[0]);
    let r = x.rank() - 2;
    let vars = index_vars("i", out.rank());
    let o: Vec<PExpr> = vars.iter().map(|v| PExpr::var(v)).collect();
    let slot = |j: usize| PExpr::load("coord", vec![PExpr::int(j as i64)]);
    let size = |a: usize| real(PExpr::from_dim(&x.shape[a + 2]));
    let mut steps: Vec<Stmt> = (0..r)
        .map(|a| {
            let mut at = vec![o[0].clone()];
            at.extend(o[2..].iter().cloned());
            at.push(PExpr::int((r - 1 - a) as i64));
            Stmt::store("coord", vec![PExpr::int(a as i64)], g.coordinate(real(load(1, at)), size(a)))
        })
        .collect();
    let tap_vars = index_vars("t", r);
    let (mut idx, mut weight, mut inside) = (vec![o[0].clone(), o[1].clone()], None::<PExpr>, PExpr::Bool(true));
    for (a, tap) in tap_vars.iter().enumerate() {
        let t = real(PExpr::var(tap));
        let (i, w) = match g.filter {
            None => (PExpr::cast(DType::F64, PExpr::cast(DType::I64, slot(a))), None),
            Some(f) => {
                let i = slot(a).floor() + PExpr::lit(1.0 - f.support() as f64) + t;
                (i.clone(), Some(f.weight(i - slot(a))))
            }
        };
        let p = PExpr::cast(DType::I64, g.tap_position(i, size(a)));
        let extent = PExpr::from_dim(&x.shape[a + 2]);
        let in_axis = PExpr::bin(
            BinOp::And,
            PExpr::bin(BinOp::Ge, p.clone(), PExpr::int(0)),
            PExpr::bin(BinOp::Lt, p.clone(), extent.clone()),
        );
        inside = PExpr::bin(BinOp::And, inside, in_axis);
        let last = extent - PExpr::int(1);
        idx.push(PExpr::bin(BinOp::Max, PExpr::bin(BinOp::Min, p, last), PExpr::int(0)));
        weight = match (weight, w) {
            (None, w) => w,
            (Some(p), Some(w)) => Some(p * w),
            (p, None) => p,
        };
    }
    let value = PExpr::select(inside, real(load(0, idx)), PExpr::lit(0.0));
    let term = match weight {
        Some(w) => w * value,
        None => value,
    };
    let count = g.filter.map_or(1, |f| 2 * f.support());
    let mut nest = Stmt::store("acc", vec![], accumulator("acc") + term);
    for var in tap_vars.iter().rev() {
        nest = Stmt::for_(var, PExpr::int(count), nest);
    }
    steps.push(Stmt::store("acc", vec![], PExpr::lit(0.0)));
    steps.push(nest);
    steps.push(Stmt::store("out", o.clone(), PExpr::cast(out.dtype, accumulator("acc"))));
    let coord = Buffer::new("coord", DType::F64, vec![Dim::Int(r as i64)]);
    let mut per_element = with_accumulators(&["acc"], DType::F64, Stmt::alloc(coord, Stmt::Seq(steps)));
    // An empty spatial axis has nothing to read: the output is 0.
    let nonempty = x.shape[2..]
        .iter()
        .filter(|d| d.as_int().is_none_or(|v| v < 1))
        .map(|d| PExpr::bin(BinOp::Ge, PExpr::from_dim(d), PExpr::int(1)))
        .reduce(|p, q| PExpr::bin(BinOp::And, p, q));
    if let Some(cond) = nonempty {
        let zero = Stmt::store("out", o, PExpr::constant(0.0, out.dtype));
        per_element = Stmt::If { cond, then_branch: Box::new(per_element), else_branch: Some(Box::new(zero)) };
    }
    let body = Stmt::loop_nest(&vars, &out.shape, per_element);
    Ok(prim_func(OP, args, outs, body))
}

#[cfg(test)]
mod tests;
