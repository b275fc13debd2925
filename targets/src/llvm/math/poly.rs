//! Polynomials as the math routines use them: fitted coefficients in a scaled
//! variable, evaluated by Horner's rule with fused multiply-adds.

/// `sum c_k s^k` with `s = (v - center) / scale`; `coefficients` lowest degree first.
#[derive(Debug)]
pub struct Polynomial {
    pub center: f64,
    pub scale: f64,
    pub coefficients: &'static [f64],
}

impl Polynomial {
    /// Whether the variable is used as is (no shift or scale to emit).
    pub fn is_unscaled(&self) -> bool {
        self.center == 0.0 && self.scale == 1.0
    }
}
