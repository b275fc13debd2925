//! Floats narrower than f32 (f16, bf16, the 8-bit floats) in generated code.
//! In memory an element is its bit pattern (an `i16` or `i8`); in registers it
//! is an f32 holding exactly the element's value, so arithmetic is f32
//! arithmetic followed by [`round`] to the format, which gives the correctly
//! rounded result for `+ - * /` (f32 carries more than twice the bits of these
//! formats) and matches the reference semantics, which round from f64.
//!
//! The conversions are `relax_rt::FloatFormat::{encode, decode}` written with
//! integer and float instructions: round to nearest even from f64 (so f64
//! sources round once), overflow to infinity or, in formats without one, NaN.
//! No libcalls (`__truncsfhf2` and friends are not in every runtime), and each
//! is an always-inlined helper so loops using them still vectorize.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use crate::llvm::math::{FloatKind, Fp};
use inkwell::builder::Builder;
use inkwell::types::BasicTypeEnum;
use inkwell::values::{FloatValue, IntValue};
use inkwell::{FloatPredicate, IntPredicate};
use relax_rt::{DType, FloatFormat, NarrowFloat, NonFinite};

fn format_of(dtype: DType) -> Result<NarrowFloat> {
    dtype.narrow_float().ok_or_else(|| CodegenError::new(format!("{dtype} is not a narrow float dtype")))
}

/// `x` (f32 or f64) rounded to `dtype`'s format, as an f32.
pub(crate) fn round<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    dtype: DType,
) -> Result<FloatValue<'ctx>> {
    let bits = encode(cg, b, x, dtype)?;
    decode(cg, b, bits, dtype)
}

/// The bits of `x` (f32 or f64) rounded to `dtype`, as an integer of the
/// dtype's size in memory.
pub(crate) fn encode<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    x: FloatValue<'ctx>,
    dtype: DType,
) -> Result<IntValue<'ctx>> {
    let format = format_of(dtype)?;
    let f64t = cg.context.f64_type();
    if dtype == DType::BF16 && x.get_type() == cg.context.f32_type() {
        return encode_bf16_from_f32(cg, b, x);
    }
    let wide = if x.get_type() == f64t { x } else { b.build_float_ext(x, f64t, "")? };
    let storage = cg.int_of_width(8 * dtype.size() as u32);
    let (arg, ret): (BasicTypeEnum<'ctx>, BasicTypeEnum<'ctx>) = (f64t.into(), storage.into());
    let helper = cg.helper(&format!("relax.encode.{dtype}"), cg.fn_type(Some(ret), &[arg]), |hb, func| {
        let x = func.get_nth_param(0).map(|p| p.into_float_value()).ok_or_else(missing_param)?;
        let bits = match format {
            NarrowFloat::Format(f) => emit_encode(&Fp::new(cg, hb, FloatKind::F64), f, x)?,
            NarrowFloat::E8M0 => emit_e8m0_encode(&Fp::new(cg, hb, FloatKind::F32), x)?,
        };
        hb.build_return(Some(&hb.build_int_truncate(bits, storage, "")?))?;
        Ok(())
    })?;
    Ok(cg.call(b, helper, &[wide.into()])?.into_int_value())
}

/// The exact value of `bits` (an integer of `dtype`'s size in memory), as an f32.
pub(crate) fn decode<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    bits: IntValue<'ctx>,
    dtype: DType,
) -> Result<FloatValue<'ctx>> {
    let format = format_of(dtype)?;
    if dtype == DType::BF16 {
        return decode_bf16(cg, b, bits);
    }
    let storage = cg.int_of_width(8 * dtype.size() as u32);
    let f32t = cg.context.f32_type();
    let (arg, ret): (BasicTypeEnum<'ctx>, BasicTypeEnum<'ctx>) = (storage.into(), f32t.into());
    let helper = cg.helper(&format!("relax.decode.{dtype}"), cg.fn_type(Some(ret), &[arg]), |hb, func| {
        let bits = func.get_nth_param(0).map(|p| p.into_int_value()).ok_or_else(missing_param)?;
        let fp = Fp::new(cg, hb, FloatKind::F64);
        let wide_bits = hb.build_int_z_extend(bits, cg.i64(), "")?;
        let value = match format {
            NarrowFloat::Format(f) => emit_decode(&fp, f, wide_bits)?,
            NarrowFloat::E8M0 => emit_e8m0_decode(&fp, wide_bits)?,
        };
        hb.build_return(Some(&hb.build_float_trunc(value, f32t, "")?))?;
        Ok(())
    })?;
    Ok(cg.call(b, helper, &[bits.into()])?.into_float_value())
}

/// bf16 is f32's top half, so its value is its bits shifted up (exact,
/// infinities and NaNs included).
fn decode_bf16<'ctx>(cg: &Codegen<'ctx>, b: &Builder<'ctx>, bits: IntValue<'ctx>) -> Result<FloatValue<'ctx>> {
    let wide = b.build_int_z_extend(bits, cg.i32(), "")?;
    let shifted = b.build_left_shift(wide, cg.i32().const_int(16, false), "")?;
    Ok(b.build_bit_cast(shifted, cg.context.f32_type(), "")?.into_float_value())
}

/// An f32 rounded to bf16 by its bits: adding `0x7fff` plus the lowest kept
/// bit and dropping the low half rounds to nearest even (a carry moves into
/// the exponent, up to infinity). NaN becomes the same quiet NaN as
/// `FloatFormat::encode` gives. Equal to the general path, only shorter.
fn encode_bf16_from_f32<'ctx>(cg: &Codegen<'ctx>, b: &Builder<'ctx>, x: FloatValue<'ctx>) -> Result<IntValue<'ctx>> {
    let fp = Fp::new(cg, b, FloatKind::F32);
    let bits = fp.bits(x)?;
    let lowest_kept = fp.and(b.build_right_shift(bits, fp.ci(16), false, "")?, fp.ci(1))?;
    let rounded = fp.iadd(fp.iadd(bits, fp.ci(0x7fff))?, lowest_kept)?;
    let top = b.build_right_shift(rounded, fp.ci(16), false, "")?;
    let sign = fp.and(b.build_right_shift(bits, fp.ci(16), false, "")?, fp.ci(0x8000))?;
    let nan = fp.or(sign, fp.ci(FloatFormat::BF16.nan_bits(false) as i64))?;
    let is_nan = fp.cmp(FloatPredicate::UNO, x, x)?;
    let result = fp.select_int(is_nan, nan, top)?;
    Ok(b.build_int_truncate(result, cg.context.i16_type(), "")?)
}

/// `FloatFormat::encode` on an f64, giving the bits in an i64.
fn emit_encode<'ctx>(fp: &Fp<'_, 'ctx>, f: FloatFormat, x: FloatValue<'ctx>) -> Result<IntValue<'ctx>> {
    let m = f.mantissa_bits;
    let negative = fp.icmp(IntPredicate::SLT, fp.bits(x)?, fp.ci(0))?;
    let is_nan = fp.cmp(FloatPredicate::UNO, x, x)?;
    // Magnitudes this large overflow however they round; clamping keeps the
    // arithmetic finite (and makes infinity an overflow).
    let limit = fp.c(2f64.powi(f.bias + 2));
    let magnitude = fp.abs(x)?;
    let a = fp.select(fp.lt(magnitude, limit)?, magnitude, limit)?;
    // The exponent of a's quantum: its own, or the subnormal scale below it.
    let own_exponent = fp.isub(fp.b.build_right_shift(fp.bits(a)?, fp.ci(52), false, "")?, fp.ci(1023))?;
    let min_exponent = fp.ci(f.min_exponent() as i64);
    let below = fp.icmp(IntPredicate::SLT, own_exponent, min_exponent)?;
    let exponent = fp.select_int(below, min_exponent, own_exponent)?;
    // a / 2^(exponent - m) is exact; rounding it counts quanta including the
    // implicit leading one, so a carry moves into the exponent field by itself.
    let scale = fp.pow2(fp.isub(fp.ci(m as i64), exponent)?)?;
    let quanta = fp.round_even(fp.mul(a, scale)?)?;
    let steps = fp.b.build_float_to_unsigned_int(quanta, fp.int_ty(), "")?;
    let field = fp.iadd(exponent, fp.ci((f.bias - 1) as i64))?;
    let bits = fp.iadd(fp.shl(field, m)?, steps)?;

    let sign_bit = fp.ci(f.sign_bit() as i64);
    let sign = fp.select_int(negative, sign_bit, fp.ci(0))?;
    let signed = if f.non_finite == NonFinite::NegativeZeroIsNan {
        // One zero: a result of 0 drops the sign.
        let zero = fp.icmp(IntPredicate::EQ, bits, fp.ci(0))?;
        fp.or(bits, fp.select_int(zero, fp.ci(0), sign)?)?
    } else {
        fp.or(bits, sign)?
    };
    let nan = fp.select_int(negative, fp.ci(f.nan_bits(true) as i64), fp.ci(f.nan_bits(false) as i64))?;
    let overflowed = match (f.infinity_bits(), f.non_finite) {
        (Some(inf), _) => fp.or(fp.ci(inf as i64), sign)?,
        // All codes finite: saturate.
        (None, NonFinite::None) => fp.or(fp.ci(f.max_finite_bits() as i64), sign)?,
        (None, _) => nan,
    };
    let overflow = fp.icmp(IntPredicate::UGT, bits, fp.ci(f.max_finite_bits() as i64))?;
    let finite = fp.select_int(overflow, overflowed, signed)?;
    fp.select_int(is_nan, nan, finite)
}

/// `FloatFormat::decode` of bits in an i64, as an f64.
fn emit_decode<'ctx>(fp: &Fp<'_, 'ctx>, f: FloatFormat, bits: IntValue<'ctx>) -> Result<FloatValue<'ctx>> {
    let m = f.mantissa_bits;
    let sign_bit = fp.ci(f.sign_bit() as i64);
    let magnitude = fp.and(bits, fp.ci(f.sign_bit() as i64 - 1))?;
    let negative = fp.icmp(IntPredicate::NE, fp.and(bits, sign_bit)?, fp.ci(0))?;
    let field = fp.b.build_right_shift(magnitude, fp.ci(m as i64), false, "")?;
    let fraction = fp.and(magnitude, fp.ci((1 << m) - 1))?;
    // value = significand * 2^(max(field, 1) - bias - m), the significand
    // carrying the implicit one for normal numbers.
    let subnormal = fp.icmp(IntPredicate::EQ, field, fp.ci(0))?;
    let significand = fp.select_int(subnormal, fraction, fp.iadd(fraction, fp.ci(1 << m))?)?;
    let scale_field = fp.select_int(subnormal, fp.ci(1), field)?;
    let scale = fp.pow2(fp.isub(scale_field, fp.ci((f.bias + m as i32) as i64))?)?;
    let unsigned_value = fp.b.build_unsigned_int_to_float(significand, fp.ty(), "")?;
    let mut value = fp.mul(unsigned_value, scale)?;
    if let Some(inf) = f.infinity_bits() {
        let is_inf = fp.icmp(IntPredicate::EQ, magnitude, fp.ci(inf as i64))?;
        value = fp.select(is_inf, fp.c(f64::INFINITY), value)?;
    }
    let value = fp.select(negative, fp.neg(value)?, value)?;
    let is_nan = match f.non_finite {
        NonFinite::Ieee => fp.icmp(IntPredicate::UGT, magnitude, fp.ci(f.max_finite_bits() as i64 + 1))?,
        NonFinite::NanOnly => fp.icmp(IntPredicate::EQ, magnitude, fp.ci(f.sign_bit() as i64 - 1))?,
        NonFinite::NegativeZeroIsNan => fp.icmp(IntPredicate::EQ, bits, sign_bit)?,
        NonFinite::None => return Ok(value),
    };
    fp.select(is_nan, fp.c(f64::NAN), value)
}

/// `relax_rt::e8m0_encode` of an f64: rounded to f32, then the biased f32
/// exponent, plus one where fraction bits are set below the top exponent
/// (2^-127 excepted), `0xff` for NaN and infinities. Gives an i64.
fn emit_e8m0_encode<'ctx>(fp: &Fp<'_, 'ctx>, x: FloatValue<'ctx>) -> Result<IntValue<'ctx>> {
    use IntPredicate::{EQ, NE};
    let single = fp.b.build_float_trunc(x, fp.ty(), "")?;
    let bits = fp.and(fp.bits(single)?, fp.ci(0x7fff_ffff))?;
    let exponent = fp.b.build_right_shift(bits, fp.ci(23), false, "")?;
    let has_fraction = fp.icmp(NE, fp.and(bits, fp.ci(0x7f_ffff))?, fp.ci(0))?;
    let below_top = fp.icmp(NE, exponent, fp.ci(0xfe))?;
    let up = fp.b.build_and(has_fraction, below_top, "")?;
    let rounded = fp.iadd(exponent, fp.b.build_int_z_extend(up, fp.int_ty(), "")?)?;
    let smallest = fp.icmp(EQ, bits, fp.ci(0x40_0000))?;
    let rounded = fp.select_int(smallest, fp.ci(0), rounded)?;
    let special = fp.icmp(EQ, exponent, fp.ci(0xff))?;
    let result = fp.select_int(special, fp.ci(0xff), rounded)?;
    Ok(fp.b.build_int_z_extend(result, fp.cg.i64(), "")?)
}

/// `relax_rt::e8m0_decode` of bits in an i64, as an f64: `2^(bits - 127)`.
fn emit_e8m0_decode<'ctx>(fp: &Fp<'_, 'ctx>, bits: IntValue<'ctx>) -> Result<FloatValue<'ctx>> {
    let exponent = fp.and(bits, fp.ci(0xff))?;
    let value = fp.pow2(fp.isub(exponent, fp.ci(127))?)?;
    let is_nan = fp.icmp(IntPredicate::EQ, exponent, fp.ci(0xff))?;
    fp.select(is_nan, fp.c(f64::NAN), value)
}

fn missing_param() -> CodegenError {
    CodegenError::new("helper declared with too few parameters")
}
