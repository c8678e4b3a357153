//! Whether a scenario's used trials are one population: the check that
//! keeps a bimodal, drifting or scattered figure from being printed with a
//! tight interval as if it were one number.
//!
//! Every check works on the logarithms of the per-trial figures (a
//! throughput, or a latency percentile), in the order the trials ran.

use vocabulary::stats::median_of_sorted;

/// The rule in words: the text a results file's `method.stability` carries.
pub const RULE: &str = "with at least 4 used trials, a scenario is unstable when their figures (logarithms, in the \
     order run) form two modes (the largest gap between sorted values is at least a 1.3x step, wider than the \
     spread within either side, with at least 2 trials on each), drift (with at least 6 trials, Kendall's tau \
     between round and value of at least 0.6 in size, and the last third's median at least 1.25x from the first \
     third's), or scatter (1.4826 x the median absolute deviation of the logs above 0.25, about +-28%)";

/// Fewest trials the checks need.
pub const MIN_TRIALS: usize = 4;
/// Fewest trials the drift check needs.
const MIN_TRIALS_DRIFT: usize = 6;
/// The smallest step between two modes, as a ratio.
const MODE_STEP: f64 = 1.3;
/// The smallest Kendall's tau of a drift.
const DRIFT_TAU: f64 = 0.6;
/// The smallest change across a drift, as a ratio.
const DRIFT_STEP: f64 = 1.25;
/// The largest robust spread of the logs (scaled MAD) of a stable figure.
const SCATTER: f64 = 0.25;

/// Why `values` (per-trial figures in the order run, each > 0) are not one
/// population, or `None` when they are or there are too few to tell.
/// `show` formats a figure for the reason.
pub fn assess(values: &[f64], show: &dyn Fn(f64) -> String) -> Option<String> {
    let logs: Vec<f64> = values.iter().filter(|v| **v > 0.0 && v.is_finite()).map(|v| v.ln()).collect();
    if logs.len() < MIN_TRIALS {
        return None;
    }
    modes(&logs, show).or_else(|| drift(&logs, show)).or_else(|| scatter(&logs))
}

fn sorted(logs: &[f64]) -> Vec<f64> {
    let mut s = logs.to_vec();
    s.sort_by(f64::total_cmp);
    s
}

/// Two modes: the widest gap between neighbours splits the values into
/// two groups of at least two, and is a real step, wider than either group.
fn modes(logs: &[f64], show: &dyn Fn(f64) -> String) -> Option<String> {
    let s = sorted(logs);
    let n = s.len();
    let (at, gap) = (2..=n - 2).map(|i| (i, s[i] - s[i - 1])).max_by(|a, b| a.1.total_cmp(&b.1))?;
    let (low, high) = s.split_at(at);
    let within = (low[low.len() - 1] - low[0]).max(high[high.len() - 1] - high[0]);
    (gap >= MODE_STEP.ln() && gap > within).then(|| {
        format!(
            "two modes: {} trials near {}, {} near {}",
            low.len(),
            show(median_of_sorted(low).exp()),
            high.len(),
            show(median_of_sorted(high).exp())
        )
    })
}

/// A drift: the values move one way with the rounds, by a real step.
fn drift(logs: &[f64], show: &dyn Fn(f64) -> String) -> Option<String> {
    let n = logs.len();
    if n < MIN_TRIALS_DRIFT {
        return None;
    }
    let mut concordance = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            concordance += (logs[j] - logs[i]).signum() as i64;
        }
    }
    let tau = concordance as f64 / (n * (n - 1) / 2) as f64;
    let third = n / 3;
    let first = median_of_sorted(&sorted(&logs[..third]));
    let last = median_of_sorted(&sorted(&logs[n - third..]));
    ((tau.abs() >= DRIFT_TAU) && (last - first).abs() >= DRIFT_STEP.ln()).then(|| {
        format!(
            "drift: from {} in the first rounds to {} in the last (Kendall's tau {tau:.2})",
            show(first.exp()),
            show(last.exp())
        )
    })
}

/// A scatter too wide for one figure to stand for it.
fn scatter(logs: &[f64]) -> Option<String> {
    let s = sorted(logs);
    let m = median_of_sorted(&s);
    let deviations = sorted(&s.iter().map(|v| (v - m).abs()).collect::<Vec<_>>());
    let spread = 1.4826 * median_of_sorted(&deviations);
    (spread > SCATTER)
        .then(|| format!("scatter: trial to trial about +-{:.0}% (robust spread of the logs)", spread.exp_m1() * 100.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: f64) -> String {
        format!("{v:.0}")
    }

    /// A fixed, irregular jitter of about +-3%.
    fn jitter(i: usize) -> f64 {
        1.0 + 0.03 * ((i * 7919 % 13) as f64 / 6.0 - 1.0)
    }

    #[test]
    fn one_mode_with_ordinary_noise_is_stable() {
        let values: Vec<f64> = (0..10).map(|i| 100.0 * jitter(i)).collect();
        assert_eq!(assess(&values, &show), None);
    }

    #[test]
    fn two_modes_are_found_and_described() {
        let values: Vec<f64> =
            (0..10).map(|i| if i % 3 == 0 { 500.0 * jitter(i) } else { 100.0 * jitter(i) }).collect();
        let why = assess(&values, &show).unwrap();
        assert!(why.starts_with("two modes: 6 trials near 99") && why.contains("4 near 499"), "{why}");
    }

    #[test]
    fn a_drift_is_found() {
        // 100 rising to about 190 over 10 rounds, no gap anywhere.
        let values: Vec<f64> = (0..10usize).map(|i| 100.0 * 1.075f64.powi(i as i32) * jitter(i)).collect();
        let why = assess(&values, &show).unwrap();
        assert!(why.starts_with("drift: from 10") && why.contains("tau"), "{why}");
    }

    #[test]
    fn a_wide_scatter_is_found() {
        let values = [100.0, 180.0, 60.0, 140.0, 75.0, 210.0, 90.0, 50.0, 160.0, 120.0];
        let why = assess(&values, &show).unwrap();
        assert!(why.starts_with("scatter"), "{why}");
    }

    #[test]
    fn too_few_trials_are_not_judged() {
        assert_eq!(assess(&[100.0, 500.0, 100.0], &show), None);
        assert_eq!(assess(&[], &show), None);
    }
}
