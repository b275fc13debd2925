//! Checks that every pass preserves meaning: the module is run by the reference
//! interpreter on the same inputs before the first pass and after each one
//! (after `lower_entries`, through the simulated native entry too), and all
//! results must agree. This is how every pass is tested.

use crate::error::{Error, Result};
use crate::interp::{run_entry, run_function, Value};
use crate::ir::IRModule;
use crate::ndarray::NDArray;
use crate::pipeline::PASSES;

/// Tolerances for comparing results (fusion reorders float operations).
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    pub rtol: f64,
    pub atol: f64,
}

impl Default for Tolerance {
    fn default() -> Tolerance {
        Tolerance { rtol: 1e-5, atol: 1e-6 }
    }
}

/// Runs the whole pipeline on `module`, checking `function` on `inputs` after
/// every pass; returns the compiled module.
pub fn check_passes(module: IRModule, function: &str, inputs: &[NDArray], tol: Tolerance) -> Result<IRModule> {
    let args: Vec<Value> = inputs.iter().cloned().map(Value::Tensor).collect();
    let expected = run_function(&module, function, args.clone()).map_err(|e| e.context("before any pass"))?;
    let mut module = module;
    for (name, pass) in PASSES {
        module = pass(module).map_err(|e| e.context(format!("pass {name}")))?;
        let got = run_function(&module, function, args.clone()).map_err(|e| e.context(format!("after {name}")))?;
        compare(&got, &expected, tol).map_err(|e| Error::msg(format!("after {name}: {function}: {e}")))?;
    }
    let outputs = run_entry(&module, function, inputs).map_err(|e| e.context("native entry"))?;
    let flat: Vec<NDArray> = expected.tensors().into_iter().cloned().collect();
    for (k, (got, want)) in outputs.iter().zip(&flat).enumerate() {
        got.assert_close(want, tol.rtol, tol.atol)
            .map_err(|e| Error::msg(format!("native entry {function}, output {k}: {e}")))?;
    }
    Ok(module)
}

fn compare(got: &Value, want: &Value, tol: Tolerance) -> std::result::Result<(), String> {
    let (g, w) = (got.tensors(), want.tensors());
    if g.len() != w.len() {
        return Err(format!("{} results, expected {}", g.len(), w.len()));
    }
    for (k, (a, b)) in g.iter().zip(&w).enumerate() {
        a.assert_close(b, tol.rtol, tol.atol).map_err(|e| format!("result {k}: {e}"))?;
    }
    Ok(())
}
