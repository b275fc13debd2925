//! Module constants (weights, folded tensors) as private read-only globals:
//! one per constant an entry uses, 64-byte aligned, initialized with its
//! little-endian bytes as an `[N x i8]` (compact in LLVM even for large weights).
//! Or, for large models, not in the object at all: the run function takes a
//! table of pointers to them (`Constants::Table`, see `entry/constant_table.rs`).

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use inkwell::module::Linkage;
use inkwell::values::PointerValue;
use relax_compiler::NDArray;
use std::collections::BTreeMap;

/// Where a module's constants live in the generated code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Constants {
    /// As read-only data in the object (the default: nothing to load).
    #[default]
    Embedded,
    /// Loaded by the caller: each run function takes one more parameter,
    /// `const void *const *constants`, a pointer per constant in the order of
    /// `relax_compiler::ir::entry::constant_table`, each 64-byte aligned.
    Table,
}

/// Alignment of constant data, the same as workspace buffers get.
const CONSTANT_ALIGN: u32 = relax_rt::abi::WORKSPACE_ALIGN as u32;

/// The address of constant `name`, emitting its global on first use.
pub(crate) fn constant_global<'ctx>(
    cg: &Codegen<'ctx>,
    constants: &BTreeMap<String, NDArray>,
    name: &str,
) -> Result<PointerValue<'ctx>> {
    let symbol = format!("relax.const.{name}");
    if let Some(g) = cg.module.get_global(&symbol) {
        return Ok(g.as_pointer_value());
    }
    let value = constants.get(name).ok_or_else(|| CodegenError::new(format!("unknown constant `{name}`")))?;
    let bytes = value.to_bytes();
    let init = cg.context.const_string(&bytes, false);
    let global = cg.module.add_global(init.get_type(), None, &symbol);
    global.set_initializer(&init);
    global.set_constant(true);
    global.set_linkage(Linkage::Private);
    global.set_unnamed_addr(true);
    global.set_alignment(CONSTANT_ALIGN);
    Ok(global.as_pointer_value())
}
