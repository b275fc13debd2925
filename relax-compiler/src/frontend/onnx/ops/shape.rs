//! Operators on shapes: `Shape` and `Size` (which give shape values),
//! `Reshape`, `Flatten` and `Expand` (which take target shapes), and the
//! generators `ConstantOfShape` and `Range` (of a length known only at run time too).
//!
//! A target shape must be known at compile time, possibly with symbolic
//! dims (a shape value); shapes computed from run-time data are reported.

use super::iota::iota;
use super::{single, Converter};
use crate::frontend::onnx::context::NodeCtx;
use crate::frontend::onnx::importer::Importer;
use crate::frontend::onnx::shape_value::ShapeValue;
use crate::frontend::onnx::tensor::to_ndarray;
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::dim_logic;
use crate::ir::{AttrValue, Attrs, Dim, Equality};
use crate::ndarray::{NDArray, Scalar};
use crate::op::compute::at_least_zero;
use relax_rt::DType;

pub const CONVERTERS: &[Converter] = &[
    Converter::new("Shape", shape).attrs(&["start", "end"]),
    Converter::new("Size", size),
    Converter::new("Reshape", reshape).attrs(&["allowzero"]),
    Converter::new("Flatten", flatten).attrs(&["axis"]),
    Converter::new("Expand", expand).since(8),
    Converter::new("ConstantOfShape", constant_of_shape).attrs(&["value"]).since(9),
    Converter::new("Range", range).since(11),
];

/// Input `k` as a shape known at compile time, possibly with symbolic dims
/// (from `Shape`, or a graph input's values).
fn target_shape(ctx: &mut NodeCtx, k: usize) -> Result<ShapeValue, String> {
    let value = ctx.input(k)?;
    match ctx.int_values(k)? {
        Some(shape) if !shape.scalar => Ok(shape),
        _ => Err(format!("the shape `{}` must be a 1-D integer tensor, got {}", ctx.input_name(k), value.info())),
    }
}

/// The input's dims `start..end` (opset 15 added the range; negative ends
/// count from the back and both clamp into the rank).
fn shape(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let dims = ctx.input(0)?.info().shape;
    let rank = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
    let start = clamp(ctx.attrs.int_or("start", 0)?);
    let end = clamp(ctx.attrs.int_or("end", rank)?).max(start);
    single(Value::from_shape(ShapeValue::vector(dims[start..end].to_vec())))
}

fn size(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    single(Value::from_shape(ShapeValue::scalar(ctx.input(0)?.info().numel())))
}

/// A `0` in the target copies the input's dim at that position, unless
/// `allowzero` (opset 14) makes it a real zero.
fn reshape(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let target = target_shape(ctx, 1)?;
    let allowzero = ctx.attrs.int_or("allowzero", 0)? != 0;
    let input = x.info().shape;
    if target.dims.iter().any(|d| ctx.importer.is_value_dim(d)) {
        let dims = run_time_reshape_target(ctx.importer, &input, &target.dims, allowzero);
        return single(ctx.reshape_checked(x, dims)?);
    }
    let dims = target
        .dims
        .iter()
        .enumerate()
        .map(|(k, d)| match (d.as_int(), allowzero) {
            (Some(0), false) => input.get(k).cloned().ok_or_else(|| {
                format!("target {} copies dim {k} of an input of rank {}", shape_to_string(&target.dims), input.len())
            }),
            _ => Ok(d.clone()),
        })
        .collect::<Result<Vec<Dim>, String>>()?;
    if let Value::Shape(s) = &x {
        return single(Value::Shape(reshape_shape_value(s, &dims)?));
    }
    let dims = resolve_wildcard(&input, dims);
    single(ctx.call("reshape", &[x], Attrs::new().with("shape", AttrValue::Dims(dims)))?)
}

/// The target shape for values known only at run time, case by case as
/// flags: an entry `0` copies the input's dim (unless `allowzero`), `-1` is
/// the element count divided by the other entries, anything else is itself.
/// A target that does not fit fails the run-time element count check.
fn run_time_reshape_target(importer: &mut Importer, input: &[Dim], target: &[Dim], allowzero: bool) -> Vec<Dim> {
    let known: Vec<Dim> = target
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let copied = match input.get(k) {
                Some(d) if !allowzero => dim_logic::select(&dim_logic::equals(v, 0), d, v),
                _ => v.clone(),
            };
            let known = dim_logic::select(&dim_logic::equals(v, -1), &Dim::Int(1), &copied);
            importer.derived_dim("reshape_dim", known)
        })
        .collect();
    let inferred = Dim::product(input).floor_div(Dim::product(&known).max(1));
    let inferred = importer.derived_dim("reshape_rest", inferred);
    let dims: Vec<Dim> =
        target.iter().zip(&known).map(|(v, d)| dim_logic::select(&dim_logic::equals(v, -1), &inferred, d)).collect();
    // A negative entry other than -1 becomes 0, so it fails the element count
    // check instead of giving a tensor a negative size.
    dims.into_iter().map(|d| importer.derived_dim("reshape_dim", d.max(0))).collect()
}

/// Resolves a `-1` in `target` where the element count determines it,
/// cancelling symbolic factors: `[N, 2, 3]` into `[N * 2, -1]` gives 3, where
/// dividing `N * 6` by `N * 2` is beyond the dim simplifier (it divides by
/// constants only). Left as `-1` when the quotient is not a product of the
/// input's factors.
fn resolve_wildcard(input: &[Dim], mut target: Vec<Dim>) -> Vec<Dim> {
    let wildcards: Vec<usize> = (0..target.len()).filter(|&k| target[k].as_int() == Some(-1)).collect();
    let [k] = wildcards[..] else { return target };
    let others: Vec<Dim> = target.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, d)| d.clone()).collect();
    if let Some(quotient) = exact_quotient(input, &others) {
        target[k] = quotient;
    }
    target
}

/// `product(num) / product(den)` when it divides exactly factor by factor.
fn exact_quotient(num: &[Dim], den: &[Dim]) -> Option<Dim> {
    let (num_constant, mut num_factors) = product_factors(num)?;
    let (den_constant, den_factors) = product_factors(den)?;
    for f in den_factors {
        let i = num_factors.iter().position(|g| *g == f)?;
        num_factors.swap_remove(i);
    }
    if den_constant == 0 || num_constant % den_constant != 0 {
        return None;
    }
    Some((Dim::product(&num_factors) * (num_constant / den_constant)).simplify())
}

/// The constant factor and the other factors (variables, opaque terms) of a
/// product of dims; `None` on overflow.
fn product_factors(dims: &[Dim]) -> Option<(i64, Vec<Dim>)> {
    fn split(d: &Dim, constant: &mut i64, factors: &mut Vec<Dim>) -> Option<()> {
        match d {
            Dim::Int(c) => *constant = constant.checked_mul(*c)?,
            Dim::Mul(a, b) => {
                split(a, constant, factors)?;
                split(b, constant, factors)?;
            }
            other => factors.push(other.clone()),
        }
        Some(())
    }
    let (mut constant, mut factors) = (1, Vec::new());
    for d in dims {
        split(&d.simplify(), &mut constant, &mut factors)?;
    }
    Some((constant, factors))
}

/// A shape value reshaped between a scalar and a one-element or full vector.
fn reshape_shape_value(s: &ShapeValue, target: &[Dim]) -> Result<ShapeValue, String> {
    match target.iter().map(Dim::as_int).collect::<Vec<_>>()[..] {
        [] => s.with_rank(0),
        [Some(n)] if n == -1 || n == s.dims.len() as i64 => s.with_rank(1),
        _ => Err(format!("cannot reshape a shape value of {} elements to {}", s.dims.len(), shape_to_string(target))),
    }
}

fn flatten(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let attrs = Attrs::new().with("axis", AttrValue::Int(ctx.attrs.int_or("axis", 1)?));
    single(ctx.call("flatten", &[ctx.input(0)?], attrs)?)
}

/// Broadcasts the input and the target shape against each other (numpy
/// rules in both directions, unlike `broadcast_to`).
fn expand(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let x = ctx.input(0)?;
    let target = target_shape(ctx, 1)?;
    let input = x.info().shape;
    if target.dims.iter().any(|d| ctx.importer.is_value_dim(d)) {
        return single(expand_run_time(ctx, x, &target.dims)?);
    }
    let output = broadcast_shapes(&input, &target.dims)?;
    if output.len() == input.len() && output.iter().zip(&input).all(|(a, b)| a.proven_eq(b)) {
        return single(x);
    }
    single(ctx.call("broadcast_to", &[x], Attrs::new().with("shape", AttrValue::Dims(output)))?)
}

/// `Expand` to a shape given at run time: an input dim of 1 takes the
/// target's, any other input dim stays, and a run-time check (a `match_cast`
/// of the input) requires the target to be 1 or that dim there.
fn expand_run_time(ctx: &mut NodeCtx, x: Value, target: &[Dim]) -> Result<Value, String> {
    let input = x.info().shape;
    let rank = input.len().max(target.len());
    let at = |s: &[Dim], k: usize| if k + s.len() >= rank { s[k + s.len() - rank].clone() } else { Dim::Int(1) };
    // `checked` is the input's shape as the run-time check states it: a dim
    // other than 1 becomes -1 (and fails the check) when the target does not fit.
    let (mut output, mut checked) = (Vec::with_capacity(rank), Vec::with_capacity(input.len()));
    for k in 0..rank {
        let (d, t) = (at(&input, k), at(target, k));
        let dim = if d.as_int() == Some(1) {
            output.push(ctx.importer.derived_dim("expanded_dim", t.max(0)));
            d
        } else {
            let fits = dim_logic::any([dim_logic::equals(&t, 1), dim_logic::equals(&(t - d.clone()), 0)]);
            let check = ctx.importer.derived_dim("expand_check", dim_logic::select(&fits, &d, &Dim::Int(-1)));
            output.push(check.clone());
            check
        };
        if k + input.len() >= rank {
            checked.push(dim);
        }
    }
    let x = ctx.match_cast(x, checked)?;
    ctx.call("broadcast_to", &[x], Attrs::new().with("shape", AttrValue::Dims(output)))
}

fn broadcast_shapes(a: &[Dim], b: &[Dim]) -> Result<Vec<Dim>, String> {
    let rank = a.len().max(b.len());
    let at = |s: &[Dim], k: usize| if k + s.len() >= rank { s[k + s.len() - rank].clone() } else { Dim::Int(1) };
    (0..rank)
        .map(|k| {
            let (x, y) = (at(a, k), at(b, k));
            match (x.as_int(), y.as_int(), x.equality(&y)) {
                (_, Some(1), _) => Ok(x),
                (Some(1), _, _) | (_, _, Equality::Proven) => Ok(y),
                _ => Err(format!(
                    "cannot broadcast {} with {}: axis {k} is {x} vs {y}",
                    shape_to_string(a),
                    shape_to_string(b)
                )),
            }
        })
        .collect()
}

/// A tensor of the given shape filled with `value` (a one-element tensor
/// attribute, default f32 zero). Constant when the shape is.
fn constant_of_shape(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let target = target_shape(ctx, 0)?;
    let fill = match ctx.attrs.tensor("value")? {
        Some(t) => to_ndarray(t, &ctx.importer.external).map_err(|e| format!("attribute value: {e}"))?,
        None => NDArray::from_f32(&[1], vec![0.0]),
    };
    if fill.numel() != 1 {
        return Err(format!("attribute value must have one element, got shape {:?}", fill.shape()));
    }
    let scalar = Value::constant(NDArray::scalar(fill.dtype(), fill.get(0)));
    single(ctx.call("broadcast_to", &[scalar], Attrs::new().with("shape", AttrValue::Dims(target.dims)))?)
}

/// `start, start + delta, ...` up to `limit` (exclusive): a constant when the
/// bounds are, else (integers only) positions `0..length` scaled and shifted
/// at run time, with the length a dim of the bounds.
fn range(ctx: &mut NodeCtx) -> Result<Vec<Value>, String> {
    let constants: Option<Vec<Scalar>> =
        (0..3).map(|k| ctx.input(k).ok()?.as_const().filter(|a| a.numel() == 1).map(|a| a.get(0))).collect();
    let dtype = ctx.input(0)?.dtype();
    if let Some(bounds) = constants {
        return single(Value::constant(arange(dtype, bounds[0], bounds[1], bounds[2])?));
    }
    if !dtype.is_int() {
        return Err("a float range needs start, limit and delta known at compile time (its length \
                    would be a float computation at run time)"
            .to_string());
    }
    let (start, limit, delta) = (range_bound(ctx, 0)?, range_bound(ctx, 1)?, range_bound(ctx, 2)?);
    if delta.as_int() == Some(0) {
        return Err("delta must not be zero".to_string());
    }
    let length = range_length(&start, &limit, &delta);
    // Dims of shapes are never negative, so `max(.., 0)` only stays for values
    // the caller passes.
    let length = match ctx.importer.is_value_dim(&length) {
        true => ctx.importer.derived_dim("range_length", length.max(0)),
        false => at_least_zero(length),
    };
    let positions = iota(ctx, &length)?;
    let data = |dim: Dim| Value::from_shape(ShapeValue::scalar(dim));
    let steps = ctx.call("mul", &[positions, data(delta)], Attrs::new())?;
    let values = ctx.call("add", &[steps, data(start)], Attrs::new())?;
    single(ctx.call("cast", &[values], Attrs::new().with("dtype", AttrValue::DType(dtype)))?)
}

/// A scalar bound of an integer `Range`, as a dim: a constant, a shape value
/// (`Shape(x)[1]`), or a graph input whose value is bound at run time.
fn range_bound(ctx: &mut NodeCtx, k: usize) -> Result<Dim, String> {
    let values = ctx.int_values(k)?.ok_or_else(|| format!("input {k} is required"))?;
    match &values.dims[..] {
        [dim] => Ok(dim.clone()),
        _ => Err(format!("input `{}` must hold one value, got {}", ctx.input_name(k), values.info())),
    }
}

/// `ceil((limit - start) / delta)` as a floor division, whose rounding offset
/// depends on the sign of `delta`: `delta - 1` when positive, `delta + 1` when
/// negative. The length is this at least 0.
fn range_length(start: &Dim, limit: &Dim, delta: &Dim) -> Dim {
    let offset = dim_logic::select(&dim_logic::is_negative(delta), &(delta.clone() + 1), &(delta.clone() - 1));
    (limit.clone() - start.clone() + offset).floor_div(delta.clone()).simplify()
}

/// The longest range computed at compile time.
const MAX_RANGE: usize = 1 << 28;

/// ONNX `Range`: `max(ceil((limit - start) / delta), 0)` elements.
fn arange(dtype: DType, start: Scalar, limit: Scalar, delta: Scalar) -> Result<NDArray, String> {
    if delta.to_f64() == 0.0 {
        return Err("delta must not be zero".to_string());
    }
    let count = ((limit.to_f64() - start.to_f64()) / delta.to_f64()).ceil().max(0.0);
    if count > MAX_RANGE as f64 {
        return Err(format!("a range of {count} elements is too large to compute at compile time"));
    }
    let count = count as usize;
    Ok(if dtype.is_float() {
        NDArray::from_fn(dtype, &[count], |i| Scalar::F(start.to_f64() + i as f64 * delta.to_f64()))
    } else {
        NDArray::from_fn(dtype, &[count], |i| {
            Scalar::I(start.to_i64().wrapping_add((i as i64).wrapping_mul(delta.to_i64())))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasts_in_both_directions() {
        let n = Dim::var("n");
        let got = broadcast_shapes(&[n.clone(), Dim::Int(1)], &[Dim::Int(3), Dim::Int(1), Dim::Int(4)]).unwrap();
        assert_eq!(got, vec![Dim::Int(3), n.clone(), Dim::Int(4)]);
        let err = broadcast_shapes(std::slice::from_ref(&n), &[Dim::var("m")]).unwrap_err();
        assert_eq!(err, "cannot broadcast [n] with [m]: axis 0 is n vs m");
    }

    #[test]
    fn wildcards_resolve_by_cancelling_symbolic_factors() {
        let (n, s) = (Dim::var("n"), Dim::var("s"));
        let input = [n.clone(), s.clone(), Dim::Int(12)];
        let target = vec![n.clone() * 3, Dim::Int(-1), Dim::Int(2)];
        assert_eq!(resolve_wildcard(&input, target), vec![n.clone() * 3, s.clone() * 2, Dim::Int(2)]);
        let unknown = vec![Dim::var("m"), Dim::Int(-1)];
        assert_eq!(resolve_wildcard(&input, unknown.clone()), unknown);
        let uneven = vec![Dim::Int(5), Dim::Int(-1)];
        assert_eq!(resolve_wildcard(&input, uneven.clone()), uneven);
    }

    #[test]
    fn symbolic_range_lengths_agree_with_onnx_counts() {
        let (s, l, d) = (Dim::var("s"), Dim::var("l"), Dim::var("d"));
        let length = range_length(&s, &l, &d);
        for start in -6..6i64 {
            for limit in -6..6i64 {
                for delta in [-4, -3, -1, 1, 2, 5] {
                    let env = [("s", start), ("l", limit), ("d", delta)].map(|(k, v)| (k.to_string(), v)).into();
                    let want = arange(DType::I64, Scalar::I(start), Scalar::I(limit), Scalar::I(delta)).unwrap();
                    let got = length.eval(&env).unwrap().max(0);
                    assert_eq!(got, want.numel() as i64, "range({start}, {limit}, {delta})");
                }
            }
        }
    }

    #[test]
    fn ranges_count_like_onnx() {
        let r = arange(DType::I64, Scalar::I(10), Scalar::I(4), Scalar::I(-3)).unwrap();
        assert_eq!(r, NDArray::from_i64_values(DType::I64, &[2], &[10, 7]));
        let r = arange(DType::F32, Scalar::F(0.0), Scalar::F(1.0), Scalar::F(0.25)).unwrap();
        assert_eq!(r, NDArray::from_f32(&[4], vec![0.0, 0.25, 0.5, 0.75]));
        assert_eq!(arange(DType::I32, Scalar::I(5), Scalar::I(1), Scalar::I(1)).unwrap().numel(), 0);
    }
}
