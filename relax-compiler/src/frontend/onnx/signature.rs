//! The function's signature: graph inputs become parameters (symbolic dims
//! for `dim_param`s, constants for the ones the user pins), graph outputs its
//! result.

use super::dtype::dtype_of;
use super::emitter::Emitter;
use super::importer::Importer;
use super::names::StableNamer;
use super::proto::tensor_shape_proto::dimension;
use super::proto::type_proto;
use super::proto::{GraphProto, ValueInfoProto};
use super::scope::{Scope, Slot};
use super::value::{Tensor, Value};
use super::OnnxOptions;
use crate::error::Span;
use crate::ir::{Attrs, Dim, Expr, ExprKind, StructInfo, TensorInfo, Var};
use std::collections::BTreeSet;

/// Turns dims of input shapes into relax dims.
struct DimResolver<'o> {
    options: &'o OnnxOptions,
    names: StableNamer,
    /// The `dim_param`s seen, to check the options name real ones.
    seen: BTreeSet<String>,
    /// The bounded dims' variables and their bounds (pinned dims need none).
    bounds: Vec<(String, i64)>,
}

impl DimResolver<'_> {
    /// A `dim_value` is itself; a `dim_param` is a symbolic dim, or the
    /// user's pin. A dim with neither (or a negative value, which some
    /// exporters write for "unknown") gets a symbolic dim of its own.
    fn dim(&mut self, dim: Option<&dimension::Value>, input: &str, axis: usize) -> Dim {
        match dim {
            Some(dimension::Value::DimValue(v)) if *v >= 0 => Dim::Int(*v),
            Some(dimension::Value::DimParam(p)) if !p.is_empty() => {
                self.seen.insert(p.clone());
                match self.options.dims.get(p) {
                    Some(&pinned) => Dim::Int(pinned),
                    None => {
                        let var = self.names.get(p);
                        if let Some(&max) = self.options.dim_max.get(p) {
                            if !self.bounds.iter().any(|(v, _)| *v == var) {
                                self.bounds.push((var.clone(), max));
                            }
                        }
                        Dim::Var(var)
                    }
                }
            }
            _ => Dim::Var(self.names.get(&format!("{input}_dim{axis}"))),
        }
    }

    /// Options naming dims the model does not have are mistakes worth a clear error.
    fn check_options(&self) -> Vec<String> {
        let known = || self.seen.iter().cloned().collect::<Vec<_>>().join(", ");
        let mut problems = Vec::new();
        for (option, names) in [("dim", self.options.dims.keys()), ("dim_max", self.options.dim_max.keys())] {
            for name in names.filter(|n| !self.seen.contains(*n)) {
                problems.push(format!(
                    "option {option}(\"{name}\"): the model has no dim_param `{name}` (it has: {})",
                    known()
                ));
            }
        }
        for (name, &value) in &self.options.dims {
            if value < 0 {
                problems.push(format!("option dim(\"{name}\", {value}): a dim cannot be negative"));
            }
        }
        for (name, &bound) in &self.options.dim_max {
            match self.options.dims.get(name) {
                _ if bound < 0 => {
                    problems.push(format!("option dim_max(\"{name}\", {bound}): a bound cannot be negative"))
                }
                Some(&pinned) if pinned > bound => problems.push(format!(
                    "option dim(\"{name}\", {pinned}) exceeds its own bound dim_max(\"{name}\", {bound})"
                )),
                _ => {}
            }
        }
        problems
    }
}

/// The graph inputs that are not initializers, as parameters bound in `scope`.
pub fn bind_params(graph: &GraphProto, options: &OnnxOptions, scope: &mut Scope, importer: &mut Importer) -> Vec<Var> {
    let mut dims = DimResolver { options, names: StableNamer::default(), seen: BTreeSet::new(), bounds: Vec::new() };
    let mut params = Vec::new();
    // Models before IR version 4 also list initializers as inputs.
    let inputs: Vec<&ValueInfoProto> = graph.input.iter().filter(|i| !scope.binds_locally(i.name())).collect();
    for input in inputs {
        let name = input.name();
        match input_info(input, &mut dims) {
            Ok(info) => {
                let var_name = importer.names.fresh(name);
                importer.params.insert(var_name.clone());
                scope.insert(name, Value::tensor(Expr::var(&var_name), info.clone()));
                params.push(Var::new(var_name, StructInfo::Tensor(info)));
            }
            Err(problem) => {
                importer.report(format!("graph input `{name}`: {problem}"));
                scope.fail(name);
            }
        }
    }
    dims.check_options().into_iter().for_each(|p| importer.report(p));
    importer.dim_max = std::mem::take(&mut dims.bounds);
    params
}

fn input_info(input: &ValueInfoProto, dims: &mut DimResolver) -> Result<TensorInfo, String> {
    let Some(type_proto::Value::TensorType(tensor)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err("only tensor inputs are supported".to_string());
    };
    let dtype = dtype_of(tensor.elem_type.unwrap_or(0))?;
    let shape = tensor.shape.as_ref().ok_or("the input has no shape; its rank must be known")?;
    let shape = shape.dim.iter().enumerate().map(|(axis, d)| dims.dim(d.value.as_ref(), input.name(), axis)).collect();
    Ok(TensorInfo::new(dtype, shape))
}

/// The graph outputs as tensors the function returns. Outputs that are
/// parameters or constants are copied, since a native entry writes each
/// result into its own buffer. Problems are reported; the outputs that had
/// none are returned.
pub fn bind_results(graph: &GraphProto, scope: &Scope, emitter: &mut Emitter, importer: &mut Importer) -> Vec<Tensor> {
    if graph.output.is_empty() {
        importer.report("the graph has no outputs".to_string());
    }
    let mut results = Vec::new();
    for output in &graph.output {
        let name = output.name();
        let value = match scope.lookup(name) {
            Some(Slot::Ready(value)) => value.clone(),
            Some(Slot::Failed) => continue,
            None => {
                importer.report(format!("graph output `{name}` is not produced by any node, input or initializer"));
                continue;
            }
        };
        match result_tensor(name, &value, emitter, importer) {
            Ok(t) => results.push(t),
            Err(problem) => importer.report(format!("graph output `{name}`: {problem}")),
        }
    }
    results
}

/// The function's result and its type: one tensor, or a tuple of several.
pub fn result_of(mut results: Vec<Tensor>) -> (Expr, StructInfo) {
    if results.len() == 1 {
        let t = results.remove(0);
        return (t.expr, StructInfo::Tensor(t.info));
    }
    let types = results.iter().map(|t| StructInfo::Tensor(t.info.clone())).collect();
    let items = results.into_iter().map(|t| t.expr).collect();
    (Expr::new(ExprKind::Tuple(items), Span::NONE), StructInfo::Tuple(types))
}

fn result_tensor(name: &str, value: &Value, emitter: &mut Emitter, importer: &mut Importer) -> Result<Tensor, String> {
    let operand = importer.operand(value)?;
    let is_param = matches!(value, Value::Tensor(_)) && !emitter.binds(operand.expr.as_var().unwrap_or(""));
    if is_param || matches!(operand.expr.kind, ExprKind::Constant(_)) {
        let copy = Expr::op("copy", vec![operand.expr], Attrs::new());
        return Ok(Tensor { expr: emitter.bind(importer.names.fresh(name), copy), info: operand.info });
    }
    Ok(operand)
}
