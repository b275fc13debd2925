//! `fuse`: merges chains of loop-level kernels so intermediates never touch memory.
//!
//! Two rewrites, applied until nothing changes, on a producer `a = call_tir(P, ..)`
//! whose result is used exactly once, by `b = call_tir(C, .., a, ..)`:
//! - **inline**: P computes one value per output element (a perfect loop nest
//!   ending in `out[i..] = expr`) and so does C: every load of `a` in C is
//!   replaced by P's expression at that index (broadcasting included);
//! - **epilogue**: P is any loop nest over its output elements with a single
//!   store `out[i..] = v` (a matmul's or a reduction's final store) and C reads
//!   `a` element-wise: C's expression, with `a` replaced by `v`, is stored instead.
//!
//! Kernels are recognized by structure, not by operator name, so any operator
//! whose legalization has these shapes fuses without being listed here.

use super::legalize::add_prim_func;
use crate::error::Result;
use crate::ir::{
    Binding, Buffer, Call, Callee, Dim, Expr, ExprKind, Function, IRModule, PExpr, PrimFunc, SeqExpr, Stmt,
};
use std::collections::HashMap;

pub fn run(mut module: IRModule) -> Result<IRModule> {
    let mut functions = std::mem::take(&mut module.functions);
    for f in &mut functions {
        loop {
            let uses = count_uses(f);
            if !fuse_one_pair(&mut module, &mut f.body, &uses) {
                break;
            }
        }
    }
    module.functions = functions;
    Ok(module)
}

/// A call_tir binding's callee and arguments.
fn tir_call(b: &Binding) -> Option<(&str, &Call)> {
    match &b.value.kind {
        ExprKind::Call(c) => match &c.callee {
            Callee::Tir(name) => Some((name.as_str(), c)),
            _ => None,
        },
        _ => None,
    }
}

/// Finds one fusible producer/consumer pair in a block and fuses it; pairs
/// inside nested bodies (`if` branches) too, each body on its own.
fn fuse_one_pair(module: &mut IRModule, seq: &mut SeqExpr, uses: &HashMap<String, usize>) -> bool {
    for b in seq.blocks.iter_mut().flat_map(|b| &mut b.bindings) {
        for body in b.value.bodies_mut() {
            if fuse_one_pair(module, body, uses) {
                return true;
            }
        }
    }
    for bi in 0..seq.blocks.len() {
        let bindings = &seq.blocks[bi].bindings;
        for (pi, producer) in bindings.iter().enumerate() {
            if uses.get(&producer.var.name) != Some(&1) || producer.cast.is_some() {
                continue;
            }
            let Some((p_name, p_call)) = tir_call(producer) else { continue };
            let Some(ci) =
                bindings.iter().skip(pi + 1).position(|b| reads_var(b, &producer.var.name)).map(|k| k + pi + 1)
            else {
                continue;
            };
            let Some((c_name, c_call)) = tir_call(&bindings[ci]) else { continue };
            let (Some(p), Some(c)) = (module.prim_func(p_name), module.prim_func(c_name)) else { continue };
            let Some(k) = c_call.args.iter().position(|a| a.as_var() == Some(producer.var.name.as_str())) else {
                continue;
            };
            if let Some((kernel, call)) = fuse_kernels(p, p_call, c, c_call, k) {
                let name = add_prim_func(module, kernel);
                let block = &mut seq.blocks[bi];
                block.bindings[ci].value.kind = ExprKind::Call(Call { callee: Callee::Tir(name), ..call });
                block.bindings.remove(pi);
                return true;
            }
        }
    }
    false
}

fn reads_var(b: &Binding, var: &str) -> bool {
    let mut used = Vec::new();
    b.value.used_vars(&mut used);
    used.iter().any(|u| u == var)
}

/// Uses of every variable, inside nested bodies too (a body's result is a use).
fn count_uses(f: &Function) -> HashMap<String, usize> {
    fn collect(seq: &SeqExpr, used: &mut Vec<String>) {
        for b in seq.bindings() {
            let bodies = b.value.bodies();
            if bodies.is_empty() {
                b.value.used_vars(used);
            } else {
                b.value.operands().iter().for_each(|e| e.used_vars(used));
                bodies.into_iter().for_each(|body| collect(body, used));
            }
        }
        seq.result.used_vars(used);
        for block in &seq.blocks {
            // A dataflow output may be used after the block; count it as a use.
            used.extend(block.outputs.iter().cloned());
        }
    }
    let mut used = Vec::new();
    collect(&f.body, &mut used);
    let mut counts = HashMap::new();
    for u in used {
        *counts.entry(u).or_insert(0) += 1;
    }
    counts
}

/// One value per output element: `for i.. { out[i..] = value }`.
struct ComputeForm {
    vars: Vec<String>,
    value: PExpr,
}

fn peel_loops(f: &PrimFunc) -> Option<(Vec<String>, &Stmt)> {
    let out = f.outputs().first()?;
    let mut vars = Vec::new();
    let mut s = &f.body;
    for extent in &out.shape {
        match s {
            Stmt::For { var, extent: e, body, .. } if *e == PExpr::from_dim(extent) => {
                vars.push(var.clone());
                s = body;
            }
            _ => return None,
        }
    }
    Some((vars, s))
}

fn identity_index(vars: &[String]) -> Vec<PExpr> {
    vars.iter().map(|v| PExpr::var(v)).collect()
}

fn as_compute(f: &PrimFunc) -> Option<ComputeForm> {
    if f.num_outputs != 1 {
        return None;
    }
    let (vars, inner) = peel_loops(f)?;
    match inner {
        Stmt::Store { buf, idx, value } if *buf == f.outputs()[0].name && *idx == identity_index(&vars) => {
            Some(ComputeForm { vars, value: value.clone() })
        }
        _ => None,
    }
}

/// Renames buffers and dims of one kernel into the fused kernel's namespace.
struct Renaming {
    buffers: HashMap<String, String>,
    dims: HashMap<String, Dim>,
}

impl Renaming {
    fn expr(&self, e: &PExpr) -> PExpr {
        e.rewrite(&mut |x| match x {
            PExpr::Load { buf, idx } => PExpr::Load { buf: self.buffers.get(&buf).cloned().unwrap_or(buf), idx },
            PExpr::Var(v) => match self.dims.get(&v) {
                Some(d) => PExpr::from_dim(d),
                None => PExpr::Var(v),
            },
            other => other,
        })
    }

    fn stmt(&self, s: &Stmt) -> Stmt {
        match s {
            Stmt::For { var, extent, kind, body } => {
                Stmt::For { var: var.clone(), extent: self.expr(extent), kind: *kind, body: Box::new(self.stmt(body)) }
            }
            Stmt::Store { buf, idx, value } => Stmt::Store {
                buf: self.buffers.get(buf).cloned().unwrap_or_else(|| buf.clone()),
                idx: idx.iter().map(|i| self.expr(i)).collect(),
                value: self.expr(value),
            },
            Stmt::Seq(items) => Stmt::Seq(items.iter().map(|i| self.stmt(i)).collect()),
            Stmt::Alloc { buf, body } => Stmt::Alloc { buf: buf.clone(), body: Box::new(self.stmt(body)) },
            Stmt::If { cond, then_branch, else_branch } => Stmt::If {
                cond: self.expr(cond),
                then_branch: Box::new(self.stmt(then_branch)),
                else_branch: else_branch.as_ref().map(|e| Box::new(self.stmt(e))),
            },
        }
    }

    fn buffer(&self, b: &Buffer, name: &str) -> Buffer {
        Buffer::new(name, b.dtype, b.shape.iter().map(|d| d.substitute(&self.dims)).collect())
    }
}

/// The fused kernel's parameters, dims and the renaming of each side.
struct FusedSignature {
    params: Vec<Buffer>,
    args: Vec<Expr>,
    dims: Vec<String>,
    tir_dims: Vec<Dim>,
    producer: Renaming,
    consumer: Renaming,
}

/// Inputs: the consumer's (minus the fused one), then the producer's; output: the consumer's.
fn fused_signature(p: &PrimFunc, p_call: &Call, c: &PrimFunc, c_call: &Call, k: usize) -> FusedSignature {
    let mut dims: Vec<String> = Vec::new();
    let mut tir_dims: Vec<Dim> = Vec::new();
    let mut dim_map = |local: &[String], caller: &[Dim]| -> HashMap<String, Dim> {
        local
            .iter()
            .zip(caller)
            .map(|(l, d)| {
                let pos = tir_dims.iter().position(|x| x == d).unwrap_or_else(|| {
                    let base = if let Dim::Var(v) = d { v.clone() } else { format!("d{}", dims.len()) };
                    dims.push(base);
                    tir_dims.push(d.clone());
                    dims.len() - 1
                });
                (l.clone(), Dim::var(&dims[pos]))
            })
            .collect()
    };
    let c_dims = dim_map(&c.dims, &c_call.tir_dims);
    let p_dims = dim_map(&p.dims, &p_call.tir_dims);
    let mut producer = Renaming { buffers: HashMap::new(), dims: p_dims };
    let mut consumer = Renaming { buffers: HashMap::new(), dims: c_dims };
    let mut params = Vec::new();
    let mut args = Vec::new();
    consumer.buffers.insert(c.inputs()[k].name.clone(), FUSED.into());
    for (j, (b, a)) in c.inputs().iter().zip(&c_call.args).enumerate() {
        if j != k {
            let name = format!("in{}", params.len());
            consumer.buffers.insert(b.name.clone(), name.clone());
            params.push(consumer.buffer(b, &name));
            args.push(a.clone());
        }
    }
    for (b, a) in p.inputs().iter().zip(&p_call.args) {
        let name = format!("in{}", params.len());
        producer.buffers.insert(b.name.clone(), name.clone());
        params.push(producer.buffer(b, &name));
        args.push(a.clone());
    }
    let out = &c.outputs()[0];
    consumer.buffers.insert(out.name.clone(), "out".into());
    params.push(consumer.buffer(out, "out"));
    FusedSignature { params, args, dims, tir_dims, producer, consumer }
}

fn fuse_kernels(p: &PrimFunc, p_call: &Call, c: &PrimFunc, c_call: &Call, k: usize) -> Option<(PrimFunc, Call)> {
    if c.num_outputs != 1 || p.num_outputs != 1 {
        return None;
    }
    let c_form = as_compute(c)?;
    let fused_shape = &c.inputs()[k].shape;
    let sig = fused_signature(p, p_call, c, c_call, k);
    let body = if let Some(p_form) = as_compute(p) {
        inline_producer(&sig, &p_form, c, &c_form)
    } else {
        epilogue(&sig, p, fused_shape, &c_form)?
    };
    let kernel =
        PrimFunc { name: format!("{}_{}", p.name, c.name), params: sig.params, num_outputs: 1, dims: sig.dims, body };
    let call = Call { args: sig.args, tir_dims: sig.tir_dims, ..c_call.clone() };
    Some((kernel, call))
}

/// The consumer's name for the fused input inside the fused kernel.
const FUSED: &str = "fused_input";

/// C's loop nest, with each load of the fused input replaced by P's value there.
fn inline_producer(sig: &FusedSignature, p: &ComputeForm, c: &PrimFunc, c_form: &ComputeForm) -> Stmt {
    let p_value = sig.producer.expr(&p.value);
    let value = sig.consumer.expr(&c_form.value).rewrite(&mut |e| match e {
        PExpr::Load { buf, idx } if buf == FUSED => {
            let at: HashMap<String, PExpr> = p.vars.iter().cloned().zip(idx).collect();
            p_value.substitute(&at)
        }
        other => other,
    });
    let store = Stmt::store("out", identity_index(&c_form.vars), value);
    let extents: Vec<Dim> = c.outputs()[0].shape.iter().map(|d| d.substitute(&sig.consumer.dims)).collect();
    Stmt::loop_nest(&c_form.vars, &extents, store)
}

/// P's loop nest, with its single output store replaced by C's value of it.
fn epilogue(sig: &FusedSignature, p: &PrimFunc, fused_shape: &[Dim], c_form: &ComputeForm) -> Option<Stmt> {
    let (p_vars, _) = peel_loops(p)?;
    let p_out = &p.outputs()[0];
    let c_value = sig.consumer.expr(&c_form.value);
    if p_out.shape != fused_shape || !reads_only_at(&c_value, FUSED, &c_form.vars) {
        return None;
    }
    if count_stores(&p.body, &p_out.name) != 1 || loads_buffer(&p.body, &p_out.name) {
        return None;
    }
    let to_p_vars: HashMap<String, PExpr> = c_form.vars.iter().cloned().zip(identity_index(&p_vars)).collect();
    let c_value = c_value.substitute(&to_p_vars);
    let body = sig.producer.stmt(&p.body);
    Some(replace_store(&body, &p_out.name, &p_vars, &|v: &PExpr| {
        c_value.rewrite(&mut |e| match e {
            PExpr::Load { buf, .. } if buf == FUSED => v.clone(),
            other => other,
        })
    }))
}

/// Whether every load of `buf` in `e` is at exactly the index `vars`.
fn reads_only_at(e: &PExpr, buf: &str, vars: &[String]) -> bool {
    let mut ok = true;
    let want = identity_index(vars);
    e.rewrite(&mut |x| {
        if let PExpr::Load { buf: b, idx } = &x {
            if b == buf && *idx != want {
                ok = false;
            }
        }
        x
    });
    ok
}

fn count_stores(s: &Stmt, buf: &str) -> usize {
    match s {
        Stmt::For { body, .. } | Stmt::Alloc { body, .. } => count_stores(body, buf),
        Stmt::Store { buf: b, .. } => (b == buf) as usize,
        Stmt::Seq(items) => items.iter().map(|i| count_stores(i, buf)).sum(),
        Stmt::If { then_branch, else_branch, .. } => {
            count_stores(then_branch, buf) + else_branch.as_ref().map_or(0, |e| count_stores(e, buf))
        }
    }
}

fn loads_buffer(s: &Stmt, buf: &str) -> bool {
    let in_expr = |e: &PExpr| {
        let mut found = false;
        e.rewrite(&mut |x| {
            if matches!(&x, PExpr::Load { buf: b, .. } if b == buf) {
                found = true;
            }
            x
        });
        found
    };
    match s {
        Stmt::For { extent, body, .. } => in_expr(extent) || loads_buffer(body, buf),
        Stmt::Alloc { body, .. } => loads_buffer(body, buf),
        Stmt::Store { idx, value, .. } => idx.iter().any(in_expr) || in_expr(value),
        Stmt::Seq(items) => items.iter().any(|i| loads_buffer(i, buf)),
        Stmt::If { cond, then_branch, else_branch } => {
            in_expr(cond)
                || loads_buffer(then_branch, buf)
                || else_branch.as_ref().is_some_and(|e| loads_buffer(e, buf))
        }
    }
}

/// Rewrites the store to `buf` at `vars` into a store to `out` of `f(value)`.
fn replace_store(s: &Stmt, buf: &str, vars: &[String], f: &dyn Fn(&PExpr) -> PExpr) -> Stmt {
    match s {
        Stmt::Store { buf: b, idx, value } if b == buf && *idx == identity_index(vars) => {
            Stmt::store("out", idx.clone(), f(value))
        }
        Stmt::For { var, extent, kind, body } => Stmt::For {
            var: var.clone(),
            extent: extent.clone(),
            kind: *kind,
            body: Box::new(replace_store(body, buf, vars, f)),
        },
        Stmt::Alloc { buf: a, body } => {
            Stmt::Alloc { buf: a.clone(), body: Box::new(replace_store(body, buf, vars, f)) }
        }
        Stmt::Seq(items) => Stmt::Seq(items.iter().map(|i| replace_store(i, buf, vars, f)).collect()),
        Stmt::If { cond, then_branch, else_branch } => Stmt::If {
            cond: cond.clone(),
            then_branch: Box::new(replace_store(then_branch, buf, vars, f)),
            else_branch: else_branch.as_ref().map(|e| Box::new(replace_store(e, buf, vars, f))),
        },
        other => other.clone(),
    }
}
