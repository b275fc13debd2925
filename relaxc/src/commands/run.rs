//! `relaxc run MODEL --input NAME=FILE.npy ... --output-dir DIR`: compile for
//! this machine, run once, write every output as `DIR/<output name>.npy`.

use crate::cli::RunArgs;
use crate::error::{CliError, Result};
use crate::model_file::ModelFile;
use crate::native::{NativeEntry, NativeModel};
use crate::{npy, progress};
use relax_compiler::ir::dim::shape_to_string;
use relax_compiler::ir::entry::EntryParam;
use relax_rt::DynTensor;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(args: &RunArgs) -> Result<ExitCode> {
    let file = ModelFile::open(&args.model, &args.import.options())?.separate_weights(args.separate_weights);
    let given = read_inputs(&args.inputs)?;
    let model = progress::while_running(&format!("compiling {}", file.display_name()), || NativeModel::compile(&file))?;
    let entry = model.entry(args.function.as_deref()).map_err(|e| e.about(file.path()))?;
    let inputs = in_parameter_order(&file, entry, given)?;
    let refs: Vec<&DynTensor> = inputs.iter().collect();
    let outputs = progress::while_running(&format!("running {}", entry.func.name), || entry.call(&refs))
        .map_err(|e| CliError::in_file(file.path(), format!("{e} (given {})", describe_given(&args.inputs))))?;
    write_outputs(&args.output_dir, &file.output_names(&entry.func), &outputs)?;
    Ok(ExitCode::SUCCESS)
}

/// Each `--input` read, by name; a name given twice is an error.
pub fn read_inputs(inputs: &[(String, PathBuf)]) -> Result<BTreeMap<String, DynTensor>> {
    let mut read = BTreeMap::new();
    for (name, path) in inputs {
        if read.contains_key(name) {
            return Err(CliError::new(format!("--input {name} is given more than once")));
        }
        read.insert(name.clone(), npy::read(path)?);
    }
    Ok(read)
}

/// The given tensors in the order of the function's parameters; every
/// parameter needs one and every one given must name a parameter.
pub fn in_parameter_order(
    file: &ModelFile,
    entry: &NativeEntry,
    mut given: BTreeMap<String, DynTensor>,
) -> Result<Vec<DynTensor>> {
    let params = &entry.func.inputs;
    if let Some(unknown) = given.keys().find(|name| !params.iter().any(|p| &p.name == *name)) {
        return Err(CliError::in_file(
            file.path(),
            format!("`{}` has no input `{unknown}`; its inputs are {}", entry.func.name, describe_params(params)),
        ));
    }
    params
        .iter()
        .map(|p| {
            given.remove(&p.name).ok_or_else(|| {
                CliError::in_file(
                    file.path(),
                    format!(
                        "`{}` needs input `{}` ({} {}); pass it with --input {}=FILE.npy",
                        entry.func.name,
                        p.name,
                        p.dtype,
                        shape_to_string(&p.shape),
                        p.name
                    ),
                )
            })
        })
        .collect()
}

/// `x = a.npy, y = b.npy`: which file each parameter came from.
fn describe_given(inputs: &[(String, PathBuf)]) -> String {
    let parts: Vec<String> = inputs.iter().map(|(name, path)| format!("{name} = {}", path.display())).collect();
    parts.join(", ")
}

fn describe_params(params: &[EntryParam]) -> String {
    let parts: Vec<String> =
        params.iter().map(|p| format!("`{}` ({} {})", p.name, p.dtype, shape_to_string(&p.shape))).collect();
    parts.join(", ")
}

/// Writes one `.npy` per output, refusing to let two outputs share a file.
fn write_outputs(dir: &Path, names: &[String], outputs: &[DynTensor]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::io("create", dir, e))?;
    let mut written: BTreeMap<String, &str> = BTreeMap::new();
    for (name, tensor) in names.iter().zip(outputs) {
        let file_name = format!("{}.npy", file_stem_for(name));
        if let Some(other) = written.insert(file_name.clone(), name) {
            return Err(CliError::new(format!(
                "outputs `{other}` and `{name}` would both be written to {}",
                dir.join(&file_name).display()
            )));
        }
        let path = dir.join(&file_name);
        npy::write(&path, tensor)?;
        println!("{}: {} {:?}", path.display(), tensor.dtype(), tensor.shape());
    }
    Ok(())
}

/// An output name as a file name: every character outside `[A-Za-z0-9._-]`
/// becomes `_` (ONNX names may hold `/`, `:` and spaces).
pub fn file_stem_for(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_become_safe_file_names() {
        assert_eq!(file_stem_for("probs"), "probs");
        assert_eq!(file_stem_for("layer/1:out put"), "layer_1_out_put");
        assert_eq!(file_stem_for("a.b-c_d"), "a.b-c_d");
        assert_eq!(file_stem_for("é"), "_");
    }
}
