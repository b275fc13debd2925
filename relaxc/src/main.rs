//! `relaxc`: relax-rs on the command line. See `relaxc --help`, and
//! `cli.rs` for every option.

mod case_dir;
mod case_run;
mod cli;
mod commands;
mod compare;
mod conformance;
mod error;
mod host;
mod linker;
mod model_file;
mod native;
mod npy;
mod panic_report;
mod progress;
mod signature;
mod tensor_proto;
mod timing;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    panic_report::install(false);
    let cli = cli::Cli::parse();
    match commands::execute(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{}", error.report());
            ExitCode::FAILURE
        }
    }
}
