//! The cases of a generated tree and what each tests.
//!
//! `tools/onnx_node_tests.py` writes the node cases to `DIR/node/<case>/` and
//! an index `DIR/index.tsv` (`case<TAB>operator` lines after a `# onnx VERSION`
//! comment), because an `_expanded` case's graph holds the operator's function
//! body rather than the operator. Without an index, the operator is the first
//! word of the case name after `test_`. `tools/light_models.py` writes the
//! real models the same way, straight under `DIR`, with the model's name
//! where a node case has its operator.

use crate::error::{CliError, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, PartialEq)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    /// The operator a node case tests, or the name of a real model.
    pub subject: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseList {
    /// Sorted by name.
    pub cases: Vec<Case>,
    /// The onnx package version the cases came from, when the index says.
    pub onnx_version: Option<String>,
}

/// The cases under `dir` whose names contain `filter` (none is fine: a
/// filter may select cases of another tree only). A `dir` without any case is
/// an error, because it is not a generated tree.
pub fn list(dir: &Path, filter: Option<&str>) -> Result<CaseList> {
    let root = if dir.join("node").is_dir() { dir.join("node") } else { dir.to_path_buf() };
    let index_path = dir.join("index.tsv");
    let (onnx_version, operators) =
        if index_path.exists() { read_index(&index_path)? } else { (None, BTreeMap::new()) };
    let entries = std::fs::read_dir(&root).map_err(|e| CliError::io("read", &root, e))?;
    let mut cases: Vec<Case> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("model.onnx").is_file())
        .filter_map(|dir| {
            let name = dir.file_name()?.to_str()?.to_string();
            let subject = operators.get(&name).cloned().unwrap_or_else(|| operator_from_name(&name));
            Some(Case { name, dir, subject })
        })
        .collect();
    if cases.is_empty() {
        return Err(CliError::in_file(&root, "has no case directories (directories holding model.onnx) to run"));
    }
    cases.retain(|case| filter.is_none_or(|f| case.name.contains(f)));
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(CaseList { cases, onnx_version })
}

/// `(onnx version, case -> operator or model)` from the generator's index.
fn read_index(path: &Path) -> Result<(Option<String>, BTreeMap<String, String>)> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::io("read", path, e))?;
    let mut version = None;
    let mut operators = BTreeMap::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.split_whitespace();
            if words.next() == Some("onnx") {
                version = words.next().map(str::to_string);
            }
        } else if let Some((case, operator)) = line.split_once('\t') {
            operators.insert(case.to_string(), operator.to_string());
        }
    }
    Ok((version, operators))
}

/// `test_abs_expanded` -> `abs`: a guess for cases the index does not cover.
fn operator_from_name(name: &str) -> String {
    let rest = name.strip_prefix("test_").unwrap_or(name);
    rest.split('_').next().unwrap_or(rest).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_case(root: &Path, name: &str) {
        std::fs::create_dir_all(root.join("node").join(name)).unwrap();
        std::fs::write(root.join("node").join(name).join("model.onnx"), b"").unwrap();
    }

    #[test]
    fn cases_are_sorted_and_take_their_operator_from_the_index() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["test_reduce_sum_keepdims", "test_abs", "test_abs_expanded"] {
            make_case(dir.path(), name);
        }
        std::fs::write(dir.path().join("index.tsv"), "# onnx 1.23.2 node tests\ntest_reduce_sum_keepdims\tReduceSum\n")
            .unwrap();
        let list = list(dir.path(), None).unwrap();
        let names: Vec<(&str, &str)> = list.cases.iter().map(|c| (c.name.as_str(), c.subject.as_str())).collect();
        assert_eq!(
            names,
            [("test_abs", "abs"), ("test_abs_expanded", "abs"), ("test_reduce_sum_keepdims", "ReduceSum")]
        );
        assert_eq!(list.onnx_version.as_deref(), Some("1.23.2"));
    }

    #[test]
    fn a_filter_keeps_matching_cases() {
        let dir = tempfile::tempdir().unwrap();
        make_case(dir.path(), "test_abs");
        make_case(dir.path(), "test_add");
        let list = list(dir.path(), Some("add")).unwrap();
        assert_eq!(list.cases.len(), 1);
        assert!(super::list(dir.path(), Some("nothing")).unwrap().cases.is_empty());
        assert!(super::list(&dir.path().join("node/test_abs"), None).is_err(), "a directory without cases");
    }

    #[test]
    fn model_cases_sit_straight_under_the_directory_and_take_their_model_name_from_the_index() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["light_vgg19", "light_bvlc_alexnet"] {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join("model.onnx"), b"").unwrap();
        }
        std::fs::write(
            dir.path().join("index.tsv"),
            "# onnx 1.23.2 light models\nlight_bvlc_alexnet\tAlexNet\nlight_vgg19\tVGG-19\n",
        )
        .unwrap();
        let list = list(dir.path(), None).unwrap();
        let names: Vec<(&str, &str)> = list.cases.iter().map(|c| (c.name.as_str(), c.subject.as_str())).collect();
        assert_eq!(names, [("light_bvlc_alexnet", "AlexNet"), ("light_vgg19", "VGG-19")]);
    }
}
