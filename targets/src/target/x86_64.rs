//! x86-64: the baseline is SSE2 (what `x86_64-unknown-linux-gnu` assumes);
//! AVX2 and AVX-512 widen vectors, SSE4.1 brings rounding instructions.

use super::{Arch, ArchSpec, FeatureSet};

pub(super) const SPEC: ArchSpec = ArchSpec {
    arch: Arch::X86_64,
    triple_prefix: "x86_64",
    default_cpu: "x86-64",
    baseline_features: &["+sse", "+sse2", "+fxsr"],
    pointer_bytes: 8,
    features: &[
        ("sse", "+sse"),
        ("sse2", "+sse2"),
        ("sse3", "+sse3"),
        ("ssse3", "+ssse3"),
        ("sse4.1", "+sse4.1"),
        ("sse4.2", "+sse4.2"),
        ("sse4a", "+sse4a"),
        ("avx", "+avx"),
        ("avx2", "+avx2"),
        ("fma", "+fma"),
        ("f16c", "+f16c"),
        ("avx512f", "+avx512f"),
        ("avx512bw", "+avx512bw"),
        ("avx512cd", "+avx512cd"),
        ("avx512dq", "+avx512dq"),
        ("avx512vl", "+avx512vl"),
        ("avx512vnni", "+avx512vnni"),
        ("avx512bf16", "+avx512bf16"),
        ("avx512fp16", "+avx512fp16"),
        ("avxvnni", "+avxvnni"),
        ("bmi1", "+bmi"),
        ("bmi2", "+bmi2"),
        ("lzcnt", "+lzcnt"),
        ("popcnt", "+popcnt"),
        ("movbe", "+movbe"),
        ("fxsr", "+fxsr"),
        ("xsave", "+xsave"),
        ("cmpxchg16b", "+cx16"),
        ("pclmulqdq", "+pclmul"),
        ("aes", "+aes"),
        ("sha", "+sha"),
        ("adx", "+adx"),
        ("rdrand", "+rdrnd"),
        ("rdseed", "+rdseed"),
    ],
    vector_bytes,
    native_rounding,
};

/// LLVM prefers 256-bit vectors even where AVX-512 exists (frequency drops), so
/// AVX-512 does not widen the preferred width.
fn vector_bytes(features: &FeatureSet) -> u32 {
    if features.has("+avx") || features.has("+avx2") || features.has("+avx512f") {
        32
    } else {
        16
    }
}

/// `roundss`/`roundsd` arrive with SSE4.1; without them LLVM would lower
/// `llvm.floor` to a libm call, which a self-contained archive cannot make.
fn native_rounding(features: &FeatureSet) -> bool {
    ["+sse4.1", "+sse4.2", "+avx", "+avx2", "+avx512f"].iter().any(|f| features.has(f))
}
