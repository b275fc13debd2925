//! The run function's body: kernel calls on input, output, workspace and
//! constant buffers, copies, branches (a graph-level `if`) and counted loops
//! (a graph-level loop), in order.

use super::EntryBuilder;
use crate::error::{CodegenError, Result};
use crate::llvm::prim_func::kernel_name;
use inkwell::values::{BasicMetadataValueEnum, PointerValue};
use inkwell::IntPredicate;
use relax_compiler::ir::entry::{BufRef, Step};
use relax_compiler::ir::Dim;
use relax_compiler::IRModule;

pub(super) fn emit_steps(entry: &mut EntryBuilder<'_, '_>, ir: &IRModule) -> Result<()> {
    let e = entry.e;
    emit(entry, ir, &e.steps)
}

fn emit(entry: &mut EntryBuilder<'_, '_>, ir: &IRModule, steps: &[Step]) -> Result<()> {
    for step in steps {
        match step {
            Step::Call { func, args, dims } => call(entry, ir, func, args, dims)?,
            Step::Copy { src, dst, bytes } => {
                let (src, dst) = (buffer(entry, ir, src)?, buffer(entry, ir, dst)?);
                entry.b.build_memcpy(dst, 1, src, 1, entry.dim(bytes)?)?;
            }
            Step::If { cond, then_steps, else_steps } => branch(entry, ir, cond, then_steps, else_steps)?,
            Step::Loop { var, trips, cond, body } => counted_loop(entry, ir, var, trips, cond.as_ref(), body)?,
        }
    }
    Ok(())
}

/// `if (*cond != 0) { then } else { else }`, both joining in a new block.
fn branch(
    entry: &mut EntryBuilder<'_, '_>,
    ir: &IRModule,
    cond: &BufRef,
    then_steps: &[Step],
    else_steps: &[Step],
) -> Result<()> {
    let cg = entry.cg;
    let flag = entry.b.build_load(cg.context.i8_type(), buffer(entry, ir, cond)?, "")?.into_int_value();
    let taken = entry.b.build_int_compare(IntPredicate::NE, flag, cg.context.i8_type().const_zero(), "")?;
    let then_block = cg.context.append_basic_block(entry.func, "then");
    let else_block = cg.context.append_basic_block(entry.func, "else");
    let join = cg.context.append_basic_block(entry.func, "join");
    entry.b.build_conditional_branch(taken, then_block, else_block)?;
    for (block, steps) in [(then_block, then_steps), (else_block, else_steps)] {
        entry.b.position_at_end(block);
        emit(entry, ir, steps)?;
        entry.b.build_unconditional_branch(join)?;
    }
    entry.b.position_at_end(join);
    Ok(())
}

/// `for (var = 0; var < trips && (!cond || *cond != 0); var++) { body }`,
/// `var` bound as a dim in the body.
fn counted_loop(
    entry: &mut EntryBuilder<'_, '_>,
    ir: &IRModule,
    var: &str,
    trips: &Dim,
    cond: Option<&BufRef>,
    body: &[Step],
) -> Result<()> {
    let cg = entry.cg;
    let trips = entry.dim(trips)?;
    let before = entry.b.get_insert_block().ok_or_else(|| CodegenError::new("no insertion block"))?;
    let header = cg.context.append_basic_block(entry.func, "loop");
    let body_block = cg.context.append_basic_block(entry.func, "loop_body");
    let exit = cg.context.append_basic_block(entry.func, "loop_exit");
    entry.b.build_unconditional_branch(header)?;
    entry.b.position_at_end(header);
    let i = entry.b.build_phi(cg.i64(), var)?;
    i.add_incoming(&[(&cg.i64().const_zero(), before)]);
    let i_value = i.as_basic_value().into_int_value();
    let mut more = entry.b.build_int_compare(IntPredicate::SLT, i_value, trips, "")?;
    if let Some(cond) = cond {
        let flag = entry.b.build_load(cg.context.i8_type(), buffer(entry, ir, cond)?, "")?.into_int_value();
        let set = entry.b.build_int_compare(IntPredicate::NE, flag, cg.context.i8_type().const_zero(), "")?;
        more = entry.b.build_and(more, set, "")?;
    }
    entry.b.build_conditional_branch(more, body_block, exit)?;
    entry.b.position_at_end(body_block);
    entry.dims.push_var(var, i_value);
    let emitted = emit(entry, ir, body);
    entry.dims.pop_var();
    emitted?;
    let next = entry.b.build_int_add(i_value, cg.i64().const_int(1, false), "")?;
    let latch = entry.b.get_insert_block().ok_or_else(|| CodegenError::new("no insertion block"))?;
    i.add_incoming(&[(&next, latch)]);
    entry.b.build_unconditional_branch(header)?;
    entry.b.position_at_end(exit);
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
        BufRef::Offset(base, by) => {
            let base = buffer(entry, ir, base)?;
            // SAFETY (of the IR): a row offset lies inside the buffer it is taken from.
            Ok(unsafe { b.build_in_bounds_gep(cg.i8(), base, &[entry.dim(by)?], "")? })
        }
    }
}
