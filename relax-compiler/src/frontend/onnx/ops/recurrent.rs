//! `RNN`, `GRU` and `LSTM`: per direction, the input projection of every
//! step at once (`x W^T + Wb`, one matmul), then relax's `recurrence`, whose
//! kernel carries the serial loop over steps (see `op/recurrent.rs`). A
//! bidirectional layer is two recurrences, stacked as ONNX lays out `Y`
//! (`[steps, directions, batch, hidden]`, or batch first with `layout = 1`).

use super::Converter;
use crate::frontend::onnx::context::ints_attr;
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::shape_value::ShapeValue;
use crate::frontend::onnx::value::Value;
use crate::ir::{AttrValue, Attrs, Dim};
use crate::op::recurrent::Activation;
use relax_rt::DType;

/// Every attribute of the three; the converter refuses the ones a cell
/// does not have.
const ATTRS: &[&str] = &[
    "activation_alpha",
    "activation_beta",
    "activations",
    "clip",
    "direction",
    "hidden_size",
    "layout",
    "linear_before_reset",
    "input_forget",
];

pub const CONVERTERS: &[Converter] = &[
    Converter::new("RNN", |ctx| recurrent(ctx, Cell::Rnn)).attrs(ATTRS).outputs(2),
    Converter::new("GRU", |ctx| recurrent(ctx, Cell::Gru)).attrs(ATTRS).outputs(2),
    Converter::new("LSTM", |ctx| recurrent(ctx, Cell::Lstm)).attrs(ATTRS).outputs(3),
];

#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Rnn,
    Gru,
    Lstm,
}

impl Cell {
    fn name(self) -> &'static str {
        match self {
            Cell::Rnn => "rnn",
            Cell::Gru => "gru",
            Cell::Lstm => "lstm",
        }
    }
    fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru => 3,
            Cell::Lstm => 4,
        }
    }
    fn default_activations(self) -> &'static [&'static str] {
        match self {
            Cell::Rnn => &["Tanh"],
            Cell::Gru => &["Sigmoid", "Tanh"],
            Cell::Lstm => &["Sigmoid", "Tanh", "Tanh"],
        }
    }
}

/// The layer's inputs after the optional ones are filled in, per direction.
struct Layer {
    cell: Cell,
    hidden: usize,
    steps: Dim,
    batch: Dim,
    dtype: DType,
}

fn recurrent(ctx: &mut NodeCtx, cell: Cell) -> Result<Vec<Value>, String> {
    for (attr, owner) in [("linear_before_reset", Cell::Gru), ("input_forget", Cell::Lstm)] {
        if cell != owner && ctx.attrs.has(attr) {
            return Err(format!("attribute {attr} is not an attribute of this operator"));
        }
    }
    if cell == Cell::Lstm && ctx.attrs.int_or("input_forget", 0)? != 0 {
        return Err("input_forget = 1 (coupled input and forget gates) is not supported".to_string());
    }
    let directions: Vec<bool> = match ctx.attrs.string_or("direction", "forward")?.as_str() {
        "forward" => vec![false],
        "reverse" => vec![true],
        "bidirectional" => vec![false, true],
        other => return Err(format!("direction must be forward, reverse or bidirectional, got `{other}`")),
    };
    let batch_first = ctx.opset >= 14 && ctx.attrs.int_or("layout", 0)? == 1;
    let mut x = ctx.input(0)?;
    if batch_first {
        x = permute(ctx, x, &[1, 0, 2])?;
    }
    let info = x.info();
    if info.rank() != 3 {
        return Err(format!("X must have rank 3, got {info}"));
    }
    let hidden = hidden_size(ctx)?;
    let layer = Layer { cell, hidden, steps: info.shape[0].clone(), batch: info.shape[1].clone(), dtype: info.dtype };
    let activations = activations(ctx, cell, directions.len())?;
    let mut results: Vec<Vec<Value>> = Vec::new();
    for (d, &reverse) in directions.iter().enumerate() {
        let attrs = recurrence_attrs(ctx, cell, reverse, &activations[d])?;
        let args = direction_args(ctx, &layer, &x, d)?;
        results.push(ctx.call_tuple("recurrence", &args, attrs)?);
    }
    let y = stack(ctx, results.iter().map(|r| r[0].clone()).collect(), 1)?;
    let mut outputs = vec![y];
    for k in 1..results[0].len() {
        outputs.push(stack(ctx, results.iter().map(|r| r[k].clone()).collect(), 0)?);
    }
    if batch_first {
        outputs[0] = permute(ctx, outputs[0].clone(), &[2, 0, 1, 3])?;
        for state in &mut outputs[1..] {
            *state = permute(ctx, state.clone(), &[1, 0, 2])?;
        }
    }
    Ok(outputs)
}

fn hidden_size(ctx: &NodeCtx) -> Result<usize, String> {
    match ctx.attrs.int("hidden_size")? {
        Some(h) if h > 0 => Ok(h as usize),
        Some(h) => Err(format!("hidden_size must be positive, got {h}")),
        None => {
            let r = ctx.input(2)?.info();
            r.shape.get(2).and_then(Dim::as_int).map(|h| h as usize).ok_or("hidden_size is required".to_string())
        }
    }
}

/// The activations of each direction, with their alphas and betas: ONNX
/// lists them for all directions in one attribute, and consumes the
/// `activation_alpha` / `activation_beta` values in order by the functions
/// that take them.
fn activations(ctx: &NodeCtx, cell: Cell, directions: usize) -> Result<Vec<Vec<(String, Attrs)>>, String> {
    let per = cell.default_activations().len();
    let names = match ctx.attrs.strings("activations")? {
        Some(names) if names.len() == per * directions => names,
        Some(names) => {
            return Err(format!("expected {} activations ({per} per direction), got {}", per * directions, names.len()))
        }
        None => (0..directions).flat_map(|_| cell.default_activations().iter().map(|s| s.to_string())).collect(),
    };
    let mut alphas = ctx.attrs.floats("activation_alpha")?.unwrap_or_default().into_iter();
    let mut betas = ctx.attrs.floats("activation_beta")?.unwrap_or_default().into_iter();
    let mut parsed = Vec::new();
    for name in names {
        let takes_alpha =
            matches!(name.as_str(), "LeakyRelu" | "ThresholdedRelu" | "ScaledTanh" | "HardSigmoid" | "Affine" | "Elu");
        let takes_beta = matches!(name.as_str(), "ScaledTanh" | "HardSigmoid" | "Affine");
        let alpha = if takes_alpha { alphas.next() } else { None };
        let beta = if takes_beta { betas.next() } else { None };
        Activation::parse(&name, alpha, beta)?;
        let mut params = Attrs::new();
        if let Some(a) = alpha {
            params.set("alpha", AttrValue::Float(a));
        }
        if let Some(b) = beta {
            params.set("beta", AttrValue::Float(b));
        }
        parsed.push((name, params));
    }
    Ok(parsed.chunks(per).map(<[_]>::to_vec).collect())
}

fn recurrence_attrs(
    ctx: &NodeCtx,
    cell: Cell,
    reverse: bool,
    activations: &[(String, Attrs)],
) -> Result<Attrs, String> {
    let names: Vec<&str> = activations.iter().map(|(n, _)| n.as_str()).collect();
    let mut attrs = Attrs::new()
        .with("cell", AttrValue::Str(cell.name().to_string()))
        .with("reverse", AttrValue::Bool(reverse))
        .with("activations", AttrValue::Str(names.join(",")));
    for (k, (_, params)) in activations.iter().enumerate() {
        for (name, value) in &params.0 {
            attrs.set(&format!("{name}{k}"), value.clone());
        }
    }
    if ctx.attrs.has("clip") {
        attrs.set("clip", AttrValue::Float(ctx.attrs.float_or("clip", 0.0)?));
    }
    if cell == Cell::Gru {
        attrs.set("linear_before_reset", AttrValue::Bool(ctx.attrs.int_or("linear_before_reset", 0)? != 0));
    }
    Ok(attrs)
}

/// `xw, r, rb, h0, lens[, c0, p]` for direction `d`.
fn direction_args(ctx: &mut NodeCtx, layer: &Layer, x: &Value, d: usize) -> Result<Vec<Value>, String> {
    let rows = layer.cell.gates() * layer.hidden;
    let w = direction(ctx, ctx.input(1)?, d)?;
    let r = direction(ctx, ctx.input(2)?, d)?;
    let (wb, rb) = match ctx.optional_input(3) {
        Some(b) => {
            let b = direction(ctx, b, d)?;
            let halves = ctx.call_tuple("split", &[b], Attrs::new().with("sections", AttrValue::Int(2)))?;
            (halves[0].clone(), halves[1].clone())
        }
        None => (zeros(ctx, layer.dtype, vec![Dim::from(rows)])?, zeros(ctx, layer.dtype, vec![Dim::from(rows)])?),
    };
    let wt = permute(ctx, w, &[1, 0])?;
    let projected = ctx.call("matmul", &[x.clone(), wt], Attrs::new())?;
    let xw = ctx.call("add", &[projected, wb], Attrs::new())?;
    let state = vec![layer.batch.clone(), Dim::from(layer.hidden)];
    let h0 = initial(ctx, 5, d, layer, &state)?;
    let lens = match ctx.optional_input(4) {
        Some(lens) => ctx.call("cast", &[lens], Attrs::new().with("dtype", AttrValue::DType(DType::I64)))?,
        None => {
            let steps = Value::from_shape(ShapeValue::scalar(layer.steps.clone()));
            let shape = AttrValue::Dims(vec![layer.batch.clone()]);
            ctx.call("broadcast_to", &[steps], Attrs::new().with("shape", shape))?
        }
    };
    let mut args = vec![xw, r, rb, h0, lens];
    if layer.cell == Cell::Lstm {
        args.push(initial(ctx, 6, d, layer, &state)?);
        args.push(match ctx.optional_input(7) {
            Some(p) => direction(ctx, p, d)?,
            None => zeros(ctx, layer.dtype, vec![Dim::from(3 * layer.hidden)])?,
        });
    }
    Ok(args)
}

/// Input `k` (an initial state, `[directions, batch, hidden]`) for direction
/// `d`, or zeros.
fn initial(ctx: &mut NodeCtx, k: usize, d: usize, layer: &Layer, state: &[Dim]) -> Result<Value, String> {
    match ctx.optional_input(k) {
        Some(v) => direction(ctx, v, d),
        None => zeros(ctx, layer.dtype, state.to_vec()),
    }
}

/// Row `d` of a per-direction tensor, without its leading axis.
fn direction(ctx: &mut NodeCtx, t: Value, d: usize) -> Result<Value, String> {
    let row = Attrs::new()
        .with("axes", ints_attr(&[0]))
        .with("begin", AttrValue::Dims(vec![Dim::from(d)]))
        .with("end", AttrValue::Dims(vec![Dim::from(d + 1)]));
    let row = ctx.call("strided_slice", &[t], row)?;
    ctx.call("squeeze", &[row], Attrs::new().with("axes", ints_attr(&[0])))
}

fn zeros(ctx: &mut NodeCtx, dtype: DType, shape: Vec<Dim>) -> Result<Value, String> {
    ctx.call("broadcast_to", &[Value::scalar(dtype, 0.0)], Attrs::new().with("shape", AttrValue::Dims(shape)))
}

fn permute(ctx: &mut NodeCtx, x: Value, axes: &[i64]) -> Result<Value, String> {
    ctx.call("permute_dims", &[x], Attrs::new().with("axes", ints_attr(axes)))
}

/// The directions' results stacked along a new `axis`.
fn stack(ctx: &mut NodeCtx, parts: Vec<Value>, axis: i64) -> Result<Value, String> {
    let expanded = parts
        .into_iter()
        .map(|p| ctx.call("expand_dims", &[p], Attrs::new().with("axis", ints_attr(&[axis]))))
        .collect::<Result<Vec<_>, _>>()?;
    match expanded.len() {
        1 => Ok(expanded.into_iter().next().expect("one part")),
        _ => ctx.call("concat", &expanded, Attrs::new().with("axis", AttrValue::Int(axis))),
    }
}
