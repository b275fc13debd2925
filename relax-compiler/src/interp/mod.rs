//! The reference interpreter.
pub mod tir;
