//! Rust element types for the 4- and 2-bit dtypes. Each element is one byte
//! (`#[repr(transparent)]`), as generated code reads and writes it: the
//! integers hold their value (signed ones sign-extended), `F4E2M1` its bit
//! pattern.

use crate::{DType, Element};
use core::fmt;

macro_rules! small_int {
    ($(#[$doc:meta])* $name:ident($repr:ty), $dtype:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(transparent)]
        pub struct $name($repr);

        impl $name {
            pub const MIN: $repr = $min;
            pub const MAX: $repr = $max;

            /// `v` if it is in range.
            pub fn new(v: $repr) -> Option<$name> {
                (Self::MIN..=Self::MAX).contains(&v).then_some($name(v))
            }

            pub fn get(self) -> $repr {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        // SAFETY: one byte holding the value, the layout generated code uses.
        unsafe impl Element for $name {
            const DTYPE: DType = DType::$dtype;
        }
    };
}

small_int!(
    /// A 4-bit signed integer, -8..=7.
    I4(i8),
    I4,
    -8,
    7
);
small_int!(
    /// A 4-bit unsigned integer, 0..=15.
    U4(u8),
    U4,
    0,
    15
);
small_int!(
    /// A 2-bit signed integer, -2..=1.
    I2(i8),
    I2,
    -2,
    1
);
small_int!(
    /// A 2-bit unsigned integer, 0..=3.
    U2(u8),
    U2,
    0,
    3
);

/// A 4-bit float with 2 exponent bits and 1 fraction bit (values 0, 0.5, 1,
/// 1.5, 2, 3, 4, 6 and their negatives), held as its bit pattern.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct F4E2M1(pub u8);

impl F4E2M1 {
    /// `x` rounded as a cast does (saturating; NaN to a zero).
    pub fn from_f32(x: f32) -> F4E2M1 {
        F4E2M1(crate::FloatFormat::F4E2M1.encode(f64::from(x)) as u8)
    }

    pub fn to_f32(self) -> f32 {
        crate::FloatFormat::F4E2M1.decode(u32::from(self.0)) as f32
    }
}

impl fmt::Debug for F4E2M1 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_f32())
    }
}

// SAFETY: one byte holding the bit pattern in its low four bits.
unsafe impl Element for F4E2M1 {
    const DTYPE: DType = DType::F4E2M1;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_stay_in_range() {
        assert_eq!(I4::new(-8).map(I4::get), Some(-8));
        assert_eq!(I4::new(8), None);
        assert_eq!(U2::new(4), None);
        assert_eq!(F4E2M1::from_f32(5.0).to_f32(), 4.0);
        assert_eq!(I2::DTYPE, DType::I2);
    }
}
