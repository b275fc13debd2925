//! `relax`: one dependency for users. Re-exports the runtime ([`relax_rt`]) and
//! the [`relax!`] macro.
pub use relax_macros::relax;
pub use relax_rt as rt;
pub use relax_rt::{DType, DynTensor, Error, Tensor, TensorView, TensorViewMut, Workspace};
