//! End-to-end tests of code generation: generated code runs in-process (LLVM's
//! JIT) and is compared with the reference interpreter, entries are called
//! through the C ABI, objects and archives are checked for every target.
//! One test binary, so LLVM is linked once.

mod common;
mod entries;
mod errors;
mod legalized;
mod link;
mod math_accuracy;
mod objects;
mod scalar_ops;
mod statements;
