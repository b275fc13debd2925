//! The targets every example is built for and run on.

use std::fmt;

/// A Rust target triple together with the way its binaries are executed here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// x86_64 Linux: the host; binaries run directly.
    Native,
    /// 64-bit ARM Linux, cross-linked with `aarch64-linux-gnu-gcc` and run under
    /// `qemu-aarch64` user-mode emulation.
    Aarch64Qemu,
    /// WASI preview 1: a command module run in-process by `wasmtime`.
    Wasm32Wasi,
}

impl Target {
    /// The triple passed to `cargo build --target`. The native target is named
    /// explicitly too, so all three builds share one set of host artifacts
    /// (build scripts, the LLVM-linked compiler) in the e2e target directory.
    pub fn triple(self) -> &'static str {
        match self {
            Target::Native => "x86_64-unknown-linux-gnu",
            Target::Aarch64Qemu => "aarch64-unknown-linux-gnu",
            Target::Wasm32Wasi => "wasm32-wasip1",
        }
    }

    /// The file name cargo gives the binary of package `example` on this target.
    pub fn executable_name(self, example: &str) -> String {
        match self {
            Target::Wasm32Wasi => format!("{example}.wasm"),
            Target::Native | Target::Aarch64Qemu => example.to_string(),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Target::Native => "x86_64 (native)",
            Target::Aarch64Qemu => "aarch64 under qemu-aarch64",
            Target::Wasm32Wasi => "wasm32-wasip1 under wasmtime",
        })
    }
}
