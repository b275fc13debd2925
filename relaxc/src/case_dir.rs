//! The ONNX backend-test layout: a case directory holds `model.onnx` and data
//! sets `test_data_set_0/`, `test_data_set_1/`, ..., each with `input_0.pb`,
//! `input_1.pb`, ... and `output_0.pb`, ... (serialized TensorProtos, in the
//! order of the graph's inputs and outputs).

use crate::error::{CliError, Result};
use std::path::{Path, PathBuf};

/// One data set: input and output files, each in index order.
#[derive(Clone, Debug, PartialEq)]
pub struct DataSet {
    /// The directory name, `test_data_set_0`.
    pub name: String,
    pub inputs: Vec<PathBuf>,
    pub outputs: Vec<PathBuf>,
}

/// A case directory, checked for the layout but not yet read.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseDir {
    pub dir: PathBuf,
    pub model: PathBuf,
    pub data_sets: Vec<DataSet>,
}

impl CaseDir {
    pub fn open(dir: &Path) -> Result<CaseDir> {
        if !dir.is_dir() {
            return Err(CliError::new(format!("{} is not a directory", dir.display())));
        }
        let model = dir.join("model.onnx");
        if !model.is_file() {
            return Err(CliError::in_file(dir, "not an ONNX backend-test case: there is no model.onnx"));
        }
        let data_sets = numbered(dir, "test_data_set_", "")?
            .into_iter()
            .map(|path| read_data_set(&path))
            .collect::<Result<Vec<_>>>()?;
        if data_sets.is_empty() {
            return Err(CliError::in_file(dir, "has no test_data_set_* directories"));
        }
        Ok(CaseDir { dir: dir.to_path_buf(), model, data_sets })
    }

    /// The directory's name (`test_abs`), which names the case.
    pub fn name(&self) -> String {
        file_name(&self.dir)
    }
}

fn read_data_set(dir: &Path) -> Result<DataSet> {
    Ok(DataSet {
        name: file_name(dir),
        inputs: numbered(dir, "input_", ".pb")?,
        outputs: numbered(dir, "output_", ".pb")?,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The entries `<prefix><N><suffix>` of `dir` in order of N, which must run
/// 0, 1, 2, ... without a gap (a gap means a missing file).
fn numbered(dir: &Path, prefix: &str, suffix: &str) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| CliError::io("read", dir, e))?;
    let mut found: Vec<(usize, PathBuf)> = entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            let index = name.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok()?;
            Some((index, path))
        })
        .collect();
    found.sort();
    for (expected, (index, _)) in found.iter().enumerate() {
        if *index != expected {
            return Err(CliError::in_file(
                dir,
                format!("{prefix}{expected}{suffix} is missing (there is {prefix}{index}{suffix})"),
            ));
        }
    }
    Ok(found.into_iter().map(|(_, path)| path).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn data_sets_and_files_come_in_numeric_order() {
        let root = tempfile::tempdir().unwrap();
        let case = root.path().join("test_add");
        touch(&case.join("model.onnx"));
        for set in [0, 1, 10, 2, 3, 4, 5, 6, 7, 8, 9] {
            let dir = case.join(format!("test_data_set_{set}"));
            for name in ["input_0.pb", "input_1.pb", "output_0.pb"] {
                touch(&dir.join(name));
            }
        }
        let opened = CaseDir::open(&case).unwrap();
        assert_eq!(opened.name(), "test_add");
        let names: Vec<&str> = opened.data_sets.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names[..3], ["test_data_set_0", "test_data_set_1", "test_data_set_2"]);
        assert_eq!(names[10], "test_data_set_10");
        assert_eq!(
            opened.data_sets[0].inputs,
            vec![case.join("test_data_set_0/input_0.pb"), case.join("test_data_set_0/input_1.pb")]
        );
    }

    #[test]
    fn a_gap_in_the_numbering_names_the_missing_file() {
        let root = tempfile::tempdir().unwrap();
        touch(&root.path().join("model.onnx"));
        touch(&root.path().join("test_data_set_0/input_1.pb"));
        let err = CaseDir::open(root.path()).unwrap_err().to_string();
        assert!(err.ends_with("test_data_set_0: input_0.pb is missing (there is input_1.pb)"), "{err}");
    }

    #[test]
    fn a_directory_without_model_onnx_is_not_a_case() {
        let root = tempfile::tempdir().unwrap();
        let err = CaseDir::open(root.path()).unwrap_err().to_string();
        assert_eq!(err, format!("{}: not an ONNX backend-test case: there is no model.onnx", root.path().display()));
    }
}
