//! The Python the conformance run needs: `onnx` (pinned, it defines the
//! cases) and `numpy`, to write the ONNX node tests out as files; the bench
//! adds `onnxruntime`, the peer it times. The compiler itself never runs Python.
//!
//! A `python3` that already has the pinned onnx is used as it is. Otherwise a
//! virtual environment in `target/python` gets the packages from PyPI: Debian
//! 12 refuses `pip install` into the system Python (PEP 668), and a venv keeps
//! the machine's Python untouched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, bail, Result};
use crate::prereqs::{PythonPackage, PYTHON_PACKAGES, PYTHON_VENV};
use crate::setup;

/// Every package needed: [`PYTHON_PACKAGES`] and the caller's `extra`.
fn packages(extra: &'static [PythonPackage]) -> impl Iterator<Item = &'static PythonPackage> {
    PYTHON_PACKAGES.iter().chain(extra)
}

/// Succeeds when every package is importable at its pinned version.
fn check_script(extra: &'static [PythonPackage]) -> String {
    let checks: Vec<String> = packages(extra)
        .map(|p| match p.version {
            Some(v) => format!("import {m}; assert {m}.__version__ == '{v}', {m}.__version__", m = p.module),
            None => format!("import {}", p.module),
        })
        .collect();
    checks.join("\n")
}

fn has_packages(python: &Path, extra: &'static [PythonPackage]) -> bool {
    Command::new(python).args(["-c", &check_script(extra)]).output().is_ok_and(|o| o.status.success())
}

/// A Python interpreter with [`PYTHON_PACKAGES`] and `extra` installed,
/// installing them if needed.
pub fn ensure(root: &Path, extra: &'static [PythonPackage]) -> Result<PathBuf> {
    let system = PathBuf::from("python3");
    if has_packages(&system, extra) {
        return Ok(system);
    }
    let venv = root.join(PYTHON_VENV);
    let python = venv.join("bin/python3");
    if !python.exists() {
        create_venv(&venv)?;
    }
    if !has_packages(&python, extra) {
        println!("== python: installing {} into {PYTHON_VENV} ==", requirements(extra).join(" "));
        let mut pip = Command::new(&python);
        pip.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(requirements(extra));
        cmd::run(&mut pip)?;
    }
    if !has_packages(&python, extra) {
        bail!("{} still lacks {} after pip install", python.display(), requirements(extra).join(" "));
    }
    Ok(python)
}

fn requirements(extra: &'static [PythonPackage]) -> Vec<String> {
    packages(extra)
        .map(|p| match p.version {
            Some(v) => format!("{}=={v}", p.pip),
            None => p.pip.to_string(),
        })
        .collect()
}

/// `python3 -m venv`; on Debian, whose Python ships venv's pip bootstrap in
/// `python3-venv`, that package is installed first if the first try fails.
fn create_venv(venv: &Path) -> Result<()> {
    println!("== python: creating a virtual environment in {PYTHON_VENV} ==");
    let attempt = || Command::new("python3").arg("-m").arg("venv").arg(venv).status();
    if attempt().is_ok_and(|s| s.success()) {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(venv);
    setup::apt_install(&["python3-venv"])?;
    let mut venv_cmd = Command::new("/usr/bin/python3");
    venv_cmd.arg("-m").arg("venv").arg(venv);
    cmd::run(&mut venv_cmd)
}
