//! One file per subcommand; each returns the process's exit code or an error
//! for `main` to print.

mod bench;
mod compile;
mod dump;
mod run;
mod test;

use crate::cli::Command;
use crate::error::Result;
use std::process::ExitCode;

pub fn execute(command: Command) -> Result<ExitCode> {
    match command {
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::Test(args) => test::test(&args),
        Command::Dump(args) => dump::dump(&args),
        Command::Compile(args) => compile::compile(&args),
        Command::Conformance(args) => crate::conformance::run(&args),
    }
}
