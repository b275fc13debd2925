//! The run function's body: kernel calls on input, output, workspace and
//! constant buffers, copies, and branches (a graph-level `if`), in order.

use super::EntryBuilder;
use crate::error::{CodegenError, Result};
use crate::llvm::constants::constant_global;
use crate::llvm::prim_func::kernel_name;
use inkwell::values::{BasicMetadataValueEnum, PointerValue};
use inkwell::IntPredicate;
use relax_compiler::ir::entry::{BufRef, Step};
use relax_compiler::IRModule;

pub(super) fn emit_steps(entry: &EntryBuilder<'_, '_>, ir: &IRModule) -> Result<()> {
    emit(entry, ir, &entry.e.steps)
}

fn emit(entry: &EntryBuilder<'_, '_>, ir: &IRModule, steps: &[Step]) -> Result<()> {
    for step in steps {
        match step {
            Step::Call { func, args, dims } => call(entry, ir, func, args, dims)?,
            Step::Copy { src, dst, bytes } => {
                let (src, dst) = (buffer(entry, ir, src)?, buffer(entry, ir, dst)?);
                entry.b.build_memcpy(dst, 1, src, 1, entry.dim(bytes)?)?;
            }
            Step::If { cond, then_steps, else_steps } => branch(entry, ir, cond, then_steps, else_steps)?,
        }
    }
    Ok(())
}

/// `if (*cond != 0) { then } else { else }`, both joining in a new block.
fn branch(
    entry: &EntryBuilder<'_, '_>,
    ir: &IRModule,
    cond: &BufRef,
    then_steps: &[Step],
    else_steps: &[Step],
) -> Result<()> {
    let (cg, b) = (entry.cg, &entry.b);
    let flag = b.build_load(cg.context.i8_type(), buffer(entry, ir, cond)?, "")?.into_int_value();
    let taken = b.build_int_compare(IntPredicate::NE, flag, cg.context.i8_type().const_zero(), "")?;
    let then_block = cg.context.append_basic_block(entry.func, "then");
    let else_block = cg.context.append_basic_block(entry.func, "else");
    let join = cg.context.append_basic_block(entry.func, "join");
    b.build_conditional_branch(taken, then_block, else_block)?;
    for (block, steps) in [(then_block, then_steps), (else_block, else_steps)] {
        b.position_at_end(block);
        emit(entry, ir, steps)?;
        b.build_unconditional_branch(join)?;
    }
    b.position_at_end(join);
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
        BufRef::Constant(name) => constant_global(cg, &ir.constants, name),
    }
}
