//! Compiles `onnx.proto` with protox and writes the prost types to `onnx.rs`
//! beside it, stamped with the proto's hash so relax-compiler's tests notice
//! when the proto changes without the types being regenerated.

use std::path::{Path, PathBuf};

fn main() {
    let proto_dir = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("regenerate/ has a parent").to_path_buf();
    if let Err(e) = regenerate(&proto_dir) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn regenerate(proto_dir: &Path) -> Result<(), String> {
    let proto = proto_dir.join("onnx.proto");
    let bytes = std::fs::read(&proto).map_err(|e| format!("cannot read {}: {e}", proto.display()))?;
    let descriptors = protox::compile(["onnx.proto"], [proto_dir]).map_err(|e| format!("{e:?}"))?;
    let scratch = scratch_dir()?;
    prost_build::Config::new()
        .out_dir(&scratch)
        .compile_fds(descriptors)
        .map_err(|e| format!("prost-build failed: {e}"))?;
    let generated = std::fs::read_to_string(scratch.join("onnx.rs")).map_err(|e| e.to_string())?;
    let stamped = format!(
        "// Regenerate with `cargo run --manifest-path relax-compiler/src/frontend/onnx/proto/regenerate/Cargo.toml`.\n\
         {generated}\n\
         /// FNV-1a hash of the `onnx.proto` these types were generated from.\n\
         #[cfg(test)]\n\
         pub(crate) const SOURCE_HASH: u64 = {:#018x};\n",
        fnv1a(&bytes)
    );
    let out = proto_dir.join("onnx.rs");
    std::fs::write(&out, stamped).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}

fn scratch_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("regenerate-onnx-proto-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// 64-bit FNV-1a: a staleness stamp, not a security measure. relax-compiler's
/// `frontend::onnx::proto` computes the same.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}
