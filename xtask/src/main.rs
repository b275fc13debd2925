//! `cargo xtask`: project automation for relax-rs, std only, so it builds on a
//! machine that has nothing but a Rust toolchain (it is what installs LLVM).
//!
//! Run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).

mod bench;
mod cmd;
mod conformance;
mod demo;
mod prereqs;
mod python;
mod setup;
mod test;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use cmd::{bail, Result};

const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  setup              install missing system prerequisites (apt packages, rust targets, LLVM 19)
  test [--no-setup]  run setup, then the whole test suite with LLVM_SYS_191_PREFIX set
  demo [--no-setup] [-- ARGS]
                     run setup, then the digits example (examples/digits) in release mode
  conformance [--no-setup] [--check] [--filter TEXT] [--timeout SECONDS] [--model-timeout SECONDS]
                     run setup, then the ONNX backend node tests and the onnx light model
                     zoo natively (generated into target/onnx-node-tests and target/onnx-light
                     when missing, with onnx from PyPI in a venv if python3 lacks it); writes
                     docs/onnx-conformance.md; --check fails when an operator passes fewer
                     cases, or a real model no longer passes, than the committed report says
  bench [--no-setup] [--filter TEXT] [--iterations N] [--report PATH]
                     run setup, then time models/architectures/* and square f32 GEMMs
                     (256, 512, 1024) under relax-rs, onnxruntime (1 and 2 threads) and
                     tract, each checking its outputs first; writes target/bench/report.md
                     (or PATH) with median latencies, relax-rs / best peer, and GEMM
                     GFLOP/s against the estimated single-core f32 peak
  help               print this message

--no-setup skips the prerequisite check (for machines set up by hand).";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            cmd::flush();
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let Some((command, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(ExitCode::SUCCESS);
    };
    match command.as_str() {
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        "setup" => {
            no_extra_args("setup", rest)?;
            setup::setup()?;
            Ok(ExitCode::SUCCESS)
        }
        "test" => {
            let no_setup = flag(rest, "--no-setup");
            no_extra_args("test", &without(rest, "--no-setup"))?;
            test::test(!no_setup)
        }
        "demo" => {
            // Everything after `--` goes to the example.
            let (ours, theirs) = match rest.iter().position(|a| a == "--") {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &[][..]),
            };
            let no_setup = flag(ours, "--no-setup");
            no_extra_args("demo", &without(ours, "--no-setup"))?;
            demo::demo(!no_setup, theirs)
        }
        "conformance" => {
            let run_setup = !flag(rest, "--no-setup");
            let check = flag(rest, "--check");
            let relaxc_args = without(&without(rest, "--no-setup"), "--check");
            conformance::conformance(&conformance::Options { run_setup, check, relaxc_args })
        }
        "bench" => {
            let run_setup = !flag(rest, "--no-setup");
            bench::bench(&bench::options(run_setup, &without(rest, "--no-setup"))?)
        }
        other => {
            eprintln!("error: unknown command `{other}`\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}

fn flag(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

fn without(args: &[String], name: &str) -> Vec<String> {
    args.iter().filter(|a| *a != name).cloned().collect()
}

fn no_extra_args(command: &str, args: &[String]) -> Result<()> {
    if let Some(a) = args.first() {
        bail!("unexpected argument `{a}` for `cargo xtask {command}` (see `cargo xtask help`)");
    }
    Ok(())
}

/// The workspace root (xtask lives in `<root>/xtask`).
pub fn workspace_root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    dir.parent().map(PathBuf::from).unwrap_or(dir)
}

/// A `cargo` command run from the workspace root, with LLVM's prefix set and
/// without the per-package variables `cargo run` gave this process (so they do
/// not leak into the builds it starts).
pub fn cargo() -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut c = Command::new(program);
    c.current_dir(workspace_root());
    c.env(prereqs::LLVM_PREFIX_ENV, prereqs::LLVM_PREFIX);
    for (key, _) in std::env::vars_os() {
        let k = key.to_string_lossy();
        if k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_BIN_")
            || matches!(
                &*k,
                "CARGO_MANIFEST_DIR" | "CARGO_MANIFEST_PATH" | "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE"
            )
        {
            c.env_remove(&key);
        }
    }
    c
}
