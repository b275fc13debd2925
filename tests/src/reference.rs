//! Expected outputs, computed by the compiler's reference interpreter from the
//! same model source and weights the examples compile.

use crate::error::{Error, Result};
use relax_compiler::frontend::relax_text;
use relax_compiler::interp::{run_function, Value};
use relax_compiler::{IRModule, NDArray, Source};
use std::path::Path;

/// A parsed model with its weights, and its source for rendering errors.
pub struct Model {
    module: IRModule,
    source: Source,
}

impl Model {
    /// Loads a `.relax` file; its `#[weights = ...]` path is relative to the file.
    pub fn from_file(path: &Path) -> Result<Model> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
        let base_dir = path.parent().unwrap_or(Path::new("."));
        Model::from_text(&path.display().to_string(), &text, base_dir)
    }

    /// Parses model text named `name` in errors; `base_dir` resolves the weights path.
    pub fn from_text(name: &str, text: &str, base_dir: &Path) -> Result<Model> {
        let source = Source::new(name, text);
        let module = relax_text::load(text, base_dir).map_err(|e| Error::new(e.render(&source)))?;
        Ok(Model { module, source })
    }

    pub fn module(&self) -> &IRModule {
        &self.module
    }

    /// Runs `function` on one tensor and returns its one tensor result.
    pub fn run(&self, function: &str, input: NDArray) -> Result<NDArray> {
        let fail = |e: String| Error::new(format!("interpreting `{function}` of {}: {e}", self.source.name));
        let value = run_function(&self.module, function, vec![Value::Tensor(input)])
            .map_err(|e| fail(e.render(&self.source)))?;
        value.tensor().cloned().map_err(fail)
    }
}
