//! `cargo xtask demo`: run the digits example, which compiles
//! `models/digits/digits.relax` at build time and classifies the test images.

use std::process::ExitCode;

use crate::cmd::{self, bail, Result};
use crate::{cargo, setup, workspace_root};

const EXAMPLE_MANIFEST: &str = "examples/digits/Cargo.toml";

pub fn demo(run_setup: bool, example_args: &[String]) -> Result<ExitCode> {
    if run_setup {
        setup::setup()?;
    }
    if !workspace_root().join(EXAMPLE_MANIFEST).is_file() {
        bail!("{EXAMPLE_MANIFEST} not found: the digits example has not been written yet, so there is no demo to run");
    }
    println!("== demo: digits example ==");
    let mut c = cargo();
    c.args(["run", "--release", "--manifest-path", EXAMPLE_MANIFEST]);
    if !example_args.is_empty() {
        c.arg("--").args(example_args);
    }
    let status = cmd::run_status(&mut c)?;
    if status.success() {
        return Ok(ExitCode::SUCCESS);
    }
    cmd::flush();
    eprintln!("error: {}", cmd::failed(&c, status));
    // Pass the example's exit code through (1 if it died of a signal).
    let code = status.code().unwrap_or(1).clamp(1, 255) as u8;
    Ok(ExitCode::from(code))
}
