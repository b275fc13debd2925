//! Reading what the examples print.
//!
//! The examples print tensors one row per line, `name[i]: v0 v1 ...`, with the
//! values in Rust's `{:.9e}` format (enough digits to round-trip an `f32`), and
//! single facts as `label: text` lines.

use crate::error::{Error, Result};

/// The rows printed as `name[0]: ...`, `name[1]: ...`, ... in that order.
///
/// Every row line must parse, the indices must count up from 0 without gaps,
/// and there must be at least one row: a half-printed tensor is an error, not
/// a shorter result. Lines that do not start with `name[` are ignored.
pub fn parse_rows(output: &str, name: &str) -> Result<Vec<Vec<f32>>> {
    let mut rows = Vec::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix(name).and_then(|r| r.strip_prefix('[')) else { continue };
        let (index, values) = parse_row(rest).map_err(|e| Error::new(format!("bad line `{line}`: {e}")))?;
        if index != rows.len() {
            return Err(Error::new(format!("`{name}[{}]` expected, found `{line}`", rows.len())));
        }
        rows.push(values);
    }
    if rows.is_empty() {
        return Err(Error::new(format!("no `{name}[0]: ...` line in the output")));
    }
    Ok(rows)
}

/// Parses `i]: v0 v1 ...`, what follows `name[` on a row line.
fn parse_row(rest: &str) -> Result<(usize, Vec<f32>), String> {
    let (index, values) = rest.split_once("]:").ok_or("expected `]:` after the index")?;
    let index = index.parse::<usize>().map_err(|e| format!("index `{index}`: {e}"))?;
    let values = values
        .split_whitespace()
        .map(|v| v.parse::<f32>().map_err(|e| format!("value `{v}`: {e}")))
        .collect::<Result<Vec<f32>, String>>()?;
    if values.is_empty() {
        return Err("no values".into());
    }
    Ok((index, values))
}

/// The text after `label: ` on the one line that starts with it.
pub fn find_line<'a>(output: &'a str, label: &str) -> Result<&'a str> {
    let prefix = format!("{label}: ");
    let mut found = output.lines().filter_map(|line| line.strip_prefix(&prefix));
    match (found.next(), found.next()) {
        (Some(text), None) => Ok(text),
        (None, _) => Err(Error::new(format!("no `{label}: ...` line in the output"))),
        (Some(_), Some(_)) => Err(Error::new(format!("more than one `{label}: ...` line in the output"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "\
digits: 2 test samples
probs[0]: 2.500000000e-2 1.000000000e0 -3.5e-7 NaN inf
probs[1]: 1.5 2.5 3.5 4.5 5.5
latency per sample (batch 1, median): 1.25 us
";

    #[test]
    fn parses_every_row_in_order() {
        let rows = parse_rows(OUTPUT, "probs").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0][..3], [2.5e-2, 1.0, -3.5e-7]);
        assert!(rows[0][3].is_nan());
        assert_eq!(rows[0][4], f32::INFINITY);
        assert_eq!(rows[1], [1.5, 2.5, 3.5, 4.5, 5.5]);
    }

    #[test]
    fn nine_digit_exponent_format_round_trips_f32() {
        let values = [0.1f32, 1.0 / 3.0, f32::MIN_POSITIVE, -f32::MAX, f32::from_bits(5)];
        let line: Vec<String> = values.iter().map(|v| format!("{v:.9e}")).collect();
        let rows = parse_rows(&format!("y[0]: {}\n", line.join(" ")), "y").unwrap();
        assert_eq!(rows[0], values);
    }

    #[test]
    fn only_lines_starting_with_the_name_count() {
        let output = "xy[0]: 9\n y[0]: 9\ny[0]: 1 2\n";
        assert_eq!(parse_rows(output, "y").unwrap(), [vec![1.0, 2.0]]);
    }

    #[test]
    fn missing_rows_are_an_error() {
        assert!(parse_rows("y[0]: 1\ny[2]: 3\n", "y").unwrap_err().message().contains("`y[1]` expected"));
        assert!(parse_rows("y[1]: 1\n", "y").unwrap_err().message().contains("`y[0]` expected"));
        assert!(parse_rows(OUTPUT, "y").unwrap_err().message().contains("no `y[0]: ...` line"));
    }

    #[test]
    fn malformed_rows_are_an_error() {
        for bad in ["y[0]: 1 x 3", "y[0]:", "y[0] 1 2", "y[a]: 1", "y[0]: 1,2"] {
            let err = parse_rows(bad, "y").unwrap_err();
            assert!(err.message().contains(bad), "{bad}: {err}");
        }
    }

    #[test]
    fn finds_the_one_labelled_line() {
        assert_eq!(find_line(OUTPUT, "latency per sample (batch 1, median)").unwrap(), "1.25 us");
        assert!(find_line(OUTPUT, "rejected").is_err());
        assert!(find_line("a: 1\na: 2\n", "a").unwrap_err().message().contains("more than one"));
    }
}
