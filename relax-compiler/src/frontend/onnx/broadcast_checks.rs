//! Broadcasts the compiler cannot prove, checked at run time.
//!
//! Exported graphs combine tensors whose dims are equal only by the model's
//! own logic: GPT-2 applies a causal mask sliced to `min(S, 1024)` rows to
//! scores with `S` rows, which is fine exactly when `S <= 1024`. ONNX allows
//! such a pair when the dims are equal or one of them is 1; when neither is
//! provably 1 the importer takes them to be equal and states it with a
//! `match_cast`, so a call that breaks the model's assumption (here a sequence
//! longer than the mask) is a run-time error naming the check, never a wrong
//! read. A dim that is 1 at run time against another that is not is refused the
//! same way, which is stricter than ONNX but never silent.

use super::context::NodeCtx;
use super::value::Value;
use crate::ir::{Dim, TensorInfo};

impl NodeCtx<'_, '_> {
    /// `args` of a broadcasting operator, each cast where one of its dims
    /// cannot be proven to match the others'.
    pub fn broadcast_checked(&mut self, args: &[Value]) -> Result<Vec<Value>, String> {
        let infos: Vec<TensorInfo> = args.iter().map(Value::info).collect();
        let rank = infos.iter().map(TensorInfo::rank).max().unwrap_or(0);
        let targets: Vec<Option<Dim>> = (0..rank).map(|axis| agreed_dim(&infos, rank, axis)).collect();
        let mut out = Vec::with_capacity(args.len());
        for (arg, info) in args.iter().zip(&infos) {
            let offset = rank - info.rank();
            let mut shape = info.shape.clone();
            for (axis, dim) in shape.iter_mut().enumerate() {
                match &targets[offset + axis] {
                    Some(target) if dim.as_int().is_none() && !dim.proven_eq(target) => *dim = target.clone(),
                    _ => {}
                }
            }
            out.push(match shape == info.shape {
                true => arg.clone(),
                false => self.match_cast(arg.clone(), shape)?,
            });
        }
        Ok(out)
    }
}

/// The dim every argument's symbolic dim at output axis `axis` must equal: the
/// simplest one there that is not 1 (a number if there is one). Dims of 1
/// broadcast as ONNX says; dims that are provably equal need no check.
fn agreed_dim(infos: &[TensorInfo], rank: usize, axis: usize) -> Option<Dim> {
    let dims = infos.iter().filter_map(|info| axis.checked_sub(rank - info.rank()).map(|a| &info.shape[a]));
    dims.filter(|d| d.as_int() != Some(1)).min_by_key(|d| (d.as_int().is_none(), d.to_string().len())).cloned()
}
