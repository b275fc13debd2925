//! ONNX element types (`TensorProto.DataType` codes) as relax dtypes.
//!
//! Every numeric ONNX type with a relax dtype maps to it one to one (FLOAT16
//! is f16 and computes in half precision, as ONNX defines; the 8-bit floats
//! are storage types converted exactly; the 4- and 2-bit types are unpacked
//! to a byte per element); the others (strings, complex, 6-bit floats) are
//! reported as unsupported.

use super::proto::tensor_proto::DataType;
use relax_rt::DType;

/// The relax dtype values of ONNX type `code` are held in.
pub fn dtype_of(code: i32) -> Result<DType, String> {
    let data_type = DataType::try_from(code).map_err(|_| format!("unknown ONNX element type {code}"))?;
    Ok(match data_type {
        DataType::Float => DType::F32,
        DataType::Float16 => DType::F16,
        DataType::Bfloat16 => DType::BF16,
        DataType::Double => DType::F64,
        DataType::Int32 => DType::I32,
        DataType::Int64 => DType::I64,
        DataType::Bool => DType::Bool,
        DataType::Int8 => DType::I8,
        DataType::Uint8 => DType::U8,
        DataType::Int16 => DType::I16,
        DataType::Uint16 => DType::U16,
        DataType::Uint32 => DType::U32,
        DataType::Uint64 => DType::U64,
        DataType::Float8e4m3fn => DType::F8E4M3FN,
        DataType::Float8e4m3fnuz => DType::F8E4M3FNUZ,
        DataType::Float8e5m2 => DType::F8E5M2,
        DataType::Float8e5m2fnuz => DType::F8E5M2FNUZ,
        DataType::Float8e8m0 => DType::F8E8M0,
        DataType::Uint4 => DType::U4,
        DataType::Int4 => DType::I4,
        DataType::Float4e2m1 => DType::F4E2M1,
        DataType::Uint2 => DType::U2,
        DataType::Int2 => DType::I2,
        other => return Err(format!("element type {} is not supported yet", other.as_str_name())),
    })
}

/// The ONNX element type of a relax dtype (for writing models).
pub fn onnx_type(dtype: DType) -> DataType {
    match dtype {
        DType::F32 => DataType::Float,
        DType::F64 => DataType::Double,
        DType::I32 => DataType::Int32,
        DType::I64 => DataType::Int64,
        DType::Bool => DataType::Bool,
        DType::I8 => DataType::Int8,
        DType::U8 => DataType::Uint8,
        DType::I16 => DataType::Int16,
        DType::U16 => DataType::Uint16,
        DType::U32 => DataType::Uint32,
        DType::U64 => DataType::Uint64,
        DType::F16 => DataType::Float16,
        DType::BF16 => DataType::Bfloat16,
        DType::F8E4M3FN => DataType::Float8e4m3fn,
        DType::F8E4M3FNUZ => DataType::Float8e4m3fnuz,
        DType::F8E5M2 => DataType::Float8e5m2,
        DType::F8E5M2FNUZ => DataType::Float8e5m2fnuz,
        DType::F8E8M0 => DataType::Float8e8m0,
        DType::U4 => DataType::Uint4,
        DType::I4 => DataType::Int4,
        DType::F4E2M1 => DataType::Float4e2m1,
        DType::U2 => DataType::Uint2,
        DType::I2 => DataType::Int2,
    }
}

/// The ONNX name of element type `code` (`FLOAT16`), for messages.
pub fn type_name(code: i32) -> String {
    match DataType::try_from(code) {
        Ok(t) => t.as_str_name().to_string(),
        Err(_) => format!("type {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_supported_types_and_names_the_others() {
        assert_eq!(dtype_of(DataType::Float as i32), Ok(DType::F32));
        assert_eq!(dtype_of(DataType::Float16 as i32), Ok(DType::F16));
        assert_eq!(dtype_of(DataType::Bfloat16 as i32), Ok(DType::BF16));
        assert_eq!(dtype_of(DataType::Uint64 as i32), Ok(DType::U64));
        assert_eq!(dtype_of(DataType::Int64 as i32), Ok(DType::I64));
        assert_eq!(dtype_of(DataType::Uint8 as i32), Ok(DType::U8));
        assert_eq!(dtype_of(DataType::String as i32), Err("element type STRING is not supported yet".to_string()));
        assert_eq!(dtype_of(999), Err("unknown ONNX element type 999".to_string()));
        assert_eq!(type_name(DataType::Bfloat16 as i32), "BFLOAT16");
        for dtype in DType::ALL {
            assert_eq!(dtype_of(onnx_type(dtype) as i32), Ok(dtype));
        }
    }
}
