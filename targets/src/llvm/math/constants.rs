//! Constants split into pieces so that `k * hi` is exact for every integer `k`
//! the argument reductions produce (Cody-Waite reduction): `x - k*hi` then
//! loses nothing, and the small pieces carry the rest of the constant.

use std::f64::consts::{FRAC_PI_2, LN_2};

/// `ln 2 - LN_2`: the part of ln 2 a double cannot hold (60-digit arithmetic).
const LN_2_TAIL: f64 = 2.3190468138462996e-17;
/// `pi/2 - FRAC_PI_2` (60-digit arithmetic).
const FRAC_PI_2_TAIL: f64 = 6.123233995736766e-17;

/// `v` with only its leading `bits` significant bits.
fn truncate(v: f64, bits: u32) -> f64 {
    f64::from_bits(v.to_bits() & !((1u64 << (53 - bits)) - 1))
}

/// `(hi, lo)` with `hi` holding the leading `hi_bits` of ln 2 and `hi + lo`
/// equal to ln 2 to about 2^-100.
pub(super) fn ln2_parts(hi_bits: u32) -> (f64, f64) {
    let hi = truncate(LN_2, hi_bits);
    (hi, (LN_2 - hi) + LN_2_TAIL)
}

/// `(p1, p2, p3)` with `p1` the leading `bits` bits of pi/2, `p2` the rest of
/// the double `FRAC_PI_2` (at most `53 - bits` bits) and `p3` what the double
/// misses: together pi/2 to about 2^-105.
pub(super) fn half_pi_parts(bits: u32) -> (f64, f64, f64) {
    let p1 = truncate(FRAC_PI_2, bits);
    (p1, FRAC_PI_2 - p1, FRAC_PI_2_TAIL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_add_up_and_leave_room_for_the_multiplier() {
        let (hi, lo) = ln2_parts(32);
        assert_eq!(hi + lo, LN_2);
        assert_eq!(hi.to_bits() & ((1 << 21) - 1), 0);
        let (p1, p2, p3) = half_pi_parts(29);
        assert_eq!(p1 + p2, FRAC_PI_2);
        assert_eq!(p1.to_bits() & ((1 << 24) - 1), 0);
        let p2_significant_bits = 53 - p2.to_bits().trailing_zeros();
        assert!(p2_significant_bits <= 24, "{p2:e} has {p2_significant_bits} bits");
        assert!(p3.abs() < 1e-16 && p3 != 0.0);
    }
}
