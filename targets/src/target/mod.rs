//! What code is generated for: the architecture (one file each), the CPU and
//! its features, and the facts codegen and scheduling derive from them.

mod aarch64;
mod wasm32;
mod x86_64;

use crate::error::{CodegenError, Result};
use inkwell::targets::TargetMachine;

/// An architecture relax-rs generates code for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
    Wasm32,
}

/// The object file format a triple implies; it decides the archive flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectFormat {
    Elf,
    MachO,
    Coff,
    Wasm,
}

/// LLVM feature strings (`+avx2`, `-avx512f`), as a set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeatureSet(Vec<String>);

impl FeatureSet {
    /// Whether `feature` (written the LLVM way, `+avx2`) is enabled.
    pub fn has(&self, feature: &str) -> bool {
        self.0.iter().any(|f| f == feature)
    }

    fn insert(&mut self, feature: &str) {
        if !self.has(feature) {
            self.0.push(feature.to_string());
        }
    }

    /// The comma-separated form LLVM takes.
    pub fn to_llvm_string(&self) -> String {
        self.0.join(",")
    }
}

/// Everything an architecture file declares.
pub(crate) struct ArchSpec {
    arch: Arch,
    /// The first component of the triples it covers.
    triple_prefix: &'static str,
    default_cpu: &'static str,
    /// Enabled whatever Cargo says (what every target of this arch assumes).
    baseline_features: &'static [&'static str],
    pointer_bytes: u32,
    /// Cargo's `CARGO_CFG_TARGET_FEATURE` name -> LLVM's feature string.
    features: &'static [(&'static str, &'static str)],
    /// The vector register width loops should be written for (0: scalar only).
    vector_bytes: fn(&FeatureSet) -> u32,
    /// Whether floor/ceil/round-to-even are single instructions.
    native_rounding: fn(&FeatureSet) -> bool,
}

const SPECS: [&ArchSpec; 3] = [&x86_64::SPEC, &aarch64::SPEC, &wasm32::SPEC];

/// A code generation target: triple, CPU, features and what follows from them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    triple: String,
    arch: Arch,
    cpu: String,
    features: FeatureSet,
    pointer_bytes: u32,
    vector_bytes: u32,
    native_rounding: bool,
}

impl Target {
    /// The target for a Rust/LLVM triple (`x86_64-unknown-linux-gnu`,
    /// `aarch64-unknown-linux-gnu`, `wasm32-unknown-unknown`, ...) with the
    /// features Cargo reports in `CARGO_CFG_TARGET_FEATURE` (`avx2`, `fma`,
    /// `neon`, `simd128`). Features that do not affect generated code (such as
    /// `crt-static`) or that relax-rs does not know are ignored.
    pub fn from_triple(triple: &str, features: &[String]) -> Result<Target> {
        let spec = spec_for(triple)?;
        let mut set = FeatureSet::default();
        for f in spec.baseline_features {
            set.insert(f);
        }
        for name in features {
            if let Some((_, llvm)) = spec.features.iter().find(|(cargo, _)| cargo == name) {
                set.insert(llvm);
            }
        }
        Ok(Target::new(spec, triple.to_string(), spec.default_cpu.to_string(), set))
    }

    /// The machine this process runs on, with its exact CPU and features (for
    /// JIT tests and `-C target-cpu=native` builds). On an architecture relax-rs
    /// does not generate code for, this is the x86-64 baseline.
    pub fn host() -> Target {
        let triple = TargetMachine::get_default_triple().as_str().to_string_lossy().into_owned();
        let Ok(spec) = spec_for(&triple) else {
            let baseline = x86_64::SPEC.baseline_features.iter().map(|f| f.to_string()).collect();
            return Target::new(
                &x86_64::SPEC,
                "x86_64-unknown-linux-gnu".into(),
                "x86-64".into(),
                FeatureSet(baseline),
            );
        };
        let cpu = TargetMachine::get_host_cpu_name().to_string();
        let mut set = FeatureSet::default();
        for f in TargetMachine::get_host_cpu_features().to_string().split(',').filter(|f| !f.is_empty()) {
            set.insert(f);
        }
        Target::new(spec, triple, cpu, set)
    }

    fn new(spec: &ArchSpec, triple: String, cpu: String, features: FeatureSet) -> Target {
        Target {
            arch: spec.arch,
            pointer_bytes: spec.pointer_bytes,
            vector_bytes: (spec.vector_bytes)(&features),
            native_rounding: (spec.native_rounding)(&features),
            triple,
            cpu,
            features,
        }
    }

    pub fn triple(&self) -> &str {
        &self.triple
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    /// The LLVM CPU name (`x86-64`, `generic`, `znver3`...).
    pub fn cpu(&self) -> &str {
        &self.cpu
    }

    pub fn features(&self) -> &FeatureSet {
        &self.features
    }

    /// Size of a pointer (and of `size_t`) in bytes.
    pub fn pointer_bytes(&self) -> u32 {
        self.pointer_bytes
    }

    /// The vector register width loops should be shaped for; 0 means scalar.
    pub fn vector_bytes(&self) -> u32 {
        self.vector_bytes
    }

    /// Whether floor, ceil and round-half-even are instructions; if not, codegen
    /// emulates them rather than call libm.
    pub fn has_native_rounding(&self) -> bool {
        self.native_rounding
    }

    pub fn object_format(&self) -> ObjectFormat {
        let t = &self.triple;
        if self.arch == Arch::Wasm32 {
            ObjectFormat::Wasm
        } else if t.contains("apple") || t.contains("darwin") || t.contains("ios") {
            ObjectFormat::MachO
        } else if t.contains("windows") {
            ObjectFormat::Coff
        } else {
            ObjectFormat::Elf
        }
    }
}

fn spec_for(triple: &str) -> Result<&'static ArchSpec> {
    let arch = triple.split('-').next().unwrap_or_default();
    SPECS.into_iter().find(|s| s.triple_prefix == arch).ok_or_else(|| {
        CodegenError::new(format!(
            "unsupported target `{triple}`: relax-rs generates code for x86_64-*, aarch64-* and wasm32-* triples"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn maps_cargo_feature_names_to_llvm() {
        let t =
            Target::from_triple("x86_64-unknown-linux-gnu", &names(&["avx2", "fma", "bmi1", "crt-static"])).unwrap();
        assert!(t.features().has("+avx2") && t.features().has("+fma") && t.features().has("+bmi"));
        assert!(t.features().has("+sse2"), "baseline features are always on");
        assert!(!t.features().to_llvm_string().contains("crt-static"));
        assert_eq!(t.vector_bytes(), 32);
        assert_eq!(t.pointer_bytes(), 8);
    }

    #[test]
    fn baseline_x86_64_emulates_rounding() {
        let t = Target::from_triple("x86_64-unknown-linux-gnu", &[]).unwrap();
        assert!(!t.has_native_rounding());
        assert_eq!(t.vector_bytes(), 16);
        let t = Target::from_triple("x86_64-unknown-linux-gnu", &names(&["sse4.1"])).unwrap();
        assert!(t.has_native_rounding());
    }

    #[test]
    fn wasm32_is_scalar_without_simd128() {
        let t = Target::from_triple("wasm32-unknown-unknown", &[]).unwrap();
        assert_eq!((t.pointer_bytes(), t.vector_bytes(), t.object_format()), (4, 0, ObjectFormat::Wasm));
        let t = Target::from_triple("wasm32-unknown-unknown", &names(&["simd128"])).unwrap();
        assert_eq!(t.vector_bytes(), 16);
    }

    #[test]
    fn object_format_follows_the_os() {
        let format = |t: &str| Target::from_triple(t, &[]).unwrap().object_format();
        assert_eq!(format("aarch64-unknown-linux-gnu"), ObjectFormat::Elf);
        assert_eq!(format("aarch64-apple-darwin"), ObjectFormat::MachO);
        assert_eq!(format("x86_64-pc-windows-msvc"), ObjectFormat::Coff);
    }

    #[test]
    fn rejects_other_architectures() {
        let err = Target::from_triple("riscv64gc-unknown-linux-gnu", &[]).unwrap_err();
        assert!(err.message().contains("riscv64gc-unknown-linux-gnu"), "{err}");
    }

    #[test]
    fn host_is_a_supported_target() {
        let t = Target::host();
        assert!(!t.cpu().is_empty());
        assert!(matches!(t.arch(), Arch::X86_64 | Arch::Aarch64));
    }
}
