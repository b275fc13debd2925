//! Axis lists given at run time (a graph input of axes): which axes they
//! name, as one flag per axis (see `dim_logic`), and the shapes that removing
//! or inserting the named axes gives. Each result is a derived dim, so shapes
//! stay short however many cases the flags distinguish.

use super::importer::Importer;
use crate::ir::dim_logic::{any, equals, not, resolve_axis, select};
use crate::ir::Dim;

/// For each of `rank` axes, 1 when `axes` (negative ones counted from the end)
/// names it.
pub fn named(importer: &mut Importer, axes: &[Dim], rank: usize) -> Vec<Dim> {
    let resolved: Vec<Dim> = axes.iter().map(|a| resolve_axis(a, rank)).collect();
    (0..rank)
        .map(|i| {
            let flag = any(resolved.iter().map(|a| equals(&(a.clone() - i as i64), 0)));
            importer.derived_dim("named_axis", flag)
        })
        .collect()
}

/// `dims` without the flagged axes, as `count` dims: the i-th unflagged dim
/// lands in slot i. (When the flags name a different number of axes than
/// the caller expects, the element count check of the reshape fails.)
pub fn remove(importer: &mut Importer, dims: &[Dim], flags: &[Dim], count: usize) -> Vec<Dim> {
    let mut out = vec![Dim::Int(0); count];
    let mut position = Dim::Int(0);
    for (d, flag) in dims.iter().zip(flags) {
        let kept = not(flag);
        for (j, slot) in out.iter_mut().enumerate() {
            let here = equals(&(position.clone() - j as i64), 0) * kept.clone();
            *slot = (slot.clone() + here * d.clone()).simplify();
        }
        position = importer.derived_dim("kept_before", position + kept);
    }
    out.into_iter().map(|d| importer.derived_dim("kept_dim", d)).collect()
}

/// `dims` with a 1 inserted at each flagged axis of the result (`flags` has
/// one entry per result axis).
pub fn insert(importer: &mut Importer, dims: &[Dim], flags: &[Dim]) -> Vec<Dim> {
    let mut source = Dim::Int(0);
    let mut out = Vec::with_capacity(flags.len());
    for flag in flags {
        let old: Dim = dims
            .iter()
            .enumerate()
            .fold(Dim::Int(0), |acc, (i, d)| acc + equals(&(source.clone() - i as i64), 0) * d.clone());
        out.push(importer.derived_dim("unsqueezed_dim", select(flag, &Dim::Int(1), &old)));
        source = importer.derived_dim("source_axis", source + not(flag));
    }
    out
}
