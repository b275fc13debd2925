//! Symbolic integers: tensor dimensions (`n`, `n * 4`, `(h - 3) / 2 + 1`) and the
//! simplifier that decides when two of them are equal.
//!
//! Simplification rewrites an expression into a canonical polynomial (a sum of
//! integer-coefficient monomials over variables and opaque atoms such as
//! `a / 3` or `min(a, b)`), so `n * 4 - n * 3` and `n` compare equal. What the
//! simplifier cannot prove equal is an error, unless the user states it with
//! `match_cast`, which generated code then checks at run time.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::ops;

/// A symbolic integer expression. Division and modulo are floor-based.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    Int(i64),
    Var(String),
    Add(Box<Dim>, Box<Dim>),
    Sub(Box<Dim>, Box<Dim>),
    Mul(Box<Dim>, Box<Dim>),
    Div(Box<Dim>, Box<Dim>),
    Mod(Box<Dim>, Box<Dim>),
    Min(Box<Dim>, Box<Dim>),
    Max(Box<Dim>, Box<Dim>),
}

/// What the simplifier knows about `a == b`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Equality {
    Proven,
    Disproven,
    Unknown,
}

impl Dim {
    pub fn var(name: &str) -> Dim {
        Dim::Var(name.to_string())
    }

    pub fn as_int(&self) -> Option<i64> {
        match self.simplify() {
            Dim::Int(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_const(&self) -> bool {
        self.as_int().is_some()
    }

    /// Floor division.
    pub fn floor_div(self, rhs: impl Into<Dim>) -> Dim {
        Dim::Div(Box::new(self), Box::new(rhs.into()))
    }

    /// Floor modulo.
    pub fn floor_mod(self, rhs: impl Into<Dim>) -> Dim {
        Dim::Mod(Box::new(self), Box::new(rhs.into()))
    }

    pub fn min(self, rhs: impl Into<Dim>) -> Dim {
        Dim::Min(Box::new(self), Box::new(rhs.into()))
    }

    pub fn max(self, rhs: impl Into<Dim>) -> Dim {
        Dim::Max(Box::new(self), Box::new(rhs.into()))
    }

    /// The product of a list of dims (1 for an empty list), simplified.
    pub fn product<'a>(dims: impl IntoIterator<Item = &'a Dim>) -> Dim {
        dims.into_iter().fold(Dim::Int(1), |acc, d| acc * d.clone()).simplify()
    }

    /// The canonical form of this expression.
    pub fn simplify(&self) -> Dim {
        Poly::of(self).to_dim()
    }

    /// Decides `self == other` where possible.
    pub fn equality(&self, other: &Dim) -> Equality {
        match (self.clone() - other.clone()).simplify() {
            Dim::Int(0) => Equality::Proven,
            Dim::Int(_) => Equality::Disproven,
            _ => Equality::Unknown,
        }
    }

    pub fn proven_eq(&self, other: &Dim) -> bool {
        self.equality(other) == Equality::Proven
    }

    /// The value under an assignment of the variables; `None` if a variable is
    /// unbound or a division is by zero.
    pub fn eval(&self, env: &HashMap<String, i64>) -> Option<i64> {
        let bin = |a: &Dim, b: &Dim| Some((a.eval(env)?, b.eval(env)?));
        Some(match self {
            Dim::Int(v) => *v,
            Dim::Var(n) => *env.get(n)?,
            Dim::Add(a, b) => bin(a, b).map(|(x, y)| x.wrapping_add(y))?,
            Dim::Sub(a, b) => bin(a, b).map(|(x, y)| x.wrapping_sub(y))?,
            Dim::Mul(a, b) => bin(a, b).map(|(x, y)| x.wrapping_mul(y))?,
            Dim::Div(a, b) => bin(a, b).and_then(|(x, y)| floor_div(x, y))?,
            Dim::Mod(a, b) => bin(a, b).and_then(|(x, y)| floor_mod(x, y))?,
            Dim::Min(a, b) => bin(a, b).map(|(x, y)| x.min(y))?,
            Dim::Max(a, b) => bin(a, b).map(|(x, y)| x.max(y))?,
        })
    }

    /// Every variable this expression mentions.
    pub fn free_vars(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        self.collect_vars(&mut out);
        out
    }

    fn collect_vars(&self, out: &mut BTreeSet<String>) {
        match self {
            Dim::Int(_) => {}
            Dim::Var(n) => {
                out.insert(n.clone());
            }
            _ => {
                let (a, b) = self.children().expect("binary node");
                a.collect_vars(out);
                b.collect_vars(out);
            }
        }
    }

    /// Replaces variables by expressions, then simplifies.
    pub fn substitute(&self, map: &HashMap<String, Dim>) -> Dim {
        self.map_vars(&|n| map.get(n).cloned()).simplify()
    }

    fn map_vars(&self, f: &dyn Fn(&str) -> Option<Dim>) -> Dim {
        match self {
            Dim::Int(v) => Dim::Int(*v),
            Dim::Var(n) => f(n).unwrap_or_else(|| Dim::Var(n.clone())),
            _ => {
                let (a, b) = self.children().expect("binary node");
                self.with_children(a.map_vars(f), b.map_vars(f))
            }
        }
    }

    /// The two operands of a binary node.
    fn children(&self) -> Option<(&Dim, &Dim)> {
        match self {
            Dim::Int(_) | Dim::Var(_) => None,
            Dim::Add(a, b)
            | Dim::Sub(a, b)
            | Dim::Mul(a, b)
            | Dim::Div(a, b)
            | Dim::Mod(a, b)
            | Dim::Min(a, b)
            | Dim::Max(a, b) => Some((a, b)),
        }
    }

    /// The same binary node with new operands.
    fn with_children(&self, a: Dim, b: Dim) -> Dim {
        let (a, b) = (Box::new(a), Box::new(b));
        match self {
            Dim::Add(..) => Dim::Add(a, b),
            Dim::Sub(..) => Dim::Sub(a, b),
            Dim::Mul(..) => Dim::Mul(a, b),
            Dim::Div(..) => Dim::Div(a, b),
            Dim::Mod(..) => Dim::Mod(a, b),
            Dim::Min(..) => Dim::Min(a, b),
            Dim::Max(..) => Dim::Max(a, b),
            Dim::Int(_) | Dim::Var(_) => unreachable!("leaf has no children"),
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Dim::Add(..) | Dim::Sub(..) => 1,
            Dim::Mul(..) | Dim::Div(..) | Dim::Mod(..) => 2,
            Dim::Int(v) if *v < 0 => 1,
            _ => 3,
        }
    }
}

/// Floor division; `None` when dividing by zero.
pub fn floor_div(a: i64, b: i64) -> Option<i64> {
    if b == 0 {
        return None;
    }
    let q = a.wrapping_div(b);
    Some(if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q })
}

/// Floor modulo (the result has the sign of the divisor); `None` for zero.
pub fn floor_mod(a: i64, b: i64) -> Option<i64> {
    Some(a.wrapping_sub(floor_div(a, b)?.wrapping_mul(b)))
}

impl From<i64> for Dim {
    fn from(v: i64) -> Dim {
        Dim::Int(v)
    }
}
impl From<usize> for Dim {
    fn from(v: usize) -> Dim {
        Dim::Int(v as i64)
    }
}
impl From<i32> for Dim {
    fn from(v: i32) -> Dim {
        Dim::Int(v as i64)
    }
}
impl From<&str> for Dim {
    fn from(v: &str) -> Dim {
        Dim::var(v)
    }
}

macro_rules! dim_binop {
    ($trait:ident, $method:ident, $variant:ident) => {
        impl<T: Into<Dim>> ops::$trait<T> for Dim {
            type Output = Dim;
            fn $method(self, rhs: T) -> Dim {
                Dim::$variant(Box::new(self), Box::new(rhs.into()))
            }
        }
    };
}
dim_binop!(Add, add, Add);
dim_binop!(Sub, sub, Sub);
dim_binop!(Mul, mul, Mul);

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Left operands need parentheses only for lower precedence; right operands
        // also for equal precedence (a - (b - c)).
        let side = |f: &mut fmt::Formatter<'_>, d: &Dim, min: u8| {
            if d.precedence() < min {
                write!(f, "({d})")
            } else {
                write!(f, "{d}")
            }
        };
        let infix = |f: &mut fmt::Formatter<'_>, a: &Dim, op: &str, b: &Dim, prec: u8| {
            side(f, a, prec)?;
            write!(f, " {op} ")?;
            side(f, b, prec + 1)
        };
        match self {
            Dim::Int(v) => write!(f, "{v}"),
            Dim::Var(n) => f.write_str(n),
            Dim::Add(a, b) => infix(f, a, "+", b, 1),
            Dim::Sub(a, b) => infix(f, a, "-", b, 1),
            Dim::Mul(a, b) => infix(f, a, "*", b, 2),
            Dim::Div(a, b) => infix(f, a, "/", b, 2),
            Dim::Mod(a, b) => infix(f, a, "%", b, 2),
            Dim::Min(a, b) => write!(f, "min({a}, {b})"),
            Dim::Max(a, b) => write!(f, "max({a}, {b})"),
        }
    }
}

impl fmt::Debug for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// Formats a shape as `[n, 64]`.
pub fn shape_to_string(shape: &[Dim]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// A monomial: a sorted product of atoms (variables or opaque sub-expressions).
type Monomial = Vec<Dim>;

/// The canonical polynomial form used by the simplifier.
#[derive(Clone, Debug, PartialEq, Default)]
struct Poly {
    terms: BTreeMap<Monomial, i64>,
}

impl Poly {
    fn constant(c: i64) -> Poly {
        let mut p = Poly::default();
        if c != 0 {
            p.terms.insert(Vec::new(), c);
        }
        p
    }

    fn atom(d: Dim) -> Poly {
        let mut p = Poly::default();
        p.terms.insert(vec![d], 1);
        p
    }

    fn as_const(&self) -> Option<i64> {
        match self.terms.len() {
            0 => Some(0),
            1 => self.terms.get(&Vec::new()).copied(),
            _ => None,
        }
    }

    fn add(mut self, other: &Poly, sign: i64) -> Poly {
        for (m, c) in &other.terms {
            let e = self.terms.entry(m.clone()).or_insert(0);
            *e = e.wrapping_add(c.wrapping_mul(sign));
            if *e == 0 {
                self.terms.remove(m);
            }
        }
        self
    }

    fn mul(&self, other: &Poly) -> Poly {
        let mut out = Poly::default();
        for (ma, ca) in &self.terms {
            for (mb, cb) in &other.terms {
                let mut m: Monomial = ma.iter().chain(mb).cloned().collect();
                m.sort();
                let mut single = Poly::default();
                single.terms.insert(m, ca.wrapping_mul(*cb));
                out = out.add(&single, 1);
            }
        }
        out
    }

    /// Splits into (terms divisible by `c`, divided by `c`) and the remainder.
    fn split_divisible(&self, c: i64) -> (Poly, Poly) {
        let mut quot = Poly::default();
        let mut rem = Poly::default();
        for (m, k) in &self.terms {
            if k % c == 0 {
                quot.terms.insert(m.clone(), k / c);
            } else {
                rem.terms.insert(m.clone(), *k);
            }
        }
        (quot, rem)
    }

    fn of(d: &Dim) -> Poly {
        match d {
            Dim::Int(v) => Poly::constant(*v),
            Dim::Var(_) => Poly::atom(d.clone()),
            Dim::Add(a, b) => Poly::of(a).add(&Poly::of(b), 1),
            Dim::Sub(a, b) => Poly::of(a).add(&Poly::of(b), -1),
            Dim::Mul(a, b) => Poly::of(a).mul(&Poly::of(b)),
            Dim::Div(a, b) => Poly::div(Poly::of(a), Poly::of(b)),
            Dim::Mod(a, b) => Poly::modulo(Poly::of(a), Poly::of(b)),
            Dim::Min(a, b) => Poly::min_max(Poly::of(a), Poly::of(b), true),
            Dim::Max(a, b) => Poly::min_max(Poly::of(a), Poly::of(b), false),
        }
    }

    /// floor((c*q + r) / c) = q + floor(r / c) for integer q.
    fn div(a: Poly, b: Poly) -> Poly {
        match (a.as_const(), b.as_const()) {
            (Some(x), Some(y)) if y != 0 => Poly::constant(floor_div(x, y).unwrap()),
            (_, Some(c)) if c > 0 => {
                let (quot, rem) = a.split_divisible(c);
                let rem_part = match rem.as_const() {
                    Some(r) => Poly::constant(floor_div(r, c).unwrap()),
                    None => Poly::atom(Dim::Div(Box::new(rem.to_dim()), Box::new(Dim::Int(c)))),
                };
                quot.add(&rem_part, 1)
            }
            _ => Poly::atom(Dim::Div(Box::new(a.to_dim()), Box::new(b.to_dim()))),
        }
    }

    /// (c*q + r) mod c = r mod c.
    fn modulo(a: Poly, b: Poly) -> Poly {
        match (a.as_const(), b.as_const()) {
            (Some(x), Some(y)) if y != 0 => Poly::constant(floor_mod(x, y).unwrap()),
            (_, Some(c)) if c > 0 => {
                let (_, rem) = a.split_divisible(c);
                match rem.as_const() {
                    Some(r) => Poly::constant(floor_mod(r, c).unwrap()),
                    None => Poly::atom(Dim::Mod(Box::new(rem.to_dim()), Box::new(Dim::Int(c)))),
                }
            }
            _ => Poly::atom(Dim::Mod(Box::new(a.to_dim()), Box::new(b.to_dim()))),
        }
    }

    /// min/max of two polynomials whose difference is a constant is decided;
    /// otherwise it stays an atom with its operands in canonical order.
    fn min_max(a: Poly, b: Poly, is_min: bool) -> Poly {
        let diff = a.clone().add(&b, -1);
        if let Some(d) = diff.as_const() {
            let a_smaller = d <= 0;
            return if a_smaller == is_min { a } else { b };
        }
        let (x, y) = (a.to_dim(), b.to_dim());
        let (x, y) = if x <= y { (x, y) } else { (y, x) };
        Poly::atom(if is_min { Dim::Min(Box::new(x), Box::new(y)) } else { Dim::Max(Box::new(x), Box::new(y)) })
    }

    /// Rebuilds an expression: non-constant terms first (in monomial order), then
    /// the constant, subtracting negative coefficients.
    fn to_dim(&self) -> Dim {
        let mut out: Option<Dim> = None;
        let mut constant = 0;
        for (m, &c) in &self.terms {
            if m.is_empty() {
                constant = c;
                continue;
            }
            let prod = m.iter().skip(1).fold(m[0].clone(), |acc, a| acc * a.clone());
            let mag = c.unsigned_abs() as i64;
            let term = if mag == 1 { prod } else { prod * Dim::Int(mag) };
            out = Some(match out {
                None if c < 0 => Dim::Int(0) - term,
                None => term,
                Some(acc) if c < 0 => acc - term,
                Some(acc) => acc + term,
            });
        }
        match out {
            None => Dim::Int(constant),
            Some(acc) if constant > 0 => acc + Dim::Int(constant),
            Some(acc) if constant < 0 => acc - Dim::Int(-constant),
            Some(acc) => acc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n() -> Dim {
        Dim::var("n")
    }

    #[test]
    fn cancels_and_collects_terms() {
        assert_eq!((n() * 4 - n() * 3).simplify(), n());
        assert_eq!((n() + 1 - 1).simplify(), n());
        assert_eq!((n() * 2 + n()).simplify().to_string(), "n * 3");
        assert_eq!((Dim::Int(3) + n()).simplify().to_string(), "n + 3");
        assert_eq!((Dim::Int(3) - n()).simplify().to_string(), "0 - n + 3");
    }

    #[test]
    fn floor_division_splits_divisible_terms() {
        assert_eq!((n() * 4 + 3).floor_div(4).simplify(), n());
        assert_eq!((n() * 4 + 3).floor_mod(4).simplify(), Dim::Int(3));
        assert_eq!(((n() - 3).floor_div(2) + 1).simplify().to_string(), "(n - 3) / 2 + 1");
        assert_eq!(Dim::Int(-7).floor_div(2).simplify(), Dim::Int(-4));
        assert_eq!(Dim::Int(-7).floor_mod(2).simplify(), Dim::Int(1));
    }

    #[test]
    fn decides_equality() {
        let h = Dim::var("h");
        assert_eq!((h.clone() * 2).equality(&(h.clone() + h.clone())), Equality::Proven);
        assert_eq!((h.clone() + 1).equality(&h), Equality::Disproven);
        assert_eq!(h.equality(&n()), Equality::Unknown);
        assert_eq!(n().min(n() + 2).simplify(), n());
    }

    #[test]
    fn evaluates_and_substitutes() {
        let e = (Dim::var("h") - 3).floor_div(2) + 1;
        let env = HashMap::from([("h".to_string(), 8)]);
        assert_eq!(e.eval(&env), Some(3));
        let sub = e.substitute(&HashMap::from([("h".to_string(), Dim::Int(9))]));
        assert_eq!(sub, Dim::Int(4));
    }

    #[test]
    fn display_parenthesizes_by_precedence() {
        let e = Dim::var("a") - (Dim::var("b") - Dim::var("c"));
        assert_eq!(e.to_string(), "a - (b - c)");
        let e = (Dim::var("a") + 1) * Dim::var("b");
        assert_eq!(e.to_string(), "(a + 1) * b");
    }
}
