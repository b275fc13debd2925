//! Scalar expressions. Each compiles to a value in registers together with its
//! dtype, which follows from its parts as in the interpreter: literals carry
//! theirs, variables are i64, loads have the buffer's, comparisons and `&&`/`||`
//! are bool, everything else keeps its operands' (which must agree).

use crate::error::{CodegenError, Result};
use crate::llvm::cast::{self, Typed};
use crate::llvm::codegen::Codegen;
use crate::llvm::scope::Scope;
use crate::llvm::{float_ops, int_ops, memory, narrow_float};
use inkwell::builder::Builder;
use inkwell::values::{BasicValueEnum, IntValue};
use relax_compiler::ir::{BinOp, PExpr, UnOp};
use relax_compiler::Scalar;
use relax_rt::DType;

pub(crate) struct ExprCompiler<'a, 'ctx> {
    pub cg: &'a Codegen<'ctx>,
    pub b: &'a Builder<'ctx>,
    pub scope: &'a Scope<'ctx>,
}

impl<'a, 'ctx> ExprCompiler<'a, 'ctx> {
    pub fn new(cg: &'a Codegen<'ctx>, b: &'a Builder<'ctx>, scope: &'a Scope<'ctx>) -> Self {
        ExprCompiler { cg, b, scope }
    }

    pub fn compile(&self, e: &PExpr) -> Result<Typed<'ctx>> {
        match e {
            PExpr::Int(v, d) => Ok(cast::constant(self.cg, Scalar::I(*v), *d)),
            PExpr::Float(v, d) => Ok(cast::constant(self.cg, Scalar::F(*v), *d)),
            PExpr::Bool(v) => Ok(cast::constant(self.cg, Scalar::B(*v), DType::Bool)),
            PExpr::Var(name) => Ok(Typed::new(self.scope.var(name)?, DType::I64)),
            PExpr::Load { buf, idx } => {
                let slot = self.scope.buffer(buf)?;
                let idx = self.indices(idx)?;
                Ok(Typed::new(memory::load(self.cg, self.b, slot, &idx)?, slot.dtype))
            }
            PExpr::Bin(op, a, b) => self.binary(*op, a, b),
            PExpr::Un(op, a) => self.unary(*op, a),
            PExpr::Cast(to, a) => {
                let v = self.compile(a)?;
                Ok(Typed::new(cast::cast(self.cg, self.b, v, *to)?, *to))
            }
            PExpr::Select(c, t, f) => self.select(c, t, f),
            PExpr::Bitcast(to, a) => self.bitcast(*to, a),
        }
    }

    /// The operand's bits in memory layout, reinterpreted as `to`'s and read
    /// back into a register as a load of `to` would.
    fn bitcast(&self, to: DType, a: &PExpr) -> Result<Typed<'ctx>> {
        let x = self.compile(a)?;
        if x.dtype.bits() != to.bits() || x.dtype.size() != to.size() {
            return Err(CodegenError::new(format!("cannot reinterpret {} as {to}: they differ in width", x.dtype)));
        }
        let raw = memory::to_memory(self.cg, self.b, x.value, x.dtype)?;
        let target = self.cg.memory_type(to);
        let raw = if raw.get_type() == target { raw } else { self.b.build_bit_cast(raw, target, "")? };
        Ok(Typed::new(memory::from_memory(self.cg, self.b, raw, to)?, to))
    }

    /// `e` converted to `dtype` (as a store or a cast would).
    pub fn compile_as(&self, e: &PExpr, dtype: DType) -> Result<BasicValueEnum<'ctx>> {
        let v = self.compile(e)?;
        cast::cast(self.cg, self.b, v, dtype)
    }

    /// `e` as an i64 (indices, extents, dims).
    pub fn compile_i64(&self, e: &PExpr) -> Result<IntValue<'ctx>> {
        Ok(self.compile_as(e, DType::I64)?.into_int_value())
    }

    /// `e != 0` as an `i1` (conditions).
    pub fn compile_bool(&self, e: &PExpr) -> Result<IntValue<'ctx>> {
        let v = self.compile(e)?;
        cast::to_bool(self.b, v)
    }

    pub fn indices(&self, idx: &[PExpr]) -> Result<Vec<IntValue<'ctx>>> {
        idx.iter().map(|i| self.compile_i64(i)).collect()
    }

    fn binary(&self, op: BinOp, a: &PExpr, b: &PExpr) -> Result<Typed<'ctx>> {
        let x = self.compile(a)?;
        let y = self.compile(b)?;
        if x.dtype != y.dtype {
            return Err(CodegenError::new(format!(
                "operands of `{}` have dtypes {} and {} (insert a cast)",
                op.name(),
                x.dtype,
                y.dtype
            )));
        }
        let result_dtype =
            if op.is_comparison() || matches!(op, BinOp::And | BinOp::Or) { DType::Bool } else { x.dtype };
        if x.dtype.is_float() && op.is_bitwise() {
            return Err(CodegenError::new(format!("`{}` is not defined on {}", op.name(), x.dtype)));
        }
        let value = if x.dtype.narrow_float().is_some() {
            self.narrow_binary(op, x, y, result_dtype)?
        } else if x.dtype.is_float() {
            float_ops::binary(self.cg, self.b, op, x.value.into_float_value(), y.value.into_float_value())?
        } else {
            int_ops::binary(self.cg, self.b, op, x.value.into_int_value(), y.value.into_int_value(), x.dtype)?
        };
        Ok(Typed::new(value, result_dtype))
    }

    /// A narrow float operation: computed in f32 and rounded to the format;
    /// floor division, floor modulo and powers in f64 (as f32 does), so they
    /// too round once.
    fn narrow_binary(&self, op: BinOp, x: Typed<'ctx>, y: Typed<'ctx>, result: DType) -> Result<BasicValueEnum<'ctx>> {
        let (mut a, mut c) = (x.value.into_float_value(), y.value.into_float_value());
        if matches!(op, BinOp::FloorDiv | BinOp::FloorMod | BinOp::Pow) {
            let f64t = self.cg.context.f64_type();
            (a, c) = (self.b.build_float_ext(a, f64t, "")?, self.b.build_float_ext(c, f64t, "")?);
        }
        let value = float_ops::binary(self.cg, self.b, op, a, c)?;
        if result == DType::Bool {
            return Ok(value);
        }
        Ok(narrow_float::round(self.cg, self.b, value.into_float_value(), result)?.into())
    }

    fn unary(&self, op: UnOp, a: &PExpr) -> Result<Typed<'ctx>> {
        let x = self.compile(a)?;
        let value: BasicValueEnum<'ctx> = if x.dtype.is_float() {
            let value = float_ops::unary(self.cg, self.b, op, x.value.into_float_value())?;
            if x.dtype.narrow_float().is_some() {
                narrow_float::round(self.cg, self.b, value, x.dtype)?.into()
            } else {
                value.into()
            }
        } else {
            int_ops::unary(self.cg, self.b, op, x.value.into_int_value(), x.dtype)?
        };
        Ok(Typed::new(value, x.dtype))
    }

    /// Both sides are evaluated (they have no side effects), then selected.
    fn select(&self, c: &PExpr, t: &PExpr, f: &PExpr) -> Result<Typed<'ctx>> {
        let cond = self.compile_bool(c)?;
        let t = self.compile(t)?;
        let f = self.compile(f)?;
        if t.dtype != f.dtype {
            return Err(CodegenError::new(format!("select branches have dtypes {} and {}", t.dtype, f.dtype)));
        }
        Ok(Typed::new(self.b.build_select(cond, t.value, f.value, "")?, t.dtype))
    }
}
