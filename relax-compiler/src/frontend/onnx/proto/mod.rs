//! The ONNX protobuf messages (`ModelProto`, `GraphProto`, `NodeProto`,
//! `TensorProto`, ...), decoded and encoded by prost.
//!
//! `onnx.proto` is vendored verbatim from the onnx 1.23.2 release (the wheel's
//! `onnx/onnx.proto`, Apache-2.0 as its SPDX header says; 1.23 ships no
//! `onnx.proto3`, and prost reads the proto2 file's optional fields as
//! `Option`s). `onnx.rs` is generated from it and committed rather than built
//! by a build script: relax-compiler is a build dependency of every user crate,
//! and prost-build with protox would add some twenty crates to each of their
//! first builds for a file that changes once per ONNX release. To regenerate
//! after replacing `onnx.proto`:
//!
//! ```text
//! cargo run --manifest-path relax-compiler/src/frontend/onnx/proto/regenerate/Cargo.toml
//! ```
//!
//! The generated file records a hash of the proto it came from; a test fails
//! when the two disagree.

#![allow(clippy::all)]

include!("onnx.rs");

/// Encoding and decoding (`encode_to_vec`, `decode`), for callers that build
/// models in Rust.
pub use prost::Message;

/// 64-bit FNV-1a, the stamp `regenerate` writes into `onnx.rs`.
#[cfg(test)]
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_types_match_the_vendored_proto() {
        assert_eq!(
            fnv1a(include_bytes!("onnx.proto")),
            SOURCE_HASH,
            "onnx.proto changed since onnx.rs was generated; regenerate it (see the module docs)"
        );
    }
}
