//! Loop IR and executor IR to LLVM IR, by concept: [`codegen`] holds the shared
//! state, [`prim_func`] and [`stmt`] compile kernels, [`expr`] scalar
//! expressions (with [`cast`], [`int_ops`], [`float_ops`], [`narrow_float`]
//! and the [`math`] library), [`memory`] buffer access, [`entry`] the executor, [`constants`]
//! weights, and [`passes`] optimization and object emission.

mod cast;
mod codegen;
mod constants;
mod entry;
mod expr;
mod float_ops;
mod int_ops;
mod kernel_export;
mod math;
mod memory;
mod narrow_float;
mod passes;
mod prim_func;
mod scope;
mod stmt;

pub use constants::Constants;
pub(crate) use entry::symbol as entry_symbol;
pub(crate) use kernel_export::packed_name;
pub(crate) use passes::object_code;

use crate::error::{CodegenError, Result};
use crate::target::Target;
use codegen::Codegen;
use inkwell::context::Context;
use inkwell::module::Module;
use inkwell::targets::TargetMachine;
use relax_compiler::IRModule;

/// What besides the entries a module exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exports {
    /// Only the entries' `_prepare` and run functions (archives).
    Entries,
    /// Also a packed wrapper per kernel, to run kernels alone (the JIT).
    EntriesAndKernels,
}

/// An optimized module and the target machine that turns it into code.
pub(crate) struct Compiled<'ctx> {
    pub module: Module<'ctx>,
    pub machine: TargetMachine,
}

/// Generates, verifies and optimizes the module for `ir`.
pub(crate) fn compile<'ctx>(
    context: &'ctx Context,
    ir: &IRModule,
    target: &Target,
    symbol_prefix: &str,
    exports: Exports,
    constants: Constants,
) -> Result<Compiled<'ctx>> {
    check_symbol_part("symbol prefix", symbol_prefix, true)?;
    let machine = passes::target_machine(target)?;
    let mut cg = Codegen::new(context, &ir.name, target, &machine);
    if constants == Constants::Table {
        cg.constant_table = Some(relax_compiler::ir::entry::constant_table(&ir.entries));
    }

    let kernels = ir.prim_funcs.iter().map(|f| prim_func::declare(&cg, f)).collect::<Result<Vec<_>>>()?;
    for (f, &kernel) in ir.prim_funcs.iter().zip(&kernels) {
        prim_func::define(&cg, f, kernel)?;
        if exports == Exports::EntriesAndKernels {
            kernel_export::emit_packed(&cg, f, kernel)?;
        }
    }
    for e in &ir.entries {
        check_symbol_part("entry name", &e.name, false)?;
        entry::emit(&cg, ir, e, symbol_prefix)?;
    }
    cg.module.verify().map_err(|e| CodegenError::new(format!("generated LLVM IR is invalid (a codegen bug): {e}")))?;
    passes::optimize(&cg.module, &machine)?;
    Ok(Compiled { module: cg.module, machine })
}

/// Native symbols are C identifiers, so they can be declared in the C header.
fn check_symbol_part(what: &str, s: &str, may_be_empty: bool) -> Result<()> {
    let valid_chars = s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let starts_well = s.chars().next().is_none_or(|c| !c.is_ascii_digit());
    if valid_chars && starts_well && (may_be_empty || !s.is_empty()) {
        Ok(())
    } else {
        Err(CodegenError::new(format!("{what} `{s}` is not a C identifier (letters, digits and `_`)")))
    }
}
