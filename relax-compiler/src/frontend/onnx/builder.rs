//! Writing ONNX models from Rust: graphs, nodes, attributes and tensors as
//! the prost messages, with the boilerplate of proto2's optional fields
//! filled in. Tests use it to build models without Python; a program that
//! generates models can too.
//!
//! ```
//! use relax_compiler::frontend::onnx::builder::{attr_int, node, GraphBuilder};
//! use relax_compiler::ir::Dim;
//! use relax_rt::DType;
//!
//! let model = GraphBuilder::new("net")
//!     .input("x", DType::F32, &[Dim::var("batch"), Dim::Int(4)])
//!     .node(node("Softmax", &["x"], &["y"]).with_attr(attr_int("axis", 1)))
//!     .output("y")
//!     .model(17);
//! assert_eq!(model.graph.unwrap().node.len(), 1);
//! ```

use super::dtype::onnx_type;
use super::packing::{is_packed, pack};
use super::proto::attribute_proto::AttributeType;
use super::proto::tensor_shape_proto::{dimension, Dimension};
use super::proto::type_proto;
use super::proto::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};
use crate::ir::Dim;
use crate::ndarray::NDArray;
use relax_rt::DType;

/// The IR version written: ONNX 1.16's, which every current reader accepts.
const IR_VERSION: i64 = 10;

/// A graph under construction.
pub struct GraphBuilder {
    graph: GraphProto,
}

impl GraphBuilder {
    pub fn new(name: &str) -> GraphBuilder {
        GraphBuilder { graph: GraphProto { name: Some(name.to_string()), ..Default::default() } }
    }

    /// A graph input; `Dim::Var` dims are written as `dim_param`s, and any
    /// other symbolic dim as an unknown one.
    pub fn input(mut self, name: &str, dtype: DType, shape: &[Dim]) -> GraphBuilder {
        self.graph.input.push(value_info(name, dtype, Some(shape)));
        self
    }

    /// A graph input whose shape (and so rank) is not declared.
    pub fn input_without_shape(mut self, name: &str, dtype: DType) -> GraphBuilder {
        self.graph.input.push(value_info(name, dtype, None));
        self
    }

    /// A graph output. Its type is left undeclared (importers infer it).
    pub fn output(mut self, name: &str) -> GraphBuilder {
        self.graph.output.push(ValueInfoProto { name: Some(name.to_string()), ..Default::default() });
        self
    }

    pub fn initializer(mut self, name: &str, array: &NDArray) -> GraphBuilder {
        self.graph.initializer.push(tensor_proto(name, array));
        self
    }

    /// An initializer already in protobuf form (external data, typed fields).
    pub fn initializer_proto(mut self, tensor: TensorProto) -> GraphBuilder {
        self.graph.initializer.push(tensor);
        self
    }

    pub fn node(mut self, node: NodeProto) -> GraphBuilder {
        self.graph.node.push(node);
        self
    }

    pub fn build(self) -> GraphProto {
        self.graph
    }

    /// A model of this graph importing `opset` of the default domain.
    pub fn model(self, opset: i64) -> ModelProto {
        self.model_importing(&[("", opset)])
    }

    /// A model of this graph importing each `(domain, version)` of
    /// `imports` (`""` is the default domain).
    pub fn model_importing(self, imports: &[(&str, i64)]) -> ModelProto {
        let opset_import = imports
            .iter()
            .map(|(domain, version)| OperatorSetIdProto { domain: Some(domain.to_string()), version: Some(*version) })
            .collect();
        ModelProto {
            ir_version: Some(IR_VERSION),
            opset_import,
            producer_name: Some("relax-rs".to_string()),
            graph: Some(self.graph),
            ..Default::default()
        }
    }
}

/// A node of the default domain, named after its first output.
pub fn node(op_type: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        name: outputs.first().map(|o| o.to_string()),
        op_type: Some(op_type.to_string()),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

impl NodeProto {
    pub fn with_attr(mut self, attr: AttributeProto) -> NodeProto {
        self.attribute.push(attr);
        self
    }

    pub fn with_name(mut self, name: &str) -> NodeProto {
        self.name = Some(name.to_string());
        self
    }

    pub fn with_domain(mut self, domain: &str) -> NodeProto {
        self.domain = Some(domain.to_string());
        self
    }
}

fn attr(name: &str, kind: AttributeType) -> AttributeProto {
    AttributeProto { name: Some(name.to_string()), r#type: Some(kind as i32), ..Default::default() }
}

pub fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto { i: Some(value), ..attr(name, AttributeType::Int) }
}

pub fn attr_ints(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto { ints: values.to_vec(), ..attr(name, AttributeType::Ints) }
}

pub fn attr_float(name: &str, value: f32) -> AttributeProto {
    AttributeProto { f: Some(value), ..attr(name, AttributeType::Float) }
}

pub fn attr_floats(name: &str, values: &[f32]) -> AttributeProto {
    AttributeProto { floats: values.to_vec(), ..attr(name, AttributeType::Floats) }
}

pub fn attr_string(name: &str, value: &str) -> AttributeProto {
    AttributeProto { s: Some(value.as_bytes().to_vec()), ..attr(name, AttributeType::String) }
}

pub fn attr_tensor(name: &str, array: &NDArray) -> AttributeProto {
    AttributeProto { t: Some(tensor_proto("", array)), ..attr(name, AttributeType::Tensor) }
}

pub fn attr_graph(name: &str, graph: GraphProto) -> AttributeProto {
    AttributeProto { g: Some(graph), ..attr(name, AttributeType::Graph) }
}

/// A tensor with its elements as little-endian `raw_data` (4- and 2-bit
/// types packed, as ONNX stores them).
pub fn tensor_proto(name: &str, array: &NDArray) -> TensorProto {
    let bytes = array.to_bytes();
    let raw = if is_packed(array.dtype()) { pack(array.dtype(), &bytes) } else { bytes };
    TensorProto {
        name: Some(name.to_string()),
        data_type: Some(onnx_type(array.dtype()) as i32),
        dims: array.shape().iter().map(|&d| d as i64).collect(),
        raw_data: Some(raw),
        ..Default::default()
    }
}

fn value_info(name: &str, dtype: DType, shape: Option<&[Dim]>) -> ValueInfoProto {
    let dim = |d: &Dim| Dimension {
        value: match d {
            Dim::Int(v) => Some(dimension::Value::DimValue(*v)),
            Dim::Var(p) => Some(dimension::Value::DimParam(p.clone())),
            _ => None,
        },
        ..Default::default()
    };
    let shape = shape.map(|s| TensorShapeProto { dim: s.iter().map(dim).collect() });
    let tensor = type_proto::Tensor { elem_type: Some(onnx_type(dtype) as i32), shape };
    ValueInfoProto {
        name: Some(name.to_string()),
        r#type: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }),
        ..Default::default()
    }
}
