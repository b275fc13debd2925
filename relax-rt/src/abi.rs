//! The C ABI between generated code and its callers (the Rust wrapper or C).
//!
//! Every exported model function `F` becomes two native symbols:
//!
//! ```c
//! // Checks the inputs, writes each output's shape into outputs[i].shape and the
//! // workspace size into *workspace_bytes. Returns 0 or a check id (see below).
//! int32_t F_prepare(const RelaxTensor *inputs, RelaxTensor *outputs, uint64_t *workspace_bytes);
//! // Checks everything again (inputs, outputs, workspace size), then runs.
//! int32_t F(const RelaxTensor *inputs, const RelaxTensor *outputs,
//!           uint8_t *workspace, uint64_t workspace_bytes);
//! ```
//!
//! A model compiled with separate weights (its constants in a safetensors file
//! next to the archive instead of inside it) has run functions with one more
//! parameter, a table of pointers to its constants (see [`crate::weights`]):
//!
//! ```c
//! int32_t F(const RelaxTensor *inputs, const RelaxTensor *outputs,
//!           uint8_t *workspace, uint64_t workspace_bytes, const void *const *constants);
//! ```
//!
//! A non-zero return value is the id of the check that failed; the generated
//! wrapper (and the C header) carry a table from id to a description, so the
//! native code never formats strings. The workspace must be aligned to
//! [`WORKSPACE_ALIGN`] bytes.

/// A tensor as generated code sees it: dense, row-major, no strides.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct RelaxTensor {
    pub data: *mut u8,
    pub shape: *mut i64,
    pub ndim: i32,
    pub dtype: i32,
}

/// Alignment of the workspace arena and of every buffer planned inside it.
pub const WORKSPACE_ALIGN: usize = 64;

/// `F_prepare`.
pub type PrepareFn =
    unsafe extern "C" fn(inputs: *const RelaxTensor, outputs: *mut RelaxTensor, workspace_bytes: *mut u64) -> i32;

/// `F`.
pub type RunFn = unsafe extern "C" fn(
    inputs: *const RelaxTensor,
    outputs: *const RelaxTensor,
    workspace: *mut u8,
    workspace_bytes: u64,
) -> i32;

/// `F` of a model compiled with separate weights: `constants` holds one
/// 64-byte aligned pointer per constant, in the order of its weights table.
pub type RunWithConstantsFn = unsafe extern "C" fn(
    inputs: *const RelaxTensor,
    outputs: *const RelaxTensor,
    workspace: *mut u8,
    workspace_bytes: u64,
    constants: *const *const u8,
) -> i32;
