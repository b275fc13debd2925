//! The variable rules of a graph function, checked once it is parsed: every
//! name is bound once per function, and a variable is used only where it is
//! visible.
//!
//! A name that no binding or parameter of the function introduces is not an
//! error here: it may be a weight, which `normalize` resolves against the
//! module's constants. What this pass catches is the use of a name the
//! function *does* bind, where that binding cannot be seen: before it, after
//! the dataflow block it is local to, or outside the `if` branch it is in.

use crate::error::{Error, Result, Span};
use crate::ir::{Expr, ExprKind, Function, SeqExpr, Var};
use std::collections::{HashMap, HashSet};

/// Why a name bound in the function cannot be seen at a use.
#[derive(Clone, Copy)]
enum Hidden {
    /// Bound in a dataflow block that did not list it in `output`.
    Dataflow,
    /// Bound inside an `if` branch.
    Branch,
    /// A loop's variable, or bound inside its body.
    Loop,
}

#[derive(Clone, Default)]
struct Scope {
    visible: HashSet<String>,
    hidden: HashMap<String, Hidden>,
}

/// Checks `f`, reporting every violation at once.
pub(super) fn check_function(f: &Function) -> Result<()> {
    let mut checker = Checker { bound: HashSet::new(), errors: Vec::new(), function: &f.name };
    for param in &f.params {
        checker.bind(&param.name, param.span);
    }
    checker.bind_all(&f.body);
    let mut scope = Scope::default();
    scope.visible.extend(f.params.iter().map(|p| p.name.clone()));
    checker.check_seq(&f.body, &mut scope);
    if checker.errors.is_empty() {
        Ok(())
    } else {
        Err(Error::many(checker.errors))
    }
}

struct Checker<'f> {
    /// Every name the function binds anywhere.
    bound: HashSet<String>,
    errors: Vec<Error>,
    function: &'f str,
}

impl Checker<'_> {
    fn bind(&mut self, name: &str, span: Span) {
        if !self.bound.insert(name.to_string()) {
            let message =
                format!("`{name}` is already bound in `{}`; each name is bound once per function", self.function);
            self.errors.push(Error::new(span, message));
        }
    }

    /// Records the bindings of `seq` and of the `if` branches inside it, in order.
    fn bind_all(&mut self, seq: &SeqExpr) {
        for binding in seq.bindings() {
            for_each_branch(&binding.value, &mut |params, branch| {
                params.iter().for_each(|p| self.bind(&p.name, p.span));
                self.bind_all(branch)
            });
            self.bind(&binding.var.name, binding.var.span);
        }
        for_each_branch(&seq.result, &mut |params, branch| {
            params.iter().for_each(|p| self.bind(&p.name, p.span));
            self.bind_all(branch)
        });
    }

    fn check_seq(&mut self, seq: &SeqExpr, scope: &mut Scope) {
        for block in &seq.blocks {
            for binding in &block.bindings {
                self.check_expr(&binding.value, scope);
                scope.visible.insert(binding.var.name.clone());
            }
            if block.dataflow {
                for binding in block.bindings.iter().filter(|b| !block.outputs.contains(&b.var.name)) {
                    scope.visible.remove(&binding.var.name);
                    scope.hidden.insert(binding.var.name.clone(), Hidden::Dataflow);
                }
            }
        }
        self.check_expr(&seq.result, scope);
    }

    fn check_expr(&mut self, expr: &Expr, scope: &mut Scope) {
        match &expr.kind {
            ExprKind::Var(name) => self.check_use(name, expr.span, scope),
            ExprKind::Constant(_) | ExprKind::Literal(_) | ExprKind::TypedLiteral(..) => {}
            ExprKind::Tuple(items) => items.iter().for_each(|e| self.check_expr(e, scope)),
            ExprKind::GetItem(inner, _) => self.check_expr(inner, scope),
            ExprKind::Call(call) => call.args.iter().for_each(|e| self.check_expr(e, scope)),
            ExprKind::If { cond, then_branch, else_branch } => {
                self.check_expr(cond, scope);
                for branch in [then_branch, else_branch] {
                    self.check_seq(branch, &mut scope.clone());
                    let mut inside = Vec::new();
                    names_bound_in(branch, &mut inside);
                    scope.hidden.extend(inside.into_iter().map(|n| (n, Hidden::Branch)));
                }
            }
            ExprKind::Loop(l) => {
                l.carried.iter().chain(&l.scans).for_each(|(_, e)| self.check_expr(e, scope));
                let mut inner = scope.clone();
                inner.visible.extend(l.params().map(|p| p.name.clone()));
                self.check_seq(&l.body, &mut inner);
                let mut inside: Vec<String> = l.params().map(|p| p.name.clone()).collect();
                names_bound_in(&l.body, &mut inside);
                scope.hidden.extend(inside.into_iter().map(|n| (n, Hidden::Loop)));
            }
        }
    }

    fn check_use(&mut self, name: &str, span: Span, scope: &Scope) {
        if scope.visible.contains(name) || !self.bound.contains(name) {
            return;
        }
        let message = match scope.hidden.get(name) {
            Some(Hidden::Dataflow) => {
                format!("`{name}` is local to its dataflow block; list it in the block's `output` to use it here")
            }
            Some(Hidden::Branch) => format!("`{name}` is bound inside an `if` branch and is not visible here"),
            Some(Hidden::Loop) => format!("`{name}` is bound by a loop or in its body and is not visible here"),
            None => format!("`{name}` is used before it is bound"),
        };
        self.errors.push(Error::new(span, message));
    }
}

/// Calls `f` on the branches of every `if` and the body of every loop in
/// `expr` (not inside those), with the parameters each body binds.
fn for_each_branch(expr: &Expr, f: &mut dyn FnMut(&[&Var], &SeqExpr)) {
    match &expr.kind {
        ExprKind::If { cond, then_branch, else_branch } => {
            for_each_branch(cond, f);
            f(&[], then_branch);
            f(&[], else_branch);
        }
        ExprKind::Loop(l) => {
            l.carried.iter().chain(&l.scans).for_each(|(_, e)| for_each_branch(e, f));
            f(&l.params().collect::<Vec<_>>(), &l.body);
        }
        ExprKind::Tuple(items) => items.iter().for_each(|e| for_each_branch(e, f)),
        ExprKind::GetItem(inner, _) => for_each_branch(inner, f),
        ExprKind::Call(call) => call.args.iter().for_each(|e| for_each_branch(e, f)),
        ExprKind::Var(_) | ExprKind::Constant(_) | ExprKind::Literal(_) | ExprKind::TypedLiteral(..) => {}
    }
}

/// Every name bound in `seq`, including inside nested `if` branches.
fn names_bound_in(seq: &SeqExpr, out: &mut Vec<String>) {
    let nested = |params: &[&Var], branch: &SeqExpr, out: &mut Vec<String>| {
        out.extend(params.iter().map(|p| p.name.clone()));
        names_bound_in(branch, out);
    };
    for binding in seq.bindings() {
        for_each_branch(&binding.value, &mut |params, branch| nested(params, branch, out));
        out.push(binding.var.name.clone());
    }
    for_each_branch(&seq.result, &mut |params, branch| nested(params, branch, out));
}
