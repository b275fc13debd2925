//! Links a model's static archive into a shared library with the system C
//! compiler, so the archive a crate would link can be loaded into this process.

use crate::error::{CliError, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Links every object of `archive` into `<dir>/<stem>.so` and returns its path.
pub fn link_shared(archive: &Path, dir: &Path) -> Result<PathBuf> {
    let stem = archive.file_stem().map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
    let library = dir.join(format!("{stem}.so"));
    let cc = std::env::var_os("CC").unwrap_or_else(|| OsString::from("cc"));
    let mut command = Command::new(&cc);
    command.arg("-shared").arg("-o").arg(&library).args(whole_archive(archive));
    let output = command.output().map_err(|e| {
        CliError::new(format!(
            "relaxc links compiled models with the system C compiler, and `{}` could not be started ({e}); \
             install one (for example `apt-get install gcc`) or name it in the CC environment variable",
            cc.to_string_lossy()
        ))
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(CliError::new(format!(
            "linking {} into a shared library with `{}` failed ({}): {}",
            archive.display(),
            cc.to_string_lossy(),
            output.status,
            stderr.trim()
        )));
    }
    Ok(library)
}

/// Linker flags that keep every member of the archive, not only referenced ones.
fn whole_archive(archive: &Path) -> Vec<OsString> {
    if cfg!(target_os = "macos") {
        vec!["-Wl,-force_load".into(), archive.into()]
    } else {
        vec!["-Wl,--whole-archive".into(), archive.into(), "-Wl,--no-whole-archive".into()]
    }
}
