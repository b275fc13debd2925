//! The graph-level IR: functions made of blocks of bindings.
//!
//! After `normalize`, the IR is in A-normal form: every call argument is a
//! variable or a constant, and every binding's variable carries its struct info.

use super::attrs::Attrs;
use super::dim::Dim;
use super::struct_info::StructInfo;
use crate::error::Span;
use relax_rt::DType;

/// A named value. Within a function every variable name is bound once.
#[derive(Clone, Debug, PartialEq)]
pub struct Var {
    pub name: String,
    pub sinfo: StructInfo,
    pub span: Span,
}

impl Var {
    pub fn new(name: impl Into<String>, sinfo: StructInfo) -> Var {
        Var { name: name.into(), sinfo, span: Span::NONE }
    }
}

/// A scalar literal in the source (`2.0`, `1`, `true`). Its dtype is fixed by
/// `normalize` from the other operand (so `x * 2.0` works for f32 and f64).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    Float(f64),
    Int(i64),
    Bool(bool),
}

/// What a call calls.
#[derive(Clone, Debug, PartialEq)]
pub enum Callee {
    /// A built-in operator from the registry (`matmul`).
    Op(String),
    /// Another graph function of the module.
    Func(String),
    /// A loop-level function of the module, destination-passing (`call_tir`).
    Tir(String),
    /// A C symbol linked into the final binary (`call_extern`), destination-passing.
    Extern(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub callee: Callee,
    pub args: Vec<Expr>,
    pub attrs: Attrs,
    /// For `Tir`/`Extern`: the struct info of the outputs the callee writes.
    pub out_sinfo: Option<StructInfo>,
    /// For `Tir`: values of the callee's symbolic dim parameters, in the caller's terms.
    pub tir_dims: Vec<Dim>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Var(String),
    /// A named constant of the module (a weight, or a folded value).
    Constant(String),
    Literal(Literal),
    /// A scalar literal after `normalize` has fixed its dtype.
    TypedLiteral(Literal, DType),
    Tuple(Vec<Expr>),
    GetItem(Box<Expr>, usize),
    Call(Call),
    If {
        cond: Box<Expr>,
        then_branch: Box<SeqExpr>,
        else_branch: Box<SeqExpr>,
    },
    /// A graph-level loop (see [`LoopExpr`]).
    Loop(Box<LoopExpr>),
}

/// `loop [trips] (s: T = init, x: T in xs) { body }`: runs `body` `trips`
/// times. `s` is loop-carried state, starting at `init`; `x` is row `i` of
/// `xs` (sliced along axis 0) in iteration `i`. The body's result is a tuple:
/// the next value of each carried variable, then one *scan output* per
/// iteration. The loop's value is a tuple: the final carried values, then
/// each scan output stacked along a new axis 0 (`[trips, ..]`).
///
/// The number of iterations is a dim, so every shape is known before the
/// loop runs (the native ABI computes output shapes first), and carried
/// values keep their type from one iteration to the next.
///
/// `loop [trips] while c (c: Tensor((), "bool") = init, ..)` is a *while*
/// loop: before each iteration (the first included) it stops if carried
/// bool `c` is false, so `trips` is only a bound. Its number of iterations
/// is known only at run time, so it has no scan outputs.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopExpr {
    pub trips: Dim,
    /// The carried variable that must be true for the next iteration to run.
    pub condition: Option<String>,
    /// Carried variables and their initial values (atoms once normalized).
    pub carried: Vec<(Var, Expr)>,
    /// Per-iteration slices and the tensors they are taken from.
    pub scans: Vec<(Var, Expr)>,
    pub body: SeqExpr,
}

impl LoopExpr {
    /// The body's parameters: carried variables, then slices.
    pub fn params(&self) -> impl Iterator<Item = &Var> {
        self.carried.iter().chain(&self.scans).map(|(v, _)| v)
    }

    /// The position among the carried variables of a while loop's condition.
    pub fn condition_index(&self) -> Option<usize> {
        let name = self.condition.as_ref()?;
        self.carried.iter().position(|(v, _)| &v.name == name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        Expr { kind, span }
    }

    pub fn var(name: &str) -> Expr {
        Expr::new(ExprKind::Var(name.to_string()), Span::NONE)
    }

    /// A call to a built-in operator.
    pub fn op(name: &str, args: Vec<Expr>, attrs: Attrs) -> Expr {
        Expr::new(
            ExprKind::Call(Call {
                callee: Callee::Op(name.to_string()),
                args,
                attrs,
                out_sinfo: None,
                tir_dims: vec![],
            }),
            Span::NONE,
        )
    }

    pub fn as_var(&self) -> Option<&str> {
        match &self.kind {
            ExprKind::Var(v) => Some(v),
            _ => None,
        }
    }

    /// The bodies nested directly in this expression: an `if`'s two branches, a loop's body.
    /// Passes that work binding by binding recurse through these.
    pub fn bodies(&self) -> Vec<&SeqExpr> {
        match &self.kind {
            ExprKind::If { then_branch, else_branch, .. } => vec![then_branch, else_branch],
            ExprKind::Loop(l) => vec![&l.body],
            _ => vec![],
        }
    }

    /// The sub-expressions evaluated before any nested body: an `if`'s
    /// condition, a loop's initial values and scanned tensors.
    pub fn operands(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::If { cond, .. } => vec![cond],
            ExprKind::Loop(l) => l.carried.iter().chain(&l.scans).map(|(_, e)| e).collect(),
            ExprKind::Tuple(items) => items.iter().collect(),
            ExprKind::GetItem(e, _) => vec![e],
            ExprKind::Call(c) => c.args.iter().collect(),
            ExprKind::Var(_) | ExprKind::Constant(_) | ExprKind::Literal(_) | ExprKind::TypedLiteral(..) => vec![],
        }
    }

    pub fn bodies_mut(&mut self) -> Vec<&mut SeqExpr> {
        match &mut self.kind {
            ExprKind::If { then_branch, else_branch, .. } => vec![then_branch, else_branch],
            ExprKind::Loop(l) => vec![&mut l.body],
            _ => vec![],
        }
    }

    pub fn as_call(&self) -> Option<&Call> {
        match &self.kind {
            ExprKind::Call(c) => Some(c),
            _ => None,
        }
    }

    /// Names of variables this expression reads directly (not inside nested branches).
    pub fn used_vars(&self, out: &mut Vec<String>) {
        match &self.kind {
            ExprKind::Var(v) => out.push(v.clone()),
            ExprKind::Constant(_) | ExprKind::Literal(_) | ExprKind::TypedLiteral(..) => {}
            ExprKind::Tuple(items) => items.iter().for_each(|e| e.used_vars(out)),
            ExprKind::GetItem(e, _) => e.used_vars(out),
            ExprKind::Call(c) => c.args.iter().for_each(|e| e.used_vars(out)),
            ExprKind::If { cond, then_branch, else_branch } => {
                cond.used_vars(out);
                then_branch.used_vars(out);
                else_branch.used_vars(out);
            }
            ExprKind::Loop(l) => {
                l.carried.iter().chain(&l.scans).for_each(|(_, e)| e.used_vars(out));
                let mut inner = Vec::new();
                l.body.used_vars(&mut inner);
                out.extend(inner.into_iter().filter(|v| !l.params().any(|p| &p.name == v)));
            }
        }
    }
}

/// `let var = value;` or, with `cast`, `let var = match_cast(value, sinfo);`:
/// a run-time check that binds new symbolic dims.
#[derive(Clone, Debug, PartialEq)]
pub struct Binding {
    pub var: Var,
    pub value: Expr,
    pub cast: Option<StructInfo>,
    pub span: Span,
}

/// A block of bindings. A dataflow block is pure and only its `outputs` are
/// visible after it; a plain block may have side effects.
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub dataflow: bool,
    pub bindings: Vec<Binding>,
    pub outputs: Vec<String>,
    pub span: Span,
}

/// Blocks followed by a result expression.
#[derive(Clone, Debug, PartialEq)]
pub struct SeqExpr {
    pub blocks: Vec<Block>,
    pub result: Box<Expr>,
}

impl SeqExpr {
    /// Variables read from outside: every use that is not bound inside.
    pub fn used_vars(&self, out: &mut Vec<String>) {
        let mut inner = Vec::new();
        let mut bound = std::collections::HashSet::new();
        for b in self.blocks.iter().flat_map(|b| &b.bindings) {
            b.value.used_vars(&mut inner);
            inner.retain(|v| !bound.contains(v));
            out.append(&mut inner);
            bound.insert(b.var.name.clone());
        }
        self.result.used_vars(&mut inner);
        out.extend(inner.into_iter().filter(|v| !bound.contains(v)));
    }

    pub fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.blocks.iter().flat_map(|b| &b.bindings)
    }

    /// Calls `f` on every binding, those in nested bodies (`if` branches)
    /// first, then the binding that holds them.
    pub fn visit_bindings_mut(&mut self, f: &mut dyn FnMut(&mut Binding)) {
        for b in self.blocks.iter_mut().flat_map(|b| &mut b.bindings) {
            for body in b.value.bodies_mut() {
                body.visit_bindings_mut(f);
            }
            f(b);
        }
    }

    /// Every binding, including those in nested bodies, in the order of
    /// [`SeqExpr::visit_bindings_mut`].
    pub fn all_bindings(&self) -> Vec<&Binding> {
        let mut out = Vec::new();
        fn walk<'a>(seq: &'a SeqExpr, out: &mut Vec<&'a Binding>) {
            for b in seq.bindings() {
                for body in b.value.bodies() {
                    walk(body, out);
                }
                out.push(b);
            }
        }
        walk(self, &mut out);
        out
    }
}

/// Planned placement of intermediates in the workspace arena (set by the
/// memory-planning pass): byte offsets, possibly symbolic.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct MemoryPlan {
    pub workspace_bytes: Dim,
    pub offsets: Vec<(String, Dim)>,
}

impl Default for Dim {
    fn default() -> Dim {
        Dim::Int(0)
    }
}

/// Symbolic dims whose values are the elements of an integer parameter, read
/// at run time (`axes: Tensor<[2], i64> values [a0, a1]`). This is how a shape
/// that the caller passes as data (ONNX `Reshape`'s target, `Slice`'s starts,
/// a reduction's axes) stays an exact symbolic expression: everything derived
/// from it is checked and computed by the entry before any kernel runs.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueDims {
    /// The parameter: an integer tensor of constant shape with `vars.len()` elements.
    pub param: String,
    /// One dim per element, in row-major order.
    pub vars: Vec<String>,
    /// Empty for an integer parameter, whose elements are the dims. For a
    /// float parameter (`scales: Tensor<[2], f32> values [a, b] times [h, w]`),
    /// dim `k` is `floor(element k * factors[k])`: how a scale the caller
    /// passes becomes a size. Factors are dims of the parameters' shapes.
    pub factors: Vec<Dim>,
}

/// A graph-level function.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Var>,
    /// Dims bound to parameters' values (see [`ValueDims`]).
    pub value_dims: Vec<ValueDims>,
    /// Dims defined as expressions of earlier ones (`#[dims(r = n * a0 + 1)]`),
    /// evaluated once by the entry, in order, after the value dims. Naming a
    /// long case analysis over run-time values keeps every shape that uses
    /// it short, where expanding it would multiply terms.
    pub derived_dims: Vec<(String, Dim)>,
    /// Upper bounds of symbolic dims (`#[dim_max(batch = 64)]`): the entry
    /// rejects larger values, and sizes that grow with the dims have a
    /// maximum the caller can allocate once (`EntryFunc::max_workspace_bytes`).
    pub dim_max: Vec<(String, i64)>,
    pub ret: StructInfo,
    pub body: SeqExpr,
    /// Whether callers outside the module can call it (gets a native entry).
    pub public: bool,
    pub memory: Option<MemoryPlan>,
    pub span: Span,
}

impl Function {
    /// The dims bound to parameter `name`'s values, if any.
    pub fn value_dims_of(&self, name: &str) -> Option<&[String]> {
        self.value_dims.iter().find(|v| v.param == name).map(|v| v.vars.as_slice())
    }

    /// Every dim bound to a parameter's value or derived from such dims:
    /// the dims that may be negative.
    pub fn value_vars(&self) -> impl Iterator<Item = &String> {
        self.value_dims.iter().flat_map(|v| &v.vars).chain(self.derived_dims.iter().map(|(v, _)| v))
    }
}
