//! The archive as users get it: linked by a real linker into a program that
//! calls the entries, then run. x86-64 and aarch64 (under qemu) through a C
//! program built with `cc` (no `-lm`: the archive must not need libm), wasm32
//! through `wasm-ld` (Rust's `rust-lld`) and node. A step whose tool is not
//! installed is skipped with a message.

use crate::common::math_module;
use crate::entries::{scale_module, SCALE};
use relax_compiler::IRModule;
use relax_targets::{emit_object, write_archive, Target};
use std::path::{Path, PathBuf};
use std::process::Command;

const C_PROGRAM: &str = r#"
#include <stdint.h>
#include <stdio.h>

typedef struct { void *data; int64_t *shape; int32_t ndim; int32_t dtype; } RelaxTensor;
int32_t demo_forward_prepare(const RelaxTensor *, RelaxTensor *, uint64_t *);
int32_t demo_forward(const RelaxTensor *, const RelaxTensor *, uint8_t *, uint64_t);
int32_t demo_math_f32(const RelaxTensor *, const RelaxTensor *, uint8_t *, uint64_t);

static _Alignas(64) uint8_t workspace[4096];

int main(void) {
    float x[8] = {1, 2, 3, 4, -1, -2, -3, -4}, y[8];
    int64_t x_shape[2] = {2, 4}, y_shape[2];
    RelaxTensor in = {x, x_shape, 2, 0}, out = {y, y_shape, 2, 0};
    uint64_t workspace_bytes = 0;
    if (demo_forward_prepare(&in, &out, &workspace_bytes) != 0) return 2;
    if (y_shape[0] != 2 || y_shape[1] != 4 || workspace_bytes != 32) return 3;
    if (demo_forward(&in, &out, workspace, sizeof workspace) != 0) return 4;
    for (int i = 0; i < 8; i++) printf("%.9g\n", y[i]);
    RelaxTensor flat = {x, x_shape, 1, 0};
    if (demo_forward_prepare(&flat, &out, &workspace_bytes) != 1) return 5;

    int64_t n = 8;
    RelaxTensor math_in = {x, &n, 1, 0}, math_out = {y, &n, 1, 0};
    if (demo_math_f32(&math_in, &math_out, workspace, 0) != 0) return 6;
    for (int i = 0; i < 8; i++) printf("%.9g\n", y[i]);
    return 0;
}
"#;

const X: [f32; 8] = [1.0, 2.0, 3.0, 4.0, -1.0, -2.0, -3.0, -4.0];

/// What the program prints: `forward(x)` then `math_f32(x)`.
fn expected_output() -> Vec<f64> {
    let forward = X.iter().enumerate().map(|(k, &v)| (v * SCALE[k % 4] + v) as f64);
    let math = X.iter().map(|&v| {
        let x = v as f64;
        let libm_part = x.powf(x) + x.exp() + x.ln() + x.tanh() + libm::erf(x) + x.sin() + x.cos();
        libm_part + x.floor() + x.ceil() + x.round_ties_even() + x.sqrt() + x % x + floor_mod(x, x)
    });
    forward.chain(math).collect()
}

/// The reference's float floor modulo.
fn floor_mod(a: f64, b: f64) -> f64 {
    a - (a / b).floor() * b
}

fn combined_module() -> IRModule {
    let mut module = scale_module();
    let math = math_module();
    module.prim_funcs.extend(math.prim_funcs);
    module.entries.extend(math.entries);
    module
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relax-targets-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn archive_for(dir: &Path, triple: &str) -> PathBuf {
    let target = Target::from_triple(triple, &[]).unwrap();
    let object = emit_object(&combined_module(), &target, "demo").unwrap();
    let path = dir.join("libdemo.a");
    write_archive(&path, &[("demo.o".into(), object)], &target).unwrap();
    path
}

fn tool_exists(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

fn check_output(stdout: &[u8]) {
    let got: Vec<f64> = String::from_utf8_lossy(stdout).lines().map(|l| l.trim().parse().unwrap()).collect();
    let expected = expected_output();
    assert_eq!(got.len(), expected.len(), "output: {got:?}");
    for (k, (g, e)) in got.iter().zip(&expected).enumerate() {
        let same = (g.is_nan() && e.is_nan()) || (g - e).abs() <= 1e-5 * e.abs().max(1.0);
        assert!(same, "value {k}: got {g}, expected {e}");
    }
}

/// Builds the C program against the archive with `cc` and runs it (under
/// `runner`, if given).
fn link_and_run_c(triple: &str, cc: &str, runner: &[&str]) {
    if !tool_exists(cc) || runner.first().is_some_and(|r| !tool_exists(r)) {
        eprintln!("skipped {triple}: {cc} or {runner:?} is not installed");
        return;
    }
    let dir = scratch_dir(triple);
    let archive = archive_for(&dir, triple);
    let source = dir.join("main.c");
    std::fs::write(&source, C_PROGRAM).unwrap();
    let exe = dir.join("demo");
    let build = Command::new(cc).arg("-std=c11").arg(&source).arg(&archive).arg("-o").arg(&exe).output().unwrap();
    assert!(build.status.success(), "{cc} failed:\n{}", String::from_utf8_lossy(&build.stderr));
    let mut command = match runner.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let run = command.output().unwrap();
    assert!(
        run.status.success(),
        "{triple} program failed with {:?}:\n{}",
        run.status,
        String::from_utf8_lossy(&run.stderr)
    );
    check_output(&run.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn x86_64_archive_links_into_a_c_program_without_libm() {
    if Target::host().arch() != relax_targets::target::Arch::X86_64 {
        eprintln!("skipped: host is not x86-64");
        return;
    }
    link_and_run_c("x86_64-unknown-linux-gnu", "cc", &[]);
}

#[test]
fn aarch64_archive_links_and_runs_under_qemu() {
    link_and_run_c(
        "aarch64-unknown-linux-gnu",
        "aarch64-linux-gnu-gcc",
        &["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"],
    );
}

/// Rust's bundled `rust-lld`, which is wasm-ld under `-flavor wasm`.
fn rust_lld() -> Option<PathBuf> {
    let sysroot = Command::new("rustc").arg("--print").arg("sysroot").output().ok()?;
    let host = Command::new("rustc").arg("-vV").output().ok()?;
    let host =
        String::from_utf8_lossy(&host.stdout).lines().find_map(|l| l.strip_prefix("host: ").map(str::to_string))?;
    let path =
        Path::new(String::from_utf8_lossy(&sysroot.stdout).trim()).join("lib/rustlib").join(host).join("bin/rust-lld");
    path.exists().then_some(path)
}

const NODE_PROGRAM: &str = r#"
const fs = require('fs');
const bytes = fs.readFileSync(process.argv[2]);
let memory;
const u8 = () => new Uint8Array(memory.buffer);
const env = {
  memcpy: (d, s, n) => { u8().copyWithin(d, s, s + n); return d; },
  memmove: (d, s, n) => { u8().copyWithin(d, s, s + n); return d; },
  memset: (d, v, n) => { u8().fill(v, d, d + n); return d; },
};
const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env });
const e = instance.exports;
memory = e.memory;
memory.grow(1); // room past __heap_base for the arguments
const base = (e.__heap_base.value + 63) & ~63;
const view = new DataView(memory.buffer);
// Layout: x (8 f32), y (8 f32), shapes, tensors (16 bytes each on wasm32), workspace.
const X = base, Y = base + 32, XS = base + 64, YS = base + 80, N = base + 96;
const IN = base + 112, OUT = base + 128, WSB = base + 144, WS = base + 192;
[1, 2, 3, 4, -1, -2, -3, -4].forEach((v, i) => view.setFloat32(X + 4 * i, v, true));
view.setBigInt64(XS, 2n, true); view.setBigInt64(XS + 8, 4n, true); view.setBigInt64(N, 8n, true);
const tensor = (at, data, shape, ndim) => {
  view.setUint32(at, data, true); view.setUint32(at + 4, shape, true);
  view.setInt32(at + 8, ndim, true); view.setInt32(at + 12, 0, true);
};
tensor(IN, X, XS, 2); tensor(OUT, Y, YS, 2);
if (e.demo_forward_prepare(IN, OUT, WSB) !== 0) process.exit(2);
if (e.demo_forward(IN, OUT, WS, 4096n) !== 0) process.exit(4);
const out = [];
for (let i = 0; i < 8; i++) out.push(view.getFloat32(Y + 4 * i, true));
tensor(IN, X, N, 1); tensor(OUT, Y, N, 1);
if (e.demo_math_f32(IN, OUT, WS, 0n) !== 0) process.exit(6);
for (let i = 0; i < 8; i++) out.push(view.getFloat32(Y + 4 * i, true));
console.log(out.map(v => v.toPrecision(9)).join('\n'));
"#;

#[test]
fn wasm32_archive_links_with_wasm_ld_and_runs_in_node() {
    let Some(lld) = rust_lld() else {
        eprintln!("skipped: rust-lld (wasm-ld) not found in the Rust sysroot");
        return;
    };
    if !tool_exists("node") {
        eprintln!("skipped: node is not installed");
        return;
    }
    let dir = scratch_dir("wasm32");
    let archive = archive_for(&dir, "wasm32-unknown-unknown");
    let wasm = dir.join("demo.wasm");
    let mut link = Command::new(&lld);
    link.args(["-flavor", "wasm", "--no-entry", "--allow-undefined", "--export=__heap_base"]);
    for symbol in ["demo_forward", "demo_forward_prepare", "demo_math_f32"] {
        link.arg(format!("--undefined={symbol}")).arg(format!("--export={symbol}"));
    }
    let link = link.arg(&archive).arg("-o").arg(&wasm).output().unwrap();
    assert!(link.status.success(), "wasm-ld failed:\n{}", String::from_utf8_lossy(&link.stderr));
    let script = dir.join("run.js");
    std::fs::write(&script, NODE_PROGRAM).unwrap();
    let run = Command::new("node").arg(&script).arg(&wasm).output().unwrap();
    assert!(run.status.success(), "node failed with {:?}:\n{}", run.status, String::from_utf8_lossy(&run.stderr));
    check_output(&run.stdout);
    std::fs::remove_dir_all(&dir).ok();
}
