//! Building an example crate for a target with a nested `cargo build`, once
//! per (example, target) in a test process.

use crate::error::{Error, Result};
use crate::target::Target;
use crate::workspace;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Every build of this process, by (example, target): the executable or why not.
type Builds = HashMap<(String, Target), Result<PathBuf>>;

/// Builds `example` (a workspace package with one binary of the same name) in
/// release mode for `target` and returns the path of its executable.
///
/// Builds are slow, so each (example, target) is built once per process and
/// the outcome, success or failure, is remembered. One lock covers every build:
/// nested cargos share the e2e target directory and would wait for each other
/// on its lock anyway.
pub fn build_example(example: &str, target: Target) -> Result<PathBuf> {
    static BUILDS: OnceLock<Mutex<Builds>> = OnceLock::new();
    let mut builds = BUILDS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    builds.entry((example.to_string(), target)).or_insert_with(|| run_cargo_build(example, target)).clone()
}

fn run_cargo_build(example: &str, target: Target) -> Result<PathBuf> {
    let root = workspace::root();
    let target_dir = workspace::e2e_target_dir();
    let args = ["build", "--release", "-p", example, "--target", target.triple()];
    let shown = format!("CARGO_TARGET_DIR={} cargo {}", target_dir.display(), args.join(" "));
    // stderr is inherited so compiler errors show up in the test output as they
    // happen; stdout stays out of the test's own captured output.
    let status = Command::new(cargo_program())
        .args(args)
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|e| Error::new(format!("cannot start `{shown}`: {e}")))?;
    if !status.success() {
        return Err(Error::new(format!("`{shown}` (in {}) failed ({status}); its errors are above", root.display())));
    }
    let executable = executable_path(&target_dir, example, target);
    if !executable.is_file() {
        return Err(Error::new(format!("`{shown}` succeeded but did not produce {}", executable.display())));
    }
    Ok(executable)
}

/// Where cargo puts the release binary of `example` for an explicit `--target`.
fn executable_path(target_dir: &Path, example: &str, target: Target) -> PathBuf {
    target_dir.join(target.triple()).join("release").join(target.executable_name(example))
}

/// The cargo running the tests (it sets `CARGO` for them), so the nested
/// build uses the same toolchain.
fn cargo_program() -> PathBuf {
    std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("cargo"))
}
