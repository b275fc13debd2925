//! The converters, one per ONNX operator, by family: which relax operators
//! each ONNX operator becomes, for every opset from 7 on.
//!
//! A converter is a short function over a [`NodeCtx`] plus a declaration of
//! what it handles: the attributes it reads (any other is reported as
//! unsupported), how many outputs it produces, and a check of attribute
//! values it does not implement. The declarations are checked for every node
//! before any conversion, so one import reports every unsupported operator
//! and attribute in the model.

mod attention;
mod cast;
mod col2im;
mod control;
mod conv;
mod determinant;
mod einsum;
mod elementwise;
mod indexing;
mod int_inputs;
mod iota;
mod linalg;
mod loop_op;
mod loss;
mod math;
mod ml;
mod nn;
mod normalization;
mod pool;
mod quantize;
mod quantized;
mod recurrent;
mod reduce;
mod resize;
mod roi_align;
mod rotary;
mod scan;
mod sequences;
mod shape;
mod signal;
mod sort;
mod spatial;
mod tensor;
#[cfg(test)]
mod testing;
mod training;
mod unpool;
mod window;

use super::attrs::Attributes;
use super::context::NodeCtx;
use super::opsets;
use super::value::Value;

pub type ConvertFn = fn(&mut NodeCtx<'_, '_>) -> Result<Vec<Value>, String>;
/// Rejects attribute values a converter does not implement; gets the opset.
pub type CheckFn = fn(&Attributes<'_>, i64) -> Result<(), String>;

pub struct Converter {
    /// The operator set the operator belongs to (`opsets::DEFAULT` unless
    /// stated with [`Converter::domain`]).
    pub domain: &'static str,
    pub op_type: &'static str,
    /// The version of its domain that introduced the operator.
    pub since: i64,
    pub attributes: &'static [&'static str],
    pub max_outputs: usize,
    pub check: CheckFn,
    pub convert: ConvertFn,
}

impl Converter {
    /// A single-output converter reading no attributes.
    pub const fn new(op_type: &'static str, convert: ConvertFn) -> Converter {
        Converter {
            domain: opsets::DEFAULT,
            op_type,
            since: 1,
            attributes: &[],
            max_outputs: 1,
            check: accept,
            convert,
        }
    }

    /// The operator belongs to `domain` rather than the default one.
    pub const fn domain(self, domain: &'static str) -> Converter {
        Converter { domain, ..self }
    }

    pub const fn attrs(self, attributes: &'static [&'static str]) -> Converter {
        Converter { attributes, ..self }
    }

    pub const fn since(self, since: i64) -> Converter {
        Converter { since, ..self }
    }

    pub const fn outputs(self, max_outputs: usize) -> Converter {
        Converter { max_outputs, ..self }
    }

    pub const fn check(self, check: CheckFn) -> Converter {
        Converter { check, ..self }
    }
}

fn accept(_: &Attributes<'_>, _: i64) -> Result<(), String> {
    Ok(())
}

const FAMILIES: &[&[Converter]] = &[
    elementwise::CONVERTERS,
    math::CONVERTERS,
    cast::CONVERTERS,
    quantize::CONVERTERS,
    linalg::CONVERTERS,
    einsum::CONVERTERS,
    nn::CONVERTERS,
    normalization::CONVERTERS,
    pool::CONVERTERS,
    reduce::CONVERTERS,
    shape::CONVERTERS,
    tensor::CONVERTERS,
    control::CONVERTERS,
    loop_op::CONVERTERS,
    scan::CONVERTERS,
    conv::CONVERTERS,
    spatial::CONVERTERS,
    indexing::CONVERTERS,
    attention::CONVERTERS,
    rotary::CONVERTERS,
    loss::CONVERTERS,
    sort::CONVERTERS,
    resize::CONVERTERS,
    training::CONVERTERS,
    ml::CONVERTERS,
    quantized::CONVERTERS,
    signal::CONVERTERS,
    sequences::CONVERTERS,
    determinant::CONVERTERS,
    unpool::CONVERTERS,
    col2im::CONVERTERS,
    roi_align::CONVERTERS,
    recurrent::CONVERTERS,
];

/// The converter of ONNX operator `op_type` of `domain` (`""` is the
/// default domain).
pub fn lookup(domain: &str, op_type: &str) -> Option<&'static Converter> {
    let domain = opsets::canonical(domain);
    FAMILIES.iter().flat_map(|f| f.iter()).find(|c| c.domain == domain && c.op_type == op_type)
}

/// Every supported operator, for listings: its name, prefixed with its
/// domain unless that is the default one (`ai.onnx.ml.Binarizer`).
pub fn supported() -> impl Iterator<Item = String> {
    FAMILIES.iter().flat_map(|f| f.iter()).map(|c| match c.domain {
        opsets::DEFAULT => c.op_type.to_string(),
        domain => format!("{domain}.{}", c.op_type),
    })
}

/// One result, as most converters have.
fn single(value: Value) -> Result<Vec<Value>, String> {
    Ok(vec![value])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_operator_has_one_converter() {
        let mut seen = HashSet::new();
        for op in supported() {
            assert!(seen.insert(op.clone()), "{op} is registered twice");
        }
    }
}
