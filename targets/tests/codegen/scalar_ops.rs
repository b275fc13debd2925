//! Every binary op, unary op and cast on every dtype, compared with the
//! interpreter on special and random values. Exact except where the reference
//! itself is computed with libm (transcendentals and float `pow`): there the
//! generated math library must agree to within its accuracy target.

use crate::common::*;
use relax_compiler::ir::{BinOp, PExpr, UnOp};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;
use relax_targets::Target;

const BIN_OPS: [BinOp; 23] = [
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::FloorDiv,
    BinOp::FloorMod,
    BinOp::Rem,
    BinOp::Min,
    BinOp::Max,
    BinOp::Pow,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::And,
    BinOp::Or,
    BinOp::BitAnd,
    BinOp::BitOr,
    BinOp::BitXor,
    BinOp::Shl,
    BinOp::Shr,
];

/// The binary operators defined on `dtype`: the bitwise ones on integers
/// (and/or/xor also on bool), the rest everywhere.
fn ops_for(dtype: DType) -> impl Iterator<Item = BinOp> {
    BIN_OPS.into_iter().filter(move |op| {
        !op.is_bitwise() || dtype.is_int() || (dtype == DType::Bool && !matches!(op, BinOp::Shl | BinOp::Shr))
    })
}

const UN_OPS: [UnOp; 13] = [
    UnOp::Neg,
    UnOp::Not,
    UnOp::Abs,
    UnOp::Exp,
    UnOp::Log,
    UnOp::Sqrt,
    UnOp::Tanh,
    UnOp::Erf,
    UnOp::Floor,
    UnOp::Ceil,
    UnOp::Round,
    UnOp::Sin,
    UnOp::Cos,
];

const COUNT: usize = 1500;

fn bin_result(op: BinOp, d: DType) -> DType {
    if op.is_comparison() || matches!(op, BinOp::And | BinOp::Or) {
        DType::Bool
    } else {
        d
    }
}

fn bin_name(op: BinOp, d: DType) -> String {
    format!("bin_{op:?}_{d}")
}

fn un_name(op: UnOp, d: DType) -> String {
    format!("un_{op:?}_{d}")
}

/// How closely generated code must match the reference for `op` on `dtype`.
fn tolerance(libm_based: bool, dtype: DType) -> (f64, f64) {
    match (libm_based, dtype) {
        (false, _) => (0.0, 0.0),
        (true, DType::F32) => (1e-6, 1e-37),
        (true, DType::F64) => (1e-13, 1e-300),
        // The reference rounds f64 math to the format, generated code f32
        // math: where the two straddle a rounding boundary they differ by one
        // unit in the last place (relative 2^-fraction bits; for E8M0, whose
        // neighbours are a factor 2 apart, 1).
        (true, d) if d.narrow_float().is_some() => match d.float_format() {
            Some(f) => (2f64.powi(-(f.mantissa_bits as i32)), f.decode(1)),
            None => (1.0, 2f64.powi(-127)),
        },
        // Integer results of f64 math are truncated: values within 1e-15 of an
        // integer may land on either side of it.
        (true, _) => (0.0, 1.0),
    }
}

fn is_transcendental(op: UnOp) -> bool {
    matches!(op, UnOp::Exp | UnOp::Log | UnOp::Tanh | UnOp::Erf | UnOp::Sin | UnOp::Cos)
}

fn binary_module(dtypes: &[DType]) -> IRModule {
    let mut kernels = Vec::new();
    for &d in dtypes {
        for op in ops_for(d) {
            kernels.push(map_kernel(&bin_name(op, d), &[d, d], bin_result(op, d), |x| {
                PExpr::bin(op, x[0].clone(), x[1].clone())
            }));
        }
    }
    module_of(kernels)
}

fn unary_module(dtypes: &[DType]) -> IRModule {
    let mut kernels = Vec::new();
    for &d in dtypes {
        for op in UN_OPS {
            kernels.push(map_kernel(&un_name(op, d), &[d], d, |x| PExpr::un(op, x[0].clone())));
        }
    }
    module_of(kernels)
}

fn check_binary_ops(target: &Target, dtypes: &[DType]) {
    let module = binary_module(dtypes);
    let failures: Vec<String> = with_jit(&module, target, |jit| {
        let mut failures = Vec::new();
        for &d in dtypes {
            let (a, b) = binary_operands(d, COUNT);
            for op in ops_for(d) {
                let out = NDArray::zeros(bin_result(op, d), &[COUNT]);
                let (got, want) =
                    run_both(jit, &module, &bin_name(op, d), &[a.clone(), b.clone(), out], &[COUNT as i64]);
                let (rtol, atol) = tolerance(op == BinOp::Pow && d.is_float(), d);
                if let Err(e) = compare(&bin_name(op, d), &got[2], &want[2], &[&a, &b], rtol, atol) {
                    failures.push(e);
                }
            }
        }
        failures
    });
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

fn check_unary_ops(target: &Target, dtypes: &[DType]) {
    let module = unary_module(dtypes);
    let failures: Vec<String> = with_jit(&module, target, |jit| {
        let mut failures = Vec::new();
        for &d in dtypes {
            let a = test_values(d, COUNT, 5);
            for op in UN_OPS {
                let (got, want) =
                    run_both(jit, &module, &un_name(op, d), &[a.clone(), NDArray::zeros(d, &[COUNT])], &[COUNT as i64]);
                let (rtol, atol) = tolerance(is_transcendental(op), d);
                let (got, want) = if matches!(op, UnOp::Sin | UnOp::Cos) {
                    exact_trig_range(&a, &got[1], &want[1])
                } else {
                    (got[1].clone(), want[1].clone())
                };
                if let Err(e) = compare(&un_name(op, d), &got, &want, &[&a], rtol, atol) {
                    failures.push(e);
                }
            }
        }
        failures
    });
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// sin and cos reduce their argument exactly only for |x| < 2^24; beyond,
/// they must still land in [-1, 1]. Returns the results where |x| < 2^24,
/// the others replaced by the reference, after checking the bound.
fn exact_trig_range(x: &NDArray, got: &NDArray, want: &NDArray) -> (NDArray, NDArray) {
    let exact = |i: usize| {
        let magnitude = x.get(i).to_f64().abs();
        magnitude.is_nan() || magnitude < 16777216.0
    };
    for i in (0..x.numel()).filter(|&i| !exact(i)) {
        let v = got.get(i).to_f64();
        assert!(v.is_nan() || v.abs() <= 1.0, "sin/cos({:?}) = {v} is outside [-1, 1]", x.get(i));
    }
    let kept = NDArray::from_fn(got.dtype(), got.shape(), |i| if exact(i) { got.get(i) } else { want.get(i) });
    (kept, want.clone())
}

#[test]
fn binary_ops_match_the_interpreter_for_every_dtype() {
    check_binary_ops(&Target::host(), &DType::ALL);
}

#[test]
fn unary_ops_match_the_interpreter_for_every_dtype() {
    check_unary_ops(&Target::host(), &DType::ALL);
}

/// The x86-64 baseline has no rounding instructions, so floor, ceil, round
/// and everything built on them (floor division, pow) take the emulated path.
#[test]
fn float_ops_match_without_rounding_instructions() {
    let Ok(baseline) = Target::from_triple("x86_64-unknown-linux-gnu", &[]) else { return };
    if Target::host().arch() != baseline.arch() {
        eprintln!("skipped: the emulated rounding path is x86-64 only and this host is not x86-64");
        return;
    }
    assert!(!baseline.has_native_rounding());
    check_unary_ops(&baseline, &[DType::F32, DType::F64]);
    check_binary_ops(&baseline, &[DType::F32, DType::F64]);
}

#[test]
fn casts_match_the_interpreter_for_every_pair_of_dtypes() {
    let name = |from: DType, to: DType| format!("cast_{from}_{to}");
    let mut kernels = Vec::new();
    for from in DType::ALL {
        for to in DType::ALL {
            kernels.push(map_kernel(&name(from, to), &[from], to, |x| PExpr::cast(to, x[0].clone())));
        }
    }
    let module = module_of(kernels);
    let failures: Vec<String> = with_jit(&module, &Target::host(), |jit| {
        let mut failures = Vec::new();
        for from in DType::ALL {
            let a = test_values(from, COUNT, 7);
            for to in DType::ALL {
                let (got, want) = run_both(
                    jit,
                    &module,
                    &name(from, to),
                    &[a.clone(), NDArray::zeros(to, &[COUNT])],
                    &[COUNT as i64],
                );
                if let Err(e) = compare(&name(from, to), &got[1], &want[1], &[&a], 0.0, 0.0) {
                    failures.push(e);
                }
            }
        }
        failures
    });
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// `MIN / -1` overflows; generated code wraps (and never traps) for every
/// division-like op. The interpreter cannot be the oracle here for i64 (its
/// `floor_div` overflows), so the expected values are written out.
#[test]
fn division_of_the_minimum_by_minus_one_wraps() {
    let ops = [BinOp::Div, BinOp::FloorDiv, BinOp::Rem, BinOp::FloorMod];
    let mut kernels = Vec::new();
    for d in [DType::I8, DType::I32, DType::I64] {
        for op in ops {
            kernels.push(map_kernel(&bin_name(op, d), &[d, d], d, |x| PExpr::bin(op, x[0].clone(), x[1].clone())));
        }
    }
    let module = module_of(kernels);
    with_jit(&module, &Target::host(), |jit| {
        for (d, min) in [(DType::I8, i8::MIN as i64), (DType::I32, i32::MIN as i64), (DType::I64, i64::MIN)] {
            for (op, expected) in [(BinOp::Div, min), (BinOp::FloorDiv, min), (BinOp::Rem, 0), (BinOp::FloorMod, 0)] {
                let mut args = vec![
                    NDArray::from_i64_values(d, &[2], &[min, min]),
                    NDArray::from_i64_values(d, &[2], &[-1, 0]),
                    NDArray::zeros(d, &[2]),
                ];
                run_jit(jit, &bin_name(op, d), &mut args, &[2]);
                assert_eq!(args[2], NDArray::from_i64_values(d, &[2], &[expected, 0]), "{op:?} on {d}");
            }
        }
    });
}

/// Reinterpreting bits between every pair of dtypes of one width (f32 and
/// i32, f16 and u16, bool and u8, i4 and u4 ...), on special and random values.
#[test]
fn bitcasts_match_the_interpreter_for_every_pair_of_one_width() {
    let name = |from: DType, to: DType| format!("bitcast_{from}_{to}");
    let same_width = |a: DType, b: DType| a.bits() == b.bits() && a.size() == b.size();
    let pairs: Vec<(DType, DType)> = DType::ALL
        .into_iter()
        .flat_map(|a| DType::ALL.into_iter().map(move |b| (a, b)))
        .filter(|&(a, b)| same_width(a, b))
        .collect();
    let kernels = pairs
        .iter()
        .map(|&(from, to)| map_kernel(&name(from, to), &[from], to, |x| PExpr::bitcast(to, x[0].clone())))
        .collect();
    let module = module_of(kernels);
    let failures: Vec<String> = with_jit(&module, &Target::host(), |jit| {
        let mut failures = Vec::new();
        for &(from, to) in &pairs {
            let a = test_values(from, COUNT, 9);
            let args = [a.clone(), NDArray::zeros(to, &[COUNT])];
            let (got, want) = run_both(jit, &module, &name(from, to), &args, &[COUNT as i64]);
            if let Err(e) = compare(&name(from, to), &got[1], &want[1], &[&a], 0.0, 0.0) {
                failures.push(e);
            }
        }
        failures
    });
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    assert!(pairs.contains(&(DType::F32, DType::I32)) && pairs.contains(&(DType::I4, DType::F4E2M1)));
}
