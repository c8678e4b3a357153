//! Summary statistics of measured samples: exact, from the sorted samples,
//! and a percentile-bootstrap confidence interval for the median
//! (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 13),
//! seeded so that the same values always give the same interval.

/// The median of `values`: the middle value, or the mean of the middle two
/// for an even count.
///
/// # Panics
/// If `values` is empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    median_of_sorted(&v)
}

/// The median of values already sorted ascending.
///
/// # Panics
/// If `v` is empty.
pub fn median_of_sorted(v: &[f64]) -> f64 {
    let mid = v.len() / 2;
    if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 }
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

/// A percentile-bootstrap confidence interval `(low, high)` for the median
/// of `values` at confidence `level` (0.95 for 95%).
///
/// `resamples` times, draw `values.len()` values with replacement and take
/// their [`median`]; the interval runs from the `(1 - level) / 2` quantile
/// to the `(1 + level) / 2` quantile of those medians (nearest rank). The
/// draws come from `fastrand::Rng::with_seed(seed)` over the values sorted
/// first, so the same values, in any order, with the same seed always give
/// the same interval. One value gives `(v, v)`; so does `resamples == 0`.
///
/// # Panics
/// If `values` is empty.
pub fn bootstrap_median_ci(values: &[f64], level: f64, resamples: usize, seed: u64) -> (f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.len() == 1 || resamples == 0 {
        let m = median_of_sorted(&sorted);
        return (m, m);
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut draw = vec![0.0; sorted.len()];
    let mut medians = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        for slot in draw.iter_mut() {
            *slot = sorted[rng.usize(..sorted.len())];
        }
        draw.sort_by(f64::total_cmp);
        medians.push(median_of_sorted(&draw));
    }
    medians.sort_by(f64::total_cmp);
    let tail = (1.0 - level.clamp(0.0, 1.0)) / 2.0;
    let rank = |q: f64| ((q * resamples as f64).ceil() as usize).clamp(1, resamples) - 1;
    (medians[rank(tail)], medians[rank(1.0 - tail)])
}

/// The percentile-bootstrap distribution of `median(numer) / median(denom)`
/// for two independent samples, sorted ascending: `resamples` times, draw
/// each sample again with replacement (each from its own values, sorted
/// first so that order does not matter) and take the ratio of the two
/// medians. Draws whose denominator median is not positive are dropped, so
/// the result may be shorter than `resamples`, or empty.
///
/// Read an interval off it with [`quantile_of_sorted`]; the share of it on
/// one side of a value is a bootstrap p-value.
///
/// # Panics
/// If either sample is empty.
pub fn bootstrap_median_ratios(numer: &[f64], denom: &[f64], resamples: usize, seed: u64) -> Vec<f64> {
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let (numer, denom) = (sorted(numer), sorted(denom));
    assert!(!numer.is_empty() && !denom.is_empty(), "bootstrap of an empty sample");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut draw_n = vec![0.0; numer.len()];
    let mut draw_d = vec![0.0; denom.len()];
    let redraw = |from: &[f64], into: &mut [f64], rng: &mut fastrand::Rng| {
        for slot in into.iter_mut() {
            *slot = from[rng.usize(..from.len())];
        }
        into.sort_by(f64::total_cmp);
        median_of_sorted(into)
    };
    let mut ratios = Vec::with_capacity(resamples);
    for _ in 0..resamples {
        let n = redraw(&numer, &mut draw_n, &mut rng);
        let d = redraw(&denom, &mut draw_d, &mut rng);
        if d > 0.0 {
            ratios.push(n / d);
        }
    }
    ratios.sort_by(f64::total_cmp);
    ratios
}

/// The `q`-quantile (0.0..=1.0) of values sorted ascending, nearest rank.
///
/// # Panics
/// If `sorted` is empty.
pub fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    let rank = ((q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[5.0]), 5.0);
        assert_eq!(quantile_ns(&[10, 30, 20, 40], 0.5), 20.0);
        assert_eq!(quantile_ns(&[10, 30, 20, 40], 1.0), 40.0);
        assert_eq!(quantile_ns(&[7], 0.0), 7.0);
    }

    #[test]
    fn bootstrap_interval_is_deterministic_and_contains_the_median() {
        let values = [10.2, 9.8, 10.0, 10.5, 9.6, 10.1, 12.0];
        let a = bootstrap_median_ci(&values, 0.95, 10_000, 7);
        let shuffled = [12.0, 10.1, 9.6, 10.5, 10.0, 9.8, 10.2];
        assert_eq!(bootstrap_median_ci(&shuffled, 0.95, 10_000, 7), a, "order must not matter");
        assert_eq!(bootstrap_median_ci(&values, 0.95, 10_000, 7), a);
        let m = median(&values);
        assert!(a.0 <= m && m <= a.1, "{a:?} does not contain {m}");
        assert!(a.0 >= 9.6 && a.1 <= 12.0, "{a:?} leaves the sample range");
        assert!(a.0 < a.1);
    }

    #[test]
    fn bootstrap_interval_narrows_with_less_spread_and_with_lower_level() {
        let wide = [80.0, 95.0, 100.0, 105.0, 120.0, 90.0, 110.0];
        let narrow = [99.0, 99.5, 100.0, 100.5, 101.0, 99.8, 100.2];
        let (wl, wh) = bootstrap_median_ci(&wide, 0.95, 10_000, 1);
        let (nl, nh) = bootstrap_median_ci(&narrow, 0.95, 10_000, 1);
        assert!(nh - nl < wh - wl, "narrow {nl}..{nh} vs wide {wl}..{wh}");
        let (l50, h50) = bootstrap_median_ci(&wide, 0.5, 10_000, 1);
        assert!(h50 - l50 < wh - wl);
    }

    #[test]
    fn ratio_distribution_spans_the_ratios_of_the_extremes_and_is_deterministic() {
        let a = [10.0, 11.0, 12.0];
        let b = [2.0, 2.2, 1.8];
        let r = bootstrap_median_ratios(&a, &b, 5_000, 9);
        assert_eq!(r.len(), 5_000);
        assert!(r.windows(2).all(|w| w[0] <= w[1]), "sorted");
        assert_eq!(r[0], 10.0 / 2.2);
        assert_eq!(r[r.len() - 1], 12.0 / 1.8);
        assert_eq!(bootstrap_median_ratios(&[12.0, 10.0, 11.0], &b, 5_000, 9), r, "order must not matter");
        assert!((quantile_of_sorted(&r, 0.5) - 11.0 / 2.0).abs() < 0.6);
        assert!(bootstrap_median_ratios(&a, &[0.0], 100, 1).is_empty(), "no positive denominator");
        assert_eq!(quantile_of_sorted(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.0);
        assert_eq!(quantile_of_sorted(&[1.0, 2.0, 3.0, 4.0], 1.0), 4.0);
    }

    #[test]
    fn bootstrap_of_one_value_or_equal_values_is_that_value() {
        assert_eq!(bootstrap_median_ci(&[42.0], 0.95, 10_000, 3), (42.0, 42.0));
        assert_eq!(bootstrap_median_ci(&[5.0, 5.0, 5.0], 0.95, 10_000, 3), (5.0, 5.0));
        // Two values: the resampled medians are a, (a+b)/2 or b.
        assert_eq!(bootstrap_median_ci(&[2.0, 4.0], 0.95, 10_000, 3), (2.0, 4.0));
    }
}
