//! Recurrent cells over a sequence: `recurrence(xw, r, rb, h0, lens[, c0, p])`
//! runs an RNN, GRU or LSTM cell (`cell = "rnn" | "gru" | "lstm"`) over every
//! step of one direction and gives `(y, h_last)` (LSTM: `(y, h_last, c_last)`).
//!
//! The input projection `xw = x W^T + Wb` ([steps, batch, gates * hidden]) is
//! not part of the operator: it is one matmul over all steps, computed before
//! the recurrence by ordinary operators. What remains is inherently serial, so
//! the kernel carries the loop over steps itself, with the state in the output
//! buffers and the gates of one step in stack scratch (`hidden` must be a
//! number); the number of steps may be symbolic. Each batch row runs
//! `lens[b]` steps (clamped to `[0, steps]`): `reverse = true` walks them
//! backwards, and the rows of `y` past a row's length are 0, as ONNX's
//! `RNN`/`GRU`/`LSTM` define.
//!
//! Gate layouts follow ONNX: GRU `z, r, h` (with `linear_before_reset`), LSTM
//! `i, o, f, c` with peepholes `p = [i, o, f]`. `activations` lists the cell's
//! functions by ONNX name, comma-separated (RNN 1, GRU 2, LSTM 3), with
//! optional `alpha<k>` / `beta<k>` parameters; `clip` bounds every activation's
//! input to `[-clip, clip]`.

use super::compute::{input_name, output_names, InOp};
use super::{OpDef, OpKind};
use crate::ir::{Attrs, BinOp, Buffer, Dim, PExpr, PrimFunc, Stmt, StructInfo, TensorInfo, UnOp};
use crate::ndarray::{NDArray, Scalar};
use relax_rt::DType;

pub const OPS: &[OpDef] = &[OpDef {
    name: "recurrence",
    kind: OpKind::Opaque,
    infer: infer_recurrence,
    eval: eval_recurrence,
    legalize: legalize_recurrence,
}];

const OP: &str = "recurrence";

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    Rnn,
    Gru { linear_before_reset: bool },
    Lstm,
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru { .. } => 3,
            Cell::Lstm => 4,
        }
    }
    fn activations(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Gru { .. } => 2,
            Cell::Lstm => 3,
        }
    }
    fn inputs(self) -> usize {
        if self == Cell::Lstm {
            7
        } else {
            5
        }
    }
}

/// An activation function of a recurrent cell, with its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    Sigmoid,
    Tanh,
    Relu,
    Softsign,
    Softplus,
    HardSigmoid(f64, f64),
    LeakyRelu(f64),
    ThresholdedRelu(f64),
    ScaledTanh(f64, f64),
    Affine(f64, f64),
    Elu(f64),
}

impl Activation {
    /// ONNX's name, with its `alpha`/`beta` (defaults as the ONNX operators of
    /// the same name have; `ScaledTanh` and `Affine` have none, so need both).
    pub fn parse(name: &str, alpha: Option<f64>, beta: Option<f64>) -> Result<Activation, String> {
        let needs = |what: &str, v: Option<f64>| v.ok_or_else(|| format!("activation {name} needs its {what}"));
        Ok(match name {
            "Sigmoid" => Activation::Sigmoid,
            "Tanh" => Activation::Tanh,
            "Relu" => Activation::Relu,
            "Softsign" => Activation::Softsign,
            "Softplus" => Activation::Softplus,
            "HardSigmoid" => Activation::HardSigmoid(alpha.unwrap_or(0.2), beta.unwrap_or(0.5)),
            "LeakyRelu" => Activation::LeakyRelu(alpha.unwrap_or(0.01)),
            "ThresholdedRelu" => Activation::ThresholdedRelu(alpha.unwrap_or(1.0)),
            "ScaledTanh" => Activation::ScaledTanh(needs("alpha", alpha)?, needs("beta", beta)?),
            "Affine" => Activation::Affine(needs("alpha", alpha)?, needs("beta", beta)?),
            "Elu" => Activation::Elu(alpha.unwrap_or(1.0)),
            other => return Err(format!("unknown activation `{other}`")),
        })
    }

    fn eval(self, x: f64) -> f64 {
        match self {
            Activation::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            Activation::Tanh => x.tanh(),
            Activation::Relu => x.max(0.0),
            Activation::Softsign => x / (1.0 + x.abs()),
            Activation::Softplus => (1.0 + x.exp()).ln(),
            Activation::HardSigmoid(a, b) => (a * x + b).clamp(0.0, 1.0),
            Activation::LeakyRelu(a) => {
                if x < 0.0 {
                    a * x
                } else {
                    x
                }
            }
            Activation::ThresholdedRelu(a) => {
                if x > a {
                    x
                } else {
                    0.0
                }
            }
            Activation::ScaledTanh(a, b) => a * (b * x).tanh(),
            Activation::Affine(a, b) => a * x + b,
            Activation::Elu(a) => {
                if x < 0.0 {
                    a * (x.exp() - 1.0)
                } else {
                    x
                }
            }
        }
    }

    fn code(self, x: PExpr, dtype: DType) -> PExpr {
        let c = |v: f64| PExpr::constant(v, dtype);
        let exp = |e: PExpr| PExpr::un(UnOp::Exp, e);
        let lt0 = |e: &PExpr| PExpr::bin(BinOp::Lt, e.clone(), c(0.0));
        match self {
            Activation::Sigmoid => c(1.0) / (c(1.0) + exp(PExpr::un(UnOp::Neg, x))),
            Activation::Tanh => PExpr::un(UnOp::Tanh, x),
            Activation::Relu => PExpr::bin(BinOp::Max, x, c(0.0)),
            Activation::Softsign => x.clone() / (c(1.0) + PExpr::un(UnOp::Abs, x)),
            Activation::Softplus => PExpr::un(UnOp::Log, c(1.0) + exp(x)),
            Activation::HardSigmoid(a, b) => {
                PExpr::bin(BinOp::Max, c(0.0), PExpr::bin(BinOp::Min, c(1.0), c(a) * x + c(b)))
            }
            Activation::LeakyRelu(a) => PExpr::select(lt0(&x), c(a) * x.clone(), x),
            Activation::ThresholdedRelu(a) => PExpr::select(PExpr::bin(BinOp::Gt, x.clone(), c(a)), x, c(0.0)),
            Activation::ScaledTanh(a, b) => c(a) * PExpr::un(UnOp::Tanh, c(b) * x),
            Activation::Affine(a, b) => c(a) * x + c(b),
            Activation::Elu(a) => PExpr::select(lt0(&x), c(a) * (exp(x.clone()) - c(1.0)), x),
        }
    }
}

/// A checked `recurrence` call.
struct Recurrence {
    cell: Cell,
    reverse: bool,
    activations: Vec<Activation>,
    clip: Option<f64>,
    dtype: DType,
    steps: Dim,
    batch: Dim,
    hidden: usize,
}

fn check(args: &[TensorInfo], attrs: &Attrs) -> Result<Recurrence, String> {
    if let Some((name, _)) = attrs.0.iter().find(|(name, _)| !is_known_attr(name)) {
        return Err(format!(
            "{OP}: unknown attribute `{name}` (it takes cell, reverse, activations, alpha<k>, beta<k>, clip, \
             linear_before_reset)"
        ));
    }
    let cell = match attrs.str_or("cell", "").in_op(OP)?.as_str() {
        "rnn" => Cell::Rnn,
        "gru" => Cell::Gru { linear_before_reset: attrs.bool_or("linear_before_reset", false).in_op(OP)? },
        "lstm" => Cell::Lstm,
        other => return Err(format!("{OP}: attribute `cell` must be rnn, gru or lstm, got `{other}`")),
    };
    if args.len() != cell.inputs() {
        return Err(format!("{OP}: a {cell:?} recurrence takes {} arguments, got {}", cell.inputs(), args.len()));
    }
    let xw = &args[0];
    if xw.rank() != 3 || !matches!(xw.dtype, DType::F32 | DType::F64) {
        return Err(format!("{OP}: expected xw of shape [steps, batch, gates * hidden] in f32 or f64, got {xw}"));
    }
    let hidden = args[1].shape.get(1).and_then(Dim::as_int).filter(|&h| h >= 0).ok_or_else(|| {
        format!("{OP}: the hidden size must be a number (its state lives on the stack), got r: {}", args[1])
    })? as usize;
    let r = Recurrence {
        cell,
        reverse: attrs.bool_or("reverse", false).in_op(OP)?,
        activations: activations(attrs, cell)?,
        clip: attrs.get("clip").map(|_| attrs.float_or("clip", 0.0).in_op(OP)).transpose()?,
        dtype: xw.dtype,
        steps: xw.shape[0].clone(),
        batch: xw.shape[1].clone(),
        hidden,
    };
    r.check_shapes(args)?;
    Ok(r)
}

fn is_known_attr(name: &str) -> bool {
    let numbered = |prefix: &str| name.strip_prefix(prefix).is_some_and(|k| k.parse::<usize>().is_ok());
    ["cell", "reverse", "activations", "clip", "linear_before_reset"].contains(&name)
        || numbered("alpha")
        || numbered("beta")
}

fn activations(attrs: &Attrs, cell: Cell) -> Result<Vec<Activation>, String> {
    let list = attrs.str_or("activations", "").in_op(OP)?;
    let names: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if names.len() != cell.activations() {
        return Err(format!("{OP}: a {cell:?} cell takes {} activations, got `{list}`", cell.activations()));
    }
    let param = |name: String| attrs.get(&name).map(|_| attrs.float_or(&name, 0.0).in_op(OP)).transpose();
    names
        .iter()
        .enumerate()
        .map(|(k, name)| Activation::parse(name, param(format!("alpha{k}"))?, param(format!("beta{k}"))?))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{OP}: {e}"))
}

impl Recurrence {
    fn gate_rows(&self) -> Dim {
        Dim::from(self.cell.gates() * self.hidden)
    }

    fn state(&self) -> Vec<Dim> {
        vec![self.batch.clone(), Dim::from(self.hidden)]
    }

    /// Every argument's expected shape, in order.
    fn expected(&self) -> Vec<(&'static str, Vec<Dim>)> {
        let (g, h) = (self.gate_rows(), Dim::from(self.hidden));
        let mut shapes = vec![
            ("xw", vec![self.steps.clone(), self.batch.clone(), g.clone()]),
            ("r", vec![g.clone(), h.clone()]),
            ("rb", vec![g]),
            ("h0", self.state()),
            ("lens", vec![self.batch.clone()]),
        ];
        if self.cell == Cell::Lstm {
            shapes.push(("c0", self.state()));
            shapes.push(("p", vec![Dim::from(3 * self.hidden)]));
        }
        shapes
    }

    fn check_shapes(&self, args: &[TensorInfo]) -> Result<(), String> {
        for ((name, shape), arg) in self.expected().into_iter().zip(args) {
            let dtype = if name == "lens" { DType::I64 } else { self.dtype };
            let same = arg.rank() == shape.len() && arg.shape.iter().zip(&shape).all(|(a, b)| a.proven_eq(b));
            if !same || arg.dtype != dtype {
                return Err(format!("{OP}: expected {name}: {}, got {arg}", TensorInfo::new(dtype, shape)));
            }
        }
        Ok(())
    }

    fn outputs(&self) -> Vec<TensorInfo> {
        let y = TensorInfo::new(self.dtype, vec![self.steps.clone(), self.batch.clone(), Dim::from(self.hidden)]);
        let state = TensorInfo::new(self.dtype, self.state());
        let mut outs = vec![y, state.clone()];
        if self.cell == Cell::Lstm {
            outs.push(state);
        }
        outs
    }
}

fn infer_recurrence(args: &[TensorInfo], attrs: &Attrs) -> Result<StructInfo, String> {
    let outs = check(args, attrs)?.outputs();
    Ok(StructInfo::Tuple(outs.into_iter().map(StructInfo::Tensor).collect()))
}

// ---- reference semantics ----

fn eval_recurrence(args: &[&NDArray], attrs: &Attrs) -> Result<Vec<NDArray>, String> {
    let infos: Vec<TensorInfo> = args.iter().map(|a| super::compute::info_of(a)).collect();
    let r = check(&infos, attrs)?;
    let shape = |t: &NDArray| t.shape().to_vec();
    let (steps, batch, h) = (shape(args[0])[0], shape(args[0])[1], r.hidden);
    let get = |t: &NDArray, i: usize| t.get(i).to_f64();
    let mut y = vec![0.0; steps * batch * h];
    let mut hs: Vec<f64> = (0..batch * h).map(|i| get(args[3], i)).collect();
    let mut cs: Vec<f64> = match r.cell {
        Cell::Lstm => (0..batch * h).map(|i| get(args[5], i)).collect(),
        _ => vec![0.0; batch * h],
    };
    let g = r.cell.gates() * h;
    for b in 0..batch {
        let len = (args[4].get(b).to_i64().clamp(0, steps as i64)) as usize;
        for s in 0..len {
            let t = if r.reverse { len - 1 - s } else { s };
            let hprev = hs[b * h..(b + 1) * h].to_vec();
            let recurrent = |k: usize, scale: &dyn Fn(usize) -> f64| {
                (0..h).map(|j| scale(j) * hprev[j] * get(args[1], k * h + j)).sum::<f64>()
            };
            let pre = |k: usize| get(args[0], (t * batch + b) * g + k) + get(args[2], k);
            let (hn, cn) = r.step_reference(&pre, &recurrent, &hprev, &cs[b * h..(b + 1) * h], args);
            hs[b * h..(b + 1) * h].copy_from_slice(&hn);
            cs[b * h..(b + 1) * h].copy_from_slice(&cn);
            y[(t * batch + b) * h..(t * batch + b + 1) * h].copy_from_slice(&hn);
        }
    }
    let array = |shape: &[usize], v: &[f64]| NDArray::from_fn(r.dtype, shape, |i| Scalar::F(v[i]));
    let mut outs = vec![array(&[steps, batch, h], &y), array(&[batch, h], &hs)];
    if r.cell == Cell::Lstm {
        outs.push(array(&[batch, h], &cs));
    }
    Ok(outs)
}

/// `sum_j scale(j) * h[j] * r[k, j]` for gate row `k`.
type RecurrentTerm<'a> = dyn Fn(usize, &dyn Fn(usize) -> f64) -> f64 + 'a;

impl Recurrence {
    fn clip(&self, x: f64) -> f64 {
        self.clip.map_or(x, |c| x.clamp(-c, c))
    }

    fn act(&self, k: usize, x: f64) -> f64 {
        self.activations[k].eval(self.clip(x))
    }

    /// One step of one batch row: the new hidden state and cell state.
    fn step_reference(
        &self,
        pre: &dyn Fn(usize) -> f64,
        recurrent: &RecurrentTerm,
        hprev: &[f64],
        cprev: &[f64],
        args: &[&NDArray],
    ) -> (Vec<f64>, Vec<f64>) {
        let h = self.hidden;
        let one = |_: usize| 1.0;
        let gate = |k: usize| pre(k) + recurrent(k, &one);
        match self.cell {
            Cell::Rnn => ((0..h).map(|k| self.act(0, gate(k))).collect(), cprev.to_vec()),
            Cell::Gru { linear_before_reset } => {
                let z: Vec<f64> = (0..h).map(|k| self.act(0, gate(k))).collect();
                let r: Vec<f64> = (0..h).map(|k| self.act(0, gate(h + k))).collect();
                let hn = (0..h)
                    .map(|k| {
                        let row = 2 * h + k;
                        let candidate = if linear_before_reset {
                            pre(row) - args[2].get(row).to_f64()
                                + r[k] * (recurrent(row, &one) + args[2].get(row).to_f64())
                        } else {
                            pre(row) + recurrent(row, &|j| r[j])
                        };
                        (1.0 - z[k]) * self.act(1, candidate) + z[k] * hprev[k]
                    })
                    .collect();
                (hn, cprev.to_vec())
            }
            Cell::Lstm => {
                let p = |k: usize| args[6].get(k).to_f64();
                let mut hn = vec![0.0; h];
                let mut cn = vec![0.0; h];
                for k in 0..h {
                    let i = self.act(0, gate(k) + p(k) * cprev[k]);
                    let f = self.act(0, gate(2 * h + k) + p(2 * h + k) * cprev[k]);
                    cn[k] = f * cprev[k] + i * self.act(1, gate(3 * h + k));
                    let o = self.act(0, gate(h + k) + p(h + k) * cn[k]);
                    hn[k] = o * self.activations[2].eval(cn[k]);
                }
                (hn, cn)
            }
        }
    }
}

// ---- the kernel ----

/// Names of the kernel's buffers.
const GATES: &str = "gates";
const NEW_H: &str = "new_h";
const NEW_C: &str = "new_c";
const ACC: &str = "acc";

fn legalize_recurrence(args: &[TensorInfo], attrs: &Attrs, _outs: &[TensorInfo]) -> Result<PrimFunc, String> {
    let r = check(args, attrs)?;
    let outs = r.outputs();
    let out = output_names(outs.len());
    let mut params: Vec<Buffer> =
        args.iter().enumerate().map(|(k, t)| Buffer::new(input_name(k), t.dtype, t.shape.clone())).collect();
    params.extend(outs.iter().zip(&out).map(|(t, n)| Buffer::new(n.clone(), t.dtype, t.shape.clone())));
    let dims: std::collections::BTreeSet<String> =
        params.iter().flat_map(|b| b.shape.iter().flat_map(|d| d.free_vars())).collect();
    let k = Kernel { r: &r, out: &out };
    Ok(PrimFunc {
        name: match r.cell {
            Cell::Rnn => "recurrence_rnn",
            Cell::Gru { .. } => "recurrence_gru",
            Cell::Lstm => "recurrence_lstm",
        }
        .to_string(),
        params,
        num_outputs: outs.len(),
        dims: dims.into_iter().collect(),
        body: Stmt::for_("b", PExpr::from_dim(&r.batch), k.row()),
    })
}

struct Kernel<'a> {
    r: &'a Recurrence,
    out: &'a [String],
}

fn v(name: &str) -> PExpr {
    PExpr::var(name)
}

fn idx(i: i64) -> PExpr {
    PExpr::int(i)
}

impl Kernel<'_> {
    fn c(&self, x: f64) -> PExpr {
        PExpr::constant(x, self.r.dtype)
    }

    fn h_state(&self, j: PExpr) -> PExpr {
        PExpr::load(&self.out[1], vec![v("b"), j])
    }

    fn c_state(&self, j: PExpr) -> PExpr {
        PExpr::load(&self.out[2], vec![v("b"), j])
    }

    fn arg(&self, k: usize, idx: Vec<PExpr>) -> PExpr {
        PExpr::load(&input_name(k), idx)
    }

    fn act(&self, k: usize, x: PExpr) -> PExpr {
        let x = match self.r.clip {
            Some(c) => PExpr::bin(BinOp::Max, self.c(-c), PExpr::bin(BinOp::Min, self.c(c), x)),
            None => x,
        };
        self.r.activations[k].code(x, self.r.dtype)
    }

    /// One batch row: the initial state, then every step.
    fn row(&self) -> Stmt {
        let h = self.r.hidden as i64;
        let mut init = vec![Stmt::store(&self.out[1], vec![v("b"), v("j")], self.arg(3, vec![v("b"), v("j")]))];
        if self.r.cell == Cell::Lstm {
            init.push(Stmt::store(&self.out[2], vec![v("b"), v("j")], self.arg(5, vec![v("b"), v("j")])));
        }
        let steps = PExpr::from_dim(&self.r.steps);
        let len = PExpr::bin(BinOp::Min, PExpr::bin(BinOp::Max, self.arg(4, vec![v("b")]), idx(0)), steps.clone());
        let t = if self.r.reverse { len.clone() - idx(1) - v("s") } else { v("s") };
        let zero_row = Stmt::for_("j", idx(h), Stmt::store(&self.out[0], vec![v("s"), v("b"), v("j")], self.c(0.0)));
        let step = Stmt::If {
            cond: PExpr::bin(BinOp::Lt, v("s"), len),
            then_branch: Box::new(self.step(t)),
            else_branch: Some(Box::new(zero_row)),
        };
        Stmt::Seq(vec![Stmt::for_("j", idx(h), Stmt::Seq(init)), Stmt::for_("s", steps, step)])
    }

    fn scratch(&self, name: &str, len: usize, body: Stmt) -> Stmt {
        Stmt::alloc(Buffer::new(name.to_string(), self.r.dtype, vec![Dim::from(len)]), body)
    }

    /// `gates[k] = xw[t, b, k] + rb[k] + sum_j scale(j) * h[j] * r[k, j]` for `k` in `rows`.
    fn gate_rows(&self, t: &PExpr, rows: std::ops::Range<i64>, scale: impl Fn(PExpr) -> PExpr) -> Stmt {
        let h = self.r.hidden as i64;
        let k = v("row") + idx(rows.start);
        let term = scale(v("j")) * self.h_state(v("j")) * self.arg(1, vec![k.clone(), v("j")]);
        let sum = Stmt::Seq(vec![
            Stmt::store(ACC, vec![], self.c(0.0)),
            Stmt::for_("j", idx(h), Stmt::store(ACC, vec![], PExpr::load(ACC, vec![]) + term)),
        ]);
        let pre = self.arg(0, vec![t.clone(), v("b"), k.clone()]) + self.arg(2, vec![k.clone()]);
        let body = Stmt::Seq(vec![sum, Stmt::store(GATES, vec![k], pre + PExpr::load(ACC, vec![]))]);
        let body = Stmt::alloc(Buffer::new(ACC.to_string(), self.r.dtype, vec![]), body);
        Stmt::for_("row", idx(rows.end - rows.start), body)
    }

    /// One step at sequence position `t`: the gates, the new state, `y[t]`.
    fn step(&self, t: PExpr) -> Stmt {
        let h = self.r.hidden;
        let g = self.r.cell.gates() * h;
        let gates = PExpr::load;
        let (hi, gi) = (h as i64, g as i64);
        let k = || v("k");
        let mut body = Vec::new();
        match self.r.cell {
            Cell::Rnn => {
                body.push(self.gate_rows(&t, 0..gi, |_| self.c(1.0)));
                body.push(Stmt::for_(
                    "k",
                    idx(hi),
                    Stmt::store(NEW_H, vec![k()], self.act(0, gates(GATES, vec![k()]))),
                ));
            }
            Cell::Gru { linear_before_reset } => {
                body.push(self.gate_rows(&t, 0..2 * hi, |_| self.c(1.0)));
                let activated = Stmt::store(GATES, vec![k()], self.act(0, gates(GATES, vec![k()])));
                body.push(Stmt::for_("k", idx(2 * hi), activated));
                let reset = |j: PExpr| gates(GATES, vec![j + idx(hi)]);
                let row = || k() + idx(2 * hi);
                let candidate_pre = if linear_before_reset {
                    body.push(self.gate_rows(&t, 2 * hi..3 * hi, |_| self.c(1.0)));
                    let xw = self.arg(0, vec![t.clone(), v("b"), row()]);
                    xw.clone() + reset(k()) * (gates(GATES, vec![row()]) - xw)
                } else {
                    body.push(self.gate_rows(&t, 2 * hi..3 * hi, reset));
                    gates(GATES, vec![row()])
                };
                let z = gates(GATES, vec![k()]);
                let new_h = (self.c(1.0) - z.clone()) * self.act(1, candidate_pre) + z * self.h_state(k());
                body.push(Stmt::for_("k", idx(hi), Stmt::store(NEW_H, vec![k()], new_h)));
            }
            Cell::Lstm => {
                body.push(self.gate_rows(&t, 0..gi, |_| self.c(1.0)));
                let p = |offset: i64| self.arg(6, vec![k() + idx(offset)]);
                let gate = |offset: i64| gates(GATES, vec![k() + idx(offset)]);
                let cprev = self.c_state(k());
                let i = self.act(0, gate(0) + p(0) * cprev.clone());
                let f = self.act(0, gate(2 * hi) + p(2 * hi) * cprev.clone());
                let cn = f * cprev + i * self.act(1, gate(3 * hi));
                let cn_stored = PExpr::load(NEW_C, vec![k()]);
                let o = self.act(0, gate(hi) + p(hi) * cn_stored.clone());
                let hn = o * self.r.activations[2].code(cn_stored, self.r.dtype);
                body.push(Stmt::for_(
                    "k",
                    idx(hi),
                    Stmt::Seq(vec![Stmt::store(NEW_C, vec![k()], cn), Stmt::store(NEW_H, vec![k()], hn)]),
                ));
            }
        }
        let mut publish = vec![
            Stmt::store(&self.out[1], vec![v("b"), k()], PExpr::load(NEW_H, vec![k()])),
            Stmt::store(&self.out[0], vec![t, v("b"), k()], PExpr::load(NEW_H, vec![k()])),
        ];
        if self.r.cell == Cell::Lstm {
            publish.push(Stmt::store(&self.out[2], vec![v("b"), k()], PExpr::load(NEW_C, vec![k()])));
        }
        body.push(Stmt::for_("k", idx(hi), Stmt::Seq(publish)));
        let body = self.scratch(NEW_H, h, Stmt::Seq(body));
        let body = if self.r.cell == Cell::Lstm { self.scratch(NEW_C, h, body) } else { body };
        self.scratch(GATES, g, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::AttrValue;
    use crate::op::testing::check_op;

    fn attrs(cell: &str, activations: &str, reverse: bool) -> Attrs {
        Attrs::new()
            .with("cell", AttrValue::Str(cell.to_string()))
            .with("activations", AttrValue::Str(activations.to_string()))
            .with("reverse", AttrValue::Bool(reverse))
    }

    fn seeded(shape: &[usize], seed: u64) -> NDArray {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        NDArray::from_fn(DType::F32, shape, |_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Scalar::F(((state >> 40) as f64 / (1u64 << 24) as f64 - 0.5) * 1.2)
        })
    }

    fn args(cell: Cell, steps: usize, batch: usize, hidden: usize, lens: &[i64]) -> Vec<NDArray> {
        let g = cell.gates() * hidden;
        let mut a = vec![
            seeded(&[steps, batch, g], 1),
            seeded(&[g, hidden], 2),
            seeded(&[g], 3),
            seeded(&[batch, hidden], 4),
            NDArray::from_i64_values(DType::I64, &[batch], lens),
        ];
        if cell == Cell::Lstm {
            a.push(seeded(&[batch, hidden], 5));
            a.push(seeded(&[3 * hidden], 6));
        }
        a
    }

    #[test]
    fn every_cell_kernel_agrees_with_the_reference_in_both_directions() {
        for reverse in [false, true] {
            let lens = [4, 2, 0];
            check_op("recurrence", &args(Cell::Rnn, 4, 3, 3, &lens), &attrs("rnn", "Tanh", reverse));
            let gru = attrs("gru", "Sigmoid,Tanh", reverse);
            check_op("recurrence", &args(Cell::Gru { linear_before_reset: false }, 4, 3, 3, &lens), &gru);
            let gru = gru.with("linear_before_reset", AttrValue::Bool(true));
            check_op("recurrence", &args(Cell::Gru { linear_before_reset: true }, 4, 3, 3, &lens), &gru);
            let lstm = attrs("lstm", "Sigmoid,Tanh,Tanh", reverse).with("clip", AttrValue::Float(0.7));
            check_op("recurrence", &args(Cell::Lstm, 4, 3, 3, &lens), &lstm);
        }
    }

    #[test]
    fn a_one_unit_rnn_matches_a_hand_computation() {
        // h1 = tanh(0.5 + 0.1 + 2 * 0.3) = tanh(1.2); h2 = tanh(-1 + 0.1 + 2 * h1).
        let a = vec![
            NDArray::from_f32(&[2, 1, 1], vec![0.5, -1.0]),
            NDArray::from_f32(&[1, 1], vec![2.0]),
            NDArray::from_f32(&[1], vec![0.1]),
            NDArray::from_f32(&[1, 1], vec![0.3]),
            NDArray::from_i64_values(DType::I64, &[1], &[2]),
        ];
        let out = check_op("recurrence", &a, &attrs("rnn", "Tanh", false));
        let h1 = (1.2f64).tanh();
        let h2 = (-0.9 + 2.0 * h1).tanh();
        out[0].assert_close(&NDArray::from_f32(&[2, 1, 1], vec![h1 as f32, h2 as f32]), 1e-6, 1e-7).unwrap();
    }

    #[test]
    fn activations_are_checked_by_count_and_name() {
        let a = args(Cell::Rnn, 1, 1, 1, &[1]);
        let infos: Vec<TensorInfo> = a.iter().map(crate::op::compute::info_of).collect();
        let err = infer_recurrence(&infos, &attrs("rnn", "Tanh,Tanh", false)).unwrap_err();
        assert_eq!(err, "recurrence: a Rnn cell takes 1 activations, got `Tanh,Tanh`");
        let err = infer_recurrence(&infos, &attrs("rnn", "Swish", false)).unwrap_err();
        assert_eq!(err, "recurrence: unknown activation `Swish`");
    }
}
