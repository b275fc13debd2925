//! `TreeEnsemble` (ai.onnx.ml 5): the summed (or averaged, or extreme) leaf
//! weights each sample of `X [N, F]` reaches, per target: `Y [N, n_targets]`.
//!
//! The trees are known at compile time, so they become dense tensor work
//! rather than a branchy walk:
//! 1. every interior node's test on every sample at once: the tested
//!    features gathered into `[N, K]`, compared with the split values per
//!    mode, membership as equality with a member table;
//! 2. which path of each tree a sample takes: with the tests as 0/1 in `s`
//!    and `D[k, p]` +1 where path `p` takes node `k`'s true branch and -1
//!    where it takes the false one, `(s @ D)[n, p]` reaches the number of
//!    true branches on `p` exactly when every test went `p`'s way;
//! 3. the reached paths' leaf weights combined per target: a matmul of the
//!    0/1 path mask with the weights for `SUM` and `AVERAGE`, a masked
//!    reduction for `MIN` and `MAX`.
//!
//! A target no tree gives to is 0 for `SUM` and `AVERAGE` and, as in the
//! ONNX reference implementation, the dtype's largest (`MIN`) or smallest
//! (`MAX`) finite value. Only `post_transform = NONE` is implemented.

use super::trees::{Ensemble, Mode, Path};
use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::ndarray::NDArray;
use relax_rt::DType;
use std::collections::BTreeMap;

pub const ATTRIBUTES: &[&str] = &[
    "aggregate_function",
    "leaf_targetids",
    "leaf_weights",
    "membership_values",
    "n_targets",
    "nodes_falseleafs",
    "nodes_falsenodeids",
    "nodes_featureids",
    "nodes_hitrates",
    "nodes_missing_value_tracks_true",
    "nodes_modes",
    "nodes_splits",
    "nodes_trueleafs",
    "nodes_truenodeids",
    "post_transform",
    "tree_roots",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Aggregate {
    Average,
    Sum,
    Min,
    Max,
}

fn aggregate(attrs: &Attributes) -> Result<Aggregate, String> {
    match attrs.int_or("aggregate_function", 1)? {
        0 => Ok(Aggregate::Average),
        1 => Ok(Aggregate::Sum),
        2 => Ok(Aggregate::Min),
        3 => Ok(Aggregate::Max),
        other => Err(format!("attribute aggregate_function={other} is not one of 0 to 3")),
    }
}

/// `nodes_hitrates` only guides performance, so it is accepted and unused.
pub fn check(attrs: &Attributes, _: i64) -> Result<(), String> {
    aggregate(attrs)?;
    match attrs.int_or("post_transform", 0)? {
        0 => Ok(()),
        other => Err(format!("attribute post_transform={other} is not supported (only 0, NONE)")),
    }
}

pub fn convert(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let info = x.info();
    if info.rank() != 2 || !info.dtype.is_float() {
        return Err(format!("the input must be a float matrix [N, F], got {info}"));
    }
    let ensemble = Ensemble::from_attrs(&ctx.attrs, &ctx.importer.external)?;
    let paths = ensemble.paths()?;
    let tested = Tested::of(&paths);
    let features = info.shape[1].as_int();
    let beyond =
        tested.nodes.iter().map(|&k| ensemble.nodes[k].feature).find(|&f| features.is_some_and(|n| f as i64 >= n));
    if let (Some(feature), Some(n)) = (beyond, features) {
        return Err(format!("a node tests feature {feature}, but the input has {n} features"));
    }
    let mask = match tested.nodes.is_empty() {
        true => all_true(ctx, &info.shape[0], paths.len())?,
        false => {
            let tests = node_tests(ctx, &ensemble, &tested, x.clone())?;
            path_mask(ctx, &paths, &tested, tests, info.dtype)?
        }
    };
    let mask = ctx.bind(mask, "reached");
    let y = combine(ctx, &ensemble, &paths, mask, info.dtype, aggregate(&ctx.attrs)?)?;
    Ok(vec![y])
}

/// The interior nodes some path tests, each with its column in the tests.
struct Tested {
    nodes: Vec<usize>,
    column: BTreeMap<usize, usize>,
}

impl Tested {
    fn of(paths: &[Path]) -> Tested {
        let mut nodes: Vec<usize> = paths.iter().flat_map(|p| p.steps.iter().map(|&(n, _)| n)).collect();
        nodes.sort_unstable();
        nodes.dedup();
        let column = nodes.iter().enumerate().map(|(c, &n)| (n, c)).collect();
        Tested { nodes, column }
    }
}

fn call(ctx: &mut NodeCtx, op: &str, args: &[Value]) -> Result<Value, String> {
    ctx.call(op, args, Attrs::new())
}

fn constant(dtype: DType, shape: &[usize], values: &[f64]) -> Value {
    Value::constant(NDArray::from_f64_values(dtype, shape, values))
}

fn bools(values: &[bool]) -> Value {
    let ints: Vec<i64> = values.iter().map(|&b| b as i64).collect();
    Value::constant(NDArray::from_i64_values(DType::Bool, &[values.len()], &ints))
}

/// `[N, P]` of `true`: every tree is one leaf, reached by every sample.
fn all_true(ctx: &mut NodeCtx, n: &Dim, paths: usize) -> Result<Value, String> {
    let shape = AttrValue::Dims(vec![n.clone(), Dim::from(paths as i64)]);
    ctx.call("broadcast_to", &[Value::scalar(DType::Bool, 1.0)], Attrs::new().with("shape", shape))
}

/// `[N, K]` bool: the outcome of each tested node's test on each sample. The
/// comparisons run in the wider of the input's and the splits' dtypes, so
/// split values are never rounded.
fn node_tests(ctx: &mut NodeCtx, ensemble: &Ensemble, tested: &Tested, x: Value) -> Result<Value, String> {
    let dtype = if ensemble.split_dtype == DType::F64 { DType::F64 } else { x.dtype() };
    let x = match x.dtype() == dtype {
        true => x,
        false => ctx.call("cast", &[x], Attrs::new().with("dtype", AttrValue::DType(dtype)))?,
    };
    let nodes: Vec<_> = tested.nodes.iter().map(|&k| &ensemble.nodes[k]).collect();
    let features: Vec<i64> = nodes.iter().map(|n| n.feature as i64).collect();
    let features = Value::constant(NDArray::from_i64_values(DType::I64, &[features.len()], &features));
    let columns = ctx.call("take", &[x, features], Attrs::new().with("axis", AttrValue::Int(1)))?;
    let columns = ctx.bind(columns, "features");
    let splits: Vec<f64> = nodes.iter().map(|n| n.split).collect();
    let splits = constant(dtype, &[splits.len()], &splits);
    let mut modes: Vec<Mode> = nodes.iter().map(|n| n.mode).collect();
    modes.sort_unstable();
    modes.dedup();
    let mut outcome: Option<Value> = None;
    for mode in modes {
        let test = match mode {
            Mode::Member => membership(ctx, &nodes, columns.clone(), dtype)?,
            _ => call(ctx, comparison(mode), &[columns.clone(), splits.clone()])?,
        };
        outcome = Some(match outcome {
            None => test,
            Some(before) => {
                let here = bools(&nodes.iter().map(|n| n.mode == mode).collect::<Vec<_>>());
                call(ctx, "where", &[here, test, before])?
            }
        });
    }
    let outcome = outcome.ok_or("internal error: no node is tested")?;
    if !nodes.iter().any(|n| n.nan_is_true) {
        return Ok(outcome);
    }
    let nan = call(ctx, "not_equal", &[columns.clone(), columns])?;
    let tracks = bools(&nodes.iter().map(|n| n.nan_is_true).collect::<Vec<_>>());
    let nan_true = call(ctx, "logical_and", &[nan, tracks])?;
    call(ctx, "logical_or", &[outcome, nan_true])
}

fn comparison(mode: Mode) -> &'static str {
    match mode {
        Mode::Leq => "less_equal",
        Mode::Lt => "less",
        Mode::Gte => "greater_equal",
        Mode::Gt => "greater",
        Mode::Eq => "equal",
        Mode::Neq | Mode::Member => "not_equal",
    }
}

/// `[N, K]` bool: whether each column's value is a member of its node's set.
/// The sets are a `[K, M]` table padded with NaN, which equals nothing.
fn membership(ctx: &mut NodeCtx, nodes: &[&super::trees::Node], columns: Value, dtype: DType) -> Result<Value, String> {
    let width = nodes.iter().map(|n| n.members.len()).max().unwrap_or(0);
    if width == 0 {
        let shape = AttrValue::Dims(columns.info().shape);
        return ctx.call("broadcast_to", &[Value::scalar(DType::Bool, 0.0)], Attrs::new().with("shape", shape));
    }
    let mut table = vec![f64::NAN; nodes.len() * width];
    for (k, node) in nodes.iter().enumerate() {
        table[k * width..k * width + node.members.len()].copy_from_slice(&node.members);
    }
    let table = constant(dtype, &[nodes.len(), width], &table);
    let columns = ctx.call("expand_dims", &[columns], Attrs::new().with("axis", ints_attr(&[2])))?;
    let equal = call(ctx, "equal", &[columns, table])?;
    let over = Attrs::new().with("axes", ints_attr(&[2])).with("keepdims", AttrValue::Bool(false));
    ctx.call("max", &[equal], over)
}

/// `[N, P]` bool: whether each sample takes each path (step 2 above), tree by
/// tree, the trees' masks concatenated.
fn path_mask(ctx: &mut NodeCtx, paths: &[Path], tested: &Tested, tests: Value, dtype: DType) -> Result<Value, String> {
    let n = tests.info().shape[0].clone();
    let scores = ctx.call("cast", &[tests], Attrs::new().with("dtype", AttrValue::DType(dtype)))?;
    let scores = ctx.bind(scores, "tests");
    let mut masks = Vec::new();
    let trees = paths.iter().map(|p| p.tree).max().map_or(0, |t| t + 1);
    for tree in 0..trees {
        let tree_paths: Vec<&Path> = paths.iter().filter(|p| p.tree == tree).collect();
        masks.push(tree_mask(ctx, &tree_paths, tested, &scores, dtype, &n)?);
    }
    match masks.len() {
        1 => Ok(masks.remove(0)),
        _ => ctx.call("concat", &masks, Attrs::new().with("axis", AttrValue::Int(1))),
    }
}

fn tree_mask(
    ctx: &mut NodeCtx,
    paths: &[&Path],
    tested: &Tested,
    scores: &Value,
    dtype: DType,
    n: &Dim,
) -> Result<Value, String> {
    let mut nodes: Vec<usize> = paths.iter().flat_map(|p| p.steps.iter().map(|&(k, _)| k)).collect();
    nodes.sort_unstable();
    nodes.dedup();
    if nodes.is_empty() {
        return all_true(ctx, n, paths.len());
    }
    let columns: Vec<i64> = nodes.iter().map(|k| tested.column[k] as i64).collect();
    let columns = Value::constant(NDArray::from_i64_values(DType::I64, &[columns.len()], &columns));
    let own = ctx.call("take", &[scores.clone(), columns], Attrs::new().with("axis", AttrValue::Int(1)))?;
    let mut directions = vec![0.0; nodes.len() * paths.len()];
    let mut trues = vec![0.0; paths.len()];
    for (p, path) in paths.iter().enumerate() {
        for &(node, taken) in &path.steps {
            let row = nodes.binary_search(&node).map_err(|_| "internal error: a path node is not tested")?;
            directions[row * paths.len() + p] = if taken { 1.0 } else { -1.0 };
            trues[p] += taken as u8 as f64;
        }
    }
    let directions = constant(dtype, &[nodes.len(), paths.len()], &directions);
    let score = call(ctx, "matmul", &[own, directions])?;
    call(ctx, "equal", &[score, constant(dtype, &[paths.len()], &trues)])
}

/// `Y [N, T]` from the path mask (step 3 above).
fn combine(
    ctx: &mut NodeCtx,
    ensemble: &Ensemble,
    paths: &[Path],
    mask: Value,
    dtype: DType,
    how: Aggregate,
) -> Result<Value, String> {
    let (p, t) = (paths.len(), ensemble.targets);
    let leaf = |path: &Path| ensemble.leaves[path.leaf];
    let finite = paths.iter().all(|path| leaf(path).weight.is_finite());
    if matches!(how, Aggregate::Sum | Aggregate::Average) && finite {
        let mut weights = vec![0.0; p * t];
        for (k, path) in paths.iter().enumerate() {
            weights[k * t + leaf(path).target] = leaf(path).weight;
        }
        let reached = ctx.call("cast", &[mask], Attrs::new().with("dtype", AttrValue::DType(dtype)))?;
        let sum = call(ctx, "matmul", &[reached, constant(dtype, &[p, t], &weights)])?;
        return average_if(ctx, sum, how, ensemble.roots.len());
    }
    let (fill, reduce) = match how {
        Aggregate::Sum | Aggregate::Average => (0.0, "sum"),
        Aggregate::Min => (largest(dtype), "min"),
        Aggregate::Max => (-largest(dtype), "max"),
    };
    let mut gives = vec![false; p * t];
    for (k, path) in paths.iter().enumerate() {
        gives[k * t + leaf(path).target] = true;
    }
    let gives = ctx.call("reshape", &[bools(&gives)], Attrs::new().with("shape", ints_attr(&[p as i64, t as i64])))?;
    let mask = ctx.call("expand_dims", &[mask], Attrs::new().with("axis", ints_attr(&[2])))?;
    let selected = call(ctx, "logical_and", &[mask, gives])?;
    let weights: Vec<f64> = paths.iter().map(|path| leaf(path).weight).collect();
    let weights = constant(dtype, &[p, 1], &weights);
    let values = call(ctx, "where", &[selected, weights, Value::scalar(dtype, fill)])?;
    let over = Attrs::new().with("axes", ints_attr(&[1])).with("keepdims", AttrValue::Bool(false));
    let combined = ctx.call(reduce, &[values], over)?;
    average_if(ctx, combined, how, ensemble.roots.len())
}

fn average_if(ctx: &mut NodeCtx, sum: Value, how: Aggregate, trees: usize) -> Result<Value, String> {
    match how {
        Aggregate::Average => call(ctx, "div", &[sum.clone(), Value::scalar(sum.dtype(), trees as f64)]),
        _ => Ok(sum),
    }
}

fn largest(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => f32::MAX as f64,
        _ => f64::MAX,
    }
}
