//! The executor IR: one `EntryFunc` per exported graph function, produced by the
//! last pass (`lower_entries`). It is an AOT executor, not a VM: a fixed list of
//! checks, symbolic-dim bindings and kernel calls on planned workspace offsets,
//! which codegen turns into straight-line native code.

use super::dim::Dim;
use super::dim_range::{range_of, Range};
use relax_rt::DType;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq)]
pub struct EntryParam {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<Dim>,
}

/// `var` takes its value from input `input`: one of its dims, or one of its
/// elements (an integer parameter whose values are dims, see
/// `ir::ValueDims`). Element bindings are read after every `Check::Dim`, so
/// the input is known to hold the element.
#[derive(Clone, Debug, PartialEq)]
pub struct DimBinding {
    pub var: String,
    pub input: usize,
    pub from: DimSource,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DimSource {
    /// `inputs[input].shape[axis]`.
    Axis(usize),
    /// `inputs[input].data[index]`, an i32 or i64 element, as i64 (a bool as 0 or 1).
    Element(usize),
    /// `floor(inputs[input].data[index] * factor)` for an f32 or f64 input.
    ScaledElement { index: usize, factor: Dim },
    /// An expression of dims bound before it (`input` is unused).
    Derived(Dim),
}

impl DimBinding {
    pub fn axis(var: &str, input: usize, axis: usize) -> DimBinding {
        DimBinding { var: var.to_string(), input, from: DimSource::Axis(axis) }
    }
}

/// A run-time check; its id (the native return code) is its index + 1. Mirrors
/// `relax_rt::invoke::Check`, which turns ids back into messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    Rank {
        input: usize,
    },
    DType {
        input: usize,
    },
    /// `inputs[input].shape[axis] == expected` (after dims are bound).
    Dim {
        input: usize,
        axis: usize,
        expected: Dim,
    },
    /// Two dim expressions must agree (a `match_cast` the compiler could not
    /// prove); `context` says which.
    Equal {
        lhs: Dim,
        rhs: Dim,
        context: String,
    },
    /// A symbolic dim must not exceed its declared bound (`#[dim_max(var = max)]`).
    DimMax {
        var: String,
        max: i64,
    },
    /// An output dim computed from the inputs must not be negative.
    NonNegative {
        output: usize,
        axis: usize,
        expr: Dim,
    },
    /// The caller's output tensor has the right rank, dtype and shape (run only).
    Output {
        output: usize,
    },
    /// The caller's workspace is large enough (run only).
    Workspace,
}

/// Where a kernel argument lives.
#[derive(Clone, Debug, PartialEq)]
pub enum BufRef {
    Input(usize),
    Output(usize),
    /// At this byte offset in the workspace arena.
    Workspace(Dim),
    /// A module constant (emitted as 64-byte aligned read-only data).
    Constant(String),
    /// This many bytes into another buffer: row `i` of a tensor a loop scans
    /// or stacks (the offset is an expression of the loop's variable).
    Offset(Box<BufRef>, Dim),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Calls a `PrimFunc` with buffers (inputs then outputs) and dim values.
    Call { func: String, args: Vec<BufRef>, dims: Vec<Dim> },
    /// Copies `bytes` bytes (for results that are inputs or constants, and
    /// for the results of branches).
    Copy { src: BufRef, dst: BufRef, bytes: Dim },
    /// Runs `then_steps` if the bool (one byte) at `cond` is non-zero, else
    /// `else_steps`: a graph-level `if`. Each branch ends by copying its
    /// result into the storage of the `if`'s value.
    If { cond: BufRef, then_steps: Vec<Step>, else_steps: Vec<Step> },
    /// Runs `body` `trips` times with dim `var` = 0, 1, ..: a graph-level
    /// loop. The body copies slices in and results out itself. With `cond`,
    /// a while loop: it stops before an iteration when the bool (one byte)
    /// at `cond` is zero.
    Loop { var: String, trips: Dim, cond: Option<BufRef>, body: Vec<Step> },
}

impl Step {
    /// The step lists nested in this step.
    pub fn bodies(&self) -> Vec<&[Step]> {
        match self {
            Step::Call { .. } | Step::Copy { .. } => vec![],
            Step::If { then_steps, else_steps, .. } => vec![then_steps, else_steps],
            Step::Loop { body, .. } => vec![body],
        }
    }
}

/// The kernels `steps` call, nested steps included.
pub fn called_kernels(steps: &[Step]) -> Vec<String> {
    let mut out = Vec::new();
    for s in steps {
        if let Step::Call { func, .. } = s {
            out.push(func.clone());
        }
        for body in s.bodies() {
            out.extend(called_kernels(body));
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub struct EntryFunc {
    /// The graph function's name; native symbols derive from it.
    pub name: String,
    pub inputs: Vec<EntryParam>,
    pub outputs: Vec<EntryParam>,
    pub bindings: Vec<DimBinding>,
    pub checks: Vec<Check>,
    pub workspace_bytes: Dim,
    pub steps: Vec<Step>,
}

impl Step {
    /// The buffers the step reads or writes, its nested steps' included.
    pub fn buffers(&self) -> Vec<&BufRef> {
        let mut out: Vec<&BufRef> = match self {
            Step::Call { args, .. } => args.iter().collect(),
            Step::Copy { src, dst, .. } => vec![src, dst],
            Step::If { cond, .. } => vec![cond],
            Step::Loop { cond, .. } => cond.iter().collect(),
        };
        for body in self.bodies() {
            out.extend(body.iter().flat_map(Step::buffers));
        }
        out
    }
}

impl BufRef {
    /// The constant this buffer is (or is a row of).
    pub fn constant(&self) -> Option<&String> {
        match self {
            BufRef::Constant(name) => Some(name),
            BufRef::Offset(base, _) => base.constant(),
            _ => None,
        }
    }
}

/// The module constants `entries` read, sorted by name: the order of the
/// pointer table a native entry takes when its constants are loaded at run
/// time instead of embedded (`relax_rt::weights`). Codegen, the weights file
/// writer, the wrapper and the header all derive the table from here.
pub fn constant_table(entries: &[EntryFunc]) -> Vec<String> {
    let names: std::collections::BTreeSet<&String> =
        entries.iter().flat_map(|e| &e.steps).flat_map(Step::buffers).filter_map(BufRef::constant).collect();
    names.into_iter().cloned().collect()
}

impl EntryFunc {
    /// The bound of each dim with a `Check::DimMax`.
    pub fn dim_bounds(&self) -> impl Iterator<Item = (&str, i64)> {
        self.checks.iter().filter_map(|c| match c {
            Check::DimMax { var, max } => Some((var.as_str(), *max)),
            _ => None,
        })
    }

    /// A workspace size enough for every call the entry accepts: `Some` when
    /// the size depends only on dims read from input shapes (so at least 0)
    /// that have a bound, and on dims derived from those. Callers can then
    /// allocate once instead of asking `prepare` per call.
    pub fn max_workspace_bytes(&self) -> Option<u64> {
        let bounds: HashMap<&str, i64> = self.dim_bounds().collect();
        let mut ranges: HashMap<String, Range> = HashMap::new();
        for b in &self.bindings {
            let range = match &b.from {
                DimSource::Axis(_) => bounds.get(b.var.as_str()).map(|&max| (0, max as i128)),
                DimSource::Derived(d) => range_of(d, &ranges),
                DimSource::Element(_) | DimSource::ScaledElement { .. } => None,
            };
            if let Some(range) = range {
                ranges.insert(b.var.clone(), range);
            }
        }
        let (_, hi) = range_of(&self.workspace_bytes, &ranges)?;
        u64::try_from(hi.max(0)).ok()
    }
}
