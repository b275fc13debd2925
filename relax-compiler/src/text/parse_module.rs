//! The module and its items: `#[weights = ".."] mod NAME { items }`, where an
//! item is a `fn`, a `prim fn` or a `const`, each optionally preceded by
//! attributes.

use super::parse_const::ConstItem;
use super::parse_function::FunctionAttrs;
use super::parser::Parser;
use super::scope_check::check_function;
use super::Declaration;
use crate::error::{Error, Result, Span};
use crate::ir::{Dim, IRModule, MemoryPlan};
use std::collections::HashMap;

/// One `#[..]` before an item.
enum Attr {
    /// `#[weights = "path"]`, on the module.
    Weights(String),
    /// `#[private]`, on a `fn`: no native entry.
    Private,
    /// `#[workspace(bytes = .., var = offset, ..)]`, on a `fn`: its memory plan.
    Workspace(MemoryPlan),
    /// `#[dims(r = DIM, ..)]`, on a `fn`: dims derived from earlier ones.
    Dims(Vec<(String, Dim)>),
    /// `#[dim_max(batch = 64, ..)]`, on a `fn`: upper bounds of its dims.
    DimMax(Vec<(String, i64)>),
    /// `#[doc = ".."]`, which `///` comments become inside the `relax!` macro.
    Doc,
}

struct SpannedAttr {
    attr: Attr,
    name: String,
    span: Span,
}

/// Module-wide state while items are parsed.
struct Items {
    module: IRModule,
    declarations: Vec<Declaration>,
    /// Every item name so far and where it was defined.
    names: HashMap<String, Span>,
}

impl Parser<'_> {
    /// The whole source: one module, then the end of input.
    pub(super) fn parse_source(&mut self) -> Result<(IRModule, Vec<Declaration>)> {
        let attrs = self.parse_attrs()?;
        let weights_path = module_weights(attrs)?;
        self.expect_keyword("mod", "to start the module (`mod NAME { .. }`)")?;
        let (name, _) = self.expect_name("the module name after `mod`")?;
        self.expect_punct("{", "to open the module")?;
        let module = IRModule { name, weights_path, ..IRModule::default() };
        let mut items = Items { module, declarations: Vec::new(), names: HashMap::new() };
        while self.eat_punct("}").is_none() {
            self.parse_item(&mut items)?;
        }
        if !self.at_end() {
            return Err(self.unexpected("the end of input after the module"));
        }
        Ok((items.module, items.declarations))
    }

    fn parse_item(&mut self, items: &mut Items) -> Result<()> {
        let attrs = self.parse_attrs()?;
        let name_token = self.peek_nth(1).clone();
        let keyword = self.peek_ident().unwrap_or("").to_string();
        match keyword.as_str() {
            "fn" => {
                let function = self.parse_function(function_attrs(attrs)?)?;
                check_function(&function)?;
                items.define(&function.name, name_token.span)?;
                items.module.functions.push(function);
            }
            "prim" if self.nth_is_keyword(1, "fn") => {
                only_docs(attrs, "a `prim fn`")?;
                let name_span = self.peek_nth(2).span;
                let prim_func = self.parse_prim_func()?;
                items.define(&prim_func.name, name_span)?;
                items.module.prim_funcs.push(prim_func);
            }
            "const" => {
                only_docs(attrs, "a `const`")?;
                match self.parse_const()? {
                    ConstItem::Data { name, span, data } => {
                        items.define(&name, span)?;
                        items.module.constants.insert(name, data);
                    }
                    ConstItem::Declaration { name, span, sinfo, item_span } => {
                        items.define(&name, span)?;
                        items.declarations.push((name, sinfo, item_span));
                    }
                }
            }
            "entry" => return Err(Error::new(self.peek().span, "entries are compiler output and cannot be parsed")),
            "pub" => {
                return Err(Error::new(
                    self.peek().span,
                    "items need no `pub`: every `fn` is exported unless marked `#[private]`",
                ))
            }
            "mod" => return Err(Error::new(self.peek().span, "modules do not nest; one source holds one `mod`")),
            _ => return Err(self.unexpected("an item (`fn`, `prim fn` or `const`) or `}` to close the module")),
        }
        Ok(())
    }

    /// Attributes before an item; each may appear once.
    fn parse_attrs(&mut self) -> Result<Vec<SpannedAttr>> {
        let mut attrs: Vec<SpannedAttr> = Vec::new();
        while self.at_punct("#") {
            let attr = self.parse_attr()?;
            let repeatable = matches!(attr.attr, Attr::Doc);
            if !repeatable && attrs.iter().any(|a| a.name == attr.name) {
                return Err(Error::new(attr.span, format!("`#[{}]` is given twice", attr.name)));
            }
            attrs.push(attr);
        }
        Ok(attrs)
    }

    fn parse_attr(&mut self) -> Result<SpannedAttr> {
        let start = self.bump().span.start;
        if self.at_punct("!") {
            return Err(Error::new(
                self.peek().span,
                "inner attributes `#![..]` are not used; write `#[..]` before the item",
            ));
        }
        self.expect_punct("[", "after `#`")?;
        let (name, name_span) = self.expect_name("an attribute name")?;
        let attr = match name.as_str() {
            "weights" => Attr::Weights(self.parse_attr_string("weights", "the weights file path")?),
            "doc" => {
                self.parse_attr_string("doc", "the documentation")?;
                Attr::Doc
            }
            "private" => Attr::Private,
            "workspace" => Attr::Workspace(self.parse_workspace()?),
            "dims" => Attr::Dims(self.parse_derived_dims()?),
            "dim_max" => Attr::DimMax(self.parse_dim_max()?),
            _ => return Err(unknown_attribute(&name, name_span)),
        };
        self.expect_punct("]", &format!("to close `#[{name}..`"))?;
        Ok(SpannedAttr { attr, name, span: self.span_from(start) })
    }

    /// `= "string"` after an attribute name.
    fn parse_attr_string(&mut self, name: &str, what: &str) -> Result<String> {
        self.expect_punct("=", &format!("after `{name}`"))?;
        Ok(self.expect_string(&format!("{what}, as a string"))?.0)
    }

    /// `(name = DIM, ..)`: each dim's definition.
    fn parse_derived_dims(&mut self) -> Result<Vec<(String, Dim)>> {
        self.expect_punct("(", "after `dims`")?;
        let mut dims: Vec<(String, Dim)> = Vec::new();
        self.comma_list(")", "the derived dims", |p| {
            let (name, span) = p.expect_name("a dim name")?;
            p.expect_punct("=", &format!("and its definition after `{name}`"))?;
            let value = p.parse_dim()?;
            if dims.iter().any(|(n, _)| *n == name) {
                return Err(Error::new(span, format!("dim `{name}` is defined twice")));
            }
            dims.push((name, value));
            Ok(())
        })?;
        Ok(dims)
    }

    /// `(name = INT, ..)`: upper bounds of symbolic dims.
    fn parse_dim_max(&mut self) -> Result<Vec<(String, i64)>> {
        self.expect_punct("(", "after `dim_max`")?;
        let mut bounds: Vec<(String, i64)> = Vec::new();
        self.comma_list(")", "the dim bounds", |p| {
            let (name, span) = p.expect_name("a dim name")?;
            p.expect_punct("=", &format!("and its bound after `{name}`"))?;
            let bound = p.parse_dim()?;
            let Some(max) = bound.as_int().filter(|m| *m >= 0) else {
                return Err(Error::new(
                    span,
                    format!("the bound of `{name}` must be a non-negative integer, not `{bound}`"),
                ));
            };
            if bounds.iter().any(|(n, _)| *n == name) {
                return Err(Error::new(span, format!("dim `{name}` is bounded twice")));
            }
            bounds.push((name, max));
            Ok(())
        })?;
        Ok(bounds)
    }

    /// `(bytes = DIM, var = DIM, ..)`: the arena size, then each variable's offset.
    fn parse_workspace(&mut self) -> Result<MemoryPlan> {
        self.expect_punct("(", "after `workspace`")?;
        self.expect_keyword("bytes", "first in `workspace(..)`: the size of the arena")?;
        self.expect_punct("=", "after `bytes`")?;
        let workspace_bytes = self.parse_dim()?;
        let mut offsets: Vec<(String, Dim)> = Vec::new();
        if self.eat_punct(")").is_none() {
            self.expect_punct(",", "or `)` after the workspace size")?;
            self.comma_list(")", "the workspace offsets", |p| {
                let (name, span) = p.expect_name("a variable name")?;
                p.expect_punct("=", &format!("and its offset after `{name}`"))?;
                let offset = p.parse_dim()?;
                if offsets.iter().any(|(n, _)| *n == name) {
                    return Err(Error::new(span, format!("`{name}` has two workspace offsets")));
                }
                offsets.push((name, offset));
                Ok(())
            })?;
        }
        Ok(MemoryPlan { workspace_bytes, offsets })
    }
}

impl Items {
    /// Records an item name; names are unique across functions and constants.
    fn define(&mut self, name: &str, span: Span) -> Result<()> {
        if self.names.insert(name.to_string(), span).is_some() {
            return Err(Error::new(span, format!("`{name}` is defined twice in module `{}`", self.module.name)));
        }
        Ok(())
    }
}

/// The weights path from the module's attributes (the only ones it takes).
fn module_weights(attrs: Vec<SpannedAttr>) -> Result<Option<String>> {
    let mut path = None;
    for a in attrs {
        match a.attr {
            Attr::Weights(p) => path = Some(p),
            Attr::Doc => {}
            _ => return Err(misplaced(&a, "the module")),
        }
    }
    Ok(path)
}

fn function_attrs(attrs: Vec<SpannedAttr>) -> Result<FunctionAttrs> {
    let mut out = FunctionAttrs::default();
    for a in attrs {
        match a.attr {
            Attr::Private => out.private = true,
            Attr::Workspace(plan) => out.memory = Some(plan),
            Attr::Dims(dims) => out.derived_dims = dims,
            Attr::DimMax(bounds) => out.dim_max = bounds,
            Attr::Doc => {}
            Attr::Weights(_) => return Err(misplaced(&a, "a `fn`")),
        }
    }
    Ok(out)
}

fn only_docs(attrs: Vec<SpannedAttr>, item: &str) -> Result<()> {
    match attrs.iter().find(|a| !matches!(a.attr, Attr::Doc)) {
        Some(a) => Err(misplaced(a, item)),
        None => Ok(()),
    }
}

fn unknown_attribute(name: &str, span: Span) -> Error {
    let message = format!(
        "unknown attribute `{name}`; the attributes are `weights`, `private`, `workspace`, `dims`, `dim_max` and `doc`"
    );
    Error::new(span, message)
}

fn misplaced(attr: &SpannedAttr, item: &str) -> Error {
    let belongs = match attr.attr {
        Attr::Weights(_) => "the `mod`",
        Attr::Private | Attr::Workspace(_) | Attr::Dims(_) | Attr::DimMax(_) => "a `fn`",
        Attr::Doc => "any item",
    };
    Error::new(attr.span, format!("`#[{}]` cannot be put on {item}; it belongs on {belongs}", attr.name))
}
