//! Finding the model text of a `relax! { ... }` invocation in a Rust file, so
//! the reference interpreter can run exactly the model the example compiles.
//!
//! The macro hands the compiler its tokens joined by spaces; the text parser
//! ignores whitespace, so the text as written in the file parses the same.

use crate::error::{Error, Result};

const OPENER: &str = "relax!";

/// The text between the braces of the first `relax! { ... }` in `source`.
/// Mentions of `relax!` not followed by `{` (in comments, say) are skipped.
///
/// Braces are matched by counting, so braces inside string literals or
/// comments of the model text would throw it off; the examples have none.
pub fn relax_macro_body(source: &str) -> Result<&str> {
    let body_start = source
        .match_indices(OPENER)
        .find_map(|(at, _)| source[at + OPENER.len()..].trim_start().strip_prefix('{'))
        .map(|body| source.len() - body.len())
        .ok_or_else(|| Error::new(format!("no `{OPENER} {{ ... }}` invocation found")))?;
    let mut depth = 1usize;
    for (offset, c) in source[body_start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => continue,
        }
        if depth == 0 {
            return Ok(&source[body_start..body_start + offset]);
        }
    }
    Err(Error::new(format!("the `{OPENER} {{` block is never closed")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_text_inside_the_matching_brace() {
        let source = "use relax::relax;\nrelax! {\n    mod m { fn f() { a } }\n}\nfn main() { }\n";
        assert_eq!(relax_macro_body(source).unwrap(), "\n    mod m { fn f() { a } }\n");
    }

    #[test]
    fn allows_no_space_before_the_brace() {
        assert_eq!(relax_macro_body("relax!{ x }").unwrap(), " x ");
    }

    #[test]
    fn skips_mentions_that_are_not_invocations() {
        let source = "//! Declared with `relax!`: a CNN.\nrelax! { model }\n";
        assert_eq!(relax_macro_body(source).unwrap(), " model ");
    }

    #[test]
    fn reports_a_missing_or_unclosed_block() {
        assert!(relax_macro_body("fn main() {}").unwrap_err().message().contains("no `relax! { ... }`"));
        assert!(relax_macro_body("relax!(x) {}").unwrap_err().message().contains("no `relax! { ... }`"));
        assert!(relax_macro_body("relax! { mod m { ").unwrap_err().message().contains("never closed"));
    }
}
