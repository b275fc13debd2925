//! State shared by everything converted from one model: the opsets, the names
//! handed out, the constants interned and the problems found so far.

use super::constants::ConstantPool;
use super::external::ExternalData;
use super::names::Namer;
use super::opsets::Opsets;
use super::shape_value::ShapeValue;
use super::value::{Tensor, Value};
use crate::error::{Error, Span};
use crate::ir::{AttrValue, Attrs, Dim, Expr, ExprKind, ValueDims};
use crate::ndarray::NDArray;
use relax_rt::DType;
use std::collections::{BTreeMap, HashSet};

pub struct Importer {
    /// The version of each operator set (domain) the model imports.
    pub opsets: Opsets,
    /// Variable and constant names: one namespace, so no variable shadows a weight.
    pub names: Namer,
    pub constants: ConstantPool,
    pub external: ExternalData,
    /// The graph inputs (their variable names) whose values dims may be bound to.
    pub params: HashSet<String>,
    /// Dims bound to graph inputs' values, as converters asked for them.
    pub value_dims: Vec<ValueDims>,
    /// Dims named for expressions over value dims (see `Function::derived_dims`).
    pub derived_dims: Vec<(String, Dim)>,
    /// Bounds of the symbolic dims the user bounded (`OnnxOptions::dim_max`).
    pub dim_max: Vec<(String, i64)>,
    problems: Vec<Error>,
}

/// The most elements of a graph input whose values become dims: enough for
/// any shape, axes or pads vector.
const MAX_VALUE_DIMS: usize = 64;

impl Importer {
    pub fn new(opsets: Opsets, external: ExternalData) -> Importer {
        Importer {
            opsets,
            names: Namer::default(),
            constants: ConstantPool::default(),
            external,
            params: HashSet::new(),
            value_dims: Vec::new(),
            derived_dims: Vec::new(),
            dim_max: Vec::new(),
            problems: Vec::new(),
        }
    }

    /// `floor(element k * factors[k])` of `t` as symbolic dims read at run
    /// time, when `t` is a graph input holding as many f32/f64 elements as
    /// there are factors (scales that give sizes). The factors must be dims
    /// of graph inputs' shapes; asking twice with other factors gives `None`.
    pub fn param_scaled_values(&mut self, t: &Tensor, factors: Vec<Dim>) -> Option<Vec<Dim>> {
        let param = t.expr.as_var().filter(|v| self.params.contains(*v))?.to_string();
        let count = t.info.shape.iter().map(Dim::as_int).product::<Option<i64>>()? as usize;
        if !matches!(t.info.dtype, DType::F32 | DType::F64) || count != factors.len() {
            return None;
        }
        let vars = match self.value_dims.iter().find(|v| v.param == param) {
            Some(existing) if existing.factors == factors => existing.vars.clone(),
            Some(_) => return None,
            None => {
                let vars: Vec<String> = (0..count).map(|k| self.names.fresh(&format!("{param}_{k}"))).collect();
                self.value_dims.push(ValueDims { param, vars: vars.clone(), factors });
                vars
            }
        };
        Some(vars.iter().map(|v| Dim::var(v)).collect())
    }

    /// Whether `d` depends on a graph input's values (and so may be negative,
    /// or `0`/`-1` with ONNX's special meanings).
    pub fn is_value_dim(&self, d: &Dim) -> bool {
        let vars = d.free_vars();
        let value_vars = self.value_dims.iter().flat_map(|v| &v.vars);
        value_vars.chain(self.derived_dims.iter().map(|(v, _)| v)).any(|v| vars.contains(v))
    }

    /// `d` as a dim of its own (named after `hint`) when it is an expression,
    /// so shapes built from it stay short.
    pub fn derived_dim(&mut self, hint: &str, d: Dim) -> Dim {
        let d = d.simplify();
        if matches!(d, Dim::Int(_) | Dim::Var(_)) {
            return d;
        }
        if let Some((v, _)) = self.derived_dims.iter().find(|(_, e)| *e == d) {
            return Dim::var(v);
        }
        let name = self.names.fresh(hint);
        self.derived_dims.push((name.clone(), d));
        Dim::var(&name)
    }

    /// The values of `t` as symbolic dims read at run time, when `t` is a
    /// graph input holding a few i32/i64 elements (the same dims each time it
    /// is asked). This is how a shape, axes or pads vector the caller passes
    /// as data stays exact: whatever is computed from it is a dim expression
    /// the entry evaluates before any kernel runs.
    pub fn param_values(&mut self, t: &Tensor) -> Option<ShapeValue> {
        let count = t.info.shape.iter().map(Dim::as_int).product::<Option<i64>>()? as usize;
        if !matches!(t.info.dtype, DType::I32 | DType::I64) || t.info.rank() > 1 || count > MAX_VALUE_DIMS {
            return None;
        }
        let dims = self.value_dims(t, count)?;
        Some(ShapeValue { dims, scalar: t.info.rank() == 0, dtype: t.info.dtype })
    }

    /// Whether `d` is known not to be negative: a constant, or a dim of a
    /// graph input's shape (not one read from its values or derived).
    pub fn is_non_negative(&self, d: &Dim) -> bool {
        match d {
            Dim::Int(k) => *k >= 0,
            Dim::Var(v) => {
                !self.value_dims.iter().any(|values| values.vars.contains(v))
                    && !self.derived_dims.iter().any(|(name, _)| name == v)
            }
            _ => false,
        }
    }

    /// A single-element bool graph input as a dim, 0 or 1, read at run time:
    /// a `Loop` whose condition the caller passes runs `flag * M` times.
    pub fn param_flag(&mut self, t: &Tensor) -> Option<Dim> {
        if t.info.dtype != DType::Bool || t.info.numel().as_int() != Some(1) {
            return None;
        }
        self.value_dims(t, 1).map(|mut dims| dims.remove(0))
    }

    /// `count` dims bound to the elements of graph input `t`, created on the
    /// first request; `None` when `t` is not a graph input.
    fn value_dims(&mut self, t: &Tensor, count: usize) -> Option<Vec<Dim>> {
        let param = t.expr.as_var().filter(|v| self.params.contains(*v))?.to_string();
        let vars = match self.value_dims.iter().find(|v| v.param == param) {
            Some(existing) => existing.vars.clone(),
            None => {
                let vars: Vec<String> = (0..count).map(|k| self.names.fresh(&format!("{param}_{k}"))).collect();
                self.value_dims.push(ValueDims { param, vars: vars.clone(), factors: vec![] });
                vars
            }
        };
        Some(vars.iter().map(|v| Dim::var(v)).collect())
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
            Value::Shape(s) => Ok(Tensor { expr: shape_as_data(s), info: s.info() }),
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

/// A shape value used as run-time data: its dims, evaluated when the model
/// runs (`normalize` binds the nested call).
fn shape_as_data(s: &ShapeValue) -> Expr {
    let attrs = Attrs::new()
        .with("values", AttrValue::Dims(s.dims.clone()))
        .with("dtype", AttrValue::DType(s.dtype))
        .with("scalar", AttrValue::Bool(s.scalar));
    Expr::op("shape_to_tensor", vec![], attrs)
}
