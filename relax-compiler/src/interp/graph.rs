//! Evaluates graph-level functions binding by binding.

use super::shape::{concrete_attrs, concrete_shape, match_tensor, DimEnv};
use super::tir::run_prim_func;
use crate::error::{Error, Result};
use crate::ir::{
    Binding, Call, Callee, Expr, ExprKind, Function, IRModule, Literal, LoopExpr, SeqExpr, StructInfo, TensorInfo,
};
use crate::ndarray::{NDArray, Scalar};
use crate::op;
use relax_rt::DType;
use std::collections::HashMap;

/// The types of one row of each scan output: the body result's types after
/// the carried ones (known once the body is normalized, or written in text).
fn scan_output_types(l: &LoopExpr) -> Result<Vec<TensorInfo>> {
    let result = l.body.result.as_var().and_then(|v| l.body.bindings().find(|b| b.var.name == v));
    let items = match (result.map(|b| &b.var.sinfo), &l.body.result.kind) {
        (Some(StructInfo::Tuple(items)), _) => items.clone(),
        _ => return Err(Error::msg("the loop body's result type is not known (normalize the module first)")),
    };
    items
        .iter()
        .skip(l.carried.len())
        .map(|s| s.as_tensor().cloned().ok_or_else(|| Error::msg("a scan output must be a tensor")))
        .collect()
}

/// Row `i` of `t` along axis 0.
fn row(t: &NDArray, i: usize) -> Result<NDArray> {
    let shape = &t.shape()[1..];
    let size = shape.iter().product::<usize>() * t.dtype().size();
    let bytes = t.to_bytes();
    let slice =
        bytes.get(i * size..(i + 1) * size).ok_or_else(|| Error::msg(format!("no row {i} in {:?}", t.shape())))?;
    NDArray::from_bytes(t.dtype(), shape, slice).map_err(Error::msg)
}

/// `rows` (each of `shape`) stacked along a new axis 0 of size `count`.
fn stack(dtype: DType, shape: &[usize], count: usize, rows: &[NDArray]) -> Result<NDArray> {
    let mut bytes = Vec::new();
    for r in rows {
        if r.shape() != shape {
            return Err(Error::msg(format!("a scan output row has shape {:?}, expected {shape:?}", r.shape())));
        }
        bytes.extend(r.to_bytes());
    }
    let full: Vec<usize> = std::iter::once(count).chain(shape.iter().copied()).collect();
    NDArray::from_bytes(dtype, &full, &bytes).map_err(Error::msg)
}

/// A run-time value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Tensor(NDArray),
    Tuple(Vec<Value>),
}

impl Value {
    pub fn tensor(&self) -> std::result::Result<&NDArray, String> {
        match self {
            Value::Tensor(t) => Ok(t),
            Value::Tuple(_) => Err("expected a tensor, got a tuple".into()),
        }
    }

    /// Every tensor inside, flattened in order.
    pub fn tensors(&self) -> Vec<&NDArray> {
        match self {
            Value::Tensor(t) => vec![t],
            Value::Tuple(items) => items.iter().flat_map(|i| i.tensors()).collect(),
        }
    }
}

struct Frame<'m> {
    module: &'m IRModule,
    vars: HashMap<String, Value>,
    dims: DimEnv,
}

/// Runs the graph function `name` of `module` on `args`.
pub fn run_function(module: &IRModule, name: &str, args: Vec<Value>) -> Result<Value> {
    let f = module.function(name).ok_or_else(|| Error::msg(format!("no function `{name}` in the module")))?;
    let mut frame = Frame { module, vars: HashMap::new(), dims: DimEnv::new() };
    frame.bind_params(f, args)?;
    frame.eval_seq(&f.body)
}

impl<'m> Frame<'m> {
    fn bind_params(&mut self, f: &Function, args: Vec<Value>) -> Result<()> {
        if args.len() != f.params.len() {
            return Err(Error::new(
                f.span,
                format!("{} takes {} arguments, got {}", f.name, f.params.len(), args.len()),
            ));
        }
        for (p, a) in f.params.iter().zip(args) {
            self.check_sinfo(&format!("parameter `{}`", p.name), &p.sinfo, &a).map_err(|e| Error::new(p.span, e))?;
            self.vars.insert(p.name.clone(), a);
        }
        for values in &f.value_dims {
            let t = self.vars.get(&values.param).and_then(|v| v.tensor().ok());
            let t = t.ok_or_else(|| Error::msg(format!("`{}` binds value dims but is no tensor", values.param)))?;
            if t.numel() != values.vars.len() {
                return Err(Error::msg(format!("`{}` cannot hold the values of {:?}", values.param, values.vars)));
            }
            for (k, var) in values.vars.iter().enumerate() {
                let value = match values.factors.get(k) {
                    None => t.get(k).to_i64(),
                    Some(factor) => {
                        let factor =
                            factor.eval(&self.dims).ok_or_else(|| Error::msg(format!("cannot evaluate {factor}")))?;
                        scaled_value(t.get(k).to_f64(), factor)
                    }
                };
                self.dims.insert(var.clone(), value);
            }
        }
        for (var, d) in &f.derived_dims {
            let value = d.eval(&self.dims).ok_or_else(|| Error::msg(format!("cannot evaluate {var} = {d}")))?;
            self.dims.insert(var.clone(), value);
        }
        Ok(())
    }

    /// Matches a value against struct info, binding new symbolic dims.
    fn check_sinfo(&mut self, what: &str, sinfo: &StructInfo, value: &Value) -> std::result::Result<(), String> {
        match (sinfo, value) {
            (StructInfo::Tensor(t), Value::Tensor(v)) => match_tensor(what, t, v, &mut self.dims),
            (StructInfo::Tuple(infos), Value::Tuple(items)) if infos.len() == items.len() => {
                infos.iter().zip(items).try_for_each(|(i, v)| self.check_sinfo(what, i, v))
            }
            (StructInfo::Unknown, _) => Ok(()),
            _ => Err(format!("{what} expects {sinfo}, got a value of another kind")),
        }
    }

    fn eval_seq(&mut self, seq: &SeqExpr) -> Result<Value> {
        for b in seq.bindings() {
            self.eval_binding(b)?;
        }
        self.eval(&seq.result)
    }

    fn eval_binding(&mut self, b: &Binding) -> Result<()> {
        let value = self.eval(&b.value)?;
        if let Some(sinfo) = &b.cast {
            self.check_sinfo(&format!("match_cast of `{}`", b.var.name), sinfo, &value)
                .map_err(|e| Error::new(b.span, e))?;
        }
        self.vars.insert(b.var.name.clone(), value);
        Ok(())
    }

    fn eval(&mut self, e: &Expr) -> Result<Value> {
        let at = |msg: String| Error::new(e.span, msg);
        Ok(match &e.kind {
            ExprKind::Var(v) => match self.vars.get(v) {
                Some(value) => value.clone(),
                None => match self.module.constants.get(v) {
                    Some(c) => Value::Tensor(c.clone()),
                    None => return Err(at(format!("unbound variable `{v}`"))),
                },
            },
            ExprKind::Constant(c) => Value::Tensor(
                self.module.constants.get(c).cloned().ok_or_else(|| at(format!("unknown constant `{c}`")))?,
            ),
            ExprKind::Literal(l) => Value::Tensor(literal_value(*l, default_literal_dtype(*l))),
            ExprKind::TypedLiteral(l, d) => Value::Tensor(literal_value(*l, *d)),
            ExprKind::Tuple(items) => Value::Tuple(items.iter().map(|i| self.eval(i)).collect::<Result<_>>()?),
            ExprKind::GetItem(t, i) => match self.eval(t)? {
                Value::Tuple(mut items) if *i < items.len() => items.swap_remove(*i),
                _ => return Err(at(format!("cannot take element {i}: not a tuple of that size"))),
            },
            ExprKind::Call(call) => self.eval_call(call).map_err(|err| err.at(e.span))?,
            ExprKind::If { cond, then_branch, else_branch } => {
                let c = self.eval(cond)?;
                let c = c.tensor().map_err(at)?;
                if c.numel() != 1 {
                    return Err(at(format!("`if` condition must have one element, got shape {:?}", c.shape())));
                }
                if c.get(0).to_bool() {
                    self.eval_seq(then_branch)?
                } else {
                    self.eval_seq(else_branch)?
                }
            }
            ExprKind::Loop(l) => self.eval_loop(l).map_err(|err| err.at(e.span))?,
        })
    }

    /// Runs the body `trips` times; the value is the final carried values,
    /// then each scan output's rows stacked along a new axis 0.
    fn eval_loop(&mut self, l: &LoopExpr) -> Result<Value> {
        let trips = l.trips.eval(&self.dims).ok_or_else(|| Error::msg(format!("cannot evaluate `{}`", l.trips)))?;
        let mut state: Vec<Value> = l.carried.iter().map(|(_, e)| self.eval(e)).collect::<Result<_>>()?;
        let scanned: Vec<NDArray> =
            l.scans.iter().map(|(_, e)| Ok(self.eval(e)?.tensor()?.clone())).collect::<Result<_>>()?;
        let mut rows: Vec<Vec<NDArray>> = Vec::new();
        for i in 0..trips.max(0) as usize {
            if !self.keeps_going(l, &state)? {
                break;
            }
            for ((v, _), value) in l.carried.iter().zip(&state) {
                self.check_sinfo(&format!("loop variable `{}`", v.name), &v.sinfo, value).map_err(Error::msg)?;
                self.vars.insert(v.name.clone(), value.clone());
            }
            for ((v, _), t) in l.scans.iter().zip(&scanned) {
                self.vars.insert(v.name.clone(), Value::Tensor(row(t, i)?));
            }
            let results = match self.eval_seq(&l.body)? {
                Value::Tuple(results) if results.len() >= state.len() => results,
                _ => return Err(Error::msg("a loop body must give a tuple: the carried values, then scan outputs")),
            };
            let mut results = results.into_iter();
            state = results.by_ref().take(state.len()).collect();
            rows.resize(results.len(), Vec::new());
            for (k, r) in results.enumerate() {
                rows[k].push(r.tensor()?.clone());
            }
        }
        let mut items = state;
        if trips <= 0 {
            // No iteration ran: the types say what the empty outputs look like.
            for t in scan_output_types(l)? {
                let shape = concrete_shape(&t, &self.dims).map_err(Error::msg)?;
                items.push(Value::Tensor(stack(t.dtype, &shape, 0, &[])?));
            }
        }
        for r in rows {
            items.push(Value::Tensor(stack(r[0].dtype(), r[0].shape(), r.len(), &r)?));
        }
        Ok(Value::Tuple(items))
    }

    /// Whether a while loop's condition, a carried bool, is still true
    /// (always, for a counted loop).
    fn keeps_going(&self, l: &LoopExpr, state: &[Value]) -> Result<bool> {
        let Some(name) = &l.condition else { return Ok(true) };
        let flag = l.condition_index().and_then(|k| state.get(k));
        let flag = flag.ok_or_else(|| Error::msg(format!("no carried `{name}`")))?;
        Ok(flag.tensor()?.get(0).to_f64() != 0.0)
    }

    fn eval_call(&mut self, call: &Call) -> Result<Value> {
        let args = self.eval_args(&call.args)?;
        match &call.callee {
            Callee::Op(name) => {
                let def = op::lookup(name).ok_or_else(|| Error::msg(format!("unknown operator `{name}`")))?;
                let tensors: Vec<&NDArray> = args.iter().map(|a| a.tensor()).collect::<std::result::Result<_, _>>()?;
                let mut outs = (def.eval)(&tensors, &concrete_attrs(&call.attrs, &self.dims))
                    .map_err(|e| Error::msg(with_op_name(name, e)))?;
                let inferred = (def.infer)(
                    &tensors.iter().map(|t| concrete_info(t)).collect::<Vec<_>>(),
                    &concrete_attrs(&call.attrs, &self.dims),
                )
                .map_err(|e| Error::msg(with_op_name(name, e)))?;
                Ok(match inferred {
                    StructInfo::Tuple(_) => Value::Tuple(outs.into_iter().map(Value::Tensor).collect()),
                    _ => Value::Tensor(outs.remove(0)),
                })
            }
            Callee::Func(name) => run_function(self.module, name, args),
            Callee::Tir(name) => self.call_tir(name, call, args),
            Callee::Extern(sym) => Err(Error::msg(format!("the interpreter cannot run external function `{sym}`"))),
        }
    }

    /// Evaluates call arguments; untyped literals take the dtype of the first
    /// other tensor argument (the rule `normalize` applies), so `x * 2.0` is an
    /// f64 product when `x` is f64.
    fn eval_args(&mut self, args: &[Expr]) -> Result<Vec<Value>> {
        let mut values: Vec<Option<Value>> = Vec::new();
        for a in args {
            values.push(if matches!(a.kind, ExprKind::Literal(_)) { None } else { Some(self.eval(a)?) });
        }
        let dtype = values.iter().flatten().find_map(|v| match v {
            Value::Tensor(t) => Some(t.dtype()),
            Value::Tuple(_) => None,
        });
        Ok(values
            .into_iter()
            .zip(args)
            .map(|(v, a)| match (v, &a.kind) {
                (Some(v), _) => v,
                (None, ExprKind::Literal(l)) => {
                    Value::Tensor(literal_value(*l, dtype.unwrap_or(default_literal_dtype(*l))))
                }
                (None, _) => unreachable!("only literals are deferred"),
            })
            .collect())
    }

    fn call_tir(&mut self, name: &str, call: &Call, args: Vec<Value>) -> Result<Value> {
        let f = self.module.prim_func(name).ok_or_else(|| Error::msg(format!("no prim fn `{name}`")))?;
        let out_sinfo = call.out_sinfo.as_ref().ok_or_else(|| Error::msg("call_tir without output struct info"))?;
        let mut buffers: Vec<NDArray> = args.iter().flat_map(|a| a.tensors()).cloned().collect();
        let outs = out_sinfo.tensors();
        for t in &outs {
            buffers.push(NDArray::zeros(t.dtype, &concrete_shape(t, &self.dims)?));
        }
        let dims: Vec<i64> = call
            .tir_dims
            .iter()
            .map(|d| d.eval(&self.dims).ok_or_else(|| format!("cannot evaluate dim {d}")))
            .collect::<std::result::Result<_, _>>()?;
        run_prim_func(f, &mut buffers, &dims)?;
        let mut results = buffers.split_off(buffers.len() - outs.len()).into_iter().map(Value::Tensor);
        Ok(match out_sinfo {
            StructInfo::Tuple(_) => Value::Tuple(results.collect()),
            _ => results.next().expect("one output"),
        })
    }
}

fn concrete_info(t: &NDArray) -> crate::ir::TensorInfo {
    crate::ir::TensorInfo::new(t.dtype(), t.shape().iter().map(|&d| crate::ir::Dim::from(d)).collect())
}

/// The dtype an untyped literal gets when nothing else decides it.
pub fn default_literal_dtype(l: Literal) -> DType {
    match l {
        Literal::Float(_) => DType::F32,
        Literal::Int(_) => DType::I64,
        Literal::Bool(_) => DType::Bool,
    }
}

/// A literal as a rank-0 tensor of `dtype`.
pub fn literal_value(l: Literal, dtype: DType) -> NDArray {
    let s = match l {
        Literal::Float(v) => Scalar::F(v),
        Literal::Int(v) => Scalar::I(v),
        Literal::Bool(v) => Scalar::B(v),
    };
    NDArray::scalar(dtype, s)
}

/// Prefixes an operator's message with its name unless it already starts with it.
pub fn with_op_name(name: &str, message: String) -> String {
    if message.starts_with(&format!("{name}:")) {
        message
    } else {
        format!("{name}: {message}")
    }
}

/// `floor(value * factor)` as a dim: how a float scale the caller passes
/// becomes a size, saturating like codegen's `fptosi.sat` (NaN is 0).
pub fn scaled_value(value: f64, factor: i64) -> i64 {
    (value * factor as f64).floor() as i64
}
