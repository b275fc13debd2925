//! The reference interpreter: runs any module at any stage of the pipeline.
//!
//! Graph functions are evaluated binding by binding ([`graph`]); operator calls
//! use each operator's reference semantics, `call_tir` runs the loop-level
//! function ([`tir`]), and native entries are simulated over a real byte arena
//! ([`entry`]), so a memory plan that overlaps live buffers gives wrong answers
//! here exactly as it would in native code. Every pass is tested by running the
//! module before and after it.

pub mod entry;
pub mod graph;
pub mod shape;
pub mod tir;

pub use entry::run_entry;
pub use graph::{run_function, Value};
