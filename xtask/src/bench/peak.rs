//! The machine's single-core f32 peak, estimated from `/proc/cpuinfo` (and
//! `lscpu`'s maximum frequency when it gives one), so GEMM rows can say how
//! far from the hardware's limit a kernel is.
//!
//! Peak = f32 FLOPs per cycle of the widest vector unit the flags announce ×
//! clock. The FLOPs per cycle assume two vector FMA pipes (Haswell and later
//! cores, and most Xeons with AVX-512; parts with one 512-bit FMA unit reach
//! half): an estimate, printed with how it was made, not a measurement.

/// The estimate and the reasoning behind it, for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct Peak {
    pub gflops: f64,
    pub how: String,
}

/// The vector unit a flag list implies: (name, f32 FLOPs per cycle, why).
fn flops_per_cycle(flags: &[&str]) -> (&'static str, f64, &'static str) {
    let has = |f: &str| flags.contains(&f);
    if has("avx512f") {
        ("AVX-512F", 64.0, "16 f32 lanes x 2 (FMA) x 2 FMA pipes")
    } else if has("avx2") && has("fma") {
        ("AVX2+FMA", 32.0, "8 f32 lanes x 2 (FMA) x 2 FMA pipes")
    } else if has("avx") {
        ("AVX", 16.0, "8 f32 lanes x (1 add + 1 mul) per cycle")
    } else if has("sse") || has("sse2") {
        ("SSE", 8.0, "4 f32 lanes x (1 add + 1 mul) per cycle")
    } else if has("asimd") {
        ("NEON", 16.0, "4 f32 lanes x 2 (FMA) x 2 pipes")
    } else {
        ("scalar", 2.0, "no vector flags: 1 FMA per cycle")
    }
}

/// The first `key : value` line of `/proc/cpuinfo` with this key.
fn field<'a>(cpuinfo: &'a str, key: &str) -> Option<&'a str> {
    cpuinfo.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim())
    })
}

/// `CPU max MHz: 3500.0000` from `lscpu`'s output, if it has the line.
pub fn lscpu_max_mhz(lscpu: &str) -> Option<f64> {
    lscpu.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == "CPU max MHz").then(|| v.trim().parse().ok()).flatten()
    })
}

/// Estimates the peak from `/proc/cpuinfo`'s text and `lscpu`'s maximum
/// frequency (preferred: `cpu MHz` is the current clock, often a base clock
/// in a VM); `None` without any frequency.
pub fn estimate(cpuinfo: &str, lscpu_max_mhz: Option<f64>) -> Option<Peak> {
    let flags: Vec<&str> = field(cpuinfo, "flags").or_else(|| field(cpuinfo, "Features"))?.split_whitespace().collect();
    let (unit, per_cycle, why) = flops_per_cycle(&flags);
    let cpuinfo_mhz = field(cpuinfo, "cpu MHz").and_then(|v| v.parse::<f64>().ok());
    let (mhz, source) = match (lscpu_max_mhz, cpuinfo_mhz) {
        (Some(mhz), _) => (mhz, "lscpu's CPU max MHz"),
        (None, Some(mhz)) => (mhz, "/proc/cpuinfo's cpu MHz (the current clock; turbo may be higher)"),
        (None, None) => return None,
    };
    let gflops = per_cycle * mhz / 1000.0;
    let model = field(cpuinfo, "model name").unwrap_or("unknown CPU");
    let how = format!(
        "{model}: {unit} ({why} = {per_cycle} FLOP/cycle) x {mhz:.0} MHz ({source}) = {gflops:.1} GFLOP/s per core; \
         an estimate assuming two FMA pipes (parts with one 512-bit FMA unit have half)"
    );
    Some(Peak { gflops, how })
}

#[cfg(test)]
mod tests {
    use super::*;

    const XEON: &str = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\ncpu MHz\t\t: 2300.000\n\
                        flags\t\t: fpu sse sse2 avx fma avx2 avx512f avx512dq\n\nprocessor\t: 1\n";

    #[test]
    fn avx512_at_the_cpuinfo_clock() {
        let peak = estimate(XEON, None).unwrap();
        // 64 FLOP/cycle x 2.3 GHz.
        assert!((peak.gflops - 147.2).abs() < 1e-9, "{}", peak.gflops);
        assert!(peak.how.starts_with("Intel(R) Xeon(R) Processor: AVX-512F"), "{}", peak.how);
        assert!(peak.how.contains("cpu MHz"), "{}", peak.how);
    }

    #[test]
    fn lscpu_max_clock_wins() {
        let cpuinfo = "model name : x\ncpu MHz : 800.0\nflags : sse sse2 avx fma avx2\n";
        let peak = estimate(cpuinfo, Some(4000.0)).unwrap();
        assert_eq!(peak.gflops, 128.0, "32 FLOP/cycle x 4 GHz");
        assert!(peak.how.contains("lscpu"), "{}", peak.how);
    }

    #[test]
    fn older_vector_units() {
        assert_eq!(flops_per_cycle(&["sse", "sse2", "avx"]).1, 16.0);
        assert_eq!(flops_per_cycle(&["sse", "sse2"]).1, 8.0);
        assert_eq!(flops_per_cycle(&["sse", "avx", "avx2"]).1, 16.0, "AVX2 without FMA: adds and muls only");
        assert_eq!(flops_per_cycle(&["fpu"]).1, 2.0);
    }

    #[test]
    fn no_frequency_means_no_estimate() {
        assert_eq!(estimate("flags : sse2\n", None), None);
    }

    #[test]
    fn lscpu_max_mhz_is_read_when_present() {
        assert_eq!(lscpu_max_mhz("Model name: x\nCPU max MHz:                 3500.0000\n"), Some(3500.0));
        assert_eq!(lscpu_max_mhz("Model name: x\n"), None);
    }
}
