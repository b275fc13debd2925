//! Shared helpers: building kernels, running them in the JIT and in the
//! reference interpreter, and comparing.

use inkwell::context::Context;
use relax_compiler::interp::tir::run_prim_func;
use relax_compiler::ir::entry::{BufRef, Check, DimBinding, EntryFunc, EntryParam, Step};
use relax_compiler::ir::{BinOp, Buffer, Dim, PExpr, PrimFunc, Stmt, UnOp};
use relax_compiler::{IRModule, NDArray, Scalar};
use relax_rt::DType;
use relax_targets::jit::JitModule;
use relax_targets::Target;

/// A module holding only `kernels`.
pub fn module_of(kernels: Vec<PrimFunc>) -> IRModule {
    IRModule { name: "test".into(), prim_funcs: kernels, ..IRModule::default() }
}

/// A kernel with the given buffers (inputs then `num_outputs` outputs).
pub fn kernel(name: &str, params: Vec<Buffer>, num_outputs: usize, dims: &[&str], body: Stmt) -> PrimFunc {
    PrimFunc { name: name.into(), params, num_outputs, dims: dims.iter().map(|d| d.to_string()).collect(), body }
}

pub fn dims(names: &[&str]) -> Vec<Dim> {
    names.iter().map(|n| Dim::var(n)).collect()
}

/// Runs kernel `name` of `module` in the interpreter and in JIT-compiled code
/// for `target` on the same arguments; returns both sets of arguments after.
pub fn run_both(
    jit: &JitModule<'_>,
    module: &IRModule,
    name: &str,
    args: &[NDArray],
    dim_values: &[i64],
) -> (Vec<NDArray>, Vec<NDArray>) {
    let f = module.prim_func(name).unwrap_or_else(|| panic!("no kernel {name}"));
    let mut expected = args.to_vec();
    run_prim_func(f, &mut expected, dim_values).unwrap_or_else(|e| panic!("interpreter: {e}"));
    let mut got = args.to_vec();
    // SAFETY: the interpreter just ran the same kernel on the same shapes with
    // bounds checks, so its accesses are in bounds.
    unsafe { jit.run_prim_func(name, &mut got, dim_values) }.unwrap_or_else(|e| panic!("jit: {e}"));
    (got, expected)
}

/// Compiles `module` for `target` in a fresh context and hands the JIT to `f`.
pub fn with_jit<R>(module: &IRModule, target: &Target, f: impl FnOnce(&JitModule<'_>) -> R) -> R {
    let context = Context::create();
    let jit = JitModule::compile_for(&context, module, target, "test").unwrap_or_else(|e| panic!("compile: {e}"));
    f(&jit)
}

/// Test values for `dtype`: the special cases first (zeros, extremes, NaN and
/// infinities, halfway points for rounding), then pseudo-random values over a
/// small and a wide range. `i64::MIN` is left out: the interpreter's
/// `floor_div` overflows on `MIN / -1` (tested separately).
pub fn test_values(dtype: DType, count: usize, seed: u64) -> NDArray {
    let specials = special_values(dtype);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    NDArray::from_fn(dtype, &[count], |i| {
        if i < specials.len() {
            return specials[i];
        }
        match dtype {
            _ if dtype.is_float() && i % 2 == 0 => Scalar::F(rng.unit() * 8.0),
            _ if dtype.is_float() => Scalar::F(rng.unit() * 10f64.powi((rng.next() % 12) as i32 - 4)),
            DType::U64 if i % 2 == 0 => Scalar::from_u64(rng.next()),
            DType::Bool => Scalar::B(rng.next() & 1 == 1),
            DType::I64 if i % 2 == 0 => Scalar::I((rng.next() >> 1) as i64 * if rng.next() & 1 == 1 { -1 } else { 1 }),
            _ if i % 2 == 0 => Scalar::I(rng.next() as i64),
            _ => Scalar::I((rng.next() % 19) as i64 - 9),
        }
    })
}

fn special_values(dtype: DType) -> Vec<Scalar> {
    match dtype {
        _ if dtype.float_format().is_some() => NARROW_FLOAT_SPECIALS.iter().map(|&v| Scalar::F(v)).collect(),
        DType::F32 | DType::F64 => [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            -0.5,
            1.5,
            -2.5,
            2.0,
            3.0,
            -3.0,
            0.1,
            1e-3,
            7.0,
            -100.0,
            1e30,
            -1e30,
            1e-40,
            1e-310,
            300.0,
            -129.0,
            2.5e9,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ]
        .into_iter()
        .map(Scalar::F)
        .collect(),
        DType::Bool => vec![Scalar::B(false), Scalar::B(true)],
        // Shift amounts at and around every width (8, 16, 32, 64) too.
        _ => [0, 1, -1, 2, -2, 3, 7, -7, 8, 15, 16, 31, 32, 63, 64, 100, -128, 127, 255, 65535, -32768]
            .into_iter()
            .chain([i32::MIN as i64, i32::MAX as i64, i64::MAX, i64::MIN + 1])
            .map(Scalar::I)
            // (u64 only: as i64 they would be `i64::MIN`, see above.)
            .chain(if dtype == DType::U64 { vec![Scalar::U(u64::MAX), Scalar::U(1 << 63)] } else { vec![] })
            .collect(),
    }
}

/// Values probing narrow floats (given to every one; each rounds them on the
/// way in, and their sums and products land on ties): the largest finite
/// values and the halfway points above them (f16 65504/65520, E4M3FN 448/464,
/// E4M3FNUZ 240/248, E5M2 57344/61440), subnormals and their halfway points,
/// the ties just above 1 for 10 (f16) and 7 (bf16) fraction bits, NaN and
/// infinities.
const NARROW_FLOAT_SPECIALS: [f64; 28] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -2.5,
    3.0,
    0.1,
    65504.0,
    65520.0,
    -65519.0,
    448.0,
    464.0,
    240.0,
    248.0,
    57344.0,
    61440.0,
    5.960464477539063e-8,  // 2^-24, the smallest f16 subnormal
    2.9802322387695312e-8, // 2^-25, halfway to it
    8.940696716308594e-8,  // 3 * 2^-25, halfway between two subnormals
    1.00048828125,         // 1 + 2^-11
    1.00146484375,         // 1 + 3 * 2^-11
    1.00390625,            // 1 + 2^-8
    3.0e38,
    1e-40,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

/// xorshift64: deterministic data without a dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
}

/// Element-wise equality where NaN equals NaN and, for floats, values within
/// `rtol` (relative) or `atol` (absolute) count as equal. On failure, says
/// where, with the inputs that produced it.
pub fn compare(
    what: &str,
    got: &NDArray,
    want: &NDArray,
    inputs: &[&NDArray],
    rtol: f64,
    atol: f64,
) -> Result<(), String> {
    for i in 0..want.numel() {
        let (g, w) = (got.get(i), want.get(i));
        let (gf, wf) = (g.to_f64(), w.to_f64());
        let same = g == w || (gf.is_nan() && wf.is_nan()) || gf == wf || (gf - wf).abs() <= atol.max(rtol * wf.abs());
        if !same {
            let args: Vec<String> = inputs.iter().map(|a| format!("{:?}", a.get(i))).collect();
            return Err(format!("{what}: element {i} of ({}) is {g:?}, expected {w:?}", args.join(", ")));
        }
    }
    Ok(())
}

/// `out[i] = f(in0[i], in1[i], ...)` over a symbolic length `n`.
pub fn map_kernel(name: &str, inputs: &[DType], out: DType, f: impl Fn(Vec<PExpr>) -> PExpr) -> PrimFunc {
    let i = || PExpr::var("i");
    let mut params: Vec<Buffer> =
        inputs.iter().enumerate().map(|(k, &d)| Buffer::new(format!("in{k}"), d, dims(&["n"]))).collect();
    params.push(Buffer::new("out", out, dims(&["n"])));
    let loads = (0..inputs.len()).map(|k| PExpr::load(&format!("in{k}"), vec![i()])).collect();
    let body = Stmt::for_("i", PExpr::var("n"), Stmt::store("out", vec![i()], f(loads)));
    kernel(name, params, 1, &["n"], body)
}

/// Operands covering every pair of special values, then random pairs.
pub fn binary_operands(dtype: DType, count: usize) -> (NDArray, NDArray) {
    let specials = special_values(dtype);
    let s = specials.len();
    let (ra, rb) = (test_values(dtype, count, 11), test_values(dtype, count, 12));
    let a = NDArray::from_fn(dtype, &[count], |i| if i < s * s { specials[i / s] } else { ra.get(i) });
    let b = NDArray::from_fn(dtype, &[count], |i| if i < s * s { specials[i % s] } else { rb.get(i) });
    (a, b)
}

/// An entry `name` running kernel `kernel` on one input `x: [n]` and one
/// output `y: [n]`, with the usual checks.
pub fn map_entry(name: &str, kernel: &str, input: DType, output: DType) -> EntryFunc {
    let n = || Dim::var("n");
    EntryFunc {
        name: name.into(),
        inputs: vec![EntryParam { name: "x".into(), dtype: input, shape: vec![n()] }],
        outputs: vec![EntryParam { name: "y".into(), dtype: output, shape: vec![n()] }],
        bindings: vec![DimBinding::axis("n", 0, 0)],
        checks: vec![
            Check::Rank { input: 0 },
            Check::DType { input: 0 },
            Check::Output { output: 0 },
            Check::Workspace,
        ],
        workspace_bytes: Dim::Int(0),
        steps: vec![Step::Call {
            func: kernel.into(),
            args: vec![BufRef::Input(0), BufRef::Output(0)],
            dims: vec![n()],
        }],
    }
}

/// A module using every math routine in f32 and f64 (and integer pow), each
/// behind an entry so it survives into the object file.
pub fn math_module() -> IRModule {
    let mut module = module_of(Vec::new());
    for d in [DType::F32, DType::F64, DType::I32] {
        let f = |x: Vec<PExpr>| {
            let x = x[0].clone();
            let sum = |a: PExpr, b: PExpr| PExpr::bin(BinOp::Add, a, b);
            let mut acc = PExpr::bin(BinOp::Pow, x.clone(), x.clone());
            if d.is_float() {
                for op in [
                    UnOp::Exp,
                    UnOp::Log,
                    UnOp::Tanh,
                    UnOp::Erf,
                    UnOp::Sin,
                    UnOp::Cos,
                    UnOp::Floor,
                    UnOp::Ceil,
                    UnOp::Round,
                    UnOp::Sqrt,
                ] {
                    acc = sum(acc, PExpr::un(op, x.clone()));
                }
                acc = sum(acc, PExpr::bin(BinOp::Rem, x.clone(), x.clone()));
                acc = sum(acc, PExpr::bin(BinOp::FloorMod, x.clone(), x.clone()));
            }
            acc
        };
        let kernel_name = format!("math_{d}");
        module.prim_funcs.push(map_kernel(&kernel_name, &[d], d, f));
        module.entries.push(map_entry(&kernel_name, &kernel_name, d, d));
    }
    module
}

/// The path of an LLVM 19 tool (`llvm-nm`, ...), from the prefix the build uses.
pub fn llvm_tool(name: &str) -> std::path::PathBuf {
    let prefix = std::env::var("LLVM_SYS_191_PREFIX").unwrap_or_else(|_| "/usr/lib/llvm-19".into());
    std::path::Path::new(&prefix).join("bin").join(name)
}

/// Runs a kernel of the JIT whose accesses are known to be in bounds: the
/// element-wise test kernels index `0..n` of buffers of length `n`.
pub fn run_jit(jit: &JitModule<'_>, name: &str, args: &mut [NDArray], dim_values: &[i64]) {
    // SAFETY: see above; `run_prim_func` checks the buffers have the declared shapes.
    unsafe { jit.run_prim_func(name, args, dim_values) }.unwrap_or_else(|e| panic!("{name}: {e}"));
}
