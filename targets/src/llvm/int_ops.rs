//! Binary and unary operations on integers, per the reference semantics:
//! arithmetic wraps; division and remainder by zero give 0 and never trap (the
//! divisor is replaced by 1 before dividing, branch-free); `MIN / -1` wraps to
//! `MIN`; unsigned dtypes (and bool) use unsigned division, comparison, min,
//! max and right shift;
//! `&&`/`||` test the bitwise result, giving a bool (`(a & b) != 0`), while
//! `bitand`/`bitor`/`bitxor` keep the dtype; shifts are total (see [`shift`]).
//! Arithmetic on bools is done on their 0/1 value as u8, then tested against zero.

use crate::error::Result;
use crate::llvm::cast::{cast, is_signed_int, Typed};
use crate::llvm::codegen::Codegen;
use crate::llvm::{float_ops, math};
use inkwell::builder::Builder;
use inkwell::values::{BasicValueEnum, IntValue};
use inkwell::IntPredicate;
use relax_compiler::ir::{BinOp, UnOp};
use relax_rt::DType;

pub(crate) fn binary<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    op: BinOp,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
    dtype: DType,
) -> Result<BasicValueEnum<'ctx>> {
    if dtype == DType::Bool {
        return bool_binary(cg, b, op, x, y);
    }
    let signed = is_signed_int(dtype);
    let compare = |pred| -> Result<BasicValueEnum<'ctx>> { Ok(b.build_int_compare(pred, x, y, "")?.into()) };
    Ok(match op {
        BinOp::Add => b.build_int_add(x, y, "")?.into(),
        BinOp::Sub => b.build_int_sub(x, y, "")?.into(),
        BinOp::Mul => b.build_int_mul(x, y, "")?.into(),
        BinOp::Div => Division::new(b, x, y, signed)?.quotient()?.into(),
        BinOp::Rem => Division::new(b, x, y, signed)?.remainder()?.into(),
        BinOp::FloorDiv => Division::new(b, x, y, signed)?.floor_quotient()?.into(),
        BinOp::FloorMod => Division::new(b, x, y, signed)?.floor_remainder()?.into(),
        BinOp::Min => cg.call_intrinsic(b, pick(signed, "llvm.smin", "llvm.umin"), &[x.into(), y.into()])?,
        BinOp::Max => cg.call_intrinsic(b, pick(signed, "llvm.smax", "llvm.umax"), &[x.into(), y.into()])?,
        BinOp::Pow => power(cg, b, x, y, dtype)?.into(),
        BinOp::Eq => compare(IntPredicate::EQ)?,
        BinOp::Ne => compare(IntPredicate::NE)?,
        BinOp::Lt => compare(pick(signed, IntPredicate::SLT, IntPredicate::ULT))?,
        BinOp::Le => compare(pick(signed, IntPredicate::SLE, IntPredicate::ULE))?,
        BinOp::Gt => compare(pick(signed, IntPredicate::SGT, IntPredicate::UGT))?,
        BinOp::Ge => compare(pick(signed, IntPredicate::SGE, IntPredicate::UGE))?,
        BinOp::And | BinOp::Or => {
            let bits = if op == BinOp::And { b.build_and(x, y, "")? } else { b.build_or(x, y, "")? };
            b.build_int_compare(IntPredicate::NE, bits, bits.get_type().const_zero(), "")?.into()
        }
        BinOp::BitAnd => b.build_and(x, y, "")?.into(),
        BinOp::BitOr => b.build_or(x, y, "")?.into(),
        BinOp::BitXor => b.build_xor(x, y, "")?.into(),
        BinOp::Shl | BinOp::Shr => shift(b, op == BinOp::Shl, x, y, signed)?.into(),
    })
}

/// A shift that is total: an amount outside `0..width` (compared unsigned, so
/// negative amounts are out too) shifts every bit out, giving 0 or, for a
/// signed right shift, the sign fill. The amount is replaced by 0 before
/// shifting so LLVM never sees an oversized (poison) shift.
fn shift<'ctx>(
    b: &Builder<'ctx>,
    left: bool,
    x: IntValue<'ctx>,
    amount: IntValue<'ctx>,
    signed: bool,
) -> Result<IntValue<'ctx>> {
    let ty = x.get_type();
    let width = ty.const_int(u64::from(ty.get_bit_width()), false);
    let in_range = b.build_int_compare(IntPredicate::ULT, amount, width, "")?;
    let safe = b.build_select(in_range, amount, ty.const_zero(), "")?.into_int_value();
    let (shifted, fill) = if left {
        (b.build_left_shift(x, safe, "")?, ty.const_zero())
    } else if signed {
        let top = ty.const_int(u64::from(ty.get_bit_width() - 1), false);
        (b.build_right_shift(x, safe, true, "")?, b.build_right_shift(x, top, true, "")?)
    } else {
        (b.build_right_shift(x, safe, false, "")?, ty.const_zero())
    };
    Ok(b.build_select(in_range, shifted, fill, "")?.into_int_value())
}

/// The signed or the unsigned variant of an operation.
fn pick<T>(signed: bool, s: T, u: T) -> T {
    if signed {
        s
    } else {
        u
    }
}

/// Comparisons and logic act on the `i1`s directly; arithmetic on their 0/1
/// value as u8, the result tested against zero (so `true + true` is true).
fn bool_binary<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    op: BinOp,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
) -> Result<BasicValueEnum<'ctx>> {
    if op.is_comparison() || matches!(op, BinOp::And | BinOp::Or) {
        return binary(cg, b, op, x, y, DType::U8);
    }
    if matches!(op, BinOp::Shl | BinOp::Shr) {
        return Err(crate::error::CodegenError::new(format!("`{}` is not defined on bool", op.name())));
    }
    let widen = |v| cast(cg, b, Typed::new(v, DType::Bool), DType::U8).map(|w| w.into_int_value());
    let result = binary(cg, b, op, widen(x)?, widen(y)?, DType::U8)?;
    Ok(crate::llvm::cast::to_bool(b, Typed::new(result, DType::U8))?.into())
}

pub(crate) fn unary<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    op: UnOp,
    x: IntValue<'ctx>,
    dtype: DType,
) -> Result<BasicValueEnum<'ctx>> {
    if dtype == DType::Bool {
        return Ok(if op == UnOp::Not { b.build_not(x, "")?.into() } else { x.into() });
    }
    Ok(match op {
        UnOp::Neg => b.build_int_neg(x, "")?.into(),
        UnOp::Not => b.build_not(x, "")?.into(),
        UnOp::Abs if is_signed_int(dtype) => {
            let negative = b.build_int_compare(IntPredicate::SLT, x, x.get_type().const_zero(), "")?;
            b.build_select(negative, b.build_int_neg(x, "")?, x, "")?
        }
        UnOp::Abs | UnOp::Floor | UnOp::Ceil | UnOp::Round => x.into(),
        // Transcendentals go through f64 and convert back like a cast.
        UnOp::Exp
        | UnOp::Log
        | UnOp::Sqrt
        | UnOp::Tanh
        | UnOp::Erf
        | UnOp::Sin
        | UnOp::Cos
        | UnOp::Asin
        | UnOp::Acos
        | UnOp::Atan
        | UnOp::Sinh
        | UnOp::Cosh
        | UnOp::Asinh
        | UnOp::Acosh
        | UnOp::Atanh => {
            let wide = cast(cg, b, Typed::new(x, dtype), DType::F64)?.into_float_value();
            let result = float_ops::unary(cg, b, op, wide)?;
            cast(cg, b, Typed::new(result, DType::F64), dtype)?
        }
    })
}

/// Wrapping power: both operands widened to 64 bits by their signedness, so a
/// u8 exponent of 200 stays positive, and an unsigned exponent is never
/// negative (a u64 one of 2^63 included).
fn power<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
    dtype: DType,
) -> Result<IntValue<'ctx>> {
    let wide = if is_signed_int(dtype) { DType::I64 } else { DType::U64 };
    let widen = |v| cast(cg, b, Typed::new(v, dtype), wide).map(|w| w.into_int_value());
    let result = math::int_pow(cg, b, widen(x)?, widen(y)?, is_signed_int(dtype))?;
    Ok(b.build_int_truncate_or_bit_cast(result, x.get_type(), "")?)
}

/// One integer division, made total: dividing by 0 yields 0, and by -1 (signed)
/// negates, so neither the trap nor the `MIN / -1` overflow can happen.
struct Division<'a, 'ctx> {
    b: &'a Builder<'ctx>,
    x: IntValue<'ctx>,
    y: IntValue<'ctx>,
    signed: bool,
    /// `y`, or 1 where `y` is 0 (or -1, when signed).
    safe_divisor: IntValue<'ctx>,
    by_zero: IntValue<'ctx>,
    by_minus_one: Option<IntValue<'ctx>>,
}

impl<'a, 'ctx> Division<'a, 'ctx> {
    fn new(b: &'a Builder<'ctx>, x: IntValue<'ctx>, y: IntValue<'ctx>, signed: bool) -> Result<Self> {
        let ty = y.get_type();
        let by_zero = b.build_int_compare(IntPredicate::EQ, y, ty.const_zero(), "")?;
        let (replace, by_minus_one) = if signed {
            let m1 = b.build_int_compare(IntPredicate::EQ, y, ty.const_all_ones(), "")?;
            (b.build_or(by_zero, m1, "")?, Some(m1))
        } else {
            (by_zero, None)
        };
        let safe_divisor = b.build_select(replace, ty.const_int(1, false), y, "")?.into_int_value();
        Ok(Division { b, x, y, signed, safe_divisor, by_zero, by_minus_one })
    }

    /// Truncating quotient.
    fn quotient(&self) -> Result<IntValue<'ctx>> {
        let b = self.b;
        let mut q = if self.signed {
            b.build_int_signed_div(self.x, self.safe_divisor, "")?
        } else {
            b.build_int_unsigned_div(self.x, self.safe_divisor, "")?
        };
        if let Some(m1) = self.by_minus_one {
            q = b.build_select(m1, b.build_int_neg(self.x, "")?, q, "")?.into_int_value();
        }
        Ok(b.build_select(self.by_zero, self.x.get_type().const_zero(), q, "")?.into_int_value())
    }

    /// Remainder with the dividend's sign; dividing by the substituted 1 already
    /// gives the 0 wanted for divisors 0 and -1.
    fn remainder(&self) -> Result<IntValue<'ctx>> {
        Ok(if self.signed {
            self.b.build_int_signed_rem(self.x, self.safe_divisor, "")?
        } else {
            self.b.build_int_unsigned_rem(self.x, self.safe_divisor, "")?
        })
    }

    /// Whether the truncating remainder is non-zero with a sign differing from
    /// the divisor's: then floor results differ from truncating ones by one step.
    fn needs_floor_adjustment(&self, r: IntValue<'ctx>) -> Result<IntValue<'ctx>> {
        let b = self.b;
        let zero = r.get_type().const_zero();
        let nonzero = b.build_int_compare(IntPredicate::NE, r, zero, "")?;
        let r_negative = b.build_int_compare(IntPredicate::SLT, r, zero, "")?;
        let y_negative = b.build_int_compare(IntPredicate::SLT, self.y, zero, "")?;
        let signs_differ = b.build_xor(r_negative, y_negative, "")?;
        Ok(b.build_and(nonzero, signs_differ, "")?)
    }

    fn floor_quotient(&self) -> Result<IntValue<'ctx>> {
        let q = self.quotient()?;
        if !self.signed {
            return Ok(q);
        }
        let adjust = self.needs_floor_adjustment(self.remainder()?)?;
        let q_minus_one = self.b.build_int_sub(q, q.get_type().const_int(1, false), "")?;
        Ok(self.b.build_select(adjust, q_minus_one, q, "")?.into_int_value())
    }

    fn floor_remainder(&self) -> Result<IntValue<'ctx>> {
        let r = self.remainder()?;
        if !self.signed {
            return Ok(r);
        }
        let adjust = self.needs_floor_adjustment(r)?;
        Ok(self.b.build_select(adjust, self.b.build_int_add(r, self.y, "")?, r, "")?.into_int_value())
    }
}
