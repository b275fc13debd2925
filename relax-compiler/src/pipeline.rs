//! The compiler, top to bottom: the passes in the order they run.
//!
//! Every pass is `fn(IRModule) -> Result<IRModule>`. Set `RELAX_DUMP=dir` (or
//! use `relaxc dump`) to get the module printed in the text format after each.

use crate::error::Result;
use crate::ir::IRModule;
use crate::pass;
use std::path::{Path, PathBuf};

pub type Pass = fn(IRModule) -> Result<IRModule>;

/// The whole pipeline, from parsed source to native entries.
pub const PASSES: &[(&str, Pass)] = &[
    ("normalize", pass::normalize::run), // resolve names, A-normal form, infer struct info
    ("fold_constants", pass::fold::run), // evaluate calls on constants at compile time
    ("dead_code", pass::dce::run),       // drop unused bindings, weights, kernels
    ("legalize", pass::legalize::run),   // operators -> loop-level kernels (call_tir)
    ("fuse", pass::fuse::run),           // merge element-wise chains and epilogues
    ("dead_code", pass::dce::run),       // drop kernels fusion made unused
    ("plan_memory", pass::memory::run),  // place intermediates in one workspace arena
    ("lower_entries", pass::lower::run), // one native entry per exported function
];

/// Where to print the module after each pass, if anywhere.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub dump_dir: Option<PathBuf>,
}

impl Options {
    /// Options from the environment: `RELAX_DUMP=dir`.
    pub fn from_env() -> Options {
        Options { dump_dir: std::env::var_os("RELAX_DUMP").map(PathBuf::from) }
    }
}

/// Runs every pass; errors say which pass failed.
pub fn compile(module: IRModule, options: &Options) -> Result<IRModule> {
    run_passes(module, PASSES, options)
}

/// Runs the passes up to and including the first named `last`.
pub fn compile_until(module: IRModule, last: &str, options: &Options) -> Result<IRModule> {
    let end = PASSES.iter().position(|(n, _)| *n == last).map_or(PASSES.len(), |i| i + 1);
    run_passes(module, &PASSES[..end], options)
}

fn run_passes(mut module: IRModule, passes: &[(&str, Pass)], options: &Options) -> Result<IRModule> {
    if let Some(dir) = &options.dump_dir {
        dump(dir, 0, "parsed", &module);
    }
    for (i, (name, pass)) in passes.iter().enumerate() {
        module =
            pass(module).map_err(|e| if *name == "normalize" { e } else { e.context(format!("in pass {name}")) })?;
        if let Some(dir) = &options.dump_dir {
            dump(dir, i + 1, name, &module);
        }
    }
    Ok(module)
}

/// Constants larger than this are shown as declarations in dumps.
const DUMP_MAX_VALUES: usize = 16;

/// Best effort: a failed dump must not fail the compile.
fn dump(dir: &Path, index: usize, name: &str, module: &IRModule) {
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!("{}.{index:02}.{name}.relax", module.name));
    let _ = std::fs::write(path, crate::text::print_module_elided(module, DUMP_MAX_VALUES));
}
