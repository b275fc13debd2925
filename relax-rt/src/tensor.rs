//! Dense row-major tensors owned by Rust, and borrowed views of them.

use crate::{DType, Element, Error, ErrorKind};
use alloc::vec::Vec;
use alloc::{format, vec};

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

fn check_len(shape: &[usize], len: usize) -> Result<(), Error> {
    if numel(shape) == len {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Data,
            format!("a tensor of shape {:?} needs {} elements, got {}", shape, numel(shape), len),
        ))
    }
}

/// An owned, dense, row-major tensor of `T`.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor<T: Element> {
    shape: Vec<usize>,
    data: Vec<T>,
}

impl<T: Element> Tensor<T> {
    /// A tensor from its shape and row-major data; errors if the lengths disagree.
    pub fn new(shape: &[usize], data: Vec<T>) -> Result<Self, Error> {
        check_len(shape, data.len())?;
        Ok(Tensor { shape: shape.to_vec(), data })
    }

    pub fn zeros(shape: &[usize]) -> Self {
        Tensor { shape: shape.to_vec(), data: vec![T::default(); numel(shape)] }
    }

    /// A tensor whose element at flat row-major index `i` is `f(i)`.
    pub fn from_fn(shape: &[usize], f: impl FnMut(usize) -> T) -> Self {
        Tensor { shape: shape.to_vec(), data: (0..numel(shape)).map(f).collect() }
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn data(&self) -> &[T] {
        &self.data
    }
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }
    pub fn into_data(self) -> Vec<T> {
        self.data
    }
    pub fn dtype(&self) -> DType {
        T::DTYPE
    }
    pub fn view(&self) -> TensorView<'_, T> {
        TensorView { shape: &self.shape, data: &self.data }
    }
    pub fn view_mut(&mut self) -> TensorViewMut<'_, T> {
        TensorViewMut { shape: &self.shape, data: &mut self.data }
    }
}

/// A borrowed read-only tensor: a shape and row-major data.
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a, T: Element> {
    shape: &'a [usize],
    data: &'a [T],
}

impl<'a, T: Element> TensorView<'a, T> {
    pub fn new(shape: &'a [usize], data: &'a [T]) -> Result<Self, Error> {
        check_len(shape, data.len())?;
        Ok(TensorView { shape, data })
    }
    pub fn shape(&self) -> &'a [usize] {
        self.shape
    }
    pub fn data(&self) -> &'a [T] {
        self.data
    }
}

/// A borrowed writable tensor, the destination of `*_into` functions.
#[derive(Debug)]
pub struct TensorViewMut<'a, T: Element> {
    shape: &'a [usize],
    data: &'a mut [T],
}

impl<'a, T: Element> TensorViewMut<'a, T> {
    pub fn new(shape: &'a [usize], data: &'a mut [T]) -> Result<Self, Error> {
        check_len(shape, data.len())?;
        Ok(TensorViewMut { shape, data })
    }
    pub fn shape(&self) -> &[usize] {
        self.shape
    }
    pub fn data(&mut self) -> &mut [T] {
        self.data
    }
}

/// A tensor whose dtype is known only at run time (for dynamic callers and tests).
///
/// Storage is a `Vec<u64>` so every dtype is suitably aligned for generated code.
#[derive(Clone, Debug, PartialEq)]
pub struct DynTensor {
    dtype: DType,
    shape: Vec<usize>,
    storage: Vec<u64>,
}

impl DynTensor {
    /// A zero-filled tensor.
    pub fn zeros(dtype: DType, shape: &[usize]) -> DynTensor {
        let bytes = numel(shape) * dtype.size();
        DynTensor { dtype, shape: shape.to_vec(), storage: vec![0u64; bytes.div_ceil(8)] }
    }

    pub fn from_tensor<T: Element>(t: &Tensor<T>) -> DynTensor {
        let mut out = DynTensor::zeros(T::DTYPE, t.shape());
        let n = t.data().len() * T::DTYPE.size();
        // SAFETY: `Element` guarantees `T` is plain data of `DTYPE.size()` bytes.
        let src = unsafe { core::slice::from_raw_parts(t.data().as_ptr() as *const u8, n) };
        out.bytes_mut().copy_from_slice(src);
        out
    }

    /// Converts to a typed tensor, or errors naming both dtypes.
    pub fn to_tensor<T: Element>(&self) -> Result<Tensor<T>, Error> {
        if self.dtype != T::DTYPE {
            return Err(Error::new(ErrorKind::DType, format!("expected a tensor of {}, got {}", T::DTYPE, self.dtype)));
        }
        let n = numel(&self.shape);
        // SAFETY: storage holds `n` elements of `T` (dtype checked above), suitably aligned.
        let data = unsafe { core::slice::from_raw_parts(self.storage.as_ptr() as *const T, n) };
        Tensor::new(&self.shape, data.to_vec())
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn bytes(&self) -> &[u8] {
        let n = numel(&self.shape) * self.dtype.size();
        // SAFETY: storage has at least `n` bytes.
        unsafe { core::slice::from_raw_parts(self.storage.as_ptr() as *const u8, n) }
    }
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        let n = numel(&self.shape) * self.dtype.size();
        // SAFETY: storage has at least `n` bytes.
        unsafe { core::slice::from_raw_parts_mut(self.storage.as_mut_ptr() as *mut u8, n) }
    }
}

impl<T: Element> From<Tensor<T>> for DynTensor {
    fn from(t: Tensor<T>) -> DynTensor {
        DynTensor::from_tensor(&t)
    }
}
