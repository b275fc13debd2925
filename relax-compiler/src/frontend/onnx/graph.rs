//! Converting a graph's nodes in order, for the main graph and for subgraphs
//! (`If` branches) alike.
//!
//! A node that cannot be converted is reported and its outputs are marked
//! failed; nodes reading them are skipped without a second report, but still
//! have their declarations checked, so one import lists every unsupported
//! operator and attribute.

use super::attrs::Attributes;
use super::context::NodeCtx;
use super::emitter::Emitter;
use super::importer::Importer;
use super::proto::{GraphProto, NodeProto};
use super::scope::{Scope, Slot};
use super::support::check_node;
use super::tensor::to_ndarray;
use super::value::{Tensor, Value};
use crate::ir::ExprKind;
use std::rc::Rc;

/// Converts every node of `graph` into `emitter`, binding outputs in `scope`.
/// `within` says where the graph is, for messages ("" for the main graph).
pub fn convert_nodes(
    graph: &GraphProto,
    within: &str,
    scope: &mut Scope,
    emitter: &mut Emitter,
    importer: &mut Importer,
) {
    for node in &graph.node {
        convert_node(node, within, scope, emitter, importer);
    }
}

/// Binds the graph's initializers as constants; bad ones are reported.
pub fn bind_initializers(graph: &GraphProto, scope: &mut Scope, importer: &mut Importer) {
    for tensor in &graph.initializer {
        let name = tensor.name();
        match to_ndarray(tensor, &importer.external) {
            Ok(array) => {
                let array = Rc::new(array);
                importer.constants.hint(&array, name);
                scope.insert(name, Value::Const(array));
            }
            Err(problem) => {
                importer.report(format!("initializer `{name}`: {problem}"));
                scope.fail(name);
            }
        }
    }
    for sparse in &graph.sparse_initializer {
        let name = sparse.values.as_ref().map_or("", |v| v.name());
        importer.report(format!("sparse initializer `{name}` is not supported"));
        scope.fail(name);
    }
}

/// How messages name a node: `node `conv1` (Conv)`, plus where it is.
pub fn label(node: &NodeProto, within: &str) -> String {
    let op = node.op_type();
    let base = match node.name() {
        "" => format!("node ({op}) producing `{}`", node.output.first().map_or("", |s| s.as_str())),
        name => format!("node `{name}` ({op})"),
    };
    if within.is_empty() {
        base
    } else {
        format!("{base} in {within}")
    }
}

fn convert_node(node: &NodeProto, within: &str, scope: &mut Scope, emitter: &mut Emitter, importer: &mut Importer) {
    let label = label(node, within);
    let (converter, opset) = match check_node(node, &importer.opsets) {
        Ok(found) => found,
        Err(problem) => return fail(node, &label, Some(problem), scope, importer),
    };
    let inputs = match read_inputs(node, scope) {
        Ok(Some(inputs)) => inputs,
        Ok(None) => return fail(node, &label, None, scope, importer),
        Err(problem) => return fail(node, &label, Some(problem), scope, importer),
    };
    let converted = {
        let mut ctx = NodeCtx::new(node, opset, inputs, importer, emitter, scope, &label);
        (converter.convert)(&mut ctx)
    };
    let stored = converted.and_then(|values| store_outputs(node, values, scope, emitter, importer));
    if let Err(problem) = stored {
        fail(node, &label, Some(problem), scope, importer);
    }
}

/// The node's inputs; `None` if one comes from a node that failed.
fn read_inputs(node: &NodeProto, scope: &Scope) -> Result<Option<Vec<Option<Value>>>, String> {
    let mut inputs = Vec::with_capacity(node.input.len());
    for name in &node.input {
        if name.is_empty() {
            inputs.push(None);
            continue;
        }
        match scope.lookup(name) {
            Some(Slot::Ready(value)) => inputs.push(Some(value.clone())),
            Some(Slot::Failed) => return Ok(None),
            None => {
                return Err(format!("input `{name}` is not a graph input, an initializer or an earlier node's output"))
            }
        }
    }
    Ok(Some(inputs))
}

/// Binds each named output: run-time expressions to a variable named after
/// the ONNX value, constants remembered under its name.
fn store_outputs(
    node: &NodeProto,
    values: Vec<Value>,
    scope: &mut Scope,
    emitter: &mut Emitter,
    importer: &mut Importer,
) -> Result<(), String> {
    let count = values.len();
    let mut values = values.into_iter();
    for (k, name) in node.output.iter().enumerate() {
        let value = values.next();
        if name.is_empty() {
            continue;
        }
        let value = value.ok_or_else(|| format!("output {k} (`{name}`) is not produced (the node gives {count})"))?;
        let value = match value {
            Value::Tensor(t) if !matches!(t.expr.kind, ExprKind::Var(_) | ExprKind::Constant(_)) => {
                let var = emitter.bind(importer.names.fresh(name), t.expr);
                Value::Tensor(Tensor { expr: var, info: t.info })
            }
            Value::Const(array) => {
                importer.constants.hint(&array, name);
                Value::Const(array)
            }
            other => other,
        };
        scope.insert(name, value);
    }
    Ok(())
}

/// Reports `problem` (if the node has its own), marks the outputs failed, and
/// still checks the declarations of nodes in its subgraphs.
fn fail(node: &NodeProto, label: &str, problem: Option<String>, scope: &mut Scope, importer: &mut Importer) {
    if let Some(problem) = problem {
        importer.report(format!("{label}: {problem}"));
    }
    node.output.iter().filter(|name| !name.is_empty()).for_each(|name| scope.fail(name));
    check_subgraphs(node, label, importer);
}

/// Declaration checks of every node inside `node`'s subgraphs.
fn check_subgraphs(node: &NodeProto, label: &str, importer: &mut Importer) {
    for (attribute, graph) in Attributes::new(&node.attribute).subgraphs() {
        let within = format!("the {attribute} of {label}");
        for inner in &graph.node {
            let inner_label = self::label(inner, &within);
            if let Err(problem) = check_node(inner, &importer.opsets) {
                importer.report(format!("{inner_label}: {problem}"));
            }
            check_subgraphs(inner, &inner_label, importer);
        }
    }
}

/// Converts a subgraph (an `If` branch) that sees `parent`'s names, into
/// `emitter`; its output values, or `None` if any of its nodes failed (each
/// failure is reported).
pub fn convert_subgraph(
    graph: &GraphProto,
    within: &str,
    parent: &Scope,
    emitter: &mut Emitter,
    importer: &mut Importer,
) -> Option<Vec<Value>> {
    convert_body(graph, within, parent, Vec::new(), emitter, importer)
}

/// Converts a subgraph whose inputs are `inputs`, in order (a loop body's
/// parameters), like [`convert_subgraph`].
pub fn convert_body(
    graph: &GraphProto,
    within: &str,
    parent: &Scope,
    inputs: Vec<Value>,
    emitter: &mut Emitter,
    importer: &mut Importer,
) -> Option<Vec<Value>> {
    let problems_before = importer.problem_count();
    let mut scope = Scope::child(parent);
    bind_initializers(graph, &mut scope, importer);
    if graph.input.len() != inputs.len() {
        importer.report(format!("{within}: has {} inputs, expected {}", graph.input.len(), inputs.len()));
        return None;
    }
    for (input, value) in graph.input.iter().zip(inputs) {
        scope.insert(input.name(), value);
    }
    convert_nodes(graph, within, &mut scope, emitter, importer);
    let mut outputs = Vec::with_capacity(graph.output.len());
    for output in &graph.output {
        match scope.lookup(output.name()) {
            Some(Slot::Ready(value)) => outputs.push(value.clone()),
            Some(Slot::Failed) => return None,
            None => {
                importer.report(format!("{within}: output `{}` is not produced by any node", output.name()));
                return None;
            }
        }
    }
    (importer.problem_count() == problems_before).then_some(outputs)
}
