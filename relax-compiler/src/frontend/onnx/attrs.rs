//! Typed access to a node's attributes, with errors that name the attribute.
//!
//! An attribute's kind is its `type` field; models from before IR version 2
//! may leave it unset, and then it is the one value field that is filled.

use super::proto::attribute_proto::AttributeType;
use super::proto::{AttributeProto, GraphProto, TensorProto};

/// The attributes of one node.
#[derive(Clone, Copy)]
pub struct Attributes<'a> {
    list: &'a [AttributeProto],
}

impl<'a> Attributes<'a> {
    pub fn new(list: &'a [AttributeProto]) -> Attributes<'a> {
        Attributes { list }
    }

    pub fn names(&self) -> impl Iterator<Item = &'a str> {
        self.list.iter().map(|a| a.name.as_deref().unwrap_or(""))
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    fn get(&self, name: &str) -> Option<&'a AttributeProto> {
        self.list.iter().find(|a| a.name.as_deref() == Some(name))
    }

    /// The attribute `name` if it is present, checked to be of kind `want`.
    fn typed(&self, name: &str, want: AttributeType) -> Result<Option<&'a AttributeProto>, String> {
        let Some(attr) = self.get(name) else { return Ok(None) };
        match kind(attr) {
            k if k == want => Ok(Some(attr)),
            k => Err(format!("attribute `{name}` must be {}, got {}", want.as_str_name(), k.as_str_name())),
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, String> {
        Ok(self.typed(name, AttributeType::Int)?.map(|a| a.i.unwrap_or(0)))
    }

    pub fn int_or(&self, name: &str, default: i64) -> Result<i64, String> {
        Ok(self.int(name)?.unwrap_or(default))
    }

    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, String> {
        Ok(self.typed(name, AttributeType::Ints)?.map(|a| a.ints.clone()))
    }

    /// A float attribute, widened to f64 (ONNX stores f32).
    pub fn float_or(&self, name: &str, default: f64) -> Result<f64, String> {
        Ok(self.typed(name, AttributeType::Float)?.map_or(default, |a| a.f.unwrap_or(0.0) as f64))
    }

    pub fn floats(&self, name: &str) -> Result<Option<Vec<f64>>, String> {
        Ok(self.typed(name, AttributeType::Floats)?.map(|a| a.floats.iter().map(|&v| v as f64).collect()))
    }

    pub fn string_or(&self, name: &str, default: &str) -> Result<String, String> {
        let Some(attr) = self.typed(name, AttributeType::String)? else { return Ok(default.to_string()) };
        String::from_utf8(attr.s.clone().unwrap_or_default())
            .map_err(|_| format!("attribute `{name}` is not valid UTF-8"))
    }

    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, String> {
        let Some(attr) = self.typed(name, AttributeType::Strings)? else { return Ok(None) };
        let decode =
            |s: &Vec<u8>| String::from_utf8(s.clone()).map_err(|_| format!("attribute `{name}` is not valid UTF-8"));
        attr.strings.iter().map(decode).collect::<Result<Vec<_>, _>>().map(Some)
    }

    pub fn tensor(&self, name: &str) -> Result<Option<&'a TensorProto>, String> {
        Ok(self.typed(name, AttributeType::Tensor)?.and_then(|a| a.t.as_ref()))
    }

    pub fn graph(&self, name: &str) -> Result<Option<&'a GraphProto>, String> {
        Ok(self.typed(name, AttributeType::Graph)?.and_then(|a| a.g.as_ref()))
    }

    /// Every graph-valued attribute (control-flow bodies), for checks that
    /// look inside subgraphs.
    pub fn subgraphs(&self) -> impl Iterator<Item = (&'a str, &'a GraphProto)> {
        self.list.iter().flat_map(|a| {
            let name = a.name.as_deref().unwrap_or("");
            a.g.iter().chain(&a.graphs).map(move |g| (name, g))
        })
    }

    /// Attributes that refer to an enclosing function's attributes
    /// (`ref_attr_name`), which only make sense inside ONNX functions.
    pub fn references(&self) -> impl Iterator<Item = &'a str> {
        self.list.iter().filter(|a| a.ref_attr_name.is_some()).map(|a| a.name.as_deref().unwrap_or(""))
    }
}

/// The attribute's kind: its `type`, or else the value field that is set.
fn kind(attr: &AttributeProto) -> AttributeType {
    let declared = attr.r#type.and_then(|t| AttributeType::try_from(t).ok());
    match declared {
        Some(t) if t != AttributeType::Undefined => t,
        _ => inferred_kind(attr),
    }
}

fn inferred_kind(attr: &AttributeProto) -> AttributeType {
    let singular = [
        (attr.f.is_some(), AttributeType::Float),
        (attr.i.is_some(), AttributeType::Int),
        (attr.s.is_some(), AttributeType::String),
        (attr.t.is_some(), AttributeType::Tensor),
        (attr.g.is_some(), AttributeType::Graph),
        (!attr.floats.is_empty(), AttributeType::Floats),
        (!attr.ints.is_empty(), AttributeType::Ints),
        (!attr.strings.is_empty(), AttributeType::Strings),
        (!attr.tensors.is_empty(), AttributeType::Tensors),
        (!attr.graphs.is_empty(), AttributeType::Graphs),
    ];
    singular.into_iter().find(|(set, _)| *set).map_or(AttributeType::Undefined, |(_, t)| t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, kind: Option<AttributeType>, fill: impl FnOnce(&mut AttributeProto)) -> AttributeProto {
        let mut a = AttributeProto { name: Some(name.into()), r#type: kind.map(|k| k as i32), ..Default::default() };
        fill(&mut a);
        a
    }

    #[test]
    fn reads_typed_values_and_defaults() {
        let list = [
            attr("axis", Some(AttributeType::Int), |a| a.i = Some(-1)),
            attr("alpha", Some(AttributeType::Float), |a| a.f = Some(0.5)),
            attr("perm", Some(AttributeType::Ints), |a| a.ints = vec![1, 0]),
            attr("mode", None, |a| a.s = Some(b"SAME_UPPER".to_vec())),
            attr("empty", Some(AttributeType::Ints), |_| {}),
        ];
        let attrs = Attributes::new(&list);
        assert_eq!(attrs.int_or("axis", 0), Ok(-1));
        assert_eq!(attrs.int_or("keepdims", 1), Ok(1));
        assert_eq!(attrs.float_or("alpha", 1.0), Ok(0.5));
        assert_eq!(attrs.ints("perm"), Ok(Some(vec![1, 0])));
        assert_eq!(attrs.ints("empty"), Ok(Some(vec![])));
        assert_eq!(attrs.string_or("mode", "NOTSET"), Ok("SAME_UPPER".to_string()));
        assert_eq!(attrs.names().collect::<Vec<_>>(), ["axis", "alpha", "perm", "mode", "empty"]);
    }

    #[test]
    fn reports_the_wrong_kind() {
        let list = [attr("axis", Some(AttributeType::Float), |a| a.f = Some(1.0))];
        assert_eq!(Attributes::new(&list).int_or("axis", 0), Err("attribute `axis` must be INT, got FLOAT".into()));
    }
}
