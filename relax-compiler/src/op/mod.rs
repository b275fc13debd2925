//! Operators. Each is one [`OpDef`] in `op/<family>.rs` holding everything the
//! compiler knows about it: struct-info inference, reference semantics (used by
//! the interpreter and constant folding) and legalization to a loop-level
//! function. Adding an operator is one definition plus one line in its family's
//! `OPS` list.

pub mod compute;
pub mod dims;
pub mod elementwise;
pub mod formula;
pub mod indexing;
pub mod linalg;
pub mod manipulate;
pub mod nn;
pub mod recurrent;
pub mod reduce;
pub mod sort;
pub mod spatial;
#[cfg(test)]
pub mod testing;

use crate::ir::{Attrs, PrimFunc, StructInfo, TensorInfo};
use crate::ndarray::NDArray;

/// How an operator's output relates to its inputs; fusion decides by this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Output element i depends only on input element i (same shapes).
    ElemWise,
    /// Element-wise after numpy broadcasting.
    Broadcast,
    /// Each output element reads one input element (reshape, transpose, slice...).
    Injective,
    /// Reduces over axes (sum, max, softmax's row reductions).
    Reduction,
    /// Matmul and convolution: an element-wise epilogue may fuse into them.
    OutEWiseFusable,
    /// Anything else.
    Opaque,
}

/// Infers the result's struct info; the error is a sentence for the user.
pub type InferFn = fn(&[TensorInfo], &Attrs) -> Result<StructInfo, String>;
/// Reference semantics on concrete tensors; returns one tensor per output.
pub type EvalFn = fn(&[&NDArray], &Attrs) -> Result<Vec<NDArray>, String>;
/// Builds the loop-level function: params are the inputs (`in0`, `in1`, ...)
/// then the outputs (`out`, or `out0`, `out1`, ... for several).
pub type LegalizeFn = fn(&[TensorInfo], &Attrs, &[TensorInfo]) -> Result<PrimFunc, String>;

pub struct OpDef {
    pub name: &'static str,
    pub kind: OpKind,
    pub infer: InferFn,
    pub eval: EvalFn,
    pub legalize: LegalizeFn,
}

impl std::fmt::Debug for OpDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpDef({})", self.name)
    }
}

/// Every operator family's list, in one place.
const FAMILIES: &[&[OpDef]] = &[
    elementwise::OPS,
    reduce::OPS,
    linalg::OPS,
    nn::OPS,
    manipulate::OPS,
    spatial::OPS,
    indexing::OPS,
    sort::OPS,
    dims::OPS,
    recurrent::OPS,
];

/// The operator called `name`, if there is one.
pub fn lookup(name: &str) -> Option<&'static OpDef> {
    FAMILIES.iter().flat_map(|f| f.iter()).find(|op| op.name == name)
}

/// All operators, for listings and tests.
pub fn all() -> impl Iterator<Item = &'static OpDef> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{AttrValue, Dim};
    use relax_rt::DType;

    /// Whether `message` starts with `op: ` exactly once.
    fn names_op_once(op: &str, message: &str) -> bool {
        let prefix = format!("{op}: ");
        message.strip_prefix(&prefix).is_some_and(|rest| !rest.starts_with(&prefix))
    }

    #[test]
    fn every_operator_error_starts_with_its_name_once() {
        let matrix = TensorInfo::new(DType::F32, vec![Dim::Int(2), Dim::Int(2)]);
        let unknown_attr = Attrs::new().with("no_such_attribute", AttrValue::Int(1));
        for op in all() {
            // No arguments, then one matrix with an attribute no operator takes.
            for (args, attrs) in [(vec![], Attrs::new()), (vec![matrix.clone()], unknown_attr.clone())] {
                let err = (op.infer)(&args, &attrs).expect_err("inference should fail");
                assert!(names_op_once(op.name, &err), "{}: {err}", op.name);
            }
            let err = (op.eval)(&[], &Attrs::new()).expect_err("evaluation should fail");
            assert!(names_op_once(op.name, &err), "{} eval: {err}", op.name);
        }
    }
}
