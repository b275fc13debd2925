//! What the error for an input of the wrong shape must say.
//!
//! Compiled functions check their inputs' shapes and return an error instead
//! of reading out of bounds. A useful error names the parameter, the shape it
//! was declared with and the shape it was given; the declared shape is taken
//! from the model's IR, so the check follows the model source.

use crate::error::{Error, Result};
use relax_compiler::ir::dim::shape_to_string;
use relax_compiler::IRModule;

/// The parameter of a function that got a wrong shape, and the shapes involved.
#[derive(Debug)]
pub struct ExpectedRejection {
    param: String,
    declared: String,
    given: String,
}

impl ExpectedRejection {
    /// For calling `function` of `module` with a first argument of shape `given`.
    pub fn new(module: &IRModule, function: &str, given: &[usize]) -> Result<ExpectedRejection> {
        let f =
            module.function(function).ok_or_else(|| Error::new(format!("the model has no function `{function}`")))?;
        let param = f.params.first().ok_or_else(|| Error::new(format!("`{function}` has no parameters")))?;
        let tensor =
            param.sinfo.as_tensor().ok_or_else(|| Error::new(format!("parameter `{}` is not a tensor", param.name)))?;
        let given: Vec<String> = given.iter().map(usize::to_string).collect();
        Ok(ExpectedRejection {
            param: format!("`{}`", param.name),
            declared: shape_to_string(&tensor.shape),
            given: format!("[{}]", given.join(", ")),
        })
    }

    /// Checks that `message` mentions the parameter and both shapes.
    pub fn check(&self, message: &str) -> Result<()> {
        let missing: Vec<&str> = [&self.param, &self.declared, &self.given]
            .into_iter()
            .map(String::as_str)
            .filter(|s| !message.contains(s))
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::new(format!("the shape error `{message}` does not mention {}", missing.join(", "))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::Model;
    use std::path::Path;

    const MODEL: &str = "mod m {
        fn forward(x: Tensor<[n, 4], f32>) -> Tensor<[n, 4], f32> {
            dataflow { let y = relu(x); output y; }
            y
        }
    }";

    fn expected() -> ExpectedRejection {
        let model = Model::from_text("m.relax", MODEL, Path::new(".")).unwrap();
        ExpectedRejection::new(model.module(), "forward", &[2, 3]).unwrap()
    }

    #[test]
    fn accepts_a_message_naming_the_parameter_and_both_shapes() {
        expected()
            .check("m::forward: parameter `x` expects shape [n, 4], got [2, 3]: axis 1 is 3, expected 4")
            .unwrap();
    }

    #[test]
    fn rejects_a_message_missing_any_of_them() {
        let e = expected();
        for (message, missing) in [
            ("m::forward: bad shape [n, 4], got [2, 3]", "`x`"),
            ("parameter `x` got [2, 3]", "[n, 4]"),
            ("parameter `x` expects [n, 4]", "[2, 3]"),
        ] {
            let err = e.check(message).unwrap_err();
            assert!(err.message().ends_with(&format!("does not mention {missing}")), "{err}");
        }
    }
}
