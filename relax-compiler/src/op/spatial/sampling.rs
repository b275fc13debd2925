//! The per-axis arithmetic of `resize` and `grid_sample`, written once over
//! [`Real`] so that the reference semantics (on `f64`) and the legalized
//! kernels (on [`PExpr`] scalars of dtype f64) compute the same formulas in
//! the same order and cannot drift apart: where a `resize` output coordinate
//! maps in the input ([`Transform`]), how `nearest` rounds it ([`Rounding`]),
//! and the weight a filter gives an input element at a distance ([`Filter`]).

use crate::ir::{BinOp, PExpr, UnOp};
use relax_rt::DType;
use std::ops::{Add, Div, Mul, Sub};

/// Real arithmetic the formulas need: `f64` for reference semantics, f64
/// [`PExpr`]s for kernels. Comparisons give `Self::Bool`.
pub trait Real: Clone + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> {
    type Bool;
    fn lit(v: f64) -> Self;
    fn floor(self) -> Self;
    fn ceil(self) -> Self;
    fn abs(self) -> Self;
    /// Round half to even.
    fn round_even(self) -> Self;
    fn min(self, other: Self) -> Self;
    fn max(self, other: Self) -> Self;
    fn le(&self, other: &Self) -> Self::Bool;
    fn lt(&self, other: &Self) -> Self::Bool;
    fn eq(&self, other: &Self) -> Self::Bool;
    fn gt(&self, other: &Self) -> Self::Bool;
    /// `cond ? a : b`.
    fn select(cond: Self::Bool, a: Self, b: Self) -> Self;
}

impl Real for f64 {
    type Bool = bool;
    fn lit(v: f64) -> f64 {
        v
    }
    fn floor(self) -> f64 {
        f64::floor(self)
    }
    fn ceil(self) -> f64 {
        f64::ceil(self)
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    fn round_even(self) -> f64 {
        f64::round_ties_even(self)
    }
    fn min(self, other: f64) -> f64 {
        crate::op::compute::nan_min(self, other)
    }
    fn max(self, other: f64) -> f64 {
        crate::op::compute::nan_max(self, other)
    }
    fn le(&self, other: &f64) -> bool {
        self <= other
    }
    fn lt(&self, other: &f64) -> bool {
        self < other
    }
    fn eq(&self, other: &f64) -> bool {
        self == other
    }
    fn gt(&self, other: &f64) -> bool {
        self > other
    }
    fn select(cond: bool, a: f64, b: f64) -> f64 {
        if cond {
            a
        } else {
            b
        }
    }
}

impl Real for PExpr {
    type Bool = PExpr;
    fn lit(v: f64) -> PExpr {
        PExpr::Float(v, DType::F64)
    }
    fn floor(self) -> PExpr {
        PExpr::un(UnOp::Floor, self)
    }
    fn ceil(self) -> PExpr {
        PExpr::un(UnOp::Ceil, self)
    }
    fn abs(self) -> PExpr {
        PExpr::un(UnOp::Abs, self)
    }
    fn round_even(self) -> PExpr {
        PExpr::un(UnOp::Round, self)
    }
    fn min(self, other: PExpr) -> PExpr {
        PExpr::bin(BinOp::Min, self, other)
    }
    fn max(self, other: PExpr) -> PExpr {
        PExpr::bin(BinOp::Max, self, other)
    }
    fn le(&self, other: &PExpr) -> PExpr {
        PExpr::bin(BinOp::Le, self.clone(), other.clone())
    }
    fn lt(&self, other: &PExpr) -> PExpr {
        PExpr::bin(BinOp::Lt, self.clone(), other.clone())
    }
    fn eq(&self, other: &PExpr) -> PExpr {
        PExpr::bin(BinOp::Eq, self.clone(), other.clone())
    }
    fn gt(&self, other: &PExpr) -> PExpr {
        PExpr::bin(BinOp::Gt, self.clone(), other.clone())
    }
    fn select(cond: PExpr, a: PExpr, b: PExpr) -> PExpr {
        PExpr::select(cond, a, b)
    }
}

/// ONNX's `coordinate_transformation_mode`: where output position `x` of an
/// axis lies in the input's coordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transform {
    HalfPixel,
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfHalfPixelForNn,
    TfCropAndResize,
}

impl Transform {
    pub const NAMES: &'static [&'static str] = &[
        "half_pixel",
        "half_pixel_symmetric",
        "pytorch_half_pixel",
        "align_corners",
        "asymmetric",
        "tf_half_pixel_for_nn",
        "tf_crop_and_resize",
    ];

    pub fn parse(name: &str) -> Option<Transform> {
        Some(match name {
            "half_pixel" => Transform::HalfPixel,
            "half_pixel_symmetric" => Transform::HalfPixelSymmetric,
            "pytorch_half_pixel" => Transform::PytorchHalfPixel,
            "align_corners" => Transform::AlignCorners,
            "asymmetric" => Transform::Asymmetric,
            "tf_half_pixel_for_nn" => Transform::TfHalfPixelForNn,
            "tf_crop_and_resize" => Transform::TfCropAndResize,
            _ => return None,
        })
    }

    /// The input coordinate of output position `x` along an axis of
    /// `input` elements resized by `scale` to `output` elements. Following
    /// the ONNX specification, the target length in the formulas is the
    /// possibly fractional `scale * input` (`output_width`; the output holds
    /// its integer part `output`), and `roi = (start, end)` is the axis's
    /// region of interest, used by `tf_crop_and_resize` only.
    pub fn source<R: Real>(self, x: R, scale: R, input: R, output: R, roi: Option<(R, R)>) -> R {
        let half = || R::lit(0.5);
        let one = || R::lit(1.0);
        let width = scale.clone() * input.clone();
        let half_pixel = (x.clone() + half()) / scale.clone() - half();
        match self {
            Transform::HalfPixel => half_pixel,
            Transform::HalfPixelSymmetric => {
                let adjustment = output / width;
                let offset = input / R::lit(2.0) * (one() - adjustment);
                offset + half_pixel
            }
            Transform::PytorchHalfPixel => R::select(width.gt(&one()), half_pixel, R::lit(0.0)),
            Transform::AlignCorners => {
                let stretched = x * (input - one()) / (width.clone() - one());
                R::select(width.eq(&one()), R::lit(0.0), stretched)
            }
            Transform::Asymmetric => x / scale,
            Transform::TfHalfPixelForNn => (x + half()) / scale,
            Transform::TfCropAndResize => {
                let (start, end) = roi.expect("tf_crop_and_resize needs a region of interest");
                let last = input - one();
                let extent = end - start.clone();
                let spread = x * extent.clone() * last.clone() / (width.clone() - one());
                let centre = extent * last.clone() / R::lit(2.0);
                R::select(width.gt(&one()), spread, centre) + start * last
            }
        }
    }
}

/// ONNX's `nearest_mode`: which of the two input elements around a
/// coordinate `nearest` picks. An integral coordinate picks itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    PreferFloor,
    PreferCeil,
    Floor,
    Ceil,
}

impl Rounding {
    pub const NAMES: &'static [&'static str] = &["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];

    pub fn parse(name: &str) -> Option<Rounding> {
        Some(match name {
            "round_prefer_floor" => Rounding::PreferFloor,
            "round_prefer_ceil" => Rounding::PreferCeil,
            "floor" => Rounding::Floor,
            "ceil" => Rounding::Ceil,
            _ => return None,
        })
    }

    /// The chosen index of coordinate `c`, as a real number (not yet clamped).
    pub fn round<R: Real>(self, c: R) -> R {
        let below = c.clone().floor();
        let fraction = c.clone() - below.clone();
        let above = below.clone() + R::lit(1.0);
        match self {
            Rounding::PreferFloor => R::select(fraction.le(&R::lit(0.5)), below, above),
            Rounding::PreferCeil => R::select(fraction.lt(&R::lit(0.5)), below, above),
            Rounding::Floor => below,
            Rounding::Ceil => c.ceil(),
        }
    }
}

/// The interpolation filters of `linear` and `cubic` modes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Filter {
    /// The triangle `max(0, 1 - |d|)`.
    Linear,
    /// Keys' cubic convolution kernel with coefficient `a` (`cubic_coeff_a`).
    Cubic { a: f64 },
}

impl Filter {
    /// Half the filter's width: it is zero at distances of `support` or more.
    pub fn support(self) -> i64 {
        match self {
            Filter::Linear => 1,
            Filter::Cubic { .. } => 2,
        }
    }

    /// The weight of an input element at distance `d` (in filter units).
    pub fn weight<R: Real>(self, d: R) -> R {
        let x = d.abs();
        let one = || R::lit(1.0);
        match self {
            Filter::Linear => {
                let w = one() - x.clone();
                R::select(x.lt(&one()), w, R::lit(0.0))
            }
            Filter::Cubic { a } => {
                let lit = R::lit;
                let near = (lit(a + 2.0) * x.clone() - lit(a + 3.0)) * x.clone() * x.clone() + one();
                let far = ((lit(a) * x.clone() - lit(5.0 * a)) * x.clone() + lit(8.0 * a)) * x.clone() - lit(4.0 * a);
                R::select(x.le(&one()), near, R::select(x.lt(&lit(2.0)), far, lit(0.0)))
            }
        }
    }

    /// How much the filter is stretched: `min(scale, 1)` with antialiasing
    /// (a downscale widens the filter by `1 / scale`), else 1.
    pub fn stretch<R: Real>(antialias: bool, scale: R) -> R {
        if antialias {
            scale.min(R::lit(1.0))
        } else {
            R::lit(1.0)
        }
    }

    /// Half the number of taps of the filter stretched by `s`: `ceil(support
    /// / s)`, as a real number.
    pub fn half_taps<R: Real>(self, s: R) -> R {
        (R::lit(self.support() as f64) / s).ceil()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_weights_match_keys_coefficients() {
        // Keys (1981), a = -0.5: w(0) = 1, w(0.5) = 0.5625, w(1) = 0, w(1.5) = -0.0625, w(2) = 0.
        let f = Filter::Cubic { a: -0.5 };
        let got: Vec<f64> = [0.0, 0.5, 1.0, 1.5, 2.0, -0.5].iter().map(|&d| f.weight(d)).collect();
        assert_eq!(got, [1.0, 0.5625, 0.0, -0.0625, 0.0, 0.5625]);
        assert_eq!(Filter::Linear.weight(0.25), 0.75);
        assert_eq!(Filter::Linear.weight(-1.5), 0.0);
    }

    #[test]
    fn transforms_by_hand() {
        // 4 -> 8 elements (scale 2): output 3 is 3.5 / 2 - 0.5 = 1.25 in half_pixel.
        let t = |t: Transform, x: f64| t.source(x, 2.0, 4.0, 8.0, Some((0.25, 0.75)));
        assert_eq!(t(Transform::HalfPixel, 3.0), 1.25);
        assert_eq!(t(Transform::Asymmetric, 3.0), 1.5);
        assert_eq!(t(Transform::AlignCorners, 7.0), 3.0);
        assert_eq!(t(Transform::TfHalfPixelForNn, 3.0), 1.75);
        // tf_crop_and_resize: start 0.25 * 3 + 7 * 0.5 * 3 / 7 = 2.25 at the last output.
        assert_eq!(t(Transform::TfCropAndResize, 7.0), 2.25);
        // A single output element: pytorch_half_pixel reads 0, align_corners 0.
        assert_eq!(Transform::PytorchHalfPixel.source(0.0, 0.25, 4.0, 1.0, None), 0.0);
        assert_eq!(Transform::AlignCorners.source(0.0, 0.25, 4.0, 1.0, None), 0.0);
        // half_pixel_symmetric: 4 * 0.6 = 2.4 wide, 2 elements: offset 2 * (1 - 2 / 2.4) = 1/3.
        let s = Transform::HalfPixelSymmetric.source(0.0, 0.6, 4.0, 2.0, None);
        assert!((s - (1.0 / 3.0 + 0.5 / 0.6 - 0.5)).abs() < 1e-12);
    }

    #[test]
    fn rounding_modes() {
        let r = |m: Rounding, c: f64| m.round(c);
        assert_eq!([r(Rounding::PreferFloor, 1.5), r(Rounding::PreferFloor, 1.6)], [1.0, 2.0]);
        assert_eq!([r(Rounding::PreferCeil, 1.5), r(Rounding::PreferCeil, 1.4)], [2.0, 1.0]);
        assert_eq!([r(Rounding::Floor, 1.9), r(Rounding::Ceil, 1.1), r(Rounding::Ceil, 2.0)], [1.0, 2.0, 2.0]);
    }
}
