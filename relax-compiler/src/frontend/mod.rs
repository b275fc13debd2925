//! Frontends: model sources to an `IRModule`. The `.relax` text format (also
//! the body of the `relax!` macro) and its safetensors weights live here; ONNX
//! import will sit beside them.

pub mod relax_text;
pub mod weights;
