//! Where each value of a legalized function lives, and for how long: the
//! analysis memory planning and entry lowering share.
//!
//! A *storage* is one tensor a kernel writes: the variable's name, or
//! `name.k` for the k-th output of a multi-output kernel (or of an `if`).
//! Tuples, tuple projections and `let y = x` create no storage; they alias
//! existing ones.

use crate::error::{Error, Result};
use crate::ir::{Callee, Expr, ExprKind, Function, LoopExpr, SeqExpr, StructInfo, TensorInfo};
use std::collections::{HashMap, HashSet};

pub type Storage = String;

/// What a variable's value is made of.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Storage(Storage),
    Param(usize),
    Constant(String),
}

pub struct StorageMap {
    /// For each position of the flattened function (see [`storage_of`]), the
    /// storages that come into existence there.
    pub produced_at: Vec<Vec<Storage>>,
    /// The function result, flattened to tensors.
    pub outputs: Vec<Source>,
    /// Names for the flattened results (the variable names in the source).
    pub output_names: Vec<String>,
    values: HashMap<String, Vec<Source>>,
    tensors: HashMap<Storage, TensorInfo>,
    defined_at: HashMap<Storage, usize>,
    last_uses: HashMap<Storage, usize>,
    /// Loops (by variable) whose next carried values go through staging
    /// storages `name.next{k}`, because one of them reads another's storage.
    staged_loops: HashSet<String>,
}

impl StorageMap {
    pub fn tensor(&self, s: &Storage) -> &TensorInfo {
        &self.tensors[s]
    }

    /// The last position that reads `s` (its defining position if none does).
    pub fn last_use(&self, s: &Storage) -> usize {
        self.last_uses[s]
    }

    /// Whether loop `name` copies its next carried values through `name.next{k}`.
    pub fn is_staged(&self, name: &str) -> bool {
        self.staged_loops.contains(name)
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

    /// The next position.
    fn position(&mut self) -> usize {
        self.produced_at.push(Vec::new());
        self.produced_at.len() - 1
    }

    /// Reads `e` at position `at`; returns what it is made of.
    fn read(&mut self, e: &Expr, at: usize) -> Result<Vec<Source>> {
        let sources = self.sources(e)?;
        for s in &sources {
            if let Source::Storage(st) = s {
                let last = self.last_uses.entry(st.clone()).or_insert(at);
                *last = (*last).max(at);
            }
        }
        Ok(sources)
    }

    /// New storages for variable `name` of type `sinfo` (`name`, or `name.k`
    /// for each tensor of a tuple), coming into existence at `at`.
    fn define(&mut self, name: &str, sinfo: &StructInfo, at: usize) -> Vec<Storage> {
        let tensors = sinfo.tensors();
        let names: Vec<Storage> = if matches!(sinfo, StructInfo::Tuple(_)) {
            (0..tensors.len()).map(|k| format!("{name}.{k}")).collect()
        } else {
            vec![name.to_string()]
        };
        for (n, t) in names.iter().zip(tensors) {
            self.tensors.insert(n.clone(), t.clone());
            self.defined_at.insert(n.clone(), at);
            self.last_uses.insert(n.clone(), at);
        }
        self.produced_at[at].extend(names.iter().cloned());
        self.values.insert(name.to_string(), names.iter().cloned().map(Source::Storage).collect());
        names
    }

    /// Storages defined before position `start` and read inside a construct
    /// spanning `start..end` (an `if`, a loop) stay live until `end`: the
    /// construct may read them from any of its parts, in any order.
    fn extend_reads_to(&mut self, start: usize, end: usize) {
        for (s, last) in self.last_uses.iter_mut() {
            if self.defined_at[s] < start && (start..end).contains(last) {
                *last = end;
            }
        }
    }
}

/// Analyzes a legalized function: every binding must be a `call_tir`, a
/// tuple, a projection, an alias, or an `if` or a loop whose bodies are made
/// of these.
///
/// The function is flattened into *positions*: one per binding, and for an
/// `if` a header (where its result storages come into existence), the
/// bindings of each branch, a position after each branch (where the branch's
/// result is copied into the `if`'s storages) and a footer; a loop likewise
/// (see `bind_loop`). Memory planning reuses space along this order; what a
/// construct reads from outside stays live until its footer.
pub fn storage_of(f: &Function) -> Result<StorageMap> {
    let mut map = StorageMap {
        produced_at: Vec::new(),
        outputs: Vec::new(),
        output_names: Vec::new(),
        values: HashMap::new(),
        tensors: HashMap::new(),
        defined_at: HashMap::new(),
        last_uses: HashMap::new(),
        staged_loops: HashSet::new(),
    };
    for (i, p) in f.params.iter().enumerate() {
        if p.sinfo.as_tensor().is_none() {
            return Err(Error::new(p.span, format!("parameter `{}` must be a tensor to be called natively", p.name)));
        }
        map.values.insert(p.name.clone(), vec![Source::Param(i)]);
    }
    walk_seq(&mut map, &f.body)?;
    let end = map.position();
    map.outputs = map.read(&f.body.result, end)?;
    map.output_names = result_names(f, map.outputs.len());
    Ok(map)
}

fn walk_seq(map: &mut StorageMap, seq: &SeqExpr) -> Result<()> {
    for b in seq.bindings() {
        bind(map, &b.var.name, &b.var.sinfo, &b.value)?;
    }
    Ok(())
}

fn bind(map: &mut StorageMap, name: &str, sinfo: &StructInfo, value: &Expr) -> Result<()> {
    let sources = match &value.kind {
        ExprKind::Call(c) if matches!(c.callee, Callee::Tir(_)) => {
            let at = map.position();
            for a in &c.args {
                map.read(a, at)?;
            }
            map.define(name, sinfo, at);
            return Ok(());
        }
        ExprKind::If { cond, then_branch, else_branch } => {
            let header = map.position();
            map.read(cond, header)?;
            let results = map.define(name, sinfo, header);
            for branch in [then_branch, else_branch] {
                walk_seq(map, branch)?;
                let copy = map.position();
                map.read(&branch.result, copy)?;
            }
            let footer = map.position();
            map.extend_reads_to(header, footer);
            for r in results {
                map.last_uses.insert(r, footer);
            }
            return Ok(());
        }
        ExprKind::Loop(l) => return bind_loop(map, name, sinfo, l),
        ExprKind::Tuple(items) => {
            let at = map.position();
            let mut all = Vec::new();
            for it in items {
                all.extend(map.read(it, at)?);
            }
            all
        }
        ExprKind::GetItem(t, k) => {
            let at = map.position();
            let all = map.read(t, at)?;
            let item = all.get(*k).cloned().ok_or_else(|| Error::new(value.span, format!("no element {k}")))?;
            vec![item]
        }
        ExprKind::Var(_) | ExprKind::Constant(_) => {
            let at = map.position();
            map.read(value, at)?
        }
        _ => {
            return Err(Error::new(
                value.span,
                "this expression cannot be compiled to native code yet (only operator calls, tuples, \
                 projections and `if` are lowered; calls between functions run in the interpreter only)",
            ))
        }
    };
    map.values.insert(name.to_string(), sources);
    Ok(())
}

/// A loop: its result storages (the carried state, updated in place, and
/// the stacked scan outputs) and one storage per slice come into existence at
/// a header; the body follows; its result is read at a tail position (copied
/// into the state and into row `i` of the scan outputs); a footer ends it.
fn bind_loop(map: &mut StorageMap, name: &str, sinfo: &StructInfo, l: &LoopExpr) -> Result<()> {
    let header = map.position();
    for (_, e) in l.carried.iter().chain(&l.scans) {
        map.read(e, header)?;
    }
    let mut defined = map.define(name, sinfo, header);
    for ((v, _), state) in l.carried.iter().zip(&defined) {
        map.values.insert(v.name.clone(), vec![Source::Storage(state.clone())]);
    }
    for (v, _) in &l.scans {
        defined.extend(map.define(&v.name, &v.sinfo, header));
    }
    walk_seq(map, &l.body)?;
    let tail = map.position();
    let next = map.read(&l.body.result, tail)?;
    // A next value that is another carried variable's storage would be
    // overwritten before it is copied: stage every next value first.
    let crosses = next.iter().take(l.carried.len()).enumerate().any(|(k, s)| {
        defined[..l.carried.len()].iter().enumerate().any(|(j, st)| j != k && *s == Source::Storage(st.clone()))
    });
    if crosses {
        map.staged_loops.insert(name.to_string());
        for (k, (v, _)) in l.carried.iter().enumerate() {
            defined.extend(map.define(&format!("{name}.next{k}"), &v.sinfo, header));
        }
    }
    let footer = map.position();
    map.extend_reads_to(header, footer);
    for s in defined {
        map.last_uses.insert(s, footer);
    }
    Ok(())
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
