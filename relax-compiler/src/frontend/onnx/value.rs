//! What the importer knows about one ONNX value at compile time.
//!
//! A value is computed at run time ([`Value::Tensor`], an expression of the
//! graph being built), known outright ([`Value::Const`], folded while
//! importing), or a [`ShapeValue`]: a small integer tensor whose elements are
//! symbolic dims, as `Shape(x)` gives for an input with a dynamic batch.
//! Shape values let shape-computing subgraphs (`Shape -> Gather -> Concat ->
//! Reshape`) fold to a reshape with a symbolic target instead of run-time
//! arithmetic.

use super::shape_value::ShapeValue;
use crate::ir::{Dim, Expr, TensorInfo};
use crate::ndarray::NDArray;
use relax_rt::DType;
use std::rc::Rc;

#[derive(Clone, Debug)]
pub enum Value {
    /// Computed at run time.
    Tensor(Tensor),
    /// Known at compile time. Shared, since weights are large and a value may
    /// be read by many nodes.
    Const(Rc<NDArray>),
    /// Integers known as symbolic dims, at least one of them not constant
    /// (otherwise the value is a `Const`).
    Shape(ShapeValue),
}

/// A run-time tensor: an expression of the graph and its struct info.
#[derive(Clone, Debug)]
pub struct Tensor {
    pub expr: Expr,
    pub info: TensorInfo,
}

impl Value {
    pub fn constant(array: NDArray) -> Value {
        Value::Const(Rc::new(array))
    }

    /// A rank-0 constant of `dtype`.
    pub fn scalar(dtype: DType, value: f64) -> Value {
        Value::constant(NDArray::from_f64_values(dtype, &[], &[value]))
    }

    /// A shape value, or a constant when every element is constant.
    pub fn from_shape(shape: ShapeValue) -> Value {
        match shape.to_ndarray() {
            Some(array) => Value::constant(array),
            None => Value::Shape(shape),
        }
    }

    pub fn tensor(expr: Expr, info: TensorInfo) -> Value {
        Value::Tensor(Tensor { expr, info })
    }

    /// The dtype and (possibly symbolic) shape, whatever the value's kind.
    pub fn info(&self) -> TensorInfo {
        match self {
            Value::Tensor(t) => t.info.clone(),
            Value::Const(a) => TensorInfo::new(a.dtype(), a.shape().iter().map(|&d| Dim::from(d)).collect()),
            Value::Shape(s) => s.info(),
        }
    }

    pub fn dtype(&self) -> DType {
        match self {
            Value::Tensor(t) => t.info.dtype,
            Value::Const(a) => a.dtype(),
            Value::Shape(s) => s.dtype,
        }
    }

    pub fn rank(&self) -> usize {
        match self {
            Value::Tensor(t) => t.info.rank(),
            Value::Const(a) => a.shape().len(),
            Value::Shape(s) => s.rank(),
        }
    }

    pub fn as_const(&self) -> Option<&NDArray> {
        match self {
            Value::Const(a) => Some(a),
            _ => None,
        }
    }

    /// The elements of an integer constant, flattened.
    pub fn const_ints(&self) -> Option<Vec<i64>> {
        let a = self.as_const().filter(|a| a.dtype().is_int())?;
        Some((0..a.numel()).map(|i| a.get(i).to_i64()).collect())
    }

    /// The value as symbolic integers, if it is an integer tensor of rank 0
    /// or 1 known at compile time (a shape value or a small constant).
    pub fn as_shape(&self) -> Option<ShapeValue> {
        match self {
            Value::Shape(s) => Some(s.clone()),
            Value::Const(a) => ShapeValue::from_ndarray(a),
            Value::Tensor(_) => None,
        }
    }
}
