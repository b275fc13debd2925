//! Where each value of a legalized function lives, and for how long: the
//! analysis memory planning and entry lowering share.
//!
//! A *storage* is one tensor a kernel writes: the variable's name, or
//! `name.k` for the k-th output of a multi-output kernel. Tuples, tuple
//! projections and `let y = x` create no storage; they alias existing ones.

use crate::error::{Error, Result};
use crate::ir::{Callee, Expr, ExprKind, Function, StructInfo, TensorInfo};
use std::collections::HashMap;

pub type Storage = String;

/// What a variable's value is made of.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Storage(Storage),
    Param(usize),
    Constant(String),
}

pub struct StorageMap {
    /// For each binding (in order), the storages its kernel writes.
    pub produced_by_binding: Vec<Vec<Storage>>,
    /// The function result, flattened to tensors.
    pub outputs: Vec<Source>,
    /// Names for the flattened results (the variable names in the source).
    pub output_names: Vec<String>,
    values: HashMap<String, Vec<Source>>,
    tensors: HashMap<Storage, TensorInfo>,
    last_uses: HashMap<Storage, usize>,
}

impl StorageMap {
    pub fn tensor(&self, s: &Storage) -> &TensorInfo {
        &self.tensors[s]
    }

    /// Index of the last binding that reads `s` (its defining binding if none does).
    pub fn last_use(&self, s: &Storage) -> usize {
        self.last_uses[s]
    }

    pub fn is_output(&self, s: &Storage) -> bool {
        self.outputs.iter().any(|o| matches!(o, Source::Storage(x) if x == s))
    }

    /// The tensors an atom (variable or constant) is made of.
    pub fn sources(&self, e: &Expr) -> Result<Vec<Source>> {
        match &e.kind {
            ExprKind::Var(v) => self.values.get(v).cloned().ok_or_else(|| Error::new(e.span, format!("unknown `{v}`"))),
            ExprKind::Constant(c) => Ok(vec![Source::Constant(c.clone())]),
            _ => Err(Error::new(e.span, "expected a variable or a constant (is the function normalized?)")),
        }
    }
}

/// Analyzes a legalized function: every binding must be a `call_tir`, a tuple,
/// a projection or an alias; anything else cannot run natively yet.
pub fn storage_of(f: &Function) -> Result<StorageMap> {
    let mut map = StorageMap {
        produced_by_binding: Vec::new(),
        outputs: Vec::new(),
        output_names: Vec::new(),
        values: HashMap::new(),
        tensors: HashMap::new(),
        last_uses: HashMap::new(),
    };
    for (i, p) in f.params.iter().enumerate() {
        if p.sinfo.as_tensor().is_none() {
            return Err(Error::new(p.span, format!("parameter `{}` must be a tensor to be called natively", p.name)));
        }
        map.values.insert(p.name.clone(), vec![Source::Param(i)]);
    }
    for (i, b) in f.body.bindings().enumerate() {
        let produced = bind(&mut map, i, &b.var.name, &b.var.sinfo, &b.value)?;
        map.produced_by_binding.push(produced);
    }
    map.outputs = map.sources(&f.body.result)?;
    map.output_names = result_names(f, map.outputs.len());
    Ok(map)
}

fn bind(map: &mut StorageMap, i: usize, name: &str, sinfo: &StructInfo, value: &Expr) -> Result<Vec<Storage>> {
    let reads = |map: &mut StorageMap, e: &Expr| -> Result<Vec<Source>> {
        let sources = map.sources(e)?;
        for s in &sources {
            if let Source::Storage(st) = s {
                map.last_uses.insert(st.clone(), i);
            }
        }
        Ok(sources)
    };
    let sources = match &value.kind {
        ExprKind::Call(c) if matches!(c.callee, Callee::Tir(_)) => {
            for a in &c.args {
                reads(map, a)?;
            }
            let tensors = sinfo.tensors();
            let names: Vec<Storage> = if matches!(sinfo, StructInfo::Tuple(_)) {
                (0..tensors.len()).map(|k| format!("{name}.{k}")).collect()
            } else {
                vec![name.to_string()]
            };
            for (n, t) in names.iter().zip(tensors) {
                map.tensors.insert(n.clone(), t.clone());
                map.last_uses.insert(n.clone(), i);
            }
            map.values.insert(name.to_string(), names.iter().cloned().map(Source::Storage).collect());
            return Ok(names);
        }
        ExprKind::Tuple(items) => {
            let mut all = Vec::new();
            for it in items {
                all.extend(reads(map, it)?);
            }
            all
        }
        ExprKind::GetItem(t, k) => {
            let all = reads(map, t)?;
            let item = all.get(*k).cloned().ok_or_else(|| Error::new(value.span, format!("no element {k}")))?;
            vec![item]
        }
        ExprKind::Var(_) | ExprKind::Constant(_) => reads(map, value)?,
        _ => {
            return Err(Error::new(
                value.span,
                "this expression cannot be compiled to native code yet (only operator calls, tuples and \
                 projections are lowered; calls between functions and `if` run in the interpreter only)",
            ))
        }
    };
    map.values.insert(name.to_string(), sources);
    Ok(Vec::new())
}

/// Output names: the result variable, or, when it is a tuple, each element's
/// variable (falling back to `name.k` for elements that are not variables).
fn result_names(f: &Function, count: usize) -> Vec<String> {
    let result = &f.body.result;
    let tuple_items = result.as_var().and_then(|v| {
        f.body.bindings().find(|b| b.var.name == v).and_then(|b| match &b.value.kind {
            ExprKind::Tuple(items) if items.len() == count => Some(items),
            _ => None,
        })
    });
    let atom_name = |e: &Expr| match &e.kind {
        ExprKind::Var(v) | ExprKind::Constant(v) => Some(v.clone()),
        _ => None,
    };
    match (&result.kind, tuple_items) {
        (_, Some(items)) => {
            let base = result.as_var().unwrap_or("output");
            items.iter().enumerate().map(|(k, e)| atom_name(e).unwrap_or_else(|| format!("{base}.{k}"))).collect()
        }
        (ExprKind::Var(v) | ExprKind::Constant(v), None) if count == 1 => vec![v.clone()],
        (ExprKind::Var(v), None) => (0..count).map(|k| format!("{v}.{k}")).collect(),
        _ => (0..count).map(|k| format!("output{k}")).collect(),
    }
}
