//! Statements of a kernel body: loops, stores, scratch allocations, branches.
//!
//! Loops are emitted in rotated form (guard, then a body that tests at its
//! end) with an i64 induction variable, the shape LLVM's loop passes expect.
//! Loop kinds other than serial are hints; LLVM's own vectorizer and unroller
//! decide. Scratch buffers are stack slots in the entry block, so a loop
//! around an `Alloc` reuses one slot, zeroed each time the `Alloc` runs, as
//! the interpreter's fresh zero buffer would be.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::expr::ExprCompiler;
use crate::llvm::memory;
use crate::llvm::scope::{BufferSlot, Scope};
use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::values::FunctionValue;
use inkwell::IntPredicate;
use relax_compiler::ir::{Buffer, PExpr, Stmt};

/// Alignment of scratch buffers: a cache line, enough for any vector.
const SCRATCH_ALIGN: u32 = 64;

pub(crate) struct StmtCompiler<'a, 'ctx> {
    cg: &'a Codegen<'ctx>,
    func: FunctionValue<'ctx>,
    b: Builder<'ctx>,
    /// Appends to the entry block, which holds only allocas and a branch to
    /// the body, so stack slots never sit inside loops.
    allocas: Builder<'ctx>,
    /// The first block of the body, where the entry block branches.
    body_block: BasicBlock<'ctx>,
    scope: Scope<'ctx>,
}

impl<'a, 'ctx> StmtCompiler<'a, 'ctx> {
    pub fn new(cg: &'a Codegen<'ctx>, func: FunctionValue<'ctx>) -> Self {
        let entry = cg.context.append_basic_block(func, "entry");
        let body = cg.context.append_basic_block(func, "body");
        let allocas = cg.context.create_builder();
        allocas.position_at_end(entry);
        let b = cg.context.create_builder();
        b.position_at_end(body);
        StmtCompiler { cg, func, b, allocas, body_block: body, scope: Scope::default() }
    }

    /// The builder of the body, for code that runs before the first statement.
    pub fn builder(&self) -> &Builder<'ctx> {
        &self.b
    }

    /// Compiles `body` with `scope` and returns from the function.
    pub fn finish(mut self, scope: Scope<'ctx>, body: &Stmt) -> Result<()> {
        self.scope = scope;
        self.stmt(body)?;
        self.b.build_return(None)?;
        self.allocas.build_unconditional_branch(self.body_block)?;
        Ok(())
    }

    fn exprs(&self) -> ExprCompiler<'_, 'ctx> {
        ExprCompiler::new(self.cg, &self.b, &self.scope)
    }

    fn stmt(&mut self, s: &Stmt) -> Result<()> {
        match s {
            Stmt::For { var, extent, body, .. } => self.for_loop(var, extent, body),
            Stmt::Store { buf, idx, value } => self.store(buf, idx, value),
            Stmt::Seq(items) => items.iter().try_for_each(|s| self.stmt(s)),
            Stmt::Alloc { buf, body } => self.alloc(buf, body),
            Stmt::If { cond, then_branch, else_branch } => self.if_else(cond, then_branch, else_branch.as_deref()),
        }
    }

    fn store(&mut self, buf: &str, idx: &[PExpr], value: &PExpr) -> Result<()> {
        let exprs = self.exprs();
        let slot = self.scope.buffer(buf)?;
        let value = exprs.compile_as(value, slot.dtype)?;
        let idx = exprs.indices(idx)?;
        memory::store(self.cg, &self.b, slot, &idx, value)
    }

    /// `for var in 0..extent` (no iterations when extent <= 0).
    fn for_loop(&mut self, var: &str, extent: &PExpr, body: &Stmt) -> Result<()> {
        let (b, i64t) = (&self.b, self.cg.i64());
        let extent = self.exprs().compile_i64(extent)?;
        let preheader = self.current_block()?;
        let body_block = self.cg.context.append_basic_block(self.func, &format!("loop.{var}"));
        let exit_block = self.cg.context.append_basic_block(self.func, &format!("after.{var}"));
        let zero = i64t.const_zero();
        b.build_conditional_branch(b.build_int_compare(IntPredicate::SGT, extent, zero, "")?, body_block, exit_block)?;

        b.position_at_end(body_block);
        let phi = b.build_phi(i64t, var)?;
        let i = phi.as_basic_value().into_int_value();
        self.scope.push_var(var, i);
        let result = self.stmt(body);
        self.scope.pop_var();
        result?;

        let b = &self.b;
        let latch = self.current_block()?;
        let next = b.build_int_nsw_add(i, i64t.const_int(1, false), "")?;
        b.build_conditional_branch(b.build_int_compare(IntPredicate::SLT, next, extent, "")?, body_block, exit_block)?;
        phi.add_incoming(&[(&zero, preheader), (&next, latch)]);
        b.position_at_end(exit_block);
        Ok(())
    }

    /// A zeroed scratch buffer of static shape, live in `body`.
    fn alloc(&mut self, buf: &Buffer, body: &Stmt) -> Result<()> {
        let shape = static_shape(buf)?;
        let count: u64 = shape.iter().product();
        let elem = self.cg.memory_type(buf.dtype);
        let i64t = self.cg.i64();
        let ptr = self.allocas.build_array_alloca(elem, i64t.const_int(count, false), &buf.name)?;
        if let Some(inst) = ptr.as_instruction() {
            inst.set_alignment(SCRATCH_ALIGN).map_err(|e| CodegenError::new(format!("alignment: {e}")))?;
        }
        let bytes = i64t.const_int(count * buf.dtype.size() as u64, false);
        self.b.build_memset(ptr, SCRATCH_ALIGN, self.cg.i8().const_zero(), bytes)?;

        let dims = shape.iter().map(|&d| i64t.const_int(d, false)).collect();
        self.scope.push_buffer(BufferSlot { name: buf.name.clone(), ptr, dtype: buf.dtype, dims });
        let result = self.stmt(body);
        self.scope.pop_buffer();
        result
    }

    fn if_else(&mut self, cond: &PExpr, then_branch: &Stmt, else_branch: Option<&Stmt>) -> Result<()> {
        let cond = self.exprs().compile_bool(cond)?;
        let ctx = self.cg.context;
        let then_block = ctx.append_basic_block(self.func, "then");
        let else_block = ctx.append_basic_block(self.func, "else");
        let merge_block = ctx.append_basic_block(self.func, "endif");
        self.b.build_conditional_branch(cond, then_block, else_block)?;
        for (block, branch) in [(then_block, Some(then_branch)), (else_block, else_branch)] {
            self.b.position_at_end(block);
            if let Some(s) = branch {
                self.stmt(s)?;
            }
            self.b.build_unconditional_branch(merge_block)?;
        }
        self.b.position_at_end(merge_block);
        Ok(())
    }

    fn current_block(&self) -> Result<BasicBlock<'ctx>> {
        self.b.get_insert_block().ok_or_else(|| CodegenError::new("builder is not positioned"))
    }
}

/// The element counts of a scratch buffer's dims; it lives on the stack, so
/// they must be compile-time constants.
fn static_shape(buf: &Buffer) -> Result<Vec<u64>> {
    buf.shape
        .iter()
        .map(|d| match d.as_int() {
            Some(v) if v >= 0 => Ok(v as u64),
            _ => Err(CodegenError::new(format!(
                "scratch buffer `{}` has dimension `{d}`, which is not a non-negative constant \
                 (scratch buffers live on the stack and need a static shape)",
                buf.name
            ))),
        })
        .collect()
}
