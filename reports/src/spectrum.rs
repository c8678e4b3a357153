//! Latency percentile spectra from a results file's merged HdrHistogram:
//! latency at percentiles from 50% to 99.99%, evenly spaced on the
//! log 1/(1-p) axis.

/// Points per decade of 1/(1-p).
const STEPS_PER_DECADE: usize = 20;

/// `(p, latency ns)` from 50% to 99.99% of a base64 V2 histogram, or why
/// it cannot be read.
pub fn spectrum(histogram_base64: &str) -> Result<Vec<(f64, f64)>, String> {
    let h = bench_core::workload::histogram::decode(histogram_base64)?;
    if h.is_empty() {
        return Err("the histogram is empty".to_owned());
    }
    let start = 2f64.log10();
    let steps = (4.0 - start) * STEPS_PER_DECADE as f64;
    let points = (0..=steps.ceil() as usize)
        .map(|i| (start + i as f64 / STEPS_PER_DECADE as f64).min(4.0))
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
    fn spectrum_of_a_known_histogram_rises_to_its_tail() {
        let mut h = bench_core::workload::histogram::new();
        for v in 1..=10_000u64 {
            bench_core::workload::histogram::record(&mut h, v);
        }
        let points = spectrum(&bench_core::workload::histogram::encode(&h)).unwrap();
        assert!((points[0].0 - 0.5).abs() < 1e-9);
        assert!((points.last().unwrap().0 - 0.9999).abs() < 1e-9);
        assert!((points[0].1 - 5_000.0).abs() <= 5.0, "{:?}", points[0]);
        assert!(points.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(spectrum("not base64").is_err());
    }
}
