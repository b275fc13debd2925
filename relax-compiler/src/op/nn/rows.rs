//! Row-wise kernels for normalizations (softmax, layer_norm).
//!
//! A tensor's axes split into outer axes, which a loop nest visits once each,
//! and a contiguous range of "row" axes that every pass over a row walks. Row
//! statistics (max, sum, mean) live in rank-0 scratch buffers, so no
//! temporary grows with the row length, which may be symbolic.

use crate::ir::{Dim, PExpr, Stmt};
use crate::ndarray::{NDArray, Scalar};
use crate::op::compute::accumulator;
use relax_rt::DType;
use std::ops::Range;

/// The loop structure of a row-wise kernel over a tensor of `shape`.
pub struct Rows {
    shape: Vec<Dim>,
    row_axes: Range<usize>,
}

impl Rows {
    pub fn new(shape: &[Dim], row_axes: Range<usize>) -> Rows {
        Rows { shape: shape.to_vec(), row_axes }
    }

    /// Loop variable of axis `axis`: `i<axis>` for outer axes, `r<k>` for the
    /// k-th row axis.
    fn var(&self, axis: usize) -> String {
        if self.row_axes.contains(&axis) {
            format!("r{}", axis - self.row_axes.start)
        } else {
            format!("i{axis}")
        }
    }

    /// The index of the current element, inside both loop nests.
    pub fn element(&self) -> Vec<PExpr> {
        (0..self.shape.len()).map(|axis| PExpr::var(&self.var(axis))).collect()
    }

    /// The position of the current element within its row (one index per row axis).
    pub fn position_in_row(&self) -> Vec<PExpr> {
        self.row_axes.clone().map(|axis| PExpr::var(&self.var(axis))).collect()
    }

    /// The shape of one row.
    pub fn row_shape(&self) -> Vec<Dim> {
        self.shape[self.row_axes.clone()].to_vec()
    }

    /// The number of elements in a row, as a value of `dtype`.
    pub fn row_len(&self, dtype: DType) -> PExpr {
        PExpr::cast(dtype, PExpr::from_dim(&Dim::product(&self.shape[self.row_axes.clone()])))
    }

    /// `body` once per row.
    pub fn for_each_row(&self, body: Stmt) -> Stmt {
        self.loops(body, |axis| !self.row_axes.contains(&axis))
    }

    /// `body` once per element of the current row.
    pub fn for_each_in_row(&self, body: Stmt) -> Stmt {
        self.loops(body, |axis| self.row_axes.contains(&axis))
    }

    fn loops(&self, body: Stmt, keep: impl Fn(usize) -> bool) -> Stmt {
        let axes: Vec<usize> = (0..self.shape.len()).filter(|&a| keep(a)).collect();
        let vars: Vec<String> = axes.iter().map(|&a| self.var(a)).collect();
        let extents: Vec<Dim> = axes.iter().map(|&a| self.shape[a].clone()).collect();
        Stmt::loop_nest(&vars, &extents, body)
    }

    /// `acc = init; for each element of the row: acc = step(acc)`.
    pub fn fold(&self, acc: &str, init: PExpr, step: impl FnOnce(PExpr) -> PExpr) -> Stmt {
        let update = Stmt::store(acc, vec![], step(accumulator(acc)));
        Stmt::Seq(vec![Stmt::store(acc, vec![], init), self.for_each_in_row(update)])
    }
}

/// Reference semantics of a row-wise op: `f` maps the values of one row (in
/// row-major order over the row axes) to that row's outputs.
pub fn map_rows(x: &NDArray, row_axes: Range<usize>, f: impl Fn(&[f64]) -> Vec<f64>) -> NDArray {
    let shape = x.shape();
    let row_len: usize = shape[row_axes.clone()].iter().product();
    // Row axes are contiguous, so a row is `row_len` elements spaced by the
    // size of the trailing axes, starting where the outer indices put it.
    let step: usize = shape[row_axes.end..].iter().product();
    let outer: usize = shape[..row_axes.start].iter().product();
    let mut out = NDArray::zeros(x.dtype(), shape);
    for o in 0..outer {
        for inner in 0..step {
            let start = o * row_len * step + inner;
            let offsets: Vec<usize> = (0..row_len).map(|r| start + r * step).collect();
            let values: Vec<f64> = offsets.iter().map(|&i| x.get(i).to_f64()).collect();
            for (&i, v) in offsets.iter().zip(f(&values)) {
                out.set(i, Scalar::F(v));
            }
        }
    }
    out
}
