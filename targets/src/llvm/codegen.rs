//! The state every part of one module's code generation shares: the LLVM
//! module, the target, type mapping, intrinsics and internal helper functions.

use crate::error::{CodegenError, Result};
use crate::target::Target;
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::builder::Builder;
use inkwell::context::Context;
use inkwell::intrinsics::Intrinsic;
use inkwell::module::{Linkage, Module};
use inkwell::targets::{TargetMachine, TargetTriple};
use inkwell::types::{BasicMetadataTypeEnum, BasicType, BasicTypeEnum, FunctionType, IntType, PointerType};
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, FunctionValue};
use inkwell::AddressSpace;
use relax_rt::DType;

pub(crate) struct Codegen<'ctx> {
    pub context: &'ctx Context,
    pub module: Module<'ctx>,
    pub target: Target,
    /// With `Constants::Table`, the constants in pointer-table order (see
    /// `relax_compiler::ir::entry::constant_table`); `None` embeds them.
    pub constant_table: Option<Vec<String>>,
}

impl<'ctx> Codegen<'ctx> {
    /// An empty module laid out for `machine` (which must be `target`'s).
    pub fn new(context: &'ctx Context, name: &str, target: &Target, machine: &TargetMachine) -> Codegen<'ctx> {
        let module = context.create_module(name);
        module.set_triple(&TargetTriple::create(target.triple()));
        module.set_data_layout(&machine.get_target_data().get_data_layout());
        Codegen { context, module, target: target.clone(), constant_table: None }
    }

    pub fn i1(&self) -> IntType<'ctx> {
        self.context.bool_type()
    }
    pub fn i8(&self) -> IntType<'ctx> {
        self.context.i8_type()
    }
    pub fn i32(&self) -> IntType<'ctx> {
        self.context.i32_type()
    }
    pub fn i64(&self) -> IntType<'ctx> {
        self.context.i64_type()
    }
    /// The integer type of `bits` bits (1 to 64).
    pub fn int_of_width(&self, bits: u32) -> IntType<'ctx> {
        match bits {
            1 => self.i1(),
            8 => self.i8(),
            16 => self.context.i16_type(),
            32 => self.i32(),
            64 => self.i64(),
            _ => std::num::NonZeroU32::new(bits)
                .and_then(|width| self.context.custom_width_int_type(width).ok())
                .unwrap_or_else(|| self.i64()),
        }
    }
    pub fn ptr(&self) -> PointerType<'ctx> {
        self.context.ptr_type(AddressSpace::default())
    }

    /// The type a value of `dtype` has in registers (bool is `i1`, the 4- and
    /// 2-bit integers `i4` and `i2`; floats narrower than f32 are f32s holding
    /// their exact value, see `narrow_float`).
    pub fn value_type(&self, dtype: DType) -> BasicTypeEnum<'ctx> {
        match dtype {
            DType::F64 => self.context.f64_type().into(),
            _ if dtype.is_float() => self.context.f32_type().into(),
            DType::Bool => self.i1().into(),
            _ => self.int_of_width(dtype.bits()).into(),
        }
    }

    /// The type an element of `dtype` has in memory (bool is one byte, 0 or 1;
    /// narrow floats are their bit patterns; the 4- and 2-bit types a byte).
    pub fn memory_type(&self, dtype: DType) -> BasicTypeEnum<'ctx> {
        match dtype {
            DType::Bool => self.i8().into(),
            _ if dtype.narrow_float().is_some() || dtype.bits() < 8 => {
                self.int_of_width(8 * dtype.size() as u32).into()
            }
            _ => self.value_type(dtype),
        }
    }

    /// The declaration of an LLVM intrinsic, overloaded on `types`.
    pub fn intrinsic(&self, name: &str, types: &[BasicTypeEnum<'ctx>]) -> Result<FunctionValue<'ctx>> {
        Intrinsic::find(name)
            .and_then(|i| i.get_declaration(&self.module, types))
            .ok_or_else(|| CodegenError::new(format!("LLVM has no intrinsic `{name}` for {types:?}")))
    }

    /// Calls an intrinsic overloaded on the type of its first argument.
    pub fn call_intrinsic(
        &self,
        builder: &Builder<'ctx>,
        name: &str,
        args: &[BasicValueEnum<'ctx>],
    ) -> Result<BasicValueEnum<'ctx>> {
        let overload = args.first().map(|a| a.get_type()).into_iter().collect::<Vec<_>>();
        let f = self.intrinsic(name, &overload)?;
        self.call(builder, f, args)
    }

    /// Calls a function that returns a value.
    pub fn call(
        &self,
        builder: &Builder<'ctx>,
        f: FunctionValue<'ctx>,
        args: &[BasicValueEnum<'ctx>],
    ) -> Result<BasicValueEnum<'ctx>> {
        let args: Vec<BasicMetadataValueEnum<'ctx>> = args.iter().map(|&a| a.into()).collect();
        let call = builder.build_call(f, &args, "")?;
        call.try_as_basic_value()
            .basic()
            .ok_or_else(|| CodegenError::new(format!("call to `{}` returns no value", f.get_name().to_string_lossy())))
    }

    pub fn fn_type(&self, ret: Option<BasicTypeEnum<'ctx>>, params: &[BasicTypeEnum<'ctx>]) -> FunctionType<'ctx> {
        let params: Vec<BasicMetadataTypeEnum<'ctx>> = params.iter().map(|&p| p.into()).collect();
        match ret {
            Some(r) => r.fn_type(&params, false),
            None => self.context.void_type().fn_type(&params, false),
        }
    }

    pub fn enum_attribute(&self, name: &str) -> Attribute {
        self.context.create_enum_attribute(Attribute::get_named_enum_kind_id(name), 0)
    }

    /// Marks `f` as compiled for the target's CPU and features, and as never
    /// unwinding (generated code reports errors by return value).
    pub fn set_target_attributes(&self, f: FunctionValue<'ctx>) {
        let cpu = self.context.create_string_attribute("target-cpu", self.target.cpu());
        let features =
            self.context.create_string_attribute("target-features", &self.target.features().to_llvm_string());
        f.add_attribute(AttributeLoc::Function, cpu);
        f.add_attribute(AttributeLoc::Function, features);
        f.add_attribute(AttributeLoc::Function, self.enum_attribute("nounwind"));
    }

    /// The internal, always-inlined helper `name`, defined by `body` the first
    /// time it is asked for. Math routines are helpers so each is emitted once
    /// per module, and inlined before vectorization so loops calling them still
    /// vectorize.
    pub fn helper(
        &self,
        name: &str,
        ty: FunctionType<'ctx>,
        body: impl FnOnce(&Builder<'ctx>, FunctionValue<'ctx>) -> Result<()>,
    ) -> Result<FunctionValue<'ctx>> {
        if let Some(f) = self.module.get_function(name) {
            return Ok(f);
        }
        let f = self.module.add_function(name, ty, Some(Linkage::Internal));
        self.set_target_attributes(f);
        f.add_attribute(AttributeLoc::Function, self.enum_attribute("alwaysinline"));
        let builder = self.context.create_builder();
        builder.position_at_end(self.context.append_basic_block(f, "entry"));
        body(&builder, f).map_err(|e| e.context(format!("in helper `{name}`")))?;
        Ok(f)
    }
}
