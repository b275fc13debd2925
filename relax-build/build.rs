//! Fingerprints the compiler's sources so cached model archives are rebuilt
//! when the compiler changes (not only when its version number does).
use std::hash::{Hash, Hasher};
use std::path::Path;

fn hash_dir(dir: &Path, h: &mut impl Hasher) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            hash_dir(&p, h);
        } else if p.extension().is_some_and(|e| e == "rs") {
            p.to_string_lossy().hash(h);
            std::fs::read(&p).unwrap_or_default().hash(h);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for dir in ["relax-compiler/src", "targets/src", "relax-build/src", "relax-rt/src"] {
        hash_dir(&root.join(dir), &mut h);
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    println!("cargo:rustc-env=RELAX_BUILD_FINGERPRINT={:016x}", h.finish());
}
