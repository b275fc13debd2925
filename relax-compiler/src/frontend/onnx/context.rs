//! What a converter sees of the node it converts: its inputs as [`Value`]s,
//! its attributes, the opset, and ways to emit operator calls.
//!
//! [`NodeCtx::call`] is where constant folding happens: a call whose
//! arguments are all known is evaluated at once with the operator's reference
//! semantics, so converters are written once for run-time and constant
//! inputs alike.

use super::attrs::Attributes;
use super::emitter::Emitter;
use super::importer::Importer;
use super::proto::NodeProto;
use super::scope::Scope;
use super::shape_value::ShapeValue;
use super::value::Value;
use crate::error::Span;
use crate::interp::graph::with_op_name;
use crate::ir::dim::shape_to_string;
use crate::ir::{AttrValue, Attrs, Dim, Expr, ExprKind, StructInfo, TensorInfo};
use crate::ndarray::NDArray;
use crate::op;

pub struct NodeCtx<'a, 's> {
    pub node: &'a NodeProto,
    pub attrs: Attributes<'a>,
    /// The model's version of the node's operator set (its domain).
    pub opset: i64,
    /// One entry per input slot; `None` for an omitted optional input (`""`).
    inputs: Vec<Option<Value>>,
    pub importer: &'a mut Importer,
    pub emitter: &'a mut Emitter,
    /// The names visible at this node, for converting subgraphs.
    pub scope: &'a Scope<'s>,
    /// Where the node is, for messages about nodes inside its subgraphs.
    pub label: &'a str,
}

impl<'a, 's> NodeCtx<'a, 's> {
    pub fn new(
        node: &'a NodeProto,
        opset: i64,
        inputs: Vec<Option<Value>>,
        importer: &'a mut Importer,
        emitter: &'a mut Emitter,
        scope: &'a Scope<'s>,
        label: &'a str,
    ) -> NodeCtx<'a, 's> {
        NodeCtx { node, attrs: Attributes::new(&node.attribute), opset, inputs, importer, emitter, scope, label }
    }

    /// Input `k`, which the operator requires.
    pub fn input(&self, k: usize) -> Result<Value, String> {
        self.optional_input(k).ok_or_else(|| format!("input {k} is required but missing"))
    }

    /// Input `k`, or `None` when it is omitted.
    pub fn optional_input(&self, k: usize) -> Option<Value> {
        self.inputs.get(k).cloned().flatten()
    }

    /// The inputs that are present, in order (for variadic operators).
    pub fn present_inputs(&self) -> Vec<Value> {
        self.inputs.iter().flatten().cloned().collect()
    }

    /// The ONNX name of input `k`, for messages.
    pub fn input_name(&self, k: usize) -> &str {
        self.node.input.get(k).map_or("", |s| s.as_str())
    }

    /// Input `k` as integers known at compile time (axes, sizes, pads), or
    /// `None` when it is omitted.
    pub fn const_ints(&self, k: usize) -> Result<Option<Vec<i64>>, String> {
        let Some(value) = self.optional_input(k) else { return Ok(None) };
        let why = match &value {
            Value::Shape(s) => format!("it depends on the symbolic dims {}", shape_to_string(&s.dims)),
            _ => "it is computed at run time".to_string(),
        };
        value
            .const_ints()
            .map(Some)
            .ok_or_else(|| format!("input `{}` must be integers known at compile time, but {why}", self.input_name(k)))
    }

    /// Input `k` as integers known at compile time, possibly symbolic: a
    /// constant, a shape value, or a graph input whose values become dims
    /// bound at run time. `None` when the input is omitted.
    pub fn int_values(&mut self, k: usize) -> Result<Option<ShapeValue>, String> {
        let Some(value) = self.optional_input(k) else { return Ok(None) };
        let values = match &value {
            Value::Tensor(t) => self.importer.param_values(t),
            other => other.as_shape(),
        };
        values.map(Some).ok_or_else(|| {
            format!(
                "input `{}` must be integers known at compile time or a graph input of at most a few integers, \
                 but it is computed at run time ({})",
                self.input_name(k),
                value.info()
            )
        })
    }

    /// How many outputs the node asks for (omitted trailing ones included).
    pub fn output_count(&self) -> usize {
        self.node.output.len()
    }

    /// Whether output `k` is used (named) by the node.
    pub fn wants_output(&self, k: usize) -> bool {
        self.node.output.get(k).is_some_and(|name| !name.is_empty())
    }

    /// Calls relax operator `op`, folding it when every argument is a constant.
    pub fn call(&mut self, op: &str, args: &[Value], attrs: Attrs) -> Result<Value, String> {
        let mut outputs = self.call_op(op, args, attrs, false)?;
        Ok(outputs.remove(0))
    }

    /// Calls an operator with several results (`split`): one value each.
    pub fn call_tuple(&mut self, op: &str, args: &[Value], attrs: Attrs) -> Result<Vec<Value>, String> {
        self.call_op(op, args, attrs, true)
    }

    fn call_op(&mut self, name: &str, args: &[Value], attrs: Attrs, tuple: bool) -> Result<Vec<Value>, String> {
        let def = op::lookup(name).ok_or_else(|| format!("internal error: no relax operator `{name}`"))?;
        let checked;
        let args = match def.kind {
            op::OpKind::Broadcast => {
                checked = self.broadcast_checked(args)?;
                &checked[..]
            }
            _ => args,
        };
        let infos: Vec<_> = args.iter().map(Value::info).collect();
        let sinfo = (def.infer)(&infos, &attrs).map_err(|e| with_op_name(name, e))?;
        let arrays = args.iter().map(Value::as_const).collect::<Option<Vec<&NDArray>>>();
        if let Some(arrays) = arrays.filter(|_| foldable(&sinfo)) {
            let outputs = (def.eval)(&arrays, &attrs).map_err(|e| with_op_name(name, e))?;
            return Ok(outputs.into_iter().map(|array| self.folded(array, args)).collect());
        }
        let operands = args.iter().map(|a| self.importer.operand(a)).collect::<Result<Vec<_>, _>>()?;
        let call = Expr::op(name, operands.into_iter().map(|o| o.expr).collect(), attrs);
        match (sinfo, tuple) {
            (StructInfo::Tensor(info), false) => Ok(vec![Value::tensor(call, info)]),
            (StructInfo::Tuple(items), true) => Ok(self.bind_items(call, items)),
            (other, _) => Err(format!("internal error: {name} returned {other}")),
        }
    }

    /// `x` reshaped to `dims`, which may depend on run-time values: when the
    /// element counts cannot be proven equal, a `match_cast` checks them at
    /// run time (on `x` flattened), so a wrong shape input is an error naming
    /// the node rather than a wrong read.
    pub fn reshape_checked(&mut self, x: Value, dims: Vec<Dim>) -> Result<Value, String> {
        let info = x.info();
        let total = Dim::product(&dims).simplify();
        if info.numel().simplify().proven_eq(&total) {
            return self.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(dims)));
        }
        let flat = self.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(vec![info.numel()])))?;
        let checked = self.match_cast(flat, vec![total])?;
        self.call("reshape", &[checked], Attrs::new().with("shape", AttrValue::Dims(dims)))
    }

    /// `x` with its shape checked at run time against `dims` (a `match_cast`).
    pub fn match_cast(&mut self, x: Value, dims: Vec<Dim>) -> Result<Value, String> {
        let info = TensorInfo::new(x.dtype(), dims);
        let operand = self.importer.operand(&x)?;
        let hint = format!("{}_checked", self.node.output.first().map_or("", |s| s.as_str()));
        let name = self.importer.names.fresh(&hint);
        let var = self.emitter.bind_cast(name, operand.expr, StructInfo::Tensor(info.clone()));
        Ok(Value::tensor(var, info))
    }

    /// The value bound to a variable (named `<output>_<what>`) if it is a
    /// run-time expression, so a converter can read it twice without
    /// computing it twice.
    pub fn bind(&mut self, value: Value, what: &str) -> Value {
        match value {
            Value::Tensor(t) if !matches!(t.expr.kind, ExprKind::Var(_) | ExprKind::Constant(_)) => {
                let hint = format!("{}_{what}", self.node.output.first().map_or("", |s| s.as_str()));
                let var = self.emitter.bind(self.importer.names.fresh(&hint), t.expr);
                Value::tensor(var, t.info)
            }
            other => other,
        }
    }

    /// A value folded from `args`, named after the first of them with a name.
    fn folded(&mut self, array: NDArray, args: &[Value]) -> Value {
        let value = Value::constant(array);
        let hint = args.iter().find_map(|a| match a {
            Value::Const(c) => self.importer.constants.hint_of(c).map(str::to_string),
            _ => None,
        });
        if let (Value::Const(c), Some(hint)) = (&value, hint) {
            self.importer.constants.hint(c, &hint);
        }
        value
    }

    /// Binds a tuple-valued expression once and reads its items from the
    /// variable.
    pub fn bind_items(&mut self, tuple: Expr, items: Vec<StructInfo>) -> Vec<Value> {
        let hint = format!("{}_parts", self.node.output.first().map_or("", |s| s.as_str()));
        let var = self.emitter.bind(self.importer.names.fresh(&hint), tuple);
        items
            .into_iter()
            .enumerate()
            .filter_map(|(k, s)| {
                let info = s.as_tensor()?.clone();
                Some(Value::tensor(Expr::new(ExprKind::GetItem(Box::new(var.clone()), k), Span::NONE), info))
            })
            .collect()
    }
}

/// Results larger than this many elements (1 GiB of f32) are computed at run
/// time rather than folded, so a model cannot make the compiler allocate
/// without bound.
const FOLD_LIMIT: i64 = 1 << 28;

fn foldable(result: &StructInfo) -> bool {
    result.tensors().iter().all(|t| t.numel().as_int().is_some_and(|n| n <= FOLD_LIMIT))
}

/// An attribute holding a list of integers.
pub fn ints_attr(values: &[i64]) -> AttrValue {
    AttrValue::Dims(values.iter().map(|&v| Dim::Int(v)).collect())
}
