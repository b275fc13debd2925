//! Content hashing: an unchanged model (same source, input files, compiler,
//! options and target) is not recompiled; its archive is found by hash.

use std::hash::{Hash, Hasher};
use std::io::Read;
use std::path::PathBuf;

/// A hash of everything that determines the generated code: `config` (the
/// source text or import options, and the build options), the contents of
/// `files` (the model file, its weights, an ONNX model's external data), the
/// compiler and the target.
pub fn artifact_key(config: &str, files: &[PathBuf], target: &str, features: &[String]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    compiler_fingerprint().hash(&mut h);
    config.hash(&mut h);
    for file in files {
        hash_file(file, &mut h);
    }
    target.hash(&mut h);
    features.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Streams a file's length and bytes into `h` (external weights may be
/// gigabytes, so they are not read into memory at once). An unreadable file
/// hashes as such; the compile that follows reports it.
fn hash_file(path: &PathBuf, h: &mut impl Hasher) {
    let Ok(mut file) = std::fs::File::open(path) else {
        "unreadable".hash(h);
        return;
    };
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                h.write(&buffer[..n]);
                total += n as u64;
            }
            Err(_) => {
                "read error".hash(h);
                break;
            }
        }
    }
    total.hash(h);
}

/// Changes whenever the compiler itself is rebuilt from different sources, so
/// a development build never reuses archives from an older compiler.
fn compiler_fingerprint() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("RELAX_BUILD_FINGERPRINT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_follows_file_contents_not_only_names() {
        let dir = std::env::temp_dir().join(format!("relax-build-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("w.bin");
        std::fs::write(&file, [1u8, 2, 3]).unwrap();
        let key = || artifact_key("m", std::slice::from_ref(&file), "x86_64-unknown-linux-gnu", &[]);
        let first = key();
        assert_eq!(key(), first, "deterministic");
        std::fs::write(&file, [1u8, 2, 4]).unwrap();
        assert_ne!(key(), first, "an edited file changes the key");
        assert_ne!(artifact_key("m", &[], "x86_64-unknown-linux-gnu", &[]), first);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
