//! The C ABI's tensor descriptor as generated code sees it, mirroring
//! `relax_rt::abi::RelaxTensor`: `{ ptr data; ptr shape (i64*); i32 ndim;
//! i32 dtype }`, laid out by the target's data layout (pointers are 4 bytes
//! on wasm32, 8 elsewhere).

use crate::error::Result;
use crate::llvm::codegen::Codegen;
use inkwell::builder::Builder;
use inkwell::types::{BasicTypeEnum, StructType};
use inkwell::values::{BasicValueEnum, FloatValue, IntValue, PointerValue};
use inkwell::IntPredicate;
use relax_rt::DType;

#[derive(Clone, Copy)]
enum Field {
    Data = 0,
    Shape = 1,
    Ndim = 2,
    DType = 3,
}

/// An array of `RelaxTensor`s passed by pointer (the inputs or the outputs).
#[derive(Clone, Copy)]
pub(crate) struct TensorArray<'ctx> {
    base: PointerValue<'ctx>,
    ty: StructType<'ctx>,
}

impl<'ctx> TensorArray<'ctx> {
    pub fn new(cg: &Codegen<'ctx>, base: PointerValue<'ctx>) -> Self {
        let ty = match cg.module.get_struct_type("RelaxTensor") {
            Some(ty) => ty,
            None => {
                let ty = cg.context.opaque_struct_type("RelaxTensor");
                ty.set_body(&[cg.ptr().into(), cg.ptr().into(), cg.i32().into(), cg.i32().into()], false);
                ty
            }
        };
        TensorArray { base, ty }
    }

    fn field(&self, cg: &Codegen<'ctx>, b: &Builder<'ctx>, index: usize, field: Field) -> Result<PointerValue<'ctx>> {
        let i = cg.i64().const_int(index as u64, false);
        // SAFETY (of the IR): callers pass one descriptor per declared tensor.
        let tensor = unsafe { b.build_in_bounds_gep(self.ty, self.base, &[i], "")? };
        Ok(b.build_struct_gep(self.ty, tensor, field as u32, "")?)
    }

    pub fn data(&self, cg: &Codegen<'ctx>, b: &Builder<'ctx>, index: usize) -> Result<PointerValue<'ctx>> {
        let p = self.field(cg, b, index, Field::Data)?;
        Ok(b.build_load(cg.ptr(), p, "data")?.into_pointer_value())
    }

    pub fn ndim(&self, cg: &Codegen<'ctx>, b: &Builder<'ctx>, index: usize) -> Result<IntValue<'ctx>> {
        let p = self.field(cg, b, index, Field::Ndim)?;
        Ok(b.build_load(cg.i32(), p, "ndim")?.into_int_value())
    }

    pub fn dtype(&self, cg: &Codegen<'ctx>, b: &Builder<'ctx>, index: usize) -> Result<IntValue<'ctx>> {
        let p = self.field(cg, b, index, Field::DType)?;
        Ok(b.build_load(cg.i32(), p, "dtype")?.into_int_value())
    }

    /// Where `shape[axis]` of tensor `index` lives.
    pub fn dim_ptr(
        &self,
        cg: &Codegen<'ctx>,
        b: &Builder<'ctx>,
        index: usize,
        axis: usize,
    ) -> Result<PointerValue<'ctx>> {
        let p = self.field(cg, b, index, Field::Shape)?;
        let shape = b.build_load(cg.ptr(), p, "shape")?.into_pointer_value();
        let axis = cg.i64().const_int(axis as u64, false);
        // SAFETY (of the IR): the rank was checked before any shape entry is read.
        Ok(unsafe { b.build_in_bounds_gep(cg.i64(), shape, &[axis], "")? })
    }

    pub fn dim(&self, cg: &Codegen<'ctx>, b: &Builder<'ctx>, index: usize, axis: usize) -> Result<IntValue<'ctx>> {
        let p = self.dim_ptr(cg, b, index, axis)?;
        Ok(b.build_load(cg.i64(), p, "dim")?.into_int_value())
    }

    /// Element `element` of tensor `index`, read as `ty`.
    fn element(
        &self,
        cg: &Codegen<'ctx>,
        b: &Builder<'ctx>,
        index: usize,
        element: usize,
        ty: BasicTypeEnum<'ctx>,
    ) -> Result<BasicValueEnum<'ctx>> {
        let data = self.data(cg, b, index)?;
        let at = cg.i64().const_int(element as u64, false);
        // SAFETY (of the IR): the input's shape, which holds the element, was checked first.
        let p = unsafe { b.build_in_bounds_gep(ty, data, &[at], "")? };
        Ok(b.build_load(ty, p, "element")?)
    }

    /// Element `element` of tensor `index`, an f32 (extended) or f64 float, as f64.
    pub fn element_f64(
        &self,
        cg: &Codegen<'ctx>,
        b: &Builder<'ctx>,
        index: usize,
        element: usize,
        wide: bool,
    ) -> Result<FloatValue<'ctx>> {
        let f64_type = cg.context.f64_type();
        let ty = if wide { f64_type } else { cg.context.f32_type() };
        let value = self.element(cg, b, index, element, ty.into())?.into_float_value();
        Ok(if wide { value } else { b.build_float_ext(value, f64_type, "")? })
    }

    /// Element `element` of tensor `index`, an i32 (sign-extended) or i64
    /// integer, as i64; a bool as 0 or 1 (any non-zero byte is true).
    pub fn element_i64(
        &self,
        cg: &Codegen<'ctx>,
        b: &Builder<'ctx>,
        index: usize,
        element: usize,
        dtype: DType,
    ) -> Result<IntValue<'ctx>> {
        let ty = match dtype {
            DType::I64 => cg.i64(),
            DType::Bool => cg.context.i8_type(),
            _ => cg.i32(),
        };
        let value = self.element(cg, b, index, element, ty.into())?.into_int_value();
        Ok(match dtype {
            DType::I64 => value,
            DType::Bool => {
                let set = b.build_int_compare(IntPredicate::NE, value, ty.const_zero(), "")?;
                b.build_int_z_extend(set, cg.i64(), "")?
            }
            _ => b.build_int_s_extend(value, cg.i64(), "")?,
        })
    }
}
