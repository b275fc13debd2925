//! Latency statistics of a benchmark: per-call times summarized as median,
//! minimum, maximum and mean, and the one machine-readable line every bench
//! runner prints (relaxc here, `tools/bench_onnxruntime.py` and
//! `bench/tract-runner`), which `cargo xtask bench` parses:
//!
//! `median_us=812.500 min_us=790.125 max_us=1020.000 mean_us=830.004 iterations=100 warmup=10`
//!
//! The median is the figure to compare: on a shared machine a few calls are
//! slowed by other work, which moves the mean and the maximum but hardly the
//! median.

use std::time::Duration;

/// How many calls to make: `warmup` untimed then `iterations` timed ones,
/// cut short for slow models by `max_seconds` — the warmup stops once it has
/// taken a fifth of that (after at least one call), the timed calls once they
/// have taken all of it (after at least [`MIN_TIMED`], or `iterations` if
/// fewer). A 10-second call (a naive 1024 GEMM) then costs a few calls, not a
/// hundred; the line printed says how many were timed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Budget {
    pub iterations: usize,
    pub warmup: usize,
    pub max_seconds: Option<f64>,
}

/// The fewest timed calls a time limit leaves, so a median means something.
pub const MIN_TIMED: usize = 3;

impl Budget {
    /// Makes the calls; `call` runs the model once and returns how long the
    /// call took (measured by the caller around the call alone). Returns the
    /// timed calls' durations, and how many warmup calls were made.
    pub fn measure<E>(&self, mut call: impl FnMut() -> Result<Duration, E>) -> Result<(Vec<Duration>, usize), E> {
        let limit = self.max_seconds.map(Duration::from_secs_f64);
        let mut spent = Duration::ZERO;
        let mut warmup = 0;
        while warmup < self.warmup && !limit.is_some_and(|l| warmup >= 1 && spent >= l / 5) {
            spent += call()?;
            warmup += 1;
        }
        let mut samples = Vec::with_capacity(self.iterations);
        spent = Duration::ZERO;
        while samples.len() < self.iterations && !limit.is_some_and(|l| samples.len() >= MIN_TIMED && spent >= l) {
            let took = call()?;
            spent += took;
            samples.push(took);
        }
        Ok((samples, warmup))
    }
}

/// The summary of `iterations` timed calls, in microseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub median_us: f64,
    pub min_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    pub iterations: usize,
}

impl Stats {
    /// Summarizes the given call times; `None` when there are none.
    pub fn of(samples: &[Duration]) -> Option<Stats> {
        let mut us: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e6).collect();
        if us.is_empty() {
            return None;
        }
        us.sort_by(f64::total_cmp);
        let n = us.len();
        // With an even count the median is the mean of the two middle values.
        let median_us = if n % 2 == 1 { us[n / 2] } else { (us[n / 2 - 1] + us[n / 2]) / 2.0 };
        Some(Stats {
            median_us,
            min_us: us[0],
            max_us: us[n - 1],
            mean_us: us.iter().sum::<f64>() / n as f64,
            iterations: n,
        })
    }

    /// The machine-readable line (see the module's doc).
    pub fn line(&self, warmup: usize) -> String {
        format!(
            "median_us={:.3} min_us={:.3} max_us={:.3} mean_us={:.3} iterations={} warmup={warmup}",
            self.median_us, self.min_us, self.max_us, self.mean_us, self.iterations
        )
    }

    /// The line for people: `resnet: median 812 us (min 790 us, max 1.02 ms) over 100 calls`.
    pub fn human(&self, name: &str) -> String {
        format!(
            "{name}: median {} (min {}, max {}) over {} calls",
            human_duration(self.median_us),
            human_duration(self.min_us),
            human_duration(self.max_us),
            self.iterations
        )
    }
}

/// A duration in microseconds with three significant digits in a fitting unit.
pub fn human_duration(us: f64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(values: &[u64]) -> Vec<Duration> {
        values.iter().map(|&v| Duration::from_micros(v)).collect()
    }

    #[test]
    fn an_odd_count_has_the_middle_value_as_median() {
        let stats = Stats::of(&micros(&[30, 10, 20, 1000, 15])).unwrap();
        assert_eq!(
            stats,
            Stats { median_us: 20.0, min_us: 10.0, max_us: 1000.0, mean_us: 215.0, iterations: 5 },
            "sorted: 10 15 20 30 1000; mean 1075 / 5"
        );
    }

    #[test]
    fn an_even_count_averages_the_two_middle_values() {
        let stats = Stats::of(&micros(&[4, 1, 3, 2])).unwrap();
        assert_eq!(stats.median_us, 2.5);
        assert_eq!((stats.min_us, stats.max_us, stats.mean_us), (1.0, 4.0, 2.5));
    }

    /// A fake model whose calls take the given times in turn.
    fn calls(times_ms: &[u64]) -> impl FnMut() -> Result<Duration, ()> + '_ {
        let mut next = times_ms.iter().cycle();
        move || Ok(Duration::from_millis(*next.next().unwrap()))
    }

    #[test]
    fn without_a_time_limit_every_call_is_made() {
        let budget = Budget { iterations: 7, warmup: 2, max_seconds: None };
        let (samples, warmup) = budget.measure(calls(&[10_000])).unwrap();
        assert_eq!((samples.len(), warmup), (7, 2));
    }

    #[test]
    fn a_time_limit_stops_slow_models_after_the_minimum() {
        // 10 s calls, a 10 s limit: one warmup call (it exceeds 10 s / 5), then
        // MIN_TIMED timed calls although the first already took the whole limit.
        let budget = Budget { iterations: 100, warmup: 10, max_seconds: Some(10.0) };
        let (samples, warmup) = budget.measure(calls(&[10_000])).unwrap();
        assert_eq!((samples.len(), warmup), (MIN_TIMED, 1));
    }

    #[test]
    fn a_time_limit_stops_once_it_is_used_up() {
        // 1 s calls, a 5 s limit: warmup stops once 1 s (5 s / 5) is spent,
        // timing once 5 s are.
        let budget = Budget { iterations: 100, warmup: 10, max_seconds: Some(5.0) };
        let (samples, warmup) = budget.measure(calls(&[1_000])).unwrap();
        assert_eq!((samples.len(), warmup), (5, 1));
        // Fast calls are not limited.
        let (samples, warmup) = budget.measure(calls(&[1])).unwrap();
        assert_eq!((samples.len(), warmup), (100, 10));
    }

    #[test]
    fn fewer_iterations_than_the_minimum_are_respected() {
        let budget = Budget { iterations: 1, warmup: 0, max_seconds: Some(0.001) };
        let (samples, warmup) = budget.measure(calls(&[1_000])).unwrap();
        assert_eq!((samples.len(), warmup), (1, 0));
    }

    #[test]
    fn a_failing_call_stops_the_measurement() {
        let budget = Budget { iterations: 5, warmup: 1, max_seconds: None };
        assert_eq!(budget.measure(|| Err::<Duration, _>("check failed")), Err("check failed"));
    }

    #[test]
    fn no_samples_have_no_statistics() {
        assert_eq!(Stats::of(&[]), None);
    }

    #[test]
    fn the_machine_line_has_every_field() {
        let stats = Stats::of(&[Duration::from_nanos(812_500), Duration::from_nanos(790_000)]).unwrap();
        assert_eq!(
            stats.line(10),
            "median_us=801.250 min_us=790.000 max_us=812.500 mean_us=801.250 iterations=2 warmup=10"
        );
    }

    #[test]
    fn the_human_line_picks_a_unit() {
        let stats = Stats { median_us: 812.4, min_us: 7.891, max_us: 1_020.0, mean_us: 0.0, iterations: 100 };
        assert_eq!(stats.human("resnet"), "resnet: median 812 us (min 7.89 us, max 1.02 ms) over 100 calls");
        assert_eq!(human_duration(12_345.0), "12.3 ms");
        assert_eq!(human_duration(2_500_000.0), "2.50 s");
    }
}
