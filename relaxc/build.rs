//! Records the triple and target features this binary is built for, so
//! `relaxc run` and `relaxc test` compile models exactly as a `build.rs` in a
//! crate built for this machine would (Cargo gives build scripts `TARGET` and
//! `CARGO_CFG_TARGET_FEATURE`; a running program has no such variables).

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    println!("cargo:rustc-env=RELAXC_HOST_TARGET={target}");
    println!("cargo:rustc-env=RELAXC_HOST_FEATURES={features}");
}
