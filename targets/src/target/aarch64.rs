//! AArch64: NEON (128-bit) is part of the baseline on every Rust aarch64 target,
//! and so are the `frint*` rounding instructions.

use super::{Arch, ArchSpec, FeatureSet};

pub(super) const SPEC: ArchSpec = ArchSpec {
    arch: Arch::Aarch64,
    triple_prefix: "aarch64",
    default_cpu: "generic",
    baseline_features: &["+neon", "+fp-armv8"],
    pointer_bytes: 8,
    features: &[
        ("neon", "+neon"),
        ("fp16", "+fullfp16"),
        ("fhm", "+fp16fml"),
        ("dotprod", "+dotprod"),
        ("i8mm", "+i8mm"),
        ("bf16", "+bf16"),
        ("sve", "+sve"),
        ("sve2", "+sve2"),
        ("lse", "+lse"),
        ("crc", "+crc"),
        ("aes", "+aes"),
        ("sha2", "+sha2"),
        ("sha3", "+sha3"),
        ("rcpc", "+rcpc"),
        ("rdm", "+rdm"),
        ("jsconv", "+jsconv"),
        ("fcma", "+complxnum"),
        ("frintts", "+fptoint"),
    ],
    vector_bytes,
    native_rounding,
};

/// Code is generated for fixed-width NEON; SVE's scalable vectors are not used.
fn vector_bytes(_: &FeatureSet) -> u32 {
    16
}

fn native_rounding(_: &FeatureSet) -> bool {
    true
}
