//! ONNX element types (`TensorProto.DataType` codes) as relax dtypes.
//!
//! FLOAT16 and BFLOAT16 have no relax dtype yet: they are widened to f32, so a
//! half-precision model computes in single precision (initializers are
//! converted exactly; results are at least as accurate as the model's). The
//! other types without a relax dtype (strings, 16-bit and unsigned 32/64-bit
//! integers, complex, 8- and 4-bit floats) are reported as unsupported.

use super::proto::tensor_proto::DataType;
use relax_rt::DType;

/// The relax dtype values of ONNX type `code` are held in.
pub fn dtype_of(code: i32) -> Result<DType, String> {
    let data_type = DataType::try_from(code).map_err(|_| format!("unknown ONNX element type {code}"))?;
    Ok(match data_type {
        DataType::Float | DataType::Float16 | DataType::Bfloat16 => DType::F32,
        DataType::Double => DType::F64,
        DataType::Int32 => DType::I32,
        DataType::Int64 => DType::I64,
        DataType::Bool => DType::Bool,
        DataType::Int8 => DType::I8,
        DataType::Uint8 => DType::U8,
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
        assert_eq!(dtype_of(DataType::Float16 as i32), Ok(DType::F32));
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
