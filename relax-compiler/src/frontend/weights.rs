//! Loading weights from safetensors files (the format the Rust ML ecosystem
//! shares), with errors that name the file and the tensor.

use crate::ndarray::NDArray;
use relax_rt::DType;
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::path::Path;

/// Every tensor of a safetensors file, by name.
pub fn load_safetensors(path: &Path) -> Result<BTreeMap<String, NDArray>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read weights file {}: {e}", path.display()))?;
    parse_safetensors(&bytes).map_err(|e| format!("weights file {}: {e}", path.display()))
}

pub fn parse_safetensors(bytes: &[u8]) -> Result<BTreeMap<String, NDArray>, String> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| format!("not a valid safetensors file ({e})"))?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        let dtype = convert_dtype(view.dtype()).ok_or_else(|| {
            format!("tensor `{name}` has dtype {:?}, which relax-rs does not support yet", view.dtype())
        })?;
        let array =
            NDArray::from_bytes(dtype, view.shape(), view.data()).map_err(|e| format!("tensor `{name}`: {e}"))?;
        out.insert(name, array);
    }
    Ok(out)
}

fn convert_dtype(d: Dtype) -> Option<DType> {
    Some(match d {
        Dtype::F32 => DType::F32,
        Dtype::F64 => DType::F64,
        Dtype::I32 => DType::I32,
        Dtype::I64 => DType::I64,
        Dtype::BOOL => DType::Bool,
        Dtype::I8 => DType::I8,
        Dtype::U8 => DType::U8,
        _ => return None,
    })
}
