//! wasm32: scalar unless `simd128` is enabled (`-C target-feature=+simd128`).
//! `f32.floor`/`f32.nearest` and friends are core instructions, so rounding
//! never needs a library.

use super::{Arch, ArchSpec, FeatureSet};

pub(super) const SPEC: ArchSpec = ArchSpec {
    arch: Arch::Wasm32,
    triple_prefix: "wasm32",
    default_cpu: "generic",
    baseline_features: &[],
    pointer_bytes: 4,
    features: &[
        ("simd128", "+simd128"),
        ("relaxed-simd", "+relaxed-simd"),
        ("bulk-memory", "+bulk-memory"),
        ("nontrapping-fptoint", "+nontrapping-fptoint"),
        ("sign-ext", "+sign-ext"),
        ("mutable-globals", "+mutable-globals"),
        ("multivalue", "+multivalue"),
        ("reference-types", "+reference-types"),
        ("tail-call", "+tail-call"),
        ("extended-const", "+extended-const"),
        ("atomics", "+atomics"),
    ],
    vector_bytes,
    native_rounding,
};

fn vector_bytes(features: &FeatureSet) -> u32 {
    if features.has("+simd128") {
        16
    } else {
        0
    }
}

fn native_rounding(_: &FeatureSet) -> bool {
    true
}
