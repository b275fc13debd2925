//! The printer: the canonical text of a module, its constants and its graph
//! functions (`print_tir` prints `prim fn`s, `print_entry` entries).
//!
//! Expressions print as written: operator calls that have an infix spelling
//! print infix with only the parentheses precedence needs, so a canonically
//! formatted source prints back unchanged, and printed text parses back to an
//! equal module. One shape has no spelling of its own: two adjacent plain
//! (non-dataflow) blocks print as one block, which is what they read back as.

use super::literal;
use super::operators::{
    graph_infix_by_op, Prec, GRAPH_ATOM, GRAPH_CAST, GRAPH_COMPARE, GRAPH_NEG, GRAPH_POSTFIX, GRAPH_UNARY,
};
use super::print_entry::entry_text;
use super::print_tir::prim_func_text;
use super::writer::{indent, Writer};
use crate::ir::dim::shape_to_string;
use crate::ir::{
    format_float, AttrValue, Attrs, Binding, Block, Call, Callee, Expr, ExprKind, Function, IRModule, Literal,
    LoopExpr, SeqExpr, StructInfo, Var,
};
use crate::ndarray::NDArray;

/// Constants whose values fit this many columns print on one line.
const LINE_WIDTH: usize = 100;

/// The canonical text of a module, every constant value included (so it
/// parses back to an equal module).
pub fn print_module(m: &IRModule) -> String {
    print_module_with(m, None)
}

/// For dumps: constants with more than `max_values` values print as
/// declarations (`const w1: Tensor<[64, 32], f32>;`), so the IR stays readable.
pub fn print_module_elided(m: &IRModule, max_values: usize) -> String {
    print_module_with(m, Some(max_values))
}

fn print_module_with(m: &IRModule, max_values: Option<usize>) -> String {
    let mut out = String::new();
    if let Some(path) = &m.weights_path {
        out += &format!("#[weights = {}]\n", quote(path));
    }
    out += &format!("mod {} {{\n", m.name);
    let mut sections = Vec::new();
    if !m.constants.is_empty() {
        let text = |(name, data): (&String, &NDArray)| match max_values {
            Some(max) if data.numel() > max => elided_constant_text(name, data, 1),
            _ => constant_text(name, data, 1),
        };
        sections.push(m.constants.iter().map(text).collect::<String>());
    }
    sections.extend(m.functions.iter().map(|f| function_text(f, 1)));
    sections.extend(m.prim_funcs.iter().map(|f| prim_func_text(f, 1)));
    sections.extend(m.entries.iter().map(|e| entry_text(e, 1)));
    out += &sections.join("\n");
    out += "}\n";
    out
}

pub fn print_function(f: &Function) -> String {
    function_text(f, 0)
}

/// A string literal Rust (and the lexer) reads back as `s`.
pub(super) fn quote(s: &str) -> String {
    format!("{s:?}")
}

/// `Tensor<[n, 64], f32>`, `(A, B)`, `(A,)`, or `_` when not known.
pub(super) fn struct_info_text(sinfo: &StructInfo) -> String {
    match sinfo {
        StructInfo::Tensor(t) => format!("Tensor<{}, {}>", shape_to_string(&t.shape), t.dtype),
        StructInfo::Tuple(items) if items.len() == 1 => format!("({},)", struct_info_text(&items[0])),
        StructInfo::Tuple(items) => format!("({})", join(items.iter().map(struct_info_text))),
        StructInfo::Unknown => "_".to_string(),
    }
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// `const name: Tensor<..>;` with a note of how many values are not shown.
fn elided_constant_text(name: &str, data: &NDArray, depth: usize) -> String {
    let sinfo = StructInfo::tensor(data.dtype(), data.shape().iter().map(|&d| d.into()).collect());
    format!("{}const {name}: {}; // {} values not shown\n", indent(depth), struct_info_text(&sinfo), data.numel())
}

/// `const name: Tensor<..> = [..];`, wrapping long value lists.
fn constant_text(name: &str, data: &NDArray, depth: usize) -> String {
    let sinfo = StructInfo::tensor(data.dtype(), data.shape().iter().map(|&d| d.into()).collect());
    let head = format!("{}const {name}: {} = [", indent(depth), struct_info_text(&sinfo));
    let values: Vec<String> = (0..data.numel()).map(|i| literal::scalar(data.get(i), data.dtype())).collect();
    let one_line = format!("{head}{}];\n", values.join(", "));
    if one_line.len() <= LINE_WIDTH {
        return one_line;
    }
    let mut out = format!("{head}\n");
    let mut line = indent(depth + 1);
    for value in values {
        if !line.trim_start().is_empty() && line.len() + value.len() + 2 > LINE_WIDTH {
            out += line.trim_end();
            out.push('\n');
            line = indent(depth + 1);
        }
        line += &value;
        line += ", ";
    }
    out += line.trim_end();
    out.push('\n');
    out + &indent(depth) + "];\n"
}

fn function_text(f: &Function, depth: usize) -> String {
    let mut w = Writer::new(depth);
    if !f.public {
        w.line("#[private]");
    }
    if !f.derived_dims.is_empty() {
        w.line(&format!("#[dims({})]", join(f.derived_dims.iter().map(|(v, d)| format!("{v} = {d}")))));
    }
    if !f.dim_max.is_empty() {
        w.line(&format!("#[dim_max({})]", join(f.dim_max.iter().map(|(v, max)| format!("{v} = {max}")))));
    }
    if let Some(plan) = &f.memory {
        let offsets = plan.offsets.iter().map(|(var, offset)| format!(", {var} = {offset}")).collect::<String>();
        w.line(&format!("#[workspace(bytes = {}{offsets})]", plan.workspace_bytes));
    }
    let params = join(f.params.iter().map(|p| {
        let values = match f.value_dims.iter().find(|v| v.param == p.name) {
            Some(v) if v.factors.is_empty() => format!(" values [{}]", v.vars.join(", ")),
            Some(v) => {
                format!(" values [{}] times [{}]", v.vars.join(", "), join(v.factors.iter().map(|d| d.to_string())))
            }
            None => String::new(),
        };
        format!("{}: {}{values}", p.name, struct_info_text(&p.sinfo))
    }));
    let ret = match &f.ret {
        StructInfo::Unknown => String::new(),
        ret => format!(" -> {}", struct_info_text(ret)),
    };
    w.open(&format!("fn {}({params}){ret} {{", f.name));
    write_seq(&mut w, &f.body);
    w.close("}");
    w.finish()
}

/// Blocks, then the result.
fn write_seq(w: &mut Writer, seq: &SeqExpr) {
    for block in &seq.blocks {
        write_block(w, block);
    }
    let result = expr_text(&seq.result, w.depth());
    w.line(&result);
}

fn write_block(w: &mut Writer, block: &Block) {
    if !block.dataflow {
        block.bindings.iter().for_each(|b| write_binding(w, b));
        return;
    }
    w.open("dataflow {");
    block.bindings.iter().for_each(|b| write_binding(w, b));
    if !block.outputs.is_empty() {
        w.line(&format!("output {};", block.outputs.join(", ")));
    }
    w.close("}");
}

/// `let name: T = value;` (no annotation while the type is unknown).
fn write_binding(w: &mut Writer, b: &Binding) {
    let annotation = match &b.var.sinfo {
        StructInfo::Unknown => String::new(),
        sinfo => format!(": {}", struct_info_text(sinfo)),
    };
    let value = expr_text(&b.value, w.depth());
    let value = match &b.cast {
        Some(sinfo) => format!("match_cast({value}, {})", struct_info_text(sinfo)),
        None => value,
    };
    w.line(&format!("let {}{annotation} = {value};", b.var.name));
}

/// An expression starting on a line at `depth`.
fn expr_text(e: &Expr, depth: usize) -> String {
    expr_with_prec(e, depth).0
}

/// `e`, parenthesized if it binds looser than `min`.
fn operand(e: &Expr, min: Prec, depth: usize) -> String {
    let (text, prec) = expr_with_prec(e, depth);
    if prec < min {
        format!("({text})")
    } else {
        text
    }
}

/// The text of `e` and the level it parses at.
fn expr_with_prec(e: &Expr, depth: usize) -> (String, Prec) {
    match &e.kind {
        ExprKind::Var(name) => (name.clone(), GRAPH_ATOM),
        ExprKind::Constant(name) => (format!("self::{name}"), GRAPH_ATOM),
        ExprKind::Literal(l) => with_sign_prec(literal::untyped(*l)),
        ExprKind::TypedLiteral(l, d) => {
            let text = literal::typed(*l, *d);
            if text.contains(" as ") {
                (text, GRAPH_CAST)
            } else {
                with_sign_prec(text)
            }
        }
        ExprKind::Tuple(items) => {
            let parts: Vec<String> = items.iter().map(|i| expr_text(i, depth)).collect();
            let text = if parts.len() == 1 { format!("({},)", parts[0]) } else { format!("({})", parts.join(", ")) };
            (text, GRAPH_ATOM)
        }
        ExprKind::GetItem(inner, index) => (format!("{}.{index}", operand(inner, GRAPH_POSTFIX, depth)), GRAPH_POSTFIX),
        ExprKind::Call(call) => call_text(call, depth),
        ExprKind::If { cond, then_branch, else_branch } => (if_text(cond, then_branch, else_branch, depth), GRAPH_ATOM),
        ExprKind::Loop(l) => (loop_text(l, depth), GRAPH_ATOM),
    }
}

/// A literal is an atom, or a unary expression when it starts with `-`.
fn with_sign_prec(text: String) -> (String, Prec) {
    let prec = if text.starts_with('-') { GRAPH_UNARY } else { GRAPH_ATOM };
    (text, prec)
}

fn call_text(call: &Call, depth: usize) -> (String, Prec) {
    if let Some(text) = operator_text(call, depth) {
        return text;
    }
    let args = || call.args.iter().map(|a| expr_text(a, depth));
    let text = match &call.callee {
        Callee::Op(name) | Callee::Func(name) => {
            format!("{name}({})", join(args().chain(attr_texts(&call.attrs))))
        }
        Callee::Tir(name) => {
            let dims = (!call.tir_dims.is_empty()).then(|| format!("dims = {}", shape_to_string(&call.tir_dims)));
            let tail = dims.into_iter().chain(attr_texts(&call.attrs));
            let head = [name.clone(), format!("[{}]", join(args())), out_sinfo_text(&call.out_sinfo)];
            format!("call_tir({})", join(head.into_iter().chain(tail)))
        }
        Callee::Extern(symbol) => {
            let head = [quote(symbol), format!("[{}]", join(args())), out_sinfo_text(&call.out_sinfo)];
            format!("call_extern({})", join(head.into_iter().chain(attr_texts(&call.attrs))))
        }
    };
    (text, GRAPH_ATOM)
}

fn out_sinfo_text(sinfo: &Option<StructInfo>) -> String {
    sinfo.as_ref().map_or_else(|| "_".to_string(), struct_info_text)
}

/// `a + b`, `a < b` or `-a` for operator calls with that spelling and no attributes.
fn operator_text(call: &Call, depth: usize) -> Option<(String, Prec)> {
    let Callee::Op(name) = &call.callee else { return None };
    if !call.attrs.is_empty() || call.out_sinfo.is_some() || !call.tir_dims.is_empty() {
        return None;
    }
    match call.args.as_slice() {
        [a, b] => {
            let op = graph_infix_by_op(name)?;
            // Left-associative, except comparisons, which do not chain at all.
            let left_min = if op.prec == GRAPH_COMPARE { op.prec + 1 } else { op.prec };
            let text = format!("{} {} {}", operand(a, left_min, depth), op.symbol, operand(b, op.prec + 1, depth));
            Some((text, op.prec))
        }
        [a] if name == GRAPH_NEG => {
            // `-2.0` would read back as a negative literal, not `neg(2.0)`.
            let is_number = matches!(a.kind, ExprKind::Literal(Literal::Int(_) | Literal::Float(_)))
                || matches!(a.kind, ExprKind::TypedLiteral(Literal::Int(_) | Literal::Float(_), _));
            let inner = if is_number { format!("({})", expr_text(a, depth)) } else { operand(a, GRAPH_UNARY, depth) };
            Some((format!("-{inner}"), GRAPH_UNARY))
        }
        _ => None,
    }
}

fn attr_texts(attrs: &Attrs) -> impl Iterator<Item = String> + '_ {
    attrs.0.iter().map(|(name, value)| format!("{name} = {}", attr_value_text(value)))
}

fn attr_value_text(value: &AttrValue) -> String {
    match value {
        AttrValue::Int(v) => v.to_string(),
        AttrValue::Float(v) => format_float(*v),
        AttrValue::Bool(b) => b.to_string(),
        AttrValue::Str(s) => quote(s),
        AttrValue::DType(d) => d.to_string(),
        AttrValue::Dims(dims) => shape_to_string(dims),
    }
}

/// `if c {` .. `} else {` .. `}` across lines, the braces at `depth`;
/// an else branch that is only another `if` prints as `else if`.
fn if_text(cond: &Expr, then_branch: &SeqExpr, else_branch: &SeqExpr, depth: usize) -> String {
    let mut text = format!("if {} {{\n{}", expr_text(cond, depth), seq_text(then_branch, depth + 1));
    text += &indent(depth);
    text += "} else ";
    match (else_branch.blocks.is_empty(), &else_branch.result.kind) {
        (true, ExprKind::If { .. }) => text += &expr_text(&else_branch.result, depth),
        _ => text += &format!("{{\n{}{}}}", seq_text(else_branch, depth + 1), indent(depth)),
    }
    text
}

/// `loop [trips] while c (s: T = init, x: T in xs) {` .. `}`.
fn loop_text(l: &LoopExpr, depth: usize) -> String {
    let param = |(v, e): &(Var, Expr), sep: &str| {
        format!("{}: {} {sep} {}", v.name, struct_info_text(&v.sinfo), expr_text(e, depth))
    };
    let params = l.carried.iter().map(|c| param(c, "=")).chain(l.scans.iter().map(|s| param(s, "in")));
    let condition = l.condition.as_ref().map(|c| format!(" while {c}")).unwrap_or_default();
    let body = seq_text(&l.body, depth + 1);
    let mut text = format!("loop [{}]{condition} ({}) {{\n{body}", l.trips, join(params));
    text += &indent(depth);
    text += "}";
    text
}

fn seq_text(seq: &SeqExpr, depth: usize) -> String {
    let mut w = Writer::new(depth);
    write_seq(&mut w, seq);
    w.finish()
}
