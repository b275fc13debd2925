//! Tensor data stored outside the `.onnx` file (`data_location = EXTERNAL`),
//! as models over protobuf's 2 GiB limit are saved: each tensor names a file
//! relative to the model (`location`) and a byte range in it (`offset`,
//! `length`).

use super::proto::tensor_proto::DataLocation;
use super::proto::{AttributeProto, GraphProto, ModelProto, NodeProto, SparseTensorProto, TensorProto};
use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// Reads external tensor data relative to the model's directory.
#[derive(Debug, Clone)]
pub struct ExternalData {
    base_dir: PathBuf,
}

/// Where one tensor's bytes are.
struct Location<'a> {
    file: &'a str,
    offset: u64,
    length: Option<u64>,
}

impl ExternalData {
    pub fn new(base_dir: &Path) -> ExternalData {
        ExternalData { base_dir: base_dir.to_path_buf() }
    }

    /// The raw little-endian bytes of `tensor`.
    pub fn read(&self, tensor: &TensorProto) -> Result<Vec<u8>, String> {
        let location = location(tensor)?;
        let path = self.resolve(location.file)?;
        let shown = path.display();
        let mut file = File::open(&path).map_err(|e| format!("cannot open external data file {shown}: {e}"))?;
        let size = file.metadata().map_err(|e| format!("cannot read external data file {shown}: {e}"))?.len();
        let length = location.length.unwrap_or(size.saturating_sub(location.offset));
        if location.offset.checked_add(length).is_none_or(|end| end > size) {
            return Err(format!(
                "external data file {shown} has {size} bytes, too few for offset {} and length {length}",
                location.offset
            ));
        }
        let mut bytes = vec![0; usize::try_from(length).map_err(|_| format!("length {length} is too large"))?];
        file.seek(SeekFrom::Start(location.offset))
            .and_then(|_| file.read_exact(&mut bytes))
            .map_err(|e| format!("cannot read external data file {shown}: {e}"))?;
        Ok(bytes)
    }

    /// `file` under the model's directory. ONNX requires relative locations
    /// that stay inside it; anything else would let a model read arbitrary
    /// files at build time.
    fn resolve(&self, file: &str) -> Result<PathBuf, String> {
        let relative = Path::new(file);
        let inside = relative.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if file.is_empty() || !inside {
            return Err(format!(
                "external data location `{file}` must be a relative path inside the model's directory"
            ));
        }
        Ok(self.base_dir.join(relative))
    }
}

/// Every external data file `model` refers to (initializers, sparse
/// initializers and attribute tensors, in subgraphs and functions too),
/// resolved against `base_dir`, sorted. A build cache hashes them with the
/// model: editing a weights file must rebuild, though the `.onnx` file did not
/// change. Locations the importer would refuse are left out (the import fails).
pub fn external_files(model: &ModelProto, base_dir: &Path) -> Vec<PathBuf> {
    let mut files = BTreeSet::new();
    let data = ExternalData::new(base_dir);
    let mut visit = |t: &TensorProto| {
        if t.data_location == Some(DataLocation::External as i32) {
            if let Some(path) = location(t).ok().and_then(|l| data.resolve(l.file).ok()) {
                files.insert(path);
            }
        }
    };
    if let Some(graph) = &model.graph {
        walk_graph(graph, &mut visit);
    }
    for f in &model.functions {
        f.node.iter().for_each(|n| walk_node(n, &mut visit));
    }
    files.into_iter().collect()
}

fn walk_graph(graph: &GraphProto, visit: &mut impl FnMut(&TensorProto)) {
    graph.initializer.iter().for_each(&mut *visit);
    graph.sparse_initializer.iter().for_each(|s| walk_sparse(s, visit));
    graph.node.iter().for_each(|n| walk_node(n, visit));
}

fn walk_node(node: &NodeProto, visit: &mut impl FnMut(&TensorProto)) {
    node.attribute.iter().for_each(|a| walk_attribute(a, visit));
}

fn walk_attribute(a: &AttributeProto, visit: &mut impl FnMut(&TensorProto)) {
    a.t.iter().chain(&a.tensors).for_each(&mut *visit);
    a.sparse_tensor.iter().chain(&a.sparse_tensors).for_each(|s| walk_sparse(s, visit));
    a.g.iter().chain(&a.graphs).for_each(|g| walk_graph(g, visit));
}

fn walk_sparse(s: &SparseTensorProto, visit: &mut impl FnMut(&TensorProto)) {
    s.values.iter().chain(&s.indices).for_each(visit);
}

/// Parses the `external_data` key-value pairs (`checksum` is not verified).
fn location(tensor: &TensorProto) -> Result<Location<'_>, String> {
    let entries: HashMap<&str, &str> = tensor
        .external_data
        .iter()
        .map(|e| (e.key.as_deref().unwrap_or(""), e.value.as_deref().unwrap_or("")))
        .collect();
    let file = *entries.get("location").ok_or("external data has no `location`")?;
    let number = |key: &str| -> Result<Option<u64>, String> {
        entries
            .get(key)
            .map(|v| v.parse::<u64>().map_err(|_| format!("external data `{key}` is not a byte count: `{v}`")))
            .transpose()
    };
    Ok(Location { file, offset: number("offset")?.unwrap_or(0), length: number("length")? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::onnx::proto::StringStringEntryProto;

    fn tensor_at(entries: &[(&str, &str)]) -> TensorProto {
        let entry =
            |(k, v): &(&str, &str)| StringStringEntryProto { key: Some(k.to_string()), value: Some(v.to_string()) };
        TensorProto { external_data: entries.iter().map(entry).collect(), ..Default::default() }
    }

    #[test]
    fn reads_a_byte_range_and_checks_it() {
        let dir = std::env::temp_dir().join(format!("relax-onnx-external-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("w.bin"), [0u8, 1, 2, 3, 4, 5, 6, 7]).unwrap();
        let data = ExternalData::new(&dir);
        let read = |entries: &[(&str, &str)]| data.read(&tensor_at(entries));
        assert_eq!(read(&[("location", "w.bin"), ("offset", "2"), ("length", "3")]), Ok(vec![2, 3, 4]));
        assert_eq!(read(&[("location", "./w.bin"), ("offset", "6")]), Ok(vec![6, 7]));
        let err = read(&[("location", "w.bin"), ("offset", "6"), ("length", "4")]).unwrap_err();
        assert!(err.contains("has 8 bytes, too few for offset 6 and length 4"), "{err}");
        let err = read(&[("location", "../w.bin")]).unwrap_err();
        assert!(err.contains("must be a relative path inside the model's directory"), "{err}");
        let err = read(&[("location", "/etc/passwd")]).unwrap_err();
        assert!(err.contains("must be a relative path"), "{err}");
        let err = read(&[("location", "w.bin"), ("offset", "x")]).unwrap_err();
        assert_eq!(err, "external data `offset` is not a byte count: `x`");
        assert!(read(&[("location", "missing.bin")]).unwrap_err().contains("cannot open external data file"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
