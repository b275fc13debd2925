//! `relax-targets`: code generation for relax-rs. Loop-level kernels
//! (`PrimFunc`s) and native entries (`EntryFunc`s) of an `IRModule` become
//! LLVM IR, then an object file for x86_64, aarch64 or wasm32; objects are
//! packed into a static archive the user's crate links. No graph-level
//! knowledge lives here.
//!
//! - [`target`]: triples, CPUs and features, one file per architecture;
//! - `llvm`: the code generator (kernels, scalar semantics, the math library
//!   that keeps archives free of libm, the executor, optimization);
//! - [`archive`]: static libraries with a symbol table;
//! - [`jit`]: running generated code in-process (tests, tools).

pub mod archive;
mod error;
pub mod jit;
mod llvm;
pub mod target;

pub use archive::write_archive;
pub use error::CodegenError;
pub use llvm::Constants;
pub use target::Target;

use inkwell::context::Context;
use relax_compiler::IRModule;

/// Compiles `module`'s entries (and the kernels and constants they use) to an
/// object file for `target`. Each entry `f` exports `{symbol_prefix}_f` and
/// `{symbol_prefix}_f_prepare` with the C ABI of `relax_rt::abi`.
pub fn emit_object(module: &IRModule, target: &Target, symbol_prefix: &str) -> Result<Vec<u8>, CodegenError> {
    emit_object_with(module, target, symbol_prefix, Constants::Embedded)
}

/// [`emit_object`] with a choice of where the constants live: embedded in the
/// object, or ([`Constants::Table`]) loaded by the caller and passed to each
/// run function as a pointer table (see `relax_rt::weights`).
pub fn emit_object_with(
    module: &IRModule,
    target: &Target,
    symbol_prefix: &str,
    constants: Constants,
) -> Result<Vec<u8>, CodegenError> {
    let context = Context::create();
    let compiled = llvm::compile(&context, module, target, symbol_prefix, llvm::Exports::Entries, constants)?;
    llvm::object_code(&compiled.module, &compiled.machine)
}

/// The optimized LLVM IR [`emit_object`] would compile, as text (for
/// `RELAX_DUMP` and debugging vectorization).
pub fn emit_llvm_ir(module: &IRModule, target: &Target, symbol_prefix: &str) -> Result<String, CodegenError> {
    let context = Context::create();
    let compiled = llvm::compile(&context, module, target, symbol_prefix, llvm::Exports::Entries, Constants::Embedded)?;
    Ok(compiled.module.print_to_string().to_string())
}
