//! Shape values: integer tensors of rank 0 or 1 whose elements are symbolic
//! dims (`[n, 3, 224, 224]` from `Shape(x)`, `n` after gathering element 0).
//!
//! Exporters compute target shapes with small integer subgraphs (`Shape`,
//! `Gather`, `Slice`, `Concat`, `Unsqueeze`, arithmetic). These operations are
//! evaluated here on dims, so the result stays exact when a dim is symbolic:
//! `Concat(Shape(x)[0:1], [-1])` is `[n, -1]`. Integer division is floor
//! division, which agrees with ONNX's truncation on the non-negative values
//! shapes hold.

use crate::ir::{Dim, TensorInfo};
use crate::ndarray::NDArray;
use relax_rt::DType;

#[derive(Clone, Debug, PartialEq)]
pub struct ShapeValue {
    pub dims: Vec<Dim>,
    /// Rank 0 (one element) rather than rank 1.
    pub scalar: bool,
    pub dtype: DType,
}

impl ShapeValue {
    /// A 1-D i64 vector, as `Shape` gives.
    pub fn vector(dims: Vec<Dim>) -> ShapeValue {
        ShapeValue { dims: dims.into_iter().map(|d| d.simplify()).collect(), scalar: false, dtype: DType::I64 }
    }

    /// A rank-0 i64 value, as `Size` gives.
    pub fn scalar(dim: Dim) -> ShapeValue {
        ShapeValue { dims: vec![dim.simplify()], scalar: true, dtype: DType::I64 }
    }

    pub fn rank(&self) -> usize {
        if self.scalar {
            0
        } else {
            1
        }
    }

    pub fn info(&self) -> TensorInfo {
        let shape = if self.scalar { vec![] } else { vec![Dim::from(self.dims.len())] };
        TensorInfo::new(self.dtype, shape)
    }

    /// The concrete tensor, when every element is constant.
    pub fn to_ndarray(&self) -> Option<NDArray> {
        let values: Vec<i64> = self.dims.iter().map(Dim::as_int).collect::<Option<_>>()?;
        let shape = if self.scalar { vec![] } else { vec![values.len()] };
        Some(NDArray::from_i64_values(self.dtype, &shape, &values))
    }

    /// An integer constant of rank 0 or 1 as a shape value.
    pub fn from_ndarray(array: &NDArray) -> Option<ShapeValue> {
        if !array.dtype().is_int() || array.shape().len() > 1 {
            return None;
        }
        let dims = (0..array.numel()).map(|i| Dim::Int(array.get(i).to_i64())).collect();
        Some(ShapeValue { dims, scalar: array.shape().is_empty(), dtype: array.dtype() })
    }

    pub fn with_dtype(self, dtype: DType) -> ShapeValue {
        ShapeValue { dtype, ..self }
    }

    /// Element-wise `f` with numpy broadcasting (a scalar or a one-element
    /// vector repeats against the other side).
    pub fn zip_with(&self, other: &ShapeValue, f: impl Fn(Dim, Dim) -> Dim) -> Result<ShapeValue, String> {
        let (n, m) = (self.dims.len(), other.dims.len());
        let len = match (n, m) {
            _ if n == m => n,
            (1, _) => m,
            (_, 1) => n,
            _ => return Err(format!("cannot broadcast shape values of {n} and {m} elements")),
        };
        let at = |side: &ShapeValue, k: usize| side.dims[if side.dims.len() == 1 { 0 } else { k }].clone();
        let dims = (0..len).map(|k| f(at(self, k), at(other, k)).simplify()).collect();
        Ok(ShapeValue { dims, scalar: self.scalar && other.scalar, dtype: self.dtype })
    }

    /// `Gather` along the only axis: a scalar index gives a scalar.
    pub fn gather(&self, indices: &NDArray) -> Result<ShapeValue, String> {
        if indices.shape().len() > 1 || self.scalar {
            return Err("gathering from a shape value takes a vector and indices of rank 0 or 1".to_string());
        }
        let len = self.dims.len() as i64;
        let pick = |i: usize| {
            let raw = indices.get(i).to_i64();
            let k = if raw < 0 { raw + len } else { raw };
            match usize::try_from(k) {
                Ok(k) if k < self.dims.len() => Ok(self.dims[k].clone()),
                _ => Err(format!("index {raw} is out of range for a shape value of {len} elements")),
            }
        };
        let dims = (0..indices.numel()).map(pick).collect::<Result<_, _>>()?;
        Ok(ShapeValue { dims, scalar: indices.shape().is_empty(), dtype: self.dtype })
    }

    /// `start:end:step` with ONNX `Slice` clamping.
    pub fn slice(&self, start: i64, end: i64, step: i64) -> ShapeValue {
        let dims = slice_positions(self.dims.len(), start, end, step).into_iter().map(|k| self.dims[k].clone());
        ShapeValue { dims: dims.collect(), scalar: false, dtype: self.dtype }
    }

    /// The elements of several vectors (or scalars) in order.
    pub fn concat(parts: &[ShapeValue]) -> ShapeValue {
        let dtype = parts.first().map_or(DType::I64, |p| p.dtype);
        ShapeValue { dims: parts.iter().flat_map(|p| p.dims.iter().cloned()).collect(), scalar: false, dtype }
    }

    /// A one-element vector from a scalar (`Unsqueeze`), or the scalar in a
    /// one-element vector (`Squeeze`).
    pub fn with_rank(&self, rank: usize) -> Result<ShapeValue, String> {
        match (rank, self.dims.len()) {
            (0, 1) => Ok(ShapeValue { scalar: true, ..self.clone() }),
            (1, _) => Ok(ShapeValue { scalar: false, ..self.clone() }),
            _ => Err(format!("a shape value of {} elements cannot have rank {rank}", self.dims.len())),
        }
    }
}

/// The positions `start:end:step` selects in a vector of `len` elements:
/// negative positions count from the end, and positions clamp to the vector.
/// A zero step (invalid in ONNX) selects nothing.
pub fn slice_positions(len: usize, start: i64, end: i64, step: i64) -> Vec<usize> {
    if step == 0 {
        return Vec::new();
    }
    let len = len as i64;
    let resolve = |p: i64| if p < 0 { p.saturating_add(len) } else { p };
    let (start, end) = (resolve(start), resolve(end));
    if step > 0 {
        let (start, end) = (start.clamp(0, len), end.clamp(0, len));
        (start..end).step_by(step as usize).map(|k| k as usize).collect()
    } else {
        let (start, end) = (start.clamp(-1, len - 1), end.clamp(-1, len - 1));
        let count = if start > end { (start - end + (-step) - 1) / (-step) } else { 0 };
        (0..count).map(|k| (start + k * step) as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dims: &[Dim]) -> ShapeValue {
        ShapeValue::vector(dims.to_vec())
    }

    #[test]
    fn gathers_slices_and_concatenates_symbolic_dims() {
        let n = Dim::var("n");
        let s = shape(&[n.clone(), Dim::Int(3), Dim::Int(8), Dim::Int(8)]);
        let first = s.gather(&NDArray::from_i64_values(DType::I64, &[], &[0])).unwrap();
        assert_eq!(first, ShapeValue::scalar(n.clone()));
        let tail = s.slice(-2, i64::MAX, 1);
        assert_eq!(tail.dims, vec![Dim::Int(8), Dim::Int(8)]);
        let target = ShapeValue::concat(&[first.with_rank(1).unwrap(), shape(&[Dim::Int(-1)])]);
        assert_eq!(target, shape(&[n.clone(), Dim::Int(-1)]));
        assert_eq!(target.to_ndarray(), None);
        let err = s.gather(&NDArray::from_i64_values(DType::I64, &[1], &[4])).unwrap_err();
        assert_eq!(err, "index 4 is out of range for a shape value of 4 elements");
    }

    #[test]
    fn arithmetic_broadcasts_and_simplifies() {
        let n = Dim::var("n");
        let s = shape(&[n.clone(), Dim::Int(6)]);
        let two = ShapeValue::from_ndarray(&NDArray::from_i64_values(DType::I64, &[1], &[2])).unwrap();
        let doubled = s.zip_with(&two, |a, b| a * b).unwrap();
        assert_eq!(doubled.dims, vec![(n.clone() * 2).simplify(), Dim::Int(12)]);
        let halved = doubled.zip_with(&two, |a, b| a.floor_div(b)).unwrap();
        assert_eq!(halved, s);
        assert!(s.zip_with(&shape(&[n.clone(), n.clone(), n]), |a, _| a).is_err());
    }

    #[test]
    fn slice_positions_follow_onnx_clamping() {
        assert_eq!(slice_positions(4, 1, 100, 1), vec![1, 2, 3]);
        assert_eq!(slice_positions(4, -1, i64::MIN, -1), vec![3, 2, 1, 0]);
        assert_eq!(slice_positions(4, 10, 0, -2), vec![3, 1]);
        assert_eq!(slice_positions(4, 3, 1, 1), Vec::<usize>::new());
    }
}
