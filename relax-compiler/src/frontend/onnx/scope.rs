//! ONNX value names in scope while converting a graph: the graph's inputs,
//! initializers and node outputs so far, and, for a subgraph (an `If`
//! branch), everything visible where its node is.

use super::value::Value;
use std::collections::HashMap;

/// What is known about a name.
#[derive(Clone, Debug)]
pub enum Slot {
    Ready(Value),
    /// Produced by a node that could not be converted. Its error is already
    /// reported, so nodes reading it are skipped without another one.
    Failed,
}

#[derive(Default)]
pub struct Scope<'p> {
    parent: Option<&'p Scope<'p>>,
    slots: HashMap<String, Slot>,
}

impl<'p> Scope<'p> {
    /// A scope for a subgraph that sees everything `parent` does.
    pub fn child(parent: &'p Scope<'p>) -> Scope<'p> {
        Scope { parent: Some(parent), slots: HashMap::new() }
    }

    pub fn lookup(&self, name: &str) -> Option<&Slot> {
        self.slots.get(name).or_else(|| self.parent.and_then(|p| p.lookup(name)))
    }

    pub fn insert(&mut self, name: &str, value: Value) {
        self.slots.insert(name.to_string(), Slot::Ready(value));
    }

    pub fn fail(&mut self, name: &str) {
        self.slots.insert(name.to_string(), Slot::Failed);
    }

    /// Whether `name` is bound in this scope itself, not in a parent.
    pub fn binds_locally(&self, name: &str) -> bool {
        self.slots.contains_key(name)
    }
}
