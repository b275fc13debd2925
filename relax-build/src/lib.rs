//! `relax-build`: the driver. Turns a model source into the artifacts a crate
//! links: `lib<name>.a` (native code for the crate's target), `<name>.rs` (the
//! typed Rust wrapper) and `<name>.h` (a C header for the same archive).
//!
//! From `build.rs`:
//! ```no_run
//! relax_build::Model::from_file("model.relax").build().unwrap();
//! ```
//! then `include!(concat!(env!("OUT_DIR"), "/model.rs"));` in the crate. For the
//! `relax!` macro, call [`configure`] from `build.rs` so the macro knows the
//! target and where to put the archive.

mod cache;
mod cargo;
mod header;
mod model;
mod weights;
mod wrapper;

pub use cargo::{configure, BuildEnv};
pub use model::{Artifacts, CompileOptions, Model};
pub use relax_compiler::{Error, Source};
pub use relax_targets::Target;
