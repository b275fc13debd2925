//! Binary and unary operations on f32/f64 values, per the reference semantics
//! (`relax_compiler::interp::tir::{binary, unary}`): IEEE arithmetic; min/max
//! propagate NaN; floor division and floor modulo are computed in f64 like
//! the reference (so f32 results round once, identically); floor modulo is
//! `fmod` corrected toward the divisor's sign; `%` is C `fmod`;
//! `&&`/`||` treat non-zero (and NaN) as true; `!x` is `x == 0` as 0.0 or 1.0.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::math::{self, FloatKind, Fp, MathFn};
use inkwell::builder::Builder;
use inkwell::values::{BasicValueEnum, FloatValue};
use inkwell::FloatPredicate;
use relax_compiler::ir::{BinOp, UnOp};

pub(crate) fn binary<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    op: BinOp,
    x: FloatValue<'ctx>,
    y: FloatValue<'ctx>,
) -> Result<BasicValueEnum<'ctx>> {
    let compare = |pred| -> Result<BasicValueEnum<'ctx>> { Ok(b.build_float_compare(pred, x, y, "")?.into()) };
    Ok(match op {
        BinOp::Add => b.build_float_add(x, y, "")?.into(),
        BinOp::Sub => b.build_float_sub(x, y, "")?.into(),
        BinOp::Mul => b.build_float_mul(x, y, "")?.into(),
        BinOp::Div => b.build_float_div(x, y, "")?.into(),
        BinOp::FloorDiv => in_f64(cg, b, x, y, |fp, x, y| fp.floor(fp.div(x, y)?))?.into(),
        BinOp::FloorMod => in_f64(cg, b, x, y, floor_mod)?.into(),
        BinOp::Rem => math::fmod(cg, b, x, y)?.into(),
        BinOp::Min => Fp::new(cg, b, math::kind_of(cg, x)?).minimum(x, y)?.into(),
        BinOp::Max => Fp::new(cg, b, math::kind_of(cg, x)?).maximum(x, y)?.into(),
        BinOp::Pow => math::pow(cg, b, x, y)?.into(),
        BinOp::Eq => compare(FloatPredicate::OEQ)?,
        BinOp::Ne => compare(FloatPredicate::UNE)?,
        BinOp::Lt => compare(FloatPredicate::OLT)?,
        BinOp::Le => compare(FloatPredicate::OLE)?,
        BinOp::Gt => compare(FloatPredicate::OGT)?,
        BinOp::Ge => compare(FloatPredicate::OGE)?,
        BinOp::And | BinOp::Or => {
            let zero = x.get_type().const_zero();
            let xt = b.build_float_compare(FloatPredicate::UNE, x, zero, "")?;
            let yt = b.build_float_compare(FloatPredicate::UNE, y, zero, "")?;
            if op == BinOp::And {
                b.build_and(xt, yt, "")?.into()
            } else {
                b.build_or(xt, yt, "")?.into()
            }
        }
        BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr => {
            return Err(CodegenError::new(format!("`{}` is not defined on floats", op.name())))
        }
    })
}

pub(crate) fn unary<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    op: UnOp,
    x: FloatValue<'ctx>,
) -> Result<FloatValue<'ctx>> {
    let fp = Fp::new(cg, b, math::kind_of(cg, x)?);
    match op {
        UnOp::Neg => fp.neg(x),
        UnOp::Not => {
            let is_zero = fp.eq(x, fp.c(0.0))?;
            Ok(b.build_unsigned_int_to_float(is_zero, x.get_type(), "")?)
        }
        UnOp::Abs => fp.abs(x),
        UnOp::Sqrt => fp.sqrt(x),
        UnOp::Floor => fp.floor(x),
        UnOp::Ceil => fp.ceil(x),
        UnOp::Round => fp.round_even(x),
        UnOp::Exp => math::call(cg, b, MathFn::Exp, x),
        UnOp::Log => math::call(cg, b, MathFn::Log, x),
        UnOp::Tanh => math::call(cg, b, MathFn::Tanh, x),
        UnOp::Erf => math::call(cg, b, MathFn::Erf, x),
        UnOp::Sin => math::call(cg, b, MathFn::Sin, x),
        UnOp::Cos => math::call(cg, b, MathFn::Cos, x),
        UnOp::Asin => math::call(cg, b, MathFn::Asin, x),
        UnOp::Acos => math::call(cg, b, MathFn::Acos, x),
        UnOp::Atan => math::call(cg, b, MathFn::Atan, x),
        UnOp::Sinh => math::call(cg, b, MathFn::Sinh, x),
        UnOp::Cosh => math::call(cg, b, MathFn::Cosh, x),
        UnOp::Asinh => math::call(cg, b, MathFn::Asinh, x),
        UnOp::Acosh => math::call(cg, b, MathFn::Acosh, x),
        UnOp::Atanh => math::call(cg, b, MathFn::Atanh, x),
    }
}

/// `f(x, y)` evaluated in f64 and rounded back to the operands' format.
/// Floor modulo as `fmod` corrected toward the divisor's sign: exact, and
/// right for infinite divisors (`-3 mod inf = inf`, `3 mod inf = 3`).
fn floor_mod<'ctx>(fp: &Fp<'_, 'ctx>, x: FloatValue<'ctx>, y: FloatValue<'ctx>) -> Result<FloatValue<'ctx>> {
    let r = math::fmod(fp.cg, fp.b, x, y)?;
    let zero = fp.c(0.0);
    let nonzero = fp.cmp(FloatPredicate::ONE, r, zero)?;
    let signs_differ = fp.b.build_xor(fp.lt(r, zero)?, fp.lt(y, zero)?, "")?;
    let adjust = fp.b.build_and(nonzero, signs_differ, "")?;
    fp.select(adjust, fp.add(r, y)?, r)
}

fn in_f64<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    y: FloatValue<'ctx>,
    f: impl FnOnce(&Fp<'_, 'ctx>, FloatValue<'ctx>, FloatValue<'ctx>) -> Result<FloatValue<'ctx>>,
) -> Result<FloatValue<'ctx>> {
    let narrow = math::kind_of(cg, x)? == FloatKind::F32;
    let f64t = cg.context.f64_type();
    let (x, y) = if narrow { (b.build_float_ext(x, f64t, "")?, b.build_float_ext(y, f64t, "")?) } else { (x, y) };
    let result = f(&Fp::new(cg, b, FloatKind::F64), x, y)?;
    Ok(if narrow { b.build_float_trunc(result, cg.context.f32_type(), "")? } else { result })
}
