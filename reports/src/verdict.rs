//! Section 1's verdict: for each capacity mode, the fastest transport by
//! throughput and by p99 latency, and how many times faster the ring is
//! than the best kernel-backed transport, with a bootstrap interval over
//! the trials used. Only scenarios with a figure compete; an unstable one
//! competes and is marked where the verdict is shown.

use scenarios::results::{ResultsFile, ScenarioResult, Status};
use vocabulary::{Capacity, LatencyKind, Pattern, TransportKind, Variant};

use crate::headline;
use crate::select::{self, DEFAULT_SIZE};

/// The ring the verdict compares with the others.
pub const RING: TransportKind = TransportKind::ShmRing(Variant::Ring);

/// Bootstrap resamples of the ring-to-kernel ratio.
const RESAMPLES: usize = 10_000;
/// The verdict table's columns (the report's table and the terminal's).
pub const COLUMNS: [&str; 5] =
    ["capacity", "fastest by throughput", "lowest p99 latency", "best kernel-backed", "ring / best kernel [95%]"];

/// Fixed seed: the same results always give the same interval.
const SEED: u64 = 0x7665_7264_6963_7421; // "verdict!"

/// The verdict for one capacity mode.
#[derive(Debug, Clone)]
pub struct Verdict<'a> {
    /// The capacity mode.
    pub capacity: Capacity,
    /// The stream scenario with the highest median throughput.
    pub fastest: Option<&'a ScenarioResult>,
    /// The latency scenario with the lowest p99: the pingpong round trips
    /// where this capacity mode has them, else the one-way latencies of the
    /// rate runs that kept their rate (`all` runs pingpong at bounded:1
    /// only, and rate:R across the capacity sweep).
    pub lowest_p99: Option<&'a ScenarioResult>,
    /// The ring's (`shm-ring`) stream scenario, with a figure or with too
    /// few trials for one (`few-trials`).
    pub ring: Option<&'a ScenarioResult>,
    /// The kernel-backed stream scenario with the highest median throughput.
    pub best_kernel: Option<&'a ScenarioResult>,
    /// median(ring) / median(kernel) of the used trials' throughputs, with
    /// its 95% bootstrap interval (`ratio`, `low`, `high`); `None` unless
    /// both have a figure.
    pub ring_vs_kernel: Option<(f64, f64, f64)>,
}

impl<'a> Verdict<'a> {
    /// The scenarios the verdict names, each once.
    pub fn scenarios(&self) -> Vec<&'a ScenarioResult> {
        let mut out: Vec<&'a ScenarioResult> = Vec::new();
        for s in [self.fastest, self.lowest_p99, self.ring, self.best_kernel].into_iter().flatten() {
            if !out.iter().any(|o| o.id == s.id) {
                out.push(s);
            }
        }
        out
    }
}

/// One verdict per capacity mode with a stream or pingpong scenario at
/// the primary placement and the default message size, in capacity order.
pub fn verdicts(results: &ResultsFile) -> Vec<Verdict<'_>> {
    let primary = select::primary_placement(results);
    let base = select::pick(results, |s| s.placement == primary && s.size == DEFAULT_SIZE);
    let mut capacities = select::distinct(&base, |s| s.capacity);
    capacities.sort();
    capacities
        .into_iter()
        .filter_map(|capacity| {
            let streams: Vec<&ScenarioResult> =
                base.iter().copied().filter(|s| s.capacity == capacity && s.pattern == Pattern::Stream).collect();
            let stream: Vec<&ScenarioResult> = streams.iter().copied().filter(|s| s.msgs_per_s.is_some()).collect();
            let latency = |kind: LatencyKind| -> Vec<&ScenarioResult> {
                base.iter()
                    .copied()
                    .filter(|s| s.capacity == capacity && s.pattern.latency_kind() == Some(kind))
                    .filter(|s| headline::p99(s).is_ok())
                    .filter(|s| s.status == Status::Ok)
                    .collect()
            };
            let mut timed = latency(LatencyKind::RoundTrip);
            if timed.is_empty() {
                timed = latency(LatencyKind::OneWay);
            }
            if streams.is_empty() && timed.is_empty() {
                return None;
            }
            let by_throughput = |s: &&ScenarioResult| s.msgs_per_s.map(|e| e.median).unwrap_or(f64::NAN);
            let fastest = stream.iter().copied().max_by(|a, b| by_throughput(a).total_cmp(&by_throughput(b)));
            let p99 = |s: &&ScenarioResult| headline::p99(s).map(|e| e.median).unwrap_or(f64::NAN);
            let lowest_p99 = timed.iter().copied().min_by(|a, b| p99(a).total_cmp(&p99(b)));
            let ring = streams.iter().copied().find(|s| s.transport == RING);
            let best_kernel = stream
                .iter()
                .copied()
                .filter(|s| s.transport.is_kernel())
                .max_by(|a, b| by_throughput(a).total_cmp(&by_throughput(b)));
            let ring_vs_kernel = match (ring.filter(|r| r.msgs_per_s.is_some()), best_kernel) {
                (Some(r), Some(k)) => ratio_interval(&select::throughput_samples(r), &select::throughput_samples(k)),
                _ => None,
            };
            Some(Verdict { capacity, fastest, lowest_p99, ring, best_kernel, ring_vs_kernel })
        })
        .collect()
}

/// median(a) / median(b) and its 95% percentile-bootstrap interval:
/// `RESAMPLES` times, resample each side with replacement (they are
/// independent trials) and take the ratio of the medians. `None`
/// when a side has no samples or b's median is not positive.
pub fn ratio_interval(a: &[f64], b: &[f64]) -> Option<(f64, f64, f64)> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let (ma, mb) = (vocabulary::stats::median(a), vocabulary::stats::median(b));
    if mb <= 0.0 {
        return None;
    }
    let ratios = vocabulary::stats::bootstrap_median_ratios(a, b, RESAMPLES, SEED);
    if ratios.is_empty() {
        return None;
    }
    let ratio = ma / mb;
    let at = |q| vocabulary::stats::quantile_of_sorted(&ratios, q);
    Some((ratio, at(0.025).min(ratio), at(0.975).max(ratio)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_interval_brackets_the_ratio_and_is_deterministic() {
        let ring = [10.0, 11.0, 12.0];
        let kernel = [2.0, 2.2, 1.8];
        let (r, lo, hi) = ratio_interval(&ring, &kernel).unwrap();
        assert!((r - 5.5).abs() < 1e-9);
        assert!(lo <= r && r <= hi && lo >= 10.0 / 2.2 && hi <= 12.0 / 1.8, "{lo} {r} {hi}");
        assert_eq!(ratio_interval(&ring, &kernel), Some((r, lo, hi)));
        assert_eq!(ratio_interval(&[], &kernel), None);
        assert_eq!(ratio_interval(&ring, &[0.0]), None);
    }
}
