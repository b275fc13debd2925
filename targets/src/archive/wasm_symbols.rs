//! The symbols a wasm object defines, for the archive symbol table.
//!
//! `ar_archive_writer` reads symbols with the `object` crate, which does not
//! parse wasm relocatable objects; wasm-ld needs the table all the same. A
//! wasm object lists its symbols in the `linking` custom section
//! (WebAssembly tool conventions, "Linking.md"): a symbol-table subsection of
//! entries `kind, flags, ...`. Defined, non-local functions, data and globals
//! go into the archive's table.

use std::io;

const MAGIC: &[u8; 8] = b"\0asm\x01\0\0\0";
const CUSTOM_SECTION: u8 = 0;
const SYMBOL_TABLE: u8 = 8;

// Symbol kinds.
const FUNCTION: u8 = 0;
const DATA: u8 = 1;
const GLOBAL: u8 = 2;
const SECTION: u8 = 3;
const EVENT: u8 = 4;
const TABLE: u8 = 5;

// Symbol flags.
const BINDING_LOCAL: u32 = 0x2;
const UNDEFINED: u32 = 0x10;
const EXPLICIT_NAME: u32 = 0x40;

pub(super) fn is_wasm_object(buf: &[u8]) -> bool {
    buf.starts_with(MAGIC)
}

/// Calls `f` with the name of every global symbol `buf` defines.
pub(super) fn defined_symbols(buf: &[u8], f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let mut r = Reader { buf, pos: MAGIC.len() };
    while !r.at_end() {
        let id = r.byte()?;
        let size = r.leb()? as usize;
        let mut section = r.sub(size)?;
        if id == CUSTOM_SECTION {
            let name_len = section.leb()? as usize;
            if section.bytes(name_len)? == b"linking" {
                return linking_section(section, f);
            }
        }
    }
    Ok(())
}

fn linking_section(mut r: Reader<'_>, f: &mut dyn FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
    let _version = r.leb()?;
    while !r.at_end() {
        let kind = r.byte()?;
        let size = r.leb()? as usize;
        let mut sub = r.sub(size)?;
        if kind == SYMBOL_TABLE {
            let count = sub.leb()?;
            for _ in 0..count {
                if let Some(name) = symbol(&mut sub)? {
                    f(name)?;
                }
            }
        }
    }
    Ok(())
}

/// Reads one symbol-table entry; the name if it belongs in the archive table.
fn symbol<'a>(r: &mut Reader<'a>) -> io::Result<Option<&'a [u8]>> {
    let kind = r.byte()?;
    let flags = r.leb()?;
    let defined = flags & UNDEFINED == 0;
    let name = match kind {
        FUNCTION | GLOBAL | EVENT | TABLE => {
            let _index = r.leb()?;
            if defined || flags & EXPLICIT_NAME != 0 {
                let len = r.leb()? as usize;
                Some(r.bytes(len)?)
            } else {
                None
            }
        }
        DATA => {
            let len = r.leb()? as usize;
            let name = r.bytes(len)?;
            if defined {
                let (_segment, _offset, _size) = (r.leb()?, r.leb()?, r.leb()?);
            }
            Some(name)
        }
        SECTION => {
            let _section = r.leb()?;
            None
        }
        other => return Err(invalid(&format!("unknown wasm symbol kind {other}"))),
    };
    let archived = defined && flags & BINDING_LOCAL == 0 && matches!(kind, FUNCTION | DATA | GLOBAL);
    Ok(name.filter(|_| archived))
}

/// A cursor over a byte slice with wasm's encodings.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn byte(&mut self) -> io::Result<u8> {
        let b = *self.buf.get(self.pos).ok_or_else(|| invalid("truncated wasm object"))?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, len: usize) -> io::Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| invalid("truncated wasm object"))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn sub(&mut self, len: usize) -> io::Result<Reader<'a>> {
        Ok(Reader { buf: self.bytes(len)?, pos: 0 })
    }

    /// An unsigned LEB128 integer of at most 32 bits.
    fn leb(&mut self) -> io::Result<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(invalid("over-long LEB128 integer in wasm object"))
    }
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
