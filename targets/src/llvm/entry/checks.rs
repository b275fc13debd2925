//! Run-time checks of an entry: each failed check returns its id (index in
//! `EntryFunc::checks` + 1) through one shared failure block, so callers turn
//! the code back into a message with `relax_rt::invoke`.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use inkwell::basic_block::BasicBlock;
use inkwell::builder::Builder;
use inkwell::values::{FunctionValue, IntValue, PhiValue};
use std::cell::Cell;

pub(crate) struct Checker<'a, 'ctx> {
    cg: &'a Codegen<'ctx>,
    func: FunctionValue<'ctx>,
    /// `ret i32 %id`, created with the first check (a function without
    /// checks must not have a phi with no incoming values).
    failure: Cell<Option<(BasicBlock<'ctx>, PhiValue<'ctx>)>>,
}

impl<'a, 'ctx> Checker<'a, 'ctx> {
    pub fn new(cg: &'a Codegen<'ctx>, func: FunctionValue<'ctx>) -> Self {
        Checker { cg, func, failure: Cell::new(None) }
    }

    /// Continues where `b` is if `ok`, else returns `id`; `b` ends up in the
    /// passing branch.
    pub fn require(&self, b: &Builder<'ctx>, ok: IntValue<'ctx>, id: u32) -> Result<()> {
        let (fail_block, failed_id) = self.failure_block()?;
        let from = b.get_insert_block().ok_or_else(|| CodegenError::new("builder is not positioned"))?;
        let pass = self.cg.context.append_basic_block(self.func, &format!("check{id}_ok"));
        b.build_conditional_branch(ok, pass, fail_block)?;
        failed_id.add_incoming(&[(&self.cg.i32().const_int(id as u64, false), from)]);
        b.position_at_end(pass);
        Ok(())
    }

    fn failure_block(&self) -> Result<(BasicBlock<'ctx>, PhiValue<'ctx>)> {
        if let Some(existing) = self.failure.get() {
            return Ok(existing);
        }
        let block = self.cg.context.append_basic_block(self.func, "check_failed");
        let b = self.cg.context.create_builder();
        b.position_at_end(block);
        let id = b.build_phi(self.cg.i32(), "check_id")?;
        b.build_return(Some(&id.as_basic_value()))?;
        self.failure.set(Some((block, id)));
        Ok((block, id))
    }
}
