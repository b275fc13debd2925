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

/// A running sum and product over the rows of `x` (`n` rows, symbolic), with
/// the sums stacked as a scan output; the state is swapped each iteration
/// (`b` becomes the next `a`), so the next values must be staged.
const LOOP_MODEL: &str = r#"mod m {
    fn f(init: Tensor<[3], f32>, x: Tensor<[n, 3], f32>) -> (Tensor<[3], f32>, Tensor<[3], f32>, Tensor<[n, 3], f32>) {
        let r = loop [n] (a: Tensor<[3], f32> = init, b: Tensor<[3], f32> = init, row: Tensor<[3], f32> in x) {
            let s = a + row;
            let e = exp(s);
            let t = e * 0.5;
            (b, t, s)
        };
        r
    }
}
"#;

/// The same computation written out in plain Rust.
fn loop_expected(init: &[f32], x: &[f32]) -> Vec<Vec<f32>> {
    let (mut a, mut b) = (init.to_vec(), init.to_vec());
    let mut sums = Vec::new();
    for row in x.chunks(3) {
        let s: Vec<f32> = a.iter().zip(row).map(|(p, q)| p + q).collect();
        let t: Vec<f32> = s.iter().map(|v| v.exp() * 0.5).collect();
        sums.extend(&s);
        (a, b) = (b, t);
    }
    vec![a, b, sums]
}

#[test]
fn a_loop_with_carried_state_and_a_scan_output_runs_in_the_native_entry() {
    let module = parse_module(LOOP_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let init = NDArray::from_f32(&[3], vec![0.5, -1.0, 0.25]);
    let x = NDArray::from_f32(&[4, 3], (0..12).map(|v| v as f32 * 0.1 - 0.5).collect());
    let compiled =
        check_passes(module, "f", &[init.clone(), x.clone()], Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    let printed = relax_compiler::text::print_module(&compiled);
    assert!(printed.contains("loop [n] (a: Tensor<[3], f32> = init"), "{printed}");
    for rows in [4, 1, 0] {
        let x = NDArray::from_f32(&[rows, 3], x.as_f32().unwrap()[..rows * 3].to_vec());
        let got = run_entry(&compiled, "f", &[init.clone(), x.clone()]).unwrap_or_else(|e| panic!("{e}"));
        let want = loop_expected(init.as_f32().unwrap(), x.as_f32().unwrap());
        for (g, w) in got.iter().zip(want) {
            let w = NDArray::from_f32(g.shape(), w);
            g.assert_close(&w, 1e-6, 1e-6).unwrap_or_else(|e| panic!("{rows} rows: {e}"));
        }
    }
}

#[test]
fn a_loop_prints_and_parses_back() {
    let module = parse_module(LOOP_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let normalized = relax_compiler::pass::normalize::run(module).unwrap_or_else(|e| panic!("{e}"));
    let printed = relax_compiler::text::print_module(&normalized);
    let reparsed = parse_module(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(relax_compiler::text::print_module(&reparsed), printed);
}

#[test]
fn a_carried_value_that_changes_shape_is_rejected() {
    let text = LOOP_MODEL.replace("(b, t, s)", "(b, x, s)");
    let err = relax_compiler::pipeline::compile(parse_module(&text).unwrap(), &Default::default()).unwrap_err();
    let err = err.to_string();
    assert!(err.contains("carried `b`") && err.contains("keep their type"), "{err}");
}

/// Collatz steps of `x` (an i64 scalar), at most `n` of them: a while loop
/// whose condition is computed in the body.
const WHILE_MODEL: &str = r#"mod m {
    fn f(x: Tensor<[], i64>, bound: Tensor<[n], f32>) -> (Tensor<[], bool>, Tensor<[], i64>, Tensor<[], i64>) {
        let going = greater(x, 1);
        let r = loop [n] while c (c: Tensor<[], bool> = going, v: Tensor<[], i64> = x, steps: Tensor<[], i64> = 0) {
            let odd = floor_mod(v, 2);
            let is_odd = equal(odd, 1);
            let up = v * 3;
            let up1 = up + 1;
            let down = div(v, 2);
            let next = where(is_odd, up1, down);
            let more = greater(next, 1);
            let counted = steps + 1;
            (more, next, counted)
        };
        r
    }
}
"#;

fn collatz(mut v: i64, bound: i64) -> (bool, i64, i64) {
    let mut steps = 0;
    while v > 1 && steps < bound {
        v = if v % 2 == 1 { 3 * v + 1 } else { v / 2 };
        steps += 1;
    }
    (v > 1, v, steps)
}

#[test]
fn a_while_loop_stops_when_its_condition_turns_false() {
    let module = parse_module(WHILE_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let scalar = |v: i64| NDArray::from_f64_values(DType::I64, &[], &[v as f64]);
    let bound = |n: usize| NDArray::from_f32(&[n], vec![0.0; n]);
    let compiled =
        check_passes(module, "f", &[scalar(6), bound(20)], Tolerance::default()).unwrap_or_else(|e| panic!("{e}"));
    let entry = &compiled.entries[0];
    assert!(entry.steps.iter().any(|s| matches!(s, Step::Loop { cond: Some(_), .. })), "{:?}", entry.steps);
    for (x, n) in [(6, 20), (27, 20), (27, 200), (1, 5), (7, 0)] {
        let got = run_entry(&compiled, "f", &[scalar(x), bound(n)]).unwrap_or_else(|e| panic!("{e}"));
        let (going, v, steps) = collatz(x, n as i64);
        let want = [NDArray::from_f64_values(DType::Bool, &[], &[going as u8 as f64]), scalar(v), scalar(steps)];
        for (g, w) in got.iter().zip(&want) {
            g.assert_close(w, 0.0, 0.0).unwrap_or_else(|e| panic!("x = {x}, n = {n}: {e}"));
        }
    }
}

#[test]
fn a_while_loop_prints_and_parses_back() {
    let module = parse_module(WHILE_MODEL).unwrap_or_else(|e| panic!("{e}"));
    let normalized = relax_compiler::pass::normalize::run(module).unwrap_or_else(|e| panic!("{e}"));
    let printed = relax_compiler::text::print_module(&normalized);
    assert!(printed.contains("loop [n] while c (c: Tensor<[], bool> = going"), "{printed}");
    let reparsed = parse_module(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(relax_compiler::text::print_module(&reparsed), printed);
}

#[test]
fn a_while_condition_must_be_a_carried_bool_and_rules_out_scan_outputs() {
    let compile = |text: &str| {
        let module = parse_module(text).unwrap_or_else(|e| panic!("{e}"));
        relax_compiler::pipeline::compile(module, &Default::default()).unwrap_err().to_string()
    };
    let err = compile(&WHILE_MODEL.replace("while c", "while going"));
    assert!(err.contains("`while going` must name one of the loop's carried variables"), "{err}");
    let err = compile(&WHILE_MODEL.replace("while c", "while v"));
    assert!(err.contains("the loop condition `v` must be a scalar bool"), "{err}");
    let scanning = WHILE_MODEL
        .replace("(more, next, counted)", "(more, next, counted, next)")
        .replace("Tensor<[], i64>, Tensor<[], i64>)", "Tensor<[], i64>, Tensor<[], i64>, Tensor<[n], i64>)");
    let err = compile(&scanning);
    assert!(err.contains("a `while` loop cannot have scan outputs"), "{err}");
}
