//! The weights file of a model compiled with separate weights: its constants
//! (after constant folding, so exactly what the native code reads) as
//! safetensors, in the order and with the names of the constant table, which
//! `relax_rt::weights::Weights` checks and loads at run time.

use relax_compiler::ir::entry::constant_table;
use relax_compiler::{Error, IRModule};
use relax_rt::weights::{safetensors_dtype, DTYPE_KEY_PREFIX, MODULE_KEY};
use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::collections::HashMap;
use std::path::Path;

/// Writes the constants `module`'s entries read to `path`.
pub fn write(module: &IRModule, path: &Path) -> Result<(), Error> {
    let names = constant_table(&module.entries);
    let mut metadata = HashMap::from([(MODULE_KEY.to_string(), module.name.clone())]);
    let mut tensors = Vec::with_capacity(names.len());
    for name in &names {
        let array = module.constants.get(name).ok_or_else(|| Error::msg(format!("unknown constant `{name}`")))?;
        let (stored, exact) = safetensors_dtype(array.dtype());
        if !exact {
            metadata.insert(format!("{DTYPE_KEY_PREFIX}{name}"), array.dtype().name().to_string());
        }
        tensors.push((name.as_str(), stored_dtype(stored), array.shape().to_vec(), array.to_bytes()));
    }
    let views = tensors
        .iter()
        .map(|(name, dtype, shape, bytes)| {
            TensorView::new(*dtype, shape.clone(), bytes)
                .map(|view| (*name, view))
                .map_err(|e| Error::msg(format!("constant `{name}`: {e}")))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    safetensors::serialize_to_file(views, &Some(metadata), path)
        .map_err(|e| Error::msg(format!("cannot write weights file {}: {e}", path.display())))
}

/// The `safetensors` crate's dtype of a name `relax_rt` stores under.
fn stored_dtype(name: &str) -> Dtype {
    match name {
        "F32" => Dtype::F32,
        "F64" => Dtype::F64,
        "I32" => Dtype::I32,
        "I64" => Dtype::I64,
        "BOOL" => Dtype::BOOL,
        "I8" => Dtype::I8,
        "I16" => Dtype::I16,
        "U16" => Dtype::U16,
        "U32" => Dtype::U32,
        "U64" => Dtype::U64,
        "F16" => Dtype::F16,
        "BF16" => Dtype::BF16,
        "F8_E4M3" => Dtype::F8_E4M3,
        "F8_E5M2" => Dtype::F8_E5M2,
        _ => Dtype::U8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_runtime_dtype_name_maps_to_the_same_safetensors_dtype() {
        for d in relax_rt::DType::ALL {
            let (name, _) = safetensors_dtype(d);
            // The crate serializes its dtypes by these very names.
            assert_eq!(format!("{:?}", stored_dtype(name)), name, "{d}");
        }
    }
}
