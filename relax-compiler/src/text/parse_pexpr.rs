//! Scalar expressions of `prim fn`s, with Rust's operators and precedences:
//! `||`, `&&`, comparisons (which do not chain), `+ -`, `* / %`, `x as f64`,
//! unary `-` and `!`, then atoms: literals, loop variables and dims, loads
//! `buf[i, j]`, and calls of intrinsics (`max(a, b)`, `exp(x)`, `select(c, a, b)`,
//! `bitcast_i32(x)`).
//!
//! Every literal has a dtype: integers default to `i64` (the index type),
//! others need a suffix (`0.0f32`, `1i32`) or `as` (`1e-5 as f32`, `-inf as f32`).

use super::lexer::{Number, TokenKind};
use super::literal::{check_suffix, float_value, int_value, typed_int_value};
use super::operators::{
    tir_binary_intrinsic, tir_bitcast, tir_infix_by_symbol, tir_intrinsic_names, tir_unary_intrinsic, Prec,
    TIR_COMPARE, TIR_MULTIPLICATIVE, TIR_OR,
};
use super::parse_tir::TirScope;
use super::parser::Parser;
use crate::error::{Error, Result};
use crate::ir::{BinOp, PExpr, UnOp};
use relax_rt::DType;

impl Parser<'_> {
    pub(super) fn parse_pexpr(&mut self, scope: &TirScope) -> Result<PExpr> {
        self.nested(|p| p.parse_pbinary(TIR_OR, scope))
    }

    /// Left-associative levels by precedence climbing; comparisons may not chain.
    fn parse_pbinary(&mut self, prec: Prec, scope: &TirScope) -> Result<PExpr> {
        if prec > TIR_MULTIPLICATIVE {
            return self.parse_pcast(scope);
        }
        let mut lhs = self.parse_pbinary(prec + 1, scope)?;
        while let Some(op) = self.peek_tir_infix(prec) {
            self.bump();
            let rhs = self.parse_pbinary(prec + 1, scope)?;
            lhs = PExpr::bin(op, lhs, rhs);
            if prec == TIR_COMPARE && self.peek_tir_infix(TIR_COMPARE).is_some() {
                return Err(Error::new(
                    self.peek().span,
                    "comparisons cannot be chained; add parentheses to say which comes first",
                ));
            }
        }
        Ok(lhs)
    }

    fn peek_tir_infix(&self, prec: Prec) -> Option<BinOp> {
        match self.peek().kind {
            TokenKind::Punct(symbol) => tir_infix_by_symbol(symbol, prec),
            _ => None,
        }
    }

    /// `x as f64` casts; `1.5 as f32` (an unsuffixed float) is a literal of that dtype.
    fn parse_pcast(&mut self, scope: &TirScope) -> Result<PExpr> {
        let mut expr = match self.try_untyped_float()? {
            Some(value) => {
                if self.eat_keyword("as").is_none() {
                    return Err(self.unexpected("`as DTYPE` after the float literal (or write a suffix: `1.0f32`)"));
                }
                PExpr::Float(value, self.parse_dtype()?)
            }
            None => self.parse_punary(scope)?,
        };
        while self.eat_keyword("as").is_some() {
            expr = PExpr::cast(self.parse_dtype()?, expr);
        }
        Ok(expr)
    }

    /// An optionally negative float literal without a suffix, or `inf`/`nan`.
    fn try_untyped_float(&mut self) -> Result<Option<f64>> {
        let negative = self.at_punct("-");
        let token = self.peek_nth(usize::from(negative)).clone();
        let magnitude = match &token.kind {
            TokenKind::Number(n) if n.is_float && n.suffix.is_none() => float_value(n, false, None),
            TokenKind::Ident(w) if w == "inf" => f64::INFINITY,
            TokenKind::Ident(w) if w == "nan" => f64::NAN,
            _ => return Ok(None),
        };
        if negative {
            self.bump();
        }
        self.bump();
        Ok(Some(if negative { -magnitude } else { magnitude }))
    }

    /// `-x`, `!x`; `-` directly before a number is part of the literal.
    fn parse_punary(&mut self, scope: &TirScope) -> Result<PExpr> {
        if self.eat_punct("-").is_some() {
            if let Some(number) = self.peek_number().cloned() {
                return self.parse_typed_number(&number, true);
            }
            return Ok(PExpr::un(UnOp::Neg, self.nested(|p| p.parse_punary(scope))?));
        }
        if self.eat_punct("!").is_some() {
            return Ok(PExpr::un(UnOp::Not, self.nested(|p| p.parse_punary(scope))?));
        }
        self.parse_patom(scope)
    }

    fn parse_patom(&mut self, scope: &TirScope) -> Result<PExpr> {
        if self.eat_punct("(").is_some() {
            let inner = self.parse_pexpr(scope)?;
            self.expect_punct(")", "to close the parenthesized expression")?;
            return Ok(inner);
        }
        if let Some(number) = self.peek_number().cloned() {
            return self.parse_typed_number(&number, false);
        }
        let Some(word) = self.peek_ident().map(str::to_string) else {
            return Err(self.unexpected("a scalar expression"));
        };
        match word.as_str() {
            "true" | "false" => {
                self.bump();
                Ok(PExpr::Bool(word == "true"))
            }
            "inf" | "nan" => Err(Error::new(self.peek().span, format!("`{word}` needs a dtype: `{word} as f32`"))),
            _ if self.nth_is_punct(1, "[") => {
                let (buf, idx) = self.parse_buffer_access(scope)?;
                Ok(PExpr::Load { buf, idx })
            }
            _ if self.nth_is_punct(1, "(") => self.parse_intrinsic(scope),
            _ => self.parse_scalar_name(scope),
        }
    }

    /// A numeric literal: integers are `i64` unless suffixed; floats need a suffix.
    fn parse_typed_number(&mut self, number: &Number, negative: bool) -> Result<PExpr> {
        let span = self.peek().span;
        let at = |e: String| Error::new(span, e);
        check_suffix(number).map_err(at)?;
        let expr = if number.is_float {
            let Some(dtype) = number.suffix else {
                return Err(at(format!("a float literal needs a dtype: `{0}f32` or `{0} as f32`", number.text)));
            };
            PExpr::Float(float_value(number, negative, Some(dtype)), dtype)
        } else {
            let dtype = number.suffix.unwrap_or(DType::I64);
            let value = if dtype.is_float() {
                int_value(number, negative).map_err(at)?
            } else {
                typed_int_value(number, negative, dtype).map_err(at)?
            };
            PExpr::Int(value, dtype)
        };
        self.bump();
        Ok(expr)
    }

    /// A loop variable or dim.
    fn parse_scalar_name(&mut self, scope: &TirScope) -> Result<PExpr> {
        let (name, span) = self.expect_name("a scalar expression")?;
        if scope.has_scalar(&name) {
            return Ok(PExpr::Var(name));
        }
        let message = if scope.buffer_rank(&name).is_some() {
            format!("`{name}` is a buffer; read an element with `{name}[..]`")
        } else {
            format!("`{name}` is not a loop variable or dim here")
        };
        Err(Error::new(span, message))
    }

    /// `select(c, a, b)`, a binary intrinsic (`max(a, b)`) or a unary one (`exp(x)`).
    fn parse_intrinsic(&mut self, scope: &TirScope) -> Result<PExpr> {
        let (name, span) = self.expect_name("a function name")?;
        let arity = match name.as_str() {
            "select" => 3,
            _ if tir_bitcast(&name).is_some() => 1,
            _ if tir_binary_intrinsic(&name).is_some() => 2,
            _ if tir_unary_intrinsic(&name).is_some() => 1,
            _ => {
                let known = tir_intrinsic_names().join(", ");
                return Err(Error::new(
                    span,
                    format!("unknown function `{name}` in a `prim fn`; the functions are {known}"),
                ));
            }
        };
        self.bump();
        let mut args = self.comma_list(")", &format!("the arguments of `{name}`"), |p| p.parse_pexpr(scope))?;
        if args.len() != arity {
            let message = format!("`{name}` takes {arity} argument{}, got {}", plural(arity), args.len());
            return Err(Error::new(self.span_from(span.start), message));
        }
        let mut next = || args.remove(0);
        Ok(match name.as_str() {
            "select" => PExpr::select(next(), next(), next()),
            _ if tir_bitcast(&name).is_some() => PExpr::bitcast(tir_bitcast(&name).expect("checked above"), next()),
            _ => match tir_binary_intrinsic(&name) {
                Some(op) => PExpr::bin(op, next(), next()),
                None => PExpr::un(tir_unary_intrinsic(&name).expect("arity was found"), next()),
            },
        })
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
