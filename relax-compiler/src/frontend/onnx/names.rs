//! ONNX names (`/layer1/conv/Conv_output_0`, `input.1`, `onnx::MatMul_42`)
//! turned into identifiers, since parameters become arguments of a generated
//! Rust function and every name appears in the text format.
//!
//! Sanitizing replaces each character outside `[A-Za-z0-9_]` with `_`,
//! prefixes a leading digit with `_` and suffixes keywords (Rust's and the
//! text format's) with `_`. Two ONNX names may sanitize alike, so a [`Namer`]
//! hands out each identifier once, numbering later claimants (`x_1`, `x_2`)
//! in the order they ask: the result depends only on the model.

use std::collections::{HashMap, HashSet};

/// Words that cannot be identifiers: Rust's keywords (strict and reserved)
/// and the text format's (`call_tir`, `match_cast`, `inf`, `nan`).
const RESERVED: &[&str] = &[
    "Self",
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "call_extern",
    "call_tir",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "inf",
    "let",
    "loop",
    "macro",
    "match",
    "match_cast",
    "mod",
    "move",
    "mut",
    "nan",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

/// `name` as an identifier (not yet unique).
pub fn sanitize(name: &str) -> String {
    let mut out: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.chars().all(|c| c == '_') {
        out.insert(0, 'v');
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RESERVED.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

/// Hands out unique identifiers within one namespace.
#[derive(Debug, Default)]
pub struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// A fresh identifier for `raw`: its sanitized form, numbered if taken.
    pub fn fresh(&mut self, raw: &str) -> String {
        let base = sanitize(raw);
        let name = if self.taken.contains(&base) {
            (1..).map(|k| format!("{base}_{k}")).find(|n| !self.taken.contains(n)).expect("a free suffix")
        } else {
            base
        };
        self.taken.insert(name.clone());
        name
    }
}

/// Identifiers for names that may be asked for repeatedly (a `dim_param`
/// shared by several inputs): the same name always gets the same identifier,
/// different names always different ones.
#[derive(Debug, Default)]
pub struct StableNamer {
    namer: Namer,
    assigned: HashMap<String, String>,
}

impl StableNamer {
    pub fn get(&mut self, raw: &str) -> String {
        if let Some(name) = self.assigned.get(raw) {
            return name.clone();
        }
        let name = self.namer.fresh(raw);
        self.assigned.insert(raw.to_string(), name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_to_identifiers() {
        assert_eq!(sanitize("/layer1/conv/Conv_output_0"), "_layer1_conv_Conv_output_0");
        assert_eq!(sanitize("input.1"), "input_1");
        assert_eq!(sanitize("onnx::MatMul_42"), "onnx__MatMul_42");
        assert_eq!(sanitize("0"), "_0");
        assert_eq!(sanitize("type"), "type_");
        assert_eq!(sanitize("match_cast"), "match_cast_");
        assert_eq!(sanitize(""), "v");
        assert_eq!(sanitize("::"), "v__");
        assert_eq!(sanitize("größe"), "gr__e");
    }

    #[test]
    fn numbers_collisions_in_request_order() {
        let mut namer = Namer::default();
        assert_eq!(namer.fresh("a.b"), "a_b");
        assert_eq!(namer.fresh("a_b"), "a_b_1");
        assert_eq!(namer.fresh("a_b_1"), "a_b_1_1");
        assert_eq!(namer.fresh("a:b"), "a_b_2");
    }

    #[test]
    fn stable_names_repeat_for_the_same_input() {
        let mut names = StableNamer::default();
        assert_eq!(names.get("batch size"), "batch_size");
        assert_eq!(names.get("batch_size"), "batch_size_1");
        assert_eq!(names.get("batch size"), "batch_size");
    }
}
