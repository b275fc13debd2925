//! Comparing computed tensors with expected ones, the way the ONNX backend
//! tests do (NumPy's `assert_allclose`): an element matches when
//! `|got - expected| <= atol + rtol * |expected|`, NaN matches NaN and an
//! infinity matches the same infinity. Integers and booleans are compared by
//! the same rule on their values (so with the default tolerances, exactly).

use relax_compiler::NDArray;
use relax_rt::DynTensor;

/// How close is close enough.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub rtol: f64,
    pub atol: f64,
}

impl Tolerance {
    /// The ONNX backend node tests' own tolerances.
    pub const ONNX: Tolerance = Tolerance { rtol: 1e-3, atol: 1e-7 };

    fn accepts(&self, got: f64, expected: f64) -> bool {
        (got.is_nan() && expected.is_nan())
            || got == expected
            || (got - expected).abs() <= self.atol + self.rtol * expected.abs()
    }
}

/// How far one computed tensor is from the expected one.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// The largest `|got - expected|` (infinite when a NaN or an infinity is
    /// not matched).
    pub max_abs: f64,
    /// The largest `|got - expected| / |expected|` (infinite where the
    /// expected value is 0 and got is not).
    pub max_rel: f64,
    /// How many elements are outside the tolerance, of how many.
    pub mismatched: usize,
    pub total: usize,
    /// The first element outside the tolerance: flat index, got, expected.
    pub first_mismatch: Option<(usize, f64, f64)>,
}

impl Difference {
    pub fn matches(&self) -> bool {
        self.mismatched == 0
    }

    /// The larger of two differences, for a summary over several outputs.
    pub fn worst(&self, other: &Difference) -> Difference {
        Difference {
            max_abs: self.max_abs.max(other.max_abs),
            max_rel: self.max_rel.max(other.max_rel),
            mismatched: self.mismatched + other.mismatched,
            total: self.total + other.total,
            first_mismatch: self.first_mismatch.or(other.first_mismatch),
        }
    }

    /// The difference between identical tensors with no elements.
    pub fn none() -> Difference {
        Difference { max_abs: 0.0, max_rel: 0.0, mismatched: 0, total: 0, first_mismatch: None }
    }
}

/// Compares element by element; a different dtype or shape is an error that
/// says both.
pub fn compare(got: &DynTensor, expected: &DynTensor, tolerance: Tolerance) -> Result<Difference, String> {
    if got.dtype() != expected.dtype() || got.shape() != expected.shape() {
        return Err(format!(
            "is {} {:?}, expected {} {:?}",
            got.dtype(),
            got.shape(),
            expected.dtype(),
            expected.shape()
        ));
    }
    let got = as_ndarray(got)?;
    let expected = as_ndarray(expected)?;
    let mut diff = Difference { total: expected.numel(), ..Difference::none() };
    for i in 0..expected.numel() {
        let (g, e) = (got.get(i).to_f64(), expected.get(i).to_f64());
        let (abs, rel) = distance(g, e);
        diff.max_abs = diff.max_abs.max(abs);
        diff.max_rel = diff.max_rel.max(rel);
        if !tolerance.accepts(g, e) {
            diff.mismatched += 1;
            diff.first_mismatch = diff.first_mismatch.or(Some((i, g, e)));
        }
    }
    Ok(diff)
}

/// Absolute and relative distance; matching NaNs and infinities are 0 apart.
fn distance(got: f64, expected: f64) -> (f64, f64) {
    if got == expected || (got.is_nan() && expected.is_nan()) {
        return (0.0, 0.0);
    }
    let abs = (got - expected).abs();
    if abs.is_nan() {
        return (f64::INFINITY, f64::INFINITY);
    }
    let rel = if expected == 0.0 { f64::INFINITY } else { abs / expected.abs() };
    (abs, rel)
}

fn as_ndarray(t: &DynTensor) -> Result<NDArray, String> {
    NDArray::from_bytes(t.dtype(), t.shape(), t.bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use relax_rt::Tensor;

    fn f32s(values: &[f32]) -> DynTensor {
        DynTensor::from_tensor(&Tensor::new(&[values.len()], values.to_vec()).unwrap())
    }

    #[test]
    fn values_within_the_tolerance_match_and_the_errors_are_measured() {
        let diff = compare(&f32s(&[1.0, 2.0005, 0.0]), &f32s(&[1.0, 2.0, 0.0]), Tolerance::ONNX).unwrap();
        assert!(diff.matches());
        assert!((diff.max_abs - 0.0005).abs() < 1e-6, "{diff:?}");
        assert!((diff.max_rel - 0.00025).abs() < 1e-6, "{diff:?}");
    }

    #[test]
    fn nan_matches_nan_and_infinities_match_themselves() {
        let values = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];
        let diff = compare(&f32s(&values), &f32s(&values), Tolerance::ONNX).unwrap();
        assert_eq!(diff, Difference { total: 3, ..Difference::none() });
    }

    #[test]
    fn a_nan_where_a_number_is_expected_is_a_mismatch_at_its_index() {
        let diff = compare(&f32s(&[1.0, f32::NAN]), &f32s(&[1.0, 3.0]), Tolerance::ONNX).unwrap();
        assert_eq!((diff.mismatched, diff.max_abs), (1, f64::INFINITY));
        assert!(matches!(diff.first_mismatch, Some((1, g, e)) if g.is_nan() && e == 3.0));
    }

    #[test]
    fn a_wrong_shape_or_dtype_is_reported_not_compared() {
        let err = compare(&f32s(&[1.0]), &f32s(&[1.0, 2.0]), Tolerance::ONNX).unwrap_err();
        assert_eq!(err, "is f32 [1], expected f32 [2]");
        let ints = DynTensor::from_tensor(&Tensor::new(&[1], vec![1i64]).unwrap());
        assert_eq!(compare(&ints, &f32s(&[1.0]), Tolerance::ONNX).unwrap_err(), "is i64 [1], expected f32 [1]");
    }

    #[test]
    fn integers_off_by_one_do_not_match() {
        let a = DynTensor::from_tensor(&Tensor::new(&[2], vec![7i32, 8]).unwrap());
        let b = DynTensor::from_tensor(&Tensor::new(&[2], vec![7i32, 9]).unwrap());
        assert_eq!(compare(&a, &b, Tolerance::ONNX).unwrap().mismatched, 1);
    }
}
