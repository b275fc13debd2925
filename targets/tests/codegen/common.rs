//! Shared helpers: building kernels, running them in the JIT and in the
//! reference interpreter, and comparing.

use relax_compiler::interp::tir::run_prim_func;
use relax_compiler::ir::{Buffer, Dim, PrimFunc, Stmt};
use relax_compiler::{IRModule, NDArray};
use relax_targets::jit::JitModule;
use relax_targets::Target;
use inkwell::context::Context;

/// A module holding only `kernels`.
pub fn module_of(kernels: Vec<PrimFunc>) -> IRModule {
    IRModule { name: "test".into(), prim_funcs: kernels, ..IRModule::default() }
}

/// A kernel with the given buffers (inputs then `num_outputs` outputs).
pub fn kernel(name: &str, params: Vec<Buffer>, num_outputs: usize, dims: &[&str], body: Stmt) -> PrimFunc {
    PrimFunc { name: name.into(), params, num_outputs, dims: dims.iter().map(|d| d.to_string()).collect(), body }
}

pub fn dims(names: &[&str]) -> Vec<Dim> {
    names.iter().map(|n| Dim::var(n)).collect()
}

/// Runs kernel `name` of `module` in the interpreter and in JIT-compiled code
/// for `target` on the same arguments; returns both sets of arguments after.
pub fn run_both(
    jit: &JitModule<'_>,
    module: &IRModule,
    name: &str,
    args: &[NDArray],
    dim_values: &[i64],
) -> (Vec<NDArray>, Vec<NDArray>) {
    let f = module.prim_func(name).unwrap_or_else(|| panic!("no kernel {name}"));
    let mut expected = args.to_vec();
    run_prim_func(f, &mut expected, dim_values).unwrap_or_else(|e| panic!("interpreter: {e}"));
    let mut got = args.to_vec();
    // SAFETY: the interpreter just ran the same kernel on the same shapes with
    // bounds checks, so its accesses are in bounds.
    unsafe { jit.run_prim_func(name, &mut got, dim_values) }.unwrap_or_else(|e| panic!("jit: {e}"));
    (got, expected)
}

/// Compiles `module` for `target` in a fresh context and hands the JIT to `f`.
pub fn with_jit<R>(module: &IRModule, target: &Target, f: impl FnOnce(&JitModule<'_>) -> R) -> R {
    let context = Context::create();
    let jit = JitModule::compile_for(&context, module, target, "test").unwrap_or_else(|e| panic!("compile: {e}"));
    f(&jit)
}
