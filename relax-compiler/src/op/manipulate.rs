//! (being written)
use super::OpDef;
pub const OPS: &[OpDef] = &[];
