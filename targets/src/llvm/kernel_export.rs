//! Exported uniform-signature wrappers of kernels, for running a single
//! `PrimFunc` in-process (the JIT tests do, to compare with the interpreter):
//! `void relax.packed.NAME(ptr *buffers, i64 *dims)` unpacks the arrays and
//! calls the internal kernel. Archives never contain them.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use inkwell::module::Linkage;
use inkwell::values::{BasicMetadataValueEnum, FunctionValue};
use relax_compiler::ir::PrimFunc;

pub(crate) fn packed_name(kernel: &str) -> String {
    format!("relax.packed.{kernel}")
}

pub(crate) fn emit_packed<'ctx>(cg: &Codegen<'ctx>, f: &PrimFunc, kernel: FunctionValue<'ctx>) -> Result<()> {
    let ptr = cg.ptr().into();
    let func = cg.module.add_function(&packed_name(&f.name), cg.fn_type(None, &[ptr, ptr]), Some(Linkage::External));
    cg.set_target_attributes(func);
    let b = cg.context.create_builder();
    b.position_at_end(cg.context.append_basic_block(func, "entry"));
    let param =
        |i| func.get_nth_param(i).map(|p| p.into_pointer_value()).ok_or_else(|| CodegenError::new("packed wrapper"));
    let (buffers, dims) = (param(0)?, param(1)?);
    let mut args: Vec<BasicMetadataValueEnum> = Vec::new();
    for i in 0..f.params.len() {
        let index = cg.i64().const_int(i as u64, false);
        // SAFETY (of the IR): the caller passes one pointer per buffer.
        let slot = unsafe { b.build_in_bounds_gep(cg.ptr(), buffers, &[index], "")? };
        args.push(b.build_load(cg.ptr(), slot, "")?.into());
    }
    for i in 0..f.dims.len() {
        let index = cg.i64().const_int(i as u64, false);
        // SAFETY (of the IR): the caller passes one value per dim.
        let slot = unsafe { b.build_in_bounds_gep(cg.i64(), dims, &[index], "")? };
        args.push(b.build_load(cg.i64(), slot, "")?.into());
    }
    b.build_call(kernel, &args, "")?;
    b.build_return(None)?;
    Ok(())
}
