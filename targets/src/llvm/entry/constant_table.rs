//! A constant buffer as the run function sees it: the address of an embedded
//! global, or (`Constants::Table`) the pointer at the constant's slot of the
//! table the caller passes as the run function's last parameter.

use super::EntryBuilder;
use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::constants::constant_global;
use inkwell::types::BasicTypeEnum;
use inkwell::values::PointerValue;
use relax_compiler::IRModule;

/// The run function's parameter that holds the table: after `inputs`,
/// `outputs`, `workspace` and `workspace_bytes`.
const TABLE_PARAM: u32 = 4;

/// The run function's parameters after the four every entry has.
pub(super) fn extra_run_params<'ctx>(cg: &Codegen<'ctx>) -> Vec<BasicTypeEnum<'ctx>> {
    match cg.constant_table {
        Some(_) => vec![cg.ptr().into()],
        None => vec![],
    }
}

/// The address of constant `name`.
pub(super) fn pointer<'ctx>(entry: &EntryBuilder<'_, 'ctx>, ir: &IRModule, name: &str) -> Result<PointerValue<'ctx>> {
    let (cg, b) = (entry.cg, &entry.b);
    let Some(table) = &cg.constant_table else {
        return constant_global(cg, &ir.constants, name);
    };
    let slot = table
        .iter()
        .position(|n| n == name)
        .ok_or_else(|| CodegenError::new(format!("constant `{name}` has no slot in the constant table")))?;
    let base = entry.param(TABLE_PARAM)?.into_pointer_value();
    let index = cg.i64().const_int(slot as u64, false);
    // SAFETY (of the IR): the caller passes one pointer per table entry.
    let at = unsafe { b.build_in_bounds_gep(cg.ptr(), base, &[index], "")? };
    Ok(b.build_load(cg.ptr(), at, &format!("const.{name}"))?.into_pointer_value())
}
