//! `Scan` as the IR's graph-level `loop`.
//!
//! A scan runs its body once per row of its scan inputs, carrying state from
//! one iteration to the next; the number of iterations is a dim (the scan
//! axis of the inputs), so every output shape is known before the loop runs.
//! Scan axes other than 0 become transposes around the loop. Opset 8's form,
//! with a leading batch axis, is a loop over the batch around the scan.

use super::Converter;
use crate::error::Span;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::emitter::Emitter;
use crate::frontend::onnx::graph::convert_body;
use crate::frontend::onnx::proto::GraphProto;
use crate::frontend::onnx::value::{Tensor, Value};
use crate::ir::{Attrs, Dim, Equality, Expr, ExprKind, LoopExpr, StructInfo, TensorInfo, Var};

pub const CONVERTERS: &[Converter] = &[Converter::new("Scan", scan)
    .attrs(&[
        "body",
        "num_scan_inputs",
        "scan_input_axes",
        "scan_input_directions",
        "scan_output_axes",
        "scan_output_directions",
        "directions",
    ])
    .since(8)
    .outputs(usize::MAX)];

/// What a scan node asks for, once its attributes are read.
struct ScanSpec<'a> {
    body: &'a GraphProto,
    num_scan_inputs: usize,
    input_axes: Vec<i64>,
    output_axes: Vec<i64>,
}

fn scan(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let body = ctx.attrs.graph("body")?.ok_or("attribute body is required")?;
    let num_scan_inputs = ctx.attrs.int("num_scan_inputs")?.ok_or("attribute num_scan_inputs is required")?;
    let num_scan_inputs = usize::try_from(num_scan_inputs).map_err(|_| "num_scan_inputs must not be negative")?;
    for name in ["scan_input_directions", "scan_output_directions", "directions"] {
        if ctx.attrs.ints(name)?.is_some_and(|d| d.iter().any(|&v| v != 0)) {
            return Err(format!("{name} other than forward (0) are not supported"));
        }
    }
    if ctx.opset < 9 {
        return scan_batched(ctx, body, num_scan_inputs);
    }
    let inputs = ctx.present_inputs();
    if inputs.len() < num_scan_inputs {
        return Err(format!("it has {} inputs but num_scan_inputs is {num_scan_inputs}", inputs.len()));
    }
    let spec = ScanSpec {
        body,
        num_scan_inputs,
        input_axes: ctx.attrs.ints("scan_input_axes")?.unwrap_or_else(|| vec![0; num_scan_inputs]),
        output_axes: ctx.attrs.ints("scan_output_axes")?.unwrap_or_default(),
    };
    let (state, scanned) = inputs.split_at(inputs.len() - num_scan_inputs);
    scan_loop(ctx, &spec, state, scanned)
}

/// Opset 8: inputs `[sequence_lens], state.., scanned..`, all with a batch
/// axis 0 and scan axis 1: a loop over the batch whose body is the scan of
/// one batch entry (state and final state become its slices and rows).
fn scan_batched(ctx: &mut NodeCtx, body: &GraphProto, num_scan_inputs: usize) -> Result<Vec<Value>, String> {
    if ctx.optional_input(0).is_some() {
        return Err("sequence_lens is not supported (every sequence must be the whole scan axis)".into());
    }
    let inputs: Vec<Value> = (1..ctx.node.input.len()).filter_map(|k| ctx.optional_input(k)).collect();
    if inputs.len() < num_scan_inputs || inputs.iter().any(|v| v.rank() < 1) {
        return Err("opset 8 Scan needs batched state and scan inputs".into());
    }
    let batch = inputs[0].info().shape[0].clone();
    let rows: Vec<(Var, Value)> =
        inputs.iter().map(|v| row_param(ctx, "batch", v, &batch)).collect::<Result<_, String>>()?;
    let mut emitter = Emitter::default();
    let (state, scanned) = rows.split_at(rows.len() - num_scan_inputs);
    let spec = ScanSpec { body, num_scan_inputs, input_axes: vec![0; num_scan_inputs], output_axes: vec![] };
    let inner_state: Vec<Value> = state.iter().map(|(_, v)| v.clone()).collect();
    let inner_scanned: Vec<Value> = scanned.iter().map(|(_, v)| v.clone()).collect();
    let outputs = {
        let mut inner = NodeCtx::new(ctx.node, 9, vec![], ctx.importer, &mut emitter, ctx.scope, ctx.label);
        scan_loop(&mut inner, &spec, &inner_state, &inner_scanned)?
    };
    let results = outputs.iter().map(|v| ctx.importer.operand(v)).collect::<Result<Vec<_>, _>>()?;
    let types: Vec<StructInfo> = results.iter().map(|t| StructInfo::Tensor(t.info.clone())).collect();
    let result = Expr::new(ExprKind::Tuple(results.into_iter().map(|t| t.expr).collect()), Span::NONE);
    let mut scans = Vec::new();
    for ((var, _), value) in rows.iter().zip(&inputs) {
        scans.push((var.clone(), ctx.importer.operand(value)?.expr));
    }
    let body = emitter.finish(result);
    let expr = Expr::new(
        ExprKind::Loop(Box::new(LoopExpr { trips: batch.clone(), condition: None, carried: vec![], scans, body })),
        Span::NONE,
    );
    let stacked = types.iter().map(|t| stacked_type(t, &batch)).collect::<Result<Vec<_>, String>>()?;
    Ok(ctx.bind_items(expr, stacked))
}

/// A loop parameter standing for one row (along axis 0) of `value`.
fn row_param(ctx: &mut NodeCtx, hint: &str, value: &Value, trips: &Dim) -> Result<(Var, Value), String> {
    let info = value.info();
    if info.rank() < 1 || info.shape[0].equality(trips) != Equality::Proven {
        return Err(format!("every scanned tensor needs an axis of {trips} rows, got {info}"));
    }
    let row = TensorInfo::new(info.dtype, info.shape[1..].to_vec());
    let name = ctx.importer.names.fresh(hint);
    Ok((Var::new(name.clone(), StructInfo::Tensor(row.clone())), Value::tensor(Expr::var(&name), row)))
}

/// `t` with a new axis 0 of `rows`.
pub(super) fn stacked_type(t: &StructInfo, rows: &Dim) -> Result<StructInfo, String> {
    let t = t.as_tensor().ok_or("a scan output must be a tensor")?;
    let shape = std::iter::once(rows.clone()).chain(t.shape.iter().cloned()).collect();
    Ok(StructInfo::Tensor(TensorInfo::new(t.dtype, shape)))
}

/// The scan of opset 9 on: scanned inputs moved so their scan axis is 0, the
/// loop, then scan outputs moved to their axes.
fn scan_loop(ctx: &mut NodeCtx, spec: &ScanSpec, state: &[Value], scanned: &[Value]) -> Result<Vec<Value>, String> {
    if spec.input_axes.len() != spec.num_scan_inputs {
        return Err(format!(
            "scan_input_axes has {} entries for {} scan inputs",
            spec.input_axes.len(),
            spec.num_scan_inputs
        ));
    }
    let mut moved = Vec::new();
    for (value, &axis) in scanned.iter().zip(&spec.input_axes) {
        moved.push(move_axis(ctx, value.clone(), axis, 0)?);
    }
    let trips = moved
        .first()
        .ok_or("Scan needs at least one scan input")?
        .info()
        .shape
        .first()
        .cloned()
        .ok_or("a scan input must have rank 1 or more")?;
    let mut carried = Vec::new();
    let mut params = Vec::new();
    for v in state {
        let t = ctx.importer.operand(v)?;
        let name = ctx.importer.names.fresh("state");
        carried.push((Var::new(name.clone(), StructInfo::Tensor(t.info.clone())), t.expr));
        params.push(Value::tensor(Expr::var(&name), t.info));
    }
    let mut scans = Vec::new();
    for v in &moved {
        let (var, param) = row_param(ctx, "row", v, &trips)?;
        scans.push((var, ctx.importer.operand(v)?.expr));
        params.push(param);
    }
    let within = format!("the body of {}", ctx.label);
    let mut emitter = Emitter::default();
    let outputs = convert_body(spec.body, &within, ctx.scope, params, &mut emitter, ctx.importer)
        .ok_or("its body cannot be converted (see the nodes above)")?;
    if outputs.len() < state.len() {
        return Err(format!(
            "the body gives {} outputs, fewer than the {} state variables",
            outputs.len(),
            state.len()
        ));
    }
    let results = outputs.iter().map(|v| ctx.importer.operand(v)).collect::<Result<Vec<_>, _>>()?;
    check_carried_types(&carried, &results)?;
    let mut types: Vec<StructInfo> = carried.iter().map(|(v, _)| v.sinfo.clone()).collect();
    for r in &results[state.len()..] {
        types.push(stacked_type(&StructInfo::Tensor(r.info.clone()), &trips)?);
    }
    let result = Expr::new(ExprKind::Tuple(results.into_iter().map(|t| t.expr).collect()), Span::NONE);
    let body = emitter.finish(result);
    let expr =
        Expr::new(ExprKind::Loop(Box::new(LoopExpr { trips, condition: None, carried, scans, body })), Span::NONE);
    let mut values = ctx.bind_items(expr, types);
    let scan_outputs = values.len() - state.len();
    let output_axes = match &spec.output_axes[..] {
        [] => vec![0; scan_outputs],
        axes if axes.len() == scan_outputs => axes.to_vec(),
        axes => return Err(format!("scan_output_axes has {} entries for {scan_outputs} scan outputs", axes.len())),
    };
    for (value, axis) in values[state.len()..].iter_mut().zip(output_axes) {
        *value = move_axis(ctx, value.clone(), 0, axis)?;
    }
    Ok(values)
}

/// Each carried variable's next value has the variable's type: the IR's
/// loop-carried state keeps its shape from one iteration to the next.
pub(super) fn check_carried_types(carried: &[(Var, Expr)], next: &[Tensor]) -> Result<(), String> {
    for ((var, _), next) in carried.iter().zip(next) {
        let before = var.sinfo.as_tensor().ok_or("loop-carried state must be a tensor")?;
        if before.compare(&next.info) != Equality::Proven {
            return Err(format!(
                "the body turns state `{}` of {before} into {}; loop-carried state must keep its shape",
                var.name, next.info
            ));
        }
    }
    Ok(())
}

/// `value` with axis `from` moved to position `to` (negative axes count from the end).
fn move_axis(ctx: &mut NodeCtx, value: Value, from: i64, to: i64) -> Result<Value, String> {
    let rank = value.rank() as i64;
    let norm = |a: i64| if a < 0 { a + rank } else { a };
    let (from, to) = (norm(from), norm(to));
    if !(0..rank).contains(&from) || !(0..rank).contains(&to) {
        return Err(format!("scan axis out of range for rank {rank}"));
    }
    if from == to {
        return Ok(value);
    }
    let mut perm: Vec<i64> = (0..rank).filter(|&a| a != from).collect();
    perm.insert(to as usize, from);
    ctx.call("permute_dims", &[value], Attrs::new().with("axes", ints_attr(&perm)))
}
