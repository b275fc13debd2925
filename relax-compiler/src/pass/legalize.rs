//! `legalize`: replaces every operator call by a `call_tir` to the loop-level
//! function the operator's legalization rule builds. Identical kernels (same
//! op, shapes and attributes) are emitted once.

use super::{atom_tensor, var_types};
use crate::error::{Error, Result};
use crate::interp::graph::with_op_name;
use crate::ir::{Call, Callee, Dim, ExprKind, IRModule, PrimFunc, StructInfo, TensorInfo};
use crate::op;

pub fn run(mut module: IRModule) -> Result<IRModule> {
    let mut errors = Vec::new();
    let mut functions = std::mem::take(&mut module.functions);
    for f in &mut functions {
        let types = var_types(f);
        // Bindings inside `if` branches and loop bodies are legalized too.
        f.body.visit_bindings_mut(&mut |b| {
            let ExprKind::Call(call) = &b.value.kind else { return };
            let Callee::Op(name) = &call.callee else { return };
            match legalize_call(&mut module, &types, name, call, &b.var.sinfo) {
                Ok(new_call) => b.value.kind = ExprKind::Call(new_call),
                Err(e) => errors.push(Error::new(b.span, e)),
            }
        });
    }
    module.functions = functions;
    if errors.is_empty() {
        Ok(module)
    } else {
        Err(Error::many(errors))
    }
}

fn legalize_call(
    module: &mut IRModule,
    types: &std::collections::HashMap<String, StructInfo>,
    name: &str,
    call: &Call,
    out_sinfo: &StructInfo,
) -> std::result::Result<Call, String> {
    let outs: Vec<TensorInfo> = out_sinfo.tensors().into_iter().cloned().collect();
    let def = op::lookup(name).ok_or_else(|| format!("unknown operator `{name}`"))?;
    let args: Vec<TensorInfo> = call
        .args
        .iter()
        .map(|a| atom_tensor(module, types, a).ok_or_else(|| format!("{name}: argument is not a typed tensor")))
        .collect::<std::result::Result<_, _>>()?;
    let kernel = (def.legalize)(&args, &call.attrs, &outs).map_err(|e| with_op_name(name, e))?;
    let dims = kernel.dims.iter().map(|d| Dim::var(d)).collect();
    let func = add_prim_func(module, kernel);
    Ok(Call {
        callee: Callee::Tir(func),
        args: call.args.clone(),
        attrs: Default::default(),
        out_sinfo: Some(out_sinfo.clone()),
        tir_dims: dims,
    })
}

/// Adds `f` under a fresh name, or returns the name of an identical kernel.
pub fn add_prim_func(module: &mut IRModule, mut f: PrimFunc) -> String {
    let same =
        |g: &PrimFunc| g.params == f.params && g.dims == f.dims && g.body == f.body && g.num_outputs == f.num_outputs;
    if let Some(existing) = module.prim_funcs.iter().find(|g| same(g)) {
        return existing.name.clone();
    }
    f.name = module.fresh_name(&f.name);
    let name = f.name.clone();
    module.prim_funcs.push(f);
    name
}
