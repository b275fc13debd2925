//! Loop-level functions (`PrimFunc`s) become internal LLVM functions
//! `void (ptr noalias %buf0, ..., i64 %dim0, ...)`: buffers first (inputs then
//! outputs, which never alias), then the values of the symbolic dims. The
//! executor calls them; after inlining and O3 their loops are vectorized.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::expr::ExprCompiler;
use crate::llvm::scope::{BufferSlot, Scope};
use crate::llvm::stmt::StmtCompiler;
use inkwell::attributes::AttributeLoc;
use inkwell::module::Linkage;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{FunctionValue, IntValue};
use relax_compiler::ir::{Buffer, PExpr, PrimFunc};

/// The LLVM name of a kernel (internal, so it never clashes across objects).
pub(crate) fn kernel_name(f: &PrimFunc) -> String {
    format!("relax.kernel.{}", f.name)
}

/// Declares the kernel so entries can call it before its body exists.
pub(crate) fn declare<'ctx>(cg: &Codegen<'ctx>, f: &PrimFunc) -> Result<FunctionValue<'ctx>> {
    let name = kernel_name(f);
    if cg.module.get_function(&name).is_some() {
        return Err(CodegenError::new(format!("two kernels are named `{}`", f.name)));
    }
    let mut params: Vec<BasicTypeEnum<'ctx>> = vec![cg.ptr().into(); f.params.len()];
    params.extend(std::iter::repeat_n(BasicTypeEnum::from(cg.i64()), f.dims.len()));
    let func = cg.module.add_function(&name, cg.fn_type(None, &params), Some(Linkage::Internal));
    cg.set_target_attributes(func);
    for i in 0..f.params.len() as u32 {
        for attr in ["noalias", "nocapture", "nofree"] {
            func.add_attribute(AttributeLoc::Param(i), cg.enum_attribute(attr));
        }
    }
    Ok(func)
}

/// Compiles the kernel's body into its declaration.
pub(crate) fn define<'ctx>(cg: &Codegen<'ctx>, f: &PrimFunc, func: FunctionValue<'ctx>) -> Result<()> {
    let mut scope = Scope::default();
    for (i, dim) in f.dims.iter().enumerate() {
        scope.push_var(dim, nth_param(func, f.params.len() + i)?.into_int_value());
    }
    let body = StmtCompiler::new(cg, func);
    for (i, p) in f.params.iter().enumerate() {
        let dims = buffer_dims(&ExprCompiler::new(cg, body.builder(), &scope), p)?;
        let ptr = nth_param(func, i)?.into_pointer_value();
        scope.push_buffer(BufferSlot { name: p.name.clone(), ptr, dtype: p.dtype, dims });
    }
    body.finish(scope, &f.body).map_err(|e| e.context(format!("in kernel `{}`", f.name)))
}

/// A buffer's dims as i64 values, computed once at entry from the dim params.
fn buffer_dims<'ctx>(exprs: &ExprCompiler<'_, 'ctx>, p: &Buffer) -> Result<Vec<IntValue<'ctx>>> {
    p.shape
        .iter()
        .map(|d| exprs.compile_i64(&PExpr::from_dim(d)))
        .collect::<Result<_>>()
        .map_err(|e| e.context(format!("shape of `{}`", p.name)))
}

fn nth_param(func: FunctionValue<'_>, i: usize) -> Result<inkwell::values::BasicValueEnum<'_>> {
    func.get_nth_param(i as u32).ok_or_else(|| CodegenError::new(format!("kernel has no parameter {i}")))
}
