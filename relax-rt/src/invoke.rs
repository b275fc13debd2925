//! The one call path every generated wrapper goes through: marshal tensors into
//! the C ABI, run `F_prepare` and `F`, and turn a failed check id into a message
//! that names the parameter, the expected and the actual shape.

use crate::abi::{PrepareFn, RelaxTensor, RunFn, RunWithConstantsFn};
use crate::weights::{Weights, WeightsSig};
use crate::{DType, DynTensor, Error, ErrorKind, Workspace};
use alloc::string::String;
/// Re-exported so generated wrappers name `Vec` without assuming `std`.
pub use alloc::vec::Vec;
use alloc::{format, vec};

/// A parameter or result of a compiled function, as the compiler declared it.
#[derive(Debug)]
pub struct ParamSig {
    pub name: &'static str,
    pub dtype: DType,
    /// The declared shape in the text format, e.g. `[n, 64]`.
    pub shape: &'static str,
    pub rank: usize,
}

/// Where a symbolic dim gets its value: a dim or an element of an input.
#[derive(Debug)]
pub struct DimBinding {
    pub var: &'static str,
    pub input: usize,
    pub from: DimSource,
}

#[derive(Clone, Copy, Debug)]
pub enum DimSource {
    /// `inputs[input].shape[axis]`.
    Axis(usize),
    /// Element `index` of an i32 or i64 input (a shape or axes the caller passes as data).
    Element(usize),
    /// Computed from the dims bound before it.
    Derived,
    /// `floor(element index * a dim)` of an f32 or f64 input (a scale the caller passes).
    ScaledElement(usize),
}

/// One run-time check of generated code; its id is its index in
/// [`Signature::checks`] plus one.
#[derive(Debug)]
pub enum Check {
    Rank {
        input: usize,
    },
    DType {
        input: usize,
    },
    Dim {
        input: usize,
        axis: usize,
        expected: &'static str,
    },
    NonNegative {
        output: usize,
        axis: usize,
        expr: &'static str,
    },
    /// A symbolic dim the model bounds (`dim_max`) is above its bound.
    DimMax {
        var: &'static str,
        max: i64,
    },
    /// A shape equality stated with `match_cast` that only the inputs decide.
    Equal {
        context: &'static str,
        lhs: &'static str,
        rhs: &'static str,
    },
    Output {
        output: usize,
    },
    Workspace,
}

/// The static description of one compiled function, emitted by the compiler.
#[derive(Debug)]
pub struct Signature {
    /// `module::function`, for messages.
    pub name: &'static str,
    pub inputs: &'static [ParamSig],
    pub outputs: &'static [ParamSig],
    pub bindings: &'static [DimBinding],
    pub checks: &'static [Check],
}

/// A borrowed input tensor in dynamic form.
#[derive(Clone, Copy, Debug)]
pub struct ArgRef<'a> {
    pub dtype: DType,
    pub shape: &'a [usize],
    pub bytes: &'a [u8],
}

impl<'a> ArgRef<'a> {
    pub fn from_dyn(t: &'a DynTensor) -> ArgRef<'a> {
        ArgRef { dtype: t.dtype(), shape: t.shape(), bytes: t.bytes() }
    }
    pub fn from_view<T: crate::Element>(v: crate::TensorView<'a, T>) -> ArgRef<'a> {
        let n = core::mem::size_of_val(v.data());
        // SAFETY: `Element` types are plain data.
        let bytes = unsafe { core::slice::from_raw_parts(v.data().as_ptr() as *const u8, n) };
        ArgRef { dtype: T::DTYPE, shape: v.shape(), bytes }
    }
}

/// A borrowed output tensor in dynamic form.
#[derive(Debug)]
pub struct ArgMut<'a> {
    pub dtype: DType,
    pub shape: &'a [usize],
    pub bytes: &'a mut [u8],
}

impl<'a> ArgMut<'a> {
    pub fn from_view<T: crate::Element>(v: &'a mut crate::TensorViewMut<'_, T>) -> ArgMut<'a> {
        let shape: &'a [usize] = unsafe { core::mem::transmute::<&[usize], &'a [usize]>(v.shape()) };
        let data = v.data();
        let n = core::mem::size_of_val(data);
        // SAFETY: `Element` types are plain data; the borrow of `v` outlives 'a.
        let bytes = unsafe { core::slice::from_raw_parts_mut(data.as_mut_ptr() as *mut u8, n) };
        ArgMut { dtype: T::DTYPE, shape, bytes }
    }
}

fn dims_i64(shape: &[usize]) -> Vec<i64> {
    shape.iter().map(|&d| d as i64).collect()
}

fn raw(data: *mut u8, shape: &mut [i64], dtype: DType) -> RelaxTensor {
    RelaxTensor { data, shape: shape.as_mut_ptr(), ndim: shape.len() as i32, dtype: dtype.code() }
}

fn shapes_of(inputs: &[ArgRef<'_>]) -> Vec<Vec<i64>> {
    inputs.iter().map(|a| dims_i64(a.shape)).collect()
}

/// The C view of the inputs; `shapes` must outlive the returned tensors.
fn raw_inputs(inputs: &[ArgRef<'_>], shapes: &mut [Vec<i64>]) -> Vec<RelaxTensor> {
    inputs.iter().zip(shapes.iter_mut()).map(|(a, s)| raw(a.bytes.as_ptr() as *mut u8, s, a.dtype)).collect()
}

/// Runs `prepare`: checks the inputs and returns the output shapes and the workspace size.
fn prepare_call(sig: &Signature, inputs: &[ArgRef<'_>], prepare: PrepareFn) -> Result<(Vec<Vec<i64>>, u64), Error> {
    check_arity(sig, inputs.len())?;
    let mut in_shapes = shapes_of(inputs);
    let raw_in = raw_inputs(inputs, &mut in_shapes);
    let mut out_shapes: Vec<Vec<i64>> = sig.outputs.iter().map(|o| vec![0i64; o.rank]).collect();
    let mut raw_out: Vec<RelaxTensor> =
        sig.outputs.iter().zip(out_shapes.iter_mut()).map(|(o, s)| raw(core::ptr::null_mut(), s, o.dtype)).collect();
    let mut ws_bytes = 0u64;
    // SAFETY: every pointer refers to a live buffer of the size its shape says.
    let code = unsafe { prepare(raw_in.as_ptr(), raw_out.as_mut_ptr(), &mut ws_bytes) };
    if code != 0 {
        return Err(describe_failure(sig, code, inputs, None));
    }
    Ok((out_shapes, ws_bytes))
}

fn check_arity(sig: &Signature, got: usize) -> Result<(), Error> {
    if got == sig.inputs.len() {
        return Ok(());
    }
    let names: Vec<&str> = sig.inputs.iter().map(|p| p.name).collect();
    Err(Error::new(
        ErrorKind::Shape,
        format!("{} takes {} inputs ({}), got {}", sig.name, sig.inputs.len(), names.join(", "), got),
    ))
}

/// The native run function, as `run_call` calls it: `(inputs, outputs,
/// workspace, workspace_bytes) -> check id`, with any weights bound.
type Run<'a> = &'a dyn Fn(*const RelaxTensor, *const RelaxTensor, *mut u8, u64) -> i32;

/// Calls a compiled function, allocating its outputs.
pub fn invoke(
    sig: &Signature,
    inputs: &[ArgRef<'_>],
    prepare: PrepareFn,
    run: RunFn,
    ws: &mut Workspace,
) -> Result<Vec<DynTensor>, Error> {
    // SAFETY: the caller vouches that `run` is the function `sig` describes.
    invoke_run(sig, inputs, prepare, &|i, o, w, n| unsafe { run(i, o, w, n) }, ws)
}

/// Calls a compiled function, writing into caller-provided outputs.
pub fn invoke_into(
    sig: &Signature,
    inputs: &[ArgRef<'_>],
    outputs: &mut [ArgMut<'_>],
    prepare: PrepareFn,
    run: RunFn,
    ws: &mut Workspace,
) -> Result<(), Error> {
    // SAFETY: as in `invoke`.
    invoke_into_run(sig, inputs, outputs, prepare, &|i, o, w, n| unsafe { run(i, o, w, n) }, ws)
}

/// [`invoke`] for a model compiled with separate weights: `weights` must have
/// been loaded for `model` (the wrapper's weights table), checked here.
pub fn invoke_with_weights(
    sig: &Signature,
    model: &'static WeightsSig,
    weights: &Weights,
    inputs: &[ArgRef<'_>],
    prepare: PrepareFn,
    run: RunWithConstantsFn,
    ws: &mut Workspace,
) -> Result<Vec<DynTensor>, Error> {
    let table = weights_table(sig, model, weights)?;
    // SAFETY: as in `invoke`; `table` holds one checked pointer per constant.
    invoke_run(sig, inputs, prepare, &|i, o, w, n| unsafe { run(i, o, w, n, table) }, ws)
}

/// [`invoke_into`] for a model compiled with separate weights.
#[allow(clippy::too_many_arguments)]
pub fn invoke_into_with_weights(
    sig: &Signature,
    model: &'static WeightsSig,
    weights: &Weights,
    inputs: &[ArgRef<'_>],
    outputs: &mut [ArgMut<'_>],
    prepare: PrepareFn,
    run: RunWithConstantsFn,
    ws: &mut Workspace,
) -> Result<(), Error> {
    let table = weights_table(sig, model, weights)?;
    // SAFETY: as in `invoke_with_weights`.
    invoke_into_run(sig, inputs, outputs, prepare, &|i, o, w, n| unsafe { run(i, o, w, n, table) }, ws)
}

/// The pointer table of `weights`, if they were checked against `model`.
fn weights_table(sig: &Signature, model: &'static WeightsSig, weights: &Weights) -> Result<*const *const u8, Error> {
    if core::ptr::eq(weights.signature(), model) {
        return Ok(weights.table());
    }
    Err(Error::new(
        ErrorKind::Weights,
        format!("{}: these weights were loaded for model `{}`", sig.name, weights.signature().module),
    ))
}

fn invoke_run(
    sig: &Signature,
    inputs: &[ArgRef<'_>],
    prepare: PrepareFn,
    run: Run<'_>,
    ws: &mut Workspace,
) -> Result<Vec<DynTensor>, Error> {
    let (out_shapes, ws_bytes) = prepare_call(sig, inputs, prepare)?;
    let mut outputs: Vec<DynTensor> = sig
        .outputs
        .iter()
        .zip(&out_shapes)
        .map(|(o, s)| DynTensor::zeros(o.dtype, &s.iter().map(|&d| d as usize).collect::<Vec<_>>()))
        .collect();
    let mut outs: Vec<ArgMut<'_>> = outputs
        .iter_mut()
        .map(|t| {
            let dtype = t.dtype();
            // SAFETY: the shape slice lives in `t`, which outlives this call; the
            // byte slice borrows a disjoint field of it.
            let shape: &[usize] = unsafe { core::slice::from_raw_parts(t.shape().as_ptr(), t.shape().len()) };
            ArgMut { dtype, shape, bytes: t.bytes_mut() }
        })
        .collect();
    run_call(sig, inputs, &mut outs, run, ws, ws_bytes)?;
    Ok(outputs)
}

fn invoke_into_run(
    sig: &Signature,
    inputs: &[ArgRef<'_>],
    outputs: &mut [ArgMut<'_>],
    prepare: PrepareFn,
    run: Run<'_>,
    ws: &mut Workspace,
) -> Result<(), Error> {
    let (_, ws_bytes) = prepare_call(sig, inputs, prepare)?;
    if outputs.len() != sig.outputs.len() {
        return Err(Error::new(
            ErrorKind::Shape,
            format!("{} returns {} outputs, {} were given", sig.name, sig.outputs.len(), outputs.len()),
        ));
    }
    run_call(sig, inputs, outputs, run, ws, ws_bytes)
}

fn run_call(
    sig: &Signature,
    inputs: &[ArgRef<'_>],
    outputs: &mut [ArgMut<'_>],
    run: Run<'_>,
    ws: &mut Workspace,
    ws_bytes: u64,
) -> Result<(), Error> {
    let mut in_shapes = shapes_of(inputs);
    let raw_in = raw_inputs(inputs, &mut in_shapes);
    let mut out_shapes: Vec<Vec<i64>> = outputs.iter().map(|a| dims_i64(a.shape)).collect();
    let raw_out: Vec<RelaxTensor> =
        outputs.iter_mut().zip(out_shapes.iter_mut()).map(|(a, s)| raw(a.bytes.as_mut_ptr(), s, a.dtype)).collect();
    let ws_ptr = ws.ensure(ws_bytes as usize);
    // All buffers are live and sized by their shapes; the native code
    // re-checks every shape and the workspace size before touching memory.
    let code = run(raw_in.as_ptr(), raw_out.as_ptr(), ws_ptr, ws.len() as u64);
    if code != 0 {
        let out_info: Vec<(DType, Vec<usize>)> = outputs.iter().map(|o| (o.dtype, o.shape.to_vec())).collect();
        return Err(describe_failure(sig, code, inputs, Some(&out_info)));
    }
    Ok(())
}

fn shape_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| format!("{d}")).collect();
    format!("[{}]", parts.join(", "))
}

/// "with n = 3 from `x` axis 0" for every binding, so the expected value is explainable.
fn bindings_str(sig: &Signature, inputs: &[ArgRef<'_>]) -> String {
    let parts: Vec<String> = sig
        .bindings
        .iter()
        .filter_map(|b| {
            let input = inputs.get(b.input)?;
            let (value, place) = match b.from {
                DimSource::Axis(axis) => (*input.shape.get(axis)? as i64, format!("axis {axis}")),
                DimSource::Element(index) => (element_i64(input, index)?, format!("element {index}")),
                DimSource::Derived | DimSource::ScaledElement(_) => return None,
            };
            Some(format!("{} = {} from `{}` {place}", b.var, value, sig.inputs[b.input].name))
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" (with {})", parts.join(", "))
    }
}

/// "dim `n` of parameter `x` (axis 0) is 100": where a bounded dim came from
/// and its value.
fn bound_dim_str(sig: &Signature, inputs: &[ArgRef<'_>], var: &str) -> String {
    let found = sig.bindings.iter().find(|b| b.var == var).and_then(|b| {
        let input = inputs.get(b.input)?;
        let (value, place) = match b.from {
            DimSource::Axis(axis) => (*input.shape.get(axis)? as i64, format!("axis {axis}")),
            DimSource::Element(index) => (element_i64(input, index)?, format!("element {index}")),
            DimSource::Derived | DimSource::ScaledElement(_) => return None,
        };
        Some(format!("dim `{var}` of parameter `{}` ({place}) is {value}", sig.inputs[b.input].name))
    });
    found.unwrap_or_else(|| format!("dim `{var}` is too large"))
}

/// Element `index` of an i32, i64 or bool input, if it has one.
fn element_i64(input: &ArgRef<'_>, index: usize) -> Option<i64> {
    let size = input.dtype.size();
    let bytes = input.bytes.get(index * size..(index + 1) * size)?;
    match input.dtype {
        DType::I32 => Some(i32::from_ne_bytes(bytes.try_into().ok()?) as i64),
        DType::I64 => Some(i64::from_ne_bytes(bytes.try_into().ok()?)),
        DType::Bool => Some((bytes[0] != 0) as i64),
        _ => None,
    }
}

/// Turns a failed check id into a sentence naming the parameter and both shapes.
fn describe_failure(
    sig: &Signature,
    code: i32,
    inputs: &[ArgRef<'_>],
    outputs: Option<&[(DType, Vec<usize>)]>,
) -> Error {
    let Some(check) = usize::try_from(code).ok().and_then(|c| c.checked_sub(1)).and_then(|i| sig.checks.get(i)) else {
        return Error::new(
            ErrorKind::Internal,
            format!("{}: generated code returned unknown error code {code}", sig.name),
        );
    };
    let param = |i: usize| &sig.inputs[i];
    match *check {
        Check::Rank { input } => Error::new(
            ErrorKind::Shape,
            format!(
                "{}: parameter `{}` expects a tensor of rank {} (shape {}), got shape {}",
                sig.name,
                param(input).name,
                param(input).rank,
                param(input).shape,
                shape_str(inputs[input].shape)
            ),
        ),
        Check::DType { input } => Error::new(
            ErrorKind::DType,
            format!(
                "{}: parameter `{}` expects dtype {}, got {}",
                sig.name,
                param(input).name,
                param(input).dtype,
                inputs[input].dtype
            ),
        ),
        Check::Dim { input, axis, expected } => Error::new(
            ErrorKind::Shape,
            format!(
                "{}: parameter `{}` expects shape {}, got {}: axis {} is {}, expected {}{}",
                sig.name,
                param(input).name,
                param(input).shape,
                shape_str(inputs[input].shape),
                axis,
                inputs[input].shape[axis],
                expected,
                bindings_str(sig, inputs)
            ),
        ),
        Check::NonNegative { output, axis, expr } => Error::new(
            ErrorKind::Shape,
            format!(
                "{}: these inputs give output `{}` a negative size on axis {} ({} < 0){}",
                sig.name,
                sig.outputs[output].name,
                axis,
                expr,
                bindings_str(sig, inputs)
            ),
        ),
        Check::DimMax { var, max } => Error::new(
            ErrorKind::Shape,
            format!("{}: {}, above its bound {max} (`{var}` <= {max})", sig.name, bound_dim_str(sig, inputs, var)),
        ),
        Check::Equal { context, lhs, rhs } => Error::new(
            ErrorKind::Shape,
            format!(
                "{}: {context} requires {lhs} == {rhs}, which these inputs violate{}",
                sig.name,
                bindings_str(sig, inputs)
            ),
        ),
        Check::Output { output } => {
            let got = outputs.and_then(|o| o.get(output));
            let got = got.map(|(d, s)| format!("{} {}", d, shape_str(s))).unwrap_or_default();
            Error::new(
                ErrorKind::Shape,
                format!(
                    "{}: output `{}` must be {} {}{}, got {}",
                    sig.name,
                    sig.outputs[output].name,
                    sig.outputs[output].dtype,
                    sig.outputs[output].shape,
                    bindings_str(sig, inputs),
                    got
                ),
            )
        }
        Check::Workspace => Error::new(ErrorKind::Workspace, format!("{}: the workspace is too small", sig.name)),
    }
}
