//! Running a model as native code: compiled for this machine by `relax-build`
//! (the passes, LLVM codegen, archive and symbol names a crate's `build.rs`
//! gets), linked into a shared library with `cc`, loaded with `libloading`, and
//! called through `relax_rt::invoke`, the call path of generated wrappers.
//!
//! Loading the real archive rather than JIT-compiling the module
//! (`relax_targets::jit`) means a passing `relaxc test` vouches for the exact
//! artifact users link, object file and archive writer included.

use crate::error::{CliError, Result};
use crate::model_file::ModelFile;
use crate::{host, linker, signature};
use libloading::Library;
use relax_build::BuildEnv;
use relax_compiler::ir::entry::EntryFunc;
use relax_rt::abi::{PrepareFn, RunFn, RunWithConstantsFn};
use relax_rt::invoke::{invoke, invoke_into, invoke_into_with_weights, invoke_with_weights, ArgMut, ArgRef, Signature};
use relax_rt::weights::WeightsSig;
use relax_rt::{DynTensor, Weights, Workspace};
use std::sync::Arc;
use tempfile::TempDir;

/// One exported function of a loaded model.
pub struct NativeEntry {
    /// What the compiler declared: parameter names, dtypes and shapes.
    pub func: EntryFunc,
    signature: &'static Signature,
    prepare: PrepareFn,
    run: Run,
}

/// A run function: self-contained, or taking the constants of a model
/// compiled with separate weights (loaded once, shared by its entries).
enum Run {
    Embedded(RunFn),
    WithWeights(RunWithConstantsFn, &'static WeightsSig, Arc<Weights>),
}

/// A compiled model loaded into this process. Its entries' function pointers
/// point into `library`, so they are only reachable through `&self`.
pub struct NativeModel {
    pub module_name: String,
    entries: Vec<NativeEntry>,
    _library: Library,
    /// Holds the archive and the shared library until the model is dropped.
    _scratch: TempDir,
}

impl NativeModel {
    /// Compiles `file` for this machine and loads it.
    pub fn compile(file: &ModelFile) -> Result<NativeModel> {
        // The pipeline alone first: it reports unsupported operators without
        // waiting for code generation, and gives the entries' descriptions.
        let module = file.model().compile_module().map_err(|e| file.error(&e))?;
        let scratch = tempfile::Builder::new()
            .prefix("relaxc-")
            .tempdir()
            .map_err(|e| CliError::new(format!("cannot create a scratch directory: {e}")))?;
        let env = BuildEnv { target: host::TRIPLE.into(), features: host::features(), out_dir: scratch.path().into() };
        let artifacts = file.model().compile(&env).map_err(|e| file.error(&e))?;
        let library_path = linker::link_shared(&artifacts.archive, scratch.path())?;
        // SAFETY: the library is our own archive's code; loading it runs no
        // initializers beyond the C runtime's.
        let library = unsafe { Library::new(&library_path) }
            .map_err(|e| CliError::new(format!("cannot load {}: {e}", library_path.display())))?;
        let weights = match &artifacts.weights {
            Some(path) => {
                let sig = signature::weights_signature(&module);
                let weights = Weights::load(sig, path).map_err(|e| CliError::new(e.message))?;
                Some((sig, Arc::new(weights)))
            }
            None => None,
        };
        let entries = module
            .entries
            .iter()
            .map(|e| load_entry(&library, &artifacts.lib_name, &module.name, e, weights.clone()))
            .collect::<Result<_>>()?;
        Ok(NativeModel { module_name: module.name, entries, _library: library, _scratch: scratch })
    }

    /// The entry named `name`, or the only one when no name is given.
    pub fn entry(&self, name: Option<&str>) -> Result<&NativeEntry> {
        let names = || self.entries.iter().map(|e| format!("`{}`", e.func.name)).collect::<Vec<_>>().join(", ");
        match name {
            Some(name) => self.entries.iter().find(|e| e.func.name == name).ok_or_else(|| {
                CliError::new(format!("model `{}` has no function `{name}`; it has {}", self.module_name, names()))
            }),
            None if self.entries.is_empty() => {
                Err(CliError::new(format!("model `{}` exports no functions to run", self.module_name)))
            }
            None if self.entries.len() == 1 => Ok(&self.entries[0]),
            None => Err(CliError::new(format!(
                "model `{}` has {} functions ({}); choose one with --function",
                self.module_name,
                self.entries.len(),
                names()
            ))),
        }
    }
}

impl NativeEntry {
    /// Runs the function; a failed check becomes the message a generated
    /// wrapper would give (naming the parameter and both shapes).
    pub fn call(&self, inputs: &[&DynTensor]) -> std::result::Result<Vec<DynTensor>, relax_rt::Error> {
        let args: Vec<ArgRef<'_>> = inputs.iter().map(|t| ArgRef::from_dyn(t)).collect();
        let mut workspace = Workspace::new();
        match &self.run {
            Run::Embedded(run) => invoke(self.signature, &args, self.prepare, *run, &mut workspace),
            Run::WithWeights(run, sig, weights) => {
                invoke_with_weights(self.signature, sig, weights, &args, self.prepare, *run, &mut workspace)
            }
        }
    }
}

impl NativeEntry {
    /// Runs the function into outputs the caller allocated, reusing the
    /// caller's workspace: no tensor or workspace allocation per call (what a
    /// generated `f_into` does), so `relaxc bench` times the model, not the
    /// allocator. The outputs must have the shapes a first [`call`](Self::call) gave.
    pub fn call_into(
        &self,
        inputs: &[ArgRef<'_>],
        outputs: &mut [ArgMut<'_>],
        workspace: &mut Workspace,
    ) -> std::result::Result<(), relax_rt::Error> {
        match &self.run {
            Run::Embedded(run) => invoke_into(self.signature, inputs, outputs, self.prepare, *run, workspace),
            Run::WithWeights(run, sig, weights) => {
                invoke_into_with_weights(self.signature, sig, weights, inputs, outputs, self.prepare, *run, workspace)
            }
        }
    }
}

fn load_entry(
    library: &Library,
    symbol_prefix: &str,
    module: &str,
    func: &EntryFunc,
    weights: Option<(&'static WeightsSig, Arc<Weights>)>,
) -> Result<NativeEntry> {
    let symbol = format!("{symbol_prefix}_{}", func.name);
    let prepare_symbol = format!("{symbol}_prepare");
    // SAFETY: generated entries have exactly the `relax_rt::abi` signatures
    // (the run function takes the constant table when the model was compiled
    // with separate weights); the pointers are used only while `library` is
    // loaded (see `NativeModel`).
    let (prepare, run) = unsafe {
        let prepare = library.get::<PrepareFn>(prepare_symbol.as_bytes()).map_err(|e| missing(&prepare_symbol, e))?;
        let run = match weights {
            None => Run::Embedded(*library.get::<RunFn>(symbol.as_bytes()).map_err(|e| missing(&symbol, e))?),
            Some((sig, weights)) => {
                let run = library.get::<RunWithConstantsFn>(symbol.as_bytes()).map_err(|e| missing(&symbol, e))?;
                Run::WithWeights(*run, sig, weights)
            }
        };
        (*prepare, run)
    };
    Ok(NativeEntry { func: func.clone(), signature: signature::signature(module, func), prepare, run })
}

fn missing(symbol: &str, error: libloading::Error) -> CliError {
    CliError::new(format!("the compiled model has no symbol `{symbol}` ({error}); this is a bug in relax-rs"))
}
