//! Integer power on 64 bits by repeated squaring, wrapping on overflow. A
//! negative (signed) exponent gives 0 (the true value rounds toward zero),
//! except for bases 1 and -1, whose powers stay +-1; an unsigned exponent is
//! never negative.

use crate::error::{CodegenError, Result};
use crate::llvm::codegen::Codegen;
use inkwell::builder::Builder;
use inkwell::values::{FunctionValue, IntValue};
use inkwell::IntPredicate::{EQ, NE, SLT};

/// Emits the body of the helper `f(base, exponent)`.
pub(super) fn emit_int_pow<'ctx>(
    cg: &Codegen<'ctx>,
    b: &Builder<'ctx>,
    f: FunctionValue<'ctx>,
    base: IntValue<'ctx>,
    exponent: IntValue<'ctx>,
    signed: bool,
) -> Result<()> {
    let i64t = cg.i64();
    let (zero, one) = (i64t.const_zero(), i64t.const_int(1, false));
    let entry = b.get_insert_block().ok_or_else(|| CodegenError::new("int_pow: builder is not positioned"))?;
    let negative = cg.context.append_basic_block(f, "negative");
    let header = cg.context.append_basic_block(f, "loop");
    let body = cg.context.append_basic_block(f, "step");
    let exit = cg.context.append_basic_block(f, "exit");
    let is_negative = if signed { b.build_int_compare(SLT, exponent, zero, "")? } else { cg.i1().const_zero() };
    b.build_conditional_branch(is_negative, negative, header)?;

    b.position_at_end(negative);
    let minus_one = i64t.const_all_ones();
    let even = b.build_int_compare(EQ, b.build_and(exponent, one, "")?, zero, "")?;
    let signed_unit = b.build_select(even, one, minus_one, "")?.into_int_value();
    let for_minus_one = b.build_select(b.build_int_compare(EQ, base, minus_one, "")?, signed_unit, zero, "")?;
    let result = b.build_select(b.build_int_compare(EQ, base, one, "")?, one, for_minus_one.into_int_value(), "")?;
    b.build_return(Some(&result))?;

    b.position_at_end(header);
    let acc = b.build_phi(i64t, "acc")?;
    let square = b.build_phi(i64t, "square")?;
    let rest = b.build_phi(i64t, "rest")?;
    let (acc_v, square_v, rest_v) = (
        acc.as_basic_value().into_int_value(),
        square.as_basic_value().into_int_value(),
        rest.as_basic_value().into_int_value(),
    );
    // The exponent is non-negative here (or unsigned): bits remain while it is not 0.
    b.build_conditional_branch(b.build_int_compare(NE, rest_v, zero, "")?, body, exit)?;

    b.position_at_end(body);
    let bit_set = b.build_int_compare(NE, b.build_and(rest_v, one, "")?, zero, "")?;
    let acc_next = b.build_select(bit_set, b.build_int_mul(acc_v, square_v, "")?, acc_v, "")?.into_int_value();
    let square_next = b.build_int_mul(square_v, square_v, "")?;
    let rest_next = b.build_right_shift(rest_v, one, false, "")?;
    b.build_unconditional_branch(header)?;

    acc.add_incoming(&[(&one, entry), (&acc_next, body)]);
    square.add_incoming(&[(&base, entry), (&square_next, body)]);
    rest.add_incoming(&[(&exponent, entry), (&rest_next, body)]);

    b.position_at_end(exit);
    b.build_return(Some(&acc_v))?;
    Ok(())
}
