//! `Model`: one model source, compiled for one target into linkable artifacts.

use crate::cache::artifact_key;
use crate::cargo::BuildEnv;
use crate::{header, wrapper};
use relax_compiler::frontend::onnx::proto::{Message, ModelProto};
use relax_compiler::frontend::onnx::{self, OnnxOptions};
use relax_compiler::frontend::relax_text;
use relax_compiler::pipeline::{self, Options};
use relax_compiler::{Error, IRModule, Source};
use relax_targets::{emit_object_with, write_archive, Constants, Target};
use std::path::{Path, PathBuf};

/// How the generated code is produced and what it refers to.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Print the module after every pass into this directory.
    pub dump_dir: Option<PathBuf>,
    /// The path of the runtime crate in generated Rust code.
    pub runtime_path: String,
    /// Put `#[link(name = ..., kind = "static")]` on the extern block (the
    /// macro does; build scripts print `cargo:rustc-link-lib` instead).
    pub link_attribute: bool,
    /// Write the constants to a safetensors file beside the archive, loaded at
    /// run time, instead of embedding them (see [`Model::separate_weights`]).
    pub separate_weights: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            dump_dir: std::env::var_os("RELAX_DUMP").map(PathBuf::from),
            runtime_path: "::relax_rt".into(),
            link_attribute: false,
            separate_weights: false,
        }
    }
}

/// What a compile produced, all written to the output directory.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// The model's module name (`mod digits` -> `digits`).
    pub name: String,
    /// The static library name (`lib<lib_name>.a`), unique per content hash.
    pub lib_name: String,
    pub archive: PathBuf,
    /// The typed Rust wrapper module.
    pub wrapper: String,
    pub wrapper_path: PathBuf,
    /// The C header for the archive.
    pub header: String,
    /// With separate weights: the safetensors file holding the constants.
    pub weights: Option<PathBuf>,
    /// Files the build depends on (for `rerun-if-changed`).
    pub inputs: Vec<PathBuf>,
}

/// Which frontend reads a model.
#[derive(Clone, Debug)]
enum SourceKind {
    /// The text format: a `.relax` file or the `relax!` macro's tokens.
    RelaxText,
    /// An ONNX file, imported with these options as module `name`.
    Onnx { path: PathBuf, options: OnnxOptions, name: String },
}

/// A model source: a `.relax` file, text from the `relax!` macro or an ONNX file.
#[derive(Clone, Debug)]
pub struct Model {
    source: Source,
    base_dir: PathBuf,
    file: Option<PathBuf>,
    kind: SourceKind,
    /// `dim` calls on a text source, reported by `load` (the text declares
    /// its own dims).
    misplaced_dims: Vec<String>,
    /// `dim_max` calls on a text source: bounds added to the functions with
    /// such a dim, as `#[dim_max(..)]` in the text would.
    text_dim_max: Vec<(String, i64)>,
    pub options: CompileOptions,
}

impl Model {
    /// A `.relax` file; relative weight paths resolve against its directory.
    pub fn from_file(path: impl AsRef<Path>) -> Model {
        let path = path.as_ref().to_path_buf();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Model {
            source: Source::new(path.display().to_string(), text),
            base_dir,
            file: Some(path),
            kind: SourceKind::RelaxText,
            misplaced_dims: Vec::new(),
            text_dim_max: Vec::new(),
            options: CompileOptions::default(),
        }
    }

    /// An ONNX file; external tensor data resolves against its directory.
    /// Its `dim_param`s stay symbolic unless fixed with [`Model::dim`].
    pub fn onnx(path: impl AsRef<Path>) -> Model {
        let path = path.as_ref().to_path_buf();
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Model {
            source: Source::new(path.display().to_string(), String::new()),
            base_dir,
            file: Some(path.clone()),
            kind: SourceKind::Onnx { name: module_name_of(&path), path, options: OnnxOptions::default() },
            misplaced_dims: Vec::new(),
            text_dim_max: Vec::new(),
            options: CompileOptions::default(),
        }
    }

    /// Fixes an ONNX model's symbolic dim `name` (a `dim_param`) to `value`.
    pub fn dim(mut self, name: &str, value: i64) -> Model {
        match &mut self.kind {
            SourceKind::Onnx { options, .. } => {
                options.dims.insert(name.to_string(), value);
            }
            SourceKind::RelaxText => self.misplaced_dims.push(format!("dim(\"{name}\", {value})")),
        }
        self
    }

    /// Names an ONNX model's module (and so its wrapper file, `NAME.rs`, and
    /// native symbols) instead of the file's stem: model zoos name every
    /// file `model.onnx`, and two modules of one crate need two names.
    pub fn module_name(mut self, module: &str) -> Model {
        match &mut self.kind {
            SourceKind::Onnx { name, .. } => *name = module.to_string(),
            SourceKind::RelaxText => self.misplaced_dims.push(format!("module_name(\"{module}\")")),
        }
        self
    }

    /// Bounds a symbolic dim `name`: `name <= value` (an ONNX `dim_param`, or
    /// a dim of a `.relax` function's parameters). Larger inputs are a
    /// run-time error, and the wrapper gets the bound and, when the
    /// workspace size depends only on bounded dims, its maximum.
    pub fn dim_max(mut self, name: &str, value: i64) -> Model {
        match &mut self.kind {
            SourceKind::Onnx { options, .. } => {
                options.dim_max.insert(name.to_string(), value);
            }
            SourceKind::RelaxText => self.text_dim_max.push((name.to_string(), value)),
        }
        self
    }

    /// Source text named `name` in messages; weights resolve against `base_dir`.
    pub fn from_source(name: &str, text: &str, base_dir: impl AsRef<Path>) -> Model {
        Model {
            source: Source::new(name, text),
            base_dir: base_dir.as_ref().to_path_buf(),
            file: None,
            kind: SourceKind::RelaxText,
            misplaced_dims: Vec::new(),
            text_dim_max: Vec::new(),
            options: CompileOptions::default(),
        }
    }

    /// Keeps the constants out of the archive (for large models): the build
    /// writes them to `<lib name>.safetensors` beside it, and the generated
    /// wrapper's `Weights::load` reads them at run time; every function then
    /// takes the loaded `&Weights`. By default constants are embedded.
    pub fn separate_weights(mut self, separate: bool) -> Model {
        self.options.separate_weights = separate;
        self
    }

    pub fn with_options(mut self, options: CompileOptions) -> Model {
        self.options = options;
        self
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Parses the source and binds its weights (or imports the ONNX model).
    pub fn load(&self) -> Result<IRModule, Error> {
        if let Some(f) = &self.file {
            std::fs::metadata(f).map_err(|e| Error::msg(format!("cannot read {}: {e}", f.display())))?;
        }
        match &self.kind {
            SourceKind::RelaxText if !self.misplaced_dims.is_empty() => Err(Error::msg(format!(
                "{} applies to ONNX models; a `.relax` source declares its module name and dims in its text",
                self.misplaced_dims.join(", ")
            ))),
            SourceKind::RelaxText => {
                let mut module = relax_text::load(&self.source.text, &self.base_dir)?;
                for (name, max) in &self.text_dim_max {
                    bound_text_dim(&mut module, name, *max)?;
                }
                Ok(module)
            }
            // `import_bytes`, not `import_file`: the rendered error already names the file.
            SourceKind::Onnx { path, options, name } => {
                let bytes =
                    std::fs::read(path).map_err(|e| Error::msg(format!("cannot read {}: {e}", path.display())))?;
                onnx::import_bytes(&bytes, &self.base_dir, name, options)
            }
        }
    }

    /// Runs the whole pipeline, stopping short of code generation.
    pub fn compile_module(&self) -> Result<IRModule, Error> {
        let options = Options { dump_dir: self.options.dump_dir.clone() };
        pipeline::compile(self.load()?, &options)
    }

    /// Compiles for `env.target` and writes the archive, wrapper and header to
    /// `env.out_dir`, reusing earlier artifacts with the same content hash.
    pub fn compile(&self, env: &BuildEnv) -> Result<Artifacts, Error> {
        let module = self.load()?;
        let inputs = self.input_files(&module);
        let source = match &self.kind {
            SourceKind::RelaxText => format!("{}\ndim_max = {:?}", self.source.text, self.text_dim_max),
            // The import options shape the module as much as the file does.
            SourceKind::Onnx { options, name, .. } => format!("onnx {name} {options:?}"),
        };
        let config = format!("{source}\nseparate_weights = {}", self.options.separate_weights);
        let key = artifact_key(&config, &inputs, &env.target, &env.features);
        let lib_name = format!("relax_{}_{}", module.name, &key[..12]);
        let archive = env.out_dir.join(format!("lib{lib_name}.a"));
        let weights = self.options.separate_weights.then(|| env.out_dir.join(format!("{lib_name}.safetensors")));
        let wrapper_path = env.out_dir.join(format!("{}.rs", module.name));
        let header_path = env.out_dir.join(format!("{}.h", module.name));
        let name = module.name.clone();
        let complete = weights.as_deref().is_none_or(Path::exists);
        let cached = cached(&archive, &env.out_dir, &lib_name, self.options.link_attribute).filter(|_| complete);
        let (wrapper, header) = match cached {
            Some(texts) => texts,
            None => self.generate(module, env, &lib_name, &archive, weights.as_deref())?,
        };
        write(&wrapper_path, &wrapper)?;
        write(&header_path, &header)?;
        Ok(Artifacts { name, lib_name, archive, wrapper, wrapper_path, header, weights, inputs })
    }

    /// The files the build reads: the model file, a `.relax` file's weights,
    /// an ONNX model's external data. Their contents are part of the cache
    /// key, and build scripts rerun when one changes.
    fn input_files(&self, module: &IRModule) -> Vec<PathBuf> {
        let mut inputs: Vec<PathBuf> = self.file.iter().cloned().collect();
        if let Some(w) = &module.weights_path {
            inputs.push(self.base_dir.join(w));
        }
        if let SourceKind::Onnx { path, .. } = &self.kind {
            let proto = std::fs::read(path).ok().and_then(|b| ModelProto::decode(b.as_slice()).ok());
            inputs.extend(proto.map(|m| onnx::external_files(&m, &self.base_dir)).unwrap_or_default());
        }
        inputs
    }

    fn generate(
        &self,
        module: IRModule,
        env: &BuildEnv,
        lib_name: &str,
        archive: &Path,
        weights: Option<&Path>,
    ) -> Result<(String, String), Error> {
        let options = Options { dump_dir: self.options.dump_dir.clone() };
        let module = pipeline::compile(module, &options)?;
        let target = Target::from_triple(&env.target, &env.features).map_err(|e| Error::msg(e.to_string()))?;
        let constants = if weights.is_some() { Constants::Table } else { Constants::Embedded };
        let object = emit_object_with(&module, &target, lib_name, constants).map_err(|e| Error::msg(e.to_string()))?;
        std::fs::create_dir_all(&env.out_dir)
            .map_err(|e| Error::msg(format!("cannot create {}: {e}", env.out_dir.display())))?;
        if let Some(path) = weights {
            crate::weights::write(&module, path)?;
        }
        write_archive(archive, &[(format!("{lib_name}.o"), object)], &target).map_err(|e| Error::msg(e.to_string()))?;
        let link = self.options.link_attribute.then_some(lib_name);
        let wrapper = wrapper::generate(&module, lib_name, &self.options.runtime_path, link, &env.target, weights);
        let file_name = weights.and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
        let header = header::generate(&module, lib_name, file_name.as_deref());
        // Written last: their presence marks the archive as complete for the cache.
        write(&cache_path(&env.out_dir, lib_name, self.options.link_attribute, "rs"), &wrapper)?;
        write(&cache_path(&env.out_dir, lib_name, false, "h"), &header)?;
        Ok((wrapper, header))
    }

    /// For `build.rs`: compiles for the build script's target, writes the
    /// artifacts to `OUT_DIR` and tells Cargo to link and track them. Errors are
    /// rendered as `file:line:col: error: ...`.
    pub fn build(self) -> Result<Artifacts, String> {
        let env = BuildEnv::from_build_script()?;
        let artifacts = self.compile(&env).map_err(|e| e.render(&self.source))?;
        println!("cargo:rustc-link-search=native={}", env.out_dir.display());
        println!("cargo:rustc-link-lib=static={}", artifacts.lib_name);
        if let Some(weights) = &artifacts.weights {
            println!("cargo:rustc-env=RELAX_{}_WEIGHTS={}", artifacts.name.to_uppercase(), weights.display());
        }
        for input in &artifacts.inputs {
            println!("cargo:rerun-if-changed={}", input.display());
        }
        println!("cargo:rerun-if-env-changed=RELAX_DUMP");
        Ok(artifacts)
    }
}

/// Adds `name <= max` to every function with a parameter dim `name`.
fn bound_text_dim(module: &mut IRModule, name: &str, max: i64) -> Result<(), Error> {
    if max < 0 {
        return Err(Error::msg(format!("dim_max(\"{name}\", {max}): a bound cannot be negative")));
    }
    let mut found = false;
    for f in &mut module.functions {
        let has_dim = f.params.iter().any(|p| match &p.sinfo {
            relax_compiler::ir::StructInfo::Tensor(t) => t.shape.iter().any(|d| d.free_vars().contains(name)),
            _ => false,
        });
        if has_dim {
            found = true;
            f.dim_max.retain(|(v, _)| v != name);
            f.dim_max.push((name.to_string(), max));
        }
    }
    match found {
        true => Ok(()),
        false => {
            Err(Error::msg(format!("dim_max(\"{name}\", {max}): no function of `{}` has a dim `{name}`", module.name)))
        }
    }
}

fn cache_path(out_dir: &Path, lib_name: &str, link: bool, ext: &str) -> PathBuf {
    out_dir.join(format!("{lib_name}{}.{ext}", if link { ".link" } else { "" }))
}

/// The wrapper and header of a complete earlier compile with the same hash.
fn cached(archive: &Path, out_dir: &Path, lib_name: &str, link: bool) -> Option<(String, String)> {
    if !archive.exists() {
        return None;
    }
    let wrapper = std::fs::read_to_string(cache_path(out_dir, lib_name, link, "rs")).ok()?;
    let header = std::fs::read_to_string(cache_path(out_dir, lib_name, false, "h")).ok()?;
    Some((wrapper, header))
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| Error::msg(format!("cannot write {}: {e}", path.display())))
}

/// An ONNX model's default module name: its file's stem.
fn module_name_of(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}
