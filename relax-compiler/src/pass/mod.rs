//! Passes: each is a plain `fn(IRModule) -> Result<IRModule>`, listed in order
//! in [`crate::pipeline`]. Shared helpers for reading a normalized function
//! live here.

pub mod dce;
pub mod fold;
pub mod fuse;
pub mod legalize;
pub mod lower;
pub mod memory;
pub mod normalize;
pub mod storage;

use crate::ir::{Dim, Expr, ExprKind, Function, IRModule, StructInfo, TensorInfo};
use std::collections::HashMap;

/// Struct info of every parameter and bound variable of a normalized function.
pub fn var_types(f: &Function) -> HashMap<String, StructInfo> {
    let mut types: HashMap<String, StructInfo> = f.params.iter().map(|p| (p.name.clone(), p.sinfo.clone())).collect();
    collect_binding_types(&f.body, &mut types);
    types
}

fn collect_binding_types(seq: &crate::ir::SeqExpr, types: &mut HashMap<String, StructInfo>) {
    for b in seq.bindings() {
        types.insert(b.var.name.clone(), b.var.sinfo.clone());
        if let ExprKind::Loop(l) = &b.value.kind {
            types.extend(l.params().map(|p| (p.name.clone(), p.sinfo.clone())));
        }
        for body in b.value.bodies() {
            collect_binding_types(body, types);
        }
    }
}

/// The tensor type of an atom (a variable or a constant) in normalized IR.
pub fn atom_tensor(module: &IRModule, types: &HashMap<String, StructInfo>, e: &Expr) -> Option<TensorInfo> {
    match &e.kind {
        ExprKind::Var(v) => types.get(v).and_then(|s| s.as_tensor().cloned()),
        ExprKind::Constant(c) => {
            let a = module.constants.get(c)?;
            Some(TensorInfo::new(a.dtype(), a.shape().iter().map(|&d| Dim::from(d)).collect()))
        }
        _ => None,
    }
}

/// Applies `f` to every function body's bindings in place.
pub fn for_each_function(module: &mut IRModule, mut f: impl FnMut(&mut Function)) {
    for func in &mut module.functions {
        f(func);
    }
}

/// Every name of a variable used anywhere in `f` (by bindings and the result).
pub fn used_names(f: &Function) -> std::collections::HashSet<String> {
    let mut used = Vec::new();
    f.body.used_vars(&mut used);
    for b in f.body.bindings() {
        b.value.used_vars(&mut used);
    }
    used.into_iter().collect()
}

/// Constants referenced anywhere in the module's graph functions.
pub fn used_constants(module: &IRModule) -> std::collections::HashSet<String> {
    fn visit(e: &Expr, out: &mut std::collections::HashSet<String>) {
        match &e.kind {
            ExprKind::Constant(c) => {
                out.insert(c.clone());
            }
            ExprKind::Tuple(items) => items.iter().for_each(|i| visit(i, out)),
            ExprKind::GetItem(t, _) => visit(t, out),
            ExprKind::Call(c) => c.args.iter().for_each(|a| visit(a, out)),
            ExprKind::If { .. } | ExprKind::Loop(_) => {
                e.operands().into_iter().for_each(|o| visit(o, out));
                for s in e.bodies() {
                    s.bindings().for_each(|b| visit(&b.value, out));
                    visit(&s.result, out);
                }
            }
            _ => {}
        }
    }
    let mut out = std::collections::HashSet::new();
    for f in &module.functions {
        f.body.bindings().for_each(|b| visit(&b.value, &mut out));
        visit(&f.body.result, &mut out);
    }
    out
}
