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
        Dtype::I16 => DType::I16,
        Dtype::U16 => DType::U16,
        Dtype::U32 => DType::U32,
        Dtype::U64 => DType::U64,
        Dtype::F16 => DType::F16,
        Dtype::BF16 => DType::BF16,
        // safetensors' 8-bit floats are the OCP formats: E4M3 with NaN and no
        // infinity (ONNX's E4M3FN) and IEEE-style E5M2.
        Dtype::F8_E4M3 => DType::F8E4M3FN,
        Dtype::F8_E5M2 => DType::F8E5M2,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use safetensors::tensor::TensorView;

    #[test]
    fn narrow_and_unsigned_dtypes_load_as_their_relax_dtypes() {
        // f16 1.0 and -2.0 (0x3c00, 0xc000), u16 65535, E4M3 0x38 (1.0).
        let halves = [0x00, 0x3c, 0x00, 0xc0];
        let big = [0xff, 0xff];
        let byte = [0x38];
        let views = [
            ("h", TensorView::new(Dtype::F16, vec![2], &halves).unwrap()),
            ("u", TensorView::new(Dtype::U16, vec![1], &big).unwrap()),
            ("e", TensorView::new(Dtype::F8_E4M3, vec![], &byte).unwrap()),
        ];
        let bytes = safetensors::serialize(views, &None).unwrap();
        let loaded = parse_safetensors(&bytes).unwrap();
        assert_eq!(loaded["h"], NDArray::from_f64_values(DType::F16, &[2], &[1.0, -2.0]));
        assert_eq!(loaded["u"], NDArray::from_i64_values(DType::U16, &[1], &[65535]));
        assert_eq!(loaded["e"], NDArray::from_f64_values(DType::F8E4M3FN, &[], &[1.0]));
    }
}
