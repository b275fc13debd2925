//! The infix operators of both levels and how tightly they bind. The parser
//! and the printer read the same tables, so whatever prints parses back to the
//! same tree: the printer adds parentheses exactly where these levels need them.

use crate::ir::{BinOp, UnOp};

/// Binding strength: a higher level binds tighter.
pub(super) type Prec = u8;

// Graph level, loosest first. Comparisons do not chain (`a < b < c` is an error).
pub(super) const GRAPH_COMPARE: Prec = 1;
pub(super) const GRAPH_ADDITIVE: Prec = 2;
pub(super) const GRAPH_MULTIPLICATIVE: Prec = 3;
/// `2 as f32`: gives a literal its dtype.
pub(super) const GRAPH_CAST: Prec = 4;
/// `-x`, and negative literals.
pub(super) const GRAPH_UNARY: Prec = 5;
/// `x.0`.
pub(super) const GRAPH_POSTFIX: Prec = 6;
/// Names, literals, calls, parentheses, tuples, `if`.
pub(super) const GRAPH_ATOM: Prec = 7;

/// A graph operator written infix: `a + b` calls `add(a, b)`.
pub(super) struct GraphInfix {
    pub symbol: &'static str,
    pub op: &'static str,
    pub prec: Prec,
}

const GRAPH_INFIX: &[GraphInfix] = &[
    GraphInfix { symbol: "==", op: "equal", prec: GRAPH_COMPARE },
    GraphInfix { symbol: "!=", op: "not_equal", prec: GRAPH_COMPARE },
    GraphInfix { symbol: "<", op: "less", prec: GRAPH_COMPARE },
    GraphInfix { symbol: "<=", op: "less_equal", prec: GRAPH_COMPARE },
    GraphInfix { symbol: ">", op: "greater", prec: GRAPH_COMPARE },
    GraphInfix { symbol: ">=", op: "greater_equal", prec: GRAPH_COMPARE },
    GraphInfix { symbol: "+", op: "add", prec: GRAPH_ADDITIVE },
    GraphInfix { symbol: "-", op: "sub", prec: GRAPH_ADDITIVE },
    GraphInfix { symbol: "*", op: "mul", prec: GRAPH_MULTIPLICATIVE },
    GraphInfix { symbol: "/", op: "div", prec: GRAPH_MULTIPLICATIVE },
];

/// The operator unary `-` calls.
pub(super) const GRAPH_NEG: &str = "neg";

/// The infix operator spelled `symbol` at level `prec`.
pub(super) fn graph_infix_by_symbol(symbol: &str, prec: Prec) -> Option<&'static GraphInfix> {
    GRAPH_INFIX.iter().find(|o| o.symbol == symbol && o.prec == prec)
}

/// The infix spelling of the operator called `op`, if it has one.
pub(super) fn graph_infix_by_op(op: &str) -> Option<&'static GraphInfix> {
    GRAPH_INFIX.iter().find(|o| o.op == op)
}

// Loop level, loosest first; Rust's precedences. Comparisons do not chain.
pub(super) const TIR_OR: Prec = 1;
pub(super) const TIR_AND: Prec = 2;
pub(super) const TIR_COMPARE: Prec = 3;
pub(super) const TIR_ADDITIVE: Prec = 4;
pub(super) const TIR_MULTIPLICATIVE: Prec = 5;
/// `x as f64`.
pub(super) const TIR_CAST: Prec = 6;
/// `-x`, `!x`, and negative literals.
pub(super) const TIR_UNARY: Prec = 7;
/// Names, literals, loads, calls, parentheses.
pub(super) const TIR_ATOM: Prec = 8;

/// Every binary operator, for lookups by spelling.
const ALL_BINOPS: [BinOp; 23] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::FloorDiv,
    BinOp::FloorMod,
    BinOp::Rem,
    BinOp::Min,
    BinOp::Max,
    BinOp::Pow,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::And,
    BinOp::Or,
    BinOp::BitAnd,
    BinOp::BitOr,
    BinOp::BitXor,
    BinOp::Shl,
    BinOp::Shr,
];

/// The level of an infix operator; `None` for those written as calls
/// (`max(a, b)`). The match is exhaustive so a new operator must be placed.
pub(super) fn tir_prec(op: BinOp) -> Option<Prec> {
    match op {
        BinOp::Or => Some(TIR_OR),
        BinOp::And => Some(TIR_AND),
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => Some(TIR_COMPARE),
        BinOp::Add | BinOp::Sub => Some(TIR_ADDITIVE),
        BinOp::Mul | BinOp::Div | BinOp::Rem => Some(TIR_MULTIPLICATIVE),
        BinOp::FloorDiv
        | BinOp::FloorMod
        | BinOp::Min
        | BinOp::Max
        | BinOp::Pow
        | BinOp::BitAnd
        | BinOp::BitOr
        | BinOp::BitXor
        | BinOp::Shl
        | BinOp::Shr => None,
    }
}

/// The infix operator spelled `symbol` at level `prec`.
pub(super) fn tir_infix_by_symbol(symbol: &str, prec: Prec) -> Option<BinOp> {
    ALL_BINOPS.into_iter().find(|&op| tir_prec(op) == Some(prec) && op.name() == symbol)
}

/// A binary operator written as a call: `max(a, b)`, `floordiv(a, b)`.
pub(super) fn tir_binary_intrinsic(name: &str) -> Option<BinOp> {
    ALL_BINOPS.into_iter().find(|&op| tir_prec(op).is_none() && op.name() == name)
}

/// Every unary operator written as a call: all but `-x` and `!x`.
const CALL_UNOPS: [UnOp; 19] = [
    UnOp::Abs,
    UnOp::Exp,
    UnOp::Log,
    UnOp::Sqrt,
    UnOp::Tanh,
    UnOp::Erf,
    UnOp::Floor,
    UnOp::Ceil,
    UnOp::Round,
    UnOp::Sin,
    UnOp::Cos,
    UnOp::Asin,
    UnOp::Acos,
    UnOp::Atan,
    UnOp::Sinh,
    UnOp::Cosh,
    UnOp::Asinh,
    UnOp::Acosh,
    UnOp::Atanh,
];

/// A unary operator written as a call: `exp(x)`.
pub(super) fn tir_unary_intrinsic(name: &str) -> Option<UnOp> {
    CALL_UNOPS.into_iter().find(|op| op.name() == name)
}

/// The prefix spelling of a unary operator, if it is not written as a call.
/// Exhaustive so a new operator must be placed.
pub(super) fn tir_prefix_symbol(op: UnOp) -> Option<&'static str> {
    match op {
        UnOp::Neg => Some("-"),
        UnOp::Not => Some("!"),
        UnOp::Abs
        | UnOp::Exp
        | UnOp::Log
        | UnOp::Sqrt
        | UnOp::Tanh
        | UnOp::Erf
        | UnOp::Floor
        | UnOp::Ceil
        | UnOp::Round
        | UnOp::Sin
        | UnOp::Cos
        | UnOp::Asin
        | UnOp::Acos
        | UnOp::Atan
        | UnOp::Sinh
        | UnOp::Cosh
        | UnOp::Asinh
        | UnOp::Acosh
        | UnOp::Atanh => None,
    }
}

/// `bitcast_f32(x)`: the bits of `x` read as an `f32` (one function per dtype).
pub(super) const BITCAST_PREFIX: &str = "bitcast_";

/// The dtype a `bitcast_DTYPE` function name reads bits as.
pub(super) fn tir_bitcast(name: &str) -> Option<relax_rt::DType> {
    name.strip_prefix(BITCAST_PREFIX).and_then(relax_rt::DType::from_name)
}

/// The names a `prim fn` may call, for error messages.
pub(super) fn tir_intrinsic_names() -> Vec<&'static str> {
    let binary = ALL_BINOPS.into_iter().filter(|&op| tir_prec(op).is_none()).map(BinOp::name);
    binary.chain(CALL_UNOPS.into_iter().map(UnOp::name)).chain(["select", "bitcast_DTYPE"]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_binary_operator_parses_back_by_its_name() {
        for op in ALL_BINOPS {
            let found = match tir_prec(op) {
                Some(prec) => tir_infix_by_symbol(op.name(), prec),
                None => tir_binary_intrinsic(op.name()),
            };
            assert_eq!(found, Some(op));
        }
        for op in CALL_UNOPS {
            assert_eq!(tir_prefix_symbol(op), None);
            assert_eq!(tir_unary_intrinsic(op.name()), Some(op));
        }
    }

    #[test]
    fn graph_symbols_map_both_ways() {
        for o in GRAPH_INFIX {
            assert_eq!(graph_infix_by_symbol(o.symbol, o.prec).unwrap().op, o.op);
            assert_eq!(graph_infix_by_op(o.op).unwrap().symbol, o.symbol);
        }
        assert!(graph_infix_by_symbol("-", GRAPH_MULTIPLICATIVE).is_none());
    }
}
