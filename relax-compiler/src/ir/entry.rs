//! The executor IR: one `EntryFunc` per exported graph function, produced by the
//! last pass (`lower_entries`). It is an AOT executor, not a VM: a fixed list of
//! checks, symbolic-dim bindings and kernel calls on planned workspace offsets,
//! which codegen turns into straight-line native code.

use super::dim::Dim;
use relax_rt::DType;

#[derive(Clone, Debug, PartialEq)]
pub struct EntryParam {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<Dim>,
}

/// `var` takes its value from `inputs[input].shape[axis]`.
#[derive(Clone, Debug, PartialEq)]
pub struct DimBinding {
    pub var: String,
    pub input: usize,
    pub axis: usize,
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
}

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Calls a `PrimFunc` with buffers (inputs then outputs) and dim values.
    Call { func: String, args: Vec<BufRef>, dims: Vec<Dim> },
    /// Copies `bytes` bytes (for results that are inputs or constants).
    Copy { src: BufRef, dst: BufRef, bytes: Dim },
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
