//! The text format: what users write (in a `.relax` file or inside `relax!`),
//! and what every pass dump prints. [`parse_module`] reads it,
//! [`print_module`] writes it; printing then parsing gives back an equal
//! module, and a canonically formatted source prints back unchanged.
//!
//! ```text
//! #[weights = "weights/mlp.safetensors"]
//! mod mlp {
//!     fn forward(x: Tensor<[n, 64], f32>) -> Tensor<[n, 10], f32> {
//!         dataflow {
//!             let h = relu(matmul(x, w1) + b1);
//!             let y = softmax(matmul(h, w2) + b2, axis = -1);
//!             output y;
//!         }
//!         y
//!     }
//! }
//! ```
//!
//! # The language
//!
//! **Module.** `#[weights = "path"]` (optional), then `mod NAME { items }`.
//! Items: `fn` (a graph function, exported unless marked `#[private]`;
//! `#[workspace(bytes = DIM, var = DIM, ..)]` records its memory plan),
//! `prim fn` (a loop-level function, see `parse_tir`), and `const`:
//! `const c: Tensor<[3], f32> = [1.0, 2.0, 3.0];` holds data (flat, row-major),
//! `const w1: Tensor<[64, 32], f32>;` declares a weight the weights file
//! supplies ([`parse_module_with_decls`] returns those declarations).
//! `#[doc = ".."]` (what `///` becomes inside a macro) is accepted anywhere.
//!
//! **Types.** `Tensor<[d0, d1, ..], dtype>`, tuples `(A, B)`, `(A,)`, `()`,
//! and `_` for "not known yet". Dtypes: `f32 f64 i32 i64 bool i8 u8`. Dims are
//! integers, names (symbolic), `+ - * / %` (floor division and modulo),
//! `min(a, b)`, `max(a, b)` and parentheses.
//!
//! **Bodies.** Blocks, then the result expression. `dataflow { .. output a,
//! b; }` is a dataflow block: pure, and only its outputs are visible after it.
//! Consecutive `let`s outside form a plain block. Bindings: `let x = e;`,
//! `let x: T = e;`, `let x = match_cast(e, T);`.
//!
//! **Expressions**, loosest first: comparisons `== != < <= > >=` (not
//! chained), `+ -`, `* /`, `LITERAL as DTYPE`, unary `-`, `x.0`, and atoms:
//! names, literals (`2.0`, `3`, `true`, `inf`, `nan`; suffixed `2.0f32`,
//! `3i64`), `f(args, attr = value)`, `self::CONST`, `(e)`, tuples, `if c { .. }
//! else { .. }`, `call_tir(prim_fn, [args], OUT, dims = [..])` and
//! `call_extern("symbol", [args], OUT)`. Infix operators call `equal`,
//! `not_equal`, `less`, `less_equal`, `greater`, `greater_equal`, `add`,
//! `sub`, `mul`, `div`; unary `-` calls `neg`, except directly before a number,
//! where it is part of a negative literal. A call names a graph function of
//! the module if there is one, an operator otherwise. Attribute values are
//! numbers, `true`/`false`, strings, dtypes, and lists of dims `[n, 4]`.
//!
//! **Tokens** are Rust's, and whitespace and comments (`//`, `/* */`) only
//! separate them, so the `relax!` macro can hand over its tokens joined by
//! spaces. All error spans are byte offsets into the text parsed.

mod lexer;
mod literal;
mod operators;
mod parse_const;
mod parse_expr;
mod parse_function;
mod parse_module;
mod parse_pexpr;
mod parse_tir;
mod parse_types;
mod parser;
mod print_entry;
mod print_tir;
mod printer;
mod scope_check;
mod writer;

#[cfg(test)]
mod tests;

pub use print_tir::print_prim_func;
pub use printer::{print_function, print_module, print_module_elided};

use crate::error::{Result, Span};
use crate::ir::{IRModule, StructInfo};
use parser::Parser;

/// Parses a module. Weights declared without data are dropped; use
/// [`parse_module_with_decls`] to check them against a weights file.
pub fn parse_module(text: &str) -> Result<IRModule> {
    parse_module_with_decls(text).map(|(module, _)| module)
}

/// A constant declared without data, `const w1: Tensor<[64, 32], f32>;`: its
/// name, declared type, and the span of the whole declaration (what a
/// mismatch with the weights file points at).
pub type Declaration = (String, StructInfo, Span);

/// Parses a module and also returns the constants it declares without data.
pub fn parse_module_with_decls(text: &str) -> Result<(IRModule, Vec<Declaration>)> {
    Parser::new(text)?.parse_source()
}
