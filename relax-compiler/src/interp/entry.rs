//! Simulates a native entry (`EntryFunc`) exactly as generated code runs it:
//! the same checks in the same order, and every buffer a byte range of the
//! inputs, outputs, constants or one workspace arena. Planning bugs (overlapping
//! live buffers, a too-small arena) therefore show up here as wrong values or
//! errors before any native code exists.

use super::shape::DimEnv;
use super::tir::run_prim_func;
use crate::error::{Error, Result};
use crate::ir::entry::{BufRef, Check, DimSource, EntryFunc, Step};
use crate::ir::{Dim, IRModule};
use crate::ndarray::NDArray;
use std::collections::HashMap;

/// The byte stores a running entry addresses.
struct Memory<'m> {
    inputs: Vec<Vec<u8>>,
    outputs: Vec<Vec<u8>>,
    workspace: Vec<u8>,
    constants: HashMap<&'m str, Vec<u8>>,
}

/// Runs entry `name` on `inputs`; returns the outputs, or an error naming the
/// failed check and its id (the native return code).
pub fn run_entry(module: &IRModule, name: &str, inputs: &[NDArray]) -> Result<Vec<NDArray>> {
    let e = module.entries.iter().find(|e| e.name == name).ok_or_else(|| Error::msg(format!("no entry `{name}`")))?;
    if inputs.len() != e.inputs.len() {
        return Err(Error::msg(format!("{name} takes {} inputs, got {}", e.inputs.len(), inputs.len())));
    }
    let env = run_checks(e, inputs)?;
    let eval = |d: &Dim| d.eval(&env).ok_or_else(|| Error::msg(format!("cannot evaluate {d}")));
    let mut out_shapes = Vec::new();
    for o in &e.outputs {
        out_shapes.push(o.shape.iter().map(|d| eval(d).map(|v| v as usize)).collect::<Result<Vec<_>>>()?);
    }
    let mut mem = Memory {
        inputs: inputs.iter().map(|t| t.to_bytes()).collect(),
        outputs: e
            .outputs
            .iter()
            .zip(&out_shapes)
            .map(|(o, s)| vec![0u8; s.iter().product::<usize>() * o.dtype.size()])
            .collect(),
        workspace: vec![0u8; eval(&e.workspace_bytes)? as usize],
        constants: module.constants.iter().map(|(k, v)| (k.as_str(), v.to_bytes())).collect(),
    };
    for step in &e.steps {
        run_step(module, step, &env, &mut mem)?;
    }
    e.outputs
        .iter()
        .zip(&out_shapes)
        .zip(&mem.outputs)
        .map(|((o, s), bytes)| NDArray::from_bytes(o.dtype, s, bytes).map_err(Error::msg))
        .collect()
}

/// Rank and dtype checks first (so no shape entry is read before its rank is
/// known), then dims bound to input dims, then the dim checks (so an element
/// is read only from an input known to hold it), then dims bound to input
/// elements, then the remaining checks in order.
fn run_checks(e: &EntryFunc, inputs: &[NDArray]) -> Result<DimEnv> {
    let fail = |i: usize, c: &Check| Err(Error::msg(format!("{}: check {} failed: {c:?}", e.name, i + 1)));
    let mut env = DimEnv::new();
    let bind = |env: &mut DimEnv, elements: bool| -> Result<()> {
        for b in &e.bindings {
            let value = match &b.from {
                DimSource::Axis(axis) if !elements => inputs[b.input].shape()[*axis] as i64,
                DimSource::Element(index) if elements => inputs[b.input].get(*index).to_i64(),
                DimSource::ScaledElement { index, factor } if elements => {
                    let factor = factor.eval(env).ok_or_else(|| Error::msg(format!("cannot evaluate {factor}")))?;
                    crate::interp::graph::scaled_value(inputs[b.input].get(*index).to_f64(), factor)
                }
                DimSource::Derived(d) if elements => {
                    d.eval(env).ok_or_else(|| Error::msg(format!("{}: cannot evaluate {} = {d}", e.name, b.var)))?
                }
                _ => continue,
            };
            env.insert(b.var.clone(), value);
        }
        Ok(())
    };
    for phase in 0..4 {
        match phase {
            1 => bind(&mut env, false)?,
            3 => bind(&mut env, true)?,
            _ => {}
        }
        for (i, c) in e.checks.iter().enumerate() {
            let ok = match (phase, c) {
                (0, Check::Rank { input }) => inputs[*input].shape().len() == e.inputs[*input].shape.len(),
                (0, Check::DType { input }) => inputs[*input].dtype() == e.inputs[*input].dtype,
                (2, Check::Dim { input, axis, expected }) => {
                    expected.eval(&env) == Some(inputs[*input].shape()[*axis] as i64)
                }
                (3, Check::DimMax { var, max }) => env.get(var).is_some_and(|v| v <= max),
                (3, Check::NonNegative { expr, .. }) => expr.eval(&env).is_some_and(|v| v >= 0),
                (3, Check::Equal { lhs, rhs, .. }) => lhs.eval(&env).is_some() && lhs.eval(&env) == rhs.eval(&env),
                _ => true,
            };
            if !ok {
                return fail(i, c);
            }
        }
    }
    Ok(env)
}

fn run_step(module: &IRModule, step: &Step, env: &DimEnv, mem: &mut Memory<'_>) -> Result<()> {
    let eval = |d: &Dim| d.eval(env).ok_or_else(|| Error::msg(format!("cannot evaluate {d}")));
    match step {
        Step::Call { func, args, dims } => {
            let f = module.prim_func(func).ok_or_else(|| Error::msg(format!("no prim fn `{func}`")))?;
            let dim_values: Vec<i64> = dims.iter().map(eval).collect::<Result<_>>()?;
            let local: DimEnv = f.dims.iter().cloned().zip(dim_values.iter().copied()).collect();
            let mut buffers = Vec::new();
            for (p, r) in f.params.iter().zip(args) {
                let shape: Vec<usize> = p
                    .shape
                    .iter()
                    .map(|d| d.eval(&local).map(|v| v.max(0) as usize))
                    .collect::<Option<_>>()
                    .ok_or_else(|| Error::msg(format!("{func}: cannot size buffer `{}`", p.name)))?;
                let len = shape.iter().product::<usize>() * p.dtype.size();
                let bytes = mem.region(r, len, env)?;
                buffers.push(NDArray::from_bytes(p.dtype, &shape, bytes).map_err(Error::msg)?);
            }
            run_prim_func(f, &mut buffers, &dim_values)?;
            let first_out = f.params.len() - f.num_outputs;
            for (r, b) in args[first_out..].iter().zip(&buffers[first_out..]) {
                let bytes = b.to_bytes();
                mem.region_mut(r, bytes.len(), env)?.copy_from_slice(&bytes);
            }
            Ok(())
        }
        Step::Copy { src, dst, bytes } => {
            let n = eval(bytes)? as usize;
            let data = mem.region(src, n, env)?.to_vec();
            mem.region_mut(dst, n, env)?.copy_from_slice(&data);
            Ok(())
        }
        Step::If { cond, then_steps, else_steps } => {
            let taken = if mem.region(cond, 1, env)?[0] != 0 { then_steps } else { else_steps };
            taken.iter().try_for_each(|s| run_step(module, s, env, mem))
        }
        Step::Loop { var, trips, cond, body } => {
            let mut inner = env.clone();
            for i in 0..eval(trips)?.max(0) {
                if let Some(cond) = cond {
                    if mem.region(cond, 1, env)?[0] == 0 {
                        break;
                    }
                }
                inner.insert(var.clone(), i);
                body.iter().try_for_each(|s| run_step(module, s, &inner, mem))?;
            }
            Ok(())
        }
    }
}

/// Which store a buffer lives in.
enum Store<'r> {
    Input(usize),
    Output(usize),
    Workspace,
    Constant(&'r str),
}

/// The store of `r` and the byte offset in it (offsets into offsets add up).
fn resolve<'r>(r: &'r BufRef, env: &DimEnv) -> Result<(Store<'r>, usize)> {
    Ok(match r {
        BufRef::Input(i) => (Store::Input(*i), 0),
        BufRef::Output(i) => (Store::Output(*i), 0),
        BufRef::Workspace(off) => (Store::Workspace, eval_offset(off, env)?),
        BufRef::Constant(c) => (Store::Constant(c), 0),
        BufRef::Offset(base, by) => {
            let (store, offset) = resolve(base, env)?;
            (store, offset + eval_offset(by, env)?)
        }
    })
}

impl<'m> Memory<'m> {
    fn region(&self, r: &BufRef, len: usize, env: &DimEnv) -> Result<&[u8]> {
        let (store, offset) = resolve(r, env)?;
        let store = match store {
            Store::Input(i) => &self.inputs[i],
            Store::Output(i) => &self.outputs[i],
            Store::Workspace => &self.workspace,
            Store::Constant(c) => self.constants.get(c).ok_or_else(|| Error::msg(format!("no constant `{c}`")))?,
        };
        store.get(offset..offset + len).ok_or_else(|| out_of_bounds(r, offset, len, store.len()))
    }

    fn region_mut(&mut self, r: &BufRef, len: usize, env: &DimEnv) -> Result<&mut [u8]> {
        let (store, offset) = resolve(r, env)?;
        let store = match store {
            Store::Output(i) => &mut self.outputs[i],
            Store::Workspace => &mut self.workspace,
            Store::Input(_) | Store::Constant(_) => {
                return Err(Error::msg(format!("generated code would write to read-only {r:?}")))
            }
        };
        let size = store.len();
        store.get_mut(offset..offset + len).ok_or_else(|| out_of_bounds(r, offset, len, size))
    }
}

fn eval_offset(off: &Dim, env: &DimEnv) -> Result<usize> {
    off.eval(env).map(|v| v as usize).ok_or_else(|| Error::msg(format!("cannot evaluate offset {off}")))
}

fn out_of_bounds(r: &BufRef, offset: usize, len: usize, size: usize) -> Error {
    Error::msg(format!("{r:?}: bytes {offset}..{} are outside its {size} bytes", offset + len))
}
