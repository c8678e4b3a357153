//! Summary statistics of measured samples: exact, from the sorted samples.

/// The median of `values` (the upper one of the middle two for an even count).
///
/// # Panics
/// If `values` is empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The `q`-quantile (0.0..=1.0) of nanosecond samples, nearest-rank.
///
/// # Panics
/// If `samples` is empty.
pub fn quantile_ns(samples: &[u64], q: f64) -> f64 {
    let mut v = samples.to_vec();
    v.sort_unstable();
    let rank = ((q.clamp(0.0, 1.0) * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1] as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(quantile_ns(&[10, 30, 20, 40], 0.5), 20.0);
        assert_eq!(quantile_ns(&[10, 30, 20, 40], 1.0), 40.0);
        assert_eq!(quantile_ns(&[7], 0.0), 7.0);
    }
}
