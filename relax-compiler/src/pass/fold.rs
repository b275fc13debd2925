//! `fold_constants`: evaluates operator calls whose arguments are all constants
//! at compile time (with the operators' reference semantics), replacing them by
//! new module constants. Shape arithmetic on weights disappears this way.

use super::for_each_function;
use crate::error::Result;
use crate::ir::{Callee, ExprKind, IRModule};
use crate::ndarray::NDArray;
use crate::op;
use std::collections::HashMap;

/// Results larger than this stay computations: folding them would bloat the binary.
const MAX_FOLDED_ELEMENTS: usize = 1 << 22;

pub fn run(mut module: IRModule) -> Result<IRModule> {
    let mut constants = std::mem::take(&mut module.constants);
    for_each_function(&mut module, |f| {
        // Variables known to be constants, by the constant's name.
        let mut known: HashMap<String, String> = HashMap::new();
        // Nested bodies (`if` branches) are folded too, with what is known outside.
        f.body.visit_bindings_mut(&mut |b| {
            if let ExprKind::Call(call) = &mut b.value.kind {
                for a in &mut call.args {
                    if let ExprKind::Var(v) = &a.kind {
                        if let Some(c) = known.get(v) {
                            a.kind = ExprKind::Constant(c.clone());
                        }
                    }
                }
            }
            match &b.value.kind {
                ExprKind::Constant(c) => {
                    known.insert(b.var.name.clone(), c.clone());
                }
                ExprKind::Call(call) if b.cast.is_none() => {
                    if let Some(value) = try_fold(call, &constants) {
                        let name = fresh_constant_name(&constants, &b.var.name);
                        constants.insert(name.clone(), value);
                        b.value.kind = ExprKind::Constant(name.clone());
                        known.insert(b.var.name.clone(), name);
                    }
                }
                _ => {}
            }
        });
    });
    module.constants = constants;
    Ok(module)
}

/// The value of an operator call on constants, if it can and should be folded.
fn try_fold(call: &crate::ir::Call, constants: &std::collections::BTreeMap<String, NDArray>) -> Option<NDArray> {
    let Callee::Op(name) = &call.callee else { return None };
    let def = op::lookup(name)?;
    let args: Vec<&NDArray> = call
        .args
        .iter()
        .map(|a| match &a.kind {
            ExprKind::Constant(c) => constants.get(c),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let mut outs = (def.eval)(&args, &call.attrs).ok()?;
    (outs.len() == 1 && outs[0].numel() <= MAX_FOLDED_ELEMENTS).then(|| outs.remove(0))
}

fn fresh_constant_name(constants: &std::collections::BTreeMap<String, NDArray>, base: &str) -> String {
    let base = format!("{base}_folded");
    if !constants.contains_key(&base) {
        return base;
    }
    (1..).map(|i| format!("{base}{i}")).find(|n| !constants.contains_key(n)).unwrap()
}
