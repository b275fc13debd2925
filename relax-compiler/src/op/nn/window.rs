//! Sliding-window geometry shared by the convolutions and pooling operators,
//! for any number of spatial axes (`conv2d` and `conv3d`, the 2-D and 3-D
//! pools): the `strides` / `padding` / `dilation` attributes, output sizes,
//! and reads of the implicitly padded input.
//!
//! Padding is never materialized. A read at a position in the padding
//! selects a fill value (0 for convolution, the identity for pooling) and
//! loads from a clamped index, so every load stays inside the real input:
//! the loop interpreter bounds-checks loads and generated code must never
//! read out of bounds.

use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, BinOp, Dim, PExpr, TensorInfo};
use crate::ndarray::{NDArray, Scalar};
use crate::op::compute::{load, InOp};

/// One spatial axis of a sliding window, in input elements.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub kernel: i64,
    pub stride: i64,
    pub dilation: i64,
    pub pad_before: i64,
    pub pad_after: i64,
}

/// The name of spatial axis `a` of `spatial`, for messages.
fn axis_name(spatial: usize, a: usize) -> String {
    match (spatial, a) {
        (2, 0) | (3, 1) => "height".to_string(),
        (2, 1) | (3, 2) => "width".to_string(),
        (3, 0) => "depth".to_string(),
        _ => format!("spatial axis {a}"),
    }
}

impl Window {
    /// Input elements from a window's first tap to its last, inclusive.
    fn span(&self) -> i64 {
        self.dilation * (self.kernel - 1) + 1
    }

    /// Output positions along an input axis of size `input`. Floor mode
    /// counts the windows that fit in the padded input. Ceil mode also counts
    /// a last partial window, but only if it starts inside the input or its
    /// leading padding (PyTorch's rule), so no window lies wholly in trailing
    /// padding.
    pub fn output_dim(&self, input: &Dim, ceil_mode: bool) -> Dim {
        let room = input.clone() + self.pad_before + self.pad_after - self.span();
        if !ceil_mode {
            return (room.floor_div(self.stride) + 1).simplify();
        }
        let partial = (room + (self.stride - 1)).floor_div(self.stride) + 1;
        let starting_inside = (input.clone() + self.pad_before - 1).floor_div(self.stride) + 1;
        partial.min(starting_inside).simplify()
    }

    /// Taps to visit along an input axis of size `input`: all `kernel` of
    /// them, or none when the axis is empty. Then every tap is padding and
    /// there is no element a clamped load could read.
    pub fn taps(&self, input: &Dim) -> Dim {
        (input.clone().min(1) * self.kernel).simplify()
    }

    /// [`Window::taps`] for a concrete input size.
    pub fn taps_at(&self, input: usize) -> usize {
        if input == 0 {
            0
        } else {
            self.kernel as usize
        }
    }

    /// The input position tap `tap` of output position `out` reads; it may
    /// lie in the padding (negative, or past the end).
    pub fn position(&self, out: PExpr, tap: PExpr) -> PExpr {
        out * PExpr::int(self.stride) - PExpr::int(self.pad_before) + tap * PExpr::int(self.dilation)
    }

    /// [`Window::position`] for concrete indices.
    pub fn position_at(&self, out: usize, tap: usize) -> i64 {
        out as i64 * self.stride - self.pad_before + tap as i64 * self.dilation
    }

    /// Whether `position` lies in the input (`0 <= p < input`), or with
    /// `include_padding` in the padded input.
    pub fn covers(&self, position: PExpr, input: &Dim, include_padding: bool) -> PExpr {
        let (lo, hi) = if include_padding {
            (PExpr::int(-self.pad_before), PExpr::from_dim(input) + PExpr::int(self.pad_after))
        } else {
            (PExpr::int(0), PExpr::from_dim(input))
        };
        within(position, lo, hi)
    }

    /// [`Window::covers`] for concrete positions.
    pub fn covers_at(&self, position: i64, input: usize, include_padding: bool) -> bool {
        let pad = |p: i64| if include_padding { p } else { 0 };
        -pad(self.pad_before) <= position && position < input as i64 + pad(self.pad_after)
    }
}

/// `lo <= position < hi`, for i64 expressions.
fn within(position: PExpr, lo: PExpr, hi: PExpr) -> PExpr {
    let above = PExpr::bin(BinOp::Ge, position.clone(), lo);
    PExpr::bin(BinOp::And, above, PExpr::bin(BinOp::Lt, position, hi))
}

/// `position` clamped into `0..size` (size >= 1; see [`Window::taps`]).
fn clamp(position: PExpr, size: &Dim) -> PExpr {
    let last = PExpr::from_dim(size) - PExpr::int(1);
    PExpr::bin(BinOp::Min, PExpr::bin(BinOp::Max, position, PExpr::int(0)), last)
}

/// Whether every spatial position of `idx` (`[n, c, spatial...]`) lies in
/// the input of `shape`.
fn inside_input(shape: &[Dim], idx: &[PExpr]) -> PExpr {
    (2..shape.len())
        .map(|a| within(idx[a].clone(), PExpr::int(0), PExpr::from_dim(&shape[a])))
        .reduce(|p, q| PExpr::bin(BinOp::And, p, q))
        .unwrap_or(PExpr::Bool(true))
}

/// `in{k}[n, c, spatial...]` of an `[N, C, ...]` input of `shape` whose
/// spatial positions may lie in the padding, where it reads as `fill`.
pub fn padded_load(k: usize, shape: &[Dim], idx: Vec<PExpr>, fill: PExpr) -> PExpr {
    let inside = inside_input(shape, &idx);
    let clamped: Vec<PExpr> =
        idx.into_iter().enumerate().map(|(a, i)| if a < 2 { i } else { clamp(i, &shape[a]) }).collect();
    PExpr::select(inside, load(k, clamped), fill)
}

/// [`padded_load`] on a concrete tensor: `idx` is `[n, c, spatial...]`.
pub fn padded_get(x: &NDArray, idx: &[i64], fill: Scalar) -> Scalar {
    let inside = idx.iter().zip(x.shape()).skip(2).all(|(&i, &d)| (0..d as i64).contains(&i));
    if inside {
        x.at(&idx.iter().map(|&i| i as usize).collect::<Vec<_>>())
    } else {
        fill
    }
}

/// Requires a `rank`-D `role` tensor of `op` (`layout` names its axes in messages).
pub fn expect_rank(op: &str, role: &str, layout: &str, t: &TensorInfo, rank: usize) -> Result<(), String> {
    if t.rank() == rank {
        Ok(())
    } else {
        Err(format!("{op}: {role} must be {rank}-D {layout}, got shape {}", shape_to_string(&t.shape)))
    }
}

/// Requires a 4-D `role` tensor of `op`.
pub fn expect_4d(op: &str, role: &str, layout: &str, t: &TensorInfo) -> Result<(), String> {
    expect_rank(op, role, layout, t, 4)
}

/// The layout of an `[N, C, ...]` input with `spatial` axes, for messages.
pub fn input_layout(spatial: usize) -> &'static str {
    if spatial == 3 {
        "NCDHW"
    } else {
        "NCHW"
    }
}

/// The output's spatial sizes for an `[N, C, ...]` `input`; errors when a
/// static input is too small for the window even with its padding.
pub fn output_spatial(op: &str, windows: &[Window], input: &[Dim], ceil_mode: bool) -> Result<Vec<Dim>, String> {
    let spatial = windows.len();
    let size = |a: usize| {
        let (window, extent) = (&windows[a], &input[a + 2]);
        let out = window.output_dim(extent, ceil_mode);
        match (out.as_int(), extent.as_int()) {
            (Some(n), Some(e)) if n < 1 => Err(format!(
                "{op}: the window spans {} elements of the input {name} (kernel {}, dilation {}) but the padded {name} is {}",
                window.span(),
                window.kernel,
                window.dilation,
                e + window.pad_before + window.pad_after,
                name = axis_name(spatial, a)
            )),
            _ => Ok(out),
        }
    };
    (0..spatial).map(size).collect()
}

/// The windows of `op` with `kernel` (one size per spatial axis) and the
/// `strides` (default ones), `padding` (default zeros) and `dilation`
/// (default ones) attributes.
pub fn parse_windows(op: &str, attrs: &Attrs, kernel: &[i64]) -> Result<Vec<Window>, String> {
    let n = kernel.len();
    let strides = positive_list(op, attrs, "strides", n)?.unwrap_or_else(|| vec![1; n]);
    let dilation = positive_list(op, attrs, "dilation", n)?.unwrap_or_else(|| vec![1; n]);
    let pad = padding(op, attrs, n)?;
    Ok((0..n)
        .map(|a| Window {
            kernel: kernel[a],
            stride: strides[a],
            dilation: dilation[a],
            pad_before: pad[a],
            pad_after: pad[a + n],
        })
        .collect())
}

/// An attribute of `n` integers >= 1, or `None` when absent.
pub fn positive_list(op: &str, attrs: &Attrs, name: &str, n: usize) -> Result<Option<Vec<i64>>, String> {
    let Some(values) = attrs.ints(name).in_op(op)? else { return Ok(None) };
    if values.len() != n {
        return Err(format!("{op}: attribute `{name}` must have {n} elements, got {values:?}"));
    }
    if values.iter().any(|&v| v < 1) {
        return Err(format!("{op}: attribute `{name}` must be positive, got {values:?}"));
    }
    Ok(Some(values))
}

/// `padding` as `[befores..., afters...]` (for 2-D, [top, left, bottom,
/// right]); `n` values pad both sides alike.
fn padding(op: &str, attrs: &Attrs, n: usize) -> Result<Vec<i64>, String> {
    let Some(values) = attrs.ints("padding").in_op(op)? else { return Ok(vec![0; 2 * n]) };
    let pad = match values.len() {
        len if len == n => values.iter().chain(&values).copied().collect(),
        len if len == 2 * n => values.clone(),
        _ => return Err(format!("{op}: attribute `padding` must have {n} or {} elements, got {values:?}", 2 * n)),
    };
    if values.iter().any(|&p| p < 0) {
        return Err(format!("{op}: attribute `padding` must not be negative, got {values:?}"));
    }
    Ok(pad)
}

/// A convolution-style kernel (`conv2d`, `conv2d_transpose`): each output
/// element is the sum of `product(out_idx, red_idx)` over `extents` (the
/// group's input channels, then the taps), plus `bias[o]` (third argument,
/// `o` the output channel) when there is one. The sum is kept in the
/// accumulator dtype (`product` computes in it), rounded when stored.
pub fn channel_sum_kernel(
    name: &str,
    args: &[TensorInfo],
    out: &TensorInfo,
    extents: &[Dim],
    product: impl Fn(&[PExpr], &[PExpr]) -> PExpr,
) -> crate::ir::PrimFunc {
    use crate::op::compute::{accumulator_dtype, reduce, widen, Combine, Fold};
    let has_bias = args.len() > 2;
    let bias = |o: &[PExpr]| widen(load(2, vec![o[1].clone()]), out.dtype);
    let add_bias = |acc: PExpr, o: &[PExpr]| if has_bias { acc + bias(o) } else { acc };
    let fold = Fold { extents, combine: Combine::Sum, acc_dtype: accumulator_dtype(out.dtype) };
    reduce(name, args, out, fold, product, add_bias)
}

/// The reference side of [`channel_sum_kernel`]'s bias: `acc + bias[o]` when
/// a bias (third argument) is given, in the accumulator dtype of `dtype`.
pub fn plus_bias(acc: Scalar, args: &[&NDArray], o: usize, dtype: relax_rt::DType) -> Scalar {
    let acc_dtype = crate::op::compute::accumulator_dtype(dtype);
    match args.get(2) {
        Some(bias) => crate::interp::tir::binary(BinOp::Add, acc, bias.get(o), acc_dtype).cast(acc_dtype),
        None => acc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(kernel: i64, stride: i64, pad: i64) -> Window {
        Window { kernel, stride, dilation: 1, pad_before: pad, pad_after: pad }
    }

    #[test]
    fn output_size_floors_or_ceils() {
        let w = window(3, 2, 0);
        assert_eq!(w.output_dim(&Dim::Int(6), false), Dim::Int(2));
        assert_eq!(w.output_dim(&Dim::Int(6), true), Dim::Int(3));
        assert_eq!(w.output_dim(&Dim::Int(7), true), Dim::Int(3));
        let dilated = Window { dilation: 3, ..window(3, 1, 0) };
        assert_eq!(dilated.output_dim(&Dim::Int(10), false), Dim::Int(4));
    }

    #[test]
    fn ceil_mode_drops_a_window_starting_in_trailing_padding() {
        // Input 5, kernel 2, stride 2, padding 1: ceil((5 + 2 - 2) / 2) + 1 = 4
        // windows would start at -1, 1, 3 and 5; the last lies in the padding.
        let w = window(2, 2, 1);
        assert_eq!(w.output_dim(&Dim::Int(5), true), Dim::Int(3));
        assert_eq!(w.output_dim(&Dim::Int(5), false), Dim::Int(3));
        assert_eq!(w.output_dim(&Dim::Int(4), true), Dim::Int(3));
    }

    #[test]
    fn symbolic_output_size() {
        let w = window(3, 2, 0);
        assert_eq!(w.output_dim(&Dim::var("h"), false).to_string(), "(h - 3) / 2 + 1");
        assert_eq!(w.taps(&Dim::var("h")).to_string(), "min(1, h) * 3");
        assert_eq!(w.taps(&Dim::Int(5)), Dim::Int(3));
    }

    #[test]
    fn positions_and_coverage() {
        let w = Window { kernel: 3, stride: 2, dilation: 2, pad_before: 1, pad_after: 2 };
        assert_eq!(w.position_at(0, 0), -1);
        assert_eq!(w.position_at(3, 2), 9);
        assert!(!w.covers_at(-1, 8, false) && w.covers_at(-1, 8, true));
        assert!(w.covers_at(9, 8, true) && !w.covers_at(10, 8, true) && !w.covers_at(8, 8, false));
    }
}
