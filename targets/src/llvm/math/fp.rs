//! A compact emitter for scalar floating-point IR in one format (f32 or f64),
//! so the math routines read like the formulas they implement. Every value is
//! scalar; the loop vectorizer widens the inlined code.

use super::poly::Polynomial;
use super::rounding;
use crate::error::Result;
use crate::llvm::codegen::Codegen;
use inkwell::builder::Builder;
use inkwell::types::{FloatType, IntType};
use inkwell::values::{FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};

/// An IEEE binary format and the constants of its encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FloatKind {
    F32,
    F64,
}

impl FloatKind {
    /// Explicitly stored significand bits.
    pub fn mantissa_bits(self) -> u32 {
        match self {
            FloatKind::F32 => 23,
            FloatKind::F64 => 52,
        }
    }

    pub fn exponent_bias(self) -> i64 {
        match self {
            FloatKind::F32 => 127,
            FloatKind::F64 => 1023,
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            FloatKind::F32 => 32,
            FloatKind::F64 => 64,
        }
    }

    /// Suffix of helper names (`relax.exp.f32`).
    pub fn suffix(self) -> &'static str {
        match self {
            FloatKind::F32 => "f32",
            FloatKind::F64 => "f64",
        }
    }

    /// `1.5 * 2^mantissa_bits`: adding it rounds any |v| < 2^(mantissa_bits-1)
    /// to an integer, which then sits in the low bits of the sum's encoding.
    pub fn round_magic(self) -> f64 {
        1.5 * 2f64.powi(self.mantissa_bits() as i32)
    }
}

pub(crate) type F<'ctx> = FloatValue<'ctx>;
pub(crate) type I<'ctx> = IntValue<'ctx>;

pub(crate) struct Fp<'a, 'ctx> {
    pub cg: &'a Codegen<'ctx>,
    pub b: &'a Builder<'ctx>,
    pub kind: FloatKind,
}

impl<'a, 'ctx> Fp<'a, 'ctx> {
    pub fn new(cg: &'a Codegen<'ctx>, b: &'a Builder<'ctx>, kind: FloatKind) -> Self {
        Fp { cg, b, kind }
    }

    pub fn ty(&self) -> FloatType<'ctx> {
        match self.kind {
            FloatKind::F32 => self.cg.context.f32_type(),
            FloatKind::F64 => self.cg.context.f64_type(),
        }
    }

    /// The integer type of the same width (for bit manipulation).
    pub fn int_ty(&self) -> IntType<'ctx> {
        match self.kind {
            FloatKind::F32 => self.cg.context.i32_type(),
            FloatKind::F64 => self.cg.context.i64_type(),
        }
    }

    /// A constant, rounded to the format.
    pub fn c(&self, v: f64) -> F<'ctx> {
        self.ty().const_float(v)
    }

    /// An integer constant of the format's width.
    pub fn ci(&self, v: i64) -> I<'ctx> {
        self.int_ty().const_int(v as u64, true)
    }

    pub fn add(&self, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_float_add(a, b, "")?)
    }
    pub fn sub(&self, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_float_sub(a, b, "")?)
    }
    pub fn mul(&self, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_float_mul(a, b, "")?)
    }
    pub fn div(&self, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_float_div(a, b, "")?)
    }
    pub fn neg(&self, a: F<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_float_neg(a, "")?)
    }

    /// `a * b + c`, fused where the target has a fast FMA (`llvm.fmuladd`
    /// never becomes a libm call).
    pub fn mul_add(&self, a: F<'ctx>, b: F<'ctx>, c: F<'ctx>) -> Result<F<'ctx>> {
        self.intrinsic("llvm.fmuladd", &[a, b, c])
    }

    pub fn abs(&self, a: F<'ctx>) -> Result<F<'ctx>> {
        self.intrinsic("llvm.fabs", &[a])
    }

    pub fn sqrt(&self, a: F<'ctx>) -> Result<F<'ctx>> {
        self.intrinsic("llvm.sqrt", &[a])
    }

    /// The magnitude of `mag` with the sign of `sign`.
    pub fn copysign(&self, mag: F<'ctx>, sign: F<'ctx>) -> Result<F<'ctx>> {
        self.intrinsic("llvm.copysign", &[mag, sign])
    }

    /// Min/max that propagate NaN and order -0 below +0.
    pub fn minimum(&self, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        self.intrinsic("llvm.minimum", &[a, b])
    }
    pub fn maximum(&self, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        self.intrinsic("llvm.maximum", &[a, b])
    }

    pub fn floor(&self, a: F<'ctx>) -> Result<F<'ctx>> {
        rounding::floor(self, a)
    }
    pub fn ceil(&self, a: F<'ctx>) -> Result<F<'ctx>> {
        rounding::ceil(self, a)
    }
    pub fn round_even(&self, a: F<'ctx>) -> Result<F<'ctx>> {
        rounding::round_even(self, a)
    }

    fn intrinsic(&self, name: &str, args: &[F<'ctx>]) -> Result<F<'ctx>> {
        let args: Vec<_> = args.iter().map(|&a| a.into()).collect();
        Ok(self.cg.call_intrinsic(self.b, name, &args)?.into_float_value())
    }

    pub fn cmp(&self, pred: FloatPredicate, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_float_compare(pred, a, b, "")?)
    }
    /// Ordered comparisons: false when either side is NaN.
    pub fn lt(&self, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        self.cmp(FloatPredicate::OLT, a, b)
    }
    pub fn le(&self, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        self.cmp(FloatPredicate::OLE, a, b)
    }
    pub fn gt(&self, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        self.cmp(FloatPredicate::OGT, a, b)
    }
    pub fn ge(&self, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        self.cmp(FloatPredicate::OGE, a, b)
    }
    pub fn eq(&self, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        self.cmp(FloatPredicate::OEQ, a, b)
    }
    pub fn ne(&self, a: F<'ctx>, b: F<'ctx>) -> Result<I<'ctx>> {
        self.cmp(FloatPredicate::UNE, a, b)
    }

    /// `cond ? a : b`.
    pub fn select(&self, cond: I<'ctx>, a: F<'ctx>, b: F<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_select(cond, a, b, "")?.into_float_value())
    }
    pub fn select_int(&self, cond: I<'ctx>, a: I<'ctx>, b: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_select(cond, a, b, "")?.into_int_value())
    }

    /// The encoding of `a` as an integer of the same width.
    pub fn bits(&self, a: F<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_bit_cast(a, self.int_ty(), "")?.into_int_value())
    }
    pub fn bits_to_float(&self, i: I<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_bit_cast(i, self.ty(), "")?.into_float_value())
    }

    pub fn iadd(&self, a: I<'ctx>, b: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_int_add(a, b, "")?)
    }
    pub fn isub(&self, a: I<'ctx>, b: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_int_sub(a, b, "")?)
    }
    pub fn and(&self, a: I<'ctx>, b: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_and(a, b, "")?)
    }
    pub fn or(&self, a: I<'ctx>, b: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_or(a, b, "")?)
    }
    pub fn not(&self, a: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_not(a, "")?)
    }
    pub fn shl(&self, a: I<'ctx>, by: u32) -> Result<I<'ctx>> {
        Ok(self.b.build_left_shift(a, self.ci(by as i64), "")?)
    }
    /// Arithmetic (sign-preserving) right shift.
    pub fn ashr(&self, a: I<'ctx>, by: u32) -> Result<I<'ctx>> {
        Ok(self.b.build_right_shift(a, self.ci(by as i64), true, "")?)
    }
    pub fn icmp(&self, pred: IntPredicate, a: I<'ctx>, b: I<'ctx>) -> Result<I<'ctx>> {
        Ok(self.b.build_int_compare(pred, a, b, "")?)
    }

    /// Signed integer to float.
    pub fn int_to_float(&self, i: I<'ctx>) -> Result<F<'ctx>> {
        Ok(self.b.build_signed_int_to_float(i, self.ty(), "")?)
    }

    /// `2^n` for an integer `n` of the format's width in the normal exponent
    /// range, built directly from its encoding.
    pub fn pow2(&self, n: I<'ctx>) -> Result<F<'ctx>> {
        let biased = self.iadd(n, self.ci(self.kind.exponent_bias()))?;
        self.bits_to_float(self.shl(biased, self.kind.mantissa_bits())?)
    }

    /// `p(v)` by Horner's rule.
    pub fn poly(&self, p: &Polynomial, v: F<'ctx>) -> Result<F<'ctx>> {
        let s = if p.is_unscaled() { v } else { self.mul_add(v, self.c(1.0 / p.scale), self.c(-p.center / p.scale))? };
        let Some((last, rest)) = p.coefficients.split_last() else {
            return Ok(self.c(0.0));
        };
        let mut acc = self.c(*last);
        for &c in rest.iter().rev() {
            acc = self.mul_add(acc, s, self.c(c))?;
        }
        Ok(acc)
    }
}
