//! `relaxc compile MODEL --target TRIPLE -o DIR`: what `build.rs` produces,
//! for a person: `lib<name>.a`, the Rust wrapper `<name>.rs` and the C header
//! `<name>.h` (and with `--separate-weights` the constants' safetensors
//! file). The compile happens in a scratch directory so DIR receives
//! those three files and not relax-build's cache bookkeeping.

use crate::cli::CompileArgs;
use crate::error::{CliError, Result};
use crate::model_file::ModelFile;
use crate::{host, progress};
use relax_build::BuildEnv;
use std::path::Path;
use std::process::ExitCode;

pub fn compile(args: &CompileArgs) -> Result<ExitCode> {
    let file = ModelFile::open(&args.model, &args.import.options())?.separate_weights(args.separate_weights);
    let target = args.target.clone().unwrap_or_else(|| host::TRIPLE.to_string());
    // With neither option, exactly what a default build for this machine gets.
    let features = if args.target.is_none() && args.target_features.is_empty() {
        host::features()
    } else {
        args.target_features.clone()
    };
    let scratch = tempfile::tempdir().map_err(|e| CliError::new(format!("cannot create a scratch directory: {e}")))?;
    let env = BuildEnv { target: target.clone(), features, out_dir: scratch.path().to_path_buf() };
    let what = format!("compiling {} for {target}", file.display_name());
    let artifacts = progress::while_running(&what, || file.model().compile(&env)).map_err(|e| file.error(&e))?;

    let dir = &args.out_dir;
    std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, e))?;
    let archive = dir.join(format!("lib{}.a", artifacts.lib_name));
    std::fs::copy(&artifacts.archive, &archive).map_err(|e| CliError::io("write", &archive, e))?;
    let wrapper = write(dir, &format!("{}.rs", artifacts.name), &artifacts.wrapper)?;
    let header = write(dir, &format!("{}.h", artifacts.name), &artifacts.header)?;
    let mut written = vec![archive, wrapper.clone(), header];
    if let Some(weights) = &artifacts.weights {
        let name = weights.file_name().ok_or_else(|| CliError::new("the weights file has no name"))?;
        let copy = dir.join(name);
        std::fs::copy(weights, &copy).map_err(|e| CliError::io("write", &copy, e))?;
        written.push(copy);
    }
    for path in &written {
        println!("{}", path.display());
    }
    eprintln!(
        "link lib{}.a into a crate with `cargo:rustc-link-search=native={}` and `cargo:rustc-link-lib=static={}`, \
         then include!(\"{}\")",
        artifacts.lib_name,
        dir.display(),
        artifacts.lib_name,
        wrapper.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn write(dir: &Path, name: &str, text: &str) -> Result<std::path::PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| CliError::io("write", &path, e))?;
    Ok(path)
}
