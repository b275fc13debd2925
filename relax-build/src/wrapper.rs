//! Generates the typed Rust wrapper: a module with one safe function per
//! exported model function, plus `_into` (caller-provided outputs and
//! workspace, no allocation) and `_dyn` (dtypes checked at run time) variants.
//! All marshalling goes through `relax_rt::invoke`, so the generated code is
//! declarations and one call per function.

use relax_compiler::ir::dim::shape_to_string;
use relax_compiler::ir::entry::{constant_table, Check, DimSource, EntryFunc, EntryParam};
use relax_compiler::IRModule;
use relax_rt::DType;
use std::fmt::Write;
use std::path::Path;

/// The Rust element type of a dtype: the text-format names are Rust's, but
/// for the narrow floats and the 4- and 2-bit integers: the 16-bit floats are
/// `half`'s types, the others the runtime's one-byte wrappers.
fn rust_type(d: DType) -> &'static str {
    match d {
        DType::F16 => "rt::f16",
        DType::BF16 => "rt::bf16",
        DType::F8E4M3FN => "rt::F8E4M3FN",
        DType::F8E4M3FNUZ => "rt::F8E4M3FNUZ",
        DType::F8E5M2 => "rt::F8E5M2",
        DType::F8E5M2FNUZ => "rt::F8E5M2FNUZ",
        DType::F8E8M0 => "rt::F8E8M0",
        DType::U4 => "rt::U4",
        DType::I4 => "rt::I4",
        DType::F4E2M1 => "rt::F4E2M1",
        DType::U2 => "rt::U2",
        DType::I2 => "rt::I2",
        _ => d.name(),
    }
}

/// The `relax_rt::DType` variant, as written in generated code.
fn dtype_variant(d: DType) -> String {
    format!("{d:?}")
}

/// The whole wrapper module. `link` names the static library for a
/// `#[link]` attribute (used by the macro). `weights_file` is where the build
/// wrote the constants of a model compiled with separate weights: then the
/// module also has a `Weights` type, and every function takes one.
pub fn generate(
    module: &IRModule,
    symbol_prefix: &str,
    rt: &str,
    link: Option<&str>,
    target: &str,
    weights_file: Option<&Path>,
) -> String {
    let mut out = String::new();
    let m = &module.name;
    let _ = writeln!(out, "/// The `{m}` model, compiled ahead of time by relax-rs for `{target}`.");
    let _ = writeln!(out, "#[allow(dead_code, clippy::all)]\npub mod {m} {{");
    let _ = writeln!(out, "    use {rt} as rt;");
    if let Some(lib) = link {
        let _ = writeln!(out, "    #[link(name = \"{lib}\", kind = \"static\")]");
    }
    out.push_str("    extern \"C\" {\n");
    for e in &module.entries {
        let sym = format!("{symbol_prefix}_{}", e.name);
        let _ = writeln!(
            out,
            "        fn {sym}_prepare(inputs: *const rt::abi::RelaxTensor, outputs: *mut rt::abi::RelaxTensor, workspace_bytes: *mut u64) -> i32;"
        );
        let constants = if weights_file.is_some() { ", constants: *const *const u8" } else { "" };
        let _ = writeln!(
            out,
            "        fn {sym}(inputs: *const rt::abi::RelaxTensor, outputs: *const rt::abi::RelaxTensor, workspace: *mut u8, workspace_bytes: u64{constants}) -> i32;"
        );
    }
    out.push_str("    }\n");
    if let Some(file) = weights_file {
        out += &weights_items(module, file);
    }
    for e in &module.entries {
        out += &entry_functions(m, e, &format!("{symbol_prefix}_{}", e.name), weights_file.is_some());
    }
    out.push_str("}\n");
    out
}

fn params_sig(params: &[EntryParam]) -> String {
    let items: Vec<String> = params
        .iter()
        .map(|p| {
            format!(
                "rt::invoke::ParamSig {{ name: {:?}, dtype: rt::DType::{}, shape: {:?}, rank: {} }}",
                p.name,
                dtype_variant(p.dtype),
                shape_to_string(&p.shape),
                p.shape.len()
            )
        })
        .collect();
    format!("&[{}]", items.join(", "))
}

fn checks_sig(e: &EntryFunc) -> String {
    let items: Vec<String> = e
        .checks
        .iter()
        .map(|c| match c {
            Check::Rank { input } => format!("rt::invoke::Check::Rank {{ input: {input} }}"),
            Check::DType { input } => format!("rt::invoke::Check::DType {{ input: {input} }}"),
            Check::Dim { input, axis, expected } => {
                format!(
                    "rt::invoke::Check::Dim {{ input: {input}, axis: {axis}, expected: {:?} }}",
                    expected.to_string()
                )
            }
            Check::NonNegative { output, axis, expr } => {
                format!(
                    "rt::invoke::Check::NonNegative {{ output: {output}, axis: {axis}, expr: {:?} }}",
                    expr.to_string()
                )
            }
            Check::Equal { lhs, rhs, context } => format!(
                "rt::invoke::Check::Equal {{ context: {context:?}, lhs: {:?}, rhs: {:?} }}",
                lhs.to_string(),
                rhs.to_string()
            ),
            Check::DimMax { var, max } => format!("rt::invoke::Check::DimMax {{ var: {var:?}, max: {max} }}"),
            Check::Output { output } => format!("rt::invoke::Check::Output {{ output: {output} }}"),
            Check::Workspace => "rt::invoke::Check::Workspace".to_string(),
        })
        .collect();
    format!("&[{}]", items.join(", "))
}

fn signature_static(module: &str, e: &EntryFunc) -> String {
    let bindings: Vec<String> = e
        .bindings
        .iter()
        .map(|b| {
            let from = match b.from {
                DimSource::Axis(axis) => format!("Axis({axis})"),
                DimSource::Element(index) => format!("Element({index})"),
                DimSource::Derived(_) => "Derived".to_string(),
                DimSource::ScaledElement { index, .. } => format!("ScaledElement({index})"),
            };
            format!(
                "rt::invoke::DimBinding {{ var: {:?}, input: {}, from: rt::invoke::DimSource::{from} }}",
                b.var, b.input
            )
        })
        .collect();
    format!(
        "    pub static {}_SIGNATURE: rt::invoke::Signature = rt::invoke::Signature {{\n        name: \"{module}::{}\",\n        inputs: {},\n        outputs: {},\n        bindings: &[{}],\n        checks: {},\n    }};\n",
        e.name.to_uppercase(),
        e.name,
        params_sig(&e.inputs),
        params_sig(&e.outputs),
        bindings.join(", "),
        checks_sig(e)
    )
}

fn describe(params: &[EntryParam]) -> String {
    let items: Vec<String> =
        params.iter().map(|p| format!("{}: Tensor<{}, {}>", p.name, shape_to_string(&p.shape), p.dtype)).collect();
    items.join(", ")
}

fn entry_functions(module: &str, e: &EntryFunc, sym: &str, separate_weights: bool) -> String {
    let mut out = signature_static(module, e);
    out += &bound_items(e);
    let sig = format!("{}_SIGNATURE", e.name.to_uppercase());
    let f = &e.name;
    let doc = format!("`{f}({}) -> ({})`", describe(&e.inputs), describe(&e.outputs));
    // With separate weights: the first argument, and how `invoke` gets them.
    let w = weights_arg(e);
    let (weights_param, invoke, invoke_into, weights_args) = if separate_weights {
        (format!("{w}: &Weights, "), "invoke_with_weights", "invoke_into_with_weights", format!("&CONSTANTS, &{w}.0, "))
    } else {
        (String::new(), "invoke", "invoke_into", String::new())
    };
    let args: Vec<String> =
        e.inputs.iter().map(|p| format!("{}: &rt::Tensor<{}>", p.name, rust_type(p.dtype))).collect();
    let arg_refs: Vec<String> =
        e.inputs.iter().map(|p| format!("rt::invoke::ArgRef::from_view({}.view())", p.name)).collect();
    let out_types: Vec<String> = e.outputs.iter().map(|p| format!("rt::Tensor<{}>", rust_type(p.dtype))).collect();
    let (ret, ret_expr) = if e.outputs.len() == 1 {
        (out_types[0].clone(), "outs.remove(0).to_tensor()?".to_string())
    } else {
        let items: Vec<&str> = e.outputs.iter().map(|_| "it.next().unwrap().to_tensor()?").collect();
        (format!("({})", out_types.join(", ")), format!("{{ let mut it = outs.into_iter(); ({}) }}", items.join(", ")))
    };
    let _ = write!(
        out,
        r#"    /// {doc}
    ///
    /// Checks every input's rank, dtype and shape and returns an error naming the
    /// parameter on a mismatch.
    pub fn {f}({weights_param}{args}) -> Result<{ret}, rt::Error> {{
        let mut workspace = rt::Workspace::new();
        #[allow(unused_mut)]
        let mut outs = rt::invoke::{invoke}(&{sig}, {weights_args}&[{arg_refs}], {sym}_prepare, {sym}, &mut workspace)?;
        Ok({ret_expr})
    }}

    /// Like [`{f}`], writing into caller-provided outputs and reusing `workspace`
    /// (no allocation once the workspace is large enough).
    pub fn {f}_into({weights_param}{into_args}, workspace: &mut rt::Workspace) -> Result<(), rt::Error> {{
        rt::invoke::{invoke_into}(&{sig}, {weights_args}&[{view_refs}], &mut [{out_refs}], {sym}_prepare, {sym}, workspace)
    }}

    /// Like [`{f}`] for tensors whose dtypes are known only at run time.
    pub fn {f}_dyn({weights_param}inputs: &[&rt::DynTensor]) -> Result<rt::invoke::Vec<rt::DynTensor>, rt::Error> {{
        let args: rt::invoke::Vec<rt::invoke::ArgRef<'_>> = inputs.iter().map(|t| rt::invoke::ArgRef::from_dyn(t)).collect();
        rt::invoke::{invoke}(&{sig}, {weights_args}&args, {sym}_prepare, {sym}, &mut rt::Workspace::new())
    }}
"#,
        args = args.join(", "),
        arg_refs = arg_refs.join(", "),
        into_args = e
            .inputs
            .iter()
            .map(|p| format!("{}: rt::TensorView<'_, {}>", p.name, rust_type(p.dtype)))
            .chain(e.outputs.iter().enumerate().map(|(k, p)| format!(
                "{}: &mut rt::TensorViewMut<'_, {}>",
                output_arg(e, k),
                rust_type(p.dtype)
            )))
            .collect::<Vec<_>>()
            .join(", "),
        view_refs = e
            .inputs
            .iter()
            .map(|p| format!("rt::invoke::ArgRef::from_view({})", p.name))
            .collect::<Vec<_>>()
            .join(", "),
        out_refs = (0..e.outputs.len())
            .map(|k| format!("rt::invoke::ArgMut::from_view({})", output_arg(e, k)))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out
}

/// What `dim_max` gives the caller: each bound as a constant, and when the
/// workspace size has a maximum, that maximum (allocate once, call many times).
fn bound_items(e: &EntryFunc) -> String {
    let (f, upper) = (&e.name, e.name.to_uppercase());
    let mut out = String::new();
    for (var, max) in e.dim_bounds() {
        let _ =
            writeln!(out, "    /// The largest `{var}` [`{f}`] accepts (its `dim_max`); larger inputs are an error.");
        let _ = writeln!(out, "    pub const {upper}_MAX_{}: usize = {max};", var.to_uppercase());
    }
    if let Some(bytes) = e.max_workspace_bytes() {
        let _ = writeln!(
            out,
            "    /// A workspace size enough for every call of [`{f}`] that its checks accept:\n    \
             /// `rt::Workspace::with_capacity({f}_max_workspace_bytes())` once, then [`{f}_into`] never allocates."
        );
        let _ = writeln!(out, "    pub const fn {f}_max_workspace_bytes() -> usize {{\n        {bytes}\n    }}");
    }
    out
}

/// The name of the weights argument: `weights`, unless an input has it.
fn weights_arg(e: &EntryFunc) -> &'static str {
    if e.inputs.iter().any(|p| p.name == "weights") {
        "model_weights"
    } else {
        "weights"
    }
}

/// The items of a model compiled with separate weights: the constant table
/// the native code expects (`CONSTANTS`), where the build wrote the file, and
/// a `Weights` type that can only hold weights checked against that table.
fn weights_items(module: &IRModule, file: &Path) -> String {
    let tensors: Vec<String> = constant_table(&module.entries)
        .iter()
        .map(|name| {
            let c = &module.constants[name];
            format!(
                "rt::weights::WeightSig {{ name: {name:?}, dtype: rt::DType::{}, shape: &{:?} }}",
                dtype_variant(c.dtype()),
                c.shape()
            )
        })
        .collect();
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(
        r#"    /// The constants the compiled code reads, in the order of the pointer
    /// table its run functions take.
    pub static CONSTANTS: rt::weights::WeightsSig = rt::weights::WeightsSig {{ module: {module:?}, tensors: &[{tensors}] }};

    /// The name of the weights file (safetensors) the build wrote beside the
    /// archive. Ship it with the program and read it with [`Weights::load`]; a
    /// build script's crate finds it at `env!("RELAX_{upper}_WEIGHTS")`.
    pub const WEIGHTS_FILE_NAME: &str = {file_name:?};

    /// The `{module}` model's weights, loaded at run time: every tensor the
    /// compiled code reads, checked for name, dtype and shape.
    pub struct Weights(rt::Weights);

    impl Weights {{
        /// Reads a weights file (see [`WEIGHTS_FILE_NAME`]); the error names
        /// any tensor that is missing or has the wrong dtype or shape.
        pub fn load(path: impl AsRef<::std::path::Path>) -> Result<Weights, rt::Error> {{
            rt::Weights::load(&CONSTANTS, path.as_ref()).map(Weights)
        }}

        /// Reads a weights file's bytes (for example from `include_bytes!`).
        pub fn from_bytes(bytes: &[u8]) -> Result<Weights, rt::Error> {{
            rt::Weights::from_bytes(&CONSTANTS, bytes).map(Weights)
        }}
    }}

"#,
        module = module.name,
        tensors = tensors.join(", "),
        upper = module.name.to_uppercase(),
    )
}

/// The `_into` argument for output `k`: the output's own name when it is a
/// plain identifier that no input or other output uses, else `out{k}`.
fn output_arg(e: &EntryFunc, k: usize) -> String {
    let name = &e.outputs[k].name;
    let is_ident = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let taken = e.inputs.iter().any(|p| &p.name == name)
        || e.outputs.iter().enumerate().any(|(j, p)| j != k && &p.name == name)
        || matches!(name.as_str(), "workspace" | "self" | "type" | "fn" | "mod" | "let" | "match" | "ref" | "move");
    if is_ident && !taken {
        name.clone()
    } else {
        format!("out{k}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_types_are_rust_types_the_runtime_provides() {
        assert_eq!(rust_type(DType::U16), "u16");
        assert_eq!(rust_type(DType::F16), "rt::f16");
        assert_eq!(rust_type(DType::BF16), "rt::bf16");
        assert_eq!(rust_type(DType::F8E5M2FNUZ), "rt::F8E5M2FNUZ");
        assert_eq!(dtype_variant(DType::BF16), "BF16");
    }
}
