//! The IR: graph level ([`expr`]), loop level ([`tir`]), executor ([`entry`]),
//! and what they share (symbolic [`dim`]s, [`struct_info`], [`attrs`]).

pub mod attrs;
pub mod dim;
pub mod entry;
pub mod expr;
pub mod module;
pub mod struct_info;
pub mod tir;

pub mod dim_logic;
pub mod dim_range;
pub use attrs::{AttrValue, Attrs};
pub use dim::{Dim, Equality};
pub use expr::{
    Binding, Block, Call, Callee, Expr, ExprKind, Function, Literal, LoopExpr, MemoryPlan, SeqExpr, ValueDims, Var,
};
pub use module::IRModule;
pub use struct_info::{StructInfo, TensorInfo};
pub use tir::{BinOp, Buffer, LoopKind, PExpr, PrimFunc, Stmt, UnOp};

/// Formats a float so it reads back exactly and always looks like a float (`1.0`, `1e-5`).
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') || s.contains("inf") {
        s
    } else {
        format!("{s}.0")
    }
}
