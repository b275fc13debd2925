//! `.npy` files (NumPy's array format) to and from `DynTensor`, through the
//! `npyz` crate. Only the dtypes relax-rs computes in are accepted; anything
//! else is an error that names the file and says which dtypes would do.

use crate::error::{CliError, Result};
use npyz::{NpyFile, TypeChar, WriterBuilder};
use relax_rt::{DType, DynTensor, Element, Tensor};
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;

/// Reads a C-ordered `.npy` array.
pub fn read(path: &Path) -> Result<DynTensor> {
    let file = File::open(path).map_err(|e| CliError::io("read", path, e))?;
    let npy =
        NpyFile::new(BufReader::new(file)).map_err(|e| CliError::in_file(path, format!("not a .npy file: {e}")))?;
    if npy.order() == npyz::Order::Fortran {
        return Err(CliError::in_file(
            path,
            "the array is stored in Fortran order; save it with np.save(path, np.ascontiguousarray(a))",
        ));
    }
    let dtype = dtype_of(&npy.dtype()).ok_or_else(|| {
        CliError::in_file(path, format!("unsupported dtype `{}`; {SUPPORTED}", describe(&npy.dtype())))
    })?;
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let tensor = match dtype {
        DType::F32 => read_as::<f32>(npy, &shape),
        DType::F64 => read_as::<f64>(npy, &shape),
        DType::I32 => read_as::<i32>(npy, &shape),
        DType::I64 => read_as::<i64>(npy, &shape),
        DType::Bool => read_as::<bool>(npy, &shape),
        DType::I8 => read_as::<i8>(npy, &shape),
        DType::U8 => read_as::<u8>(npy, &shape),
        DType::I16 => read_as::<i16>(npy, &shape),
        DType::U16 => read_as::<u16>(npy, &shape),
        DType::U32 => read_as::<u32>(npy, &shape),
        DType::U64 => read_as::<u64>(npy, &shape),
        DType::F16 => read_as::<npyz::half::f16>(npy, &shape),
        _ => unreachable!("dtype_of gives NumPy's own dtypes only"),
    };
    tensor.map_err(|e| CliError::in_file(path, e))
}

/// Writes `tensor` as a C-ordered `.npy` array in little-endian byte order.
pub fn write(path: &Path, tensor: &DynTensor) -> Result<()> {
    let written = match tensor.dtype() {
        DType::F32 => write_as::<f32>(path, tensor),
        DType::F64 => write_as::<f64>(path, tensor),
        DType::I32 => write_as::<i32>(path, tensor),
        DType::I64 => write_as::<i64>(path, tensor),
        DType::Bool => write_as::<bool>(path, tensor),
        DType::I8 => write_as::<i8>(path, tensor),
        DType::U8 => write_as::<u8>(path, tensor),
        DType::I16 => write_as::<i16>(path, tensor),
        DType::U16 => write_as::<u16>(path, tensor),
        DType::U32 => write_as::<u32>(path, tensor),
        DType::U64 => write_as::<u64>(path, tensor),
        DType::F16 => write_as::<npyz::half::f16>(path, tensor),
        other => return Err(CliError::new(format!("cannot write {}: {}", path.display(), no_numpy_dtype(other)))),
    };
    written.map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))
}

const SUPPORTED: &str = "relax-rs computes in float16, float32, float64, int8, int16, int32, int64, uint8, uint16, \
                         uint32, uint64 and bool";

/// NumPy has no bfloat16, 8- or 4-bit float or 4- and 2-bit integer dtypes
/// (`ml_dtypes` adds them, but `.npy` files cannot name them).
fn no_numpy_dtype(dtype: DType) -> String {
    format!("{dtype} tensors have no .npy form (NumPy has no such dtype); cast to f32 in the model")
}

/// The relax-rs dtype of a plain NumPy dtype (`<f4` is f32, `|b1` is bool).
fn dtype_of(dtype: &npyz::DType) -> Option<DType> {
    let npyz::DType::Plain(ty) = dtype else { return None };
    match (ty.type_char(), ty.num_bytes()?) {
        (TypeChar::Float, 2) => Some(DType::F16),
        (TypeChar::Float, 4) => Some(DType::F32),
        (TypeChar::Float, 8) => Some(DType::F64),
        (TypeChar::Int, 4) => Some(DType::I32),
        (TypeChar::Int, 8) => Some(DType::I64),
        (TypeChar::Int, 1) => Some(DType::I8),
        (TypeChar::Int, 2) => Some(DType::I16),
        (TypeChar::Uint, 1) => Some(DType::U8),
        (TypeChar::Uint, 2) => Some(DType::U16),
        (TypeChar::Uint, 4) => Some(DType::U32),
        (TypeChar::Uint, 8) => Some(DType::U64),
        (TypeChar::Bool, 1) => Some(DType::Bool),
        _ => None,
    }
}

/// NumPy's name of a dtype: `<u2`, or the full description of a structured one.
fn describe(dtype: &npyz::DType) -> String {
    match dtype {
        npyz::DType::Plain(ty) => ty.to_string(),
        other => other.descr(),
    }
}

fn read_as<T: Element + npyz::Deserialize>(
    npy: NpyFile<BufReader<File>>,
    shape: &[usize],
) -> Result<DynTensor, String> {
    let data: Vec<T> = npy.into_vec().map_err(|e| format!("cannot read the array data: {e}"))?;
    let tensor = Tensor::new(shape, data).map_err(|e| e.to_string())?;
    Ok(DynTensor::from_tensor(&tensor))
}

fn write_as<T: Element + npyz::AutoSerialize>(path: &Path, tensor: &DynTensor) -> Result<(), String> {
    let typed = tensor.to_tensor::<T>().map_err(|e| e.to_string())?;
    let file = File::create(path).map_err(|e| e.to_string())?;
    let shape: Vec<u64> = typed.shape().iter().map(|&d| d as u64).collect();
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&shape)
        .writer(BufWriter::new(file))
        .begin_nd()
        .map_err(|e| e.to_string())?;
    writer.extend(typed.data().iter().copied()).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dtype_round_trips_with_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        let numpy_has = |d: DType| d == DType::F16 || (d.narrow_float().is_none() && d.bits() >= 8);
        for dtype in DType::ALL.into_iter().filter(|&d| numpy_has(d)) {
            let mut t = DynTensor::zeros(dtype, &[2, 3]);
            for (i, b) in t.bytes_mut().iter_mut().enumerate() {
                // Valid for every dtype: bool bytes must be 0 or 1.
                *b = (i % 2) as u8;
            }
            let path = dir.path().join(format!("{dtype}.npy"));
            write(&path, &t).unwrap();
            assert_eq!(read(&path).unwrap(), t, "{dtype}");
        }
    }

    #[test]
    fn a_scalar_keeps_rank_zero() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.npy");
        let t = DynTensor::from_tensor(&Tensor::new(&[], vec![2.5f64]).unwrap());
        write(&path, &t).unwrap();
        assert_eq!(read(&path).unwrap().shape(), &[] as &[usize]);
    }

    #[test]
    fn an_unsupported_dtype_names_the_file_and_the_dtype() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.npy");
        // A complex64 array of one element, written out by hand: the magic,
        // version 1.0, the header's length and the header padded to 64 bytes.
        let header = "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }";
        let padded = format!("{header:<53}\n");
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((padded.len() as u16).to_le_bytes());
        bytes.extend(padded.as_bytes());
        bytes.extend([0u8; 8]);
        std::fs::write(&path, bytes).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert_eq!(err, format!("{}: unsupported dtype `<c8`; {SUPPORTED}", path.display()));
    }

    #[test]
    fn dtypes_numpy_lacks_cannot_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.npy");
        let err = write(&path, &DynTensor::zeros(DType::BF16, &[2])).unwrap_err().to_string();
        assert!(
            err.ends_with("bf16 tensors have no .npy form (NumPy has no such dtype); cast to f32 in the model"),
            "{err}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_file_that_is_not_npy_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npy");
        std::fs::write(&path, "hello").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: not a .npy file", path.display())), "{err}");
    }
}
