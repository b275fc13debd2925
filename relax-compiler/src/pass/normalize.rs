//! `normalize`: resolves names, flattens nested expressions into A-normal form,
//! and infers the struct info of every variable, checking annotations.
//!
//! After it, every call argument is a variable or a constant, every variable
//! has known struct info, and scalar literals are typed constants. Errors from
//! all bindings are collected, so a model with three unsupported operators
//! reports all three at once, each at its own token.

use crate::error::{Error, Result, Span};
use crate::interp::graph::{default_literal_dtype, literal_value, with_op_name};
use crate::ir::dim::shape_to_string;
use crate::ir::{
    AttrValue, Attrs, Binding, Block, Call, Callee, Dim, Equality, Expr, ExprKind, Function, IRModule, Literal,
    LoopExpr, SeqExpr, StructInfo, TensorInfo, Var,
};
use crate::op;
use std::collections::{HashMap, HashSet};

pub fn run(mut module: IRModule) -> Result<IRModule> {
    let signatures: HashMap<String, (Vec<StructInfo>, StructInfo)> = module
        .functions
        .iter()
        .map(|f| (f.name.clone(), (f.params.iter().map(|p| p.sinfo.clone()).collect(), f.ret.clone())))
        .collect();
    let mut errors = Vec::new();
    let mut functions = std::mem::take(&mut module.functions);
    for f in &mut functions {
        let mut n = Normalizer::new(&mut module, &signatures, f);
        match n.function(f) {
            Ok(()) if n.errors.is_empty() => {}
            Ok(()) => errors.append(&mut n.errors),
            Err(e) => {
                errors.append(&mut n.errors);
                errors.push(e);
            }
        }
    }
    module.functions = functions;
    if errors.is_empty() {
        Ok(module)
    } else {
        Err(Error::many(errors))
    }
}

struct Normalizer<'a> {
    module: &'a mut IRModule,
    signatures: &'a HashMap<String, (Vec<StructInfo>, StructInfo)>,
    /// Struct info of every variable in scope.
    scope: HashMap<String, StructInfo>,
    /// Symbolic dims introduced by `match_cast`, as expressions in known dims.
    dim_subst: HashMap<String, Dim>,
    /// Dims bound to parameters' values.
    value_vars: HashSet<String>,
    taken: HashSet<String>,
    next_temp: usize,
    /// Bindings emitted for nested sub-expressions of the binding being normalized.
    pending: Vec<Binding>,
    errors: Vec<Error>,
}

impl<'a> Normalizer<'a> {
    fn new(
        module: &'a mut IRModule,
        signatures: &'a HashMap<String, (Vec<StructInfo>, StructInfo)>,
        f: &Function,
    ) -> Normalizer<'a> {
        let mut taken: HashSet<String> = f.params.iter().map(|p| p.name.clone()).collect();
        taken.extend(f.body.bindings().map(|b| b.var.name.clone()));
        Normalizer {
            module,
            signatures,
            scope: HashMap::new(),
            dim_subst: HashMap::new(),
            value_vars: f.value_vars().cloned().collect(),
            taken,
            next_temp: 0,
            pending: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn fresh(&mut self) -> String {
        loop {
            let name = format!("lv{}", self.next_temp);
            self.next_temp += 1;
            if self.taken.insert(name.clone()) {
                return name;
            }
        }
    }

    fn function(&mut self, f: &mut Function) -> Result<()> {
        for p in &f.params {
            if matches!(p.sinfo, StructInfo::Unknown) {
                return Err(Error::new(
                    p.span,
                    format!("parameter `{}` needs a type, e.g. `Tensor<[n], f32>`", p.name),
                ));
            }
            self.scope.insert(p.name.clone(), p.sinfo.clone());
        }
        check_value_dims(f)?;
        let (body, result_sinfo) = self.seq(&f.body)?;
        f.body = body;
        if self.errors.is_empty() {
            check_result(f, &result_sinfo)?;
        }
        Ok(())
    }

    /// Normalizes a sequence in a nested scope (function body or `if` branch).
    fn seq(&mut self, seq: &SeqExpr) -> Result<(SeqExpr, StructInfo)> {
        let mut blocks = Vec::new();
        for b in &seq.blocks {
            blocks.push(self.block(b));
        }
        let (result, sinfo) = self.atom(&seq.result)?;
        if !self.pending.is_empty() {
            let bindings = std::mem::take(&mut self.pending);
            blocks.push(Block { dataflow: false, bindings, outputs: vec![], span: Span::NONE });
        }
        Ok((SeqExpr { blocks, result: Box::new(result) }, sinfo))
    }

    fn block(&mut self, b: &Block) -> Block {
        let mut bindings = Vec::new();
        for binding in &b.bindings {
            match self.binding(binding) {
                Ok(nb) => {
                    bindings.append(&mut self.pending);
                    bindings.push(nb);
                }
                Err(e) => {
                    self.pending.clear();
                    self.errors.push(e);
                    // Keep going with an unknown type so later errors still surface.
                    self.scope.insert(binding.var.name.clone(), StructInfo::Unknown);
                }
            }
        }
        if b.dataflow {
            self.close_dataflow_scope(b, &bindings);
        }
        Block { dataflow: b.dataflow, bindings, outputs: b.outputs.clone(), span: b.span }
    }

    /// Variables of a dataflow block that are not its outputs go out of scope.
    fn close_dataflow_scope(&mut self, b: &Block, bindings: &[Binding]) {
        for nb in bindings {
            if !b.outputs.contains(&nb.var.name) {
                self.scope.remove(&nb.var.name);
            }
        }
        for out in &b.outputs {
            if !b.bindings.iter().any(|nb| &nb.var.name == out) {
                self.errors.push(Error::new(b.span, format!("`output {out}` names no variable bound in this block")));
            }
        }
    }

    fn binding(&mut self, b: &Binding) -> Result<Binding> {
        // A cast value gets its own variable, so later passes still see the
        // type it had before the cast (lowering checks the two agree).
        let (value, inferred) = if b.cast.is_some() { self.atom(&b.value)? } else { self.value(&b.value)? };
        let sinfo = match &b.cast {
            Some(target) => self.match_cast(b, &inferred, target)?,
            None => self.check_annotation(b, inferred)?,
        };
        self.scope.insert(b.var.name.clone(), sinfo.clone());
        Ok(Binding {
            var: Var { name: b.var.name.clone(), sinfo, span: b.var.span },
            value,
            cast: b.cast.as_ref().map(|c| self.subst_sinfo(c)),
            span: b.span,
        })
    }

    fn check_annotation(&mut self, b: &Binding, inferred: StructInfo) -> Result<StructInfo> {
        let declared = self.subst_sinfo(&b.var.sinfo);
        if matches!(declared, StructInfo::Unknown) || matches!(inferred, StructInfo::Unknown) {
            return Ok(inferred);
        }
        match compare(&declared, &inferred) {
            Equality::Proven => Ok(inferred),
            Equality::Disproven => Err(Error::new(
                b.var.span.or(b.span),
                format!("`{}` is annotated {declared} but its value is {inferred}", b.var.name),
            )),
            Equality::Unknown => Err(Error::new(
                b.var.span.or(b.span),
                format!(
                    "cannot prove that `{}`'s value {inferred} matches its annotation {declared}; \
                     use `match_cast` to check it at run time",
                    b.var.name
                ),
            )),
        }
    }

    /// `match_cast`: new symbolic dims in the target are defined by the value's
    /// dims; known ones must agree.
    fn match_cast(&mut self, b: &Binding, inferred: &StructInfo, target: &StructInfo) -> Result<StructInfo> {
        let (StructInfo::Tensor(value), StructInfo::Tensor(to)) = (inferred, target) else {
            return Ok(self.subst_sinfo(target));
        };
        if value.dtype != to.dtype || value.rank() != to.rank() {
            return Err(Error::new(b.span, format!("match_cast of {inferred} to {target} can never succeed")));
        }
        for (t, v) in to.shape.iter().zip(&value.shape) {
            if let Dim::Var(name) = t {
                if !self.dim_known(name) {
                    self.dim_subst.insert(name.clone(), v.clone());
                    continue;
                }
            }
            if self.subst_dim(t).equality(v) == Equality::Disproven {
                return Err(Error::new(b.span, format!("match_cast of {inferred} to {target} can never succeed")));
            }
        }
        Ok(self.subst_sinfo(target))
    }

    fn dim_known(&self, name: &str) -> bool {
        self.dim_subst.contains_key(name)
            || self.value_vars.contains(name)
            || self.scope.values().any(|s| s.free_vars().contains(name))
    }

    fn subst_dim(&self, d: &Dim) -> Dim {
        if self.dim_subst.is_empty() {
            d.clone()
        } else {
            d.substitute(&self.dim_subst)
        }
    }

    fn subst_sinfo(&self, s: &StructInfo) -> StructInfo {
        match s {
            StructInfo::Tensor(t) => {
                StructInfo::Tensor(TensorInfo::new(t.dtype, t.shape.iter().map(|d| self.subst_dim(d)).collect()))
            }
            StructInfo::Tuple(items) => StructInfo::Tuple(items.iter().map(|i| self.subst_sinfo(i)).collect()),
            StructInfo::Unknown => StructInfo::Unknown,
        }
    }

    /// Normalizes an expression so its operands are atoms; returns it and its type.
    fn value(&mut self, e: &Expr) -> Result<(Expr, StructInfo)> {
        match &e.kind {
            ExprKind::Call(call) => self.call(e, call),
            ExprKind::Tuple(items) => {
                let (atoms, infos): (Vec<Expr>, Vec<StructInfo>) =
                    items.iter().map(|i| self.atom(i)).collect::<Result<Vec<_>>>()?.into_iter().unzip();
                Ok((Expr::new(ExprKind::Tuple(atoms), e.span), StructInfo::Tuple(infos)))
            }
            ExprKind::GetItem(t, i) => {
                let (atom, sinfo) = self.atom(t)?;
                let item = match &sinfo {
                    StructInfo::Tuple(items) => items.get(*i).cloned(),
                    StructInfo::Unknown => Some(StructInfo::Unknown),
                    StructInfo::Tensor(_) => None,
                };
                let item = item.ok_or_else(|| Error::new(e.span, format!("cannot take element {i} of {sinfo}")))?;
                Ok((Expr::new(ExprKind::GetItem(Box::new(atom), *i), e.span), item))
            }
            ExprKind::If { cond, then_branch, else_branch } => self.if_expr(e, cond, then_branch, else_branch),
            ExprKind::Loop(l) => self.loop_expr(e, l),
            _ => self.atom(e),
        }
    }

    /// Normalizes to a variable or constant, binding a temporary if needed.
    fn atom(&mut self, e: &Expr) -> Result<(Expr, StructInfo)> {
        match &e.kind {
            ExprKind::Var(name) => self.resolve_name(name, e.span),
            ExprKind::Constant(name) => self.resolve_name(name, e.span),
            ExprKind::Literal(l) => Ok(self.literal(*l, default_literal_dtype(*l), e.span)),
            ExprKind::TypedLiteral(l, d) => Ok(self.literal(*l, *d, e.span)),
            _ => {
                let (value, sinfo) = self.value(e)?;
                let name = self.fresh();
                self.scope.insert(name.clone(), sinfo.clone());
                let var = Var { name: name.clone(), sinfo: sinfo.clone(), span: e.span };
                self.pending.push(Binding { var, value, cast: None, span: e.span });
                Ok((Expr::new(ExprKind::Var(name), e.span), sinfo))
            }
        }
    }

    fn resolve_name(&mut self, name: &str, span: Span) -> Result<(Expr, StructInfo)> {
        if let Some(s) = self.scope.get(name) {
            return Ok((Expr::new(ExprKind::Var(name.to_string()), span), s.clone()));
        }
        if let Some(c) = self.module.constants.get(name) {
            let shape = c.shape().iter().map(|&d| Dim::from(d)).collect();
            let sinfo = StructInfo::tensor(c.dtype(), shape);
            return Ok((Expr::new(ExprKind::Constant(name.to_string()), span), sinfo));
        }
        Err(Error::new(span, self.unknown_name_message(name)))
    }

    fn unknown_name_message(&self, name: &str) -> String {
        let known = match &self.module.weights_path {
            Some(p) => {
                let weights: Vec<&str> = self.module.constants.keys().map(|k| k.as_str()).collect();
                format!("the weights file {p} has {}", weights.join(", "))
            }
            None => "the module has no weights file; add `#[weights = \"file.safetensors\"]`".to_string(),
        };
        format!("unknown name `{name}`: not a parameter, a variable in scope or a weight ({known})")
    }

    /// A scalar literal becomes a rank-0 module constant of `dtype`.
    fn literal(&mut self, l: Literal, dtype: relax_rt::DType, span: Span) -> (Expr, StructInfo) {
        let name = self.module.fresh_name("lit");
        self.module.constants.insert(name.clone(), literal_value(l, dtype));
        (Expr::new(ExprKind::Constant(name), span), StructInfo::tensor(dtype, vec![]))
    }

    /// Untyped literal arguments take the dtype of the call's first tensor
    /// argument, so `x * 2.0` multiplies by an f64 when `x` is f64.
    fn call(&mut self, e: &Expr, call: &Call) -> Result<(Expr, StructInfo)> {
        let mut slots: Vec<Option<(Expr, StructInfo)>> = Vec::new();
        for a in &call.args {
            slots.push(if matches!(a.kind, ExprKind::Literal(_)) { None } else { Some(self.atom(a)?) });
        }
        let dtype = slots.iter().flatten().find_map(|(_, s)| s.as_tensor().map(|t| t.dtype));
        let (args, infos): (Vec<Expr>, Vec<StructInfo>) = slots
            .into_iter()
            .zip(&call.args)
            .map(|(slot, a)| match (slot, &a.kind) {
                (Some(done), _) => done,
                (None, ExprKind::Literal(l)) => self.literal(*l, dtype.unwrap_or(default_literal_dtype(*l)), a.span),
                (None, _) => unreachable!("only literals are deferred"),
            })
            .unzip();
        let attrs = self.subst_attrs(&call.attrs);
        if let Callee::Op(name) = &call.callee {
            if op::lookup(name).is_none() {
                return Err(Error::new(e.span, format!("unknown operator `{name}`")));
            }
        }
        let sinfo = if infos.iter().any(|s| matches!(s, StructInfo::Unknown)) {
            StructInfo::Unknown
        } else {
            self.infer_call(call, &infos, &attrs).map_err(|msg| Error::new(e.span, msg))?
        };
        let normalized = Call { args, attrs, ..call.clone() };
        Ok((Expr::new(ExprKind::Call(normalized), e.span), sinfo))
    }

    fn subst_attrs(&self, attrs: &Attrs) -> Attrs {
        if self.dim_subst.is_empty() {
            return attrs.clone();
        }
        Attrs(
            attrs
                .0
                .iter()
                .map(|(k, v)| match v {
                    AttrValue::Dims(ds) => (k.clone(), AttrValue::Dims(ds.iter().map(|d| self.subst_dim(d)).collect())),
                    _ => (k.clone(), v.clone()),
                })
                .collect(),
        )
    }

    fn infer_call(&self, call: &Call, infos: &[StructInfo], attrs: &Attrs) -> std::result::Result<StructInfo, String> {
        match &call.callee {
            Callee::Op(name) => {
                let def = op::lookup(name).ok_or_else(|| format!("unknown operator `{name}`"))?;
                let tensors = infos
                    .iter()
                    .map(|s| s.as_tensor().cloned().ok_or_else(|| format!("{name} takes tensors, got {s}")))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                (def.infer)(&tensors, attrs).map_err(|e| with_op_name(name, e))
            }
            Callee::Func(name) => self.infer_func_call(name, infos),
            Callee::Tir(name) | Callee::Extern(name) => call
                .out_sinfo
                .as_ref()
                .map(|s| self.subst_sinfo(s))
                .ok_or_else(|| format!("call to `{name}` needs the output struct info")),
        }
    }

    /// Binds the callee's symbolic dims from the arguments and instantiates its result type.
    fn infer_func_call(&self, name: &str, infos: &[StructInfo]) -> std::result::Result<StructInfo, String> {
        let (params, ret) = self.signatures.get(name).ok_or_else(|| format!("no function `{name}`"))?;
        if params.len() != infos.len() {
            return Err(format!("{name} takes {} arguments, got {}", params.len(), infos.len()));
        }
        let mut bound: HashMap<String, Dim> = HashMap::new();
        for (p, a) in params.iter().zip(infos) {
            for (pt, at) in p.tensors().iter().zip(a.tensors()) {
                if pt.dtype != at.dtype || pt.rank() != at.rank() {
                    return Err(format!("{name} expects {pt}, got {at}"));
                }
                for (pd, ad) in pt.shape.iter().zip(&at.shape) {
                    match pd {
                        Dim::Var(v) if !bound.contains_key(v) => {
                            bound.insert(v.clone(), ad.clone());
                        }
                        _ if pd.substitute(&bound).equality(ad) == Equality::Disproven => {
                            return Err(format!("{name} expects {pt}, got {at}"));
                        }
                        _ => {}
                    }
                }
            }
        }
        Ok(substitute_sinfo(ret, &bound))
    }

    fn if_expr(&mut self, e: &Expr, cond: &Expr, then_b: &SeqExpr, else_b: &SeqExpr) -> Result<(Expr, StructInfo)> {
        let (c, c_info) = self.atom(cond)?;
        if let StructInfo::Tensor(t) = &c_info {
            if t.dtype != relax_rt::DType::Bool || t.rank() != 0 {
                return Err(Error::new(cond.span, format!("`if` condition must be a scalar bool, got {c_info}")));
            }
        }
        let outer_pending = std::mem::take(&mut self.pending);
        let saved_scope = self.scope.clone();
        let (t, t_info) = self.seq(then_b)?;
        self.scope = saved_scope.clone();
        let (f, f_info) = self.seq(else_b)?;
        self.scope = saved_scope;
        self.pending = outer_pending;
        if compare(&t_info, &f_info) != Equality::Proven {
            return Err(Error::new(e.span, format!("`if` branches differ: {t_info} vs {f_info}")));
        }
        let kind = ExprKind::If { cond: Box::new(c), then_branch: Box::new(t), else_branch: Box::new(f) };
        Ok((Expr::new(kind, e.span), t_info))
    }
}

impl Normalizer<'_> {
    /// Types a loop: carried variables take their initial value's type (and
    /// must keep it: the body gives back the same type), slices are one row
    /// of a tensor whose axis 0 is the number of iterations.
    fn loop_expr(&mut self, e: &Expr, l: &LoopExpr) -> Result<(Expr, StructInfo)> {
        let trips = l.trips.simplify();
        let declared = |v: &Var, found: StructInfo, what: &str| -> Result<Var> {
            match (&v.sinfo, compare(&v.sinfo, &found)) {
                (StructInfo::Unknown, _) => Ok(Var { sinfo: found, ..v.clone() }),
                (_, Equality::Proven) => Ok(v.clone()),
                _ => {
                    Err(Error::new(v.span, format!("loop variable `{}` is {} but {what} is {found}", v.name, v.sinfo)))
                }
            }
        };
        let mut carried = Vec::new();
        for (v, init) in &l.carried {
            let (atom, info) = self.atom(init)?;
            carried.push((declared(v, info, "its initial value")?, atom));
        }
        let mut scans = Vec::new();
        for (v, source) in &l.scans {
            let (atom, info) = self.atom(source)?;
            let row = match info.as_tensor() {
                Some(t) if t.rank() >= 1 && t.shape[0].proven_eq(&trips) => {
                    StructInfo::Tensor(TensorInfo::new(t.dtype, t.shape[1..].to_vec()))
                }
                _ => {
                    return Err(Error::new(
                        source.span,
                        format!("`{}` slices a tensor whose axis 0 is the {trips} iterations; got {info}", v.name),
                    ))
                }
            };
            scans.push((declared(v, row, "a row of its tensor")?, atom));
        }
        let outer_pending = std::mem::take(&mut self.pending);
        let saved_scope = self.scope.clone();
        for (v, _) in carried.iter().chain(&scans) {
            self.scope.insert(v.name.clone(), v.sinfo.clone());
        }
        let body = self.seq(&l.body);
        self.scope = saved_scope;
        self.pending = outer_pending;
        let (body, body_info) = body?;
        let items = match &body_info {
            StructInfo::Tuple(items) if items.len() >= carried.len() => items.clone(),
            _ => {
                return Err(Error::new(
                    e.span,
                    format!(
                        "a loop body must give a tuple of the {} carried values, then scan outputs; got {body_info}",
                        carried.len()
                    ),
                ))
            }
        };
        let mut result = Vec::new();
        for ((v, _), next) in carried.iter().zip(&items) {
            if compare(&v.sinfo, next) != Equality::Proven {
                return Err(Error::new(
                    e.span,
                    format!(
                        "the loop body turns carried `{}` from {} into {next}; carried values must keep their type \
                         and shape from one iteration to the next",
                        v.name, v.sinfo
                    ),
                ));
            }
            result.push(v.sinfo.clone());
        }
        for out in &items[carried.len()..] {
            let Some(t) = out.as_tensor() else {
                return Err(Error::new(e.span, format!("a scan output must be a tensor, got {out}")));
            };
            let shape = std::iter::once(trips.clone()).chain(t.shape.iter().cloned()).collect();
            result.push(StructInfo::Tensor(TensorInfo::new(t.dtype, shape)));
        }
        check_condition(e, l.condition.as_deref(), &carried, result.len())?;
        let kind = ExprKind::Loop(Box::new(LoopExpr { trips, condition: l.condition.clone(), carried, scans, body }));
        Ok((Expr::new(kind, e.span), StructInfo::Tuple(result)))
    }
}

/// A while loop's condition is one of its carried variables, a scalar bool,
/// and the loop has no scan outputs: their length would be the number of
/// iterations, known only once the loop has run.
fn check_condition(e: &Expr, condition: Option<&str>, carried: &[(Var, Expr)], results: usize) -> Result<()> {
    let Some(name) = condition else { return Ok(()) };
    let Some((v, _)) = carried.iter().find(|(v, _)| v.name == name) else {
        return Err(Error::new(e.span, format!("`while {name}` must name one of the loop's carried variables")));
    };
    let bool_scalar = v.sinfo.as_tensor().is_some_and(|t| t.dtype == relax_rt::DType::Bool && t.rank() == 0);
    if !bool_scalar {
        return Err(Error::new(v.span, format!("the loop condition `{name}` must be a scalar bool, not {}", v.sinfo)));
    }
    if results > carried.len() {
        return Err(Error::new(
            e.span,
            format!(
                "a `while` loop cannot have scan outputs: their length, the number of iterations, is known only \
                 when the loop ends ({} carried values, {} results)",
                carried.len(),
                results
            ),
        ));
    }
    Ok(())
}

fn substitute_sinfo(s: &StructInfo, map: &HashMap<String, Dim>) -> StructInfo {
    match s {
        StructInfo::Tensor(t) => {
            StructInfo::Tensor(TensorInfo::new(t.dtype, t.shape.iter().map(|d| d.substitute(map)).collect()))
        }
        StructInfo::Tuple(items) => StructInfo::Tuple(items.iter().map(|i| substitute_sinfo(i, map)).collect()),
        StructInfo::Unknown => StructInfo::Unknown,
    }
}

/// Structural comparison of struct info with symbolic dims.
pub fn compare(a: &StructInfo, b: &StructInfo) -> Equality {
    match (a, b) {
        (StructInfo::Tensor(x), StructInfo::Tensor(y)) => x.compare(y),
        (StructInfo::Tuple(xs), StructInfo::Tuple(ys)) if xs.len() == ys.len() => {
            xs.iter().zip(ys).fold(Equality::Proven, |acc, (x, y)| match (acc, compare(x, y)) {
                (Equality::Disproven, _) | (_, Equality::Disproven) => Equality::Disproven,
                (Equality::Unknown, _) | (_, Equality::Unknown) => Equality::Unknown,
                _ => Equality::Proven,
            })
        }
        _ => Equality::Disproven,
    }
}

fn check_result(f: &Function, actual: &StructInfo) -> Result<()> {
    let span = f.body.result.span.or(f.span);
    let describe = |s: &StructInfo| match s {
        StructInfo::Tensor(t) => format!("{} {}", t.dtype, shape_to_string(&t.shape)),
        other => other.to_string(),
    };
    match compare(&f.ret, actual) {
        Equality::Proven => Ok(()),
        Equality::Disproven => Err(Error::new(
            span,
            format!("{} is declared to return {} but returns {}", f.name, describe(&f.ret), describe(actual)),
        )),
        Equality::Unknown => Err(Error::new(
            span,
            format!(
                "cannot prove that {}'s result {} matches its declared type {}",
                f.name,
                describe(actual),
                describe(&f.ret)
            ),
        )),
    }
}

/// Each parameter with value dims is an i32, i64 or bool (0 or 1) tensor of constant shape
/// holding one element per dim, every value dim is new (it names no parameter
/// dim and no other element), and each derived dim uses only dims bound before
/// it.
fn check_value_dims(f: &Function) -> Result<()> {
    let mut seen: HashSet<&str> = HashSet::new();
    let shape_vars: HashSet<String> = f.params.iter().flat_map(|p| p.sinfo.free_vars()).collect();
    let mut known: HashSet<String> = shape_vars.clone();
    known.extend(f.value_dims.iter().flat_map(|v| v.vars.iter().cloned()));
    for (var, d) in &f.derived_dims {
        if let Some(unknown) = d.free_vars().into_iter().find(|v| !known.contains(v)) {
            return Err(Error::new(f.span, format!("derived dim `{var} = {d}` uses `{unknown}` before it is bound")));
        }
        if !known.insert(var.clone()) {
            return Err(Error::new(f.span, format!("derived dim `{var}` is bound twice")));
        }
    }
    for values in &f.value_dims {
        let param = f.params.iter().find(|p| p.name == values.param);
        let Some(param) = param else {
            return Err(Error::new(f.span, format!("value dims name `{}`, which is no parameter", values.param)));
        };
        let n = values.vars.len();
        let info = param.sinfo.as_tensor();
        let count = info.and_then(|t| t.shape.iter().map(Dim::as_int).product::<Option<i64>>());
        let dtype = info.map(|t| t.dtype);
        let scaled = values.factors.len() == n && matches!(dtype, Some(relax_rt::DType::F32 | relax_rt::DType::F64));
        let plain = values.factors.is_empty()
            && matches!(dtype, Some(relax_rt::DType::I32 | relax_rt::DType::I64 | relax_rt::DType::Bool));
        if count != Some(n as i64) || !(scaled || plain) {
            return Err(Error::new(
                param.span,
                format!(
                    "`{}` binds {n} value dims, so it must be an i32, i64 or bool tensor (or f32/f64 with \
                     `times` factors) of constant shape with {n} elements, not {}",
                    param.name, param.sinfo
                ),
            ));
        }
        if let Some(v) = values.factors.iter().flat_map(|d| d.free_vars()).find(|v| !shape_vars.contains(v)) {
            return Err(Error::new(param.span, format!("factor dim `{v}` of `{}` is no parameter dim", param.name)));
        }
        for var in &values.vars {
            if shape_vars.contains(var) || !seen.insert(var.as_str()) {
                return Err(Error::new(param.span, format!("value dim `{var}` of `{}` is bound twice", param.name)));
            }
        }
    }
    Ok(())
}
