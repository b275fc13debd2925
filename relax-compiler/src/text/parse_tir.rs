//! Loop-level functions and their statements:
//!
//! ```text
//! prim fn add_relu(in0: Buffer<[n, 32], f32>, in1: Buffer<[32], f32>) -> (out: Buffer<[n, 32], f32>) dims(n) {
//!     for parallel i0 in 0..n {
//!         for i1 in 0..32 {
//!             out[i0, i1] = max(in0[i0, i1] + in1[i1], 0.0f32);
//!         }
//!     }
//! }
//! ```
//!
//! Inputs are the parameters, outputs follow `->`, and `dims(..)` lists the
//! symbolic dims passed as `i64`. Statements are loops (`for [parallel |
//! vectorized | unrolled] i in 0..extent`), stores `buf[i, j] = value;`,
//! `alloc name: Buffer<[..], dtype> { .. }` scratch buffers, `if`/`else`, and
//! nested `{ .. }` blocks. Names are checked as they are parsed, since scalar
//! expressions carry no spans to report a mistake at later.

use super::parser::Parser;
use crate::error::{Error, Result, Span};
use crate::ir::{Buffer, LoopKind, PExpr, PrimFunc, Stmt};
use std::collections::HashSet;

/// What a statement can see: buffers with their rank, and i64 scalars (the
/// function's dims and the enclosing loop variables).
pub(super) struct TirScope {
    buffers: Vec<(String, usize)>,
    scalars: Vec<String>,
}

impl TirScope {
    pub(super) fn buffer_rank(&self, name: &str) -> Option<usize> {
        self.buffers.iter().rev().find(|(n, _)| n == name).map(|(_, rank)| *rank)
    }

    pub(super) fn has_scalar(&self, name: &str) -> bool {
        self.scalars.iter().any(|n| n == name)
    }

    /// Fails if `name` already names a buffer or scalar here: no shadowing.
    fn check_new(&self, name: &str, span: Span) -> Result<()> {
        if self.buffer_rank(name).is_some() || self.has_scalar(name) {
            return Err(Error::new(span, format!("`{name}` is already defined here")));
        }
        Ok(())
    }
}

impl Parser<'_> {
    /// `prim fn NAME(inputs) -> (outputs) dims(..) { body }`.
    pub(super) fn parse_prim_func(&mut self) -> Result<PrimFunc> {
        self.bump();
        self.bump();
        let (name, _) = self.expect_name("a `prim fn` name")?;
        self.expect_punct("(", &format!("to open the inputs of `{name}`"))?;
        let inputs = self.comma_list(")", "the input list", |p| p.parse_buffer_param())?;
        self.expect_punct("->", "and the outputs `(out: Buffer<..>)` after the inputs")?;
        self.expect_punct("(", "to open the outputs (a `prim fn` writes its results into them)")?;
        let outputs = self.comma_list(")", "the output list", |p| p.parse_buffer_param())?;
        let dims = if self.eat_keyword("dims").is_some() {
            self.expect_punct("(", "after `dims`")?;
            self.comma_list(")", "the dim list", |p| p.expect_name("a dim name"))?
        } else {
            vec![]
        };
        let params: Vec<(Buffer, Span)> = inputs.into_iter().chain(outputs.iter().cloned()).collect();
        check_signature(&params, &dims)?;
        let mut scope = TirScope {
            buffers: params.iter().map(|(b, _)| (b.name.clone(), b.shape.len())).collect(),
            scalars: dims.iter().map(|(d, _)| d.clone()).collect(),
        };
        self.expect_punct("{", &format!("to open the body of `{name}`"))?;
        let body = self.parse_stmt_block(&mut scope)?;
        Ok(PrimFunc {
            name,
            params: params.into_iter().map(|(b, _)| b).collect(),
            num_outputs: outputs.len(),
            dims: dims.into_iter().map(|(d, _)| d).collect(),
            body,
        })
    }

    /// `name: Buffer<[..], dtype>` and its span.
    fn parse_buffer_param(&mut self) -> Result<(Buffer, Span)> {
        let (name, span) = self.expect_name("a buffer name")?;
        self.expect_punct(":", &format!("and a type after buffer `{name}`"))?;
        let (dtype, shape) = self.parse_shaped_type("Buffer")?;
        Ok((Buffer { name, dtype, shape }, self.span_from(span.start)))
    }

    /// Statements up to `}` (consumed). One statement stands alone; any other
    /// number form a `Seq`.
    fn parse_stmt_block(&mut self, scope: &mut TirScope) -> Result<Stmt> {
        let mut stmts = Vec::new();
        while self.eat_punct("}").is_none() {
            stmts.push(self.nested(|p| p.parse_stmt(scope))?);
        }
        Ok(if stmts.len() == 1 { stmts.pop().expect("one statement") } else { Stmt::Seq(stmts) })
    }

    fn parse_stmt(&mut self, scope: &mut TirScope) -> Result<Stmt> {
        if self.at_keyword("for") {
            return self.parse_for(scope);
        }
        if self.at_keyword("if") {
            return self.parse_tir_if(scope);
        }
        if self.at_keyword("alloc") && !self.nth_is_punct(1, "[") {
            return self.parse_alloc(scope);
        }
        if self.eat_punct("{").is_some() {
            return self.parse_stmt_block(scope);
        }
        if self.peek_ident().is_some() && self.nth_is_punct(1, "[") {
            return self.parse_store(scope);
        }
        Err(self.unexpected("a statement (`for`, `if`, `alloc`, a store `buf[i] = ..;`, `{` or `}`)"))
    }

    /// `for [kind] VAR in 0..EXTENT { .. }`.
    fn parse_for(&mut self, scope: &mut TirScope) -> Result<Stmt> {
        self.bump();
        let kind = self.parse_loop_kind();
        let (var, var_span) = self.expect_name("a loop variable")?;
        scope.check_new(&var, var_span)?;
        self.expect_keyword("in", "after the loop variable")?;
        let zero = matches!(self.peek_number(), Some(n) if n.text == "0" && !n.is_float && n.suffix.is_none());
        if !zero {
            return Err(Error::new(self.peek().span, "loops start at 0: `for i in 0..n`"));
        }
        self.bump();
        self.expect_punct("..", "after the loop start")?;
        let extent = self.parse_pexpr(scope)?;
        self.expect_punct("{", "to open the loop body")?;
        scope.scalars.push(var.clone());
        let body = self.parse_stmt_block(scope);
        scope.scalars.pop();
        Ok(Stmt::For { var, extent, kind, body: Box::new(body?) })
    }

    /// `parallel`, `vectorized` or `unrolled` before the loop variable (a
    /// variable may still be called that: `for parallel in ..`).
    fn parse_loop_kind(&mut self) -> LoopKind {
        let kind = match self.peek_ident() {
            Some("parallel") => LoopKind::Parallel,
            Some("vectorized") => LoopKind::Vectorized,
            Some("unrolled") => LoopKind::Unrolled,
            _ => return LoopKind::Serial,
        };
        if self.nth_is_keyword(1, "in") {
            return LoopKind::Serial;
        }
        self.bump();
        kind
    }

    /// `if COND { .. }`, optionally `else { .. }` or `else if ..`.
    fn parse_tir_if(&mut self, scope: &mut TirScope) -> Result<Stmt> {
        self.bump();
        let cond = self.parse_pexpr(scope)?;
        self.expect_punct("{", "after the `if` condition")?;
        let then_branch = Box::new(self.parse_stmt_block(scope)?);
        let else_branch = if self.eat_keyword("else").is_none() {
            None
        } else if self.at_keyword("if") {
            Some(Box::new(self.nested(|p| p.parse_tir_if(scope))?))
        } else {
            self.expect_punct("{", "or `if` after `else`")?;
            Some(Box::new(self.parse_stmt_block(scope)?))
        };
        Ok(Stmt::If { cond, then_branch, else_branch })
    }

    /// `alloc NAME: Buffer<[..], dtype> { .. }`: a stack buffer, so its shape is constant.
    fn parse_alloc(&mut self, scope: &mut TirScope) -> Result<Stmt> {
        self.bump();
        let (buf, span) = self.parse_buffer_param()?;
        scope.check_new(&buf.name, span)?;
        if buf.shape.iter().any(|d| !d.is_const()) {
            return Err(Error::new(span, format!("`{}` lives on the stack, so its shape must be constant", buf.name)));
        }
        self.expect_punct("{", "to open the body of the `alloc`")?;
        scope.buffers.push((buf.name.clone(), buf.shape.len()));
        let body = self.parse_stmt_block(scope);
        scope.buffers.pop();
        Ok(Stmt::Alloc { buf, body: Box::new(body?) })
    }

    /// `buf[i, j] = value;`.
    fn parse_store(&mut self, scope: &mut TirScope) -> Result<Stmt> {
        let (buf, idx) = self.parse_buffer_access(scope)?;
        self.expect_punct("=", "after the store target")?;
        let value = self.parse_pexpr(scope)?;
        self.expect_punct(";", "after the store")?;
        Ok(Stmt::Store { buf, idx, value })
    }

    /// `buf[i, j]`, checking the buffer exists and takes that many indices.
    pub(super) fn parse_buffer_access(&mut self, scope: &TirScope) -> Result<(String, Vec<PExpr>)> {
        let (buf, span) = self.expect_name("a buffer name")?;
        let Some(rank) = scope.buffer_rank(&buf) else {
            return Err(Error::new(span, format!("there is no buffer `{buf}` here")));
        };
        self.expect_punct("[", "after the buffer name")?;
        let idx = self.comma_list("]", "the index list", |p| p.parse_pexpr(scope))?;
        if idx.len() != rank {
            let indices = if idx.len() == 1 { "index is" } else { "indices are" };
            let message = format!("`{buf}` has rank {rank}, but {} {indices} given", idx.len());
            return Err(Error::new(self.span_from(span.start), message));
        }
        Ok((buf, idx))
    }
}

/// Buffer and dim names are distinct, and every name in a buffer shape is a dim.
fn check_signature(params: &[(Buffer, Span)], dims: &[(String, Span)]) -> Result<()> {
    let mut seen = HashSet::new();
    let names = params.iter().map(|(b, span)| (&b.name, *span)).chain(dims.iter().map(|(d, span)| (d, *span)));
    for (name, span) in names {
        if !seen.insert(name.clone()) {
            return Err(Error::new(span, format!("`{name}` is defined twice")));
        }
    }
    for (buffer, span) in params {
        let missing = buffer.shape.iter().flat_map(|d| d.free_vars()).find(|v| !dims.iter().any(|(d, _)| d == v));
        if let Some(var) = missing {
            let message = format!("`{var}` appears in the shape of `{}` but is not listed in `dims(..)`", buffer.name);
            return Err(Error::new(*span, message));
        }
    }
    Ok(())
}
