//! Content hashing: an unchanged model (same source, weights, compiler and
//! target) is not recompiled; its archive is found by hash.

use std::hash::{Hash, Hasher};

/// A hash of everything that determines the generated code.
pub fn artifact_key(source: &str, weights: &[u8], target: &str, features: &[String]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    env!("CARGO_PKG_VERSION").hash(&mut h);
    compiler_fingerprint().hash(&mut h);
    source.hash(&mut h);
    weights.hash(&mut h);
    target.hash(&mut h);
    features.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Changes whenever the compiler itself is rebuilt from different sources, so
/// a development build never reuses archives from an older compiler.
fn compiler_fingerprint() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), "-", env!("RELAX_BUILD_FINGERPRINT"))
}
