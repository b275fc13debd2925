//! Static libraries (`lib<model>.a`) holding the generated objects, with the
//! symbol table linkers need to pull members in: GNU ld and lld for ELF,
//! ld64 for Mach-O, link.exe for COFF, and wasm-ld for wasm objects.

mod wasm_symbols;

use crate::error::{CodegenError, Result};
use crate::target::{ObjectFormat, Target};
use ar_archive_writer::{write_archive_to_stream, ArchiveKind, NewArchiveMember, ObjectReader, DEFAULT_OBJECT_READER};
use std::io::{self, Cursor};
use std::path::Path;

/// `ar_archive_writer`'s reader, taught to read wasm objects' symbols.
static OBJECT_READER: ObjectReader = ObjectReader { get_symbols: object_symbols, ..DEFAULT_OBJECT_READER };

fn object_symbols(buf: &[u8], f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<bool> {
    if wasm_symbols::is_wasm_object(buf) {
        wasm_symbols::defined_symbols(buf, f)?;
        return Ok(true);
    }
    (DEFAULT_OBJECT_READER.get_symbols)(buf, f)
}

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
        .map(|(name, bytes)| NewArchiveMember::new(bytes.as_slice(), &OBJECT_READER, name.clone()))
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
