//! Float remainder with the sign of the dividend (C `fmod`), exact.
//!
//! `frem` would become a libm call, so the remainder is computed on the
//! integer significands by binary long division: one shift-and-subtract per
//! unit of exponent difference. The true remainder is always representable,
//! so the result is exact, subnormals included.
//! fmod(x, 0), fmod(+-inf, y) and NaN operands give NaN; |x| < |y| gives x.

use super::fp::{Fp, F, I};
use crate::error::Result;
use inkwell::basic_block::BasicBlock;
use inkwell::values::FunctionValue;
use inkwell::IntPredicate::{EQ, SGE, SGT, UGE, UGT, ULT};

/// Emits the body of the fmod helper `f(x, y)`.
pub(super) fn emit_fmod<'ctx>(fp: &Fp<'_, 'ctx>, f: FunctionValue<'ctx>, x: F<'ctx>, y: F<'ctx>) -> Result<()> {
    let ctx = fp.cg.context;
    let b = fp.b;
    let block = |name: &str| ctx.append_basic_block(f, name);
    let (nan_block, small_block, zero_block, divide_block) =
        (block("nan"), block("small"), block("zero"), block("divide"));
    let (loop_block, step_block, next_block, finish_block, done_block) =
        (block("loop"), block("step"), block("next"), block("finish"), block("done"));

    let sign_bit = 1u64 << (fp.kind.bits() - 1);
    let sign_mask = fp.ci(sign_bit as i64);
    let exponent_mask = fp.ci(((sign_bit - 1) & !((1u64 << fp.kind.mantissa_bits()) - 1)) as i64);
    let bits_x = fp.bits(x)?;
    let sign = fp.and(bits_x, sign_mask)?;
    let ax = fp.and(bits_x, fp.not(sign_mask)?)?;
    let ay = fp.and(fp.bits(y)?, fp.not(sign_mask)?)?;

    // Invalid: y = 0, x not finite, y NaN.
    let invalid =
        fp.or(fp.icmp(EQ, ay, fp.ci(0))?, fp.or(fp.icmp(UGE, ax, exponent_mask)?, fp.icmp(UGT, ay, exponent_mask)?)?)?;
    b.build_conditional_branch(invalid, nan_block, small_block)?;
    b.position_at_end(nan_block);
    b.build_return(Some(&fp.c(f64::NAN)))?;

    // Encodings of non-negative floats order like the floats.
    b.position_at_end(small_block);
    let x_block = block("x");
    let not_smaller = block("not_smaller");
    b.build_conditional_branch(fp.icmp(ULT, ax, ay)?, x_block, not_smaller)?;
    b.position_at_end(x_block);
    b.build_return(Some(&x))?;
    b.position_at_end(not_smaller);
    b.build_conditional_branch(fp.icmp(EQ, ax, ay)?, zero_block, divide_block)?;

    b.position_at_end(zero_block);
    b.build_return(Some(&fp.bits_to_float(sign)?))?;

    b.position_at_end(divide_block);
    let (mx0, ex0) = unpack(fp, ax)?;
    let (my, ey) = unpack(fp, ay)?;
    b.build_unconditional_branch(loop_block)?;

    // while ex > ey: subtract if possible, then shift the dividend up.
    b.position_at_end(loop_block);
    let mx_phi = b.build_phi(fp.int_ty(), "mx")?;
    let ex_phi = b.build_phi(fp.int_ty(), "ex")?;
    let (mx, ex) = (mx_phi.as_basic_value().into_int_value(), ex_phi.as_basic_value().into_int_value());
    b.build_conditional_branch(fp.icmp(SGT, ex, ey)?, step_block, finish_block)?;

    b.position_at_end(step_block);
    let reduced = subtract_if_possible(fp, mx, my, zero_block, next_block)?;
    b.position_at_end(next_block);
    let mx_next = fp.shl(reduced, 1)?;
    let ex_next = fp.isub(ex, fp.ci(1))?;
    b.build_unconditional_branch(loop_block)?;
    mx_phi.add_incoming(&[(&mx0, divide_block), (&mx_next, next_block)]);
    ex_phi.add_incoming(&[(&ex0, divide_block), (&ex_next, next_block)]);

    b.position_at_end(finish_block);
    let remainder = subtract_if_possible(fp, mx, my, zero_block, done_block)?;
    b.position_at_end(done_block);
    let result = pack(fp, remainder, ex)?;
    b.build_return(Some(&fp.bits_to_float(fp.or(result, sign)?)?))?;
    Ok(())
}

/// `m - my` if that is not negative (returning zero's block if it is 0), else `m`.
fn subtract_if_possible<'ctx>(
    fp: &Fp<'_, 'ctx>,
    m: I<'ctx>,
    my: I<'ctx>,
    zero_block: BasicBlock<'ctx>,
    continue_block: BasicBlock<'ctx>,
) -> Result<I<'ctx>> {
    let difference = fp.isub(m, my)?;
    let fits = fp.icmp(SGE, difference, fp.ci(0))?;
    let exact = fp.and(fits, fp.icmp(EQ, difference, fp.ci(0))?)?;
    let reduced = fp.select_int(fits, difference, m)?;
    fp.b.build_conditional_branch(exact, zero_block, continue_block)?;
    Ok(reduced)
}

/// Leading zeros beyond those every significand (with its implicit bit) has.
fn normalizing_shift<'ctx>(fp: &Fp<'_, 'ctx>, m: I<'ctx>) -> Result<I<'ctx>> {
    let ctlz = fp.cg.intrinsic("llvm.ctlz", &[fp.int_ty().into()])?;
    let zero_is_poison = fp.cg.i1().const_zero();
    let leading = fp.cg.call(fp.b, ctlz, &[m.into(), zero_is_poison.into()])?.into_int_value();
    fp.isub(leading, fp.ci((fp.kind.bits() - 1 - fp.kind.mantissa_bits()) as i64))
}

/// The significand as an integer with its leading bit at `mantissa_bits`, and
/// the exponent it goes with (subnormals normalized).
fn unpack<'ctx>(fp: &Fp<'_, 'ctx>, a: I<'ctx>) -> Result<(I<'ctx>, I<'ctx>)> {
    let mant = fp.kind.mantissa_bits();
    let exponent = fp.b.build_right_shift(a, fp.ci(mant as i64), false, "")?;
    let normal_m = fp.or(fp.and(a, fp.ci((1i64 << mant) - 1))?, fp.ci(1i64 << mant))?;
    let shift = normalizing_shift(fp, a)?;
    let subnormal_m = fp.b.build_left_shift(a, shift, "")?;
    let subnormal_e = fp.isub(fp.ci(1), shift)?;
    let is_subnormal = fp.icmp(EQ, exponent, fp.ci(0))?;
    Ok((fp.select_int(is_subnormal, subnormal_m, normal_m)?, fp.select_int(is_subnormal, subnormal_e, exponent)?))
}

/// The encoding of the non-negative remainder `m * 2^(e - bias - mantissa_bits)`.
fn pack<'ctx>(fp: &Fp<'_, 'ctx>, m: I<'ctx>, e: I<'ctx>) -> Result<I<'ctx>> {
    let mant = fp.kind.mantissa_bits();
    let shift = normalizing_shift(fp, m)?;
    let m = fp.b.build_left_shift(m, shift, "")?;
    let e = fp.isub(e, shift)?;
    let normal = fp.or(fp.isub(m, fp.ci(1i64 << mant))?, fp.b.build_left_shift(e, fp.ci(mant as i64), "")?)?;
    let subnormal = fp.b.build_right_shift(m, fp.isub(fp.ci(1), e)?, false, "")?;
    let is_normal = fp.icmp(SGT, e, fp.ci(0))?;
    fp.select_int(is_normal, normal, subnormal)
}
