//! Graph-level expressions, loosest to tightest: comparisons (which do not
//! chain), `+ -`, `* /`, `LITERAL as DTYPE`, unary `-`, tuple access `x.0`, and
//! atoms: names, literals, calls with named attributes, `self::CONST`,
//! parentheses, tuples, `if`, and the special forms `call_tir` and `call_extern`.
//!
//! Infix operators are calls of ordinary operators (`a + b` is `add(a, b)`);
//! `-` directly before a number is part of the literal (`-1`), elsewhere it
//! calls `neg`.

use super::lexer::{Number, TokenKind};
use super::literal::{check_int_range, check_suffix, float_value, int_value};
use super::operators::{graph_infix_by_symbol, GraphInfix, Prec, GRAPH_COMPARE, GRAPH_MULTIPLICATIVE, GRAPH_NEG};
use super::parser::{is_keyword, Parser};
use crate::error::{Error, Result, Span};
use crate::ir::{AttrValue, Attrs, Call, Callee, Expr, ExprKind, Literal, LoopExpr, SeqExpr, StructInfo, Var};
use relax_rt::DType;

impl Parser<'_> {
    pub(super) fn parse_expr(&mut self) -> Result<Expr> {
        self.nested(|p| p.parse_binary(GRAPH_COMPARE))
    }

    /// Left-associative levels by precedence climbing; comparisons may not chain.
    fn parse_binary(&mut self, prec: Prec) -> Result<Expr> {
        if prec > GRAPH_MULTIPLICATIVE {
            return self.parse_cast();
        }
        let mut lhs = self.parse_binary(prec + 1)?;
        while let Some(op) = self.peek_infix(prec) {
            self.bump();
            let rhs = self.parse_binary(prec + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = op_call(op.op, vec![lhs, rhs], Attrs::new(), span);
            if prec == GRAPH_COMPARE && self.peek_infix(GRAPH_COMPARE).is_some() {
                return Err(Error::new(
                    self.peek().span,
                    "comparisons cannot be chained; add parentheses to say which comes first",
                ));
            }
        }
        Ok(lhs)
    }

    fn peek_infix(&self, prec: Prec) -> Option<&'static GraphInfix> {
        match self.peek().kind {
            TokenKind::Punct(symbol) => graph_infix_by_symbol(symbol, prec),
            _ => None,
        }
    }

    /// `LITERAL as DTYPE` fixes an untyped literal's dtype (`true as bool`).
    /// Graph functions have no scalar casts; tensors convert with an operator.
    fn parse_cast(&mut self) -> Result<Expr> {
        let mut expr = self.parse_unary()?;
        while let Some(as_span) = self.eat_keyword("as") {
            let ExprKind::Literal(literal) = expr.kind else {
                return Err(Error::new(
                    as_span,
                    "`as` gives an untyped literal its dtype (`2 as f32`); tensors convert with an operator",
                ));
            };
            let dtype = self.parse_dtype()?;
            expr = Expr::new(ExprKind::TypedLiteral(literal, dtype), self.span_from(expr.span.start));
        }
        Ok(expr)
    }

    fn parse_unary(&mut self) -> Result<Expr> {
        let Some(minus) = self.eat_punct("-") else { return self.parse_postfix() };
        if let Some(literal) = self.try_parse_number(true, minus.start)? {
            return Ok(literal);
        }
        let operand = self.nested(|p| p.parse_unary())?;
        let span = minus.to(operand.span);
        Ok(op_call(GRAPH_NEG, vec![operand], Attrs::new(), span))
    }

    /// `x.0`; Rust reads `x.0.1` as `x`, `.`, `0.1`, so a float-looking index
    /// is two indices.
    fn parse_postfix(&mut self) -> Result<Expr> {
        let mut expr = self.parse_atom()?;
        while self.eat_punct(".").is_some() {
            for (index, end) in self.parse_tuple_indices()? {
                let span = Span { start: expr.span.start, end };
                expr = Expr::new(ExprKind::GetItem(Box::new(expr), index), span);
            }
        }
        Ok(expr)
    }

    /// One or two tuple indices and where each ends.
    fn parse_tuple_indices(&mut self) -> Result<Vec<(usize, u32)>> {
        let token = self.peek().clone();
        let parts: Option<Vec<&str>> = match &token.kind {
            TokenKind::Number(n) if n.suffix.is_none() && !n.text.contains(['e', 'E']) => {
                Some(n.text.split('.').collect())
            }
            _ => None,
        };
        let parts = parts.ok_or_else(|| self.unexpected("a tuple index after `.`"))?;
        let mut end = token.span.start;
        let mut indices = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            end += part.len() as u32 + u32::from(i > 0);
            let index =
                part.parse().map_err(|_| Error::new(token.span, format!("tuple index `{part}` is too large")))?;
            indices.push((index, end));
        }
        self.bump();
        Ok(indices)
    }

    fn parse_atom(&mut self) -> Result<Expr> {
        let start = self.start();
        if self.at_punct("(") {
            return self.parse_parenthesized();
        }
        if let Some(literal) = self.try_parse_number(false, start)? {
            return Ok(literal);
        }
        let Some(word) = self.peek_ident().map(str::to_string) else {
            return Err(self.unexpected("an expression"));
        };
        match word.as_str() {
            "true" | "false" => {
                let span = self.bump().span;
                Ok(Expr::new(ExprKind::Literal(Literal::Bool(word == "true")), span))
            }
            "if" => self.parse_if(),
            "loop" if self.nth_is_punct(1, "[") => self.parse_loop(),
            "self" => self.parse_constant_ref(),
            "call_tir" => self.parse_call_tir(),
            "call_extern" => self.parse_call_extern(),
            "match_cast" => Err(Error::new(
                self.peek().span,
                "`match_cast` can only be the whole value of a binding: `let y = match_cast(x, T);`",
            )),
            _ if is_keyword(&word) => Err(self.unexpected("an expression")),
            _ if self.nth_is_punct(1, "(") => self.parse_call(),
            _ => {
                let span = self.bump().span;
                Ok(Expr::new(ExprKind::Var(word), span))
            }
        }
    }

    /// A number, `inf` or `nan` if one is next. `negative` says a `-` starting
    /// at `start` was just consumed and belongs to the literal.
    fn try_parse_number(&mut self, negative: bool, start: u32) -> Result<Option<Expr>> {
        let token = self.peek().clone();
        let kind = match &token.kind {
            TokenKind::Number(n) => number_literal(n, negative).map_err(|e| Error::new(token.span, e))?,
            TokenKind::Ident(word) if word == "inf" || word == "nan" => {
                let magnitude = if word == "inf" { f64::INFINITY } else { f64::NAN };
                ExprKind::Literal(Literal::Float(if negative { -magnitude } else { magnitude }))
            }
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(Expr::new(kind, self.span_from(start))))
    }

    /// `()`, `(e)`, `(e,)`, `(a, b)`.
    fn parse_parenthesized(&mut self) -> Result<Expr> {
        let open = self.bump().span;
        if self.eat_punct(")").is_some() {
            return Ok(Expr::new(ExprKind::Tuple(vec![]), self.span_from(open.start)));
        }
        let first = self.parse_expr()?;
        if self.eat_punct(")").is_some() {
            return Ok(Expr::new(first.kind, self.span_from(open.start)));
        }
        self.expect_punct(",", "or `)` after the expression in parentheses")?;
        let mut items = vec![first];
        items.extend(self.comma_list(")", "the tuple", |p| p.parse_expr())?);
        Ok(Expr::new(ExprKind::Tuple(items), self.span_from(open.start)))
    }

    /// `self::NAME`: a module constant (what names of weights become after
    /// `normalize`; a bare name is a variable until then).
    fn parse_constant_ref(&mut self) -> Result<Expr> {
        let start = self.bump().span.start;
        self.expect_punct("::", "after `self` (a constant is written `self::NAME`)")?;
        let (name, _) = self.expect_name("a constant name after `self::`")?;
        Ok(Expr::new(ExprKind::Constant(name), self.span_from(start)))
    }

    /// `name(args.., attr = value, ..)`: a graph function of this module if
    /// one has that name, otherwise an operator.
    fn parse_call(&mut self) -> Result<Expr> {
        let (name, name_span) = self.expect_name("a function or operator name")?;
        self.bump();
        let mut args = Vec::new();
        let mut attrs = Attrs::new();
        self.comma_list(")", "the argument list", |p| {
            if p.at_named_argument() {
                return p.parse_named_attr(&mut attrs);
            }
            if !attrs.is_empty() {
                return Err(Error::new(
                    p.peek().span,
                    "positional arguments come before named attributes (`f(x, axis = 1)`)",
                ));
            }
            args.push(p.parse_expr()?);
            Ok(())
        })?;
        let callee = if self.functions.contains(&name) { Callee::Func(name) } else { Callee::Op(name) };
        let call = Call { callee, args, attrs, out_sinfo: None, tir_dims: vec![] };
        Ok(Expr::new(ExprKind::Call(call), self.span_from(name_span.start)))
    }

    /// `NAME =` (and not `NAME ==`).
    fn at_named_argument(&self) -> bool {
        matches!(self.peek_ident(), Some(w) if !is_keyword(w)) && self.nth_is_punct(1, "=")
    }

    /// `name = value`, added to `attrs`.
    fn parse_named_attr(&mut self, attrs: &mut Attrs) -> Result<()> {
        let (name, span) = self.expect_name("an attribute name")?;
        self.expect_punct("=", &format!("after attribute `{name}`"))?;
        let value = self.parse_attr_value()?;
        if attrs.get(&name).is_some() {
            return Err(Error::new(span, format!("attribute `{name}` is given twice")));
        }
        attrs.0.push((name, value));
        Ok(())
    }

    /// A number, `true`/`false`, a string, a dtype name, or a list of dims `[..]`.
    pub(super) fn parse_attr_value(&mut self) -> Result<AttrValue> {
        if let Some(dtype) = self.peek_ident().and_then(DType::from_name) {
            self.bump();
            return Ok(AttrValue::DType(dtype));
        }
        let value = match &self.peek().kind {
            TokenKind::Punct("[") => return Ok(AttrValue::Dims(self.parse_shape()?)),
            TokenKind::Punct("-") | TokenKind::Number(_) => return self.parse_attr_number(),
            TokenKind::Ident(w) if w == "inf" || w == "nan" => return self.parse_attr_number(),
            TokenKind::Ident(w) if w == "true" || w == "false" => AttrValue::Bool(w == "true"),
            TokenKind::Str(s) => AttrValue::Str(s.clone()),
            _ => return Err(self.unexpected(ATTR_VALUE)),
        };
        self.bump();
        Ok(value)
    }

    /// An untyped number attribute, possibly negative.
    fn parse_attr_number(&mut self) -> Result<AttrValue> {
        let start = self.start();
        let negative = self.eat_punct("-").is_some();
        let token = self.peek().clone();
        let Some(expr) = self.try_parse_number(negative, start)? else {
            return Err(self.unexpected("a number after `-`"));
        };
        match expr.kind {
            ExprKind::Literal(Literal::Int(v)) => Ok(AttrValue::Int(v)),
            ExprKind::Literal(Literal::Float(v)) => Ok(AttrValue::Float(v)),
            _ => Err(Error::new(token.span, "attribute values take no type suffix")),
        }
    }

    /// `if COND { .. } else { .. }`; `else if` nests another `if` as the else branch.
    fn parse_if(&mut self) -> Result<Expr> {
        let start = self.bump().span.start;
        let cond = self.parse_expr()?;
        self.expect_punct("{", "after the `if` condition")?;
        let then_branch = self.parse_seq_body("the `if` branch")?;
        if self.eat_keyword("else").is_none() {
            return Err(self.unexpected("`else` (an `if` expression needs both branches)"));
        }
        let else_branch = if self.at_keyword("if") {
            SeqExpr { blocks: vec![], result: Box::new(self.nested(|p| p.parse_if())?) }
        } else {
            self.expect_punct("{", "after `else`")?;
            self.parse_seq_body("the `else` branch")?
        };
        let kind = ExprKind::If {
            cond: Box::new(cond),
            then_branch: Box::new(then_branch),
            else_branch: Box::new(else_branch),
        };
        Ok(Expr::new(kind, self.span_from(start)))
    }

    /// `loop [TRIPS] (s: T = init, .., x: T in xs, ..) { .. }`, optionally
    /// `while C` after the brackets: carried variables (`=`) come before
    /// slices (`in`).
    fn parse_loop(&mut self) -> Result<Expr> {
        let start = self.bump().span.start;
        self.expect_punct("[", "after `loop`")?;
        let trips = self.parse_dim()?;
        self.expect_punct("]", "after the number of iterations")?;
        let condition = match self.eat_keyword("while") {
            Some(_) => Some(self.expect_name("the carried bool that keeps the loop going")?.0),
            None => None,
        };
        self.expect_punct("(", "to open the loop's variables")?;
        let vars = self.comma_list(")", "the loop's variables", |p| {
            let (name, span) = p.expect_name("a loop variable")?;
            p.expect_punct(":", &format!("and a type after loop variable `{name}`"))?;
            let sinfo = p.parse_struct_info()?;
            let carried = if p.eat_punct("=").is_some() {
                true
            } else if p.eat_keyword("in").is_some() {
                false
            } else {
                return Err(p.unexpected(&format!("`= INIT` or `in TENSOR` after the type of `{name}`")));
            };
            let source = p.parse_expr()?;
            Ok((Var { name, sinfo, span: p.span_from(span.start) }, source, carried))
        })?;
        let (mut carried, mut scans) = (Vec::new(), Vec::new());
        for (var, source, is_carried) in vars {
            if is_carried && !scans.is_empty() {
                return Err(Error::new(var.span, "carried loop variables (`=`) come before slices (`in`)"));
            }
            if is_carried { &mut carried } else { &mut scans }.push((var, source));
        }
        self.expect_punct("{", "to open the loop body")?;
        let body = self.parse_seq_body("the loop body")?;
        let kind = ExprKind::Loop(Box::new(LoopExpr { trips, condition, carried, scans, body }));
        Ok(Expr::new(kind, self.span_from(start)))
    }

    /// `call_tir(PRIM_FN, [args..], OUT_SINFO, dims = [..])`.
    fn parse_call_tir(&mut self) -> Result<Expr> {
        let start = self.bump().span.start;
        self.expect_punct("(", "after `call_tir`")?;
        let (func, func_span) = self.expect_name("the name of a `prim fn`")?;
        if !self.prim_funcs.contains(&func) {
            return Err(Error::new(func_span, format!("there is no `prim fn {func}` in this module")));
        }
        self.expect_punct(",", "after the `prim fn` name")?;
        let (args, out_sinfo, mut attrs) = self.parse_destination_passing_tail("call_tir")?;
        let tir_dims = match attrs.get("dims").cloned() {
            None => vec![],
            Some(AttrValue::Dims(dims)) => dims,
            Some(_) => return Err(Error::new(self.span_from(start), "`dims` of `call_tir` must be a list `[..]`")),
        };
        attrs.0.retain(|(name, _)| name != "dims");
        let call = Call { callee: Callee::Tir(func), args, attrs, out_sinfo, tir_dims };
        Ok(Expr::new(ExprKind::Call(call), self.span_from(start)))
    }

    /// `call_extern("symbol", [args..], OUT_SINFO)`.
    fn parse_call_extern(&mut self) -> Result<Expr> {
        let start = self.bump().span.start;
        self.expect_punct("(", "after `call_extern`")?;
        let (symbol, _) = self.expect_string("the C symbol to call, as a string")?;
        self.expect_punct(",", "after the symbol")?;
        let (args, out_sinfo, attrs) = self.parse_destination_passing_tail("call_extern")?;
        let call = Call { callee: Callee::Extern(symbol), args, attrs, out_sinfo, tir_dims: vec![] };
        Ok(Expr::new(ExprKind::Call(call), self.span_from(start)))
    }

    /// `[args..], OUT_SINFO` then optional named attributes and `)`. An output
    /// written `_` is not known yet.
    fn parse_destination_passing_tail(&mut self, form: &str) -> Result<(Vec<Expr>, Option<StructInfo>, Attrs)> {
        self.expect_punct("[", &format!("to open the argument list of `{form}`"))?;
        let args = self.comma_list("]", "the argument list", |p| p.parse_expr())?;
        self.expect_punct(",", "and the output type after the argument list")?;
        let out_sinfo = match self.parse_struct_info()? {
            StructInfo::Unknown => None,
            known => Some(known),
        };
        let mut attrs = Attrs::new();
        if self.eat_punct(")").is_none() {
            self.expect_punct(",", &format!("or `)` after the output type of `{form}`"))?;
            self.comma_list(")", &format!("the attributes of `{form}`"), |p| p.parse_named_attr(&mut attrs))?;
        }
        Ok((args, out_sinfo, attrs))
    }
}

/// What an attribute value can be, for errors.
const ATTR_VALUE: &str = "an attribute value (a number, `true`/`false`, a string, a dtype or a list `[..]`)";

/// A call of a built-in operator.
fn op_call(name: &str, args: Vec<Expr>, attrs: Attrs, span: Span) -> Expr {
    let call = Call { callee: Callee::Op(name.to_string()), args, attrs, out_sinfo: None, tir_dims: vec![] };
    Expr::new(ExprKind::Call(call), span)
}

/// A numeric literal; typed if it has a suffix.
fn number_literal(number: &Number, negative: bool) -> Result<ExprKind, String> {
    check_suffix(number)?;
    let literal = if number.is_float {
        Literal::Float(float_value(number, negative, number.suffix))
    } else {
        Literal::Int(int_value(number, negative)?)
    };
    Ok(match (number.suffix, literal) {
        (None, _) => ExprKind::Literal(literal),
        (Some(dtype), Literal::Int(v)) if !dtype.is_float() => {
            check_int_range(v, dtype)?;
            ExprKind::TypedLiteral(literal, dtype)
        }
        (Some(dtype), _) => ExprKind::TypedLiteral(literal, dtype),
    })
}
