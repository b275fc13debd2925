//! Legalization of `resize`: one loop nest over the output. Each output
//! element first stores its coordinate on every resized axis in the scratch
//! buffer `coord` (so the formulas are evaluated once per element, not once
//! per tap), then either reads the nearest element or accumulates the
//! filter's taps, a nest of one loop per resized axis whose extent is the
//! axis's tap count (a run-time value with antialiasing, where it depends on
//! the scale).

use super::{Method, Resize};
use crate::ir::{Attrs, BinOp, Buffer, Dim, PExpr, PrimFunc, Stmt, TensorInfo};
use crate::op::compute::{accumulator, index_vars, load, prim_func, with_accumulators};
use crate::op::spatial::sampling::Transform;
use crate::op::spatial::sampling::{Filter, Real};
use relax_rt::DType;

/// Whether each axis's weights are divided by their sum: antialiasing
/// filters and `exclude_outside` are normalized; the plain linear and cubic
/// weights already sum to one.
pub fn normalizes(r: &Resize) -> bool {
    r.antialias || r.exclude_outside
}

fn real(e: PExpr) -> PExpr {
    PExpr::cast(DType::F64, e)
}

/// Element `j` of the rank-1 scratch buffer `name`.
fn slot(name: &str, j: usize) -> PExpr {
    PExpr::load(name, vec![PExpr::int(j as i64)])
}

fn set(name: &str, j: usize, value: PExpr) -> Stmt {
    Stmt::store(name, vec![PExpr::int(j as i64)], value)
}

fn clamp(i: PExpr, size: &Dim) -> PExpr {
    let last = PExpr::from_dim(size) - PExpr::int(1);
    PExpr::bin(BinOp::Min, PExpr::bin(BinOp::Max, i, PExpr::int(0)), last)
}

/// What every part of the kernel needs to know.
struct Ctx<'a> {
    r: &'a Resize,
    x: &'a TensorInfo,
    out: &'a TensorInfo,
    /// The output index variables.
    idx: Vec<PExpr>,
}

impl Ctx<'_> {
    /// The scale of the `j`-th resized axis `a`: read from `scales`, or
    /// `output / input`.
    fn scale(&self, j: usize, a: usize) -> PExpr {
        match self.r.scales_arg() {
            Some(arg) => real(load(arg, vec![PExpr::int(j as i64)])),
            None => real(PExpr::from_dim(&self.out.shape[a])) / real(PExpr::from_dim(&self.x.shape[a])),
        }
    }

    fn coordinate(&self, j: usize, a: usize) -> PExpr {
        let k = self.r.axes.len() as i64;
        let roi = self.r.roi_arg().map(|arg| {
            let at = |i: i64| real(load(arg, vec![PExpr::int(i)]));
            (at(j as i64), at(k + j as i64))
        });
        let (input, output) = (real(PExpr::from_dim(&self.x.shape[a])), real(PExpr::from_dim(&self.out.shape[a])));
        self.r.transform.source(real(self.idx[a].clone()), self.scale(j, a), input, output, roi)
    }

    /// Whether every coordinate lies in `[0, input - 1]` (tf_crop_and_resize).
    fn inside(&self) -> PExpr {
        let mut all = PExpr::Bool(true);
        for (j, &a) in self.r.axes.iter().enumerate() {
            let c = slot("coord", j);
            let last = real(PExpr::from_dim(&self.x.shape[a]) - PExpr::int(1));
            let ok = PExpr::bin(BinOp::And, PExpr::bin(BinOp::Ge, c.clone(), PExpr::lit(0.0)), c.le(&last));
            all = PExpr::bin(BinOp::And, all, ok);
        }
        all
    }

    /// Whether every resized input axis has an element to read, for the
    /// axes not known to at compile time; an empty one gives zeros.
    fn nonempty(&self) -> Option<PExpr> {
        self.r
            .axes
            .iter()
            .filter(|&&a| self.x.shape[a].as_int().is_none_or(|d| d < 1))
            .map(|&a| PExpr::bin(BinOp::Ge, PExpr::from_dim(&self.x.shape[a]), PExpr::int(1)))
            .reduce(|p, q| PExpr::bin(BinOp::And, p, q))
    }

    fn store(&self, value: PExpr) -> Stmt {
        Stmt::store("out", self.idx.clone(), value)
    }

    /// `out = x[...]` at the rounded, clamped coordinates.
    fn nearest(&self, rounding: crate::op::spatial::sampling::Rounding) -> Stmt {
        let mut src = self.idx.clone();
        for (j, &a) in self.r.axes.iter().enumerate() {
            let chosen = PExpr::cast(DType::I64, rounding.round(slot("coord", j)));
            src[a] = clamp(chosen, &self.x.shape[a]);
        }
        self.store(load(0, src))
    }

    /// The input index of tap `t` on the `j`-th resized axis (unclamped).
    fn tap(&self, j: usize, t: PExpr) -> PExpr {
        slot("first", j) + t
    }

    /// The weight of tap `t` on the `j`-th resized axis.
    fn weight(&self, filter: Filter, j: usize, a: usize, t: PExpr) -> PExpr {
        let i = self.tap(j, t);
        let w = filter.weight((real(i.clone()) - slot("coord", j)) * slot("stretch", j));
        if !self.r.exclude_outside {
            return w;
        }
        let size = PExpr::from_dim(&self.x.shape[a]);
        let inside =
            PExpr::bin(BinOp::And, PExpr::bin(BinOp::Ge, i.clone(), PExpr::int(0)), PExpr::bin(BinOp::Lt, i, size));
        PExpr::select(inside, w, PExpr::lit(0.0))
    }

    /// Per axis: the stretch, tap count, first tap and (when normalizing)
    /// the weight sum; then the weighted sum over every combination of taps.
    fn filtered(&self, filter: Filter) -> Stmt {
        let mut steps = Vec::new();
        for (j, &a) in self.r.axes.iter().enumerate() {
            steps.push(set("stretch", j, Filter::stretch(self.r.antialias, self.scale(j, a))));
            let half = match self.r.antialias {
                true => PExpr::cast(DType::I64, filter.half_taps(slot("stretch", j))),
                false => PExpr::int(filter.support()),
            };
            steps.push(set("taps", j, half.clone() * PExpr::int(2)));
            let below = PExpr::cast(DType::I64, slot("coord", j).floor());
            steps.push(set("first", j, below + PExpr::int(1) - half));
            if normalizes(self.r) {
                let var = format!("w{j}");
                let add = set("wsum", j, slot("wsum", j) + self.weight(filter, j, a, PExpr::var(&var)));
                steps.push(set("wsum", j, PExpr::lit(0.0)));
                steps.push(Stmt::for_(&var, slot("taps", j), add));
            }
        }
        let tap_vars = index_vars("t", self.r.axes.len());
        let mut src = self.idx.clone();
        let mut weight: Option<PExpr> = None;
        for (j, &a) in self.r.axes.iter().enumerate() {
            let t = PExpr::var(&tap_vars[j]);
            src[a] = clamp(self.tap(j, t.clone()), &self.x.shape[a]);
            let w = self.weight(filter, j, a, t);
            weight = Some(match weight {
                None => w,
                Some(p) => p * w,
            });
        }
        let term = weight.unwrap_or_else(|| PExpr::lit(1.0)) * real(load(0, src));
        let mut nest = Stmt::store("acc", vec![], accumulator("acc") + term);
        for (j, var) in tap_vars.iter().enumerate().rev() {
            nest = Stmt::for_(var, slot("taps", j), nest);
        }
        steps.push(Stmt::store("acc", vec![], PExpr::lit(0.0)));
        steps.push(nest);
        let mut total = accumulator("acc");
        if normalizes(self.r) {
            for j in 0..self.r.axes.len() {
                total = total / slot("wsum", j);
            }
        }
        steps.push(self.store(PExpr::cast(self.out.dtype, total)));
        let k = self.r.axes.len();
        let scratch = [("stretch", DType::F64), ("taps", DType::I64), ("first", DType::I64), ("wsum", DType::F64)];
        let body = scratch.iter().rev().fold(Stmt::Seq(steps), |body, &(name, dtype)| {
            Stmt::alloc(Buffer::new(name, dtype, vec![Dim::Int(k as i64)]), body)
        });
        with_accumulators(&["acc"], DType::F64, body)
    }
}

pub fn legalize(args: &[TensorInfo], attrs: &Attrs, outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let r = Resize::check(args, attrs)?;
    let (x, out) = (&args[0], &outs[0]);
    let vars = index_vars("i", out.rank());
    let ctx = Ctx { r: &r, x, out, idx: vars.iter().map(|v| PExpr::var(v)).collect() };
    let mut steps: Vec<Stmt> = r.axes.iter().enumerate().map(|(j, &a)| set("coord", j, ctx.coordinate(j, a))).collect();
    let value = match r.method {
        Method::Nearest(rounding) => ctx.nearest(rounding),
        Method::Filter(filter) => ctx.filtered(filter),
    };
    let value = match r.transform {
        Transform::TfCropAndResize => Stmt::If {
            cond: ctx.inside(),
            then_branch: Box::new(value),
            else_branch: Some(Box::new(ctx.store(PExpr::constant(r.extrapolation, out.dtype)))),
        },
        _ => value,
    };
    steps.push(match ctx.nonempty() {
        None => value,
        Some(cond) => Stmt::If {
            cond,
            then_branch: Box::new(value),
            else_branch: Some(Box::new(ctx.store(PExpr::constant(0.0, out.dtype)))),
        },
    });
    let coord = Buffer::new("coord", DType::F64, vec![Dim::Int(r.axes.len() as i64)]);
    let body = Stmt::loop_nest(&vars, &out.shape, Stmt::alloc(coord, Stmt::Seq(steps)));
    Ok(prim_func("resize", args, outs, body))
}
