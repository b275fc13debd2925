//! The run function's body: kernel calls on input, output, workspace and
//! constant buffers, and copies, in order.

use super::EntryBuilder;
use crate::error::{CodegenError, Result};
use crate::llvm::prim_func::kernel_name;
use inkwell::values::{BasicMetadataValueEnum, PointerValue};
use relax_compiler::ir::entry::{BufRef, Step};
use relax_compiler::IRModule;

pub(super) fn emit_steps(entry: &EntryBuilder<'_, '_>, ir: &IRModule) -> Result<()> {
    for step in &entry.e.steps {
        match step {
            Step::Call { func, args, dims } => call(entry, ir, func, args, dims)?,
            Step::Copy { src, dst, bytes } => {
                let (src, dst) = (buffer(entry, ir, src)?, buffer(entry, ir, dst)?);
                entry.b.build_memcpy(dst, 1, src, 1, entry.dim(bytes)?)?;
            }
        }
    }
    Ok(())
}

fn call(
    entry: &EntryBuilder<'_, '_>,
    ir: &IRModule,
    func: &str,
    args: &[BufRef],
    dims: &[relax_compiler::ir::Dim],
) -> Result<()> {
    let f = ir.prim_func(func).ok_or_else(|| CodegenError::new(format!("unknown kernel `{func}`")))?;
    let kernel = entry
        .cg
        .module
        .get_function(&kernel_name(f))
        .ok_or_else(|| CodegenError::new(format!("kernel `{func}` was not declared")))?;
    let mut values: Vec<BasicMetadataValueEnum> = Vec::with_capacity(args.len() + dims.len());
    for a in args {
        values.push(buffer(entry, ir, a)?.into());
    }
    for d in dims {
        values.push(entry.dim(d)?.into());
    }
    entry.b.build_call(kernel, &values, "")?;
    Ok(())
}

fn buffer<'ctx>(entry: &EntryBuilder<'_, 'ctx>, ir: &IRModule, r: &BufRef) -> Result<PointerValue<'ctx>> {
    let (cg, b) = (entry.cg, &entry.b);
    match r {
        BufRef::Input(i) => entry.inputs.data(cg, b, *i),
        BufRef::Output(i) => entry.outputs.data(cg, b, *i),
        BufRef::Workspace(offset) => {
            let base = entry.param(2)?.into_pointer_value();
            // SAFETY (of the IR): planned offsets lie inside the checked workspace.
            Ok(unsafe { b.build_in_bounds_gep(cg.i8(), base, &[entry.dim(offset)?], "")? })
        }
        BufRef::Constant(name) => super::constant_table::pointer(entry, ir, name),
    }
}
