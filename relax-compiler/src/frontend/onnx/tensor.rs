//! `TensorProto` (initializers, `Constant` values, attribute tensors) to
//! `NDArray`, from any of the places ONNX may keep the elements: `raw_data`
//! (little-endian bytes), the typed repeated fields (`float_data`,
//! `int32_data`, ...) or an external file.

use super::dtype::{dtype_of, type_name};
use super::external::ExternalData;
use super::proto::tensor_proto::{DataLocation, DataType};
use super::proto::TensorProto;
use crate::ndarray::{NDArray, Scalar};
use half::{bf16, f16};
use relax_rt::DType;

/// The tensor's elements; `external` resolves data stored in other files.
pub fn to_ndarray(tensor: &TensorProto, external: &ExternalData) -> Result<NDArray, String> {
    let code = tensor.data_type.unwrap_or(0);
    let dtype = dtype_of(code)?;
    let shape = shape_of(tensor)?;
    if tensor.segment.is_some() {
        return Err("segmented tensors are not supported".to_string());
    }
    if tensor.data_location == Some(DataLocation::External as i32) {
        return from_raw(code, dtype, &shape, &external.read(tensor)?);
    }
    match &tensor.raw_data {
        Some(raw) => from_raw(code, dtype, &shape, raw),
        None => from_typed_fields(tensor, code, dtype, &shape),
    }
}

fn shape_of(tensor: &TensorProto) -> Result<Vec<usize>, String> {
    let shape: Vec<usize> = tensor
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map_err(|_| format!("negative dimension {d} in shape {:?}", tensor.dims)))
        .collect::<Result<_, _>>()?;
    // Eight bytes per element bounds every dtype, so byte counts cannot overflow either.
    shape
        .iter()
        .try_fold(8usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("shape {:?} has too many elements", tensor.dims))?;
    Ok(shape)
}

/// Little-endian bytes of ONNX type `code`, held as `dtype`.
fn from_raw(code: i32, dtype: DType, shape: &[usize], raw: &[u8]) -> Result<NDArray, String> {
    let widen = |convert: fn([u8; 2]) -> f32| -> Result<NDArray, String> {
        let numel: usize = shape.iter().product();
        if raw.len() != numel * 2 {
            return Err(format!("{} bytes do not hold {numel} {} elements", raw.len(), type_name(code)));
        }
        let values = raw.chunks_exact(2).map(|c| convert([c[0], c[1]])).collect();
        Ok(NDArray::from_f32(shape, values))
    };
    match DataType::try_from(code) {
        Ok(DataType::Float16) => widen(|b| f16::from_le_bytes(b).to_f32()),
        Ok(DataType::Bfloat16) => widen(|b| bf16::from_le_bytes(b).to_f32()),
        _ => NDArray::from_bytes(dtype, shape, raw),
    }
}

/// The typed repeated field ONNX uses for type `code`. 16-bit floats are
/// stored as their bit patterns in `int32_data`.
fn from_typed_fields(tensor: &TensorProto, code: i32, dtype: DType, shape: &[usize]) -> Result<NDArray, String> {
    let values: Vec<Scalar> = match DataType::try_from(code) {
        Ok(DataType::Float) => tensor.float_data.iter().map(|&v| Scalar::F(v as f64)).collect(),
        Ok(DataType::Double) => tensor.double_data.iter().map(|&v| Scalar::F(v)).collect(),
        Ok(DataType::Int64) => tensor.int64_data.iter().map(|&v| Scalar::I(v)).collect(),
        Ok(DataType::Int32 | DataType::Int8 | DataType::Uint8 | DataType::Bool) => {
            tensor.int32_data.iter().map(|&v| Scalar::I(v as i64)).collect()
        }
        Ok(DataType::Float16) => {
            tensor.int32_data.iter().map(|&v| Scalar::F(f16::from_bits(v as u16).to_f64())).collect()
        }
        Ok(DataType::Bfloat16) => {
            tensor.int32_data.iter().map(|&v| Scalar::F(bf16::from_bits(v as u16).to_f64())).collect()
        }
        _ => return Err(format!("element type {} is not supported yet", type_name(code))),
    };
    let numel: usize = shape.iter().product();
    if values.len() != numel {
        return Err(format!("has {} values for shape {shape:?} ({numel} elements)", values.len()));
    }
    Ok(NDArray::from_fn(dtype, shape, |i| values[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn tensor(data_type: DataType, dims: &[i64]) -> TensorProto {
        TensorProto { data_type: Some(data_type as i32), dims: dims.to_vec(), ..Default::default() }
    }

    fn convert(t: &TensorProto) -> Result<NDArray, String> {
        to_ndarray(t, &ExternalData::new(Path::new(".")))
    }

    #[test]
    fn reads_raw_little_endian_bytes() {
        let t = TensorProto {
            raw_data: Some([1.5f32, -2.0].iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..tensor(DataType::Float, &[2])
        };
        assert_eq!(convert(&t).unwrap(), NDArray::from_f32(&[2], vec![1.5, -2.0]));
        let halves = TensorProto {
            raw_data: Some([f16::from_f32(0.5), f16::from_f32(-3.0)].iter().flat_map(|v| v.to_le_bytes()).collect()),
            ..tensor(DataType::Float16, &[1, 2])
        };
        assert_eq!(convert(&halves).unwrap(), NDArray::from_f32(&[1, 2], vec![0.5, -3.0]));
    }

    #[test]
    fn reads_typed_fields() {
        let t = TensorProto { int64_data: vec![3, -4, 5], ..tensor(DataType::Int64, &[3]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::I64, &[3], &[3, -4, 5]));
        let t = TensorProto { int32_data: vec![1, 0], ..tensor(DataType::Bool, &[2]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::Bool, &[2], &[1, 0]));
        let bits = bf16::from_f32(2.5).to_bits() as i32;
        let t = TensorProto { int32_data: vec![bits], ..tensor(DataType::Bfloat16, &[]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_f32(&[], vec![2.5]));
    }

    #[test]
    fn reports_bad_tensors() {
        let short = TensorProto { float_data: vec![1.0], ..tensor(DataType::Float, &[2]) };
        assert_eq!(convert(&short).unwrap_err(), "has 1 values for shape [2] (2 elements)");
        let negative = tensor(DataType::Float, &[-1]);
        assert_eq!(convert(&negative).unwrap_err(), "negative dimension -1 in shape [-1]");
        let strings = tensor(DataType::String, &[1]);
        assert_eq!(convert(&strings).unwrap_err(), "element type STRING is not supported yet");
        let odd = TensorProto { raw_data: Some(vec![0; 3]), ..tensor(DataType::Float16, &[2]) };
        assert_eq!(convert(&odd).unwrap_err(), "3 bytes do not hold 2 FLOAT16 elements");
    }
}
