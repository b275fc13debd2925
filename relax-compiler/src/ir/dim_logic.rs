//! Case analysis on dims whose values are only known at run time.
//!
//! A graph input that holds a shape, axes or pads (see
//! the ONNX importer's `Importer::param_values`) gives dims such as `shape_0` that may be `0`,
//! `-1` or negative, each meaning something different to ONNX. Dims have no
//! comparisons, but on integers `min`, `max` and arithmetic are enough: a
//! *flag* is a dim that is 1 when a condition holds and 0 otherwise, and
//! `select(flag, a, b)` picks one of two dims. Constants fold, so the same
//! code gives plain numbers when the values are known.

use crate::ir::Dim;

/// 1 when `v < 0`, else 0.
pub fn is_negative(v: &Dim) -> Dim {
    match v.as_int() {
        Some(c) => Dim::Int((c < 0) as i64),
        None => (Dim::Int(0) - v.clone().max(-1).min(0)).simplify(),
    }
}

/// 1 when `v == k`, else 0.
pub fn equals(v: &Dim, k: i64) -> Dim {
    match v.as_int() {
        Some(c) => Dim::Int((c == k) as i64),
        None => {
            let distance = (v.clone() - k).max(Dim::Int(k) - v.clone());
            (Dim::Int(1) - distance.min(1)).simplify()
        }
    }
}

/// 1 when the flag is 0, else 0.
pub fn not(flag: &Dim) -> Dim {
    (Dim::Int(1) - flag.clone()).simplify()
}

/// 1 when any flag is 1.
pub fn any(flags: impl IntoIterator<Item = Dim>) -> Dim {
    let total = flags.into_iter().fold(Dim::Int(0), |acc, f| acc + f).simplify();
    match total.as_int() {
        Some(c) => Dim::Int(c.min(1)),
        None => total.min(1).simplify(),
    }
}

/// `a` when the flag is 1, `b` when it is 0.
pub fn select(flag: &Dim, a: &Dim, b: &Dim) -> Dim {
    match flag.as_int() {
        Some(1) => a.clone(),
        Some(0) => b.clone(),
        _ if a == b => a.clone(),
        _ => (b.clone() + flag.clone() * (a.clone() - b.clone())).simplify(),
    }
}

/// An axis counted from the end when negative (`-1` is `rank - 1`).
pub fn resolve_axis(v: &Dim, rank: usize) -> Dim {
    (v.clone() + is_negative(v) * rank as i64).simplify()
}

/// `v` limited to `lo..=hi`.
pub fn clamp(v: &Dim, lo: impl Into<Dim>, hi: impl Into<Dim>) -> Dim {
    v.clone().max(lo).min(hi).simplify()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn at(d: &Dim, v: i64) -> i64 {
        d.eval(&HashMap::from([("v".to_string(), v)])).unwrap()
    }

    #[test]
    fn flags_agree_with_comparisons_on_every_value() {
        let v = Dim::var("v");
        for x in -5..=5 {
            assert_eq!(at(&is_negative(&v), x), (x < 0) as i64);
            assert_eq!(at(&equals(&v, -1), x), (x == -1) as i64);
            assert_eq!(at(&equals(&v, 2), x), (x == 2) as i64);
            assert_eq!(at(&not(&equals(&v, 0)), x), (x != 0) as i64);
            assert_eq!(at(&any([equals(&v, 1), equals(&v, 3)]), x), (x == 1 || x == 3) as i64);
            assert_eq!(at(&select(&is_negative(&v), &Dim::Int(10), &v), x), if x < 0 { 10 } else { x });
            assert_eq!(at(&resolve_axis(&v, 4), x), if x < 0 { x + 4 } else { x });
            assert_eq!(at(&clamp(&v, -2, 3), x), x.clamp(-2, 3));
        }
    }

    #[test]
    fn constants_fold() {
        assert_eq!(is_negative(&Dim::Int(-3)), Dim::Int(1));
        assert_eq!(equals(&Dim::Int(4), 4), Dim::Int(1));
        assert_eq!(select(&Dim::Int(0), &Dim::var("a"), &Dim::var("b")), Dim::var("b"));
        assert_eq!(any([Dim::Int(1), Dim::Int(1)]), Dim::Int(1));
    }
}
