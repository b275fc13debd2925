//! Struct info: what the compiler knows statically about a value.

use super::dim::{shape_to_string, Dim, Equality};
use relax_rt::DType;
use std::fmt;

/// A tensor's dtype and (symbolic) shape. The rank is always known.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TensorInfo {
    pub dtype: DType,
    pub shape: Vec<Dim>,
}

impl TensorInfo {
    pub fn new(dtype: DType, shape: Vec<Dim>) -> TensorInfo {
        TensorInfo { dtype, shape: shape.into_iter().map(|d| d.simplify()).collect() }
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements, simplified.
    pub fn numel(&self) -> Dim {
        Dim::product(&self.shape)
    }

    /// The size in bytes, simplified.
    pub fn bytes(&self) -> Dim {
        (self.numel() * Dim::Int(self.dtype.size() as i64)).simplify()
    }

    /// Static shape, if every dim is a constant.
    pub fn static_shape(&self) -> Option<Vec<usize>> {
        self.shape.iter().map(|d| d.as_int().map(|v| v as usize)).collect()
    }

    /// Whether `self` and `other` are provably, possibly or certainly not the same type.
    pub fn compare(&self, other: &TensorInfo) -> Equality {
        if self.dtype != other.dtype || self.rank() != other.rank() {
            return Equality::Disproven;
        }
        let mut result = Equality::Proven;
        for (a, b) in self.shape.iter().zip(&other.shape) {
            match a.equality(b) {
                Equality::Disproven => return Equality::Disproven,
                Equality::Unknown => result = Equality::Unknown,
                Equality::Proven => {}
            }
        }
        result
    }
}

impl fmt::Display for TensorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor<{}, {}>", shape_to_string(&self.shape), self.dtype)
    }
}

impl fmt::Debug for TensorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// The static type of any graph-level value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum StructInfo {
    Tensor(TensorInfo),
    Tuple(Vec<StructInfo>),
    /// Not inferred yet (only before `normalize` runs).
    Unknown,
}

impl StructInfo {
    pub fn tensor(dtype: DType, shape: Vec<Dim>) -> StructInfo {
        StructInfo::Tensor(TensorInfo::new(dtype, shape))
    }

    pub fn as_tensor(&self) -> Option<&TensorInfo> {
        match self {
            StructInfo::Tensor(t) => Some(t),
            _ => None,
        }
    }

    /// Every tensor inside, flattened in order.
    pub fn tensors(&self) -> Vec<&TensorInfo> {
        match self {
            StructInfo::Tensor(t) => vec![t],
            StructInfo::Tuple(items) => items.iter().flat_map(|i| i.tensors()).collect(),
            StructInfo::Unknown => vec![],
        }
    }

    /// Every symbolic variable mentioned in a shape.
    pub fn free_vars(&self) -> std::collections::BTreeSet<String> {
        self.tensors().iter().flat_map(|t| t.shape.iter().flat_map(|d| d.free_vars())).collect()
    }
}

impl fmt::Display for StructInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StructInfo::Tensor(t) => write!(f, "{t}"),
            StructInfo::Tuple(items) => {
                let parts: Vec<String> = items.iter().map(|i| i.to_string()).collect();
                if items.len() == 1 {
                    write!(f, "({},)", parts[0])
                } else {
                    write!(f, "({})", parts.join(", "))
                }
            }
            StructInfo::Unknown => f.write_str("?"),
        }
    }
}

impl fmt::Debug for StructInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}
