//! Static libraries (`lib<model>.a`) holding the generated objects, with the
//! symbol table linkers need to pull members in: GNU ld and lld for ELF,
//! ld64 for Mach-O, link.exe for COFF, and wasm-ld for wasm objects.

use crate::error::{CodegenError, Result};
use crate::target::{ObjectFormat, Target};
use ar_archive_writer::{write_archive_to_stream, ArchiveKind, NewArchiveMember, DEFAULT_OBJECT_READER};
use std::io::Cursor;
use std::path::Path;

/// Writes `members` (file name, object bytes) as a static archive at `path`.
/// The file is written next to `path` and renamed into place, so an
/// interrupted build never leaves a truncated library behind.
pub fn write_archive(path: &Path, members: &[(String, Vec<u8>)], target: &Target) -> Result<()> {
    for (name, _) in members {
        if name.is_empty() || name.contains('/') || name.contains('\\') {
            return Err(CodegenError::new(format!("archive member name `{name}` must be a plain file name")));
        }
    }
    let new_members: Vec<NewArchiveMember<'_>> = members
        .iter()
        .map(|(name, bytes)| NewArchiveMember::new(bytes.as_slice(), &DEFAULT_OBJECT_READER, name.clone()))
        .collect();
    let mut out = Cursor::new(Vec::new());
    write_archive_to_stream(&mut out, &new_members, archive_kind(target), false, None)
        .map_err(|e| CodegenError::new(format!("writing archive {}: {e}", path.display())))?;

    let partial = path.with_extension("partial");
    let io_error = |e: std::io::Error| CodegenError::new(format!("writing archive {}: {e}", path.display()));
    std::fs::write(&partial, out.into_inner()).map_err(io_error)?;
    std::fs::rename(&partial, path).map_err(io_error)
}

/// The archive flavour each platform's linker expects.
fn archive_kind(target: &Target) -> ArchiveKind {
    match target.object_format() {
        ObjectFormat::Elf | ObjectFormat::Wasm => ArchiveKind::Gnu,
        ObjectFormat::MachO => ArchiveKind::Darwin,
        ObjectFormat::Coff => ArchiveKind::Coff,
    }
}
