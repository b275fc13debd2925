//! Checks that the tools a target needs are installed, so a missing one fails
//! with the command that installs it instead of an obscure build or run error.
//! The list mirrors `xtask/src/prereqs.rs`, which `cargo xtask setup` installs.

use crate::error::{Error, Result};
use crate::target::Target;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The glibc sysroot that `qemu-aarch64 -L` loads the dynamic linker from.
pub const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

const SETUP_HINT: &str = "run `cargo xtask setup` to install the test prerequisites";

/// Fails with a message naming what is missing and how to install it.
pub fn check(target: Target, workspace: &Path) -> Result<()> {
    check_host()?;
    check_rust_target(target.triple(), workspace)?;
    if target == Target::Aarch64Qemu {
        for program in ["aarch64-linux-gnu-gcc", "qemu-aarch64"] {
            if find_on_path(program).is_none() {
                return Err(missing(&format!("`{program}` (not found on PATH)")));
            }
        }
        if !Path::new(AARCH64_SYSROOT).is_dir() {
            return Err(missing(&format!("the aarch64 glibc sysroot {AARCH64_SYSROOT}")));
        }
    }
    Ok(())
}

/// The native target is x86_64 Linux: elsewhere its binaries could not run.
fn check_host() -> Result<()> {
    if cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        Ok(())
    } else {
        Err(Error::new("the end-to-end tests run on an x86_64 Linux host"))
    }
}

/// Asks the toolchain the workspace uses (run from its root, so a
/// `rust-toolchain` file applies) where the target's standard library lives.
fn check_rust_target(triple: &str, workspace: &Path) -> Result<()> {
    let output = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", triple])
        .current_dir(workspace)
        .output()
        .map_err(|e| Error::new(format!("cannot run `rustc`: {e}")))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if output.status.success() && has_entries(&libdir) {
        Ok(())
    } else {
        Err(missing(&format!("the Rust target {triple} (no standard library at {})", libdir.display())))
    }
}

fn has_entries(dir: &Path) -> bool {
    dir.read_dir().map(|mut entries| entries.next().is_some()).unwrap_or(false)
}

/// The first `PATH` entry holding an executable file called `program`.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

fn missing(what: &str) -> Error {
    Error::new(format!("missing {what}: {SETUP_HINT}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_program_every_linux_has_and_not_a_made_up_one() {
        assert!(find_on_path("sh").is_some());
        assert!(find_on_path("relax-e2e-no-such-program").is_none());
    }

    #[test]
    fn an_unknown_rust_target_is_reported_with_the_setup_hint() {
        let err = check_rust_target("nonexistent-unknown-none", Path::new(".")).unwrap_err();
        assert!(err.message().contains("nonexistent-unknown-none"), "{err}");
        assert!(err.message().contains("cargo xtask setup"), "{err}");
    }
}
