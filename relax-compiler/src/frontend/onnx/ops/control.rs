//! Control flow: `If`.
//!
//! A condition known at compile time selects its branch, which is converted
//! in place; the other is never looked at (it may even use unsupported
//! operators). A run-time condition becomes the IR's `if` with both branches
//! converted; branches read the enclosing graph's values directly.
//! `Loop` and `Scan` are loops (`loop_op`, `scan`).

use super::Converter;
use crate::error::Span;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::emitter::Emitter;
use crate::frontend::onnx::graph::convert_subgraph;
use crate::frontend::onnx::proto::GraphProto;
use crate::frontend::onnx::signature::result_of;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Equality, Expr, ExprKind, SeqExpr, StructInfo, TensorInfo};
use relax_rt::DType;

pub const CONVERTERS: &[Converter] =
    &[Converter::new("If", if_).attrs(&["then_branch", "else_branch"]).outputs(usize::MAX)];

fn if_(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let cond = ctx.input(0)?;
    let then_branch = ctx.attrs.graph("then_branch")?.ok_or("attribute then_branch is required")?;
    let else_branch = ctx.attrs.graph("else_branch")?.ok_or("attribute else_branch is required")?;
    if let Some(c) = cond.as_const() {
        if c.numel() != 1 {
            return Err(format!("the condition must have one element, got shape {:?}", c.shape()));
        }
        let (name, taken) =
            if c.get(0).to_bool() { ("then_branch", then_branch) } else { ("else_branch", else_branch) };
        let within = format!("the {name} of {}", ctx.label);
        return convert_subgraph(taken, &within, ctx.scope, ctx.emitter, ctx.importer)
            .ok_or_else(|| format!("its {name} cannot be converted (see the nodes above)"));
    }
    let cond = scalar_condition(ctx, cond)?;
    let (then_seq, then_types) = branch(ctx, "then_branch", then_branch)?;
    let (else_seq, else_types) = branch(ctx, "else_branch", else_branch)?;
    check_same_types(&then_types, &else_types)?;
    let cond = ctx.importer.operand(&cond)?.expr;
    let kind = ExprKind::If { cond: Box::new(cond), then_branch: Box::new(then_seq), else_branch: Box::new(else_seq) };
    let expr = Expr::new(kind, Span::NONE);
    Ok(match &then_types[..] {
        [single] => vec![Value::tensor(expr, single.clone())],
        _ => ctx.bind_items(expr, then_types.into_iter().map(StructInfo::Tensor).collect()),
    })
}

/// The IR's `if` takes a rank-0 bool; ONNX also allows a one-element tensor.
pub(super) fn scalar_condition(ctx: &mut NodeCtx, cond: Value) -> Result<Value, String> {
    let info = cond.info();
    if info.dtype != DType::Bool || info.numel().as_int() != Some(1) {
        return Err(format!("the condition must be a single bool, got {info}"));
    }
    if info.rank() == 0 {
        return Ok(cond);
    }
    ctx.call("reshape", &[cond], Attrs::new().with("shape", AttrValue::Dims(vec![])))
}

/// A branch converted into its own body, and the types of its results.
fn branch(ctx: &mut NodeCtx, name: &str, graph: &GraphProto) -> Result<(SeqExpr, Vec<TensorInfo>), String> {
    let within = format!("the {name} of {}", ctx.label);
    let mut emitter = Emitter::default();
    let outputs = convert_subgraph(graph, &within, ctx.scope, &mut emitter, ctx.importer)
        .ok_or_else(|| format!("its {name} cannot be converted (see the nodes above)"))?;
    let results = outputs
        .iter()
        .map(|v| ctx.importer.operand(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{name}: {e}"))?;
    let types: Vec<TensorInfo> = results.iter().map(|t| t.info.clone()).collect();
    let (result, _) = result_of(results);
    Ok((emitter.finish(result), types))
}

fn check_same_types(then_types: &[TensorInfo], else_types: &[TensorInfo]) -> Result<(), String> {
    let differ = || {
        let show = |ts: &[TensorInfo]| ts.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(", ");
        format!("the branches give different types: ({}) and ({})", show(then_types), show(else_types))
    };
    if then_types.len() != else_types.len() {
        return Err(differ());
    }
    match then_types.iter().zip(else_types).all(|(a, b)| a.compare(b) == Equality::Proven) {
        true => Ok(()),
        false => Err(differ()),
    }
}
