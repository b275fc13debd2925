//! Floating-point formats narrower than f32 (f16, bf16, the 8-bit floats), described
//! by their fields, and the exact conversions between their bit patterns and f64.
//!
//! The conversions are the contract every part of relax-rs follows: the compiler's
//! reference semantics call them, and generated code computes the same functions
//! with integer and float instructions (no libcalls). Encoding rounds to nearest,
//! ties to even, straight from f64 (one rounding, never through f32); a value whose
//! rounding exceeds the largest finite value becomes infinity, or NaN in formats
//! that have no infinity (numpy's and ml_dtypes' `astype`). Saturation is not part
//! of the conversion: an operator that saturates clamps before converting.

/// How a format spells the values that are not finite numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NonFinite {
    /// IEEE 754: the all-ones exponent holds the infinities (mantissa 0) and NaNs.
    Ieee,
    /// No infinities; only all-ones exponent and mantissa is NaN (`E4M3FN`).
    NanOnly,
    /// No infinities and no negative zero: the bit pattern of `-0` is the one NaN
    /// (`E4M3FNUZ`, `E5M2FNUZ`).
    NegativeZeroIsNan,
    /// Every pattern is a finite number (`E2M1`): values beyond the largest
    /// saturate to it, and NaN becomes a zero of the opposite sign (what
    /// `ml_dtypes` does: NaN's sign bit flipped, its payload dropped).
    None,
}

/// A binary floating-point format with a sign bit, `exponent_bits` of biased
/// exponent and `mantissa_bits` of fraction, with subnormals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FloatFormat {
    pub exponent_bits: u32,
    pub mantissa_bits: u32,
    pub bias: i32,
    pub non_finite: NonFinite,
}

impl FloatFormat {
    pub const F16: FloatFormat = FloatFormat::new(5, 10, 15, NonFinite::Ieee);
    pub const BF16: FloatFormat = FloatFormat::new(8, 7, 127, NonFinite::Ieee);
    pub const F8E4M3FN: FloatFormat = FloatFormat::new(4, 3, 7, NonFinite::NanOnly);
    pub const F8E4M3FNUZ: FloatFormat = FloatFormat::new(4, 3, 8, NonFinite::NegativeZeroIsNan);
    pub const F8E5M2: FloatFormat = FloatFormat::new(5, 2, 15, NonFinite::Ieee);
    pub const F8E5M2FNUZ: FloatFormat = FloatFormat::new(5, 2, 16, NonFinite::NegativeZeroIsNan);
    pub const F4E2M1: FloatFormat = FloatFormat::new(2, 1, 1, NonFinite::None);

    pub const fn new(exponent_bits: u32, mantissa_bits: u32, bias: i32, non_finite: NonFinite) -> FloatFormat {
        FloatFormat { exponent_bits, mantissa_bits, bias, non_finite }
    }

    /// The sign bit.
    pub const fn sign_bit(&self) -> u32 {
        1 << (self.exponent_bits + self.mantissa_bits)
    }

    /// The exponent of the smallest normal value (and the scale of subnormals).
    pub const fn min_exponent(&self) -> i32 {
        1 - self.bias
    }

    /// The bits (without sign) of the largest finite value.
    pub const fn max_finite_bits(&self) -> u32 {
        let magnitude_mask = self.sign_bit() - 1;
        match self.non_finite {
            NonFinite::Ieee => magnitude_mask - (1 << self.mantissa_bits),
            NonFinite::NanOnly => magnitude_mask - 1,
            NonFinite::NegativeZeroIsNan | NonFinite::None => magnitude_mask,
        }
    }

    /// The largest finite value.
    pub fn max_value(&self) -> f64 {
        self.decode(self.max_finite_bits())
    }

    /// The bits of positive infinity, if the format has one.
    pub const fn infinity_bits(&self) -> Option<u32> {
        match self.non_finite {
            NonFinite::Ieee => Some(self.max_finite_bits() + 1),
            _ => None,
        }
    }

    /// The NaN a conversion produces: quiet, keeping the sign where the format can.
    pub const fn nan_bits(&self, negative: bool) -> u32 {
        let sign = if negative { self.sign_bit() } else { 0 };
        match self.non_finite {
            NonFinite::Ieee => sign | (self.max_finite_bits() + 1 + (1 << (self.mantissa_bits - 1))),
            NonFinite::NanOnly => sign | (self.sign_bit() - 1),
            NonFinite::NegativeZeroIsNan => self.sign_bit(),
            NonFinite::None => self.sign_bit() - sign,
        }
    }

    /// Whether `bits` is a NaN of this format.
    pub const fn is_nan(&self, bits: u32) -> bool {
        let magnitude = bits & (self.sign_bit() - 1);
        match self.non_finite {
            NonFinite::Ieee => magnitude > self.max_finite_bits() + 1,
            NonFinite::NanOnly => magnitude == self.sign_bit() - 1,
            NonFinite::NegativeZeroIsNan => bits == self.sign_bit(),
            NonFinite::None => false,
        }
    }

    /// The exact value of `bits` (bits above the format's width are ignored).
    pub fn decode(&self, bits: u32) -> f64 {
        let bits = bits & (self.sign_bit() * 2 - 1);
        if self.is_nan(bits) {
            return f64::NAN;
        }
        let magnitude = bits & (self.sign_bit() - 1);
        let negative = bits & self.sign_bit() != 0;
        let value = if Some(magnitude) == self.infinity_bits() {
            f64::INFINITY
        } else {
            let m = self.mantissa_bits as i32;
            let exponent_field = (magnitude >> m) as i32;
            let fraction = (magnitude & ((1 << m) - 1)) as f64;
            if exponent_field == 0 {
                fraction * pow2(self.min_exponent() - m)
            } else {
                (fraction + pow2(m)) * pow2(exponent_field - self.bias - m)
            }
        };
        if negative {
            -value
        } else {
            value
        }
    }

    /// `x` rounded to nearest (ties to even) and encoded; overflow gives infinity,
    /// or NaN where there is none, or the largest value where there is neither.
    pub fn encode(&self, x: f64) -> u32 {
        let negative = x.is_sign_negative();
        if x.is_nan() {
            return self.nan_bits(negative);
        }
        let m = self.mantissa_bits as i32;
        // Values this large overflow however they round; clamping keeps the
        // arithmetic below finite (and turns infinity into an overflow).
        let limit = pow2(self.bias + 2);
        let a = x.abs().min(limit);
        // The exponent of `a`'s quantum: its own below the top, the subnormal
        // scale below the normal range.
        let exponent = if a == 0.0 { self.min_exponent() } else { floor_log2(a).max(self.min_exponent()) };
        let steps = round_half_even(a / pow2(exponent - m));
        // `steps` counts quanta including the implicit leading one, so a carry
        // out of the fraction moves into the exponent field by itself.
        let magnitude = (((exponent + self.bias - 1) as u32) << m) + steps;
        if magnitude > self.max_finite_bits() {
            let sign = if negative { self.sign_bit() } else { 0 };
            return match (self.infinity_bits(), self.non_finite) {
                (Some(inf), _) => inf | sign,
                (None, NonFinite::None) => self.max_finite_bits() | sign,
                (None, _) => self.nan_bits(negative),
            };
        }
        let sign = negative && !(magnitude == 0 && self.non_finite == NonFinite::NegativeZeroIsNan);
        magnitude | if sign { self.sign_bit() } else { 0 }
    }

    /// `x` rounded to this format, as an f64.
    pub fn round(&self, x: f64) -> f64 {
        self.decode(self.encode(x))
    }
}

/// How a float narrower than f32 is stored: a [`FloatFormat`], or E8M0, the
/// microscaling exponent (`FLOAT8E8M0`, ml_dtypes' `float8_e8m0fnu`): eight
/// bits of unsigned exponent, no sign, fraction or zero, the value of bits `e`
/// is `2^(e - 127)` and `0xff` is NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NarrowFloat {
    Format(FloatFormat),
    E8M0,
}

impl NarrowFloat {
    pub fn decode(&self, bits: u32) -> f64 {
        match self {
            NarrowFloat::Format(f) => f.decode(bits),
            NarrowFloat::E8M0 => e8m0_decode(bits),
        }
    }

    pub fn encode(&self, x: f64) -> u32 {
        match self {
            NarrowFloat::Format(f) => f.encode(x),
            NarrowFloat::E8M0 => e8m0_encode(x),
        }
    }

    /// `x` converted to this format and back.
    pub fn round(&self, x: f64) -> f64 {
        self.decode(self.encode(x))
    }
}

/// The value of E8M0 bits: `2^(bits - 127)`, NaN for `0xff`.
pub fn e8m0_decode(bits: u32) -> f64 {
    let e = (bits & 0xff) as i32;
    if e == 0xff {
        f64::NAN
    } else {
        pow2(e - 127)
    }
}

/// `x` as E8M0 the way ONNX's default conversion does it (`round_mode = up`,
/// `saturate = 1`): `x` is first rounded to f32, then its biased f32 exponent
/// is taken, plus one if any fraction bit is set (the next power of two up),
/// except at the largest exponent; the sign is ignored; NaN and infinities
/// give NaN (`0xff`); zero and f32 subnormals below 2^-127 give `0x00`.
///
/// One exception keeps the conversion idempotent (decoding then encoding
/// gives the same bits, which generated code relies on): 2^-127, an f32
/// subnormal whose fraction bits the rule would round up, is `0x00` itself.
pub fn e8m0_encode(x: f64) -> u32 {
    let bits = (x as f32).to_bits() & 0x7fff_ffff;
    if bits == 0x0040_0000 {
        return 0;
    }
    let exponent = (bits >> 23) & 0xff;
    if exponent == 0xff {
        return 0xff;
    }
    let has_fraction = bits & 0x7f_ffff != 0;
    if has_fraction && exponent != 0xfe {
        exponent + 1
    } else {
        exponent
    }
}

/// `2^e` for the exponents these formats need (well inside f64's normal range).
fn pow2(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// A non-negative `t` below 2^32 rounded to the nearest integer, ties to even
/// (by hand: `f64::round_ties_even` is not in `core`). `t - floor(t)` is exact.
fn round_half_even(t: f64) -> u32 {
    let floor = t as u32;
    let fraction = t - floor as f64;
    if fraction > 0.5 || (fraction == 0.5 && floor % 2 == 1) {
        floor + 1
    } else {
        floor
    }
}

/// `floor(log2(a))` of a positive finite f64 (subnormals count as below -1022).
fn floor_log2(a: f64) -> i32 {
    ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [FloatFormat; 7] = [
        FloatFormat::F16,
        FloatFormat::BF16,
        FloatFormat::F8E4M3FN,
        FloatFormat::F8E4M3FNUZ,
        FloatFormat::F8E5M2,
        FloatFormat::F8E5M2FNUZ,
        FloatFormat::F4E2M1,
    ];

    fn width(f: &FloatFormat) -> u32 {
        f.sign_bit() * 2
    }

    #[test]
    fn every_bit_pattern_decodes_and_encodes_back() {
        for f in ALL {
            for bits in 0..width(&f) {
                let v = f.decode(bits);
                if v.is_nan() {
                    assert!(f.is_nan(f.encode(v)), "{f:?} {bits:#x}");
                } else if v == 0.0 && f.non_finite == NonFinite::NegativeZeroIsNan {
                    assert_eq!(f.encode(v), 0);
                } else {
                    assert_eq!(f.encode(v), bits, "{f:?} {bits:#x} = {v}");
                }
            }
        }
    }

    #[test]
    fn largest_values_are_the_documented_ones() {
        // Published maxima: f16 65504, bf16 (2 - 2^-7) * 2^127, E4M3FN 448,
        // E4M3FNUZ 240, E5M2 and E5M2FNUZ 57344.
        assert_eq!(FloatFormat::F16.max_value(), 65504.0);
        assert_eq!(FloatFormat::BF16.max_value(), (2.0 - 1.0 / 128.0) * 2f64.powi(127));
        assert_eq!(FloatFormat::F8E4M3FN.max_value(), 448.0);
        assert_eq!(FloatFormat::F8E4M3FNUZ.max_value(), 240.0);
        assert_eq!(FloatFormat::F8E5M2.max_value(), 57344.0);
        assert_eq!(FloatFormat::F8E5M2FNUZ.max_value(), 57344.0);
        assert_eq!(FloatFormat::F4E2M1.max_value(), 6.0);
        // Smallest subnormals: 2^-24, 2^-133, 2^-9, 2^-10, 2^-16, 2^-17, 2^-1.
        let smallest: Vec<f64> = ALL.iter().map(|f| f.decode(1)).collect();
        let expected: Vec<f64> = [-24, -133, -9, -10, -16, -17, -1].iter().map(|&e| 2f64.powi(e)).collect();
        assert_eq!(smallest, expected);
    }

    #[test]
    fn f16_agrees_with_the_half_crate_on_a_sweep_of_f64s() {
        // `half` converts f64 to f16 with one rounding to nearest even.
        let mut x = 1.0e-9f64;
        while x < 1.0e6 {
            for v in [x, -x, x * (1.0 + 1.0 / 4096.0), x * (1.0 - 1.0 / 3000.0)] {
                assert_eq!(FloatFormat::F16.encode(v), half::f16::from_f64(v).to_bits() as u32, "{v}");
                assert_eq!(FloatFormat::BF16.encode(v), half::bf16::from_f64(v).to_bits() as u32, "{v}");
            }
            x *= 1.37;
        }
    }

    #[test]
    fn ties_round_to_even_and_overflow_follows_the_format() {
        let f16 = FloatFormat::F16;
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: to even, 1.
        assert_eq!(f16.round(1.0 + 2f64.powi(-11)), 1.0);
        assert_eq!(f16.round(1.0 + 3.0 * 2f64.powi(-11)), 1.0 + 2.0 * 2f64.powi(-10));
        // 65520 is halfway between 65504 (odd) and 65536: rounds up, overflows.
        assert_eq!(f16.round(65519.0), 65504.0);
        assert_eq!(f16.round(65520.0), f64::INFINITY);
        assert_eq!(f16.round(-1e10), f64::NEG_INFINITY);
        // Half the smallest subnormal ties to zero; just above rounds up.
        assert_eq!(f16.encode(2f64.powi(-25)), 0);
        assert_eq!(f16.encode(2f64.powi(-25) * 1.0001), 1);
        assert_eq!(f16.encode(-0.0), 0x8000);
        // E4M3FN: 464 ties to 448 (even); above it the value would be 480, NaN.
        let e4m3 = FloatFormat::F8E4M3FN;
        assert_eq!(e4m3.round(464.0), 448.0);
        assert!(e4m3.round(465.0).is_nan());
        assert_eq!(e4m3.encode(-465.0), 0xff);
        assert!(e4m3.round(f64::INFINITY).is_nan());
        // E5M2 has infinities; the FNUZ formats have one zero and one NaN.
        assert_eq!(FloatFormat::F8E5M2.round(1e6), f64::INFINITY);
        assert_eq!(FloatFormat::F8E5M2FNUZ.encode(-1e6), 0x80);
        assert_eq!(FloatFormat::F8E4M3FNUZ.encode(-0.0), 0);
        assert_eq!(FloatFormat::F8E4M3FNUZ.encode(-1e-9), 0);
        assert!(FloatFormat::F8E4M3FNUZ.decode(0x80).is_nan());
    }

    #[test]
    fn e2m1_saturates_and_has_no_nan() {
        // The eight magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6 (ml_dtypes' float4_e2m1fn).
        let values: Vec<f64> = (0..8).map(|b| FloatFormat::F4E2M1.decode(b)).collect();
        assert_eq!(values, [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]);
        let f = FloatFormat::F4E2M1;
        // Ties to even: 0.25 to 0, 2.5 to 2, 3.5 to 4 (fraction bit 0), 5 to 4.
        let rounded: Vec<f64> = [0.25, 2.5, 3.5, 5.0, 1.25, 0.75].iter().map(|&x| f.round(x)).collect();
        assert_eq!(rounded, [0.0, 2.0, 4.0, 4.0, 1.0, 1.0]);
        // Overflow and infinities saturate; NaN becomes the zero of the other sign.
        assert_eq!(f.round(7.0), 6.0);
        assert_eq!(f.round(f64::NEG_INFINITY), -6.0);
        assert_eq!(f.encode(f64::NAN), 0x8);
        assert_eq!(f.encode(-f64::NAN), 0x0);
    }

    #[test]
    fn e8m0_rounds_up_to_a_power_of_two_and_saturates() {
        // The values of ONNX's cast test: 0 to 2^-127, 0.124 up to 0.125,
        // 1.1 up to 2, powers of two unchanged.
        let inputs = [0.0, 0.124, 0.25, 0.5, 1.1, 2.0, 4.0, 8.0];
        let bits: Vec<u32> = inputs.iter().map(|&x| e8m0_encode(x)).collect();
        assert_eq!(bits, [0x00, 0x7c, 0x7d, 0x7e, 0x80, 0x80, 0x81, 0x82]);
        assert_eq!(e8m0_decode(0), 2f64.powi(-127));
        assert_eq!(e8m0_decode(0x7f), 1.0);
        assert!(e8m0_decode(0xff).is_nan());
        // The largest f32 exponent does not round up into NaN; infinities and NaN are NaN.
        assert_eq!(e8m0_encode(f32::MAX as f64), 0xfe);
        assert_eq!(e8m0_encode(f64::INFINITY), 0xff);
        assert_eq!(e8m0_encode(f64::NAN), 0xff);
        // The sign is ignored; every code but 0xff decodes and encodes back.
        assert_eq!(e8m0_encode(-4.0), 0x81);
        for b in 0..0xff {
            assert_eq!(e8m0_encode(e8m0_decode(b)), b);
        }
        // Other f32 subnormals round up by ONNX's rule, to 2^-126.
        assert_eq!(e8m0_encode(1e-39), 1);
    }
}
