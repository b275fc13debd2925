//! A serialized ONNX `TensorProto` file (the `input_0.pb` / `output_0.pb` of
//! backend-test data sets) as a `DynTensor`, decoded by the importer's own
//! tensor reader (`frontend::onnx::read_tensor`), so test data and weights are
//! read one way, each ONNX element type as its relax dtype.

use crate::error::{CliError, Result};
use relax_compiler::frontend::onnx::read_tensor;
use relax_rt::DynTensor;
use std::path::Path;

pub fn read(path: &Path) -> Result<DynTensor> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io("read", path, e))?;
    let array = read_tensor(&bytes).map_err(|e| CliError::in_file(path, e.to_string()))?;
    let mut tensor = DynTensor::zeros(array.dtype(), array.shape());
    tensor.bytes_mut().copy_from_slice(&array.to_bytes());
    Ok(tensor)
}
