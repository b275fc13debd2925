//! Whether a node can be converted, judged from its declaration alone (domain,
//! operator, opset, attributes, outputs), before any value is known. Every
//! node of a model is judged, so the import error lists all of them.

use super::attrs::Attributes;
use super::ops::{lookup, Converter};
use super::opsets::{self, Opsets};
use super::proto::NodeProto;

/// The node's converter and the imported version of its domain, or every
/// reason it cannot be converted, joined.
pub fn check_node(node: &NodeProto, opsets: &Opsets) -> Result<(&'static Converter, i64), String> {
    let (op_type, domain) = (node.op_type(), opsets::canonical(node.domain()));
    let Some(known) = opsets::versions(domain) else {
        return Err(format!("operator {op_type} of domain `{domain}` is not supported"));
    };
    let Some(opset) = opsets.version(domain) else {
        let range = format!("{} to {}", known.start(), known.end());
        return Err(format!(
            "operator {op_type} is in the domain {domain}, but the model imports no version of it \
                            (supported: {range})"
        ));
    };
    let converter = lookup(domain, op_type).ok_or_else(|| match domain {
        opsets::DEFAULT => format!("operator {op_type} is not supported (opset {opset})"),
        _ => format!("operator {op_type} of domain {domain} is not supported (version {opset})"),
    })?;
    if opset < converter.since {
        return Err(format!(
            "{op_type} does not exist before opset {} of {domain}, and the model imports opset {opset}",
            converter.since
        ));
    }
    let problems = declaration_problems(node, converter, opset);
    if problems.is_empty() {
        Ok((converter, opset))
    } else {
        Err(problems.join("; "))
    }
}

fn declaration_problems(node: &NodeProto, converter: &Converter, opset: i64) -> Vec<String> {
    let attrs = Attributes::new(&node.attribute);
    let mut problems: Vec<String> = attrs
        .names()
        .filter(|name| !converter.attributes.contains(name))
        .map(|name| format!("attribute `{name}` is not supported"))
        .collect();
    problems.extend(
        attrs.references().map(|name| format!("attribute `{name}` refers to an enclosing function's attribute")),
    );
    if let Err(problem) = (converter.check)(&attrs, opset) {
        problems.push(problem);
    }
    let extra: Vec<String> = node
        .output
        .iter()
        .enumerate()
        .skip(converter.max_outputs)
        .filter(|(_, name)| !name.is_empty())
        .map(|(k, name)| format!("{k} (`{name}`)"))
        .collect();
    if !extra.is_empty() {
        problems.push(format!("output {} is not supported", extra.join(", ")));
    }
    problems
}
