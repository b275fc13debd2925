//! `dead_code`: removes bindings nothing uses, then constants and loop-level
//! functions nothing refers to (unused weights do not end up in the binary).

use super::{for_each_function, used_constants};
use crate::error::Result;
use crate::ir::{Callee, Expr, ExprKind, Function, IRModule, SeqExpr};
use std::collections::HashSet;

pub fn run(mut module: IRModule) -> Result<IRModule> {
    for_each_function(&mut module, remove_dead_bindings);
    let constants = used_constants(&module);
    module.constants.retain(|name, _| constants.contains(name));
    let called = called_prim_funcs(&module);
    module.prim_funcs.retain(|f| called.contains(&f.name));
    Ok(module)
}

/// Walks bindings backwards keeping those whose variable is live; external
/// calls are kept regardless, since they may have side effects.
fn remove_dead_bindings(f: &mut Function) {
    remove_dead_in(&mut f.body);
}

/// Nested bodies (`if` branches) are cleaned first, so what they no longer
/// read does not keep outer bindings alive.
fn remove_dead_in(seq: &mut SeqExpr) {
    for b in seq.blocks.iter_mut().flat_map(|b| &mut b.bindings) {
        for body in b.value.bodies_mut() {
            remove_dead_in(body);
        }
    }
    let mut live: HashSet<String> = HashSet::new();
    let mut result_uses = Vec::new();
    seq.result.used_vars(&mut result_uses);
    live.extend(result_uses);
    for block in seq.blocks.iter_mut().rev() {
        let mut kept = Vec::new();
        for b in block.bindings.drain(..).rev() {
            if live.contains(&b.var.name) || has_side_effects(&b.value) {
                let mut uses = Vec::new();
                b.value.used_vars(&mut uses);
                live.extend(uses);
                kept.push(b);
            }
        }
        kept.reverse();
        block.bindings = kept;
        block.outputs.retain(|o| block.bindings.iter().any(|b| &b.var.name == o));
    }
    seq.blocks.retain(|b| !b.bindings.is_empty());
}

fn has_side_effects(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Call(c) if matches!(c.callee, Callee::Extern(_)))
        || e.bodies().iter().any(|body| body.bindings().any(|b| has_side_effects(&b.value)))
}

fn called_prim_funcs(module: &IRModule) -> HashSet<String> {
    module
        .functions
        .iter()
        .flat_map(|f| f.body.all_bindings())
        .filter_map(|b| match &b.value.kind {
            ExprKind::Call(c) => match &c.callee {
                Callee::Tir(name) => Some(name.clone()),
                _ => None,
            },
            _ => None,
        })
        .chain(module.entries.iter().flat_map(|e| crate::ir::entry::called_kernels(&e.steps)))
        .collect()
}
