//! `relax-compiler`: the compiler core, with no LLVM in it.
//!
//! Source text ([`text`]) becomes an [`ir::IRModule`]; [`pipeline`] runs the
//! passes ([`pass`]) that check it, optimize it, legalize operators ([`op`]) to
//! loop-level functions and lower each exported function to a native entry.
//! [`interp`] runs any module at any stage; it is the oracle every pass is
//! tested against.

pub mod error;
pub mod frontend;
pub mod interp;
pub mod ir;
pub mod ndarray;
pub mod op;
pub mod pass;
pub mod pipeline;
pub mod text;
pub mod verify;

pub use error::{Error, Result, Source, Span};
pub use ir::IRModule;
pub use ndarray::{NDArray, Scalar};
