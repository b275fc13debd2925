//! `lower_entries`: turns each exported, memory-planned graph function into a
//! native entry: input checks, symbolic-dim bindings, and the kernel calls on
//! input, output, constant and workspace buffers. This is the AOT executor;
//! nothing interprets the graph at run time.

use super::storage::{storage_of, Source, StorageMap};
use super::var_types;
use crate::error::{Error, Result};
use crate::ir::entry::{BufRef, Check, DimBinding, DimSource, EntryFunc, EntryParam, Step};
use crate::ir::{Callee, Dim, Expr, ExprKind, Function, IRModule, LoopExpr, MemoryPlan, SeqExpr, TensorInfo};
use std::collections::HashSet;

pub fn run(mut module: IRModule) -> Result<IRModule> {
    let mut entries = Vec::new();
    let mut errors = Vec::new();
    for f in module.functions.iter().filter(|f| f.public) {
        match lower(&module, f) {
            Ok(e) => entries.push(e),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    module.entries = entries;
    Ok(module)
}

fn lower(module: &IRModule, f: &Function) -> Result<EntryFunc> {
    let plan = f.memory.as_ref().ok_or_else(|| Error::new(f.span, format!("{} has no memory plan", f.name)))?;
    let storage = storage_of(f)?;
    let inputs: Vec<EntryParam> = f
        .params
        .iter()
        .map(|p| {
            let t = p.sinfo.as_tensor().expect("storage_of checked parameters are tensors");
            EntryParam { name: p.name.clone(), dtype: t.dtype, shape: t.shape.clone() }
        })
        .collect();
    let outputs: Vec<EntryParam> = storage
        .outputs
        .iter()
        .zip(&storage.output_names)
        .map(|(s, name)| output_param(module, f, &storage, s, name))
        .collect::<Result<_>>()?;
    let (bindings, mut checks) = input_checks(f, &inputs)?;
    checks.extend(cast_checks(f)?);
    checks.extend(output_checks(&outputs, &f.value_vars().cloned().collect()));
    let steps = steps(module, f, &storage, plan)?;
    Ok(EntryFunc {
        name: f.name.clone(),
        inputs,
        outputs,
        bindings,
        checks,
        workspace_bytes: plan.workspace_bytes.clone(),
        steps,
    })
}

fn output_param(module: &IRModule, f: &Function, storage: &StorageMap, s: &Source, name: &str) -> Result<EntryParam> {
    let t = match s {
        Source::Storage(st) => storage.tensor(st).clone(),
        Source::Param(i) => f.params[*i].sinfo.as_tensor().cloned().expect("tensor parameter"),
        Source::Constant(c) => {
            let value = module.constants.get(c).ok_or_else(|| Error::msg(format!("unknown constant `{c}`")))?;
            TensorInfo::new(value.dtype(), value.shape().iter().map(|&d| Dim::from(d)).collect())
        }
    };
    Ok(EntryParam { name: name.to_string(), dtype: t.dtype, shape: t.shape })
}

/// Rank and dtype of every input, then a binding for the first bare occurrence
/// of each symbolic dim and a check for every other dim, then the bindings of
/// dims to parameters' values.
fn input_checks(f: &Function, inputs: &[EntryParam]) -> Result<(Vec<DimBinding>, Vec<Check>)> {
    let mut checks = Vec::new();
    for i in 0..inputs.len() {
        checks.push(Check::Rank { input: i });
        checks.push(Check::DType { input: i });
    }
    let mut bindings = Vec::new();
    let mut bound: HashSet<String> = HashSet::new();
    for (i, p) in inputs.iter().enumerate() {
        for (axis, d) in p.shape.iter().enumerate() {
            match d {
                Dim::Var(v) if !bound.contains(v) => {
                    bound.insert(v.clone());
                    bindings.push(DimBinding::axis(v, i, axis));
                }
                _ => checks.push(Check::Dim { input: i, axis, expected: d.clone() }),
            }
        }
    }
    for (i, p) in f.params.iter().enumerate() {
        for values in f.value_dims.iter().filter(|v| v.param == p.name) {
            for (index, var) in values.vars.iter().enumerate() {
                let from = match values.factors.get(index) {
                    Some(factor) => DimSource::ScaledElement { index, factor: factor.clone() },
                    None => DimSource::Element(index),
                };
                bound.insert(var.clone());
                bindings.push(DimBinding { var: var.clone(), input: i, from });
            }
        }
    }
    for (var, value) in &f.derived_dims {
        bound.insert(var.clone());
        bindings.push(DimBinding { var: var.clone(), input: 0, from: DimSource::Derived(value.clone()) });
    }
    for (var, max) in &f.dim_max {
        if !bound.contains(var) {
            return Err(Error::new(f.span, format!("`dim_max` bounds `{var}`, which is not a dim of any parameter")));
        }
        checks.push(Check::DimMax { var: var.clone(), max: *max });
    }
    for (i, p) in inputs.iter().enumerate() {
        for d in &p.shape {
            if let Some(v) = d.free_vars().into_iter().find(|v| !bound.contains(v)) {
                return Err(Error::new(
                    f.params[i].span,
                    format!(
                        "cannot determine `{v}` from the input shapes: it only appears inside `{d}`; \
                         give some input a dimension that is exactly `{v}`"
                    ),
                ));
            }
        }
    }
    Ok((bindings, checks))
}

/// A dim built from shape dims and non-negative constants by `+`, `*`, `min`,
/// `max`, floor division and modulo by positive constants cannot be negative;
/// anything else is checked at run time. Dims bound to parameters' values
/// (`signed`) can be negative.
fn provably_non_negative(d: &Dim, signed: &HashSet<String>) -> bool {
    let nn = |d: &Dim| provably_non_negative(d, signed);
    match d {
        Dim::Int(v) => *v >= 0,
        Dim::Var(v) => !signed.contains(v),
        Dim::Add(a, b) | Dim::Mul(a, b) | Dim::Min(a, b) => nn(a) && nn(b),
        Dim::Max(a, b) => nn(a) || nn(b),
        Dim::Div(a, b) => nn(a) && matches!(**b, Dim::Int(v) if v > 0),
        Dim::Mod(_, b) => matches!(**b, Dim::Int(v) if v > 0),
        Dim::Sub(..) => false,
    }
}

/// A run-time check for every `match_cast` equality the compiler could not
/// prove. All shapes are expressions in the input dims, so the entry can check
/// them before any kernel runs.
///
/// A `match_cast` inside an `if` branch holds only when the branch runs, so
/// it cannot be checked up front: one the compiler cannot prove is an error.
fn cast_checks(f: &Function) -> Result<Vec<Check>> {
    let types = var_types(f);
    let top: HashSet<&str> = f.body.bindings().map(|b| b.var.name.as_str()).collect();
    let mut checks = Vec::new();
    for b in f.body.all_bindings() {
        let (Some(target), Some(value)) = (&b.cast, b.value.as_var().and_then(|v| types.get(v))) else { continue };
        for (t, v) in target.tensors().iter().zip(value.tensors()) {
            for (axis, (td, vd)) in t.shape.iter().zip(&v.shape).enumerate() {
                if !td.proven_eq(vd) {
                    if !top.contains(b.var.name.as_str()) {
                        return Err(Error::new(
                            b.span,
                            format!(
                                "the match_cast of `{}` is inside a branch and its shape cannot be proven \
                                 ({vd} vs {td}); native code checks shapes before running",
                                b.var.name
                            ),
                        ));
                    }
                    let context = format!("match_cast of `{}` (axis {axis})", b.var.name);
                    checks.push(Check::Equal { lhs: vd.clone(), rhs: td.clone(), context });
                }
            }
        }
    }
    Ok(checks)
}

fn output_checks(outputs: &[EntryParam], signed: &HashSet<String>) -> Vec<Check> {
    let mut checks = Vec::new();
    for (k, o) in outputs.iter().enumerate() {
        for (axis, d) in o.shape.iter().enumerate() {
            if !provably_non_negative(d, signed) {
                checks.push(Check::NonNegative { output: k, axis, expr: d.clone() });
            }
        }
    }
    checks.extend((0..outputs.len()).map(|output| Check::Output { output }));
    checks.push(Check::Workspace);
    checks
}

/// Kernel calls in binding order (an `if` as a branching step), then copies
/// for results that no kernel writes directly (a parameter or constant
/// returned as is, or one value returned twice).
fn steps(module: &IRModule, f: &Function, storage: &StorageMap, plan: &MemoryPlan) -> Result<Vec<Step>> {
    let lowering = Lowering { module, f, storage, plan };
    let mut steps = lowering.seq(&f.body)?;
    for (k, s) in storage.outputs.iter().enumerate() {
        let written_directly =
            matches!(s, Source::Storage(_)) && storage.outputs.iter().position(|o| o == s) == Some(k);
        if !written_directly {
            steps.push(lowering.copy(s, BufRef::Output(k))?);
        }
    }
    Ok(steps)
}

/// What lowering a body needs to know.
struct Lowering<'a> {
    module: &'a IRModule,
    f: &'a Function,
    storage: &'a StorageMap,
    plan: &'a MemoryPlan,
}

impl Lowering<'_> {
    fn location(&self, s: &Source) -> Result<BufRef> {
        Ok(match s {
            Source::Param(i) => BufRef::Input(*i),
            Source::Constant(c) => BufRef::Constant(c.clone()),
            Source::Storage(st) => match self.storage.outputs.iter().position(|o| o == s) {
                Some(k) => BufRef::Output(k),
                None => BufRef::Workspace(
                    self.plan
                        .offsets
                        .iter()
                        .find(|(name, _)| name == st)
                        .map(|(_, off)| off.clone())
                        .ok_or_else(|| Error::msg(format!("`{st}` has no planned offset")))?,
                ),
            },
        })
    }

    /// Copies the whole tensor `src` to `dst`.
    fn copy(&self, src: &Source, dst: BufRef) -> Result<Step> {
        let t = output_param(self.module, self.f, self.storage, src, "")?;
        let bytes = (Dim::product(&t.shape) * Dim::Int(t.dtype.size() as i64)).simplify();
        Ok(Step::Copy { src: self.location(src)?, dst, bytes })
    }

    fn seq(&self, seq: &SeqExpr) -> Result<Vec<Step>> {
        let mut steps = Vec::new();
        for b in seq.bindings() {
            match &b.value.kind {
                ExprKind::Call(call) => {
                    let Callee::Tir(func) = &call.callee else { continue };
                    let mut args = Vec::new();
                    for a in &call.args {
                        for s in self.storage.sources(a)? {
                            args.push(self.location(&s)?);
                        }
                    }
                    for s in self.storage.sources(&Expr::var(&b.var.name))? {
                        args.push(self.location(&s)?);
                    }
                    steps.push(Step::Call { func: func.clone(), args, dims: call.tir_dims.clone() });
                }
                ExprKind::If { cond, then_branch, else_branch } => {
                    let cond = match &self.storage.sources(cond)?[..] {
                        [c] => self.location(c)?,
                        _ => return Err(Error::new(cond.span, "an `if` condition must be one tensor")),
                    };
                    let results = self.storage.sources(&Expr::var(&b.var.name))?;
                    let then_steps = self.branch(then_branch, &results)?;
                    let else_steps = self.branch(else_branch, &results)?;
                    steps.push(Step::If { cond, then_steps, else_steps });
                }
                ExprKind::Loop(l) => steps.extend(self.loop_steps(&b.var.name, l)?),
                _ => {}
            }
        }
        Ok(steps)
    }

    /// Copies of the initial values into the state, then the loop: each
    /// iteration copies row `i` of every scanned tensor into its slice, runs
    /// the body, copies each scan output row into row `i` of its result, and
    /// the next carried values into the state. A while loop tests its
    /// condition's state before each iteration.
    fn loop_steps(&self, name: &str, l: &LoopExpr) -> Result<Vec<Step>> {
        let var = format!("{name}.i");
        let results = self.storage.sources(&Expr::var(name))?;
        let (state, stacked) = results.split_at(l.carried.len());
        let mut steps = Vec::new();
        for ((_, init), dst) in l.carried.iter().zip(state) {
            let [src] = &self.storage.sources(init)?[..] else {
                return Err(Error::new(init.span, "a carried value must be one tensor"));
            };
            steps.push(self.copy(src, self.location(dst)?)?);
        }
        let mut body = Vec::new();
        for (v, source) in &l.scans {
            let [src] = &self.storage.sources(source)?[..] else {
                return Err(Error::new(source.span, "a scanned value must be one tensor"));
            };
            let row = self.row_at(&var, src)?;
            let dst = self.location(&Source::Storage(v.name.clone()))?;
            body.push(Step::Copy { src: BufRef::Offset(Box::new(self.location(src)?), row.0), dst, bytes: row.1 });
        }
        body.extend(self.seq(&l.body)?);
        let next = self.storage.sources(&l.body.result)?;
        for (src, dst) in next[l.carried.len()..].iter().zip(stacked) {
            let (offset, bytes) = self.row_at(&var, dst)?;
            body.push(Step::Copy {
                src: self.location(src)?,
                dst: BufRef::Offset(Box::new(self.location(dst)?), offset),
                bytes,
            });
        }
        let staged = self.storage.is_staged(name);
        for (k, (src, dst)) in next.iter().zip(state).enumerate() {
            if staged {
                let stage = Source::Storage(format!("{name}.next{k}"));
                body.push(self.copy(src, self.location(&stage)?)?);
            } else if src != dst {
                body.push(self.copy(src, self.location(dst)?)?);
            }
        }
        if staged {
            for (k, dst) in state.iter().enumerate() {
                body.push(self.copy(&Source::Storage(format!("{name}.next{k}")), self.location(dst)?)?);
            }
        }
        let cond = match (&l.condition, l.condition_index()) {
            (Some(_), Some(k)) => Some(self.location(&state[k])?),
            (Some(name), None) => return Err(Error::msg(format!("no carried `{name}`"))),
            (None, _) => None,
        };
        steps.push(Step::Loop { var, trips: l.trips.clone(), cond, body });
        Ok(steps)
    }

    /// The byte offset of row `var` of the tensor `s` (along axis 0), and a row's size.
    fn row_at(&self, var: &str, s: &Source) -> Result<(Dim, Dim)> {
        let t = output_param(self.module, self.f, self.storage, s, "")?;
        let row = Dim::product(t.shape.get(1..).unwrap_or_default()) * Dim::Int(t.dtype.size() as i64);
        Ok(((Dim::var(var) * row.clone()).simplify(), row.simplify()))
    }

    /// A branch's steps, then copies of its result into the `if`'s storages.
    fn branch(&self, seq: &SeqExpr, results: &[Source]) -> Result<Vec<Step>> {
        let mut steps = self.seq(seq)?;
        for (src, dst) in self.storage.sources(&seq.result)?.iter().zip(results) {
            steps.push(self.copy(src, self.location(dst)?)?);
        }
        Ok(steps)
    }
}
