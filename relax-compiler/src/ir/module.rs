//! `IRModule`: everything one model compiles to, at every stage of the pipeline.

use super::entry::EntryFunc;
use super::expr::Function;
use super::tir::PrimFunc;
use crate::ndarray::NDArray;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct IRModule {
    pub name: String,
    /// Graph-level functions, in source order.
    pub functions: Vec<Function>,
    /// Loop-level functions (after legalization).
    pub prim_funcs: Vec<PrimFunc>,
    /// Native entries (after `lower_entries`).
    pub entries: Vec<EntryFunc>,
    /// Weights and folded constants by name.
    pub constants: BTreeMap<String, NDArray>,
    /// The safetensors file weights came from, as written in the source.
    pub weights_path: Option<String>,
}

impl IRModule {
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.iter().find(|f| f.name == name)
    }

    pub fn prim_func(&self, name: &str) -> Option<&PrimFunc> {
        self.prim_funcs.iter().find(|f| f.name == name)
    }

    /// A name not yet used by any function or constant, built from `base`.
    pub fn fresh_name(&self, base: &str) -> String {
        let taken = |n: &str| {
            self.functions.iter().any(|f| f.name == n)
                || self.prim_funcs.iter().any(|f| f.name == n)
                || self.constants.contains_key(n)
        };
        if !taken(base) {
            return base.to_string();
        }
        (1..).map(|i| format!("{base}_{i}")).find(|n| !taken(n)).unwrap()
    }
}
