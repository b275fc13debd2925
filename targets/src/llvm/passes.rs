//! From a finished module to machine code: the target machine, LLVM's O3
//! pipeline (which inlines the math helpers and kernels, then vectorizes the
//! inner loops for the target's vector width) and object emission.

use crate::error::{CodegenError, Result};
use crate::target::{Arch, ObjectFormat, Target};
use inkwell::module::Module;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::{
    CodeModel, FileType, InitializationConfig, RelocMode, Target as LlvmTarget, TargetMachine, TargetTriple,
};
use inkwell::OptimizationLevel;

pub(crate) fn target_machine(target: &Target) -> Result<TargetMachine> {
    let config = InitializationConfig::default();
    match target.arch() {
        Arch::X86_64 => LlvmTarget::initialize_x86(&config),
        Arch::Aarch64 => LlvmTarget::initialize_aarch64(&config),
        Arch::Wasm32 => LlvmTarget::initialize_webassembly(&config),
    }
    let triple = TargetTriple::create(target.triple());
    let llvm_target = LlvmTarget::from_triple(&triple)
        .map_err(|e| CodegenError::new(format!("LLVM does not know target `{}`: {e}", target.triple())))?;
    llvm_target
        .create_target_machine(
            &triple,
            target.cpu(),
            &target.features().to_llvm_string(),
            OptimizationLevel::Aggressive,
            relocation_model(target),
            CodeModel::Default,
        )
        .ok_or_else(|| CodegenError::new(format!("LLVM cannot create a target machine for `{}`", target.triple())))
}

/// Position-independent code on native targets, so archives link into PIE
/// executables and shared libraries (Rust's default); wasm32 objects are
/// static, as `wasm32-unknown-unknown` expects.
fn relocation_model(target: &Target) -> RelocMode {
    match target.object_format() {
        ObjectFormat::Wasm => RelocMode::Static,
        ObjectFormat::Coff => RelocMode::Default,
        ObjectFormat::Elf | ObjectFormat::MachO => RelocMode::PIC,
    }
}

pub(crate) fn optimize(module: &Module<'_>, machine: &TargetMachine) -> Result<()> {
    let options = PassBuilderOptions::create();
    options.set_loop_vectorization(true);
    options.set_loop_slp_vectorization(true);
    options.set_loop_unrolling(true);
    options.set_merge_functions(true);
    module
        .run_passes("default<O3>", machine, options)
        .map_err(|e| CodegenError::new(format!("LLVM optimization failed: {e}")))
}

pub(crate) fn object_code(module: &Module<'_>, machine: &TargetMachine) -> Result<Vec<u8>> {
    let buffer = machine
        .write_to_memory_buffer(module, FileType::Object)
        .map_err(|e| CodegenError::new(format!("LLVM could not emit an object file: {e}")))?;
    Ok(buffer.as_slice().to_vec())
}
