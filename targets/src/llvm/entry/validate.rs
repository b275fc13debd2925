//! Structural checks of an `EntryFunc` before code is generated, so malformed
//! executor IR is a clear error rather than native code that reads out of
//! bounds: indices in range, shape entries read only for inputs whose rank is
//! checked, kernel calls matching their kernels.

use crate::error::{CodegenError, Result};
use relax_compiler::ir::entry::{BufRef, Check, DimSource, EntryFunc, Step};
use relax_compiler::ir::PrimFunc;
use relax_compiler::IRModule;
use relax_rt::DType;

pub(super) fn validate(ir: &IRModule, e: &EntryFunc) -> Result<()> {
    for b in &e.bindings {
        let source = match &b.from {
            DimSource::Axis(axis) => input_axis(e, b.input, *axis),
            DimSource::Element(index) => input_element(e, b.input, *index, &[DType::I32, DType::I64, DType::Bool]),
            DimSource::ScaledElement { index, .. } => input_element(e, b.input, *index, &[DType::F32, DType::F64]),
            DimSource::Derived(_) => Ok(()),
        };
        source.map_err(|m| err(format!("dim `{}` is bound from {m}", b.var)))?;
    }
    for (k, check) in e.checks.iter().enumerate() {
        check_indices(e, check).map_err(|m| err(format!("check {} reads {m}", k + 1)))?;
    }
    steps_are_consistent(ir, e, &e.steps, "")
}

/// Every step, nested ones too (named `step 2.0.1`: step 1 of branch 0 of step 2).
fn steps_are_consistent(ir: &IRModule, e: &EntryFunc, steps: &[Step], prefix: &str) -> Result<()> {
    for (k, step) in steps.iter().enumerate() {
        step_is_consistent(ir, e, step).map_err(|m| err(format!("step {prefix}{k}: {m}")))?;
        for (i, body) in step.bodies().into_iter().enumerate() {
            steps_are_consistent(ir, e, body, &format!("{prefix}{k}.{i}."))?;
        }
    }
    Ok(())
}

fn err(message: String) -> CodegenError {
    CodegenError::new(message)
}

/// `inputs[input].shape[axis]` exists and is read only after a rank check.
fn input_axis(e: &EntryFunc, input: usize, axis: usize) -> Result<(), String> {
    let param = e.inputs.get(input).ok_or_else(|| format!("input {input}, but there are {}", e.inputs.len()))?;
    if axis >= param.shape.len() {
        return Err(format!("axis {axis} of input `{}`, which has rank {}", param.name, param.shape.len()));
    }
    if !e.checks.iter().any(|c| matches!(c, Check::Rank { input: i } if *i == input)) {
        return Err(format!("the shape of input `{}`, whose rank is never checked", param.name));
    }
    Ok(())
}

/// Element `index` of an input of one of `dtypes` whose every dim is a checked constant,
/// so the element exists when it is read.
fn input_element(e: &EntryFunc, input: usize, index: usize, dtypes: &[DType]) -> Result<(), String> {
    let param = e.inputs.get(input).ok_or_else(|| format!("input {input}, but there are {}", e.inputs.len()))?;
    if !dtypes.contains(&param.dtype) {
        return Err(format!("an element of input `{}`, which is {}, not {dtypes:?}", param.name, param.dtype));
    }
    let checked = |axis: usize| {
        e.checks.iter().any(|c| matches!(c, Check::Dim { input: i, axis: a, .. } if *i == input && *a == axis))
    };
    let count: Option<i64> = param.shape.iter().map(|d| d.as_int()).product();
    if count.is_none_or(|n| index as i64 >= n) || !(0..param.shape.len()).all(checked) {
        return Err(format!("element {index} of input `{}`, whose shape does not provably hold it", param.name));
    }
    Ok(())
}

fn check_indices(e: &EntryFunc, check: &Check) -> Result<(), String> {
    let input = |i: usize| e.inputs.get(i).map(|_| ()).ok_or_else(|| format!("input {i} of {}", e.inputs.len()));
    let output = |i: usize| e.outputs.get(i).ok_or_else(|| format!("output {i} of {}", e.outputs.len()));
    match check {
        Check::Rank { input: i } | Check::DType { input: i } => input(*i),
        Check::Dim { input, axis, .. } => input_axis(e, *input, *axis),
        Check::NonNegative { output: o, axis, .. } => {
            let out = output(*o)?;
            if *axis < out.shape.len() {
                Ok(())
            } else {
                Err(format!("axis {axis} of output `{}`", out.name))
            }
        }
        Check::Output { output: o } => output(*o).map(|_| ()),
        Check::DimMax { var, .. } => match e.bindings.iter().any(|b| &b.var == var) {
            true => Ok(()),
            false => Err(format!("dim `{var}`, which is never bound")),
        },
        Check::Equal { .. } | Check::Workspace => Ok(()),
    }
}

fn step_is_consistent(ir: &IRModule, e: &EntryFunc, step: &Step) -> Result<(), String> {
    match step {
        Step::Call { func, args, dims } => {
            let f = ir.prim_func(func).ok_or_else(|| format!("calls unknown kernel `{func}`"))?;
            call_matches(ir, e, f, args, dims.len())
        }
        Step::Copy { src, dst, .. } => {
            buffer_dtype(ir, e, src)?;
            buffer_dtype(ir, e, dst).map(|_| ())
        }
        Step::If { cond, .. } => bool_condition(ir, e, cond),
        Step::Loop { var, cond, .. } => match e.bindings.iter().any(|b| &b.var == var) {
            true => Err(format!("loop variable `{var}` shadows a dim of the entry")),
            false => cond.as_ref().map_or(Ok(()), |c| bool_condition(ir, e, c)),
        },
    }
}

/// A branch or while loop tests one byte: the buffer must be a bool.
fn bool_condition(ir: &IRModule, e: &EntryFunc, cond: &BufRef) -> Result<(), String> {
    match buffer_dtype(ir, e, cond)? {
        Some(DType::Bool) | None => Ok(()),
        Some(other) => Err(format!("tests a {other} buffer ({cond:?}), not a bool")),
    }
}

fn call_matches(ir: &IRModule, e: &EntryFunc, f: &PrimFunc, args: &[BufRef], num_dims: usize) -> Result<(), String> {
    if args.len() != f.params.len() || num_dims != f.dims.len() {
        return Err(format!(
            "`{}` takes {} buffers and {} dims, the call passes {} and {}",
            f.name,
            f.params.len(),
            f.dims.len(),
            args.len(),
            num_dims
        ));
    }
    for (arg, param) in args.iter().zip(&f.params) {
        if let Some(dtype) = buffer_dtype(ir, e, arg)? {
            if dtype != param.dtype {
                return Err(format!(
                    "`{}` parameter `{}` is {}, the call passes {dtype} ({arg:?})",
                    f.name, param.name, param.dtype
                ));
            }
        }
    }
    Ok(())
}

/// The dtype of a referenced buffer where it is known (workspace is untyped).
fn buffer_dtype(ir: &IRModule, e: &EntryFunc, r: &BufRef) -> Result<Option<DType>, String> {
    Ok(match r {
        BufRef::Input(i) => {
            Some(e.inputs.get(*i).ok_or_else(|| format!("uses input {i} of {}", e.inputs.len()))?.dtype)
        }
        BufRef::Output(i) => {
            Some(e.outputs.get(*i).ok_or_else(|| format!("uses output {i} of {}", e.outputs.len()))?.dtype)
        }
        BufRef::Constant(name) => {
            Some(ir.constants.get(name).ok_or_else(|| format!("uses unknown constant `{name}`"))?.dtype())
        }
        BufRef::Workspace(_) => None,
        // Bytes into a buffer: a row of it, of its dtype.
        BufRef::Offset(base, _) => buffer_dtype(ir, e, base)?,
    })
}
