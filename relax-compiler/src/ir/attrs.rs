//! Operator attributes: the named scalar arguments of a call (`axis = -1`).

use super::dim::{shape_to_string, Dim};
use relax_rt::DType;
use std::fmt;

#[derive(Clone, PartialEq, Debug)]
pub enum AttrValue {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    DType(DType),
    /// A list of (possibly symbolic) integers: `[n, 4]`, `[0, 2, 1]`.
    Dims(Vec<Dim>),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Int(v) => write!(f, "{v}"),
            AttrValue::Float(v) => write!(f, "{}", crate::ir::format_float(*v)),
            AttrValue::Bool(v) => write!(f, "{v}"),
            AttrValue::Str(s) => write!(f, "{s:?}"),
            AttrValue::DType(d) => write!(f, "{d}"),
            AttrValue::Dims(d) => f.write_str(&shape_to_string(d)),
        }
    }
}

/// Attributes in the order they were written.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Attrs(pub Vec<(String, AttrValue)>);

impl Attrs {
    pub fn new() -> Attrs {
        Attrs(Vec::new())
    }

    pub fn with(mut self, name: &str, value: AttrValue) -> Attrs {
        self.set(name, value);
        self
    }

    pub fn set(&mut self, name: &str, value: AttrValue) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&AttrValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// An integer attribute, or `default` when absent.
    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(AttrValue::Int(v)) => Ok(*v),
            Some(AttrValue::Bool(b)) => Ok(*b as i64),
            Some(other) => Err(format!("attribute `{name}` must be an integer, got {other}")),
        }
    }

    pub fn int(&self, name: &str) -> Result<i64, String> {
        match self.get(name) {
            None => Err(format!("missing attribute `{name}`")),
            Some(_) => self.int_or(name, 0),
        }
    }

    pub fn float_or(&self, name: &str, default: f64) -> Result<f64, String> {
        match self.get(name) {
            None => Ok(default),
            Some(AttrValue::Float(v)) => Ok(*v),
            Some(AttrValue::Int(v)) => Ok(*v as f64),
            Some(other) => Err(format!("attribute `{name}` must be a number, got {other}")),
        }
    }

    pub fn bool_or(&self, name: &str, default: bool) -> Result<bool, String> {
        match self.get(name) {
            None => Ok(default),
            Some(AttrValue::Bool(v)) => Ok(*v),
            Some(AttrValue::Int(v)) => Ok(*v != 0),
            Some(other) => Err(format!("attribute `{name}` must be a bool, got {other}")),
        }
    }

    pub fn str_or(&self, name: &str, default: &str) -> Result<String, String> {
        match self.get(name) {
            None => Ok(default.to_string()),
            Some(AttrValue::Str(s)) => Ok(s.clone()),
            Some(other) => Err(format!("attribute `{name}` must be a string, got {other}")),
        }
    }

    pub fn dtype(&self, name: &str) -> Result<DType, String> {
        match self.get(name) {
            Some(AttrValue::DType(d)) => Ok(*d),
            Some(other) => Err(format!("attribute `{name}` must be a dtype, got {other}")),
            None => Err(format!("missing attribute `{name}`")),
        }
    }

    /// A list of possibly symbolic integers; a single integer counts as a list of one.
    pub fn dims(&self, name: &str) -> Result<Option<Vec<Dim>>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(AttrValue::Dims(d)) => Ok(Some(d.clone())),
            Some(AttrValue::Int(v)) => Ok(Some(vec![Dim::Int(*v)])),
            Some(other) => Err(format!("attribute `{name}` must be a list of integers, got {other}")),
        }
    }

    /// A list of constant integers, or `None` when absent.
    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, String> {
        let Some(dims) = self.dims(name)? else { return Ok(None) };
        dims.iter()
            .map(|d| d.as_int().ok_or_else(|| format!("attribute `{name}` must be constant integers, got {d}")))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}
