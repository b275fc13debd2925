//! Statement forms and the literals and indexing they use, compared with the
//! interpreter: scratch allocations (re-zeroed each time they run), nested
//! loops over symbolic extents (including empty and negative ones), `If` with
//! and without `else`, `Select` on a non-bool condition, shadowed loop
//! variables, stores that convert, floor-div/mod index arithmetic, literals of
//! every dtype and rank-0 buffers.

use crate::common::*;
use relax_compiler::ir::{BinOp, Buffer, Dim, PExpr, Stmt, UnOp};
use relax_compiler::{IRModule, NDArray};
use relax_rt::DType;
use relax_targets::Target;

fn v(name: &str) -> PExpr {
    PExpr::var(name)
}

fn load(buf: &str, idx: &[&str]) -> PExpr {
    PExpr::load(buf, idx.iter().map(|i| v(i)).collect())
}

fn statement_module() -> IRModule {
    let mn = || vec![Dim::var("m"), Dim::var("n")];
    let m = || vec![Dim::var("m")];
    let f32_buf = |name: &str, shape: Vec<Dim>| Buffer::new(name, DType::F32, shape);
    let kernels = vec![
        // out[i] = sum_j a[i, j], the accumulator a fresh zeroed scratch scalar per row.
        kernel(
            "row_sums",
            vec![f32_buf("a", mn()), f32_buf("out", m())],
            1,
            &["m", "n"],
            Stmt::for_(
                "i",
                v("m"),
                Stmt::alloc(
                    Buffer::new("acc", DType::F32, vec![]),
                    Stmt::Seq(vec![
                        Stmt::for_(
                            "j",
                            v("n"),
                            Stmt::store("acc", vec![], PExpr::load("acc", vec![]) + load("a", &["i", "j"])),
                        ),
                        Stmt::store("out", vec![v("i")], PExpr::load("acc", vec![])),
                    ]),
                ),
            ),
        ),
        // A static 2-D scratch buffer, written transposed and read back.
        kernel(
            "transpose_through_scratch",
            vec![f32_buf("a", vec![Dim::Int(3), Dim::Int(4)]), f32_buf("out", vec![Dim::Int(3), Dim::Int(4)])],
            1,
            &[],
            Stmt::alloc(
                Buffer::new("t", DType::F64, vec![Dim::Int(4), Dim::Int(3)]),
                Stmt::Seq(vec![
                    Stmt::for_(
                        "i",
                        PExpr::int(3),
                        Stmt::for_("j", PExpr::int(4), Stmt::store("t", vec![v("j"), v("i")], load("a", &["i", "j"]))),
                    ),
                    Stmt::for_(
                        "i",
                        PExpr::int(3),
                        Stmt::for_(
                            "j",
                            PExpr::int(4),
                            Stmt::store("out", vec![v("i"), v("j")], load("t", &["j", "i"])),
                        ),
                    ),
                ]),
            ),
        ),
        // If with and without else; Select on an f32 condition.
        kernel(
            "branches",
            vec![f32_buf("a", m()), f32_buf("out", m())],
            1,
            &["m"],
            Stmt::for_(
                "i",
                v("m"),
                Stmt::Seq(vec![
                    Stmt::If {
                        cond: PExpr::bin(BinOp::Gt, load("a", &["i"]), PExpr::Float(0.0, DType::F32)),
                        then_branch: Box::new(Stmt::store(
                            "out",
                            vec![v("i")],
                            PExpr::un(UnOp::Sqrt, load("a", &["i"])),
                        )),
                        else_branch: Some(Box::new(Stmt::store(
                            "out",
                            vec![v("i")],
                            PExpr::select(
                                load("a", &["i"]),
                                PExpr::Float(-1.0, DType::F32),
                                PExpr::Float(7.0, DType::F32),
                            ),
                        ))),
                    },
                    Stmt::If {
                        cond: PExpr::bin(BinOp::Lt, load("a", &["i"]), PExpr::Float(-0.5, DType::F32)),
                        then_branch: Box::new(Stmt::store("out", vec![v("i")], PExpr::Float(-100.0, DType::F32))),
                        else_branch: None,
                    },
                ]),
            ),
        ),
        // Shadowing: the inner `i` hides the outer one, which is visible again after.
        kernel(
            "shadowing",
            vec![Buffer::new("out", DType::I64, vec![Dim::Int(3), Dim::Int(2)])],
            1,
            &[],
            Stmt::for_(
                "i",
                PExpr::int(3),
                Stmt::Seq(vec![
                    Stmt::for_(
                        "i",
                        PExpr::int(2),
                        Stmt::store("out", vec![PExpr::int(0), v("i")], v("i") * PExpr::int(10)),
                    ),
                    Stmt::store("out", vec![v("i"), PExpr::int(1)], v("i")),
                ]),
            ),
        ),
        // Stores convert (saturating float -> int); reshape-style index arithmetic.
        kernel(
            "reshape_and_convert",
            vec![
                Buffer::new("a", DType::F64, vec![Dim::var("m"), Dim::Int(4)]),
                Buffer::new("out", DType::I32, vec![Dim::var("m") * Dim::Int(4)]),
            ],
            1,
            &["m"],
            Stmt::for_(
                "i",
                v("m") * PExpr::int(4),
                Stmt::store(
                    "out",
                    vec![v("i")],
                    PExpr::bin(
                        BinOp::Mul,
                        PExpr::load(
                            "a",
                            vec![
                                PExpr::bin(BinOp::FloorDiv, v("i"), PExpr::int(4)),
                                PExpr::bin(BinOp::FloorMod, v("i"), PExpr::int(4)),
                            ],
                        ),
                        PExpr::Float(3e9, DType::F64),
                    ),
                ),
            ),
        ),
        // Loops with empty and negative extents run zero times.
        kernel(
            "empty_loops",
            vec![Buffer::new("out", DType::I32, vec![Dim::Int(2)])],
            1,
            &["m"],
            Stmt::Seq(vec![
                Stmt::for_(
                    "i",
                    v("m") - PExpr::int(5),
                    Stmt::store("out", vec![PExpr::int(0)], PExpr::Int(1, DType::I32)),
                ),
                Stmt::for_("i", PExpr::int(0), Stmt::store("out", vec![PExpr::int(1)], PExpr::Int(1, DType::I32))),
            ]),
        ),
        // Literals are converted to their dtype like casts; rank-0 buffers.
        kernel(
            "literals",
            vec![
                Buffer::new("u8", DType::U8, vec![]),
                Buffer::new("i32", DType::I32, vec![]),
                Buffer::new("flag", DType::Bool, vec![]),
                Buffer::new("i64", DType::I64, vec![]),
                Buffer::new("f32", DType::F32, vec![]),
            ],
            5,
            &[],
            Stmt::Seq(vec![
                Stmt::store("u8", vec![], PExpr::Int(300, DType::U8)),
                Stmt::store("i32", vec![], PExpr::Float(1e10, DType::I32)),
                Stmt::store("flag", vec![], PExpr::Int(-1, DType::Bool)),
                Stmt::store("i64", vec![], PExpr::Float(f64::NAN, DType::I64)),
                Stmt::store("f32", vec![], PExpr::Float(0.1, DType::F32)),
            ]),
        ),
    ];
    module_of(kernels)
}

#[test]
fn statements_match_the_interpreter() {
    let module = statement_module();
    let f32s = |shape: &[usize], seed| NDArray::random(DType::F32, shape, seed);
    let runs: Vec<(&str, Vec<NDArray>, Vec<i64>)> = vec![
        ("row_sums", vec![f32s(&[5, 7], 1), NDArray::zeros(DType::F32, &[5])], vec![5, 7]),
        ("row_sums", vec![f32s(&[3, 0], 1), NDArray::zeros(DType::F32, &[3])], vec![3, 0]),
        ("transpose_through_scratch", vec![f32s(&[3, 4], 2), NDArray::zeros(DType::F32, &[3, 4])], vec![]),
        ("branches", vec![f32s(&[64], 3), NDArray::zeros(DType::F32, &[64])], vec![64]),
        ("shadowing", vec![NDArray::zeros(DType::I64, &[3, 2])], vec![]),
        (
            "reshape_and_convert",
            vec![NDArray::random(DType::F64, &[3, 4], 4), NDArray::zeros(DType::I32, &[12])],
            vec![3],
        ),
        ("empty_loops", vec![NDArray::zeros(DType::I32, &[2])], vec![3]),
        (
            "literals",
            [DType::U8, DType::I32, DType::Bool, DType::I64, DType::F32]
                .iter()
                .map(|&d| NDArray::zeros(d, &[]))
                .collect(),
            vec![],
        ),
    ];
    with_jit(&module, &Target::host(), |jit| {
        for (name, args, dims) in runs {
            let (got, want) = run_both(jit, &module, name, &args, &dims);
            for (k, (g, w)) in got.iter().zip(&want).enumerate() {
                let inputs: Vec<&NDArray> = args.iter().collect();
                compare(&format!("{name} argument {k}"), g, w, &inputs, 0.0, 0.0).unwrap();
            }
        }
    });
}
