//! Accuracy of the generated math library against the platform's libm (Rust
//! std, and the `libm` crate for erf and the inverse trigonometric and
//! hyperbolic functions, which std computes by textbook formulas that
//! overflow early) over dense sweeps of each function's
//! range plus edge cases. f32 results are measured in ulps from the f64
//! reference rounded to f32; f64 results by relative error (absolute error
//! near zeros of sin and cos, where relative error is not meaningful).

use crate::common::*;
use relax_compiler::ir::{BinOp, PExpr, UnOp};
use relax_compiler::{NDArray, Scalar};
use relax_rt::DType;
use relax_targets::Target;

#[derive(Clone, Copy, Debug)]
struct Function {
    op: UnOp,
    reference: fn(f64) -> f64,
    /// Where to sample: `(low, high, logarithmic)`.
    ranges: &'static [(f64, f64, bool)],
}

const FUNCTIONS: [Function; 14] = [
    Function { op: UnOp::Exp, reference: f64::exp, ranges: &[(-745.0, 709.7, false), (-1.0, 1.0, false)] },
    Function {
        op: UnOp::Log,
        reference: f64::ln,
        ranges: &[(1e-307, 1e307, true), (0.5, 2.0, false), (5e-324, 1e-307, true)],
    },
    Function { op: UnOp::Tanh, reference: f64::tanh, ranges: &[(-25.0, 25.0, false), (1e-30, 1.0, true)] },
    Function { op: UnOp::Erf, reference: libm::erf, ranges: &[(-7.0, 7.0, false), (1e-30, 1.0, true)] },
    Function {
        op: UnOp::Sin,
        reference: f64::sin,
        ranges: &[(-1e5, 1e5, false), (-10.0, 10.0, false), (1e-30, 1.0, true)],
    },
    Function {
        op: UnOp::Cos,
        reference: f64::cos,
        ranges: &[(-1e5, 1e5, false), (-10.0, 10.0, false), (1e-30, 1.0, true)],
    },
    Function { op: UnOp::Asin, reference: libm::asin, ranges: &[(-1.0, 1.0, false), (1e-30, 1.0, true)] },
    Function { op: UnOp::Acos, reference: libm::acos, ranges: &[(-1.0, 1.0, false), (1e-30, 1.0, true)] },
    Function { op: UnOp::Atan, reference: libm::atan, ranges: &[(-10.0, 10.0, false), (1e-30, 1e30, true)] },
    Function { op: UnOp::Sinh, reference: libm::sinh, ranges: &[(-710.0, 710.0, false), (1e-30, 30.0, true)] },
    Function { op: UnOp::Cosh, reference: libm::cosh, ranges: &[(-710.0, 710.0, false), (1e-30, 30.0, true)] },
    Function { op: UnOp::Asinh, reference: libm::asinh, ranges: &[(-10.0, 10.0, false), (1e-30, 1e300, true)] },
    Function { op: UnOp::Acosh, reference: libm::acosh, ranges: &[(1.0, 10.0, false), (1.0, 1e300, true)] },
    Function { op: UnOp::Atanh, reference: libm::atanh, ranges: &[(-1.0, 1.0, false), (1e-30, 1.0, true)] },
];

const SAMPLES_PER_RANGE: usize = 40_000;

/// Points evenly spread over each range (geometrically for logarithmic ones,
/// mirrored to negative values), clamped to the format's finite range.
fn sample_points(f: &Function, dtype: DType) -> Vec<f64> {
    let mut points = Vec::new();
    for &(low, high, logarithmic) in f.ranges {
        for k in 0..SAMPLES_PER_RANGE {
            let t = k as f64 / (SAMPLES_PER_RANGE - 1) as f64;
            let x = if logarithmic { low * (high / low).powf(t) } else { low + (high - low) * t };
            points.push(x);
            if logarithmic && !matches!(f.op, UnOp::Log | UnOp::Acosh) {
                points.push(-x);
            }
        }
    }
    let max = if dtype == DType::F32 { f32::MAX as f64 } else { f64::MAX };
    points.into_iter().map(|x| Scalar::F(x.clamp(-max, max)).cast(dtype).to_f64()).collect()
}

/// Distance in units in the last place between two f32 values.
fn ulps_f32(a: f32, b: f32) -> u64 {
    let key = |v: f32| {
        let bits = v.to_bits() as i64;
        if bits < 0 {
            i32::MIN as i64 - bits
        } else {
            bits
        }
    };
    (key(a) - key(b)).unsigned_abs()
}

struct Measured {
    worst: f64,
    at: f64,
}

fn measure(f: &Function, dtype: DType, x: &[f64], got: &NDArray) -> Measured {
    let mut m = Measured { worst: 0.0, at: x[0] };
    for (i, &xi) in x.iter().enumerate() {
        let (g, r) = (got.get(i).to_f64(), (f.reference)(xi));
        let error = if dtype == DType::F32 {
            let r32 = r as f32;
            if r32.is_nan() && (g as f32).is_nan() {
                0.0
            } else {
                ulps_f32(g as f32, r32) as f64
            }
        } else if g == r || (g.is_nan() && r.is_nan()) {
            0.0
        } else if matches!(f.op, UnOp::Sin | UnOp::Cos) && r.abs() < 1e-3 {
            (g - r).abs() / 1e-3
        } else {
            ((g - r) / r).abs()
        };
        if error.is_nan() || error > m.worst {
            m = Measured { worst: error, at: xi };
        }
    }
    m
}

#[test]
fn math_functions_are_accurate_over_their_ranges() {
    let name = |f: &Function, d: DType| format!("{:?}_{d}", f.op);
    let mut kernels = Vec::new();
    for f in &FUNCTIONS {
        for d in [DType::F32, DType::F64] {
            kernels.push(map_kernel(&name(f, d), &[d], d, |x| PExpr::un(f.op, x[0].clone())));
        }
    }
    let module = module_of(kernels);
    let mut report = Vec::new();
    with_jit(&module, &Target::host(), |jit| {
        for f in &FUNCTIONS {
            for d in [DType::F32, DType::F64] {
                let x = sample_points(f, d);
                let mut args = vec![NDArray::from_f64_values(d, &[x.len()], &x), NDArray::zeros(d, &[x.len()])];
                run_jit(jit, &name(f, d), &mut args, &[x.len() as i64]);
                let m = measure(f, d, &x, &args[1]);
                let (bound, unit) = match (d, inverse_or_hyperbolic(f.op)) {
                    (DType::F32, _) => (3.0, "ulp"),
                    (_, true) => (1e-15, "relative"),
                    (_, false) => (1e-13, "relative"),
                };
                report.push(format!("{:>10}: max error {:.3e} {unit} at x = {:e}", name(f, d), m.worst, m.at));
                assert!(
                    m.worst <= bound,
                    "{}: error {:e} {unit} at x = {:e} exceeds {bound:e}",
                    name(f, d),
                    m.worst,
                    m.at
                );
            }
        }
    });
    eprintln!("{}", report.join("\n"));
}

/// The functions held to ~1e-15 in f64: the inverse trigonometric and
/// hyperbolic ones.
fn inverse_or_hyperbolic(op: UnOp) -> bool {
    matches!(
        op,
        UnOp::Asin | UnOp::Acos | UnOp::Atan | UnOp::Sinh | UnOp::Cosh | UnOp::Asinh | UnOp::Acosh | UnOp::Atanh
    )
}

/// Special values: exact results the C functions specify.
#[test]
fn math_functions_handle_special_values() {
    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let half_pi = std::f64::consts::FRAC_PI_2;
    let cases: [(UnOp, &[(f64, f64)]); 14] = [
        (
            UnOp::Exp,
            &[(0.0, 1.0), (-0.0, 1.0), (inf, inf), (-inf, 0.0), (nan, nan), (710.0, inf), (-746.0, 0.0), (1e300, inf)],
        ),
        (UnOp::Log, &[(1.0, 0.0), (0.0, -inf), (-0.0, -inf), (-1.0, nan), (-inf, nan), (inf, inf), (nan, nan)]),
        (UnOp::Tanh, &[(0.0, 0.0), (inf, 1.0), (-inf, -1.0), (nan, nan), (50.0, 1.0), (-50.0, -1.0)]),
        (UnOp::Erf, &[(0.0, 0.0), (inf, 1.0), (-inf, -1.0), (nan, nan), (10.0, 1.0), (-10.0, -1.0)]),
        (UnOp::Sin, &[(0.0, 0.0), (inf, nan), (-inf, nan), (nan, nan)]),
        (UnOp::Cos, &[(0.0, 1.0), (inf, nan), (-inf, nan), (nan, nan)]),
        (UnOp::Asin, &[(0.0, 0.0), (-0.0, -0.0), (1.0, half_pi), (-1.0, -half_pi), (1.5, nan), (nan, nan)]),
        (UnOp::Acos, &[(1.0, 0.0), (-1.0, std::f64::consts::PI), (0.0, half_pi), (-1.5, nan), (nan, nan)]),
        (UnOp::Atan, &[(0.0, 0.0), (-0.0, -0.0), (inf, half_pi), (-inf, -half_pi), (nan, nan)]),
        (UnOp::Sinh, &[(0.0, 0.0), (-0.0, -0.0), (inf, inf), (-inf, -inf), (1000.0, inf), (nan, nan)]),
        (UnOp::Cosh, &[(0.0, 1.0), (-0.0, 1.0), (inf, inf), (-inf, inf), (-1000.0, inf), (nan, nan)]),
        (UnOp::Asinh, &[(0.0, 0.0), (-0.0, -0.0), (inf, inf), (-inf, -inf), (nan, nan)]),
        (UnOp::Acosh, &[(1.0, 0.0), (inf, inf), (0.5, nan), (-1.0, nan), (-inf, nan), (nan, nan)]),
        (UnOp::Atanh, &[(0.0, 0.0), (-0.0, -0.0), (1.0, inf), (-1.0, -inf), (1.5, nan), (-inf, nan), (nan, nan)]),
    ];
    let name = |op: UnOp, d: DType| format!("{op:?}_{d}");
    let mut kernels = Vec::new();
    for (op, _) in &cases {
        for d in [DType::F32, DType::F64] {
            kernels.push(map_kernel(&name(*op, d), &[d], d, |x| PExpr::un(*op, x[0].clone())));
        }
    }
    let module = module_of(kernels);
    with_jit(&module, &Target::host(), |jit| {
        for (op, pairs) in &cases {
            for d in [DType::F32, DType::F64] {
                let x: Vec<f64> = pairs.iter().map(|p| p.0).collect();
                let mut args = vec![NDArray::from_f64_values(d, &[x.len()], &x), NDArray::zeros(d, &[x.len()])];
                run_jit(jit, &name(*op, d), &mut args, &[x.len() as i64]);
                for (i, &(input, expected)) in pairs.iter().enumerate() {
                    let expected = Scalar::F(expected).cast(d).to_f64();
                    let got = args[1].get(i).to_f64();
                    let same = (got.is_nan() && expected.is_nan())
                        || (got == expected && got.is_sign_negative() == expected.is_sign_negative());
                    assert!(same, "{op:?} on {d} of {input}: got {got}, expected {expected}");
                }
            }
        }
    });
}

fn run_pow(dtype: DType, x: &[f64], y: &[f64]) -> NDArray {
    let module = module_of(vec![map_kernel("pow", &[dtype, dtype], dtype, |v| {
        PExpr::bin(BinOp::Pow, v[0].clone(), v[1].clone())
    })]);
    with_jit(&module, &Target::host(), |jit| {
        let n = x.len();
        let mut args = vec![
            NDArray::from_f64_values(dtype, &[n], x),
            NDArray::from_f64_values(dtype, &[n], y),
            NDArray::zeros(dtype, &[n]),
        ];
        run_jit(jit, "pow", &mut args, &[n as i64]);
        args.pop().unwrap()
    })
}

/// `pow` against C's: accurate for positive bases, exact-ish for integer
/// exponents of negative bases, and the special cases C specifies.
#[test]
fn pow_is_accurate_and_follows_c_special_cases() {
    let mut rng = Rng(99);
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for k in 0..50_000 {
        let base = 10f64.powf(rng.unit() * 3.0);
        if k % 2 == 0 {
            x.push(base);
            y.push(rng.unit() * 30.0);
        } else {
            x.push(-base);
            y.push((rng.unit() * 40.0).round());
        }
    }
    let got = run_pow(DType::F64, &x, &y);
    let mut worst = (0.0f64, 0.0, 0.0);
    for i in 0..x.len() {
        let (g, r) = (got.get(i).to_f64(), x[i].powf(y[i]));
        let error = if g == r { 0.0 } else { ((g - r) / r).abs() };
        if error > worst.0 {
            worst = (error, x[i], y[i]);
        }
    }
    eprintln!("pow_f64: max relative error {:.3e} at {}^{}", worst.0, worst.1, worst.2);
    assert!(worst.0 <= 1e-13, "pow({}, {}) is off by {:e}", worst.1, worst.2, worst.0);

    let (inf, nan) = (f64::INFINITY, f64::NAN);
    let special = [
        (0.0, 0.0, 1.0),
        (nan, 0.0, 1.0),
        (1.0, nan, 1.0),
        (-1.0, inf, 1.0),
        (-1.0, -inf, 1.0),
        (-2.0, 3.0, -8.0),
        (-2.0, 2.0, 4.0),
        (-2.0, -1.0, -0.5),
        (-2.0, 0.5, nan),
        (4.0, 0.5, 2.0),
        (-0.0, 0.5, 0.0),
        (-0.0, -1.0, -inf),
        (0.0, -1.0, inf),
        (-0.0, 3.0, -0.0),
        (-inf, 3.0, -inf),
        (-inf, 0.5, inf),
        (-inf, -3.0, -0.0),
        (0.5, inf, 0.0),
        (2.0, inf, inf),
        (2.0, -inf, 0.0),
        (nan, 1.0, nan),
        (2.0, nan, nan),
        (10.0, 2.0, 100.0),
        (3.0, 2.0, 9.0),
        (2.0, -1074.0, 5e-324),
    ];
    for dtype in [DType::F32, DType::F64] {
        let (x, y): (Vec<f64>, Vec<f64>) = special.iter().map(|c| (c.0, c.1)).unzip();
        let got = run_pow(dtype, &x, &y);
        for (i, &(a, b, expected)) in special.iter().enumerate() {
            let expected = Scalar::F(expected).cast(dtype).to_f64();
            let g = got.get(i).to_f64();
            let same = (g.is_nan() && expected.is_nan())
                || (g == expected && g.is_sign_negative() == expected.is_sign_negative());
            assert!(same, "pow({a}, {b}) on {dtype} = {g}, expected {expected}");
        }
    }
}
