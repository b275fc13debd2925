//! Everything the project needs from the system, in one place.
//!
//! `cargo xtask setup` installs what is missing from these lists; add an entry here
//! (with the reason) when a crate starts needing something new.
//!
//! Debian packages:
//! - `llvm-19-dev`: LLVM 19 for `inkwell` codegen in `relax-targets` (via
//!   `llvm-sys` 191, which finds it through `llvm-config` in [`LLVM_PREFIX`]);
//!   `libpolly-19-dev` and `libzstd-dev` are libraries LLVM 19 links against.
//! - `gcc-aarch64-linux-gnu` (+ `libc6-dev-arm64-cross`): the cross linker and
//!   glibc for `aarch64-unknown-linux-gnu`.
//! - `qemu-user`: `qemu-aarch64` executes the aarch64 test binaries on x86_64.
//!
//! Rust targets: `aarch64-unknown-linux-gnu` for aarch64 cross builds,
//! `wasm32-unknown-unknown` and `wasm32-wasip1` for wasm32 builds.

/// A Debian package and why the project needs it.
pub struct AptPackage {
    pub name: &'static str,
    pub why: &'static str,
}

/// A rustup target and why the project needs it.
pub struct RustTarget {
    pub triple: &'static str,
    pub why: &'static str,
}

/// Debian packages, checked with `dpkg -s` and installed with `apt-get install`.
pub const APT_PACKAGES: &[AptPackage] = &[
    // LLVM 19 headers, libraries and `llvm-config`: `relax-targets` generates code
    // through `inkwell` / `llvm-sys` 191, which builds and links against them.
    AptPackage { name: "llvm-19-dev", why: "LLVM 19 for inkwell codegen (relax-targets)" },
    // Polly: `llvm-config --link-static` lists libPolly, so linking LLVM
    // statically needs it.
    AptPackage { name: "libpolly-19-dev", why: "Polly, listed by llvm-config when linking LLVM 19" },
    // zstd: LLVM 19 is built with zstd compression and links `-lzstd`.
    AptPackage { name: "libzstd-dev", why: "zstd, a link dependency of LLVM 19" },
    // The aarch64 cross gcc is the linker for `aarch64-unknown-linux-gnu`
    // (`.cargo/config.toml`: `linker = "aarch64-linux-gnu-gcc"`).
    AptPackage { name: "gcc-aarch64-linux-gnu", why: "cross linker for aarch64-unknown-linux-gnu" },
    // The aarch64 glibc (crt files, headers, and the sysroot
    // `/usr/aarch64-linux-gnu` that the qemu runner is pointed at). A Recommends
    // of the cross gcc, listed so that `--no-install-recommends` setups get it.
    AptPackage { name: "libc6-dev-arm64-cross", why: "aarch64 glibc to link against and to run with under qemu" },
    // `qemu-aarch64` runs the aarch64 test binaries on an x86_64 host
    // (`.cargo/config.toml`: `runner = "qemu-aarch64 -L /usr/aarch64-linux-gnu"`).
    AptPackage { name: "qemu-user", why: "qemu-aarch64 to execute aarch64 test binaries" },
];

/// Rust targets, checked with `rustup target list --installed`.
pub const RUST_TARGETS: &[RustTarget] = &[
    // Cross builds for 64-bit ARM Linux (Raspberry Pi example, aarch64 tests).
    RustTarget {
        triple: "aarch64-unknown-linux-gnu",
        why: "aarch64 cross builds (Raspberry Pi example, tests under qemu)",
    },
    // Browser builds (the web page example).
    RustTarget { triple: "wasm32-unknown-unknown", why: "wasm32 builds for the web example" },
    // WASI builds, to run wasm tests under a WASI runtime.
    RustTarget { triple: "wasm32-wasip1", why: "wasm32 builds run as tests under a WASI runtime" },
];

/// Where Debian's `llvm-19-dev` installs LLVM 19. Passed to `llvm-sys` as
/// `LLVM_SYS_191_PREFIX` (also set in `.cargo/config.toml`).
pub const LLVM_PREFIX: &str = "/usr/lib/llvm-19";

/// The environment variable `llvm-sys` 191.x reads to find LLVM.
pub const LLVM_PREFIX_ENV: &str = "LLVM_SYS_191_PREFIX";

/// `llvm-config` inside [`LLVM_PREFIX`]; its presence is what setup verifies.
pub fn llvm_config() -> std::path::PathBuf {
    std::path::Path::new(LLVM_PREFIX).join("bin/llvm-config")
}

/// A Python package the conformance run or the bench needs (never the compiler or tests).
pub struct PythonPackage {
    /// The name to import.
    pub module: &'static str,
    /// The name on PyPI.
    pub pip: &'static str,
    /// Pinned when the version changes results.
    pub version: Option<&'static str>,
}

/// Installed by `cargo xtask conformance` when `python3` lacks them.
pub const PYTHON_PACKAGES: &[PythonPackage] = &[
    // The node test case definitions; another version has other cases, so the
    // report would not compare (keep in step with tools/onnx_node_tests.py).
    PythonPackage { module: "onnx", pip: "onnx", version: Some("1.23.2") },
    // The case definitions compute their expected outputs with numpy.
    PythonPackage { module: "numpy", pip: "numpy", version: None },
];

/// What `cargo xtask bench` needs on top: the peer it is timed against (any
/// recent release; the report names the version it ran).
pub const BENCH_PYTHON_PACKAGES: &[PythonPackage] =
    &[PythonPackage { module: "onnxruntime", pip: "onnxruntime", version: None }];

/// The virtual environment they are installed into, relative to the workspace.
pub const PYTHON_VENV: &str = "target/python";
