//! Printing native entries (the last pass's output) for dumps. Entries are
//! compiler output, so this text is for reading only; the parser rejects it.
//!
//! ```text
//! entry forward(x: Tensor<[n, 64], f32>) -> (y: Tensor<[n, 10], f32>) {
//!     let n = x.shape[0];
//!     check 1: rank(x) == 2;
//!     check 2: x.shape[1] == 64;
//!     workspace n * 128;
//!     call fused_matmul_relu(x, self::w1, workspace[0]) dims(n);
//!     copy n * 40 bytes from workspace[0] to y;
//! }
//! ```

use super::printer::struct_info_text;
use super::writer::Writer;
use crate::ir::entry::{BufRef, Check, DimSource, EntryFunc, EntryParam, Step};
use crate::ir::StructInfo;

pub(super) fn entry_text(e: &EntryFunc, depth: usize) -> String {
    let mut w = Writer::new(depth);
    let params = |list: &[EntryParam]| list.iter().map(param_text).collect::<Vec<_>>().join(", ");
    w.open(&format!("entry {}({}) -> ({}) {{", e.name, params(&e.inputs), params(&e.outputs)));
    for b in &e.bindings {
        let input = param_name(&e.inputs, b.input, "input");
        match &b.from {
            DimSource::Axis(axis) => w.line(&format!("let {} = {input}.shape[{axis}];", b.var)),
            DimSource::Element(index) => w.line(&format!("let {} = {input}.data[{index}];", b.var)),
            DimSource::Derived(d) => w.line(&format!("let {} = {d};", b.var)),
            DimSource::ScaledElement { index, factor } => {
                w.line(&format!("let {} = floor({input}.data[{index}] * {factor});", b.var))
            }
        }
    }
    for (i, check) in e.checks.iter().enumerate() {
        w.line(&format!("check {}: {};", i + 1, check_text(e, check)));
    }
    w.line(&format!("workspace {};", e.workspace_bytes));
    steps_text(&mut w, e, &e.steps);
    w.close("}");
    w.finish()
}

fn param_text(p: &EntryParam) -> String {
    format!("{}: {}", p.name, param_type(p))
}

fn param_type(p: &EntryParam) -> String {
    struct_info_text(&StructInfo::tensor(p.dtype, p.shape.clone()))
}

/// A parameter's name, or `input3` if the index is out of range (a malformed
/// entry still prints, to help debug it).
fn param_name(list: &[EntryParam], index: usize, kind: &str) -> String {
    list.get(index).map_or_else(|| format!("{kind}{index}"), |p| p.name.clone())
}

fn check_text(e: &EntryFunc, check: &Check) -> String {
    let input = |i: usize| param_name(&e.inputs, i, "input");
    let output = |i: usize| param_name(&e.outputs, i, "output");
    match check {
        Check::Rank { input: i } => {
            let rank = e.inputs.get(*i).map_or_else(|| "?".to_string(), |p| p.shape.len().to_string());
            format!("rank({}) == {rank}", input(*i))
        }
        Check::DType { input: i } => {
            let dtype = e.inputs.get(*i).map_or_else(|| "?".to_string(), |p| p.dtype.to_string());
            format!("dtype({}) == {dtype}", input(*i))
        }
        Check::Dim { input: i, axis, expected } => format!("{}.shape[{axis}] == {expected}", input(*i)),
        Check::Equal { lhs, rhs, context } => format!("{lhs} == {rhs} ({context})"),
        Check::DimMax { var, max } => format!("{var} <= {max}"),
        Check::NonNegative { output: o, axis, expr } => format!("{expr} >= 0 for {}.shape[{axis}]", output(*o)),
        Check::Output { output: o } => match e.outputs.get(*o) {
            Some(p) => format!("{} matches {}", p.name, param_type(p)),
            None => format!("{} matches its declared type", output(*o)),
        },
        Check::Workspace => format!("workspace holds {} bytes", e.workspace_bytes),
    }
}

fn buf_text(e: &EntryFunc, b: &BufRef) -> String {
    match b {
        BufRef::Input(i) => param_name(&e.inputs, *i, "input"),
        BufRef::Output(i) => param_name(&e.outputs, *i, "output"),
        BufRef::Workspace(offset) => format!("workspace[{offset}]"),
        BufRef::Constant(name) => format!("self::{name}"),
        BufRef::Offset(base, by) => format!("{}[+{by}]", buf_text(e, base)),
    }
}

/// Steps one per line; an `if` opens a block per branch.
fn steps_text(w: &mut Writer, e: &EntryFunc, steps: &[Step]) {
    for step in steps {
        match step {
            Step::If { cond, then_steps, else_steps } => {
                w.open(&format!("if {} {{", buf_text(e, cond)));
                steps_text(w, e, then_steps);
                w.close("}");
                w.open("else {");
                steps_text(w, e, else_steps);
                w.close("}");
            }
            Step::Loop { var, trips, cond, body } => {
                let cond = cond.as_ref().map(|c| format!(" while {}", buf_text(e, c))).unwrap_or_default();
                w.open(&format!("for {var} in 0..{trips}{cond} {{"));
                steps_text(w, e, body);
                w.close("}");
            }
            _ => w.line(&step_text(e, step)),
        }
    }
}

fn step_text(e: &EntryFunc, step: &Step) -> String {
    let buf = |b: &BufRef| buf_text(e, b);
    match step {
        Step::Call { func, args, dims } => {
            let args = args.iter().map(buf).collect::<Vec<_>>().join(", ");
            let dims = if dims.is_empty() {
                String::new()
            } else {
                format!(" dims({})", dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", "))
            };
            format!("call {func}({args}){dims};")
        }
        Step::Copy { src, dst, bytes } => format!("copy {bytes} bytes from {} to {};", buf(src), buf(dst)),
        Step::If { .. } | Step::Loop { .. } => unreachable!("steps_text prints nested steps"),
    }
}
