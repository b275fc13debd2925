//! `Loop` as the IR's graph-level `loop`.
//!
//! ONNX's loop is `for (i = 0; i < M && cond; i++) { cond, v.. = body(i, cond, v..) }`.
//! The body only runs while `cond` is true, so the body's `cond_in` is always
//! true inside it and enters the conversion as that constant; what matters is
//! the body's `cond_out`:
//!
//! - When `cond_out` folds to true, the loop is *counted*: it runs `M` times,
//!   times the initial condition as 0 or 1. With `M` a dim (a constant, a
//!   shape value or a graph input) and the initial condition a constant or a
//!   graph input, that count is a dim, so scan outputs stack to `[count, ..]`
//!   and every shape is known before the model runs.
//! - Otherwise the loop is a `while` loop over a carried bool, the condition
//!   (and `i + 1 < M` when `M` is computed at run time). Its number of
//!   iterations is known only when it ends, so it cannot have scan outputs:
//!   the native ABI needs every output shape before the model runs.
//!
//! The iteration number is a carried i64 counter, present only when the body
//! reads it or a run-time `M` is compared with it.

use super::control::scalar_condition;
use super::scan::{check_carried_types, stacked_type};
use super::Converter;
use crate::error::Span;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::emitter::Emitter;
use crate::frontend::onnx::graph::convert_body;
use crate::frontend::onnx::proto::GraphProto;
use crate::frontend::onnx::value::{Tensor, Value};
use crate::ir::{AttrValue, Attrs, Dim, Expr, ExprKind, LoopExpr, StructInfo, TensorInfo, Var};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[Converter::new("Loop", loop_).attrs(&["body"]).outputs(usize::MAX)];

/// The trip count `M`.
enum Trips {
    /// Known as a dim (at least 0).
    Dim(Dim),
    /// Computed at run time: compared with the iteration counter.
    Data(Value),
    /// Omitted: only the condition ends the loop.
    Unbounded,
}

/// The initial condition, a rank-0 bool, and whether it is known as a dim
/// (0 or 1): a constant, omitted (1) or a graph input.
struct Start {
    value: Value,
    flag: Option<Dim>,
}

fn loop_(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let body = ctx.attrs.graph("body")?.ok_or("attribute body is required")?;
    let trips = trip_count(ctx)?;
    let start = start_condition(ctx)?;
    let initial: Vec<Value> = (2..ctx.node.input.len()).filter_map(|k| ctx.optional_input(k)).collect();
    if initial.len() + 2 != ctx.node.input.len() {
        return Err("every loop-carried initial value is required".into());
    }
    if body.input.len() != initial.len() + 2 {
        return Err(format!(
            "the body has {} inputs; it needs the iteration number, the condition and the {} carried values",
            body.input.len(),
            initial.len()
        ));
    }
    let counter_used = reads_name(body, body.input[0].name()) || matches!(trips, Trips::Data(_));
    build_loop(ctx, body, trips, start, initial, counter_used)
}

/// `M` as a dim when it is known as one, otherwise as run-time data.
fn trip_count(ctx: &mut NodeCtx) -> Result<Trips, String> {
    let Some(m) = ctx.optional_input(0) else { return Ok(Trips::Unbounded) };
    let info = m.info();
    if info.dtype != DType::I64 || info.numel().as_int() != Some(1) {
        return Err(format!("the trip count M must be a single int64, got {info}"));
    }
    let dims = match &m {
        Value::Tensor(t) => ctx.importer.param_values(t),
        other => other.as_shape(),
    };
    Ok(match dims {
        Some(v) if ctx.importer.is_non_negative(&v.dims[0]) => Trips::Dim(v.dims[0].clone()),
        Some(v) => Trips::Dim(v.dims[0].clone().max(0).simplify()),
        None => Trips::Data(scalar(ctx, m)?),
    })
}

fn start_condition(ctx: &mut NodeCtx) -> Result<Start, String> {
    let Some(cond) = ctx.optional_input(1) else {
        return Ok(Start { value: Value::scalar(DType::Bool, 1.0), flag: Some(Dim::Int(1)) });
    };
    let value = scalar_condition(ctx, cond)?;
    let flag = match &value {
        Value::Const(c) => Some(Dim::Int(c.get(0).to_bool() as i64)),
        Value::Tensor(t) => ctx.importer.param_flag(t),
        Value::Shape(_) => None,
    };
    Ok(Start { value, flag })
}

/// A one-element value as rank 0.
fn scalar(ctx: &mut NodeCtx, v: Value) -> Result<Value, String> {
    if v.rank() == 0 {
        return Ok(v);
    }
    ctx.call("reshape", &[v], Attrs::new().with("shape", AttrValue::Dims(vec![])))
}

/// Whether `graph` or a subgraph nested in it reads `name`.
fn reads_name(graph: &GraphProto, name: &str) -> bool {
    graph.output.iter().any(|o| o.name() == name)
        || graph.node.iter().any(|n| {
            n.input.iter().any(|i| i == name)
                || n.attribute.iter().flat_map(|a| a.g.iter().chain(&a.graphs)).any(|g| reads_name(g, name))
        })
}

fn build_loop(
    ctx: &mut NodeCtx,
    body: &GraphProto,
    trips: Trips,
    start: Start,
    initial: Vec<Value>,
    counter_used: bool,
) -> Result<Vec<Value>, String> {
    let counter = counter_used.then(|| carried_var(ctx, "iteration", TensorInfo::new(DType::I64, vec![])));
    let mut carried = Vec::new();
    let mut params = vec![counter_param(&counter), Value::scalar(DType::Bool, 1.0)];
    for v in &initial {
        let t = ctx.importer.operand(v)?;
        let (var, param) = carried_var(ctx, "state", t.info);
        carried.push((var, t.expr));
        params.push(param);
    }
    let within = format!("the body of {}", ctx.label);
    let mut emitter = Emitter::default();
    let outputs = convert_body(body, &within, ctx.scope, params, &mut emitter, ctx.importer)
        .ok_or("its body cannot be converted (see the nodes above)")?;
    if outputs.len() < 1 + carried.len() {
        return Err(format!("the body gives {} outputs; it needs the condition and {}", outputs.len(), carried.len()));
    }
    let scan_count = outputs.len() - 1 - carried.len();
    let counted = is_true(&outputs[0]) && !matches!(trips, Trips::Data(_)) && start.flag.is_some();
    if !counted && scan_count > 0 {
        return Err(while_scan_error(scan_count));
    }
    let own_next = {
        let mut inner = NodeCtx::new(ctx.node, ctx.opset, vec![], ctx.importer, &mut emitter, ctx.scope, ctx.label);
        own_next_values(&mut inner, counted, &outputs[0], &counter, &trips)?
    };
    let keep = match counted {
        true => None,
        false => {
            let init = keep_going(ctx, &start.value, &None, &trips, 0)?;
            let (var, _) = carried_var(ctx, "keep_going", TensorInfo::new(DType::Bool, vec![]));
            Some((var, ctx.importer.operand(&init)?.expr))
        }
    };
    let results = outputs[1..].iter().map(|v| ctx.importer.operand(v)).collect::<Result<Vec<_>, _>>()?;
    check_carried_types(&carried, &results)?;
    let count = iteration_count(&keep, &trips, &start)?;
    let condition = keep.as_ref().map(|(v, _)| v.name.clone());
    let mut own: Vec<(Var, Expr)> = keep.into_iter().collect();
    if let Some((var, _)) = counter {
        own.push((var, ctx.importer.operand(&Value::scalar(DType::I64, 0.0))?.expr));
    }
    let own_count = own.len();
    own.extend(carried);
    let next: Vec<Tensor> = own_next.into_iter().chain(results).collect();
    let types = result_types(&own, &next, &count)?;
    let result = Expr::new(ExprKind::Tuple(next.into_iter().map(|t| t.expr).collect()), Span::NONE);
    let l = LoopExpr { trips: count, condition, carried: own, scans: vec![], body: emitter.finish(result) };
    let mut values = ctx.bind_items(Expr::new(ExprKind::Loop(Box::new(l)), Span::NONE), types);
    Ok(values.split_off(own_count))
}

/// The next values of the loop's own carried variables, computed at the end
/// of the body: the while loop's condition, then the counter plus one.
fn own_next_values(
    ctx: &mut NodeCtx,
    counted: bool,
    cond_out: &Value,
    counter: &Option<(Var, Value)>,
    trips: &Trips,
) -> Result<Vec<Tensor>, String> {
    let mut next = Vec::new();
    if !counted {
        let keep = keep_going(ctx, cond_out, counter, trips, 1)?;
        next.push(ctx.importer.operand(&keep)?);
    }
    if let Some((_, param)) = counter {
        let add = ctx.call("add", &[param.clone(), Value::scalar(DType::I64, 1.0)], Attrs::new())?;
        next.push(ctx.importer.operand(&add)?);
    }
    Ok(next)
}

/// The loop's bound: `M` times the initial condition for a counted loop, `M`
/// (or unbounded) for a while loop.
fn iteration_count(keep: &Option<(Var, Expr)>, trips: &Trips, start: &Start) -> Result<Dim, String> {
    Ok(match (keep, trips, &start.flag) {
        (Some(_), Trips::Dim(m), _) => m.clone(),
        (Some(_), _, _) => Dim::Int(i64::MAX),
        (None, Trips::Dim(m), flag) => (m.clone() * flag.clone().unwrap_or(Dim::Int(1))).simplify(),
        (None, _, Some(Dim::Int(0))) => Dim::Int(0),
        (None, _, _) => return Err(never_ends()),
    })
}

/// The loop's types: each carried variable's, then each scan output's rows
/// stacked along a new axis 0 of `count`.
fn result_types(carried: &[(Var, Expr)], next: &[Tensor], count: &Dim) -> Result<Vec<StructInfo>, String> {
    let mut types: Vec<StructInfo> = carried.iter().map(|(v, _)| v.sinfo.clone()).collect();
    for r in &next[carried.len()..] {
        types.push(stacked_type(&StructInfo::Tensor(r.info.clone()), count)?);
    }
    Ok(types)
}

/// A fresh carried variable of type `info` and the value the body sees.
fn carried_var(ctx: &mut NodeCtx, hint: &str, info: TensorInfo) -> (Var, Value) {
    let name = ctx.importer.names.fresh(hint);
    (Var::new(name.clone(), StructInfo::Tensor(info.clone())), Value::tensor(Expr::var(&name), info))
}

/// The iteration number as the body sees it (unused when there is no counter).
fn counter_param(counter: &Option<(Var, Value)>) -> Value {
    match counter {
        Some((_, param)) => param.clone(),
        None => Value::scalar(DType::I64, 0.0),
    }
}

/// `cond && counter + ahead < M` for a run-time `M`, else `cond`.
fn keep_going(
    ctx: &mut NodeCtx,
    cond: &Value,
    counter: &Option<(Var, Value)>,
    trips: &Trips,
    ahead: i64,
) -> Result<Value, String> {
    let cond = scalar_condition(ctx, cond.clone())?;
    let Trips::Data(m) = trips else { return Ok(cond) };
    let at = match counter {
        Some((_, param)) => ctx.call("add", &[param.clone(), Value::scalar(DType::I64, ahead as f64)], Attrs::new())?,
        None => Value::scalar(DType::I64, ahead as f64),
    };
    let below = ctx.call("less", &[at, m.clone()], Attrs::new())?;
    ctx.call("logical_and", &[cond, below], Attrs::new())
}

fn is_true(v: &Value) -> bool {
    v.as_const().is_some_and(|c| c.numel() == 1 && c.get(0).to_bool())
}

fn while_scan_error(scan_count: usize) -> String {
    format!(
        "its {scan_count} scan output(s) would have one row per iteration, but the body computes the loop \
         condition (or the trip count is computed) at run time, so the number of iterations is known only when \
         the loop ends, and compiled models need every output shape before they run; a loop whose body passes \
         `cond` through unchanged, with a trip count that is a constant, a shape or a graph input, can have \
         scan outputs"
    )
}

fn never_ends() -> String {
    "it has no trip count and its body always sets the condition to true, so it would never end".into()
}
