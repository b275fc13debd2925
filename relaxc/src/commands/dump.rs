//! `relaxc dump MODEL [--after PASS]`: the module in the text format as the
//! frontend produced it and after every pass of `pipeline::PASSES`, so a person
//! can see what each pass did. Each module is printed as soon as its pass
//! finishes; when a pass fails, what came before it is still on the screen.

use crate::cli::DumpArgs;
use crate::error::{CliError, Result};
use crate::model_file::ModelFile;
use relax_compiler::pipeline::PASSES;
use relax_compiler::text::print_module_elided;
use relax_compiler::IRModule;
use std::process::ExitCode;

/// The stage before any pass, as `--after` names it.
const PARSED: &str = "parsed";

pub fn dump(args: &DumpArgs) -> Result<ExitCode> {
    if let Some(after) = &args.after {
        check_stage_name(after)?;
    }
    let file = ModelFile::open(&args.model, &args.import.options())?;
    let wanted = |stage: &str| args.after.as_deref().is_none_or(|a| a == stage);
    let mut module = file.load()?;
    if wanted(PARSED) {
        print_stage(0, PARSED, &module, args.max_values);
    }
    for (index, (name, pass)) in PASSES.iter().enumerate() {
        // The same context `pipeline::compile` adds, so errors read the same.
        module = pass(module)
            .map_err(|e| if *name == "normalize" { e } else { e.context(format!("in pass {name}")) })
            .map_err(|e| file.error(&e))?;
        if wanted(name) {
            print_stage(index + 1, name, &module, args.max_values);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_stage(index: usize, name: &str, module: &IRModule, max_values: usize) {
    let title = if index == 0 {
        "as parsed, before any pass".to_string()
    } else {
        format!("after pass {index}/{}: {name}", PASSES.len())
    };
    println!("// ===== {title} =====");
    print!("{}", print_module_elided(module, max_values));
    println!();
}

fn check_stage_name(name: &str) -> Result<()> {
    if name == PARSED || PASSES.iter().any(|(pass, _)| *pass == name) {
        return Ok(());
    }
    let mut names: Vec<&str> = vec![PARSED];
    for (pass, _) in PASSES {
        if !names.contains(pass) {
            names.push(pass);
        }
    }
    Err(CliError::new(format!("there is no pass `{name}`; the stages are {}", names.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_pass_lists_the_real_ones() {
        let err = check_stage_name("fusion").unwrap_err().to_string();
        assert!(err.starts_with("there is no pass `fusion`; the stages are parsed, normalize, "), "{err}");
        assert!(check_stage_name("legalize").is_ok() && check_stage_name("parsed").is_ok());
    }
}
