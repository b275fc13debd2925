//! Element addressing, loads and stores. Buffers are dense and row-major; the
//! flat index is built with `nsw` arithmetic and an `inbounds` GEP because the
//! IR guarantees every index is in bounds, which lets LLVM analyse and
//! vectorize the loops. Bools live in memory as one byte, 0 or 1; floats
//! narrower than f32 as their bit patterns, converted on load and store; the
//! 4- and 2-bit integers as a byte holding their extended value.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::narrow_float;
use crate::llvm::scope::BufferSlot;
use inkwell::builder::Builder;
use inkwell::values::{BasicValue, BasicValueEnum, InstructionValue, IntValue, PointerValue};
use inkwell::IntPredicate;
use relax_rt::DType;

pub(crate) fn element_ptr<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    buf: &BufferSlot<'ctx>,
    idx: &[IntValue<'ctx>],
) -> Result<PointerValue<'ctx>> {
    if idx.len() != buf.dims.len() {
        return Err(CodegenError::new(format!(
            "`{}` has rank {}, indexed with {} indices",
            buf.name,
            buf.dims.len(),
            idx.len()
        )));
    }
    let Some((&first, rest)) = idx.split_first() else {
        return Ok(buf.ptr);
    };
    let mut flat = first;
    for (&i, &dim) in rest.iter().zip(&buf.dims[1..]) {
        flat = b.build_int_nsw_add(b.build_int_nsw_mul(flat, dim, "")?, i, "")?;
    }
    // SAFETY (of the IR, not of Rust): the loop IR guarantees every index is
    // within its dimension, so the element is inside the buffer.
    Ok(unsafe { b.build_in_bounds_gep(cg.memory_type(buf.dtype), buf.ptr, &[flat], "")? })
}

pub(crate) fn load<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    buf: &BufferSlot<'ctx>,
    idx: &[IntValue<'ctx>],
) -> Result<BasicValueEnum<'ctx>> {
    let ptr = element_ptr(cg, b, buf, idx)?;
    let value = b.build_load(cg.memory_type(buf.dtype), ptr, "")?;
    set_alignment(value.as_instruction_value(), buf.dtype)?;
    from_memory(cg, b, value, buf.dtype)
}

/// Stores `value`, already of the buffer's dtype.
pub(crate) fn store<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    buf: &BufferSlot<'ctx>,
    idx: &[IntValue<'ctx>],
    value: BasicValueEnum<'ctx>,
) -> Result<()> {
    let ptr = element_ptr(cg, b, buf, idx)?;
    let value = to_memory(cg, b, value, buf.dtype)?;
    let store = b.build_store(ptr, value)?;
    set_alignment(Some(store), buf.dtype)
}

/// An element as loaded (of `cg.memory_type(dtype)`) as a register value.
pub(crate) fn from_memory<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    raw: BasicValueEnum<'ctx>,
    dtype: DType,
) -> Result<BasicValueEnum<'ctx>> {
    if dtype.narrow_float().is_some() {
        return Ok(narrow_float::decode(cg, b, raw.into_int_value(), dtype)?.into());
    }
    if dtype.bits() < 8 && dtype.is_int() {
        let narrow = cg.value_type(dtype).into_int_type();
        return Ok(b.build_int_truncate(raw.into_int_value(), narrow, "")?.into());
    }
    if dtype != DType::Bool {
        return Ok(raw);
    }
    let byte = raw.into_int_value();
    Ok(b.build_int_compare(IntPredicate::NE, byte, byte.get_type().const_zero(), "")?.into())
}

/// A register value of `dtype` as it is stored (of `cg.memory_type(dtype)`).
pub(crate) fn to_memory<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    value: BasicValueEnum<'ctx>,
    dtype: DType,
) -> Result<BasicValueEnum<'ctx>> {
    Ok(if dtype == DType::Bool {
        b.build_int_z_extend(value.into_int_value(), cg.i8(), "")?.into()
    } else if dtype.narrow_float().is_some() {
        narrow_float::encode(cg, b, value.into_float_value(), dtype)?.into()
    } else if dtype.bits() < 8 {
        // A byte holding the value, sign- or zero-extended by the dtype.
        b.build_int_cast_sign_flag(value.into_int_value(), cg.i8(), dtype.is_signed_int(), "")?.into()
    } else {
        value
    })
}

/// Elements are naturally aligned (the ABI requires it of callers).
fn set_alignment(inst: Option<InstructionValue<'_>>, dtype: DType) -> Result<()> {
    if let Some(inst) = inst {
        inst.set_alignment(dtype.size() as u32).map_err(|e| CodegenError::new(format!("alignment: {e}")))?;
    }
    Ok(())
}
