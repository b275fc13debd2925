//! How scalar values are spelled, for the parser and the printer alike.
//!
//! A typed float literal must read back to exactly the value the IR holds.
//! An `f32` value prints with a suffix in its shortest form (`0.1f32`), and a
//! suffixed literal is read as `f32`, so `0.1f32` is the `f32` nearest 0.1. An
//! IR value typed `f32` that is not an `f32` (an unrounded `1e-5` from an
//! attribute) prints as `1e-5 as f32`: the literal keeps its exact `f64` value
//! and only takes the dtype. Non-finite values have no suffixed spelling and
//! use the same form: `-inf as f32`.

use super::lexer::Number;
use crate::ir::{format_float, Literal};
use crate::ndarray::Scalar;
use relax_rt::DType;

/// The shortest text that reads back as `v` when parsed as `f32`, always
/// looking like a float (`1.0`, `1e-5`); `inf` and `nan` as untyped literals.
fn format_f32(v: f32) -> String {
    if !v.is_finite() {
        return format_float(f64::from(v));
    }
    let s = format!("{v:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

/// One element of a constant of `dtype`, as the constant's value list has it.
pub(super) fn scalar(value: Scalar, dtype: DType) -> String {
    match value {
        Scalar::F(v) if dtype == DType::F32 => format_f32(v as f32),
        Scalar::F(v) => format_float(v),
        Scalar::I(v) => v.to_string(),
        Scalar::U(v) => v.to_string(),
        Scalar::B(b) => b.to_string(),
    }
}

/// Whether `v` is exactly an `f32` value.
fn is_f32(v: f64) -> bool {
    v.is_finite() && f64::from(v as f32) == v
}

/// A float literal of `dtype`: `0.5f32`, `1e-5 as f32`, `inf as f64`.
pub(super) fn typed_float(v: f64, dtype: DType) -> String {
    match dtype {
        DType::F32 if is_f32(v) => format!("{}f32", format_f32(v as f32)),
        DType::F64 if v.is_finite() => format!("{}f64", format_float(v)),
        _ => format!("{} as {dtype}", format_float(v)),
    }
}

/// An untyped literal as written in a graph function: `2.0`, `-1`, `true`, `inf`.
pub(super) fn untyped(literal: Literal) -> String {
    match literal {
        Literal::Float(v) => format_float(v),
        Literal::Int(v) => v.to_string(),
        Literal::Bool(b) => b.to_string(),
    }
}

/// A literal with a fixed dtype: a suffix where Rust has one (`2.0f32`,
/// `3i64`, `3f32`), otherwise `LITERAL as DTYPE` (`true as bool`).
pub(super) fn typed(literal: Literal, dtype: DType) -> String {
    match literal {
        Literal::Float(v) if dtype.is_float() => typed_float(v, dtype),
        Literal::Int(v) if dtype != DType::Bool => format!("{v}{dtype}"),
        _ => format!("{} as {dtype}", untyped(literal)),
    }
}

/// Rejects suffixes Rust would reject: `bool`, and an integer type on a
/// literal with a fraction or exponent.
pub(super) fn check_suffix(number: &Number) -> Result<(), String> {
    match number.suffix {
        Some(DType::Bool) => Err("`bool` is not a literal suffix; write `true` or `false`".to_string()),
        Some(d) if number.is_float && !d.is_float() => Err(format!(
            "`{}{d}` puts an integer suffix on a float literal; write `{} as {d}` to give it that dtype",
            number.text, number.text
        )),
        _ => Ok(()),
    }
}

/// The value of an integer literal, negated when a `-` precedes it.
pub(super) fn int_value(number: &Number, negative: bool) -> Result<i64, String> {
    let magnitude: i128 = number.text.parse().map_err(|_| format!("`{}` is not an integer", number.text))?;
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).map_err(|_| format!("integer literal `{}` does not fit in i64", number.text))
}

/// An integer literal of integer `dtype`, range-checked, as the loop IR holds
/// it: u64 values above `i64::MAX` as their two's-complement bits.
pub(super) fn typed_int_value(number: &Number, negative: bool, dtype: DType) -> Result<i64, String> {
    let magnitude: i128 = number.text.parse().map_err(|_| format!("`{}` is not an integer", number.text))?;
    let value = if negative { -magnitude } else { magnitude };
    check_int_range(value, dtype)?;
    Ok(value as i64)
}

/// The value of a numeric literal read for `dtype`: `f32` literals are rounded
/// to `f32` straight from the text, anything else is read as `f64`.
pub(super) fn float_value(number: &Number, negative: bool, dtype: Option<DType>) -> f64 {
    let magnitude = match dtype {
        Some(DType::F32) => f64::from(number.text.parse::<f32>().expect("the lexer checked the digits")),
        _ => number.text.parse::<f64>().expect("the lexer checked the digits"),
    };
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Checks that an integer fits its dtype (`300i8` does not).
pub(super) fn check_int_range(value: impl Into<i128>, dtype: DType) -> Result<(), String> {
    let value: i128 = value.into();
    let (min, max) = crate::op::compute::int_range(dtype);
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(format!("{value} does not fit in {dtype}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_floats_read_back_exactly() {
        assert_eq!(typed_float(f64::from(0.1f32), DType::F32), "0.1f32");
        assert_eq!(typed_float(1e-5, DType::F32), "1e-5 as f32");
        assert_eq!(typed_float(2.0, DType::F64), "2.0f64");
        assert_eq!(typed_float(f64::NEG_INFINITY, DType::F32), "-inf as f32");
        assert_eq!(typed(Literal::Int(3), DType::F32), "3f32");
        assert_eq!(typed(Literal::Bool(true), DType::Bool), "true as bool");
        assert_eq!(typed(Literal::Float(2.5), DType::I32), "2.5 as i32");
        let n = Number { text: "0.1".into(), is_float: true, suffix: Some(DType::F32) };
        assert_eq!(float_value(&n, true, Some(DType::F32)), -f64::from(0.1f32));
    }

    #[test]
    fn integers_check_their_range() {
        let n = Number { text: "9223372036854775808".into(), is_float: false, suffix: None };
        assert_eq!(int_value(&n, true), Ok(i64::MIN));
        assert!(int_value(&n, false).unwrap_err().contains("does not fit in i64"));
        assert!(check_int_range(300, DType::U8).is_err());
        assert!(check_int_range(-1, DType::U8).is_err());
        assert!(check_int_range(-128, DType::I8).is_ok());
        assert!(check_int_range(65536, DType::U16).is_err());
        assert!(check_int_range(-32769, DType::I16).is_err());
        let max = Number { text: "18446744073709551615".into(), is_float: false, suffix: Some(DType::U64) };
        assert_eq!(typed_int_value(&max, false, DType::U64), Ok(-1));
        assert!(typed_int_value(&max, false, DType::I64).unwrap_err().contains("does not fit in i64"));
        assert!(typed_int_value(&max, true, DType::U64).is_err());
    }
}
