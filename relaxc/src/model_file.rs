//! A model file named on the command line: which frontend reads it (by its
//! extension), the import options that apply to it, and its compiler errors
//! rendered against it.

use crate::error::{CliError, Result};
use relax_build::Model;
use relax_compiler::frontend::onnx::proto::{Message, ModelProto};
use relax_compiler::ir::entry::EntryFunc;
use relax_compiler::IRModule;
use std::path::{Path, PathBuf};

/// Values for an ONNX model's symbolic dims (`--dim n=4`) and upper bounds
/// for the ones left symbolic (`--dim-max n=64`), checked at run time and
/// giving the workspace size a maximum. `.relax` files state their dims in their own text, but may be bounded.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    pub dims: Vec<(String, i64)>,
    pub dim_max: Vec<(String, i64)>,
}

/// The formats `relaxc` reads, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Relax,
    Onnx,
}

impl Format {
    fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "relax" => Some(Format::Relax),
            "onnx" => Some(Format::Onnx),
            _ => None,
        }
    }
}

/// A readable model file and the `relax_build::Model` that compiles it.
pub struct ModelFile {
    path: PathBuf,
    format: Format,
    model: Model,
}

impl ModelFile {
    /// Checks that `path` exists and has a known format; nothing is parsed yet.
    pub fn open(path: &Path, options: &ImportOptions) -> Result<ModelFile> {
        std::fs::metadata(path).map_err(|e| CliError::io("read", path, e))?;
        let format = Format::of(path)
            .ok_or_else(|| CliError::in_file(path, "unknown model format: relaxc reads `.onnx` and `.relax` files"))?;
        let model = match format {
            Format::Relax if !options.dims.is_empty() => {
                return Err(CliError::in_file(
                    path,
                    "--dim applies to ONNX models; a `.relax` file states its dims in its own text",
                ))
            }
            Format::Relax => bounded(Model::from_file(path), options),
            Format::Onnx => onnx_model(path, options),
        };
        Ok(ModelFile { path: path.to_path_buf(), format, model })
    }

    /// Compiles with separate weights (see `relax_build::Model::separate_weights`).
    pub fn separate_weights(mut self, separate: bool) -> ModelFile {
        self.model = self.model.separate_weights(separate);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The file's name for messages (`digits.relax`), without its directory.
    pub fn display_name(&self) -> String {
        self.path.file_name().map_or_else(|| self.path.display().to_string(), |n| n.to_string_lossy().into_owned())
    }

    /// Parses (or imports) the file into a module, before any pass.
    pub fn load(&self) -> Result<IRModule> {
        self.model.load().map_err(|e| self.error(&e))
    }

    /// The names of `entry`'s outputs as the model file gives them: an ONNX
    /// graph's own output names (the compiled function renames them into
    /// identifiers), otherwise the names the compiler declared.
    pub fn output_names(&self, entry: &EntryFunc) -> Vec<String> {
        let declared = || entry.outputs.iter().map(|p| p.name.clone()).collect();
        if self.format != Format::Onnx {
            return declared();
        }
        match onnx_output_names(&self.path) {
            Some(names) if names.len() == entry.outputs.len() => names,
            _ => declared(),
        }
    }

    /// A compiler error, rendered against this file: `file:line:col: error: ...`
    /// for text sources, `file: error: ...` naming the node for ONNX.
    pub fn error(&self, error: &relax_compiler::Error) -> CliError {
        CliError::rendered(error.render(self.model.source()))
    }
}

fn onnx_model(path: &Path, options: &ImportOptions) -> Model {
    let mut model = Model::onnx(path);
    for (name, value) in &options.dims {
        model = model.dim(name, *value);
    }
    bounded(model, options)
}

/// `model` with the `--dim-max` bounds.
fn bounded(mut model: Model, options: &ImportOptions) -> Model {
    for (name, value) in &options.dim_max {
        model = model.dim_max(name, *value);
    }
    model
}

/// The graph output names of the ONNX model at `path`, if it reads.
fn onnx_output_names(path: &Path) -> Option<Vec<String>> {
    let bytes = std::fs::read(path).ok()?;
    let graph = ModelProto::decode(bytes.as_slice()).ok()?.graph?;
    Some(graph.output.iter().map(|o| o.name().to_string()).collect())
}
