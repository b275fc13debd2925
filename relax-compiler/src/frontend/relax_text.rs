//! The `.relax` frontend: parse the text, bind the weights file named by
//! `#[weights = "..."]` (relative to `base_dir`), and check declared constants
//! (`const w1: Tensor<[64, 32], f32>;`) against it.

use super::weights::load_safetensors;
use crate::error::{Error, Result, Span};
use crate::ir::{Equality, IRModule, StructInfo};
use crate::pass::normalize::compare;
use crate::text::parse_module_with_decls;
use std::path::Path;

/// Parses `text` and loads its weights. `base_dir` resolves relative paths.
pub fn load(text: &str, base_dir: &Path) -> Result<IRModule> {
    let (mut module, decls) = parse_module_with_decls(text)?;
    if let Some(rel) = &module.weights_path {
        let path = base_dir.join(rel);
        let weights = load_safetensors(&path).map_err(|e| Error::new(weights_attr_span(text), e))?;
        for (name, value) in weights {
            module.constants.entry(name).or_insert(value);
        }
    }
    check_declarations(&module, &decls)?;
    Ok(module)
}

/// Points errors about the weights file at the `#[weights = ...]` attribute.
fn weights_attr_span(text: &str) -> Span {
    match text.find("weights") {
        Some(start) => Span::new(start, start + "weights".len()),
        None => Span::NONE,
    }
}

fn check_declarations(module: &IRModule, decls: &[(String, StructInfo, Span)]) -> Result<()> {
    let mut errors = Vec::new();
    for (name, sinfo, span) in decls {
        let Some(value) = module.constants.get(name) else {
            errors.push(Error::new(
                *span,
                format!("constant `{name}` is declared but the weights file has no such tensor"),
            ));
            continue;
        };
        let actual = StructInfo::tensor(value.dtype(), value.shape().iter().map(|&d| d.into()).collect());
        if compare(&actual, sinfo) != Equality::Proven {
            errors.push(Error::new(
                *span,
                format!("constant `{name}` is declared {sinfo} but the weights file has {actual}"),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::many(errors))
    }
}
