//! Running a built example on its target and capturing what it prints.

use crate::error::{Error, Result};
use crate::prereqs::AARCH64_SYSROOT;
use crate::target::Target;
use crate::wasm;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `executable` the way its target needs and returns its standard output.
/// A non-zero exit is an error carrying the program's stderr.
pub fn run_executable(executable: &Path, target: Target) -> Result<String> {
    match target {
        Target::Native => run_process(Command::new(executable)),
        Target::Aarch64Qemu => {
            let mut qemu = Command::new("qemu-aarch64");
            qemu.arg("-L").arg(AARCH64_SYSROOT).arg(executable);
            run_process(qemu)
        }
        Target::Wasm32Wasi => wasm::run_command_module(executable),
    }
}

fn run_process(mut command: Command) -> Result<String> {
    let shown = format!("{command:?}");
    let output = command.stdin(Stdio::null()).output().map_err(|e| Error::new(format!("cannot start {shown}: {e}")))?;
    let stdout =
        String::from_utf8(output.stdout).map_err(|e| Error::new(format!("{shown} printed invalid UTF-8: {e}")))?;
    if !output.status.success() {
        return Err(Error::new(format!(
            "{shown} failed ({})\n--- stdout ---\n{stdout}--- stderr ---\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(stdout)
}
