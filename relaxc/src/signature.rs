//! The `relax_rt::invoke::Signature` of a compiled entry, built at run time
//! from its `EntryFunc`: the same table `relax-build/src/wrapper.rs` writes into
//! generated Rust source, so a failed check reads the same here as in a crate.
//!
//! `Signature` holds `&'static` data (generated wrappers keep it in statics),
//! so what is built here is leaked: a few hundred bytes per compiled entry,
//! which a command-line process can afford (the conformance run compiles
//! about two thousand entries). An owned variant in `relax-rt` would avoid it.

use relax_compiler::ir::dim::shape_to_string;
use relax_compiler::ir::entry::{Check, EntryFunc, EntryParam};
use relax_rt::invoke::{self, DimBinding, ParamSig, Signature};
use relax_rt::weights::{WeightSig, WeightsSig};

/// The signature of `entry` of module `module`, named `module::entry` in messages.
pub fn signature(module: &str, entry: &EntryFunc) -> &'static Signature {
    leak(Signature {
        name: leak_str(format!("{module}::{}", entry.name)),
        inputs: leak_slice(entry.inputs.iter().map(param).collect()),
        outputs: leak_slice(entry.outputs.iter().map(param).collect()),
        bindings: leak_slice(entry.bindings.iter().map(binding).collect()),
        checks: leak_slice(entry.checks.iter().map(check).collect()),
    })
}

fn param(p: &EntryParam) -> ParamSig {
    ParamSig {
        name: leak_str(p.name.clone()),
        dtype: p.dtype,
        shape: leak_str(shape_to_string(&p.shape)),
        rank: p.shape.len(),
    }
}

fn binding(b: &relax_compiler::ir::entry::DimBinding) -> DimBinding {
    use relax_compiler::ir::entry::DimSource as From;
    let from = match b.from {
        From::Axis(axis) => invoke::DimSource::Axis(axis),
        From::Element(index) => invoke::DimSource::Element(index),
        From::Derived(_) => invoke::DimSource::Derived,
        From::ScaledElement { index, .. } => invoke::DimSource::ScaledElement(index),
    };
    DimBinding { var: leak_str(b.var.clone()), input: b.input, from }
}

fn check(c: &Check) -> invoke::Check {
    match c {
        Check::Rank { input } => invoke::Check::Rank { input: *input },
        Check::DType { input } => invoke::Check::DType { input: *input },
        Check::Dim { input, axis, expected } => {
            invoke::Check::Dim { input: *input, axis: *axis, expected: leak_str(expected.to_string()) }
        }
        Check::Equal { lhs, rhs, context } => invoke::Check::Equal {
            context: leak_str(context.clone()),
            lhs: leak_str(lhs.to_string()),
            rhs: leak_str(rhs.to_string()),
        },
        Check::NonNegative { output, axis, expr } => {
            invoke::Check::NonNegative { output: *output, axis: *axis, expr: leak_str(expr.to_string()) }
        }
        Check::DimMax { var, max } => invoke::Check::DimMax { var: leak_str(var.clone()), max: *max },
        Check::Output { output } => invoke::Check::Output { output: *output },
        Check::Workspace => invoke::Check::Workspace,
    }
}

/// The constant table of a module compiled with separate weights, as
/// `relax-build/src/wrapper.rs` writes it into generated source.
pub fn weights_signature(module: &relax_compiler::IRModule) -> &'static WeightsSig {
    let tensors = relax_compiler::ir::entry::constant_table(&module.entries)
        .into_iter()
        .map(|name| {
            let c = &module.constants[&name];
            WeightSig { name: leak_str(name.clone()), dtype: c.dtype(), shape: leak_slice(c.shape().to_vec()) }
        })
        .collect();
    leak(WeightsSig { module: leak_str(module.name.clone()), tensors: leak_slice(tensors) })
}

fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

fn leak_str(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn leak_slice<T>(items: Vec<T>) -> &'static [T] {
    Box::leak(items.into_boxed_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use relax_compiler::ir::Dim;
    use relax_rt::DType;

    #[test]
    fn mirrors_the_entry_parameters_and_checks_in_order() {
        let entry = EntryFunc {
            name: "forward".into(),
            inputs: vec![EntryParam { name: "x".into(), dtype: DType::F32, shape: vec![Dim::var("n"), Dim::Int(64)] }],
            outputs: vec![EntryParam { name: "y".into(), dtype: DType::F32, shape: vec![Dim::var("n")] }],
            bindings: vec![relax_compiler::ir::entry::DimBinding::axis("n", 0, 0)],
            checks: vec![
                Check::Rank { input: 0 },
                Check::Dim { input: 0, axis: 1, expected: Dim::Int(64) },
                Check::Workspace,
            ],
            workspace_bytes: Dim::Int(0),
            steps: vec![],
        };
        let sig = signature("digits", &entry);
        assert_eq!(sig.name, "digits::forward");
        assert_eq!((sig.inputs[0].name, sig.inputs[0].shape, sig.inputs[0].rank), ("x", "[n, 64]", 2));
        assert_eq!((sig.outputs[0].name, sig.outputs[0].shape), ("y", "[n]"));
        assert_eq!(sig.bindings[0].var, "n");
        assert!(matches!(sig.checks[1], invoke::Check::Dim { input: 0, axis: 1, expected: "64" }));
        assert!(matches!(sig.checks[2], invoke::Check::Workspace));
    }
}
