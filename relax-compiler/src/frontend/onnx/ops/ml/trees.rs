//! A tree ensemble as `TreeEnsemble`'s attributes encode it, checked, and
//! the paths from each tree's root to its leaves.
//!
//! Interior nodes are the positions of the `nodes_*` attributes; each tests
//! one feature and branches to another node or to a leaf (a position of the
//! `leaf_*` attributes), which gives one weight to one target. A sample takes
//! exactly one path per tree: the converter evaluates every node's test and
//! keeps the path whose tests all went its way.

use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::external::ExternalData;
use crate::frontend::onnx::tensor::to_ndarray;
use crate::ndarray::NDArray;
use relax_rt::DType;

/// How a node compares its feature `x` with its split value `s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// `x <= s`
    Leq,
    /// `x < s`
    Lt,
    /// `x >= s`
    Gte,
    /// `x > s`
    Gt,
    /// `x == s`
    Eq,
    /// `x != s`
    Neq,
    /// `x` is one of the node's members.
    Member,
}

impl Mode {
    fn from_code(code: i64) -> Result<Mode, String> {
        const MODES: [Mode; 7] = [Mode::Leq, Mode::Lt, Mode::Gte, Mode::Gt, Mode::Eq, Mode::Neq, Mode::Member];
        usize::try_from(code)
            .ok()
            .and_then(|k| MODES.get(k).copied())
            .ok_or_else(|| format!("nodes_modes has {code}, which is not a mode (0 to 6)"))
    }
}

/// Where a branch goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Branch {
    Node(usize),
    Leaf(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub feature: usize,
    pub mode: Mode,
    /// The split value (unused by `Member` nodes).
    pub split: f64,
    /// The set a `Member` node tests against (empty for the others).
    pub members: Vec<f64>,
    /// Whether a NaN feature takes the true branch whatever the test says.
    pub nan_is_true: bool,
    /// The true branch, then the false one.
    pub branches: [Branch; 2],
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Leaf {
    pub target: usize,
    pub weight: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ensemble {
    pub nodes: Vec<Node>,
    pub leaves: Vec<Leaf>,
    pub roots: Vec<usize>,
    pub targets: usize,
    /// The dtype of the split values (and members), which the tests compare in
    /// when it is wider than the input's.
    pub split_dtype: DType,
}

/// One way through one tree: the nodes passed, each with the branch taken
/// (`true` for the true branch), and the leaf reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    pub tree: usize,
    pub steps: Vec<(usize, bool)>,
    pub leaf: usize,
}

/// More paths than this (a model whose trees share subtrees so that paths
/// multiply) are rejected rather than enumerated.
const MAX_PATHS: usize = 1 << 20;

impl Ensemble {
    pub fn from_attrs(attrs: &Attributes, external: &ExternalData) -> Result<Ensemble, String> {
        let tensor = |name: &str| -> Result<Option<NDArray>, String> {
            attrs
                .tensor(name)?
                .map(|t| to_ndarray(t, external).map_err(|e| format!("attribute {name}: {e}")))
                .transpose()
        };
        let required_ints = |name: &str| attrs.ints(name)?.ok_or_else(|| format!("attribute {name} is required"));
        let required_tensor = |name: &str| tensor(name)?.ok_or_else(|| format!("attribute {name} is required"));
        let features = required_ints("nodes_featureids")?;
        let count = features.len();
        let modes = values(&required_tensor("nodes_modes")?);
        let splits = required_tensor("nodes_splits")?;
        let lists = [
            ("nodes_modes", modes.len()),
            ("nodes_splits", splits.numel()),
            ("nodes_truenodeids", required_ints("nodes_truenodeids")?.len()),
            ("nodes_falsenodeids", required_ints("nodes_falsenodeids")?.len()),
            ("nodes_trueleafs", required_ints("nodes_trueleafs")?.len()),
            ("nodes_falseleafs", required_ints("nodes_falseleafs")?.len()),
        ];
        if let Some((name, len)) = lists.iter().find(|(_, len)| *len != count) {
            return Err(format!("attribute {name} has {len} entries, but nodes_featureids has {count}"));
        }
        let tracks = attrs.ints("nodes_missing_value_tracks_true")?.unwrap_or_else(|| vec![0; count]);
        if tracks.len() != count {
            return Err(format!("nodes_missing_value_tracks_true has {} entries, not {count}", tracks.len()));
        }
        let leaves = leaves(attrs, &required_tensor("leaf_weights")?)?;
        let modes = modes.iter().map(|&m| Mode::from_code(m as i64)).collect::<Result<Vec<_>, _>>()?;
        let mut members = member_sets(tensor("membership_values")?, &modes)?.into_iter();
        let branch = |kind: &str, k: usize| -> Result<Branch, String> {
            let to = required_ints(&format!("nodes_{kind}nodeids"))?[k];
            let leaf = required_ints(&format!("nodes_{kind}leafs"))?[k] != 0;
            let (bound, what) = if leaf { (leaves.len(), "leaf") } else { (count, "node") };
            let index = usize::try_from(to).ok().filter(|&i| i < bound);
            let index = index.ok_or_else(|| format!("node {k}'s {kind} branch goes to {what} {to}, out of range"))?;
            Ok(if leaf { Branch::Leaf(index) } else { Branch::Node(index) })
        };
        let nodes = (0..count)
            .map(|k| {
                let feature = usize::try_from(features[k]).map_err(|_| format!("node {k} has feature {}", features[k]));
                Ok(Node {
                    feature: feature?,
                    mode: modes[k],
                    split: splits.get(k).to_f64(),
                    members: if modes[k] == Mode::Member { members.next().unwrap_or_default() } else { vec![] },
                    nan_is_true: tracks[k] != 0,
                    branches: [branch("true", k)?, branch("false", k)?],
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let roots = required_ints("tree_roots")?
            .into_iter()
            .map(|r| usize::try_from(r).ok().filter(|&r| r < count).ok_or_else(|| format!("tree root {r} is no node")))
            .collect::<Result<Vec<_>, _>>()?;
        if roots.is_empty() {
            return Err("attribute tree_roots must name at least one tree".to_string());
        }
        let targets = attrs.int("n_targets")?.ok_or("attribute n_targets is required")?;
        let targets = usize::try_from(targets).ok().filter(|&t| t > 0).ok_or("n_targets must be positive")?;
        if let Some(leaf) = leaves.iter().find(|l| l.target >= targets) {
            return Err(format!("a leaf gives to target {}, but n_targets is {targets}", leaf.target));
        }
        Ok(Ensemble { nodes, leaves, roots, targets, split_dtype: splits.dtype() })
    }

    /// Every path of every tree, tree by tree. A root whose branches both go
    /// to one leaf is a tree of that leaf alone (ONNX's encoding of a
    /// one-leaf tree), whatever its test.
    pub fn paths(&self) -> Result<Vec<Path>, String> {
        let mut paths = Vec::new();
        for (tree, &root) in self.roots.iter().enumerate() {
            match self.nodes[root].branches {
                [Branch::Leaf(a), Branch::Leaf(b)] if a == b => paths.push(Path { tree, steps: vec![], leaf: a }),
                _ => self.walk(tree, root, &mut Vec::new(), &mut paths)?,
            }
        }
        Ok(paths)
    }

    fn walk(
        &self,
        tree: usize,
        node: usize,
        steps: &mut Vec<(usize, bool)>,
        out: &mut Vec<Path>,
    ) -> Result<(), String> {
        if steps.iter().any(|&(n, _)| n == node) {
            return Err(format!("tree {tree} has a cycle through node {node}"));
        }
        for (branch, taken) in self.nodes[node].branches.into_iter().zip([true, false]) {
            steps.push((node, taken));
            match branch {
                Branch::Leaf(leaf) => {
                    if out.len() == MAX_PATHS {
                        return Err(format!("the trees have more than {MAX_PATHS} paths from roots to leaves"));
                    }
                    out.push(Path { tree, steps: steps.clone(), leaf });
                }
                Branch::Node(next) => self.walk(tree, next, steps, out)?,
            }
            steps.pop();
        }
        Ok(())
    }
}

/// A tensor's elements as f64.
fn values(a: &NDArray) -> Vec<f64> {
    (0..a.numel()).map(|i| a.get(i).to_f64()).collect()
}

fn leaves(attrs: &Attributes, weights: &NDArray) -> Result<Vec<Leaf>, String> {
    let targets = attrs.ints("leaf_targetids")?.ok_or("attribute leaf_targetids is required")?;
    if targets.len() != weights.numel() {
        return Err(format!("leaf_targetids has {} entries, leaf_weights {}", targets.len(), weights.numel()));
    }
    targets
        .iter()
        .zip(values(weights))
        .map(|(&t, weight)| {
            let target = usize::try_from(t).map_err(|_| format!("a leaf gives to target {t}"))?;
            Ok(Leaf { target, weight })
        })
        .collect()
}

/// The member sets of the `Member` nodes, in their order in `nodes_modes`:
/// `membership_values` lists them one after another, each ended by a NaN.
fn member_sets(values_tensor: Option<NDArray>, modes: &[Mode]) -> Result<Vec<Vec<f64>>, String> {
    let wanted = modes.iter().filter(|&&m| m == Mode::Member).count();
    let Some(tensor) = values_tensor else {
        return match wanted {
            0 => Ok(vec![]),
            _ => Err("membership_values is required when a node has mode BRANCH_MEMBER (6)".to_string()),
        };
    };
    let all = values(&tensor);
    let mut sets: Vec<Vec<f64>> = all.split(|v| v.is_nan()).map(<[f64]>::to_vec).collect();
    if all.last().is_some_and(|v| v.is_nan()) || all.is_empty() {
        sets.pop();
    }
    if sets.len() != wanted {
        return Err(format!("membership_values holds {} sets, but {wanted} nodes have mode BRANCH_MEMBER", sets.len()));
    }
    Ok(sets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::onnx::builder::{attr_int, attr_ints, attr_tensor};
    use crate::frontend::onnx::proto::AttributeProto;
    use std::path::Path as FsPath;

    /// Three nodes: 0 tests feature 0 <= 1 (true: node 1, false: leaf 2);
    /// 1 tests feature 1 is in {3, 4} (true: leaf 0, false: node 2); 2 tests
    /// feature 0 > 0.5 (true: leaf 1, false: leaf 2).
    fn attrs(modes: &[i64], members: Option<&[f64]>) -> Vec<AttributeProto> {
        let f32s = |v: &[f64]| NDArray::from_f64_values(DType::F32, &[v.len()], v);
        let mut list = vec![
            attr_ints("nodes_featureids", &[0, 1, 0]),
            attr_tensor("nodes_modes", &NDArray::from_i64_values(DType::U8, &[3], modes)),
            attr_tensor("nodes_splits", &f32s(&[1.0, 0.0, 0.5])),
            attr_ints("nodes_truenodeids", &[1, 0, 1]),
            attr_ints("nodes_trueleafs", &[0, 1, 1]),
            attr_ints("nodes_falsenodeids", &[2, 2, 2]),
            attr_ints("nodes_falseleafs", &[1, 0, 1]),
            attr_ints("leaf_targetids", &[0, 1, 1]),
            attr_tensor("leaf_weights", &f32s(&[1.0, 2.0, 3.0])),
            attr_ints("tree_roots", &[0]),
            attr_int("n_targets", 2),
        ];
        if let Some(m) = members {
            list.push(attr_tensor("membership_values", &f32s(m)));
        }
        list
    }

    fn ensemble(list: &[AttributeProto]) -> Result<Ensemble, String> {
        Ensemble::from_attrs(&Attributes::new(list), &ExternalData::new(FsPath::new(".")))
    }

    #[test]
    fn reads_nodes_members_and_paths() {
        let e = ensemble(&attrs(&[0, 6, 3], Some(&[3.0, 4.0, f64::NAN]))).unwrap();
        assert_eq!(e.nodes[1].mode, Mode::Member);
        assert_eq!(e.nodes[1].members, vec![3.0, 4.0]);
        assert_eq!(e.nodes[0].branches, [Branch::Node(1), Branch::Leaf(2)]);
        let paths = e.paths().unwrap();
        let described: Vec<(Vec<(usize, bool)>, usize)> = paths.into_iter().map(|p| (p.steps, p.leaf)).collect();
        assert_eq!(
            described,
            vec![
                (vec![(0, true), (1, true)], 0),
                (vec![(0, true), (1, false), (2, true)], 1),
                (vec![(0, true), (1, false), (2, false)], 2),
                (vec![(0, false)], 2),
            ]
        );
    }

    #[test]
    fn rejects_inconsistent_encodings() {
        let missing = ensemble(&attrs(&[0, 6, 3], None)).unwrap_err();
        assert_eq!(missing, "membership_values is required when a node has mode BRANCH_MEMBER (6)");
        let extra = ensemble(&attrs(&[0, 6, 3], Some(&[3.0, f64::NAN, 4.0, f64::NAN]))).unwrap_err();
        assert_eq!(extra, "membership_values holds 2 sets, but 1 nodes have mode BRANCH_MEMBER");
        let bad_mode = ensemble(&attrs(&[0, 9, 3], None)).unwrap_err();
        assert_eq!(bad_mode, "nodes_modes has 9, which is not a mode (0 to 6)");
        let mut cyclic = attrs(&[0, 0, 0], None);
        cyclic[5] = attr_ints("nodes_falsenodeids", &[2, 2, 0]);
        cyclic[6] = attr_ints("nodes_falseleafs", &[1, 0, 0]);
        assert_eq!(ensemble(&cyclic).unwrap().paths().unwrap_err(), "tree 0 has a cycle through node 0");
    }

    #[test]
    fn a_root_with_one_leaf_on_both_sides_is_a_one_leaf_tree() {
        let mut list = attrs(&[0, 0, 0], None);
        list[3] = attr_ints("nodes_truenodeids", &[2, 0, 1]);
        list[4] = attr_ints("nodes_trueleafs", &[1, 1, 1]);
        let paths = ensemble(&list).unwrap().paths().unwrap();
        assert_eq!(paths, vec![Path { tree: 0, steps: vec![], leaf: 2 }]);
    }
}
