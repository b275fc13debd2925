//! `TensorProto` (initializers, `Constant` values, attribute tensors) to
//! `NDArray`, from any of the places ONNX may keep the elements: `raw_data`
//! (little-endian bytes), the typed repeated fields (`float_data`,
//! `int32_data`, ...) or an external file.

use super::dtype::{dtype_of, type_name};
use super::external::ExternalData;
use super::packing::{is_packed, packed_len, unpack};
use super::proto::tensor_proto::{DataLocation, DataType};
use super::proto::TensorProto;
use crate::ndarray::NDArray;
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

/// Little-endian bytes of ONNX type `code`, held as `dtype` (the same layout).
/// The 4- and 2-bit types are packed (see `packing`).
fn from_raw(code: i32, dtype: DType, shape: &[usize], raw: &[u8]) -> Result<NDArray, String> {
    let numel: usize = shape.iter().product();
    let expected = if is_packed(dtype) { packed_len(dtype, numel) } else { numel * dtype.size() };
    if raw.len() != expected {
        return Err(format!("{} bytes do not hold {numel} {} elements", raw.len(), type_name(code)));
    }
    if is_packed(dtype) {
        return NDArray::from_bytes(dtype, shape, &unpack(dtype, raw, numel));
    }
    NDArray::from_bytes(dtype, shape, raw)
}

/// The typed repeated field ONNX uses for type `code`: `int32_data` holds one
/// element per entry for every type narrower than 32 bits (16- and 8-bit
/// floats as their bit patterns), `uint64_data` holds UINT32 and UINT64. Each
/// entry's low bytes are the element's little-endian bytes.
fn from_typed_fields(tensor: &TensorProto, code: i32, dtype: DType, shape: &[usize]) -> Result<NDArray, String> {
    fn low_bytes<const N: usize>(bytes: [u8; N], size: usize) -> impl Iterator<Item = u8> {
        bytes.into_iter().take(size)
    }
    let size = dtype.size();
    let (count, bytes): (usize, Vec<u8>) = match DataType::try_from(code) {
        Ok(DataType::Float) => {
            (tensor.float_data.len(), tensor.float_data.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        Ok(DataType::Double) => {
            (tensor.double_data.len(), tensor.double_data.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        Ok(DataType::Int64) => {
            (tensor.int64_data.len(), tensor.int64_data.iter().flat_map(|v| v.to_le_bytes()).collect())
        }
        Ok(DataType::Uint32 | DataType::Uint64) => (
            tensor.uint64_data.len(),
            tensor.uint64_data.iter().flat_map(|v| low_bytes(v.to_le_bytes(), size)).collect(),
        ),
        Ok(_) if size <= 4 => {
            (tensor.int32_data.len(), tensor.int32_data.iter().flat_map(|v| low_bytes(v.to_le_bytes(), size)).collect())
        }
        _ => return Err(format!("element type {} is not supported yet", type_name(code))),
    };
    let numel: usize = shape.iter().product();
    if is_packed(dtype) {
        // Each entry's low byte holds two (or four) packed elements.
        if count != packed_len(dtype, numel) {
            return Err(format!("has {count} packed entries for shape {shape:?} ({numel} elements)"));
        }
        return NDArray::from_bytes(dtype, shape, &unpack(dtype, &bytes, numel));
    }
    if count != numel {
        return Err(format!("has {count} values for shape {shape:?} ({numel} elements)"));
    }
    if dtype == DType::Bool {
        // One entry per element, 0 or 1 (any nonzero is true).
        let flags: Vec<u8> = tensor.int32_data.iter().map(|&v| u8::from(v != 0)).collect();
        return NDArray::from_bytes(dtype, shape, &flags);
    }
    NDArray::from_bytes(dtype, shape, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ndarray::Scalar;
    use half::{bf16, f16};
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
        assert_eq!(convert(&halves).unwrap(), NDArray::from_f64_values(DType::F16, &[1, 2], &[0.5, -3.0]));
    }

    #[test]
    fn reads_typed_fields() {
        let t = TensorProto { int64_data: vec![3, -4, 5], ..tensor(DataType::Int64, &[3]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::I64, &[3], &[3, -4, 5]));
        let t = TensorProto { int32_data: vec![1, 0], ..tensor(DataType::Bool, &[2]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::Bool, &[2], &[1, 0]));
        let bits = bf16::from_f32(2.5).to_bits() as i32;
        let t = TensorProto { int32_data: vec![bits], ..tensor(DataType::Bfloat16, &[]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_f64_values(DType::BF16, &[], &[2.5]));
        // 16-bit integers: one value per entry, signed ones sign-extended.
        let t = TensorProto { int32_data: vec![-2, 32767], ..tensor(DataType::Int16, &[2]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::I16, &[2], &[-2, 32767]));
        let t = TensorProto { int32_data: vec![65535], ..tensor(DataType::Uint16, &[1]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::U16, &[1], &[65535]));
        // UINT32 and UINT64 live in `uint64_data`.
        let t = TensorProto { uint64_data: vec![u64::MAX, 7], ..tensor(DataType::Uint64, &[2]) };
        let big = NDArray::from_fn(DType::U64, &[2], |i| [Scalar::from_u64(u64::MAX), Scalar::I(7)][i]);
        assert_eq!(convert(&t).unwrap(), big);
        assert_eq!(convert(&t).unwrap().get(0), Scalar::U(u64::MAX));
        // 8-bit floats: their bit patterns, one per entry (0x38 is 1.0 in E4M3FN, 0xff NaN in E8M0).
        let t = TensorProto { int32_data: vec![0x38, 0xc0], ..tensor(DataType::Float8e4m3fn, &[2]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_f64_values(DType::F8E4M3FN, &[2], &[1.0, -2.0]));
        let t = TensorProto { int32_data: vec![0x7f, 0xff], ..tensor(DataType::Float8e8m0, &[2]) };
        let e8m0 = convert(&t).unwrap();
        assert_eq!(e8m0.get(0), Scalar::F(1.0));
        assert!(e8m0.get(1).to_f64().is_nan());
        // 4-bit types: two to an entry's low byte, the first in the low nibble.
        let t = TensorProto { int32_data: vec![0xe1, 0x07], ..tensor(DataType::Int4, &[3]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::I4, &[3], &[1, -2, 7]));
        let t = TensorProto { raw_data: Some(vec![0x93, 0x01]), ..tensor(DataType::Uint2, &[5]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::U2, &[5], &[3, 0, 1, 2, 1]));
        let t = TensorProto { raw_data: Some(vec![0x57]), ..tensor(DataType::Float4e2m1, &[2]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_f64_values(DType::F4E2M1, &[2], &[6.0, 3.0]));
        let t = TensorProto { uint64_data: vec![4_000_000_000], ..tensor(DataType::Uint32, &[]) };
        assert_eq!(convert(&t).unwrap(), NDArray::from_i64_values(DType::U32, &[], &[4_000_000_000]));
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
