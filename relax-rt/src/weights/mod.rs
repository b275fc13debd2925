//! Weights loaded at run time. A model compiled with separate weights (for
//! large models, so the archive holds code only) has run functions that take
//! one more argument: a table of pointers to its constants, in the order the
//! compiler lists them. [`Weights`] reads the safetensors file the compiler
//! wrote next to the archive, checks that every tensor the model expects is
//! there with the right dtype and shape, copies each into a 64-byte aligned
//! arena and builds that table.

mod header;

use crate::abi::WORKSPACE_ALIGN;
use crate::{DType, Error, ErrorKind, Workspace};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One constant the compiled code reads, in table order.
#[derive(Debug)]
pub struct WeightSig {
    pub name: &'static str,
    pub dtype: DType,
    pub shape: &'static [usize],
}

/// Every constant of one compiled model.
#[derive(Debug)]
pub struct WeightsSig {
    /// The model's name, also recorded in the file (`relax.module`).
    pub module: &'static str,
    pub tensors: &'static [WeightSig],
}

/// The metadata key naming the model a weights file was written for.
pub const MODULE_KEY: &str = "relax.module";

/// The metadata key prefix recording dtypes safetensors has no name for.
pub const DTYPE_KEY_PREFIX: &str = "relax.dtype.";

/// How a dtype is stored in a safetensors file: its safetensors name, and
/// whether that name says it all. The dtypes safetensors lacks (ONNX's FNUZ
/// and E8M0 floats, the 4- and 2-bit types, one byte per element in memory)
/// are stored as `U8`, with the real dtype in the metadata under
/// [`DTYPE_KEY_PREFIX`]`<tensor>`.
pub const fn safetensors_dtype(d: DType) -> (&'static str, bool) {
    let name = match d {
        DType::F32 => "F32",
        DType::F64 => "F64",
        DType::I32 => "I32",
        DType::I64 => "I64",
        DType::Bool => "BOOL",
        DType::I8 => "I8",
        DType::U8 => "U8",
        DType::I16 => "I16",
        DType::U16 => "U16",
        DType::U32 => "U32",
        DType::U64 => "U64",
        DType::F16 => "F16",
        DType::BF16 => "BF16",
        DType::F8E4M3FN => "F8_E4M3",
        DType::F8E5M2 => "F8_E5M2",
        _ => return ("U8", false),
    };
    (name, true)
}

/// A model's constants in memory, and the pointer table its run functions take.
pub struct Weights {
    sig: &'static WeightsSig,
    /// Owns the tensors' bytes, each at a 64-byte aligned offset.
    _arena: Workspace,
    pointers: Vec<*const u8>,
}

// SAFETY: the pointers point into the arena, which `Weights` owns and never
// mutates after construction.
unsafe impl Send for Weights {}
unsafe impl Sync for Weights {}

impl Weights {
    /// Reads the safetensors file at `path`; errors name the file.
    #[cfg(feature = "std")]
    pub fn load(sig: &'static WeightsSig, path: &std::path::Path) -> Result<Weights, Error> {
        let bytes = std::fs::read(path).map_err(|e| {
            Error::new(ErrorKind::Weights, format!("{}: cannot read weights file {}: {e}", sig.module, path.display()))
        })?;
        Weights::from_bytes(sig, &bytes).map_err(|e| Error::new(e.kind, format!("{} ({})", e.message, path.display())))
    }

    /// Reads a safetensors file's bytes, checking every tensor `sig` lists.
    pub fn from_bytes(sig: &'static WeightsSig, bytes: &[u8]) -> Result<Weights, Error> {
        let fail = |m: String| Error::new(ErrorKind::Weights, format!("{}: weights file: {m}", sig.module));
        let header = header::parse(bytes).map_err(|m| fail(format!("not a valid safetensors file ({m})")))?;
        if let Some(module) = header.metadata(MODULE_KEY).filter(|m| *m != sig.module) {
            return Err(fail(format!("it holds the weights of model `{module}`")));
        }
        let data = &bytes[header.data_start..];
        let mut places = Vec::with_capacity(sig.tensors.len());
        let mut total = 0usize;
        for t in sig.tensors {
            let range = find(&header, t, data.len()).map_err(&fail)?;
            places.push((range, total));
            total = align(total + (range.1 - range.0));
        }
        let mut arena = Workspace::new();
        let base = arena.ensure(total);
        let mut pointers = Vec::with_capacity(places.len());
        for ((start, end), offset) in places {
            // SAFETY: `offset + (end - start) <= total`, the arena's size.
            let dst = unsafe { base.add(offset) };
            unsafe { core::ptr::copy_nonoverlapping(data[start..end].as_ptr(), dst, end - start) };
            pointers.push(dst as *const u8);
        }
        Ok(Weights { sig, _arena: arena, pointers })
    }

    /// The tensors' signature these weights were checked against.
    pub fn signature(&self) -> &'static WeightsSig {
        self.sig
    }

    /// The pointer table to pass to a run function.
    pub fn table(&self) -> *const *const u8 {
        self.pointers.as_ptr()
    }
}

fn align(n: usize) -> usize {
    n.div_ceil(WORKSPACE_ALIGN) * WORKSPACE_ALIGN
}

/// The byte range of `t`'s data, after checking its dtype, shape and size.
fn find(header: &header::Header, t: &WeightSig, data_len: usize) -> Result<(usize, usize), String> {
    let expected = || format!("{} {}", t.dtype, shape_str(t.shape));
    let entry = header
        .entries
        .iter()
        .find(|e| e.name == t.name)
        .ok_or_else(|| format!("tensor `{}` ({}) is missing", t.name, expected()))?;
    let (stored, exact) = safetensors_dtype(t.dtype);
    let recorded = header.metadata(&format!("{DTYPE_KEY_PREFIX}{}", t.name));
    let dtype_ok = entry.dtype == stored && (exact || recorded == Some(t.dtype.name()));
    if !dtype_ok {
        let got = recorded.map_or_else(|| entry.dtype.clone(), |r| format!("{} (stored as {})", r, entry.dtype));
        return Err(format!("tensor `{}` has dtype {got}, expected {}", t.name, expected()));
    }
    if entry.shape != t.shape {
        return Err(format!("tensor `{}` has shape {}, expected {}", t.name, shape_str(&entry.shape), expected()));
    }
    let (start, end) = entry.range;
    let want = t.shape.iter().product::<usize>() * t.dtype.size();
    if start > end || end > data_len || end - start != want {
        return Err(format!(
            "tensor `{}` has data bytes {start}..{end} of {data_len}, but {} needs {want} bytes",
            t.name,
            expected()
        ));
    }
    Ok((start, end))
}

fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| format!("{d}")).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    static SIG: WeightsSig = WeightsSig {
        module: "tiny",
        tensors: &[
            WeightSig { name: "b", dtype: DType::F32, shape: &[2] },
            WeightSig { name: "q", dtype: DType::I4, shape: &[3] },
        ],
    };

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend(header.as_bytes());
        bytes.extend(data);
        bytes
    }

    fn good_header(q_dtype: &str, module: &str) -> String {
        format!(
            r#"{{"__metadata__":{{"relax.module":"{module}","relax.dtype.q":"{q_dtype}"}},"b":{{"dtype":"F32","shape":[2],"data_offsets":[0,8]}},"q":{{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}}}"#
        )
    }

    #[test]
    fn loads_aligned_copies_in_table_order() {
        let mut data = vec![];
        data.extend(1.5f32.to_le_bytes());
        data.extend((-2.0f32).to_le_bytes());
        data.extend([0x0f, 0x01, 0x08]);
        let w = Weights::from_bytes(&SIG, &file(&good_header("i4", "tiny"), &data)).unwrap();
        let table = unsafe { core::slice::from_raw_parts(w.table(), 2) };
        assert!(table.iter().all(|p| (*p as usize).is_multiple_of(WORKSPACE_ALIGN)));
        let b = unsafe { core::slice::from_raw_parts(table[0] as *const f32, 2) };
        assert_eq!(b, [1.5, -2.0]);
        assert_eq!(unsafe { core::slice::from_raw_parts(table[1], 3) }, [0x0f, 0x01, 0x08]);
    }

    #[test]
    fn a_mismatch_names_the_tensor() {
        let data = [0u8; 11];
        let err = |header: &str| Weights::from_bytes(&SIG, &file(header, &data)).err().unwrap();
        let e = err(&good_header("u4", "tiny"));
        assert_eq!(e.kind, ErrorKind::Weights);
        assert_eq!(e.message, "tiny: weights file: tensor `q` has dtype u4 (stored as U8), expected i4 [3]");
        let e = err(&good_header("i4", "other"));
        assert_eq!(e.message, "tiny: weights file: it holds the weights of model `other`");
        let e = err(r#"{"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#);
        assert_eq!(e.message, "tiny: weights file: tensor `q` (i4 [3]) is missing");
        let e = err(r#"{"b":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}"#);
        assert_eq!(e.message, "tiny: weights file: tensor `b` has shape [1, 2], expected f32 [2]");
        let e = err(r#"{"b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#);
        assert_eq!(e.message, "tiny: weights file: tensor `b` has dtype F16, expected f32 [2]");
        let e = err(r#"{"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#);
        assert_eq!(e.message, "tiny: weights file: tensor `b` has data bytes 4..12 of 11, but f32 [2] needs 8 bytes");
        let e = Weights::from_bytes(&SIG, b"nonsense").err().unwrap();
        assert!(
            e.message.starts_with("tiny: weights file: not a valid safetensors file (the header claims"),
            "{}",
            e.message
        );
    }
}
