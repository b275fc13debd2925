//! Comparing printed numbers with the reference interpreter's tensors.

use crate::error::{Error, Result};
use relax_compiler::NDArray;

/// Checks printed rows (see [`crate::printed::parse_rows`]) against `expected`,
/// a `[rows, columns]` tensor, element by element within `atol + rtol * |expected|`.
/// Too few or too many rows or columns is a mismatch too.
pub fn check_rows(name: &str, printed: &[Vec<f32>], expected: &NDArray, rtol: f64, atol: f64) -> Result<()> {
    let got = rows_to_tensor(printed).map_err(|e| e.context(format!("printed `{name}`")))?;
    got.assert_close(expected, rtol, atol)
        .map_err(|e| Error::new(format!("printed `{name}` vs the reference interpreter: {e}")))
}

/// Stacks equally long rows into a `[rows, columns]` f32 tensor.
pub fn rows_to_tensor(rows: &[Vec<f32>]) -> Result<NDArray> {
    let columns = rows.first().map_or(0, Vec::len);
    if let Some(i) = rows.iter().position(|r| r.len() != columns) {
        return Err(Error::new(format!("row {i} has {} values, row 0 has {columns}", rows[i].len())));
    }
    Ok(NDArray::from_f32(&[rows.len(), columns], rows.concat()))
}

/// The first `count` rows of an f32 tensor of rank 2 or more.
pub fn leading_rows(tensor: &NDArray, count: usize) -> Result<NDArray> {
    let data = tensor.as_f32().ok_or_else(|| Error::new(format!("expected an f32 tensor, got {}", tensor.dtype())))?;
    let shape = tensor.shape();
    if shape.len() < 2 || shape[0] < count {
        return Err(Error::new(format!("cannot take {count} rows of a tensor of shape {shape:?}")));
    }
    let row_len: usize = shape[1..].iter().product();
    let mut new_shape = shape.to_vec();
    new_shape[0] = count;
    Ok(NDArray::from_f32(&new_shape, data[..count * row_len].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(rows: &[&[f32]]) -> NDArray {
        rows_to_tensor(&rows.iter().map(|r| r.to_vec()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn rows_within_tolerance_match() {
        let expected = tensor(&[&[1.0, 2.0], &[3.0, 4.0]]);
        check_rows("y", &[vec![1.00001, 2.0], vec![3.0, 3.99999]], &expected, 1e-4, 0.0).unwrap();
    }

    #[test]
    fn a_value_outside_tolerance_is_reported_with_its_position() {
        let expected = tensor(&[&[1.0, 2.0], &[3.0, 4.0]]);
        let err = check_rows("y", &[vec![1.0, 2.0], vec![3.0, 4.01]], &expected, 1e-4, 1e-6).unwrap_err();
        assert!(err.message().contains("printed `y`") && err.message().contains("[1, 1]"), "{err}");
    }

    #[test]
    fn a_missing_row_or_column_is_a_mismatch() {
        let expected = tensor(&[&[1.0, 2.0], &[3.0, 4.0]]);
        assert!(check_rows("y", &[vec![1.0, 2.0]], &expected, 1e-4, 1e-6).is_err());
        assert!(check_rows("y", &[vec![1.0], vec![3.0]], &expected, 1e-4, 1e-6).is_err());
        let ragged = check_rows("y", &[vec![1.0, 2.0], vec![3.0]], &expected, 1e-4, 1e-6).unwrap_err();
        assert!(ragged.message().contains("row 1 has 1 values"), "{ragged}");
    }

    #[test]
    fn leading_rows_keeps_the_first_rows_and_the_row_shape() {
        let t = NDArray::from_f32(&[3, 1, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let first = leading_rows(&t, 2).unwrap();
        assert_eq!(first.shape(), [2, 1, 2]);
        assert_eq!(first.as_f32().unwrap(), [1.0, 2.0, 3.0, 4.0]);
        assert!(leading_rows(&t, 4).is_err());
    }
}
