//! Running a WASI preview-1 command module in-process with `wasmtime`, with
//! its stdout and stderr captured in memory.

use crate::error::{Error, Result};
use std::path::Path;
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::{self, WasiP1Ctx};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{I32Exit, WasiCtxBuilder};

/// More than any example prints; a program writing past it gets a write error.
const OUTPUT_CAPACITY: usize = 1 << 20;

/// Runs the command module in the file at `path`; see [`run_command`].
pub fn run_command_module(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))?;
    run_command(&path.display().to_string(), &bytes)
}

/// Instantiates the module, calls `_start` and returns what it printed.
/// `name` is its `argv[0]` and how errors refer to it.
///
/// A command ends either by returning from `_start` or by calling
/// `proc_exit`, which wasmtime surfaces as an [`I32Exit`] error; exit status 0
/// is success either way. The module gets no files, environment or arguments
/// beyond its name, so it behaves the same on every machine.
pub fn run_command(name: &str, wasm: &[u8]) -> Result<String> {
    let fail = |what: &str, e: wasmtime::Error| Error::new(format!("{what} {name}: {e:?}"));
    let engine = Engine::default();
    let module = Module::new(&engine, wasm).map_err(|e| fail("cannot compile", e))?;
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    p1::add_to_linker_sync(&mut linker, |ctx| ctx).map_err(|e| fail("cannot link WASI for", e))?;

    let (stdout, stderr) = (MemoryOutputPipe::new(OUTPUT_CAPACITY), MemoryOutputPipe::new(OUTPUT_CAPACITY));
    let wasi = WasiCtxBuilder::new().stdout(stdout.clone()).stderr(stderr.clone()).args(&[name]).build_p1();
    let mut store = Store::new(&engine, wasi);
    let instance = linker.instantiate(&mut store, &module).map_err(|e| fail("cannot instantiate", e))?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(|e| fail("no `_start` in", e))?;
    let status = match start.call(&mut store, ()) {
        Ok(()) => 0,
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(exit) => exit.0,
            None => return Err(with_output(fail("trap in", e), &stdout, &stderr)),
        },
    };
    if status != 0 {
        return Err(with_output(Error::new(format!("{name} exited with status {status}")), &stdout, &stderr));
    }
    String::from_utf8(stdout.contents().to_vec()).map_err(|e| Error::new(format!("{name} printed invalid UTF-8: {e}")))
}

/// Appends what the module printed, which usually says why it failed.
fn with_output(e: Error, stdout: &MemoryOutputPipe, stderr: &MemoryOutputPipe) -> Error {
    Error::new(format!(
        "{e}\n--- stdout ---\n{}--- stderr ---\n{}",
        String::from_utf8_lossy(&stdout.contents()),
        String::from_utf8_lossy(&stderr.contents())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that writes "hello\n" to stdout, then exits with `exit`
    /// through `proc_exit`, or returns from `_start` if `exit` is `None`.
    fn hello_command(exit: Option<i32>) -> Vec<u8> {
        let exit_call = exit.map(|code| format!("(call $proc_exit (i32.const {code}))")).unwrap_or_default();
        let text = format!(
            r#"(module
                (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
                (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
                (memory (export "memory") 1)
                ;; an iovec {{ ptr 16, len 6 }} at 0, the text at 16
                (data (i32.const 0) "\10\00\00\00\06\00\00\00")
                (data (i32.const 16) "hello\n")
                (func (export "_start")
                    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
                    {exit_call}))"#
        );
        wat::parse_str(text).expect("the test module is valid WAT")
    }

    #[test]
    fn returning_from_start_succeeds_with_the_output() {
        assert_eq!(run_command("hello", &hello_command(None)).unwrap(), "hello\n");
    }

    #[test]
    fn proc_exit_zero_succeeds_with_the_output() {
        assert_eq!(run_command("hello", &hello_command(Some(0))).unwrap(), "hello\n");
    }

    #[test]
    fn a_nonzero_exit_fails_and_shows_the_output() {
        let err = run_command("hello", &hello_command(Some(3))).unwrap_err();
        assert!(err.message().contains("exited with status 3"), "{err}");
        assert!(err.message().contains("hello"), "{err}");
    }

    #[test]
    fn a_trap_fails() {
        let wasm = wat::parse_str(r#"(module (func (export "_start") unreachable))"#).unwrap();
        let err = run_command("trap", &wasm).unwrap_err();
        assert!(err.message().contains("trap in trap"), "{err}");
    }
}
