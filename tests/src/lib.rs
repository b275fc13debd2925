//! Helpers for the end-to-end tests: build an example crate for a target with
//! a nested cargo, run it there (natively, under `qemu-aarch64`, in-process
//! under `wasmtime`), read the numbers it prints, and compute what they should
//! be with the compiler's reference interpreter.

pub mod cargo_build;
pub mod compare;
pub mod error;
pub mod macro_source;
pub mod prereqs;
pub mod printed;
pub mod reference;
pub mod rejection;
pub mod run;
pub mod target;
pub mod wasm;
pub mod workspace;

pub use error::{Error, Result};
pub use target::Target;

/// Builds the example package `example` for `target` (once per process) and
/// runs it there, returning its standard output. Fails with the reason, and
/// how to fix it if a tool is missing, rather than skipping.
pub fn run_example(example: &str, target: Target) -> Result<String> {
    let context = format!("{example} on {target}");
    prereqs::check(target, workspace::root()).map_err(|e| e.context(&context))?;
    let executable = cargo_build::build_example(example, target).map_err(|e| e.context(&context))?;
    run::run_executable(&executable, target).map_err(|e| e.context(&context))
}
