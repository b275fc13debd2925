//! Constants: `const c: Tensor<[3], f32> = [1.0, 2.0, 3.0];` holds its data
//! (a flat row-major list); `const w1: Tensor<[64, 32], f32>;` declares a
//! weight whose data the weights file supplies.

use super::lexer::TokenKind;
use super::literal::{float_value, typed_int_value};
use super::parser::Parser;
use crate::error::{Error, Result, Span};
use crate::ir::dim::shape_to_string;
use crate::ir::{StructInfo, TensorInfo};
use crate::ndarray::{NDArray, Scalar};
use relax_rt::DType;

pub(super) enum ConstItem {
    Data {
        name: String,
        /// The name's span.
        span: Span,
        data: NDArray,
    },
    Declaration {
        name: String,
        span: Span,
        sinfo: StructInfo,
        /// The whole `const ..;`, which a mismatch with the weights file points at.
        item_span: Span,
    },
}

impl Parser<'_> {
    pub(super) fn parse_const(&mut self) -> Result<ConstItem> {
        let start = self.bump().span.start;
        let (name, span) = self.expect_name("a constant name after `const`")?;
        self.expect_punct(":", &format!("and a type after `const {name}`"))?;
        let type_start = self.start();
        let sinfo = self.parse_struct_info()?;
        let type_span = self.span_from(type_start);
        let StructInfo::Tensor(info) = &sinfo else {
            return Err(Error::new(type_span, "a constant is a tensor: `Tensor<[..], dtype>`"));
        };
        if self.eat_punct("=").is_none() {
            self.expect_punct(";", "or `= [values]` after the constant's type")?;
            return Ok(ConstItem::Declaration { name, span, sinfo, item_span: self.span_from(start) });
        }
        let data = self.parse_const_data(&name, info, type_span)?;
        self.expect_punct(";", "after the constant's values")?;
        Ok(ConstItem::Data { name, span, data })
    }

    /// `[v, v, ..]`: exactly as many values as the (static) shape holds.
    fn parse_const_data(&mut self, name: &str, info: &TensorInfo, type_span: Span) -> Result<NDArray> {
        let shape_text = shape_to_string(&info.shape);
        let bad_shape = || {
            Error::new(
                type_span,
                format!("a constant with data needs a constant, non-negative shape, not {shape_text}"),
            )
        };
        let dims: Vec<i64> =
            info.shape.iter().map(|d| d.as_int().filter(|&v| v >= 0)).collect::<Option<_>>().ok_or_else(bad_shape)?;
        let shape: Vec<usize> = dims.iter().map(|&d| d as usize).collect();
        let expected = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(bad_shape)?;
        let open = self.expect_punct("[", "to open the constant's values")?;
        let values = self.comma_list("]", "the constant's values", |p| p.parse_scalar(name, info.dtype))?;
        if values.len() != expected {
            return Err(Error::new(
                self.span_from(open.start),
                format!(
                    "`{name}` has shape {shape_text}, which holds {expected} values, but {} are given",
                    values.len()
                ),
            ));
        }
        Ok(NDArray::from_fn(info.dtype, &shape, |i| values[i]))
    }

    /// One value of a constant of `dtype`: a number (integers for integer
    /// dtypes), `inf`, `nan`, or `true`/`false` for bool.
    fn parse_scalar(&mut self, name: &str, dtype: DType) -> Result<Scalar> {
        let start = self.start();
        let negative = self.eat_punct("-").is_some();
        let token = self.peek().clone();
        let mismatch =
            |what: &str| Error::new(token.span, format!("{what} cannot be a value of `{name}`, which is {dtype}"));
        let value = match &token.kind {
            TokenKind::Number(n) if n.suffix.is_some() => {
                return Err(Error::new(
                    token.span,
                    "constant values take no suffix; the constant's type gives the dtype",
                ))
            }
            TokenKind::Number(n) if dtype.is_float() => Scalar::F(float_value(n, negative, Some(dtype))),
            TokenKind::Number(n) if dtype != DType::Bool && !n.is_float => {
                let v = typed_int_value(n, negative, dtype)
                    .map_err(|e| Error::new(self.span_from(start).to(token.span), e))?;
                if dtype == DType::U64 {
                    Scalar::from_u64(v as u64)
                } else {
                    Scalar::I(v)
                }
            }
            TokenKind::Number(n) => return Err(mismatch(&format!("`{}`", n.text))),
            TokenKind::Ident(w) if w == "inf" || w == "nan" => {
                if !dtype.is_float() {
                    return Err(mismatch(&format!("`{w}`")));
                }
                let magnitude = if w == "inf" { f64::INFINITY } else { f64::NAN };
                Scalar::F(if negative { -magnitude } else { magnitude })
            }
            TokenKind::Ident(w) if (w == "true" || w == "false") && !negative => {
                if dtype != DType::Bool {
                    return Err(mismatch(&format!("`{w}`")));
                }
                Scalar::B(w == "true")
            }
            _ => return Err(self.unexpected(&format!("a value of `{name}` ({dtype})"))),
        };
        self.bump();
        Ok(value)
    }
}
