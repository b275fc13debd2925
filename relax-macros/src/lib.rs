//! The `relax!` macro: a model written inline in Rust, compiled ahead of time.
//!
//! The macro's tokens are the `.relax` text format. They are joined into text
//! (remembering where each token went), compiled by the same driver `build.rs`
//! uses, and replaced by the generated wrapper module. Compile errors become
//! `compile_error!`s on the offending tokens. The crate's `build.rs` must call
//! `relax_build::configure()` so the macro knows the target and `OUT_DIR`.

mod tokens;

use proc_macro::TokenStream;
use relax_build::{BuildEnv, CompileOptions, Model};
use tokens::{flatten, replace_ident, split_runtime_path, SourceMap};

/// Stands for the runtime path in generated text until it is substituted.
const RUNTIME_PLACEHOLDER: &str = "__relax_runtime_path";

/// Compiles a model to native code and expands to its typed Rust module.
#[proc_macro]
pub fn relax(input: TokenStream) -> TokenStream {
    let input = proc_macro2::TokenStream::from(input);
    let (runtime, body) = split_runtime_path(input);
    match expand(runtime, body) {
        Ok(tokens) => tokens.into(),
        Err(err) => err.to_compile_error().into(),
    }
}

fn expand(
    runtime: Option<proc_macro2::TokenStream>,
    body: proc_macro2::TokenStream,
) -> Result<proc_macro2::TokenStream, syn::Error> {
    let call_site = proc_macro2::Span::call_site();
    let (text, map) = flatten(body);
    let env = BuildEnv::from_macro().map_err(|e| syn::Error::new(call_site, e))?;
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let options = CompileOptions {
        runtime_path: if runtime.is_some() { RUNTIME_PLACEHOLDER.into() } else { "::relax_rt".into() },
        link_attribute: true,
        ..CompileOptions::default()
    };
    let model = Model::from_source("relax!", &text, &manifest_dir).with_options(options);
    let artifacts = model.compile(&env).map_err(|e| to_syn_error(&e, &map))?;
    let wrapper: proc_macro2::TokenStream =
        artifacts.wrapper.parse().map_err(|e| syn::Error::new(call_site, format!("generated wrapper: {e}")))?;
    let wrapper = match &runtime {
        Some(path) => replace_ident(wrapper, RUNTIME_PLACEHOLDER, path),
        None => wrapper,
    };
    let tracked = artifacts.inputs.iter().map(|p| p.display().to_string());
    Ok(quote::quote! {
        #wrapper
        // Makes rustc rebuild when the weights change; never referenced, so not linked.
        #( const _: &[u8] = include_bytes!(#tracked); )*
    })
}

/// Every diagnostic, each on the tokens its span covers.
fn to_syn_error(e: &relax_build::Error, map: &SourceMap) -> syn::Error {
    let mut errors = e.diagnostics.iter().map(|d| map.error(d.span, &d.message));
    let mut first = errors.next().unwrap_or_else(|| syn::Error::new(proc_macro2::Span::call_site(), e.to_string()));
    for other in errors {
        first.combine(other);
    }
    first
}
