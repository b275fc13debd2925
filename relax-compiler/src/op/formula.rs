//! Scalar formulas: an operator's element-wise computation written once, as
//! a function generic over [`ScalarOps`], and read two ways. On
//! [`ScalarValue`]s it is the reference semantics (through
//! `interp::tir::{binary, unary}`, rounding to the dtype after every step, as
//! the loop-level interpreter does); on [`ScalarCode`] it builds the loop-level
//! expression of the legalized kernel. One definition serving both is what
//! keeps the interpreter and generated code in agreement bit for bit, so every
//! family that computes per element (element-wise operators, the finishing
//! step of reductions) writes its arithmetic here rather than twice.
//!
//! The composite formulas below (`sigmoid`, `gelu`, `rsqrt`, ...) are public so
//! operators can build on them.

use crate::interp::tir::{binary, unary};
use crate::ir::{BinOp, PExpr, UnOp};
use crate::ndarray::Scalar;
use relax_rt::DType;
use std::f64::consts::{FRAC_1_SQRT_2, FRAC_2_PI};
use std::ops::{Add, Div, Mul, Neg, Sub};

// ---- the scalar algebra formulas are written in ----

/// Scalar operations with the loop IR's typing: a formula generic over this
/// trait is evaluated on [`ScalarValue`]s and compiled on [`ScalarCode`].
/// Operands of a binary operation share one dtype; comparisons and logic give
/// bool.
pub trait ScalarOps:
    Clone + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    fn dtype(&self) -> DType;
    /// The constant `v` in this operand's dtype.
    fn lit(&self, v: f64) -> Self;
    fn bin(self, op: BinOp, rhs: Self) -> Self;
    fn un(self, op: UnOp) -> Self;
    fn cast(self, dtype: DType) -> Self;
    /// `self ? then : otherwise`, where `self` is bool.
    fn select(self, then: Self, otherwise: Self) -> Self;
}

/// The dtype of `a op b` for operands of `dtype`, as the loop IR types it.
fn bin_result_dtype(op: BinOp, dtype: DType) -> DType {
    if op.is_comparison() || matches!(op, BinOp::And | BinOp::Or) {
        DType::Bool
    } else {
        dtype
    }
}

/// A concrete scalar; every operation rounds its result to its dtype, as the
/// loop-level interpreter does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalarValue {
    pub value: Scalar,
    pub dtype: DType,
}

impl ScalarValue {
    pub fn new(value: Scalar, dtype: DType) -> ScalarValue {
        ScalarValue { value: value.cast(dtype), dtype }
    }
}

impl ScalarOps for ScalarValue {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn lit(&self, v: f64) -> Self {
        ScalarValue::new(Scalar::F(v), self.dtype)
    }
    fn bin(self, op: BinOp, rhs: Self) -> Self {
        ScalarValue::new(binary(op, self.value, rhs.value, self.dtype), bin_result_dtype(op, self.dtype))
    }
    fn un(self, op: UnOp) -> Self {
        ScalarValue::new(unary(op, self.value, self.dtype), self.dtype)
    }
    fn cast(self, dtype: DType) -> Self {
        ScalarValue::new(self.value, dtype)
    }
    fn select(self, then: Self, otherwise: Self) -> Self {
        if self.value.to_bool() {
            then
        } else {
            otherwise
        }
    }
}

/// A loop-level expression and its dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalarCode {
    pub expr: PExpr,
    pub dtype: DType,
}

impl ScalarCode {
    pub fn new(expr: PExpr, dtype: DType) -> ScalarCode {
        ScalarCode { expr, dtype }
    }
}

impl ScalarOps for ScalarCode {
    fn dtype(&self) -> DType {
        self.dtype
    }
    fn lit(&self, v: f64) -> Self {
        ScalarCode::new(PExpr::constant(v, self.dtype), self.dtype)
    }
    fn bin(self, op: BinOp, rhs: Self) -> Self {
        ScalarCode::new(PExpr::bin(op, self.expr, rhs.expr), bin_result_dtype(op, self.dtype))
    }
    fn un(self, op: UnOp) -> Self {
        ScalarCode::new(PExpr::un(op, self.expr), self.dtype)
    }
    fn cast(self, dtype: DType) -> Self {
        ScalarCode::new(PExpr::cast(dtype, self.expr), dtype)
    }
    fn select(self, then: Self, otherwise: Self) -> Self {
        let dtype = then.dtype;
        ScalarCode::new(PExpr::select(self.expr, then.expr, otherwise.expr), dtype)
    }
}

/// `+ - * /` and unary `-` on a [`ScalarOps`] type, so formulas read as math.
macro_rules! arithmetic_operators {
    ($t:ty) => {
        impl Add for $t {
            type Output = $t;
            fn add(self, rhs: $t) -> $t {
                self.bin(BinOp::Add, rhs)
            }
        }
        impl Sub for $t {
            type Output = $t;
            fn sub(self, rhs: $t) -> $t {
                self.bin(BinOp::Sub, rhs)
            }
        }
        impl Mul for $t {
            type Output = $t;
            fn mul(self, rhs: $t) -> $t {
                self.bin(BinOp::Mul, rhs)
            }
        }
        impl Div for $t {
            type Output = $t;
            fn div(self, rhs: $t) -> $t {
                self.bin(BinOp::Div, rhs)
            }
        }
        impl Neg for $t {
            type Output = $t;
            fn neg(self) -> $t {
                self.un(UnOp::Neg)
            }
        }
    };
}

arithmetic_operators!(ScalarValue);
arithmetic_operators!(ScalarCode);

// ---- composite formulas ----

/// `1 / sqrt(x)`.
pub fn rsqrt<S: ScalarOps>(x: S) -> S {
    x.lit(1.0) / x.un(UnOp::Sqrt)
}

/// `1 / (1 + exp(-x))`.
pub fn sigmoid<S: ScalarOps>(x: S) -> S {
    let one = x.lit(1.0);
    one.clone() / (one + (-x).un(UnOp::Exp))
}

/// `max(x, 0)`.
pub fn relu<S: ScalarOps>(x: S) -> S {
    let zero = x.lit(0.0);
    x.bin(BinOp::Max, zero)
}

/// Exact GELU: `x/2 * (1 + erf(x / sqrt 2))`.
pub fn gelu<S: ScalarOps>(x: S) -> S {
    let (half, one, scale) = (x.lit(0.5), x.lit(1.0), x.lit(FRAC_1_SQRT_2));
    half * x.clone() * (one + (x * scale).un(UnOp::Erf))
}

/// GELU's tanh approximation: `x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))`.
pub fn gelu_tanh<S: ScalarOps>(x: S) -> S {
    let (half, one, scale, cubic) = (x.lit(0.5), x.lit(1.0), x.lit(FRAC_2_PI.sqrt()), x.lit(0.044715));
    let cube = x.clone() * x.clone() * x.clone();
    let inner = scale * (x.clone() + cubic * cube);
    half * x * (one + inner.un(UnOp::Tanh))
}

/// `x * x`.
pub fn square<S: ScalarOps>(x: S) -> S {
    x.clone() * x
}

/// -1, 0 or 1 by the sign of `x`; NaN stays NaN and zero keeps its sign.
pub fn sign<S: ScalarOps>(x: S) -> S {
    let (zero, one, minus_one) = (x.lit(0.0), x.lit(1.0), x.lit(-1.0));
    let negative_or_x = x.clone().bin(BinOp::Lt, zero.clone()).select(minus_one, x.clone());
    x.bin(BinOp::Gt, zero).select(one, negative_or_x)
}
