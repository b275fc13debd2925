//! The build-script side of Cargo: what it tells us (`TARGET`, `OUT_DIR`,
//! target features) and what we tell it (`cargo:` lines).

use std::path::PathBuf;

/// What a build needs to know about where and for what it compiles.
#[derive(Clone, Debug)]
pub struct BuildEnv {
    pub target: String,
    pub features: Vec<String>,
    pub out_dir: PathBuf,
}

impl BuildEnv {
    /// From a build script's environment.
    pub fn from_build_script() -> Result<BuildEnv, String> {
        let var = |k: &str| std::env::var(k).map_err(|_| format!("{k} is not set: call relax_build from build.rs"));
        Ok(BuildEnv {
            target: var("TARGET")?,
            features: split_features(&std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default()),
            out_dir: PathBuf::from(var("OUT_DIR")?),
        })
    }

    /// From the variables [`configure`] passed to rustc, as the `relax!` macro sees them.
    pub fn from_macro() -> Result<BuildEnv, String> {
        let var = |k: &str| {
            std::env::var(k).map_err(|_| {
                format!("{k} is not set: add `fn main() {{ relax_build::configure(); }}` to this crate's build.rs")
            })
        };
        Ok(BuildEnv {
            target: var("RELAX_TARGET")?,
            features: split_features(&std::env::var("RELAX_TARGET_FEATURES").unwrap_or_default()),
            out_dir: PathBuf::from(var("RELAX_OUT_DIR")?),
        })
    }
}

fn split_features(s: &str) -> Vec<String> {
    s.split(',').filter(|f| !f.is_empty()).map(str::to_string).collect()
}

/// For crates using `relax!`: passes the target, its features and `OUT_DIR` to
/// the macro (which runs inside rustc, where build-script variables are not
/// visible) and adds `OUT_DIR` to the native library search path.
pub fn configure() {
    let env = BuildEnv::from_build_script().unwrap_or_else(|e| panic!("relax_build::configure: {e}"));
    println!("cargo:rustc-env=RELAX_TARGET={}", env.target);
    println!("cargo:rustc-env=RELAX_TARGET_FEATURES={}", env.features.join(","));
    println!("cargo:rustc-env=RELAX_OUT_DIR={}", env.out_dir.display());
    println!("cargo:rustc-link-search=native={}", env.out_dir.display());
}
