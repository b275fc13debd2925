//! Collects the bindings of one function body (or `If` branch) and assembles
//! them into blocks: runs of pure bindings become dataflow blocks, and a
//! binding with control flow gets a plain block of its own, as the IR keeps
//! control flow out of dataflow blocks.

use crate::error::Span;
use crate::ir::{Binding, Block, Expr, ExprKind, SeqExpr, StructInfo, Var};
use std::collections::HashSet;

#[derive(Default)]
pub struct Emitter {
    bindings: Vec<Binding>,
}

impl Emitter {
    /// `let name = value;`, returning the variable. Its struct info is left
    /// to `normalize`, which infers it.
    pub fn bind(&mut self, name: String, value: Expr) -> Expr {
        let var = Var::new(name.clone(), StructInfo::Unknown);
        self.bindings.push(Binding { var, value, cast: None, span: Span::NONE });
        Expr::var(&name)
    }

    /// `let name = match_cast(value, sinfo);`: a run-time check that the
    /// value has the shape `sinfo` states.
    pub fn bind_cast(&mut self, name: String, value: Expr, sinfo: StructInfo) -> Expr {
        let var = Var::new(name.clone(), StructInfo::Unknown);
        self.bindings.push(Binding { var, value, cast: Some(sinfo), span: Span::NONE });
        Expr::var(&name)
    }

    /// Whether `name` is bound here (rather than a parameter or outer value).
    pub fn binds(&self, name: &str) -> bool {
        self.bindings.iter().any(|b| b.var.name == name)
    }

    /// The body: the bindings in blocks, then `result`.
    pub fn finish(self, result: Expr) -> SeqExpr {
        let runs = split_runs(self.bindings);
        let mut blocks: Vec<Block> = Vec::with_capacity(runs.len());
        for (k, run) in runs.iter().enumerate() {
            let dataflow = !has_control_flow(&run[0]);
            let outputs = if dataflow { used_later(run, &runs[k + 1..], &result) } else { vec![] };
            blocks.push(Block { dataflow, bindings: run.clone(), outputs, span: Span::NONE });
        }
        SeqExpr { blocks, result: Box::new(result) }
    }
}

fn has_control_flow(b: &Binding) -> bool {
    matches!(b.value.kind, ExprKind::If { .. } | ExprKind::Loop(_))
}

/// Consecutive pure bindings together, each control-flow binding alone.
fn split_runs(bindings: Vec<Binding>) -> Vec<Vec<Binding>> {
    let mut runs: Vec<Vec<Binding>> = Vec::new();
    for b in bindings {
        let joins_last = !has_control_flow(&b) && runs.last().is_some_and(|run| !has_control_flow(&run[0]));
        match runs.last_mut() {
            Some(run) if joins_last => run.push(b),
            _ => runs.push(vec![b]),
        }
    }
    runs
}

/// The variables `run` binds that later blocks or the result read: a
/// dataflow block's outputs, in binding order.
fn used_later(run: &[Binding], later: &[Vec<Binding>], result: &Expr) -> Vec<String> {
    let mut reads = Vec::new();
    later.iter().flatten().for_each(|b| b.value.used_vars(&mut reads));
    result.used_vars(&mut reads);
    let reads: HashSet<String> = reads.into_iter().collect();
    run.iter().map(|b| &b.var.name).filter(|name| reads.contains(*name)).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::Attrs;

    fn if_on(cond: &str, then_var: &str) -> Expr {
        let branch = |v: &str| Box::new(SeqExpr { blocks: vec![], result: Box::new(Expr::var(v)) });
        Expr::new(
            ExprKind::If { cond: Box::new(Expr::var(cond)), then_branch: branch(then_var), else_branch: branch("x") },
            Span::NONE,
        )
    }

    #[test]
    fn control_flow_splits_dataflow_blocks_and_outputs_what_is_read_later() {
        let mut e = Emitter::default();
        e.bind("a".into(), Expr::op("exp", vec![Expr::var("x")], Attrs::new()));
        e.bind("unused".into(), Expr::op("neg", vec![Expr::var("a")], Attrs::new()));
        e.bind("c".into(), Expr::op("less", vec![Expr::var("a"), Expr::var("x")], Attrs::new()));
        e.bind("b".into(), if_on("c", "a"));
        e.bind("d".into(), Expr::op("abs", vec![Expr::var("b")], Attrs::new()));
        let seq = e.finish(Expr::var("d"));
        let shape: Vec<(bool, usize, Vec<String>)> =
            seq.blocks.iter().map(|b| (b.dataflow, b.bindings.len(), b.outputs.clone())).collect();
        assert_eq!(
            shape,
            [(true, 3, vec!["a".to_string(), "c".to_string()]), (false, 1, vec![]), (true, 1, vec!["d".to_string()])]
        );
    }
}
