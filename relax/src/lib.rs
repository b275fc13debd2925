//! `relax`: one dependency for users. Re-exports the runtime ([`rt`]) and the
//! [`relax!`] macro, which compiles a model written inline into native code.
//!
//! The crate's `build.rs` must call `relax_build::configure()`.

pub use relax_rt as rt;
pub use relax_rt::{DType, DynTensor, Error, Tensor, TensorView, TensorViewMut, Workspace};

#[doc(hidden)]
pub use relax_macros::relax as __relax_impl;

/// Compiles the model in the braces ahead of time and expands to its typed
/// module. See the crate docs for the syntax.
#[macro_export]
macro_rules! relax {
    ($($body:tt)*) => {
        $crate::__relax_impl! { runtime = $crate::rt; $($body)* }
    };
}
