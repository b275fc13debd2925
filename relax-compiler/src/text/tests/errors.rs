//! Bad input: each error says what is wrong and points at the offending token
//! (checked as `line:column` of the span's start).

use super::*;

/// `body` as the body of `fn f(x: Tensor<[n], f32>)`, starting on line 3.
fn in_function(body: &str) -> String {
    format!("mod m {{\n    fn f(x: Tensor<[n], f32>) -> Tensor<[n], f32> {{\n{body}\n    }}\n}}\n")
}

fn error_in_body(body: &str) -> String {
    first_error(&in_function(body))
}

#[test]
fn missing_punctuation_names_what_was_expected_and_found() {
    assert_eq!(error_in_body("        let y = relu(x)\n        y"), "4:9: expected `;` after the binding, found `y`");
    assert_eq!(
        error_in_body("        dataflow {\n            let y = relu(x)\n        }\n        y"),
        "5:9: expected `;` after the binding, found `}`"
    );
    assert_eq!(
        error_in_body("        let y = relu(x;\n        y"),
        "3:23: expected `)` or `,` in the argument list, found `;`"
    );
    assert_eq!(error_in_body("        let = x;\n        x"), "3:13: expected a variable name after `let`, found `=`");
    assert_eq!(
        error_in_body("        let if = x;\n        x"),
        "3:13: expected a variable name after `let`, found keyword `if`"
    );
    assert_eq!(
        error_in_body("        let y = x;"),
        "4:5: expected the result expression at the end of the function body, found `}`"
    );
    assert_eq!(
        error_in_body("        x y"),
        "3:11: expected `}` after the result expression of the function body, found `y`"
    );
    assert_eq!(
        first_error("mod m {\n"),
        "2:1: expected an item (`fn`, `prim fn` or `const`) or `}` to close the module, found end of input"
    );
    assert_eq!(first_error(""), "1:1: expected `mod` to start the module (`mod NAME { .. }`), found end of input");
    assert_eq!(first_error("mod m {\n}\nx"), "3:1: expected the end of input after the module, found `x`");
}

#[test]
fn bad_types_and_dtypes() {
    assert_eq!(
        first_error("mod m {\n    fn f(x: Tensor<[n], f128>) {\n        x\n    }\n}"),
        "2:25: unknown dtype `f128`; the dtypes are f32, f64, i32, i64, bool, i8, u8, i16, u16, u32, u64, f16, bf16, f8e4m3fn, f8e4m3fnuz, f8e5m2, f8e5m2fnuz, f8e8m0, u4, i4, f4e2m1, u2, i2"
    );
    assert_eq!(
        first_error("mod m {\n    fn f(x: Tensor<[n, 2.5], f32>) {\n        x\n    }\n}"),
        "2:24: a dimension is a plain integer, found `2.5`"
    );
    assert_eq!(
        first_error("mod m {\n    fn f(x: (Tensor<[n], f32>)) {\n        x\n    }\n}"),
        "2:13: a one-element tuple type needs a trailing comma: `(T,)`"
    );
    assert_eq!(
        first_error("mod m {\n    fn f(x: Tensor<[n], f32) {\n        x\n    }\n}"),
        "2:28: expected `>` to close `Tensor<..>`, found `)`"
    );
    assert_eq!(
        first_error("mod m {\n    fn f(x: Tensr<[n], f32>) {\n        x\n    }\n}"),
        "2:13: expected a type (`Tensor<[..], dtype>`, a tuple `(..)` or `_`), found `Tensr`"
    );
    assert_eq!(
        first_error("mod m {\n    fn f(x) {\n        x\n    }\n}"),
        "2:11: expected `:` and a type after parameter `x`, found `)`"
    );
}

#[test]
fn expression_mistakes() {
    assert_eq!(
        error_in_body("        let y = softmax(x, axis = 1, x);\n        y"),
        "3:38: positional arguments come before named attributes (`f(x, axis = 1)`)"
    );
    assert_eq!(
        error_in_body("        let y = softmax(x, mode = fast);\n        y"),
        "3:35: expected an attribute value (a number, `true`/`false`, a string, a dtype or a list `[..]`), found `fast`"
    );
    assert_eq!(error_in_body("        let y = f(x, a = 1, a = 2);\n        y"), "3:29: attribute `a` is given twice");
    assert_eq!(
        error_in_body("        let y = x < x < x;\n        y"),
        "3:23: comparisons cannot be chained; add parentheses to say which comes first"
    );
    assert_eq!(
        error_in_body("        let y = relu(match_cast(x, Tensor<[n], f32>));\n        y"),
        "3:22: `match_cast` can only be the whole value of a binding: `let y = match_cast(x, T);`"
    );
    assert_eq!(
        error_in_body("        let y = x as f32;\n        y"),
        "3:19: `as` gives an untyped literal its dtype (`2 as f32`); tensors convert with an operator"
    );
    assert_eq!(
        error_in_body("        let y = 2.5i32;\n        y"),
        "3:17: `2.5i32` puts an integer suffix on a float literal; write `2.5 as i32` to give it that dtype"
    );
    assert_eq!(error_in_body("        let y = 300u8;\n        y"), "3:17: 300 does not fit in u8");
    assert_eq!(
        error_in_body("        let y = 1bool;\n        y"),
        "3:17: `bool` is not a literal suffix; write `true` or `false`"
    );
    assert_eq!(error_in_body("        let y = x.a;\n        y"), "3:19: expected a tuple index after `.`, found `a`");
    assert_eq!(
        error_in_body("        let y = if x { x };\n        y"),
        "3:27: expected `else` (an `if` expression needs both branches), found `;`"
    );
    assert_eq!(
        error_in_body("        let y = self.w;\n        y"),
        "3:21: expected `::` after `self` (a constant is written `self::NAME`), found `.`"
    );
    assert_eq!(error_in_body("        let y = ;\n        y"), "3:17: expected an expression, found `;`");
    assert_eq!(error_in_body("        let y = x @ x;\n        y"), "3:19: unexpected character `@`");
}

#[test]
fn special_form_mistakes() {
    assert_eq!(
        error_in_body("        let y = call_tir(nope, [x], Tensor<[n], f32>);\n        y"),
        "3:26: there is no `prim fn nope` in this module"
    );
    assert_eq!(
        error_in_body("        let y = call_extern(sym, [x], Tensor<[n], f32>);\n        y"),
        "3:29: expected the C symbol to call, as a string, found `sym`"
    );
    assert_eq!(
        error_in_body("        let y = call_extern(\"sym\", x, Tensor<[n], f32>);\n        y"),
        "3:36: expected `[` to open the argument list of `call_extern`, found `x`"
    );
}

#[test]
fn variable_rules() {
    assert_eq!(
        error_in_body("        let x = relu(x);\n        x"),
        "3:13: `x` is already bound in `f`; each name is bound once per function"
    );
    assert_eq!(
        error_in_body("        dataflow {\n            let h = relu(x);\n            let y = relu(h);\n            output y;\n        }\n        h"),
        "8:9: `h` is local to its dataflow block; list it in the block's `output` to use it here"
    );
    assert_eq!(
        error_in_body("        dataflow {\n            let h = relu(x);\n            output y;\n        }\n        h"),
        "5:20: `y` is not bound in this dataflow block"
    );
    assert_eq!(
        error_in_body(
            "        dataflow {\n            let h = relu(x);\n            output h, h;\n        }\n        h"
        ),
        "5:23: `h` is listed twice in `output`"
    );
    assert_eq!(
        error_in_body("        let a = b;\n        let b = x;\n        a"),
        "3:17: `b` is used before it is bound"
    );
    assert_eq!(
        error_in_body("        let a = if x { let t = x; t } else { x };\n        t"),
        "4:9: `t` is bound inside an `if` branch and is not visible here"
    );
    assert_eq!(
        error_in_body("        let a = if x { let t = x; t } else { let t = x; t };\n        a"),
        "3:50: `t` is already bound in `f`; each name is bound once per function"
    );
    assert_eq!(
        error_in_body("        output x;\n        x"),
        "3:9: `output` ends a `dataflow` block, not the function body"
    );
}

#[test]
fn every_scope_violation_is_reported_at_once() {
    let src = in_function("        dataflow {\n            let a = relu(x);\n            let b = relu(a);\n            output b;\n        }\n        let c = a + a;\n        c");
    let err = parse_module(&src).unwrap_err();
    let source = Source::new("m.relax", src.as_str());
    let places: Vec<(usize, usize)> = err.diagnostics.iter().map(|d| source.line_col(d.span.start as usize)).collect();
    assert_eq!(places, vec![(8, 17), (8, 21)]);
    let rendered = err.render(&source);
    assert!(rendered.starts_with("m.relax:8:17: error: `a` is local to its dataflow block"), "{rendered}");
    assert!(rendered.contains("\n          let c = a + a;\n                  ^\n"), "{rendered}");
}

#[test]
fn item_mistakes() {
    let twice = "mod m {\n    fn f(x: Tensor<[n], f32>) {\n        x\n    }\n\n    fn f(y: Tensor<[n], f32>) {\n        y\n    }\n}";
    assert_eq!(first_error(twice), "6:8: `f` is defined twice in module `m`");
    let clash =
        "mod m {\n    const f: Tensor<[1], f32> = [1.0];\n\n    fn f(x: Tensor<[n], f32>) {\n        x\n    }\n}";
    assert_eq!(first_error(clash), "4:8: `f` is defined twice in module `m`");
    assert_eq!(
        first_error("mod m {\n    entry forward() {\n    }\n}"),
        "2:5: entries are compiler output and cannot be parsed"
    );
    assert_eq!(
        first_error("mod m {\n    pub fn f(x: Tensor<[n], f32>) {\n        x\n    }\n}"),
        "2:5: items need no `pub`: every `fn` is exported unless marked `#[private]`"
    );
    assert_eq!(
        first_error("mod m {\n    #[inline]\n    fn f(x: Tensor<[n], f32>) {\n        x\n    }\n}"),
        "2:7: unknown attribute `inline`; the attributes are `weights`, `private`, `workspace`, `dims`, `dim_max` and `doc`"
    );
    assert_eq!(
        first_error("mod m {\n    #[weights = \"w\"]\n    fn f(x: Tensor<[n], f32>) {\n        x\n    }\n}"),
        "2:5: `#[weights]` cannot be put on a `fn`; it belongs on the `mod`"
    );
    assert_eq!(
        first_error("#[private]\nmod m {\n}"),
        "1:1: `#[private]` cannot be put on the module; it belongs on a `fn`"
    );
    assert_eq!(first_error("#[private]\n#[private]\nmod m {\n}"), "2:1: `#[private]` is given twice");
    let bound = |attr: &str| {
        first_error(&format!("mod m {{\n    #[{attr}]\n    fn f(x: Tensor<[n], f32>) {{\n        x\n    }}\n}}"))
    };
    assert_eq!(bound("dim_max(n = -1)"), "2:15: the bound of `n` must be a non-negative integer, not `-1`");
    assert_eq!(bound("dim_max(n = m)"), "2:15: the bound of `n` must be a non-negative integer, not `m`");
    assert_eq!(bound("dim_max(n = 4, n = 5)"), "2:22: dim `n` is bounded twice");
    assert_eq!(
        first_error("mod m {\n    #[workspace(lv0 = 0)]\n    fn f(x: Tensor<[n], f32>) {\n        x\n    }\n}"),
        "2:17: expected `bytes` first in `workspace(..)`: the size of the arena, found `lv0`"
    );
}

#[test]
fn constant_mistakes() {
    let constant = |decl: &str| first_error(&format!("mod m {{\n    {decl}\n}}"));
    assert_eq!(
        constant("const c: Tensor<[3], f32> = [1.0, 2.0];"),
        "2:33: `c` has shape [3], which holds 3 values, but 2 are given"
    );
    assert_eq!(
        constant("const c: Tensor<[n], f32> = [1.0];"),
        "2:14: a constant with data needs a constant, non-negative shape, not [n]"
    );
    assert_eq!(
        constant("const c: Tensor<[-1], f32> = [];"),
        "2:14: a constant with data needs a constant, non-negative shape, not [-1]"
    );
    let huge = "const c: Tensor<[4294967296, 4294967296, 4294967296], f32> = [];";
    assert!(constant(huge).starts_with("2:14: a constant with data needs a constant, non-negative shape"));
    assert_eq!(constant("const c: Tensor<[2], i32> = [1, 2.5];"), "2:37: `2.5` cannot be a value of `c`, which is i32");
    assert_eq!(constant("const c: Tensor<[1], u8> = [-1];"), "2:33: -1 does not fit in u8");
    assert_eq!(constant("const c: Tensor<[1], bool> = [1];"), "2:35: `1` cannot be a value of `c`, which is bool");
    assert_eq!(
        constant("const c: Tensor<[1], f32> = [1.0f32];"),
        "2:34: constant values take no suffix; the constant's type gives the dtype"
    );
    assert_eq!(constant("const c: (Tensor<[1], f32>,);"), "2:14: a constant is a tensor: `Tensor<[..], dtype>`");
    assert_eq!(
        constant("const c: Tensor<[1], f32>"),
        "3:1: expected `;` or `= [values]` after the constant's type, found `}`"
    );
}

#[test]
fn lexer_errors_point_into_the_source() {
    assert_eq!(first_error("mod m {\n    /* open\n}"), "2:5: unterminated `/*` comment");
    assert_eq!(first_error("#[weights = \"w]\nmod m {\n}"), "1:13: unterminated string literal");
    assert_eq!(
        first_error("mod m {\n    fn f(x: Tensor<[n], f32>) {\n        2.0f128\n    }\n}"),
        "3:12: unknown literal suffix `f128`; a suffix is a dtype such as `f32` or `i64`"
    );
}

/// Each recursive construct, nested `n` deep around `x`.
fn nested_values(n: usize) -> [String; 4] {
    let deep = |open: &str, close: &str| format!("{}x{}", open.repeat(n), close.repeat(n));
    [deep("(", ")"), deep("-", ""), deep("f(", ")"), deep("if x { ", " } else { x }")]
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for value in nested_values(100_000) {
        let err = error_in_body(&format!("        let y = {value};\n        y"));
        assert!(err.ends_with("nested more than 64 levels deep"), "{err}");
    }
    let tuple_type =
        format!("        let y: {}Tensor<[n], f32>{} = x;\n        y", "(".repeat(100_000), ",)".repeat(100_000));
    assert!(error_in_body(&tuple_type).ends_with("nested more than 64 levels deep"));
    let dim = format!("        let y: Tensor<[{}n{}], f32> = x;\n        y", "(".repeat(100_000), ")".repeat(100_000));
    assert!(error_in_body(&dim).ends_with("nested more than 64 levels deep"));
    let stmts = format!("        {}{}", "{ ".repeat(100_000), "}".repeat(100_000));
    assert!(first_error(&format!("mod m {{\n    prim fn k() -> () {{\n{stmts}\n    }}\n}}"))
        .ends_with("nested more than 64 levels deep"));
}

/// The deepest nesting allowed parses on a test thread's default stack, even
/// in a debug build, where parser frames are largest.
#[test]
fn the_deepest_allowed_nesting_fits_the_stack() {
    for value in nested_values(62) {
        assert!(parse_module(&in_function(&format!("        let y = {value};\n        y"))).is_ok(), "{value}");
    }
}

/// Any prefix of a valid source, and the source with any one token removed,
/// gives a result (usually an error), never a panic.
#[test]
fn truncated_or_damaged_sources_never_panic() {
    let src = include_str!("../../../../models/digits/digits.relax").to_string()
        + "const c: Tensor<[2], f32> = [1.0, -2.0];\nprim fn k(a: Buffer<[n], f32>) -> (b: Buffer<[n], f32>) dims(n) {\n for i in 0..n { b[i] = max(a[i], 0.0f32) as f32; }\n}\n";
    for end in (0..src.len()).filter(|&i| src.is_char_boundary(i)) {
        let _ = parse_module(&src[..end]);
    }
    let tokens = crate::text::lexer::lex(&src).unwrap();
    for t in &tokens {
        let damaged = format!("{}{}", &src[..t.span.start as usize], &src[t.span.end as usize..]);
        let _ = parse_module(&damaged);
    }
}
