//! Running generated code inside this process, for tests and tools: the module
//! is compiled for the host exactly as for an archive, then loaded with LLVM's
//! JIT. Kernels can be called one at a time (with the same signature as the
//! reference interpreter's `run_prim_func`), entries through the C ABI.

use crate::error::{CodegenError, Result};
use crate::llvm::{self, Exports};
use crate::target::Target;
use inkwell::context::Context;
use inkwell::execution_engine::ExecutionEngine;
use inkwell::OptimizationLevel;
use relax_compiler::ir::PrimFunc;
use relax_compiler::{IRModule, NDArray};
use relax_rt::abi::{PrepareFn, RunFn};
use std::collections::HashMap;

/// The two native functions of one entry.
#[derive(Clone, Copy, Debug)]
pub struct EntryPoints {
    pub prepare: PrepareFn,
    pub run: RunFn,
}

/// A module compiled for the host and loaded into this process.
pub struct JitModule<'ctx> {
    engine: ExecutionEngine<'ctx>,
    prim_funcs: Vec<PrimFunc>,
    symbol_prefix: String,
}

/// `void relax.packed.NAME(ptr *buffers, i64 *dims)`.
type PackedKernel = unsafe extern "C" fn(*const *mut u8, *const i64);

impl<'ctx> JitModule<'ctx> {
    /// Compiles `module` for this machine's CPU.
    pub fn compile(context: &'ctx Context, module: &IRModule, symbol_prefix: &str) -> Result<JitModule<'ctx>> {
        JitModule::compile_for(context, module, &Target::host(), symbol_prefix)
    }

    /// Compiles `module` for `target`, which must run on this machine: the
    /// host's architecture with a subset of its features (e.g. the x86-64
    /// baseline, to exercise code paths for CPUs without SSE4.1).
    pub fn compile_for(
        context: &'ctx Context,
        module: &IRModule,
        target: &Target,
        symbol_prefix: &str,
    ) -> Result<JitModule<'ctx>> {
        if target.arch() != Target::host().arch() {
            return Err(CodegenError::new(format!("cannot run {} code on this machine", target.triple())));
        }
        let compiled = llvm::compile(
            context,
            module,
            target,
            symbol_prefix,
            Exports::EntriesAndKernels,
            llvm::Constants::Embedded,
        )?;
        let engine = compiled
            .module
            .create_jit_execution_engine(OptimizationLevel::Aggressive)
            .map_err(|e| CodegenError::new(format!("LLVM JIT: {e}")))?;
        Ok(JitModule { engine, prim_funcs: module.prim_funcs.clone(), symbol_prefix: symbol_prefix.to_string() })
    }

    /// Runs kernel `name` on `args` (inputs then outputs; all are written back)
    /// with the values of its dims, after checking every buffer has the shape
    /// and dtype the kernel declares.
    ///
    /// # Safety
    /// The kernel must keep its accesses in bounds: loop IR promises this and
    /// generated code does not check it. Run the kernel in the bounds-checked
    /// interpreter (`relax_compiler::interp::tir`) first when unsure.
    pub unsafe fn run_prim_func(&self, name: &str, args: &mut [NDArray], dims: &[i64]) -> Result<()> {
        let f = self
            .prim_funcs
            .iter()
            .find(|f| f.name == name)
            .ok_or_else(|| CodegenError::new(format!("no kernel `{name}`")))?;
        check_arguments(f, args, dims)?;
        let mut buffers: Vec<AlignedBytes> = args.iter().map(|a| AlignedBytes::new(&a.to_bytes())).collect();
        let pointers: Vec<*mut u8> = buffers.iter_mut().map(|b| b.as_mut_ptr()).collect();
        let address = self.address(&llvm::packed_name(name))?;
        // SAFETY: `relax.packed.NAME` has the `PackedKernel` signature by
        // construction; the buffers match the declared shapes (checked above)
        // and outlive the call; in-bounds access is the caller's promise.
        unsafe {
            let kernel = std::mem::transmute::<usize, PackedKernel>(address);
            kernel(pointers.as_ptr(), dims.as_ptr());
        }
        for (arg, bytes) in args.iter_mut().zip(&buffers) {
            *arg = NDArray::from_bytes(arg.dtype(), arg.shape(), &bytes.to_vec()).map_err(CodegenError::new)?;
        }
        Ok(())
    }

    /// The `_prepare` and run functions of entry `name`.
    pub fn entry(&self, name: &str) -> Result<EntryPoints> {
        let run_symbol = llvm::entry_symbol(&self.symbol_prefix, name);
        let prepare = self.address(&format!("{run_symbol}_prepare"))?;
        let run = self.address(&run_symbol)?;
        // SAFETY: entries are generated with exactly the `relax_rt::abi` signatures.
        unsafe {
            Ok(EntryPoints {
                prepare: std::mem::transmute::<usize, PrepareFn>(prepare),
                run: std::mem::transmute::<usize, RunFn>(run),
            })
        }
    }

    fn address(&self, symbol: &str) -> Result<usize> {
        self.engine
            .get_function_address(symbol)
            .map_err(|e| CodegenError::new(format!("JIT has no function `{symbol}`: {e}")))
    }
}

/// The interpreter's argument checks: counts, then each buffer's dtype and
/// shape against the declaration evaluated with the given dims.
fn check_arguments(f: &PrimFunc, args: &[NDArray], dims: &[i64]) -> Result<()> {
    if args.len() != f.params.len() || dims.len() != f.dims.len() {
        return Err(CodegenError::new(format!(
            "{} takes {} buffers and {} dims, got {} and {}",
            f.name,
            f.params.len(),
            f.dims.len(),
            args.len(),
            dims.len()
        )));
    }
    let env: HashMap<String, i64> = f.dims.iter().cloned().zip(dims.iter().copied()).collect();
    for (p, a) in f.params.iter().zip(args) {
        let shape: Option<Vec<usize>> =
            p.shape.iter().map(|d| d.eval(&env).and_then(|v| usize::try_from(v).ok())).collect();
        if shape.as_deref() != Some(a.shape()) || a.dtype() != p.dtype {
            return Err(CodegenError::new(format!(
                "{}: buffer `{}` is {} {:?}, expected {} {:?}",
                f.name,
                p.name,
                a.dtype(),
                a.shape(),
                p.dtype,
                p.shape
            )));
        }
    }
    Ok(())
}

/// Bytes in 8-byte aligned storage, so kernels' naturally aligned loads of
/// f64/i64 elements are valid.
struct AlignedBytes {
    words: Vec<u64>,
    len: usize,
}

impl AlignedBytes {
    fn new(bytes: &[u8]) -> AlignedBytes {
        let words = bytes
            .chunks(8)
            .map(|chunk| {
                let mut word = [0u8; 8];
                word[..chunk.len()].copy_from_slice(chunk);
                u64::from_ne_bytes(word)
            })
            .collect();
        AlignedBytes { words, len: bytes.len() }
    }

    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.words.as_mut_ptr().cast()
    }

    fn to_vec(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_ne_bytes()).take(self.len).collect()
    }
}
