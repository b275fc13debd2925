//! State shared by everything converted from one model: the opset, the names
//! handed out, the constants interned and the problems found so far.

use super::constants::ConstantPool;
use super::external::ExternalData;
use super::names::Namer;
use super::value::{Tensor, Value};
use crate::error::{Error, Span};
use crate::ir::dim::shape_to_string;
use crate::ir::{Expr, ExprKind};
use crate::ndarray::NDArray;
use std::collections::BTreeMap;

pub struct Importer {
    /// The version of the default (`ai.onnx`) operator set the model imports.
    pub opset: i64,
    /// Variable and constant names: one namespace, so no variable shadows a weight.
    pub names: Namer,
    pub constants: ConstantPool,
    pub external: ExternalData,
    problems: Vec<Error>,
}

impl Importer {
    pub fn new(opset: i64, external: ExternalData) -> Importer {
        Importer { opset, names: Namer::default(), constants: ConstantPool::default(), external, problems: Vec::new() }
    }

    /// Records a problem; the import goes on to find the others. A problem
    /// found twice (a subgraph node checked again after its `If` failed) is
    /// listed once.
    pub fn report(&mut self, message: String) {
        if !self.problems.iter().any(|p| p.diagnostics.iter().any(|d| d.message == message)) {
            self.problems.push(Error::new(Span::NONE, message));
        }
    }

    pub fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// The value as an expression a run-time operation can read: constants
    /// become module constants. Shape values with symbolic elements cannot
    /// be, yet: no operator turns dims into a tensor.
    pub fn operand(&mut self, value: &Value) -> Result<Tensor, String> {
        match value {
            Value::Tensor(t) => Ok(t.clone()),
            Value::Const(array) => {
                let name = self.constants.intern(array, &mut self.names);
                Ok(Tensor { expr: Expr::new(ExprKind::Constant(name), Span::NONE), info: value.info() })
            }
            Value::Shape(s) => Err(format!(
                "the shape value {} is used as run-time data here; turning symbolic dims into a tensor \
                 is not supported yet",
                shape_to_string(&s.dims)
            )),
        }
    }

    /// The constants and, if anything went wrong, every problem at once.
    pub fn finish(self) -> Result<BTreeMap<String, NDArray>, Error> {
        if self.problems.is_empty() {
            Ok(self.constants.into_constants())
        } else {
            Err(Error::many(self.problems))
        }
    }
}
