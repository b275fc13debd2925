//! Kernels produced by operator legalization, for every registered operator
//! (the registry grows; this test picks new operators up by itself): each is
//! tried on a set of input signatures and attribute sets, and every
//! combination the operator accepts is compiled and compared with the
//! interpreter on random inputs, with static and with symbolic leading dims.

use crate::common::*;
use relax_compiler::interp::tir::run_prim_func;
use relax_compiler::ir::{AttrValue, Attrs, Dim, PrimFunc, StructInfo, TensorInfo};
use relax_compiler::NDArray;
use relax_rt::DType;
use relax_targets::Target;
use std::collections::{BTreeMap, HashMap};

/// Input signatures covering element-wise, broadcasting, reductions, matmul,
/// convolution/pooling (NCHW), `where`, layer norm, integer and f64 variants.
fn signatures() -> Vec<Vec<(DType, Vec<usize>)>> {
    use DType::*;
    vec![
        vec![(F32, vec![3, 4])],
        vec![(F32, vec![2, 3, 4])],
        vec![(F64, vec![3, 4])],
        vec![(I32, vec![3, 4])],
        vec![(Bool, vec![3, 4])],
        vec![(Bool, vec![3, 4]), (Bool, vec![3, 4])],
        vec![(F32, vec![3, 4]), (F32, vec![3, 4])],
        vec![(F32, vec![3, 4]), (F32, vec![4])],
        vec![(I32, vec![3, 4]), (I32, vec![4])],
        vec![(F64, vec![3, 4]), (F64, vec![3, 1])],
        vec![(F32, vec![3, 4]), (F32, vec![4, 5])],
        vec![(F32, vec![2, 3, 4]), (F32, vec![4, 5])],
        vec![(Bool, vec![3, 4]), (F32, vec![3, 4]), (F32, vec![3, 4])],
        vec![(F32, vec![3, 4]), (F32, vec![4]), (F32, vec![4])],
        vec![(F32, vec![1, 2, 6, 6])],
        vec![(F32, vec![1, 2, 6, 6]), (F32, vec![3, 2, 3, 3])],
        vec![(F32, vec![1, 2, 6, 6]), (F32, vec![3, 2, 3, 3]), (F32, vec![3])],
    ]
}

fn attribute_sets() -> Vec<Attrs> {
    let ints = |v: &[i64]| AttrValue::Dims(v.iter().map(|&i| Dim::Int(i)).collect());
    vec![
        Attrs::new(),
        Attrs::new().with("axis", AttrValue::Int(1)),
        Attrs::new().with("axis", AttrValue::Int(-1)),
        Attrs::new().with("axes", ints(&[1])),
        Attrs::new().with("axes", ints(&[0, 1])).with("keepdims", AttrValue::Bool(true)),
        Attrs::new().with("dtype", AttrValue::DType(DType::F64)),
        Attrs::new().with("dtype", AttrValue::DType(DType::I32)),
        Attrs::new().with("shape", ints(&[4, 3])),
        Attrs::new().with("shape", ints(&[2, 3, 4])),
        Attrs::new().with("sections", AttrValue::Int(2)).with("axis", AttrValue::Int(1)),
        Attrs::new().with("min", AttrValue::Float(-0.25)).with("max", AttrValue::Float(0.5)),
        Attrs::new().with("kernel", ints(&[2, 2])),
        Attrs::new().with("kernel", ints(&[3, 3])).with("strides", ints(&[2, 2])).with("padding", ints(&[1, 1, 1, 1])),
        Attrs::new().with("strides", ints(&[2, 2])).with("padding", ints(&[1, 1, 1, 1])),
    ]
}

/// One legalized kernel and the arguments to test it with.
struct Case {
    label: String,
    kernel: PrimFunc,
    args: Vec<NDArray>,
    dims: Vec<i64>,
}

/// Every (operator, signature, attributes, static/symbolic) combination that
/// infers and legalizes.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for op in relax_compiler::op::all() {
        for (s, signature) in signatures().iter().enumerate() {
            for (a, attrs) in attribute_sets().iter().enumerate() {
                for symbolic in [false, true] {
                    let label = format!("{}_{s}_{a}_{}", op.name, if symbolic { "sym" } else { "static" });
                    if let Some(case) = legalize(op, signature, attrs, symbolic, &label) {
                        cases.push(case);
                    }
                }
            }
        }
    }
    cases
}

fn legalize(
    op: &relax_compiler::op::OpDef,
    signature: &[(DType, Vec<usize>)],
    attrs: &Attrs,
    symbolic: bool,
    label: &str,
) -> Option<Case> {
    let mut infos: Vec<TensorInfo> =
        signature.iter().map(|(d, shape)| TensorInfo::new(*d, shape.iter().map(|&n| Dim::from(n)).collect())).collect();
    let mut env = HashMap::new();
    if symbolic {
        infos[0].shape[0] = Dim::var("n");
        env.insert("n".to_string(), signature[0].1[0] as i64);
    }
    let outputs: Vec<TensorInfo> = match (op.infer)(&infos, attrs).ok()? {
        StructInfo::Tensor(t) => vec![t],
        sinfo @ StructInfo::Tuple(_) => sinfo.tensors().into_iter().cloned().collect(),
        _ => return None,
    };
    let mut kernel = (op.legalize)(&infos, attrs, &outputs).ok()?;
    kernel.name = label.to_string();
    let mut args: Vec<NDArray> =
        signature.iter().enumerate().map(|(k, (d, shape))| NDArray::random(*d, shape, 17 + k as u64)).collect();
    for out in &outputs {
        let shape: Option<Vec<usize>> = out.shape.iter().map(|d| d.eval(&env).map(|v| v as usize)).collect();
        args.push(NDArray::zeros(out.dtype, &shape?));
    }
    let dims: Option<Vec<i64>> = kernel.dims.iter().map(|d| env.get(d).copied()).collect();
    let dims = dims?;
    // Only kernels the interpreter runs are worth comparing.
    run_prim_func(&kernel, &mut args.clone(), &dims).ok()?;
    Some(Case { label: label.to_string(), kernel, args, dims })
}

#[test]
fn every_operator_legalization_compiles_and_matches_the_interpreter() {
    let cases = cases();
    let module = module_of(cases.iter().map(|c| c.kernel.clone()).collect());
    let mut tested: BTreeMap<&str, usize> = relax_compiler::op::all().map(|op| (op.name, 0)).collect();
    let failures: Vec<String> = with_jit(&module, &Target::host(), |jit| {
        let mut failures = Vec::new();
        for case in &cases {
            let (got, want) = run_both(jit, &module, &case.label, &case.args, &case.dims);
            let num_inputs = case.kernel.params.len() - case.kernel.num_outputs;
            for (g, w) in got[num_inputs..].iter().zip(&want[num_inputs..]) {
                let (rtol, atol) = if w.dtype() == DType::F32 { (2e-6, 1e-6) } else { (1e-12, 1e-12) };
                let inputs: Vec<&NDArray> = case.args[..num_inputs].iter().collect();
                if let Err(e) = compare(&case.label, g, w, &inputs, rtol, atol) {
                    failures.push(e);
                }
            }
            let op = case.label.rsplitn(4, '_').last().unwrap_or_default();
            if let Some(count) = tested.get_mut(op) {
                *count += 1;
            }
        }
        failures
    });
    eprintln!("legalized kernels tested per operator: {tested:?}");
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    let untested: Vec<&&str> = tested.iter().filter(|(_, &n)| n == 0).map(|(name, _)| name).collect();
    assert!(cases.len() > 50, "only {} operator configurations legalized", cases.len());
    eprintln!("operators no signature here exercises: {untested:?}");
}
