//! Latency percentile spectra from a results file's merged HdrHistogram:
//! latency at percentiles from 50% to 99.99%, evenly spaced on the
//! log 1/(1-p) axis, ending at the highest percentile the samples support
//! (the results' `PERCENTILE_RULE`: p needs 10/(1-p) samples), so a line
//! never shows a tail it did not measure.

use scenarios::results::percentile_absent;

/// Points per decade of 1/(1-p).
const STEPS_PER_DECADE: usize = 20;

/// `(p, latency ns)` of a base64 V2 histogram from 50% up to 99.99% or
/// the highest percentile its samples support, whichever is lower; or why
/// it cannot be drawn.
pub fn spectrum(histogram_base64: &str) -> Result<Vec<(f64, f64)>, String> {
    let h = bench_core::workload::histogram::decode(histogram_base64)?;
    if h.is_empty() {
        return Err("the histogram is empty".to_owned());
    }
    if let Some(why) = percentile_absent(0.5, h.len()) {
        return Err(why);
    }
    let start = 2f64.log10();
    // p is supported from 10/(1-p) samples: up to 1/(1-p) = count/10.
    let top = (h.len() as f64 / 10.0).log10().min(4.0);
    let steps = (top - start) * STEPS_PER_DECADE as f64;
    let points = (0..=steps.ceil() as usize)
        .map(|i| (start + i as f64 / STEPS_PER_DECADE as f64).min(top))
        .map(|x| {
            let p = 1.0 - 10f64.powf(-x);
            (p, h.value_at_quantile(p) as f64)
        })
        .collect();
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spectrum_of_a_known_histogram_rises_to_the_tail_its_samples_support() {
        use bench_core::workload::histogram;
        let mut h = histogram::new();
        for v in 1..=100_000u64 {
            histogram::record(&mut h, v);
        }
        let points = spectrum(&histogram::encode(&h)).unwrap();
        assert!((points[0].0 - 0.5).abs() < 1e-9);
        assert!((points.last().unwrap().0 - 0.9999).abs() < 1e-9);
        assert!((points[0].1 - 50_000.0).abs() <= 50.0, "{:?}", points[0]);
        assert!(points.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(spectrum("not base64").is_err());
        // 3000 samples support p99.6 (10 beyond it), not p99.9.
        let mut h = histogram::new();
        for v in 1..=3_000u64 {
            histogram::record(&mut h, v);
        }
        let points = spectrum(&histogram::encode(&h)).unwrap();
        let last = points.last().unwrap().0;
        assert!((last - (1.0 - 10.0 / 3000.0)).abs() < 1e-9 && last < 0.999, "{last}");
        let mut h = histogram::new();
        histogram::record(&mut h, 7);
        assert_eq!(spectrum(&histogram::encode(&h)), Err("p50 needs 20 samples, 1 taken".to_owned()));
    }
}
