//! Native entries called through the C ABI (`relax_rt::abi`): shapes and
//! workspace reported by `_prepare`, results of the run function, and the
//! exact check id returned for each kind of bad argument.

use crate::common::*;
use inkwell::context::Context;
use relax_compiler::ir::entry::{BufRef, Check, DimBinding, EntryFunc, EntryParam, Step};
use relax_compiler::ir::{BinOp, Buffer, Dim, PExpr, Stmt};
use relax_compiler::{IRModule, NDArray};
use relax_rt::abi::RelaxTensor;
use relax_rt::DType;
use relax_targets::jit::{EntryPoints, JitModule};

pub const SCALE: [f32; 4] = [0.5, -2.0, 3.0, 10.0];

/// `y = x * scale + x` for `x: [n, 4] f32`, with `x * scale` in the workspace
/// and `scale` a module constant.
pub fn scale_module() -> IRModule {
    let (i, j) = (|| PExpr::var("i"), || PExpr::var("j"));
    let rows = || vec![Dim::var("n"), Dim::Int(4)];
    let nest = |body| Stmt::for_("i", PExpr::var("n"), Stmt::for_("j", PExpr::int(4), body));
    let scale_rows = kernel(
        "scale_rows",
        vec![
            Buffer::new("x", DType::F32, rows()),
            Buffer::new("c", DType::F32, vec![Dim::Int(4)]),
            Buffer::new("t", DType::F32, rows()),
        ],
        1,
        &["n"],
        nest(Stmt::store(
            "t",
            vec![i(), j()],
            PExpr::bin(BinOp::Mul, PExpr::load("x", vec![i(), j()]), PExpr::load("c", vec![j()])),
        )),
    );
    let add = kernel(
        "add_rows",
        vec![
            Buffer::new("a", DType::F32, rows()),
            Buffer::new("b", DType::F32, rows()),
            Buffer::new("y", DType::F32, rows()),
        ],
        1,
        &["n"],
        nest(Stmt::store(
            "y",
            vec![i(), j()],
            PExpr::bin(BinOp::Add, PExpr::load("a", vec![i(), j()]), PExpr::load("b", vec![i(), j()])),
        )),
    );
    let n = || Dim::var("n");
    let param = |name: &str| EntryParam { name: name.into(), dtype: DType::F32, shape: vec![n(), Dim::Int(4)] };
    let forward = EntryFunc {
        name: "forward".into(),
        inputs: vec![param("x")],
        outputs: vec![param("y")],
        bindings: vec![DimBinding::axis("n", 0, 0)],
        checks: vec![
            Check::Rank { input: 0 },
            Check::DType { input: 0 },
            Check::Dim { input: 0, axis: 1, expected: Dim::Int(4) },
            Check::NonNegative { output: 0, axis: 0, expr: n() },
            Check::Output { output: 0 },
            Check::Workspace,
        ],
        workspace_bytes: n() * Dim::Int(16),
        steps: vec![
            Step::Call {
                func: "scale_rows".into(),
                args: vec![BufRef::Input(0), BufRef::Constant("scale".into()), BufRef::Workspace(Dim::Int(0))],
                dims: vec![n()],
            },
            Step::Call {
                func: "add_rows".into(),
                args: vec![BufRef::Workspace(Dim::Int(0)), BufRef::Input(0), BufRef::Output(0)],
                dims: vec![n()],
            },
        ],
    };
    let copy = EntryFunc {
        name: "copy".into(),
        steps: vec![Step::Copy { src: BufRef::Input(0), dst: BufRef::Output(0), bytes: n() * Dim::Int(16) }],
        workspace_bytes: Dim::Int(0),
        ..forward.clone()
    };
    let mut module = module_of(vec![scale_rows, add]);
    module.entries = vec![forward, copy];
    module.constants.insert("scale".into(), NDArray::from_f32(&[4], SCALE.to_vec()));
    module
}

/// A tensor argument: owns its shape and data so the descriptor stays valid.
struct Arg {
    shape: Vec<i64>,
    data: Vec<f64>,
    dtype: DType,
}

impl Arg {
    fn f32(shape: &[i64], values: &[f32]) -> Arg {
        let mut data = vec![0f64; values.len().div_ceil(2).max(1)];
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        for (k, chunk) in bytes.chunks(8).enumerate() {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            data[k] = f64::from_le_bytes(word);
        }
        Arg { shape: shape.to_vec(), data, dtype: DType::F32 }
    }

    fn zeros(shape: &[i64]) -> Arg {
        let count: i64 = shape.iter().product();
        Arg::f32(shape, &vec![0.0; count.max(0) as usize])
    }

    fn raw(&mut self) -> RelaxTensor {
        RelaxTensor {
            data: self.data.as_mut_ptr().cast(),
            shape: self.shape.as_mut_ptr(),
            ndim: self.shape.len() as i32,
            dtype: self.dtype.code(),
        }
    }

    fn values(&self) -> Vec<f32> {
        let count: i64 = self.shape.iter().product();
        let bytes: Vec<u8> = self.data.iter().flat_map(|w| w.to_le_bytes()).collect();
        bytes.chunks(4).take(count as usize).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    }
}

fn prepare(entry: EntryPoints, x: &mut Arg, out_rank: usize) -> (i32, Vec<i64>, u64) {
    let mut out_shape = vec![-7i64; out_rank];
    let mut outputs = [RelaxTensor {
        data: std::ptr::null_mut(),
        shape: out_shape.as_mut_ptr(),
        ndim: out_rank as i32,
        dtype: DType::F32.code(),
    }];
    let mut workspace = u64::MAX;
    let inputs = [x.raw()];
    // SAFETY: the descriptors point at live buffers of the sizes their shapes
    // say; `prepare` reads input shapes only after checking ranks.
    let code = unsafe { (entry.prepare)(inputs.as_ptr(), outputs.as_mut_ptr(), &mut workspace) };
    (code, out_shape, workspace)
}

fn run(entry: EntryPoints, x: &mut Arg, y: &mut Arg, workspace_bytes: usize) -> i32 {
    let mut workspace = vec![0u64; workspace_bytes.div_ceil(8) + 8];
    let inputs = [x.raw()];
    let outputs = [y.raw()];
    // SAFETY: as for `prepare`; the run function checks every shape and the
    // workspace size before it touches data.
    unsafe { (entry.run)(inputs.as_ptr(), outputs.as_ptr(), workspace.as_mut_ptr().cast(), workspace_bytes as u64) }
}

fn with_entries(f: impl FnOnce(&JitModule<'_>)) {
    let context = Context::create();
    let jit = JitModule::compile(&context, &scale_module(), "test").unwrap_or_else(|e| panic!("{e}"));
    f(&jit);
}

#[test]
fn prepare_reports_output_shapes_and_workspace_size() {
    with_entries(|jit| {
        let entry = jit.entry("forward").unwrap();
        let mut x = Arg::zeros(&[3, 4]);
        assert_eq!(prepare(entry, &mut x, 2), (0, vec![3, 4], 48));
        let mut empty = Arg::zeros(&[0, 4]);
        assert_eq!(prepare(entry, &mut empty, 2), (0, vec![0, 4], 0));
    });
}

#[test]
fn run_computes_through_workspace_and_constants() {
    with_entries(|jit| {
        let values: Vec<f32> = (0..12).map(|v| v as f32 - 5.5).collect();
        let expected: Vec<f32> = values.iter().enumerate().map(|(k, v)| v * SCALE[k % 4] + v).collect();
        let mut x = Arg::f32(&[3, 4], &values);
        let mut y = Arg::zeros(&[3, 4]);
        assert_eq!(run(jit.entry("forward").unwrap(), &mut x, &mut y, 48), 0);
        assert_eq!(y.values(), expected);

        let mut y = Arg::zeros(&[3, 4]);
        assert_eq!(run(jit.entry("copy").unwrap(), &mut x, &mut y, 0), 0);
        assert_eq!(y.values(), values);
    });
}

/// Ids are positions in `checks` plus one: rank 1, dtype 2, dim 3,
/// non-negative 4, output 5, workspace 6.
#[test]
fn each_bad_argument_returns_its_check_id() {
    with_entries(|jit| {
        let entry = jit.entry("forward").unwrap();
        let prepare_code = |mut x: Arg| prepare(entry, &mut x, 2).0;
        assert_eq!(prepare_code(Arg::zeros(&[12])), 1, "wrong rank");
        assert_eq!(prepare_code(Arg { dtype: DType::F64, ..Arg::zeros(&[3, 4]) }), 2, "wrong dtype");
        assert_eq!(prepare_code(Arg { dtype: DType::F64, ..Arg::zeros(&[12]) }), 1, "rank is checked before dtype");
        assert_eq!(prepare_code(Arg::zeros(&[3, 5])), 3, "wrong dim");
        assert_eq!(prepare_code(Arg { shape: vec![-1, 4], ..Arg::zeros(&[1, 4]) }), 4, "negative output size");

        let run_code = |x: &mut Arg, mut y: Arg, workspace: usize| run(entry, x, &mut y, workspace);
        let mut x = Arg::zeros(&[3, 4]);
        assert_eq!(run_code(&mut Arg::zeros(&[3, 5]), Arg::zeros(&[3, 5]), 48), 3, "input checks run again");
        assert_eq!(run_code(&mut x, Arg::zeros(&[3, 5]), 48), 5, "wrong output dim");
        assert_eq!(run_code(&mut x, Arg::zeros(&[12]), 48), 5, "wrong output rank");
        assert_eq!(run_code(&mut x, Arg { dtype: DType::F64, ..Arg::zeros(&[3, 4]) }, 48), 5, "wrong output dtype");
        assert_eq!(run_code(&mut x, Arg::zeros(&[3, 4]), 47), 6, "workspace too small");
        assert_eq!(run_code(&mut x, Arg::zeros(&[3, 4]), 48), 0);
    });
}

/// The driver's path: `relax_rt::invoke` turns check ids into messages.
#[test]
fn invoke_reports_a_failed_check_as_a_message() {
    use relax_rt::invoke::{invoke, ArgRef, Check as RtCheck, DimBinding as RtBinding, ParamSig, Signature};
    static INPUTS: [ParamSig; 1] = [ParamSig { name: "x", dtype: DType::F32, shape: "[n, 4]", rank: 2 }];
    static OUTPUTS: [ParamSig; 1] = [ParamSig { name: "y", dtype: DType::F32, shape: "[n, 4]", rank: 2 }];
    static BINDINGS: [RtBinding; 1] = [RtBinding { var: "n", input: 0, from: relax_rt::invoke::DimSource::Axis(0) }];
    static CHECKS: [RtCheck; 6] = [
        RtCheck::Rank { input: 0 },
        RtCheck::DType { input: 0 },
        RtCheck::Dim { input: 0, axis: 1, expected: "4" },
        RtCheck::NonNegative { output: 0, axis: 0, expr: "n" },
        RtCheck::Output { output: 0 },
        RtCheck::Workspace,
    ];
    let sig =
        Signature { name: "test::forward", inputs: &INPUTS, outputs: &OUTPUTS, bindings: &BINDINGS, checks: &CHECKS };
    with_entries(|jit| {
        let entry = jit.entry("forward").unwrap();
        let mut ws = relax_rt::Workspace::default();
        let values: Vec<f32> = (0..8).map(|v| v as f32).collect();
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let good = ArgRef { dtype: DType::F32, shape: &[2, 4], bytes: &bytes };
        let out = invoke(&sig, &[good], entry.prepare, entry.run, &mut ws).unwrap();
        assert_eq!(out[0].shape(), &[2, 4]);

        let bad = ArgRef { dtype: DType::F32, shape: &[4, 2], bytes: &bytes };
        let err = invoke(&sig, &[bad], entry.prepare, entry.run, &mut ws).unwrap_err();
        assert!(err.to_string().contains("axis 1 is 2, expected 4"), "{err}");
    });
}
