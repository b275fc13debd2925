//! `plan_memory`: places every intermediate tensor in one workspace arena.
//!
//! Offsets and the arena size are symbolic expressions in the function's dims
//! (`n * 128`), so one plan serves every input size; with static shapes they
//! are constants. A tensor reuses the space of one that is dead when the
//! simplifier proves the old block is at least as large. Function results are
//! not planned: kernels write them straight into the caller's output tensors.

use super::storage::{storage_of, Storage};
use crate::error::{Error, Result};
use crate::ir::{Dim, Function, IRModule, MemoryPlan};
use relax_rt::abi::WORKSPACE_ALIGN;

pub fn run(mut module: IRModule) -> Result<IRModule> {
    let mut errors = Vec::new();
    for f in module.functions.iter_mut().filter(|f| f.public) {
        match plan(f) {
            Ok(p) => f.memory = Some(p),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(module)
    } else {
        Err(Error::many(errors))
    }
}

/// A free region of the arena.
struct Block {
    offset: Dim,
    size: Dim,
}

/// Rounds a byte count up to the workspace alignment.
fn aligned(bytes: &Dim) -> Dim {
    let a = WORKSPACE_ALIGN as i64;
    ((bytes.clone() + (a - 1)).floor_div(a) * a).simplify()
}

/// Whether `block` provably has room for `size` bytes.
fn fits(block: &Dim, size: &Dim) -> bool {
    matches!((block.clone() - size.clone()).simplify(), Dim::Int(v) if v >= 0)
}

fn plan(f: &Function) -> Result<MemoryPlan> {
    let storage = storage_of(f)?;
    let mut free: Vec<Block> = Vec::new();
    let mut live: Vec<(Storage, Dim, Dim)> = Vec::new();
    let mut top = Dim::Int(0);
    let mut offsets = Vec::new();
    for (i, produced) in storage.produced_at.iter().enumerate() {
        // Tensors last read before position `i` give their space back.
        live.retain(|(s, offset, size)| {
            let dead = storage.last_use(s) < i;
            if dead {
                free.push(Block { offset: offset.clone(), size: size.clone() });
            }
            !dead
        });
        for s in produced.iter().filter(|s| !storage.is_output(s)) {
            let size = aligned(&storage.tensor(s).bytes());
            let offset = match free.iter().position(|b| fits(&b.size, &size)) {
                Some(k) => free.swap_remove(k).offset,
                None => {
                    let offset = top.clone();
                    top = (top + size.clone()).simplify();
                    offset
                }
            };
            offsets.push((s.clone(), offset.clone()));
            live.push((s.clone(), offset, size));
        }
    }
    Ok(MemoryPlan { workspace_bytes: top, offsets })
}
