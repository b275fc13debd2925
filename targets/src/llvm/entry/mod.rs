//! The executor: each `EntryFunc` becomes two exported C functions (see
//! `relax_rt::abi`):
//!
//! ```c
//! int32_t P_f_prepare(const RelaxTensor *inputs, RelaxTensor *outputs, uint64_t *workspace_bytes);
//! int32_t P_f(const RelaxTensor *inputs, const RelaxTensor *outputs, uint8_t *workspace, uint64_t workspace_bytes);
//! ```
//!
//! Both first run every rank and dtype check (so no shape entry is read before
//! its rank is known), then bind the symbolic dims from input shapes, then the
//! remaining checks in list order (the run function adds the output and
//! workspace checks). `prepare` then reports output shapes and the workspace
//! size; the run function calls the kernels in order. With
//! `Constants::Table` the run function takes a fifth parameter, the constant
//! pointer table (`constant_table.rs`).

mod abi;
mod checks;
mod constant_table;
mod steps;
mod validate;

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::expr::ExprCompiler;
use crate::llvm::scope::Scope;
use abi::TensorArray;
use checks::Checker;
use inkwell::builder::Builder;
use inkwell::module::Linkage;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{FunctionValue, IntValue};
use inkwell::IntPredicate;
use relax_compiler::ir::entry::{Check, DimSource, EntryFunc};
use relax_compiler::ir::{Dim, PExpr};
use relax_compiler::IRModule;

/// The native symbol of entry `name`: `prefix_name` (or `name` without prefix).
pub(crate) fn symbol(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}_{name}")
    }
}

/// Emits `prefix_name_prepare` and `prefix_name` for `e`.
pub(crate) fn emit(cg: &Codegen<'_>, ir: &IRModule, e: &EntryFunc, prefix: &str) -> Result<()> {
    let context = |phase: &str| format!("entry `{}` ({phase})", e.name);
    validate::validate(ir, e).map_err(|err| err.context(context("validation")))?;
    emit_prepare(cg, e, &symbol(prefix, &format!("{}_prepare", e.name)))
        .map_err(|err| err.context(context("prepare")))?;
    emit_run(cg, ir, e, &symbol(prefix, &e.name)).map_err(|err| err.context(context("run")))
}

/// Which of the two functions is being built; the run function has extra checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Prepare,
    Run,
}

fn emit_prepare(cg: &Codegen<'_>, e: &EntryFunc, name: &str) -> Result<()> {
    let ptr: BasicTypeEnum = cg.ptr().into();
    let mut entry = EntryBuilder::new(cg, e, name, &[ptr, ptr, ptr])?;
    entry.checks_and_bindings(Phase::Prepare)?;
    let b = &entry.b;
    for (i, out) in e.outputs.iter().enumerate() {
        for (axis, d) in out.shape.iter().enumerate() {
            let value = entry.dim(d)?;
            b.build_store(entry.outputs.dim_ptr(cg, b, i, axis)?, value)?;
        }
    }
    let workspace_bytes = entry.dim(&e.workspace_bytes)?;
    b.build_store(entry.param(2)?.into_pointer_value(), workspace_bytes)?;
    b.build_return(Some(&cg.i32().const_zero()))?;
    Ok(())
}

fn emit_run(cg: &Codegen<'_>, ir: &IRModule, e: &EntryFunc, name: &str) -> Result<()> {
    let ptr: BasicTypeEnum = cg.ptr().into();
    let mut params = vec![ptr, ptr, ptr, cg.i64().into()];
    params.extend(constant_table::extra_run_params(cg));
    let mut entry = EntryBuilder::new(cg, e, name, &params)?;
    entry.checks_and_bindings(Phase::Run)?;
    steps::emit_steps(&mut entry, ir)?;
    entry.b.build_return(Some(&cg.i32().const_zero()))?;
    Ok(())
}

/// One exported function under construction.
pub(super) struct EntryBuilder<'a, 'ctx> {
    cg: &'a Codegen<'ctx>,
    e: &'a EntryFunc,
    func: FunctionValue<'ctx>,
    b: Builder<'ctx>,
    checker: Checker<'a, 'ctx>,
    inputs: TensorArray<'ctx>,
    outputs: TensorArray<'ctx>,
    /// The symbolic dims, once bound.
    dims: Scope<'ctx>,
}

impl<'a, 'ctx> EntryBuilder<'a, 'ctx> {
    fn new(cg: &'a Codegen<'ctx>, e: &'a EntryFunc, name: &str, params: &[BasicTypeEnum<'ctx>]) -> Result<Self> {
        if cg.module.get_function(name).is_some() {
            return Err(CodegenError::new(format!("symbol `{name}` is defined twice")));
        }
        let func = cg.module.add_function(name, cg.fn_type(Some(cg.i32().into()), params), Some(Linkage::External));
        cg.set_target_attributes(func);
        let b = cg.context.create_builder();
        b.position_at_end(cg.context.append_basic_block(func, "entry"));
        let array = |i| -> Result<TensorArray<'ctx>> {
            let p = func.get_nth_param(i).ok_or_else(|| CodegenError::new("entry lost a parameter"))?;
            Ok(TensorArray::new(cg, p.into_pointer_value()))
        };
        let (inputs, outputs) = (array(0)?, array(1)?);
        Ok(EntryBuilder { cg, e, func, b, checker: Checker::new(cg, func), inputs, outputs, dims: Scope::default() })
    }

    fn param(&self, i: u32) -> Result<inkwell::values::BasicValueEnum<'ctx>> {
        self.func.get_nth_param(i).ok_or_else(|| CodegenError::new(format!("entry has no parameter {i}")))
    }

    /// The value of a symbolic dim expression (i64, floor division).
    fn dim(&self, d: &Dim) -> Result<IntValue<'ctx>> {
        ExprCompiler::new(self.cg, &self.b, &self.dims).compile_i64(&PExpr::from_dim(d))
    }

    /// Rank and dtype checks, dims bound to input dims, dim checks, dims
    /// bound to input elements (now known to exist), then the other checks.
    fn checks_and_bindings(&mut self, phase: Phase) -> Result<()> {
        let checks = self.e.checks.iter().enumerate();
        for (k, check) in checks.clone().filter(|(_, c)| matches!(c, Check::Rank { .. } | Check::DType { .. })) {
            self.check(k, check)?;
        }
        self.bind_dims(false)?;
        for (k, check) in checks.clone().filter(|(_, c)| matches!(c, Check::Dim { .. })) {
            self.check(k, check)?;
        }
        self.bind_dims(true)?;
        for (k, check) in checks {
            let run_only = matches!(check, Check::Output { .. } | Check::Workspace);
            let input_level = matches!(check, Check::Rank { .. } | Check::DType { .. } | Check::Dim { .. });
            if !input_level && (phase == Phase::Run || !run_only) {
                self.check(k, check)?;
            }
        }
        Ok(())
    }

    /// The bindings from input dims, or (`elements`) from input elements and
    /// the dims derived from them.
    fn bind_dims(&mut self, elements: bool) -> Result<()> {
        for binding in &self.e.bindings {
            let value = match &binding.from {
                DimSource::Axis(axis) if !elements => self.inputs.dim(self.cg, &self.b, binding.input, *axis)?,
                DimSource::Element(index) if elements => {
                    let dtype = self.e.inputs[binding.input].dtype;
                    self.inputs.element_i64(self.cg, &self.b, binding.input, *index, dtype)?
                }
                DimSource::Derived(d) if elements => self.dim(d)?,
                DimSource::ScaledElement { index, factor } if elements => {
                    let wide = self.e.inputs[binding.input].dtype == relax_rt::DType::F64;
                    let value = self.inputs.element_f64(self.cg, &self.b, binding.input, *index, wide)?;
                    let factor = self.b.build_signed_int_to_float(self.dim(factor)?, self.cg.context.f64_type(), "")?;
                    let product = self.b.build_float_mul(value, factor, "")?;
                    let floor = self.cg.intrinsic("llvm.floor", &[self.cg.context.f64_type().into()])?;
                    let floored = self.cg.call(&self.b, floor, &[product.into()])?.into_float_value();
                    let saturate = self
                        .cg
                        .intrinsic("llvm.fptosi.sat", &[self.cg.i64().into(), self.cg.context.f64_type().into()])?;
                    self.cg.call(&self.b, saturate, &[floored.into()])?.into_int_value()
                }
                _ => continue,
            };
            self.dims.push_var(&binding.var, value);
        }
        Ok(())
    }

    fn check(&self, index: usize, check: &Check) -> Result<()> {
        let (cg, b) = (self.cg, &self.b);
        let id = index as u32 + 1;
        let eq = |a: IntValue<'ctx>, x: IntValue<'ctx>| b.build_int_compare(IntPredicate::EQ, a, x, "");
        let i32_const = |v: i64| cg.i32().const_int(v as u64, true);
        match check {
            Check::Rank { input } => {
                let rank = i32_const(self.e.inputs[*input].shape.len() as i64);
                self.checker.require(b, eq(self.inputs.ndim(cg, b, *input)?, rank)?, id)
            }
            Check::DType { input } => {
                let code = i32_const(self.e.inputs[*input].dtype.code() as i64);
                self.checker.require(b, eq(self.inputs.dtype(cg, b, *input)?, code)?, id)
            }
            Check::Dim { input, axis, expected } => {
                let ok = eq(self.inputs.dim(cg, b, *input, *axis)?, self.dim(expected)?)?;
                self.checker.require(b, ok, id)
            }
            Check::Equal { lhs, rhs, .. } => self.checker.require(b, eq(self.dim(lhs)?, self.dim(rhs)?)?, id),
            Check::DimMax { var, max } => {
                let ok = b.build_int_compare(
                    IntPredicate::SLE,
                    self.dim(&Dim::var(var))?,
                    cg.i64().const_int(*max as u64, true),
                    "",
                )?;
                self.checker.require(b, ok, id)
            }
            Check::NonNegative { expr, .. } => {
                let ok = b.build_int_compare(IntPredicate::SGE, self.dim(expr)?, cg.i64().const_zero(), "")?;
                self.checker.require(b, ok, id)
            }
            Check::Output { output } => {
                let param = &self.e.outputs[*output];
                let rank = i32_const(param.shape.len() as i64);
                self.checker.require(b, eq(self.outputs.ndim(cg, b, *output)?, rank)?, id)?;
                let code = i32_const(param.dtype.code() as i64);
                self.checker.require(b, eq(self.outputs.dtype(cg, b, *output)?, code)?, id)?;
                for (axis, d) in param.shape.iter().enumerate() {
                    let ok = eq(self.outputs.dim(cg, b, *output, axis)?, self.dim(d)?)?;
                    self.checker.require(b, ok, id)?;
                }
                Ok(())
            }
            Check::Workspace => {
                let given = self.param(3)?.into_int_value();
                let ok = b.build_int_compare(IntPredicate::UGE, given, self.dim(&self.e.workspace_bytes)?, "")?;
                self.checker.require(b, ok, id)
            }
        }
    }
}
