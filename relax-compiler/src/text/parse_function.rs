//! Graph functions: the signature, then a body of blocks and a result.
//!
//! ```text
//! fn forward(x: Tensor<[n, 64], f32>) -> Tensor<[n, 10], f32> {
//!     dataflow {
//!         let h = relu(matmul(x, w1) + b1);
//!         output h;
//!     }
//!     let y: Tensor<[n, 10], f32> = match_cast(h, Tensor<[n, 10], f32>);
//!     y
//! }
//! ```
//!
//! A parameter `axes: Tensor<[2], i64> values [a0, a1]` binds dims `a0`, `a1`
//! to its elements at run time.
//!
//! A `dataflow { .. output a, b; }` is one dataflow block; consecutive `let`s
//! outside one form one plain binding block.

use super::lexer::TokenKind;
use super::parser::Parser;
use crate::error::{Error, Result};
use crate::ir::{Binding, Block, Dim, Expr, Function, MemoryPlan, SeqExpr, StructInfo, ValueDims, Var};

/// What a function's attributes say (`#[private]`, `#[workspace(..)]`).
#[derive(Default)]
pub(super) struct FunctionAttrs {
    pub private: bool,
    pub memory: Option<MemoryPlan>,
    pub derived_dims: Vec<(String, Dim)>,
    pub dim_max: Vec<(String, i64)>,
}

impl Parser<'_> {
    /// `fn NAME(params) -> RET { body }`; without `-> RET` the result type is
    /// not known yet.
    pub(super) fn parse_function(&mut self, attrs: FunctionAttrs) -> Result<Function> {
        let start = self.expect_keyword("fn", "to start a function")?.start;
        let (name, _) = self.expect_name("a function name after `fn`")?;
        self.expect_punct("(", &format!("to open the parameters of `{name}`"))?;
        let mut value_dims = Vec::new();
        let params = self.comma_list(")", "the parameter list", |p| {
            let (param, values) = p.parse_param()?;
            value_dims.extend(values.map(|(vars, factors)| ValueDims { param: param.name.clone(), vars, factors }));
            Ok(param)
        })?;
        let ret = if self.eat_punct("->").is_some() { self.parse_struct_info()? } else { StructInfo::Unknown };
        self.expect_punct("{", "to open the function body")?;
        let body = self.parse_seq_body("the function body")?;
        let span = self.span_from(start);
        let derived_dims = attrs.derived_dims;
        Ok(Function {
            name,
            params,
            value_dims,
            derived_dims,
            dim_max: attrs.dim_max,
            ret,
            body,
            public: !attrs.private,
            memory: attrs.memory,
            span,
        })
    }

    /// `name: TYPE`, optionally followed by `values [a, b]`, which names the
    /// parameter's elements as symbolic dims, and for a float parameter
    /// `times [h, w]` (`a = floor(element 0 * h)`); the variable's span covers it all.
    #[allow(clippy::type_complexity)]
    fn parse_param(&mut self) -> Result<(Var, Option<(Vec<String>, Vec<Dim>)>)> {
        let (name, span) = self.expect_name("a parameter name")?;
        self.expect_punct(":", &format!("and a type after parameter `{name}`"))?;
        let sinfo = self.parse_struct_info()?;
        let values = if self.eat_keyword("values").is_some() {
            self.expect_punct("[", &format!("to open the dims naming the values of `{name}`"))?;
            let vars = self.comma_list("]", "the value dims", |p| p.expect_name("a dim name"))?;
            let factors = if self.eat_keyword("times").is_some() {
                self.expect_punct("[", &format!("to open the factors of the values of `{name}`"))?;
                self.comma_list("]", "the factors", |p| p.parse_dim())?
            } else {
                Vec::new()
            };
            Some((vars.into_iter().map(|(v, _)| v).collect(), factors))
        } else {
            None
        };
        Ok((Var { name, sinfo, span: self.span_from(span.start) }, values))
    }

    /// Blocks, then the result expression, then `}`: a function body or an
    /// `if` branch (its `{` already consumed). `what` names it in errors.
    pub(super) fn parse_seq_body(&mut self, what: &str) -> Result<SeqExpr> {
        let mut blocks = Vec::new();
        loop {
            if self.at_keyword("dataflow") && self.nth_is_punct(1, "{") {
                blocks.push(self.parse_dataflow_block()?);
            } else if self.at_keyword("let") {
                blocks.push(self.parse_binding_block()?);
            } else if self.at_keyword("output") && matches!(self.peek_nth(1).kind, TokenKind::Ident(_)) {
                return Err(Error::new(self.peek().span, format!("`output` ends a `dataflow` block, not {what}")));
            } else {
                break;
            }
        }
        if self.at_punct("}") {
            return Err(self.unexpected(&format!("the result expression at the end of {what}")));
        }
        let result = self.parse_expr()?;
        self.expect_punct("}", &format!("after the result expression of {what}"))?;
        Ok(SeqExpr { blocks, result: Box::new(result) })
    }

    /// Consecutive `let`s outside a dataflow block.
    fn parse_binding_block(&mut self) -> Result<Block> {
        let start = self.start();
        let mut bindings = Vec::new();
        while self.at_keyword("let") {
            bindings.push(self.parse_binding()?);
        }
        Ok(Block { dataflow: false, bindings, outputs: vec![], span: self.span_from(start) })
    }

    /// `dataflow { let ..; output a, b; }`. Only the outputs are visible after it.
    fn parse_dataflow_block(&mut self) -> Result<Block> {
        let start = self.bump().span.start;
        self.bump();
        let mut bindings = Vec::new();
        while self.at_keyword("let") {
            bindings.push(self.parse_binding()?);
        }
        let outputs = if self.at_keyword("output") {
            let outputs = self.parse_outputs(&bindings)?;
            self.expect_punct("}", "after the `output` line, which ends the dataflow block")?;
            outputs
        } else {
            self.expect_punct("}", "or `let` or `output` in the dataflow block")?;
            vec![]
        };
        Ok(Block { dataflow: true, bindings, outputs, span: self.span_from(start) })
    }

    /// `output a, b;`: each must be bound in the block, once.
    fn parse_outputs(&mut self, bindings: &[Binding]) -> Result<Vec<String>> {
        let keyword = self.bump().span;
        let names = self.comma_list(";", "the `output` list", |p| p.expect_name("a variable name"))?;
        if names.is_empty() {
            return Err(Error::new(keyword, "`output` needs at least one variable; leave it out if none escape"));
        }
        let mut outputs: Vec<String> = Vec::new();
        for (name, span) in names {
            if !bindings.iter().any(|b| b.var.name == name) {
                return Err(Error::new(span, format!("`{name}` is not bound in this dataflow block")));
            }
            if outputs.contains(&name) {
                return Err(Error::new(span, format!("`{name}` is listed twice in `output`")));
            }
            outputs.push(name);
        }
        Ok(outputs)
    }

    /// `let NAME = EXPR;`, `let NAME: TYPE = EXPR;` or `let NAME = match_cast(EXPR, TYPE);`.
    fn parse_binding(&mut self) -> Result<Binding> {
        let start = self.bump().span.start;
        let (name, name_span) = self.expect_name("a variable name after `let`")?;
        let sinfo = if self.eat_punct(":").is_some() { self.parse_struct_info()? } else { StructInfo::Unknown };
        let var = Var { name, sinfo, span: self.span_from(name_span.start) };
        self.expect_punct("=", &format!("after `let {}`", var.name))?;
        let (value, cast) = if self.at_keyword("match_cast") && self.nth_is_punct(1, "(") {
            let (value, sinfo) = self.parse_match_cast()?;
            (value, Some(sinfo))
        } else {
            (self.parse_expr()?, None)
        };
        self.expect_punct(";", "after the binding")?;
        Ok(Binding { var, value, cast, span: self.span_from(start) })
    }

    /// `match_cast(EXPR, TYPE)`: a run-time check that binds new symbolic dims.
    fn parse_match_cast(&mut self) -> Result<(Expr, StructInfo)> {
        self.bump();
        self.bump();
        let value = self.parse_expr()?;
        self.expect_punct(",", "and the type to check against after the value in `match_cast`")?;
        let sinfo = self.parse_struct_info()?;
        self.eat_punct(",");
        self.expect_punct(")", "to close `match_cast`")?;
        Ok((value, sinfo))
    }
}
