//! Ranges of dim expressions: given an inclusive range for each variable,
//! a range every value of the expression lies in (interval arithmetic, in
//! i128 so no bound overflows). Used to size a workspace once for every call
//! whose bounded dims (`#[dim_max]`) stay within their bounds. The range is
//! exact for expressions that grow with each variable, as planned sizes do,
//! and an over-approximation otherwise.

use super::dim::Dim;
use std::collections::HashMap;

/// An inclusive range `lo..=hi`.
pub type Range = (i128, i128);

/// The range of `d` when each variable lies in its range in `vars`; `None`
/// when `d` mentions a variable without one, or divides by a range that
/// holds zero or negative values.
pub fn range_of(d: &Dim, vars: &HashMap<String, Range>) -> Option<Range> {
    let bin = |a: &Dim, b: &Dim| Some((range_of(a, vars)?, range_of(b, vars)?));
    Some(match d {
        Dim::Int(v) => (*v as i128, *v as i128),
        Dim::Var(n) => *vars.get(n)?,
        Dim::Add(a, b) => bin(a, b).map(|((a0, a1), (b0, b1))| (a0 + b0, a1 + b1))?,
        Dim::Sub(a, b) => bin(a, b).map(|((a0, a1), (b0, b1))| (a0 - b1, a1 - b0))?,
        Dim::Mul(a, b) => bin(a, b).map(|((a0, a1), (b0, b1))| hull([a0 * b0, a0 * b1, a1 * b0, a1 * b1]))?,
        // Floor division by a positive divisor is monotone in each operand,
        // so the extremes are at the corners.
        Dim::Div(a, b) => match bin(a, b)? {
            ((a0, a1), (b0, b1)) if b0 > 0 => {
                hull([a0.div_euclid(b0), a0.div_euclid(b1), a1.div_euclid(b0), a1.div_euclid(b1)])
            }
            _ => return None,
        },
        // Floor modulo by a positive divisor lies in `0..divisor`.
        Dim::Mod(a, b) => match bin(a, b)? {
            (_, (b0, b1)) if b0 > 0 => (0, b1 - 1),
            _ => return None,
        },
        Dim::Min(a, b) => bin(a, b).map(|((a0, a1), (b0, b1))| (a0.min(b0), a1.min(b1)))?,
        Dim::Max(a, b) => bin(a, b).map(|((a0, a1), (b0, b1))| (a0.max(b0), a1.max(b1)))?,
    })
}

fn hull(values: [i128; 4]) -> Range {
    (values.into_iter().min().unwrap_or(0), values.into_iter().max().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(items: &[(&str, Range)]) -> HashMap<String, Range> {
        items.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    }

    #[test]
    fn ranges_follow_each_operation() {
        let n = Dim::var("n");
        let v = vars(&[("n", (0, 64)), ("m", (1, 8))]);
        // A planned size: n * 256 + 64 rounded up to 64 bytes.
        let size = ((n.clone() * 256 + 64 + 63).floor_div(64)) * 64;
        assert_eq!(range_of(&size, &v), Some((64, 16448)));
        assert_eq!(range_of(&(Dim::Int(10) - n.clone()), &v), Some((-54, 10)));
        assert_eq!(range_of(&n.clone().floor_div(Dim::var("m")), &v), Some((0, 64)));
        assert_eq!(range_of(&n.clone().floor_mod(Dim::var("m")), &v), Some((0, 7)));
        assert_eq!(range_of(&n.clone().min(Dim::Int(5)).max(Dim::Int(2)), &v), Some((2, 5)));
        assert_eq!(range_of(&(n.clone() * (Dim::Int(0) - Dim::var("m"))), &v), Some((-512, 0)));
        assert_eq!(range_of(&(n.clone() + Dim::var("k")), &v), None, "k has no range");
        assert_eq!(range_of(&n.floor_div(Dim::Int(0)), &v), None);
    }
}
