//! The sliding-window attributes `Conv` and the pools share: `kernel_shape`,
//! `strides`, `dilations`, `pads` and `auto_pad`, for one to three spatial
//! axes (the relax operators are 2-D and 3-D; a 1-D window runs as a 2-D one
//! of height 1).
//!
//! ONNX's `pads` are `[begins..., ends...]` (`[h_begin, w_begin, h_end,
//! w_end]` in 2-D), the order of relax's `padding`. `auto_pad = SAME_UPPER` or
//! `SAME_LOWER` pads so that the output has `ceil(input / stride)` elements,
//! the odd one at the end or the beginning; this needs the input's spatial
//! size at compile time.

use crate::frontend::onnx::attrs::Attributes;
use crate::frontend::onnx::context::{ints_attr, NodeCtx};
use crate::frontend::onnx::value::Value;
use crate::ir::dim::shape_to_string;
use crate::ir::{Attrs, Dim, TensorInfo};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AutoPad {
    NotSet,
    Valid,
    SameUpper,
    SameLower,
}

impl AutoPad {
    fn name(self) -> &'static str {
        match self {
            AutoPad::NotSet => "NOTSET",
            AutoPad::Valid => "VALID",
            AutoPad::SameUpper => "SAME_UPPER",
            AutoPad::SameLower => "SAME_LOWER",
        }
    }
}

fn auto_pad(attrs: &Attributes) -> Result<AutoPad, String> {
    match attrs.string_or("auto_pad", "NOTSET")?.as_str() {
        "NOTSET" => Ok(AutoPad::NotSet),
        "VALID" => Ok(AutoPad::Valid),
        "SAME_UPPER" => Ok(AutoPad::SameUpper),
        "SAME_LOWER" => Ok(AutoPad::SameLower),
        other => Err(format!("attribute auto_pad={other} is not supported")),
    }
}

/// The attribute checks every windowed operator shares.
pub fn check_window_attrs(attrs: &Attributes) -> Result<(), String> {
    auto_pad(attrs)?;
    match attrs.ints("kernel_shape")? {
        Some(kernel) if !(1..=3).contains(&kernel.len()) => Err(format!(
            "{}-D windows (kernel_shape {kernel:?}) are not supported yet; only 1-D, 2-D and 3-D",
            kernel.len()
        )),
        _ => Ok(()),
    }
}

/// A 2-D or 3-D window: what the relax operators take as attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub kernel: Vec<i64>,
    pub strides: Vec<i64>,
    pub dilations: Vec<i64>,
    /// `[befores..., afters...]`.
    pub padding: Vec<i64>,
}

impl Window {
    /// The window of `kernel` over the spatial dims `input` (one to three; a
    /// 1-D window is the 2-D one over a leading axis of size 1).
    pub fn new(attrs: &Attributes, kernel: &[i64], input: &[Dim]) -> Result<Window, String> {
        let spatial = kernel.len();
        let strides = per_axis(attrs, "strides", spatial)?;
        let dilations = per_axis(attrs, "dilations", spatial)?;
        let mut pads = Vec::with_capacity(2 * spatial);
        match auto_pad(attrs)? {
            AutoPad::NotSet => pads = explicit_pads(attrs, spatial)?,
            AutoPad::Valid => pads.resize(2 * spatial, 0),
            mode => {
                let sides = (0..spatial)
                    .map(|a| same_pads(mode, &input[a], kernel[a], strides[a], dilations[a]))
                    .collect::<Result<Vec<_>, _>>()?;
                pads.extend(sides.iter().map(|s| s.0));
                pads.extend(sides.iter().map(|s| s.1));
            }
        }
        Ok(match spatial {
            1 => Window {
                kernel: vec![1, kernel[0]],
                strides: vec![1, strides[0]],
                dilations: vec![1, dilations[0]],
                padding: vec![0, pads[0], 0, pads[1]],
            },
            _ => Window { kernel: kernel.to_vec(), strides, dilations, padding: pads },
        })
    }

    /// The attributes `conv2d` takes (pools add `kernel`).
    pub fn attrs(&self) -> Attrs {
        Attrs::new()
            .with("strides", ints_attr(&self.strides))
            .with("padding", ints_attr(&self.padding))
            .with("dilation", ints_attr(&self.dilations))
    }
}

/// The number of spatial axes of an `[N, C, ...]` input, which must be
/// 1 to `most`.
pub fn spatial_axes(input: &TensorInfo, what: &str, most: usize) -> Result<usize, String> {
    let spatial = input.rank().saturating_sub(2);
    if (1..=most).contains(&spatial) {
        return Ok(spatial);
    }
    let supported = if most == 3 { "1-D, 2-D and 3-D" } else { "1-D and 2-D" };
    Err(format!("{spatial}-D {what} is not supported yet; only {supported} (input {input})"))
}

/// The relax operator `base` (`conv`, `max_pool`, ...) for `spatial` axes:
/// 1-D runs as 2-D.
pub fn op_for(base: &str, spatial: usize) -> String {
    format!("{base}{}d", spatial.max(2))
}

/// A 1-D operand (`[N, C, L]`, or a 1-D kernel) as 2-D with a unit height.
pub fn to_2d(ctx: &mut NodeCtx, value: Value) -> Result<Value, String> {
    ctx.call("expand_dims", &[value], Attrs::new().with("axis", ints_attr(&[2])))
}

/// The 2-D result of a lifted 1-D operation, back to 1-D.
pub fn from_2d(ctx: &mut NodeCtx, value: Value) -> Result<Value, String> {
    ctx.call("squeeze", &[value], Attrs::new().with("axes", ints_attr(&[2])))
}

/// One value per spatial axis, ones when absent.
fn per_axis(attrs: &Attributes, name: &str, spatial: usize) -> Result<Vec<i64>, String> {
    match attrs.ints(name)? {
        None => Ok(vec![1; spatial]),
        Some(values) if values.len() == spatial => Ok(values),
        Some(values) => Err(format!("attribute {name}={values:?} must have {spatial} elements, one per spatial axis")),
    }
}

/// `[begin..., end...]`, zeros when absent.
fn explicit_pads(attrs: &Attributes, spatial: usize) -> Result<Vec<i64>, String> {
    match attrs.ints("pads")? {
        None => Ok(vec![0; 2 * spatial]),
        Some(pads) if pads.len() == 2 * spatial => Ok(pads),
        Some(pads) => Err(format!("attribute pads={pads:?} must have {} elements, two per spatial axis", 2 * spatial)),
    }
}

/// Padding (before, after) along one axis of size `input` so the output has
/// `ceil(input / stride)` elements.
fn same_pads(mode: AutoPad, input: &Dim, kernel: i64, stride: i64, dilation: i64) -> Result<(i64, i64), String> {
    let input = input.as_int().ok_or_else(|| {
        format!("auto_pad={} needs the input's spatial size at compile time, but it is {input}", mode.name())
    })?;
    let output = (input + stride - 1) / stride;
    let total = ((output - 1) * stride + (kernel - 1) * dilation + 1 - input).max(0);
    let smaller = total / 2;
    Ok(if mode == AutoPad::SameUpper { (smaller, total - smaller) } else { (total - smaller, smaller) })
}

/// The spatial kernel size of a convolution weight, which must be static and
/// agree with the node's `kernel_shape` attribute when it has one.
pub fn static_kernel(ctx: &NodeCtx, x: &TensorInfo, w: &TensorInfo) -> Result<Vec<i64>, String> {
    if w.rank() != x.rank() {
        return Err(format!("the weight {w} must have the rank of the input {x}"));
    }
    let kernel: Vec<i64> = w.shape[2..].iter().map(|d| d.as_int()).collect::<Option<_>>().ok_or_else(|| {
        format!("the kernel size must be known at compile time, got weight {}", shape_to_string(&w.shape))
    })?;
    if let Some(declared) = ctx.attrs.ints("kernel_shape")? {
        if declared != kernel {
            return Err(format!("kernel_shape {declared:?} does not match the weight's kernel {kernel:?}"));
        }
    }
    Ok(kernel)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::onnx::proto::attribute_proto::AttributeType;
    use crate::frontend::onnx::proto::AttributeProto;

    fn string_attr(name: &str, value: &str) -> AttributeProto {
        AttributeProto {
            name: Some(name.into()),
            r#type: Some(AttributeType::String as i32),
            s: Some(value.as_bytes().to_vec()),
            ..Default::default()
        }
    }

    fn ints_attr(name: &str, values: &[i64]) -> AttributeProto {
        AttributeProto {
            name: Some(name.into()),
            r#type: Some(AttributeType::Ints as i32),
            ints: values.to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn same_padding_puts_the_odd_pad_where_asked() {
        let (h, w) = (Dim::Int(7), Dim::Int(8));
        let upper = [string_attr("auto_pad", "SAME_UPPER"), ints_attr("strides", &[2, 2])];
        let window = Window::new(&Attributes::new(&upper), &[3, 4], &[h.clone(), w.clone()]).unwrap();
        // h: out 4, total (4-1)*2+3-7 = 2 -> 1/1; w: out 4, total 6+4-8 = 2 -> 1/1.
        assert_eq!(window.padding, vec![1, 1, 1, 1]);
        let lower = [string_attr("auto_pad", "SAME_LOWER")];
        let window = Window::new(&Attributes::new(&lower), &[2, 4], &[h.clone(), w.clone()]).unwrap();
        // stride 1: total = kernel - 1, the odd pad goes first.
        assert_eq!(window.padding, vec![1, 2, 0, 1]);
        let one_d = Window::new(&Attributes::new(&lower), &[4], &[w]).unwrap();
        assert_eq!((one_d.kernel, one_d.padding), (vec![1, 4], vec![0, 2, 0, 1]));
        let three_d = Window::new(&Attributes::new(&lower), &[2, 3, 1], &[Dim::Int(4), h, Dim::Int(5)]).unwrap();
        // stride 1: totals 1, 2, 0; SAME_LOWER puts the odd one first.
        assert_eq!(three_d.padding, vec![1, 1, 0, 0, 1, 0]);
    }

    #[test]
    fn same_padding_needs_static_sizes_and_explicit_pads_need_four() {
        let n = Dim::var("h");
        let same = [string_attr("auto_pad", "SAME_UPPER")];
        let err = Window::new(&Attributes::new(&same), &[3, 3], &[n.clone(), n.clone()]).unwrap_err();
        assert_eq!(err, "auto_pad=SAME_UPPER needs the input's spatial size at compile time, but it is h");
        let pads = [ints_attr("pads", &[1, 1])];
        let err = Window::new(&Attributes::new(&pads), &[3, 3], &[n.clone(), n]).unwrap_err();
        assert_eq!(err, "attribute pads=[1, 1] must have 4 elements, two per spatial axis");
        let bad = [string_attr("auto_pad", "SAME")];
        assert_eq!(check_window_attrs(&Attributes::new(&bad)), Err("attribute auto_pad=SAME is not supported".into()));
    }
}
