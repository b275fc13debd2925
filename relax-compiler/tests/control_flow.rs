//! Graph-level control flow compiled to native entries: every pass must keep
//! results (checked by `verify::check_passes`, which ends with the simulated
//! native entry), and branch-local tensors must be planned in the workspace.

use relax_compiler::interp::run_entry;
use relax_compiler::ir::entry::Step;
use relax_compiler::text::parse_module;
use relax_compiler::verify::{check_passes, Tolerance};
use relax_compiler::NDArray;
use relax_rt::DType;

/// `y = exp(x) * 2` when `sum(x) > 0`, else `-x + 1`; each branch has
/// intermediates of its own and reads `x` from outside.
const IF_MODEL: &str = r#"mod m {
    fn f(x: Tensor<[n, 3], f32>) -> Tensor<[n, 3], f32> {
        let total = sum(x, axes=[0, 1], keepdims=false);
        let positive = greater(total, 0.0);
        let y = if positive {
            let e = exp(x);
            let t = e * 2.0;
            t
        } else {
            let m = neg(x);
            let u = m + 1.0;
            u
        };
        let z = y + x;
        z
    }
}
"#;

fn expected(x: &NDArray) -> NDArray {
    let v: Vec<f64> = (0..x.numel()).map(|i| x.get(i).to_f64()).collect();
    let positive = v.iter().map(|&a| a as f32).sum::<f32>() > 0.0;
    let y: Vec<f64> = v.iter().map(|&a| if positive { 2.0 * a.exp() + a } else { -a + 1.0 + a }).collect();
    NDArray::from_f64_values(DType::F32, x.shape(), &y)
}

#[test]
fn a_run_time_if_runs_in_the_native_entry() {
    let module = parse_module(IF_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let pos = NDArray::from_f32(&[2, 3], vec![0.5, -0.25, 1.0, 0.0, 0.75, -1.0]);
    let neg = NDArray::from_f32(&[2, 3], vec![-0.5, -0.25, 1.0, 0.0, 0.75, -2.0]);
    let compiled = check_passes(module.clone(), "f", std::slice::from_ref(&pos), Tolerance::default())
        .unwrap_or_else(|e| panic!("{e}"));
    check_passes(module, "f", std::slice::from_ref(&neg), Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    for x in [pos, neg] {
        let got = run_entry(&compiled, "f", std::slice::from_ref(&x)).unwrap_or_else(|e| panic!("{e}"));
        got[0].assert_close(&expected(&x), 1e-6, 1e-6).unwrap();
    }
    let entry = &compiled.entries[0];
    let Some(Step::If { then_steps, else_steps, .. }) = entry.steps.iter().find(|s| matches!(s, Step::If { .. }))
    else {
        panic!("no branching step in {:?}", entry.steps)
    };
    // exp and the scaling fuse into one kernel, then the result is copied out.
    assert!(matches!(then_steps[..], [Step::Call { .. }, Step::Copy { .. }]), "{then_steps:?}");
    assert!(matches!(else_steps[..], [Step::Call { .. }, Step::Copy { .. }]), "{else_steps:?}");
}
