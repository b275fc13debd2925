//! The module's constants: compile-time values that run-time operations read
//! (weights, folded tensors, scalars such as an activation's `alpha`).
//!
//! A constant enters the module only when a run-time operation needs it, so
//! initializers consumed at compile time (a `Reshape` target, weights folded
//! into others) do not end up in the object. Each shared array is interned
//! once, under the name of the ONNX value it came from when it has one (a
//! value folded from constants takes the name of its first named operand, so
//! a transposed weight keeps the weight's name); scalars are shared by value.

use super::names::Namer;
use crate::ndarray::NDArray;
use relax_rt::DType;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

#[derive(Default)]
pub struct ConstantPool {
    /// Interned arrays by name. The pool holds one reference to each array, so
    /// the address keying `by_address` stays valid while it lives.
    interned: Vec<(String, Rc<NDArray>)>,
    by_address: HashMap<*const NDArray, usize>,
    scalars: HashMap<(DType, Vec<u8>), String>,
    /// Preferred names: the ONNX value an array was first bound to.
    hints: HashMap<*const NDArray, (Rc<NDArray>, String)>,
}

impl ConstantPool {
    /// Remembers that `array` is the ONNX value `onnx_name`, to name it after
    /// that value if it is interned. The first name given wins.
    pub fn hint(&mut self, array: &Rc<NDArray>, onnx_name: &str) {
        self.hints.entry(Rc::as_ptr(array)).or_insert_with(|| (array.clone(), onnx_name.to_string()));
    }

    /// The name `array` would be interned under, if it has one.
    pub fn hint_of(&self, array: &Rc<NDArray>) -> Option<&str> {
        self.hints.get(&Rc::as_ptr(array)).map(|(_, name)| name.as_str())
    }

    /// The module constant holding `array`, added on first use.
    pub fn intern(&mut self, array: &Rc<NDArray>, names: &mut Namer) -> String {
        if let Some(&k) = self.by_address.get(&Rc::as_ptr(array)) {
            return self.interned[k].0.clone();
        }
        let scalar_key = array.shape().is_empty().then(|| (array.dtype(), array.to_bytes()));
        if let Some(name) = scalar_key.as_ref().and_then(|key| self.scalars.get(key)) {
            return name.clone();
        }
        let hint = self.hints.get(&Rc::as_ptr(array)).map_or("constant", |(_, name)| name.as_str());
        let name = names.fresh(hint);
        self.by_address.insert(Rc::as_ptr(array), self.interned.len());
        self.interned.push((name.clone(), array.clone()));
        if let Some(key) = scalar_key {
            self.scalars.insert(key, name.clone());
        }
        name
    }

    /// The interned constants, for `IRModule::constants`. Arrays no other
    /// value still shares are moved out rather than copied.
    pub fn into_constants(self) -> BTreeMap<String, NDArray> {
        drop(self.hints);
        drop(self.by_address);
        self.interned
            .into_iter()
            .map(|(name, array)| (name, Rc::try_unwrap(array).unwrap_or_else(|a| (*a).clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_each_array_once_under_its_hint() {
        let (mut pool, mut names) = (ConstantPool::default(), Namer::default());
        let w = Rc::new(NDArray::from_f32(&[2], vec![1.0, 2.0]));
        pool.hint(&w, "fc.weight");
        assert_eq!(pool.intern(&w, &mut names), "fc_weight");
        assert_eq!(pool.intern(&w.clone(), &mut names), "fc_weight");
        let other = Rc::new(NDArray::from_f32(&[2], vec![1.0, 2.0]));
        assert_eq!(pool.intern(&other, &mut names), "constant");
        let half = || Rc::new(NDArray::from_f32(&[], vec![0.5]));
        assert_eq!(pool.intern(&half(), &mut names), "constant_1");
        assert_eq!(pool.intern(&half(), &mut names), "constant_1");
        let constants = pool.into_constants();
        assert_eq!(constants.keys().collect::<Vec<_>>(), ["constant", "constant_1", "fc_weight"]);
        assert_eq!(constants["fc_weight"], *w);
    }
}
