//! Where the workspace and the e2e build outputs live.

use std::path::{Path, PathBuf};

/// The workspace root: this crate lives in `<root>/tests`.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the relax-e2e crate lives inside the workspace")
}

/// A path inside the workspace, from a root-relative one (`models/digits`).
pub fn path(relative: &str) -> PathBuf {
    root().join(relative)
}

/// The target directory of the nested builds. It is not the outer `cargo test`'s,
/// whose lock that cargo holds while the tests run: sharing it would deadlock.
pub fn e2e_target_dir() -> PathBuf {
    root().join("target").join("e2e")
}
