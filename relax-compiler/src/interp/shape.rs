//! Matching concrete shapes against symbolic struct info, binding symbolic dims.
//! Shared by the graph interpreter (parameters, `match_cast`) and the entry
//! interpreter (input checks).

use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim, TensorInfo};
use crate::ndarray::NDArray;
use std::collections::HashMap;

/// Values of symbolic dims.
pub type DimEnv = HashMap<String, i64>;

/// Checks `value` against `info`, binding dims that are bare unbound variables
/// first, then checking every other dim. Errors name `what` and both shapes.
pub fn match_tensor(what: &str, info: &TensorInfo, value: &NDArray, env: &mut DimEnv) -> Result<(), String> {
    let mismatch = || {
        format!(
            "{what} expects {} {}, got {} {:?}",
            info.dtype,
            shape_to_string(&info.shape),
            value.dtype(),
            value.shape()
        )
    };
    if value.dtype() != info.dtype || value.shape().len() != info.rank() {
        return Err(mismatch());
    }
    for (d, &actual) in info.shape.iter().zip(value.shape()) {
        if let Dim::Var(v) = d {
            env.entry(v.clone()).or_insert(actual as i64);
        }
    }
    for (d, &actual) in info.shape.iter().zip(value.shape()) {
        match d.eval(env) {
            Some(expected) if expected == actual as i64 => {}
            Some(_) => return Err(mismatch()),
            None => return Err(format!("{what}: cannot determine {d} from the shapes seen so far")),
        }
    }
    Ok(())
}

/// The concrete shape of `info` under `env`.
pub fn concrete_shape(info: &TensorInfo, env: &DimEnv) -> Result<Vec<usize>, String> {
    concrete_dims(&info.shape, env)
}

/// Evaluates dims under `env`; negative or unbound dims are errors.
pub fn concrete_dims(dims: &[Dim], env: &DimEnv) -> Result<Vec<usize>, String> {
    dims.iter()
        .map(|d| match d.eval(env) {
            Some(v) if v >= 0 => Ok(v as usize),
            Some(v) => Err(format!("dimension {d} is negative ({v})")),
            None => Err(format!("dimension {d} has an unbound variable")),
        })
        .collect()
}

/// Attributes with symbolic dims replaced by their values (`shape = [n, 4]`).
pub fn concrete_attrs(attrs: &Attrs, env: &DimEnv) -> Attrs {
    let subst: HashMap<String, Dim> = env.iter().map(|(k, v)| (k.clone(), Dim::Int(*v))).collect();
    Attrs(
        attrs
            .0
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    AttrValue::Dims(ds) => AttrValue::Dims(ds.iter().map(|d| d.substitute(&subst)).collect()),
                    other => other.clone(),
                };
                (k.clone(), v)
            })
            .collect(),
    )
}
