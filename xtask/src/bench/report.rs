//! What one bench run measured, and its Markdown report: the runners' lines
//! parsed into cells, one latency row per case, and GFLOP/s for GEMM cases.

use super::peak::Peak;

/// The runners, in column order. relax-rs is single-threaded today;
/// onnxruntime runs with one and with both cores; tract uses one.
pub const RUNNERS: [&str; 4] = ["relax-rs", "onnxruntime 1T", "onnxruntime 2T", "tract"];
/// How many cores each runner may use, for the GFLOP/s fraction of peak.
pub const THREADS: [f64; 4] = [1.0, 1.0, 2.0, 1.0];

/// The median latency of one runner on one case.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    pub median_us: f64,
    pub iterations: usize,
}

/// One runner on one case.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Timed(Timing),
    /// The runner does not support the model (tract's own error).
    Unsupported(String),
    /// The runner failed: a compile error, wrong outputs, a crash.
    Failed(String),
}

/// One case: its cells in [`RUNNERS`] order, and its FLOP count when it is a
/// GEMM (2 n^3).
#[derive(Clone, Debug)]
pub struct Row {
    pub case: String,
    pub flops: Option<f64>,
    pub cells: Vec<Cell>,
}

/// The timing in the last `median_us=.. iterations=..` line of a runner's
/// output (the format `relaxc/src/timing.rs` documents).
pub fn parse_line(stdout: &str) -> Option<Timing> {
    let line = stdout.lines().rev().find(|l| l.starts_with("median_us="))?;
    let value = |key: &str| line.split_whitespace().find_map(|f| f.strip_prefix(key)?.strip_prefix('='));
    Some(Timing { median_us: value("median_us")?.parse().ok()?, iterations: value("iterations")?.parse().ok()? })
}

/// A latency with three significant digits in a fitting unit.
pub fn duration(us: f64) -> String {
    let (value, unit) = if us >= 1e6 {
        (us / 1e6, "s")
    } else if us >= 1e3 {
        (us / 1e3, "ms")
    } else {
        (us, "us")
    };
    let decimals = if value >= 100.0 {
        0
    } else if value >= 10.0 {
        1
    } else {
        2
    };
    format!("{value:.decimals$} {unit}")
}

/// Text safe in a Markdown table cell, at most `max` characters.
fn cell_text(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|");
    if one_line.chars().count() <= max {
        one_line
    } else {
        format!("{}…", one_line.chars().take(max).collect::<String>())
    }
}

impl Cell {
    pub fn median_us(&self) -> Option<f64> {
        match self {
            Cell::Timed(t) => Some(t.median_us),
            _ => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Timed(t) => duration(t.median_us),
            Cell::Unsupported(why) => format!("unsupported: {}", cell_text(why, 140)),
            Cell::Failed(why) => format!("failed: {}", cell_text(why, 100)),
        }
    }
}

impl Row {
    /// relax-rs's median over the fastest peer's, with that peer's name.
    pub fn ratio(&self) -> Option<(f64, &'static str)> {
        let ours = self.cells.first()?.median_us()?;
        let (best, name) = self
            .cells
            .iter()
            .zip(RUNNERS)
            .skip(1)
            .filter_map(|(c, name)| Some((c.median_us()?, name)))
            .min_by(|a, b| a.0.total_cmp(&b.0))?;
        Some((ours / best, name))
    }

    fn ratio_text(&self) -> String {
        match self.ratio() {
            Some((ratio, peer)) => format!("{ratio:.2}x ({peer})"),
            None => "n/a".to_string(),
        }
    }
}

/// GFLOP/s of a GEMM cell and, given the single-core peak, its fraction of
/// the peak of the cores the runner used.
fn gflops_text(flops: f64, cell: &Cell, threads: f64, peak: Option<&Peak>) -> String {
    let Some(us) = cell.median_us() else { return "n/a".to_string() };
    let gflops = flops / (us * 1e3);
    match peak {
        Some(p) => format!("{gflops:.2} ({:.1}%)", 100.0 * gflops / (p.gflops * threads)),
        None => format!("{gflops:.2}"),
    }
}

/// The whole report: `header` lines (machine, versions, how it ran), the
/// latency table, then the GEMM table.
pub fn render(header: &[String], rows: &[Row], peak: Option<&Peak>) -> String {
    let mut out = String::from("# relax-rs benchmark\n\n");
    for line in header {
        out.push_str(&format!("- {line}\n"));
    }
    out.push_str("\n## Median latency\n\n");
    out.push_str(&format!("| case | {} | relax-rs / best peer |\n", RUNNERS.join(" | ")));
    out.push_str(&format!("|---|{}---|\n", "---:|".repeat(RUNNERS.len())));
    for row in rows {
        let cells: Vec<String> = row.cells.iter().map(Cell::text).collect();
        out.push_str(&format!("| {} | {} | {} |\n", row.case, cells.join(" | "), row.ratio_text()));
    }
    let gemms: Vec<&Row> = rows.iter().filter(|r| r.flops.is_some()).collect();
    if !gemms.is_empty() {
        out.push_str("\n## GEMM throughput\n\nGFLOP/s = 2 n^3 / median time; in parentheses the fraction of the estimated f32 peak of the cores the runner used (one, or two for onnxruntime 2T).\n\n");
        out.push_str(&format!("| case | {} |\n", RUNNERS.join(" | ")));
        out.push_str(&format!("|---|{}\n", "---:|".repeat(RUNNERS.len())));
        for row in &gemms {
            let flops = row.flops.unwrap_or_default();
            let cells: Vec<String> =
                row.cells.iter().zip(THREADS).map(|(c, t)| gflops_text(flops, c, t, peak)).collect();
            out.push_str(&format!("| {} | {} |\n", row.case, cells.join(" | ")));
        }
        if let Some(p) = peak.filter(|p| above_peak(&gemms, p)) {
            out.push_str(&format!(
                "\nA cell above 100% means the estimate is low: the clock it used ({:.1} GFLOP/s per core) is below the \
                 one the core really ran at (turbo, or a VM reporting its base clock).\n",
                p.gflops
            ));
        }
    }
    out
}

/// Whether any GEMM cell beats the estimated peak of the cores it used.
fn above_peak(gemms: &[&Row], peak: &Peak) -> bool {
    gemms.iter().any(|row| {
        let flops = row.flops.unwrap_or_default();
        row.cells.iter().zip(THREADS).any(|(c, t)| c.median_us().is_some_and(|us| flops / (us * 1e3) > peak.gflops * t))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timed(us: f64) -> Cell {
        Cell::Timed(Timing { median_us: us, iterations: 100 })
    }

    #[test]
    fn the_last_machine_line_is_parsed() {
        let out = "outputs match\nresnet: median 133 us\nmedian_us=133.185 min_us=132.703 max_us=4220.887 \
                   mean_us=338.150 iterations=20 warmup=10\n";
        assert_eq!(parse_line(out), Some(Timing { median_us: 133.185, iterations: 20 }));
        assert_eq!(parse_line("unsupported: Conv\n"), None);
        assert_eq!(parse_line("median_us=abc iterations=2\n"), None);
    }

    #[test]
    fn the_ratio_is_against_the_fastest_peer() {
        let row = Row {
            case: "resnet".into(),
            flops: None,
            cells: vec![timed(300.0), timed(150.0), timed(100.0), Cell::Unsupported("If".into())],
        };
        assert_eq!(row.ratio(), Some((3.0, "onnxruntime 2T")));
        assert_eq!(row.ratio_text(), "3.00x (onnxruntime 2T)");
        let failed = Row { cells: vec![Cell::Failed("x".into()), timed(1.0), timed(1.0), timed(1.0)], ..row };
        assert_eq!(failed.ratio_text(), "n/a");
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(duration(49.934), "49.9 us");
        assert_eq!(duration(133.185), "133 us");
        assert_eq!(duration(9_716_419.9), "9.72 s");
        assert_eq!(duration(29_440.0), "29.4 ms");
    }

    #[test]
    fn gemm_rows_give_gflops_and_the_fraction_of_peak() {
        let peak = Peak { gflops: 100.0, how: String::new() };
        // 2 * 1024^3 FLOPs in 42.95 ms = 50 GFLOP/s: half of one core, a quarter of two.
        let flops = 2.0 * 1024f64.powi(3);
        let cell = timed(flops / 50e3);
        assert_eq!(gflops_text(flops, &cell, 1.0, Some(&peak)), "50.00 (50.0%)");
        assert_eq!(gflops_text(flops, &cell, 2.0, Some(&peak)), "50.00 (25.0%)");
        assert_eq!(gflops_text(flops, &cell, 1.0, None), "50.00");
        assert_eq!(gflops_text(flops, &Cell::Failed("x".into()), 1.0, None), "n/a");
    }

    #[test]
    fn the_report_has_both_tables_and_escapes_messages() {
        let rows = vec![
            Row {
                case: "if_model".into(),
                flops: None,
                cells: vec![timed(10.0), timed(20.0), timed(30.0), Cell::Unsupported("a | b\n  c".into())],
            },
            Row {
                case: "gemm_256".into(),
                flops: Some(2.0 * 256f64.powi(3)),
                cells: vec![timed(1000.0), timed(100.0), timed(80.0), timed(200.0)],
            },
        ];
        let report = render(&["relax-rs is single-threaded".into()], &rows, None);
        assert!(report.contains("- relax-rs is single-threaded\n"), "{report}");
        assert!(
            report.contains(
                "| if_model | 10.0 us | 20.0 us | 30.0 us | unsupported: a \\| b c | 0.50x (onnxruntime 1T) |"
            ),
            "{report}"
        );
        assert!(
            report.contains("| gemm_256 | 1.00 ms | 100 us | 80.0 us | 200 us | 12.50x (onnxruntime 2T) |"),
            "{report}"
        );
        // 2 * 256^3 = 33.55 MFLOP in 1 ms = 33.55 GFLOP/s.
        assert!(report.contains("| gemm_256 | 33.55 | 335.54 | 419.43 | 167.77 |"), "{report}");
        assert!(!report.contains("above 100%"), "no peak, no note: {report}");
        let low = Peak { gflops: 300.0, how: String::new() };
        assert!(render(&[], &rows, Some(&low)).contains("A cell above 100% means the estimate is low"));
        let high = Peak { gflops: 400.0, how: String::new() };
        assert!(!render(&[], &rows, Some(&high)).contains("above 100%"), "335.5 < 400 and 419.4 < 2 x 400");
    }
}
