//! The pass pipeline.
