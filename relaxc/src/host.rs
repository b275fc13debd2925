//! The machine `relaxc` runs on, described as Cargo describes it to a build
//! script: the target triple and the target features of a default build.
//! Models run by `relaxc` are compiled for exactly this, so they get the code a
//! crate's `build.rs` would get on the same machine.

/// The triple this binary was built for (and so runs on).
pub const TRIPLE: &str = env!("RELAXC_HOST_TARGET");

/// Cargo's names of the target features enabled for this binary (`sse2`, `neon`, ...).
pub fn features() -> Vec<String> {
    env!("RELAXC_HOST_FEATURES").split(',').filter(|f| !f.is_empty()).map(str::to_string).collect()
}
