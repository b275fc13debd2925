//! What a kernel body can name while it is compiled: integer variables (loop
//! variables and dim parameters) and buffers. Inner bindings shadow outer ones
//! and disappear when their statement ends, as in the interpreter.

use crate::error::{CodegenError, Result};
use inkwell::values::{IntValue, PointerValue};
use relax_rt::DType;

/// A buffer: where its elements are, their dtype, and its dims as i64 values.
#[derive(Clone, Debug)]
pub(crate) struct BufferSlot<'ctx> {
    pub name: String,
    pub ptr: PointerValue<'ctx>,
    pub dtype: DType,
    pub dims: Vec<IntValue<'ctx>>,
}

#[derive(Default)]
pub(crate) struct Scope<'ctx> {
    vars: Vec<(String, IntValue<'ctx>)>,
    buffers: Vec<BufferSlot<'ctx>>,
}

impl<'ctx> Scope<'ctx> {
    pub fn push_var(&mut self, name: &str, value: IntValue<'ctx>) {
        self.vars.push((name.to_string(), value));
    }

    pub fn pop_var(&mut self) {
        self.vars.pop();
    }

    pub fn var(&self, name: &str) -> Result<IntValue<'ctx>> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| CodegenError::new(format!("unbound variable `{name}`")))
    }

    pub fn push_buffer(&mut self, slot: BufferSlot<'ctx>) {
        self.buffers.push(slot);
    }

    pub fn pop_buffer(&mut self) {
        self.buffers.pop();
    }

    pub fn buffer(&self, name: &str) -> Result<&BufferSlot<'ctx>> {
        self.buffers
            .iter()
            .rev()
            .find(|b| b.name == name)
            .ok_or_else(|| CodegenError::new(format!("unknown buffer `{name}`")))
    }
}
