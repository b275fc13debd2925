//! Rust element types for the 8-bit float dtypes: each wraps its bit pattern
//! (`#[repr(transparent)]` over `u8`, so tensors of them are the bytes generated
//! code reads and writes), with exact conversions through the dtype's format.

use crate::{DType, Element};
use core::fmt;

macro_rules! float8 {
    ($(#[$doc:meta])* $name:ident, $dtype:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
        #[repr(transparent)]
        pub struct $name(pub u8);

        impl $name {
            /// `x` rounded to this format as a cast does (see `FloatFormat::encode`).
            pub fn from_f32(x: f32) -> $name {
                $name(DType::$dtype.narrow_float().expect("an 8-bit float").encode(f64::from(x)) as u8)
            }

            /// The exact value.
            pub fn to_f32(self) -> f32 {
                DType::$dtype.narrow_float().expect("an 8-bit float").decode(u32::from(self.0)) as f32
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.to_f32())
            }
        }

        // SAFETY: one byte, the bit pattern generated code uses for the dtype.
        unsafe impl Element for $name {
            const DTYPE: DType = DType::$dtype;
        }
    };
}

float8!(
    /// 4 exponent bits, 3 fraction bits, NaN but no infinities.
    F8E4M3FN,
    F8E4M3FN
);
float8!(
    /// 4 exponent bits, 3 fraction bits, one zero and one NaN (`0x80`).
    F8E4M3FNUZ,
    F8E4M3FNUZ
);
float8!(
    /// 5 exponent bits, 2 fraction bits, IEEE-style infinities and NaNs.
    F8E5M2,
    F8E5M2
);
float8!(
    /// 5 exponent bits, 2 fraction bits, one zero and one NaN (`0x80`).
    F8E5M2FNUZ,
    F8E5M2FNUZ
);
float8!(
    /// A power of two `2^(bits - 127)`, NaN for `0xff` (the MX scale type).
    F8E8M0,
    F8E8M0
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_and_read_back() {
        assert_eq!(F8E4M3FN::from_f32(1.0).0, 0x38);
        assert_eq!(F8E4M3FN::from_f32(-448.0).to_f32(), -448.0);
        assert!(F8E4M3FN::from_f32(1000.0).to_f32().is_nan());
        assert_eq!(F8E5M2::from_f32(1000.0).to_f32(), 1024.0);
        assert_eq!(F8E5M2FNUZ::from_f32(-0.0).0, 0);
        assert_eq!(F8E8M0::from_f32(3.0).to_f32(), 4.0);
        assert_eq!(F8E4M3FNUZ::DTYPE, DType::F8E4M3FNUZ);
    }
}
