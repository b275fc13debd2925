//! Types: struct info (`Tensor<[n, 64], f32>`, tuples, `_`), dtypes, and the
//! symbolic dimension expressions inside shapes.
//!
//! Shapes are kept exactly as written (`2 * n` stays `2 * n`), so a module
//! prints back the way it was typed; comparisons go through `Dim::equality`.

use super::lexer::TokenKind;
use super::literal::int_value;
use super::parser::Parser;
use crate::error::{Error, Result, Span};
use crate::ir::{Dim, StructInfo, TensorInfo};
use relax_rt::DType;

impl Parser<'_> {
    /// `Tensor<[..], dtype>`, `(T, T)`, `(T,)`, `()`, or `_` (not known yet).
    pub(super) fn parse_struct_info(&mut self) -> Result<StructInfo> {
        self.nested(|p| p.parse_struct_info_here())
    }

    fn parse_struct_info_here(&mut self) -> Result<StructInfo> {
        if self.eat_keyword("_").is_some() {
            return Ok(StructInfo::Unknown);
        }
        if self.at_punct("(") {
            return self.parse_tuple_struct_info();
        }
        if self.at_keyword("Tensor") {
            let (dtype, shape) = self.parse_shaped_type("Tensor")?;
            return Ok(StructInfo::Tensor(TensorInfo { dtype, shape }));
        }
        Err(self.unexpected("a type (`Tensor<[..], dtype>`, a tuple `(..)` or `_`)"))
    }

    /// `(T, T)`; one element needs a trailing comma, `(T,)`, as in Rust.
    fn parse_tuple_struct_info(&mut self) -> Result<StructInfo> {
        let open = self.expect_punct("(", "to open the tuple type")?;
        let mut items = Vec::new();
        let mut trailing_comma = false;
        while self.eat_punct(")").is_none() {
            items.push(self.parse_struct_info()?);
            trailing_comma = self.eat_punct(",").is_some();
            if !trailing_comma {
                self.expect_punct(")", "or `,` in the tuple type")?;
                break;
            }
        }
        if items.len() == 1 && !trailing_comma {
            return Err(Error::new(
                self.span_from(open.start),
                "a one-element tuple type needs a trailing comma: `(T,)`",
            ));
        }
        Ok(StructInfo::Tuple(items))
    }

    /// `KIND<[d0, d1, ..], dtype>` for `Tensor` and `Buffer`.
    pub(super) fn parse_shaped_type(&mut self, kind: &str) -> Result<(DType, Vec<Dim>)> {
        if self.eat_keyword(kind).is_none() {
            return Err(self.unexpected(&format!("`{kind}<[..], dtype>`")));
        }
        self.expect_punct("<", &format!("after `{kind}`"))?;
        let shape = self.parse_shape()?;
        self.expect_punct(",", &format!("after the shape of the `{kind}`"))?;
        let dtype = self.parse_dtype()?;
        self.expect_closing_angle(&format!("to close `{kind}<..>`"))?;
        Ok((dtype, shape))
    }

    /// `[d0, d1, ..]`.
    pub(super) fn parse_shape(&mut self) -> Result<Vec<Dim>> {
        self.expect_punct("[", "to open the shape")?;
        self.comma_list("]", "the shape", |p| p.parse_dim())
    }

    pub(super) fn parse_dtype(&mut self) -> Result<DType> {
        let token = self.peek().clone();
        let TokenKind::Ident(name) = &token.kind else { return Err(self.unexpected("a dtype")) };
        let dtype = DType::from_name(name).ok_or_else(|| unknown_dtype(name, token.span))?;
        self.bump();
        Ok(dtype)
    }

    /// A symbolic integer: `+ - * / %` (floor division and modulo), `min`,
    /// `max`, parentheses, names and integer literals.
    pub(super) fn parse_dim(&mut self) -> Result<Dim> {
        self.nested(|p| p.parse_dim_sum())
    }

    fn parse_dim_sum(&mut self) -> Result<Dim> {
        let mut lhs = self.parse_dim_term()?;
        loop {
            if self.eat_punct("+").is_some() {
                lhs = lhs + self.parse_dim_term()?;
            } else if self.eat_punct("-").is_some() {
                lhs = lhs - self.parse_dim_term()?;
            } else {
                return Ok(lhs);
            }
        }
    }

    fn parse_dim_term(&mut self) -> Result<Dim> {
        let mut lhs = self.parse_dim_atom()?;
        loop {
            if self.eat_punct("*").is_some() {
                lhs = lhs * self.parse_dim_atom()?;
            } else if self.eat_punct("/").is_some() {
                lhs = lhs.floor_div(self.parse_dim_atom()?);
            } else if self.eat_punct("%").is_some() {
                lhs = lhs.floor_mod(self.parse_dim_atom()?);
            } else {
                return Ok(lhs);
            }
        }
    }

    fn parse_dim_atom(&mut self) -> Result<Dim> {
        if self.eat_punct("(").is_some() {
            let inner = self.parse_dim()?;
            self.expect_punct(")", "to close the parenthesized dimension")?;
            return Ok(inner);
        }
        if self.at_punct("-") {
            return self.parse_dim_literal();
        }
        if self.peek_number().is_some() {
            return self.parse_dim_literal();
        }
        if matches!(self.peek_ident(), Some("min" | "max")) && self.nth_is_punct(1, "(") {
            return self.parse_dim_min_max();
        }
        let (name, _) = self.expect_name("a dimension (an integer, a name or `(`)")?;
        Ok(Dim::Var(name))
    }

    /// An integer, negative only as a literal (`-1`); dims have no negation.
    fn parse_dim_literal(&mut self) -> Result<Dim> {
        let negative = self.eat_punct("-").is_some();
        let token = self.peek().clone();
        let Some(number) = self.peek_number() else {
            return Err(self.unexpected("an integer literal after `-` in a dimension"));
        };
        if number.is_float || number.suffix.is_some() {
            return Err(Error::new(
                token.span,
                format!("a dimension is a plain integer, found {}", self.describe(&token)),
            ));
        }
        let value = int_value(number, negative).map_err(|e| Error::new(token.span, e))?;
        self.bump();
        Ok(Dim::Int(value))
    }

    /// `min(a, b)` or `max(a, b)`.
    fn parse_dim_min_max(&mut self) -> Result<Dim> {
        let (name, _) = self.expect_name("`min` or `max`")?;
        self.expect_punct("(", &format!("after `{name}`"))?;
        let a = self.parse_dim()?;
        self.expect_punct(",", &format!("between the operands of `{name}`"))?;
        let b = self.parse_dim()?;
        self.eat_punct(",");
        self.expect_punct(")", &format!("after the operands of `{name}`"))?;
        Ok(if name == "min" { a.min(b) } else { a.max(b) })
    }
}

pub(super) fn unknown_dtype(name: &str, span: Span) -> Error {
    let known: Vec<&str> = DType::ALL.iter().map(|d| d.name()).collect();
    Error::new(span, format!("unknown dtype `{name}`; the dtypes are {}", known.join(", ")))
}
