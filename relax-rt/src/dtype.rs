//! Element types. The numeric codes are part of the C ABI: generated code compares
//! a tensor's `dtype` field against them, so they never change once published.

use crate::float_format::{FloatFormat, NarrowFloat};
use core::fmt;

/// The element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(i32)]
pub enum DType {
    F32 = 0,
    F64 = 1,
    I32 = 2,
    I64 = 3,
    Bool = 4,
    I8 = 5,
    U8 = 6,
    I16 = 7,
    U16 = 8,
    U32 = 9,
    U64 = 10,
    /// IEEE half precision (`half::f16`).
    F16 = 11,
    /// bfloat16: f32's exponent with 7 fraction bits (`half::bf16`).
    BF16 = 12,
    /// The 8-bit floats of ONNX (storage types: conversions and arithmetic
    /// through f32, see [`FloatFormat`]); E8M0 is an exponent only.
    F8E4M3FN = 13,
    F8E4M3FNUZ = 14,
    F8E5M2 = 15,
    F8E5M2FNUZ = 16,
    F8E8M0 = 17,
    /// Integers of 4 and 2 bits and the 4-bit float E2M1 (ONNX's packed
    /// types). Each element takes one byte in memory, as with `ml_dtypes` in
    /// numpy: signed ones sign-extended, unsigned ones and E2M1 bit patterns
    /// zero-extended. Packing two or four to a byte is ONNX's serialization
    /// only (`TensorProto`), unpacked on import.
    U4 = 18,
    I4 = 19,
    F4E2M1 = 20,
    U2 = 21,
    I2 = 22,
}

impl DType {
    pub const ALL: [DType; 23] = [
        DType::F32,
        DType::F64,
        DType::I32,
        DType::I64,
        DType::Bool,
        DType::I8,
        DType::U8,
        DType::I16,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::F16,
        DType::BF16,
        DType::F8E4M3FN,
        DType::F8E4M3FNUZ,
        DType::F8E5M2,
        DType::F8E5M2FNUZ,
        DType::F8E8M0,
        DType::U4,
        DType::I4,
        DType::F4E2M1,
        DType::U2,
        DType::I2,
    ];

    /// The ABI code of this dtype.
    pub const fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i32) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.code() == code)
    }

    /// Size of one element in bytes (bool is stored as one byte, 0 or 1, and
    /// the 4- and 2-bit types one element per byte).
    pub const fn size(self) -> usize {
        match self {
            DType::F64 | DType::I64 | DType::U64 => 8,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::I16 | DType::U16 | DType::F16 | DType::BF16 => 2,
            DType::Bool | DType::I8 | DType::U8 => 1,
            DType::F8E4M3FN | DType::F8E4M3FNUZ | DType::F8E5M2 | DType::F8E5M2FNUZ | DType::F8E8M0 => 1,
            DType::U4 | DType::I4 | DType::F4E2M1 | DType::U2 | DType::I2 => 1,
        }
    }

    /// Width of one element's value in bits: 4 or 2 for the packed types
    /// (which take a byte in memory), `8 * size()` for the others.
    pub const fn bits(self) -> u32 {
        match self {
            DType::U4 | DType::I4 | DType::F4E2M1 => 4,
            DType::U2 | DType::I2 => 2,
            _ => self.size() as u32 * 8,
        }
    }

    /// The name used in the text format and in error messages (`f32`, `i64`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F64 => "f64",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::Bool => "bool",
            DType::I8 => "i8",
            DType::U8 => "u8",
            DType::I16 => "i16",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
            DType::F8E4M3FN => "f8e4m3fn",
            DType::F8E4M3FNUZ => "f8e4m3fnuz",
            DType::F8E5M2 => "f8e5m2",
            DType::F8E5M2FNUZ => "f8e5m2fnuz",
            DType::F8E8M0 => "f8e8m0",
            DType::U4 => "u4",
            DType::I4 => "i4",
            DType::F4E2M1 => "f4e2m1",
            DType::U2 => "u2",
            DType::I2 => "i2",
        }
    }

    pub fn from_name(name: &str) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name)
    }

    pub const fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64) || self.narrow_float().is_some()
    }

    pub const fn is_int(self) -> bool {
        self.is_signed_int() || self.is_unsigned_int()
    }

    pub const fn is_signed_int(self) -> bool {
        matches!(self, DType::I8 | DType::I16 | DType::I32 | DType::I64 | DType::I4 | DType::I2)
    }

    pub const fn is_unsigned_int(self) -> bool {
        matches!(self, DType::U8 | DType::U16 | DType::U32 | DType::U64 | DType::U4 | DType::U2)
    }

    /// Signed integers and floats.
    pub const fn is_signed(self) -> bool {
        self.is_signed_int() || self.is_float()
    }

    /// The sign-exponent-fraction format of a float narrower than f32 (all
    /// but E8M0, see [`DType::narrow_float`]).
    pub const fn float_format(self) -> Option<FloatFormat> {
        match self {
            DType::F16 => Some(FloatFormat::F16),
            DType::BF16 => Some(FloatFormat::BF16),
            DType::F8E4M3FN => Some(FloatFormat::F8E4M3FN),
            DType::F8E4M3FNUZ => Some(FloatFormat::F8E4M3FNUZ),
            DType::F8E5M2 => Some(FloatFormat::F8E5M2),
            DType::F8E5M2FNUZ => Some(FloatFormat::F8E5M2FNUZ),
            DType::F4E2M1 => Some(FloatFormat::F4E2M1),
            _ => None,
        }
    }

    /// How a float narrower than f32 is stored. Generated code holds its
    /// values in f32 registers and converts after every operation.
    pub const fn narrow_float(self) -> Option<NarrowFloat> {
        match self {
            DType::F8E8M0 => Some(NarrowFloat::E8M0),
            _ => match self.float_format() {
                Some(f) => Some(NarrowFloat::Format(f)),
                None => None,
            },
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A Rust type that can be the element of a [`crate::Tensor`].
///
/// # Safety
/// `DTYPE` must describe the in-memory layout of `Self` exactly (size and
/// representation), because generated code reads and writes the elements.
pub unsafe trait Element: Copy + Default + PartialEq + fmt::Debug + 'static {
    const DTYPE: DType;
}

unsafe impl Element for f32 {
    const DTYPE: DType = DType::F32;
}
unsafe impl Element for f64 {
    const DTYPE: DType = DType::F64;
}
unsafe impl Element for i32 {
    const DTYPE: DType = DType::I32;
}
unsafe impl Element for i64 {
    const DTYPE: DType = DType::I64;
}
unsafe impl Element for bool {
    const DTYPE: DType = DType::Bool;
}
unsafe impl Element for i8 {
    const DTYPE: DType = DType::I8;
}
unsafe impl Element for u8 {
    const DTYPE: DType = DType::U8;
}
unsafe impl Element for i16 {
    const DTYPE: DType = DType::I16;
}
unsafe impl Element for u16 {
    const DTYPE: DType = DType::U16;
}
unsafe impl Element for u32 {
    const DTYPE: DType = DType::U32;
}
unsafe impl Element for u64 {
    const DTYPE: DType = DType::U64;
}
unsafe impl Element for half::f16 {
    const DTYPE: DType = DType::F16;
}
unsafe impl Element for half::bf16 {
    const DTYPE: DType = DType::BF16;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_names_and_sizes_are_consistent() {
        for (i, d) in DType::ALL.into_iter().enumerate() {
            // Codes are dense and in declaration order, so appending keeps them stable.
            assert_eq!(d.code(), i as i32);
            assert_eq!(DType::from_code(d.code()), Some(d));
            assert_eq!(DType::from_name(d.name()), Some(d));
            assert!(!(d.is_float() && d.is_int()));
            if let Some(f) = d.float_format() {
                assert_eq!(f.sign_bit() * 2, 1 << d.bits(), "{d}");
                assert!(d.bits() <= 8 * d.size() as u32);
            }
            assert_eq!(d.narrow_float().is_some(), d.is_float() && d.size() < 4, "{d}");
        }
        assert_eq!(DType::from_code(DType::ALL.len() as i32), None);
    }
}
