//! `NDArray`: the compiler's own tensor value, for weights, folded constants and
//! the reference interpreter. Elements are stored in their real dtype; ops read
//! and write them through [`Scalar`], so reference semantics are written once for
//! all dtypes.

use relax_rt::DType;
use std::fmt;

/// One element, widened: floats to f64, integers to i64 (u64 values above
/// `i64::MAX` to `U`, so every integer has one spelling and equal values
/// compare equal).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    F(f64),
    I(i64),
    /// A u64 value above `i64::MAX`; smaller ones are `I`.
    U(u64),
    B(bool),
}

impl Scalar {
    /// A u64 value in its one spelling.
    pub fn from_u64(v: u64) -> Scalar {
        match i64::try_from(v) {
            Ok(v) => Scalar::I(v),
            Err(_) => Scalar::U(v),
        }
    }

    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::F(v) => v,
            Scalar::I(v) => v as f64,
            Scalar::U(v) => v as f64,
            Scalar::B(v) => v as i64 as f64,
        }
    }

    /// C-like conversion: floats truncate toward zero (saturating, NaN to 0);
    /// u64 values above `i64::MAX` wrap.
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::F(v) => v as i64,
            Scalar::I(v) => v,
            Scalar::U(v) => v as i64,
            Scalar::B(v) => v as i64,
        }
    }

    /// Like [`Scalar::to_i64`] into u64: negative integers wrap, floats saturate.
    pub fn to_u64(self) -> u64 {
        match self {
            Scalar::F(v) => v as u64,
            Scalar::I(v) => v as u64,
            Scalar::U(v) => v,
            Scalar::B(v) => v as u64,
        }
    }

    pub fn to_bool(self) -> bool {
        match self {
            Scalar::F(v) => v != 0.0,
            Scalar::I(v) => v != 0,
            Scalar::U(_) => true,
            Scalar::B(v) => v,
        }
    }

    /// The value converted to `dtype`: floats round to its precision (to
    /// nearest even, once, from f64), floats to integers truncate and saturate
    /// at the target's range (NaN to 0), integers to narrower integers wrap —
    /// what codegen emits (`fptosi.sat`, `trunc`).
    pub fn cast(self, dtype: DType) -> Scalar {
        if let Some(format) = dtype.narrow_float() {
            return Scalar::F(format.round(self.to_f64()));
        }
        match (self, dtype) {
            (_, DType::F32) => Scalar::F(self.to_f64() as f32 as f64),
            (_, DType::F64) => Scalar::F(self.to_f64()),
            (_, DType::Bool) => Scalar::B(self.to_bool()),
            (Scalar::F(v), _) => saturate(v, dtype),
            _ => wrap(self.to_u64(), dtype),
        }
    }
}

/// A float truncated toward zero into the range of integer `dtype` (Rust's
/// `as`). The 4- and 2-bit integers instead keep the low bits of the
/// truncated value, as ONNX's reference (`ml_dtypes`) converts them (-9.0 is
/// 7 as i4); values beyond i64, and NaN, give 0.
fn saturate(v: f64, dtype: DType) -> Scalar {
    if dtype.bits() < 8 {
        let whole = if v.abs() < 9.223372036854775e18 { v as i64 } else { 0 };
        return wrap(whole as u64, dtype);
    }
    match dtype {
        DType::I8 => Scalar::I(v as i8 as i64),
        DType::I16 => Scalar::I(v as i16 as i64),
        DType::I32 => Scalar::I(v as i32 as i64),
        DType::U8 => Scalar::I(v as u8 as i64),
        DType::U16 => Scalar::I(v as u16 as i64),
        DType::U32 => Scalar::I(v as u32 as i64),
        DType::U64 => Scalar::from_u64(v as u64),
        _ => Scalar::I(v as i64),
    }
}

/// The low bits of two's-complement `bits` as integer `dtype`.
fn wrap(bits: u64, dtype: DType) -> Scalar {
    if dtype.bits() < 8 {
        let shift = 64 - dtype.bits();
        let value =
            if dtype.is_signed_int() { ((bits << shift) as i64) >> shift } else { ((bits << shift) >> shift) as i64 };
        return Scalar::I(value);
    }
    match dtype {
        DType::I8 => Scalar::I(bits as i8 as i64),
        DType::I16 => Scalar::I(bits as i16 as i64),
        DType::I32 => Scalar::I(bits as i32 as i64),
        DType::U8 => Scalar::I(bits as u8 as i64),
        DType::U16 => Scalar::I(bits as u16 as i64),
        DType::U32 => Scalar::I(bits as u32 as i64),
        DType::U64 => Scalar::from_u64(bits),
        _ => Scalar::I(bits as i64),
    }
}

/// Elements in their real dtype; floats narrower than f32 as their bit patterns
/// (`FloatFormat` says how to read them).
#[derive(Clone, PartialEq)]
enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Bits16(Vec<u16>),
    Bits8(Vec<u8>),
}

/// A dense row-major tensor of any dtype.
#[derive(Clone, PartialEq)]
pub struct NDArray {
    dtype: DType,
    shape: Vec<usize>,
    data: Data,
}

fn format_of(dtype: DType) -> relax_rt::NarrowFloat {
    dtype.narrow_float().expect("bit-pattern data belongs to a narrow float dtype")
}

/// Row-major strides of a shape, in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut out = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        out[i] = out[i + 1] * shape[i + 1];
    }
    out
}

/// The multi-index of a flat row-major offset.
pub fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for i in (0..shape.len()).rev() {
        if shape[i] > 0 {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
    }
    idx
}

/// The flat row-major offset of a multi-index.
pub fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i)
}

impl NDArray {
    pub fn zeros(dtype: DType, shape: &[usize]) -> NDArray {
        let n: usize = shape.iter().product();
        let data = match dtype {
            DType::F32 => Data::F32(vec![0.0; n]),
            DType::F64 => Data::F64(vec![0.0; n]),
            DType::I32 => Data::I32(vec![0; n]),
            DType::I64 => Data::I64(vec![0; n]),
            DType::Bool => Data::Bool(vec![false; n]),
            DType::I8 => Data::I8(vec![0; n]),
            DType::U8 => Data::U8(vec![0; n]),
            DType::I16 => Data::I16(vec![0; n]),
            DType::U16 => Data::U16(vec![0; n]),
            DType::U32 => Data::U32(vec![0; n]),
            DType::U64 => Data::U64(vec![0; n]),
            DType::F16 | DType::BF16 => Data::Bits16(vec![0; n]),
            DType::F8E4M3FN | DType::F8E4M3FNUZ | DType::F8E5M2 | DType::F8E5M2FNUZ | DType::F8E8M0 => {
                Data::Bits8(vec![0; n])
            }
            // One element per byte (the packed types' values sign- or zero-extended).
            DType::I4 | DType::I2 => Data::I8(vec![0; n]),
            DType::U4 | DType::U2 => Data::U8(vec![0; n]),
            DType::F4E2M1 => Data::Bits8(vec![0; n]),
        };
        NDArray { dtype, shape: shape.to_vec(), data }
    }

    /// A tensor whose element at flat index `i` is `f(i)`, cast to `dtype`.
    pub fn from_fn(dtype: DType, shape: &[usize], mut f: impl FnMut(usize) -> Scalar) -> NDArray {
        let mut out = NDArray::zeros(dtype, shape);
        for i in 0..out.numel() {
            out.set(i, f(i));
        }
        out
    }

    pub fn from_f32(shape: &[usize], data: Vec<f32>) -> NDArray {
        assert_eq!(shape.iter().product::<usize>(), data.len(), "shape/data mismatch");
        NDArray { dtype: DType::F32, shape: shape.to_vec(), data: Data::F32(data) }
    }

    pub fn from_f64_values(dtype: DType, shape: &[usize], data: &[f64]) -> NDArray {
        NDArray::from_fn(dtype, shape, |i| Scalar::F(data[i]))
    }

    pub fn from_i64_values(dtype: DType, shape: &[usize], data: &[i64]) -> NDArray {
        NDArray::from_fn(dtype, shape, |i| Scalar::I(data[i]))
    }

    /// A scalar (rank-0) tensor.
    pub fn scalar(dtype: DType, value: Scalar) -> NDArray {
        NDArray::from_fn(dtype, &[], |_| value)
    }

    pub fn dtype(&self) -> DType {
        self.dtype
    }
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// The same data under another shape with the same element count.
    pub fn reshaped(&self, shape: &[usize]) -> NDArray {
        assert_eq!(shape.iter().product::<usize>(), self.numel(), "reshape changes element count");
        NDArray { dtype: self.dtype, shape: shape.to_vec(), data: self.data.clone() }
    }

    pub fn get(&self, i: usize) -> Scalar {
        match &self.data {
            Data::F32(v) => Scalar::F(v[i] as f64),
            Data::F64(v) => Scalar::F(v[i]),
            Data::I32(v) => Scalar::I(v[i] as i64),
            Data::I64(v) => Scalar::I(v[i]),
            Data::Bool(v) => Scalar::B(v[i]),
            Data::I8(v) => Scalar::I(v[i] as i64),
            Data::U8(v) => Scalar::I(v[i] as i64),
            Data::I16(v) => Scalar::I(v[i] as i64),
            Data::U16(v) => Scalar::I(v[i] as i64),
            Data::U32(v) => Scalar::I(v[i] as i64),
            Data::U64(v) => Scalar::from_u64(v[i]),
            Data::Bits16(v) => Scalar::F(format_of(self.dtype).decode(v[i] as u32)),
            Data::Bits8(v) => Scalar::F(format_of(self.dtype).decode(v[i] as u32)),
        }
    }

    /// Stores `value` converted to this tensor's dtype.
    pub fn set(&mut self, i: usize, value: Scalar) {
        let value = value.cast(self.dtype);
        match &mut self.data {
            Data::F32(v) => v[i] = value.to_f64() as f32,
            Data::F64(v) => v[i] = value.to_f64(),
            Data::I32(v) => v[i] = value.to_i64() as i32,
            Data::I64(v) => v[i] = value.to_i64(),
            Data::Bool(v) => v[i] = value.to_bool(),
            Data::I8(v) => v[i] = value.to_i64() as i8,
            Data::U8(v) => v[i] = value.to_i64() as u8,
            Data::I16(v) => v[i] = value.to_i64() as i16,
            Data::U16(v) => v[i] = value.to_i64() as u16,
            Data::U32(v) => v[i] = value.to_i64() as u32,
            Data::U64(v) => v[i] = value.to_u64(),
            Data::Bits16(v) => v[i] = format_of(self.dtype).encode(value.to_f64()) as u16,
            Data::Bits8(v) => v[i] = format_of(self.dtype).encode(value.to_f64()) as u8,
        }
    }

    /// The element at a multi-index.
    pub fn at(&self, idx: &[usize]) -> Scalar {
        self.get(ravel(idx, &self.shape))
    }

    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            _ => None,
        }
    }

    /// Little-endian bytes, the layout generated code and safetensors use.
    pub fn to_bytes(&self) -> Vec<u8> {
        match &self.data {
            Data::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::F64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::Bool(v) => v.iter().map(|&x| x as u8).collect(),
            Data::I8(v) => v.iter().map(|&x| x as u8).collect(),
            Data::U8(v) | Data::Bits8(v) => v.clone(),
            Data::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::U16(v) | Data::Bits16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::U32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::U64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    /// Parses little-endian bytes; errors if the length does not match the shape.
    pub fn from_bytes(dtype: DType, shape: &[usize], bytes: &[u8]) -> Result<NDArray, String> {
        let n: usize = shape.iter().product();
        if bytes.len() != n * dtype.size() {
            return Err(format!(
                "{} bytes do not hold a {} tensor of shape {:?} ({} bytes)",
                bytes.len(),
                dtype,
                shape,
                n * dtype.size()
            ));
        }
        let chunks = |k: usize| bytes.chunks_exact(k);
        let data = match dtype {
            DType::F32 => Data::F32(chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::F64 => Data::F64(chunks(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::I32 => Data::I32(chunks(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::I64 => Data::I64(chunks(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::Bool => Data::Bool(bytes.iter().map(|&b| b != 0).collect()),
            DType::I8 => Data::I8(bytes.iter().map(|&b| b as i8).collect()),
            DType::U8 => Data::U8(bytes.to_vec()),
            DType::I16 => Data::I16(chunks(2).map(|c| i16::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::U16 => Data::U16(chunks(2).map(|c| u16::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::U32 => Data::U32(chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::U64 => Data::U64(chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()),
            DType::F16 | DType::BF16 => {
                Data::Bits16(chunks(2).map(|c| u16::from_le_bytes(c.try_into().unwrap())).collect())
            }
            DType::F8E4M3FN | DType::F8E4M3FNUZ | DType::F8E5M2 | DType::F8E5M2FNUZ | DType::F8E8M0 => {
                Data::Bits8(bytes.to_vec())
            }
            // A byte per element, read as the dtype reads it (wrapped to its bits).
            DType::I4 | DType::I2 => Data::I8(bytes.iter().map(|&b| wrap(b as u64, dtype).to_i64() as i8).collect()),
            DType::U4 | DType::U2 => Data::U8(bytes.iter().map(|&b| wrap(b as u64, dtype).to_i64() as u8).collect()),
            DType::F4E2M1 => Data::Bits8(bytes.iter().map(|&b| b & 0xf).collect()),
        };
        Ok(NDArray { dtype, shape: shape.to_vec(), data })
    }

    /// Deterministic pseudo-random data for tests: floats in [-1, 1), integers in
    /// [-8, 8) ([0, 16) for unsigned ones), bools half true.
    pub fn random(dtype: DType, shape: &[usize], seed: u64) -> NDArray {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        NDArray::from_fn(dtype, shape, |_| {
            let r = next();
            match dtype {
                _ if dtype.is_float() => Scalar::F((r >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0),
                DType::Bool => Scalar::B(r & 1 == 1),
                _ if dtype.is_unsigned_int() => Scalar::I((r % 16) as i64),
                _ => Scalar::I((r % 16) as i64 - 8),
            }
        })
    }

    /// Compares element-wise with `|a - b| <= atol + rtol * |b|` (NaN equals NaN);
    /// on failure says where and by how much.
    pub fn assert_close(&self, expected: &NDArray, rtol: f64, atol: f64) -> Result<(), String> {
        if self.shape != expected.shape || self.dtype != expected.dtype {
            return Err(format!(
                "got {} {:?}, expected {} {:?}",
                self.dtype, self.shape, expected.dtype, expected.shape
            ));
        }
        for i in 0..self.numel() {
            let (a, b) = (self.get(i).to_f64(), expected.get(i).to_f64());
            let same = (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= atol + rtol * b.abs();
            if !same {
                return Err(format!(
                    "element {:?} differs: got {a}, expected {b} (rtol {rtol}, atol {atol})",
                    unravel(i, &self.shape)
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Debug for NDArray {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NDArray<{:?}, {}>[", self.shape, self.dtype)?;
        for i in 0..self.numel().min(16) {
            let sep = if i == 0 { "" } else { ", " };
            match self.get(i) {
                Scalar::F(v) => write!(f, "{sep}{v}")?,
                Scalar::I(v) => write!(f, "{sep}{v}")?,
                Scalar::U(v) => write!(f, "{sep}{v}")?,
                Scalar::B(v) => write!(f, "{sep}{v}")?,
            }
        }
        if self.numel() > 16 {
            write!(f, ", ...")?;
        }
        write!(f, "]")
    }
}
