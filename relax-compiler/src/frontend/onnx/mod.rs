//! ONNX import: a `.onnx` model to an [`IRModule`] with one public graph
//! function (`forward` by default).
//!
//! The function takes one parameter per graph input that is not an
//! initializer (named after it, as an identifier: see [`names`]) and returns
//! the graph outputs, as a tuple when there are several. Initializers become
//! module constants when run-time operations read them; data in external
//! files is read relative to the model. `dim_param` dims become symbolic
//! dims, unless [`OnnxOptions::dims`] pins them.
//!
//! Nodes are converted in order by the converters in [`ops`], with what is
//! known at compile time folded on the way: constant subgraphs are evaluated
//! with the operators' reference semantics, and shape arithmetic stays
//! symbolic (see [`value`]). A model that cannot be imported gives one error
//! listing every node that cannot be converted, each with its name and
//! operator.
//!
//! Opsets 7 to 28 of the default domain are supported, and the `ai.onnx.ml`
//! and `ai.onnx.preview.training` domains (see [`opsets`]); a model may import
//! only those.

mod attrs;
mod broadcast_checks;
pub mod builder;
mod constants;
mod context;
mod dtype;
mod emitter;
mod external;
pub use external::external_files;
mod graph;
mod importer;
pub mod names;
pub mod ops;
pub mod opsets;
mod packing;
pub mod proto;
mod run_time_axes;
mod scope;
mod shape_value;
mod signature;
mod support;
mod tensor;
pub mod value;

use crate::error::{Error, Result, Span};
use crate::ir::{Function, IRModule};
use crate::ndarray::NDArray;
use emitter::Emitter;
use external::ExternalData;
use importer::Importer;
use opsets::Opsets;
use proto::{Message, ModelProto};
use scope::Scope;
use std::collections::BTreeMap;
use std::path::Path;

/// The range of default-domain opsets the importer implements (the other
/// domains' are in [`opsets`]).
pub const OPSETS: std::ops::RangeInclusive<i64> = 7..=28;

/// How to import a model.
#[derive(Clone, Debug, PartialEq)]
pub struct OnnxOptions {
    /// Fixed values for `dim_param`s (`batch = 1`): the dims become constants.
    pub dims: BTreeMap<String, i64>,
    /// Upper bounds for `dim_param`s (`batch <= 64`): each must name a
    /// `dim_param`; they become the function's `dim_max` (checked at run
    /// time, and giving a maximum workspace size).
    pub dim_max: BTreeMap<String, i64>,
    /// The name of the generated function.
    pub function_name: String,
}

impl Default for OnnxOptions {
    fn default() -> OnnxOptions {
        OnnxOptions { dims: BTreeMap::new(), dim_max: BTreeMap::new(), function_name: "forward".to_string() }
    }
}

/// Imports the model at `path`; external data is read relative to it. The
/// module is named after the file's stem.
pub fn import_file(path: &Path, options: &OnnxOptions) -> Result<IRModule> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::msg(format!("cannot read ONNX model {}: {e}", path.display())))?;
    let base_dir = path.parent().unwrap_or(Path::new("."));
    let stem = path.file_stem().map_or("model".into(), |s| s.to_string_lossy());
    import_bytes(&bytes, base_dir, &stem, options).map_err(|e| e.context(path.display()))
}

/// Imports a model from its bytes. `base_dir` resolves external data; `name`
/// names the module.
pub fn import_bytes(bytes: &[u8], base_dir: &Path, name: &str, options: &OnnxOptions) -> Result<IRModule> {
    let model = ModelProto::decode(bytes).map_err(|e| Error::msg(format!("not a valid ONNX model: {e}")))?;
    let opsets = Opsets::of_model(&model)?;
    let graph = model.graph.as_ref().ok_or_else(|| Error::msg("the model has no graph"))?;
    let mut importer = Importer::new(opsets, ExternalData::new(base_dir));
    let mut scope = Scope::default();
    let mut emitter = Emitter::default();
    graph::bind_initializers(graph, &mut scope, &mut importer);
    let params = signature::bind_params(graph, options, &mut scope, &mut importer);
    graph::convert_nodes(graph, "", &mut scope, &mut emitter, &mut importer);
    let results = signature::bind_results(graph, &scope, &mut emitter, &mut importer);
    drop(scope);
    let value_dims = std::mem::take(&mut importer.value_dims);
    let derived_dims = std::mem::take(&mut importer.derived_dims);
    let dim_max = std::mem::take(&mut importer.dim_max);
    let constants = importer.finish()?;
    let (result, ret) = signature::result_of(results);
    let function = Function {
        name: options.function_name.clone(),
        params,
        value_dims,
        derived_dims,
        dim_max,
        ret,
        body: emitter.finish(result),
        public: true,
        memory: None,
        span: Span::NONE,
    };
    Ok(IRModule { name: names::sanitize(name), functions: vec![function], constants, ..IRModule::default() })
}

/// Decodes a serialized `TensorProto` (the `.pb` files of ONNX test data
/// sets) into an array of the same element type.
pub fn read_tensor(bytes: &[u8]) -> Result<NDArray> {
    let tensor = proto::TensorProto::decode(bytes).map_err(|e| Error::msg(format!("not a valid ONNX tensor: {e}")))?;
    tensor::to_ndarray(&tensor, &ExternalData::new(Path::new(".")))
        .map_err(|e| Error::msg(format!("tensor `{}`: {e}", tensor.name())))
}
