//! The analysis of a load sweep: latency against offered load.
//!
//! A sweep runs the open-loop `rate:R` pattern (message `seq` due at
//! `start + seq / R`, its latency counted from that due time, so a producer
//! held up cannot hide the wait: no coordinated omission) at a series of
//! offered rates, from far below the transport's saturation to past it,
//! and reads a curve off the steps. The saturation it starts from is the
//! transport's own stream throughput, measured in the same run. Everything
//! here is a pure function of numbers and histograms; running the steps is
//! the harness's job.
//!
//! The rules, each documented where it is defined:
//! - **Which rates** ([`offered_rates`]): [`STEPS`] steps, each
//!   [`STEP_FACTOR`] times the one below, from 1/64 of saturation up to
//!   [`TOP_MULTIPLE`] times it, rounded to two significant digits, none
//!   below [`RATE_FLOOR`].
//! - **How long** ([`step_duration`]): long enough for [`STEP_SAMPLES`]
//!   latencies (twice what a p99.9 needs), never shorter than the run's
//!   trial length, never longer than [`MAX_STEP`] unless the trial length
//!   is; a step cut short reports its p99.9 as not supported.
//! - **What a step says** ([`LoadStep`]): the percentiles of its histogram
//!   under the results file's rule
//!   ([`PERCENTILE_RULE`](crate::results::PERCENTILE_RULE)), and whether
//!   its producer kept up ([`RATE_KEPT_SHARE`], [`LAG_SHARE`]).
//! - **Where the knee is** ([`LoadCurve`]): the highest offered rate whose
//!   p99 is within the [`Budget`] and whose producer kept up, among the
//!   steps below the first that is not; **saturation** is the highest rate
//!   any step's producer achieved.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::results::Percentiles;

/// How many offered rates a sweep runs.
pub const STEPS: u32 = 8;

/// Each offered rate is this many times the one below it (before rounding).
pub const STEP_FACTOR: u64 = 2;

/// The highest offered rate is this many times the saturation: far enough
/// past it that the curve shows the cliff, whatever noise the saturation
/// figure itself carries. The lowest step is 2/128 = 1/64 of it
/// (`TOP_MULTIPLE` over `STEP_FACTOR` to the power `STEPS - 1`), where a
/// transport is all but idle.
pub const TOP_MULTIPLE: u64 = 2;

/// No step offers fewer messages a second than this: below it a step takes
/// seconds to collect even the samples a p99 needs (1,000), and a
/// transport that slow is not one whose knee a sweep can place.
pub const RATE_FLOOR: u64 = 1_000;

/// Latencies a step aims to record: twice the 10,000 a p99.9 needs
/// ([`PERCENTILE_RULE`](crate::results::PERCENTILE_RULE)), so a step whose
/// producer falls a little short of its rate, or whose first messages are
/// spent warming up, still has them.
pub const STEP_SAMPLES: u64 = 20_000;

/// The longest a step runs when the trial length is shorter: a slow
/// transport's low steps (at 1,000 msgs/s [`STEP_SAMPLES`] would take 20 s)
/// stop here with what they have. So a sweep sends for at most
/// [`STEPS`] x 2 s = 16 s, or [`STEPS`] x the trial length when that is
/// longer; and a step below 5,000 msgs/s cannot collect the 10,000
/// latencies a p99.9 needs, so it reports its p99.9 as not supported
/// (`None`) rather than a number.
pub const MAX_STEP: Duration = Duration::from_secs(2);

/// A step's producer kept up only if it sent at least this share of the
/// offered rate: the one share every rate check uses, the harness's check
/// of a `rate:R` scenario (`sustained` in the results file) included.
pub const RATE_KEPT_SHARE: f64 = 0.95;

/// A step's producer kept up only if no send fell further behind its due
/// time than this share of the step's duration: a producer that ran 5%
/// short all step ends about that far behind, so twice that means it
/// stalled, even if it caught up later.
pub const LAG_SHARE: f64 = 0.1;

/// The offered rates of a sweep of a transport whose stream throughput is
/// `saturation_msgs_per_s`, ascending.
///
/// Step `k` (`k = 0..STEPS`) is `TOP_MULTIPLE * saturation /
/// STEP_FACTOR^k`: eight steps from 1/64 of saturation to twice it, each
/// twice the one below. Each is rounded to two significant digits (half
/// up, so within 5% of the exact figure: `54_012` -> `54_000`, `108_024`
/// -> `110_000`), then raised to [`RATE_FLOOR`]; steps that the floor makes
/// equal are one. So the list is never empty, never below the floor, and
/// its highest step is above the saturation: at least 1.9 times it, or the
/// floor for a transport slower than that (a saturation of 0, unmeasured,
/// gives the floor alone).
pub fn offered_rates(saturation_msgs_per_s: u64) -> Vec<u64> {
    let top = u128::from(saturation_msgs_per_s) * u128::from(TOP_MULTIPLE);
    let mut rates: Vec<u64> = (0..STEPS)
        .map(|k| {
            let exact = top / u128::from(STEP_FACTOR).pow(k);
            two_significant_digits(exact).max(u128::from(RATE_FLOOR))
        })
        .map(|rate| u64::try_from(rate).unwrap_or(u64::MAX))
        .collect();
    rates.sort_unstable();
    rates.dedup();
    rates
}

/// `n` rounded half up to two significant digits (`n` itself below 100).
fn two_significant_digits(n: u128) -> u128 {
    let mut unit = 1u128;
    while n / unit >= 100 {
        unit *= 10;
    }
    (n + unit / 2) / unit * unit
}

/// How long the step offering `offered` messages a second runs, in a run
/// whose trial length is `trial`.
///
/// Long enough to record [`STEP_SAMPLES`] latencies at the offered rate
/// (`STEP_SAMPLES / offered` seconds), but never shorter than `trial` (a
/// fast step still spans the scheduler ticks and interrupts a trial
/// would) and never longer than [`MAX_STEP`], or than `trial` if that is
/// longer. A step cut short by the cap has fewer samples, and whatever
/// percentile they do not support is reported as `None`
/// ([`LoadStep::latency`]). An offered rate of 0 counts as 1.
pub fn step_duration(offered: u64, trial: Duration) -> Duration {
    let wanted_ns = u128::from(STEP_SAMPLES) * 1_000_000_000 / u128::from(offered.max(1));
    let wanted = Duration::from_nanos(u64::try_from(wanted_ns).unwrap_or(u64::MAX));
    wanted.clamp(trial, MAX_STEP.max(trial))
}

/// One step of a sweep: what was offered, what was sent, the latencies.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LoadStep {
    /// Messages per second offered (the step's `rate:R`).
    pub offered: u64,
    /// Messages per second the producer sent, over the step.
    pub achieved: f64,
    /// How long the step ran, ns ([`step_duration`]).
    pub duration_ns: u64,
    /// The largest lag of a send behind its due time, ns.
    pub max_send_lag_ns: u64,
    /// One-way latencies from each message's due time, ns: p50, p99, p99.9
    /// and the rest, each `None` below the samples the results file's rule
    /// asks for ([`PERCENTILE_RULE`](crate::results::PERCENTILE_RULE)), so
    /// the p99.9 of a step cut short by [`MAX_STEP`] is `None`, not a
    /// number; and the max.
    pub latency: Percentiles,
    /// The producer kept up: `achieved >= RATE_KEPT_SHARE * offered`, and
    /// `max_send_lag_ns <= LAG_SHARE * duration_ns`.
    pub kept_up: bool,
}

impl LoadStep {
    /// The step that offered `offered` messages a second for `duration`,
    /// whose producer sent `achieved` a second with its sends at most
    /// `max_send_lag_ns` late, and whose consumer recorded `latencies` (ns).
    pub fn of(
        offered: u64,
        duration: Duration,
        achieved: f64,
        max_send_lag_ns: u64,
        latencies: &hdrhistogram::Histogram<u64>,
    ) -> LoadStep {
        let duration_ns = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        let kept_up =
            achieved >= RATE_KEPT_SHARE * offered as f64 && max_send_lag_ns as f64 <= LAG_SHARE * duration_ns as f64;
        LoadStep {
            offered,
            achieved,
            duration_ns,
            max_send_lag_ns,
            latency: Percentiles::of_histogram(latencies),
            kept_up,
        }
    }

    /// The step's p99, ns, when it has the samples for one.
    pub fn p99(&self) -> Option<f64> {
        self.latency.p99
    }
}

/// How high a step's p99 may go and still count as within budget: the
/// command line's `--p99-budget`.
///
/// The default is [`Budget::DEFAULT`], 10x the lowest step's p99. The
/// lowest step (1/64 of saturation) shows the transport's tail with next
/// to no queueing. A tenfold rise is an order of magnitude: well above the
/// run-to-run spread of a tail percentile on a shared machine (p99s of
/// repeated runs differ by up to 2-3x, so a budget that tight would place
/// the knee on noise), and well below what saturation does (a backlog that
/// grows for the whole step puts the p99 hundreds or thousands of times
/// higher, so a looser budget would add nothing but a step on the cliff).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Budget {
    /// At most this many times the lowest step's p99 (at least 1: written
    /// `10x`).
    Relative(f64),
    /// At most this many ns (written `500ns`, `50us`, `2ms`, `1s`).
    Absolute(u64),
}

impl Budget {
    /// 10x the lowest step's p99 (see [`Budget`] for why).
    pub const DEFAULT: Budget = Budget::Relative(10.0);

    /// The highest p99, ns, a step may have under this budget, where the
    /// lowest step's p99 is `lowest_p99`: `None` for a relative budget
    /// when the lowest step has no p99 (too few samples), as then no step
    /// can be judged.
    pub fn limit_ns(&self, lowest_p99: Option<f64>) -> Option<f64> {
        match *self {
            Budget::Relative(times) => lowest_p99.map(|p99| times * p99),
            Budget::Absolute(ns) => Some(ns as f64),
        }
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::DEFAULT
    }
}

/// A `--p99-budget` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    /// Neither a latency with its unit nor a multiple.
    #[error(
        "p99 budget '{0}' must be a latency with its unit (500ns, 50us, 2ms, 1s) or a multiple of the lowest step's p99 (10x)"
    )]
    Form(String),
    /// A latency of less than 1 ns, or too large to hold.
    #[error("p99 budget '{0}' must be a latency of at least 1ns (and under 584 years)")]
    Latency(String),
    /// A multiple below 1x (or not a finite number): the lowest step
    /// itself would be over it.
    #[error("p99 budget '{0}' must be a multiple of at least 1x: the lowest step's own p99 is 1x")]
    Multiple(String),
}

impl FromStr for Budget {
    type Err = BudgetError;

    /// `10x` or `2.5x` (relative); a number with `ns`, `us` (or `µs`),
    /// `ms` or `s` (absolute, rounded to the nearest ns).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let number = |n: &str| n.trim().parse::<f64>().map_err(|_| BudgetError::Form(s.to_owned()));
        if let Some(n) = text.strip_suffix('x') {
            let times = number(n)?;
            return if times.is_finite() && times >= 1.0 {
                Ok(Budget::Relative(times))
            } else {
                Err(BudgetError::Multiple(s.to_owned()))
            };
        }
        // Longer suffixes first: "ns", "us" and "ms" all end in 's'.
        let units: [(&str, f64); 5] = [("ns", 1.0), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9)];
        let (n, scale) = units
            .iter()
            .find_map(|&(unit, scale)| text.strip_suffix(unit).map(|n| (n, scale)))
            .ok_or_else(|| BudgetError::Form(s.to_owned()))?;
        let ns = (number(n)? * scale).round();
        if !(1.0..=u64::MAX as f64).contains(&ns) {
            return Err(BudgetError::Latency(s.to_owned()));
        }
        Ok(Budget::Absolute(ns as u64))
    }
}

impl fmt::Display for Budget {
    /// The form [`FromStr`] reads: `10x`, or the largest unit that keeps
    /// the figure whole (`50us`, `2ms`, `1500ns`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Budget::Relative(times) => write!(f, "{times}x"),
            Budget::Absolute(ns) => {
                let (value, unit) = [(1_000_000_000, "s"), (1_000_000, "ms"), (1_000, "us")]
                    .into_iter()
                    .find(|&(scale, _)| ns % scale == 0 && ns > 0)
                    .map_or((ns, "ns"), |(scale, unit)| (ns / scale, unit));
                write!(f, "{value}{unit}")
            }
        }
    }
}

impl TryFrom<String> for Budget {
    type Error = BudgetError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Budget> for String {
    fn from(budget: Budget) -> String {
        budget.to_string()
    }
}

/// A sweep's curve: its steps, where latency leaves the budget (the knee)
/// and the most the producer could send (the saturation).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadCurve {
    /// The steps, ascending by offered rate.
    pub steps: Vec<LoadStep>,
    /// The budget the knee was placed by.
    pub budget: Budget,
    /// The p99 limit, ns, that budget came to ([`Budget::limit_ns`]);
    /// `None` when it could not be set (a relative budget and a lowest
    /// step without a p99), and then there is no knee.
    pub limit_ns: Option<f64>,
    /// The knee: the highest offered rate whose step is within budget
    /// (its p99 known and at most `limit_ns`, its producer kept up),
    /// counting only the steps below the first that is not. A curve that
    /// comes back within budget above a failing step does not move the
    /// knee up: a load the transport once failed at, on the way up, is
    /// not one it can be trusted with because a higher one went well
    /// (that is noise, or a different regime, such as batching, that the
    /// curve's reader should see rather than have averaged away). `None`
    /// when the lowest step already fails.
    pub knee: Option<u64>,
    /// Saturation: the highest rate, messages a second, that any step's
    /// producer achieved (what the sweep found, not the stream throughput
    /// its rates were set from). It is the sender's rate: a transport that buffers
    /// without bound can take sends faster than it delivers for a step's
    /// length, and then its p99 (growing with the backlog) shows it, in
    /// the knee. `None` for a curve of no steps.
    pub saturation: Option<f64>,
}

impl LoadCurve {
    /// The curve of `steps` (in any order; sorted here) judged by `budget`.
    pub fn of(mut steps: Vec<LoadStep>, budget: Budget) -> LoadCurve {
        steps.sort_by_key(|step| step.offered);
        let limit_ns = budget.limit_ns(steps.first().and_then(LoadStep::p99));
        let within =
            |step: &LoadStep| step.kept_up && step.p99().zip(limit_ns).is_some_and(|(p99, limit)| p99 <= limit);
        let knee = steps.iter().take_while(|step| within(step)).last().map(|step| step.offered);
        let saturation = steps.iter().map(|step| step.achieved).reduce(f64::max);
        LoadCurve { steps, budget, limit_ns, knee, saturation }
    }
}

#[cfg(test)]
mod tests {
    use bench_core::workload::histogram;

    use super::*;
    use crate::results::{PERCENTILE_RULE, min_samples};

    const STEP: Duration = Duration::from_millis(500);

    /// `count` latencies: 98% of them `body_ns`, the rest `tail_ns`, so the
    /// p50 is `body_ns` and the p99 `tail_ns` (within the histogram's
    /// three significant digits).
    fn latencies(count: u64, body_ns: u64, tail_ns: u64) -> hdrhistogram::Histogram<u64> {
        let mut h = histogram::new();
        let tail = count / 50;
        h.record_n(body_ns, count - tail).unwrap();
        h.record_n(tail_ns, tail).unwrap();
        h
    }

    /// A step of 20,000 latencies whose p99 is `p99_ns`, kept up or not.
    fn step(offered: u64, p99_ns: u64, kept_up: bool) -> LoadStep {
        let achieved = if kept_up { offered as f64 } else { offered as f64 * 0.6 };
        LoadStep::of(offered, STEP, achieved, 0, &latencies(20_000, 1_000, p99_ns))
    }

    fn rates() -> Vec<u64> {
        offered_rates(64_000)
    }

    #[test]
    fn a_step_reads_its_percentiles_off_the_histogram() {
        let s = step(8_000, 10_000, true);
        assert_eq!(s.latency.count, 20_000);
        assert_eq!(s.latency.p50, Some(1_000.0));
        let p99 = s.p99().unwrap();
        assert!((p99 - 10_000.0).abs() <= 10.0, "{p99}");
        assert!(s.latency.p999.is_some());
        assert!(s.latency.max >= 10_000.0);
    }

    #[test]
    fn a_flat_curve_then_a_cliff_has_its_knee_at_the_last_flat_step() {
        let r = rates();
        let mut steps: Vec<_> = r[..6].iter().map(|&o| step(o, 12_000, true)).collect();
        steps.push(step(r[6], 3_000_000, true));
        steps.push(step(r[7], 90_000_000, false));
        steps.reverse(); // any order in
        let curve = LoadCurve::of(steps, Budget::default());
        assert_eq!(curve.knee, Some(r[5]));
        assert!(curve.steps.windows(2).all(|w| w[0].offered < w[1].offered), "sorted");
        let limit = curve.limit_ns.unwrap();
        assert!((limit - 120_000.0).abs() <= 100.0, "{limit}");
        // The highest rate achieved: the last step sent 60% of 128,000.
        assert_eq!(curve.saturation, Some(0.6 * r[7] as f64));
    }

    #[test]
    fn an_absolute_budget_places_the_knee_by_the_p99_alone() {
        let r = rates();
        let p99s = [10_000, 20_000, 30_000, 40_000, 49_000, 60_000, 100_000, 200_000];
        let steps: Vec<_> = r.iter().zip(p99s).map(|(&o, p99)| step(o, p99, true)).collect();
        let budget: Budget = "50us".parse().unwrap();
        let curve = LoadCurve::of(steps.clone(), budget);
        assert_eq!((curve.knee, curve.limit_ns), (Some(r[4]), Some(50_000.0)));
        // The same steps under the default budget (10x the first's 10 us).
        assert_eq!(LoadCurve::of(steps, Budget::default()).knee, Some(r[6]));
    }

    #[test]
    fn a_curve_whose_lowest_step_fails_has_no_knee() {
        let r = rates();
        // Over an absolute budget from the start...
        let steps: Vec<_> = r.iter().map(|&o| step(o, 80_000, true)).collect();
        assert_eq!(LoadCurve::of(steps, Budget::Absolute(50_000)).knee, None);
        // ...or a producer that could not keep even the lowest rate.
        let mut steps: Vec<_> = r.iter().map(|&o| step(o, 10_000, true)).collect();
        steps[0] = step(r[0], 10_000, false);
        let curve = LoadCurve::of(steps, Budget::default());
        assert_eq!(curve.knee, None);
        // ...or a lowest step without the samples for a p99.
        let thin = LoadStep::of(r[0], STEP, r[0] as f64, 0, &latencies(500, 1_000, 2_000));
        let curve = LoadCurve::of(vec![thin, step(r[1], 10_000, true)], Budget::default());
        assert_eq!((curve.knee, curve.limit_ns), (None, None));
        assert_eq!(LoadCurve::of(Vec::new(), Budget::default()).saturation, None);
    }

    #[test]
    fn a_recovery_above_a_failing_step_does_not_move_the_knee() {
        let r = rates();
        let p99s = [10_000, 11_000, 500_000, 10_000, 10_000, 10_000, 10_000, 10_000];
        let steps: Vec<_> = r.iter().zip(p99s).map(|(&o, p99)| step(o, p99, true)).collect();
        assert_eq!(LoadCurve::of(steps, Budget::default()).knee, Some(r[1]));
        // A step that did not keep up breaks the run the same way, whatever its p99.
        let mut steps: Vec<_> = r.iter().map(|&o| step(o, 10_000, true)).collect();
        steps[3] = step(r[3], 10_000, false);
        assert_eq!(LoadCurve::of(steps, Budget::default()).knee, Some(r[2]));
    }

    #[test]
    fn a_producer_short_of_its_rate_or_lagging_did_not_keep_up() {
        let h = latencies(20_000, 1_000, 2_000);
        let lag_bound = (LAG_SHARE * STEP.as_nanos() as f64) as u64;
        assert!(LoadStep::of(10_000, STEP, 9_500.0, lag_bound, &h).kept_up);
        assert!(!LoadStep::of(10_000, STEP, 9_400.0, 0, &h).kept_up, "under 95% of the rate");
        assert!(!LoadStep::of(10_000, STEP, 10_000.0, lag_bound + 1, &h).kept_up, "a stall of a tenth of the step");
    }

    #[test]
    fn rates_are_geometric_bounded_and_go_past_saturation() {
        for saturation in [64_000, 3_456_789, 250_000_000, 7_777] {
            let r = offered_rates(saturation);
            assert!(r.windows(2).all(|w| w[0] < w[1]), "{saturation}: ascending, distinct {r:?}");
            assert!(r.iter().all(|&x| x >= RATE_FLOOR), "{saturation}: floor {r:?}");
            assert!(*r.last().unwrap() > saturation, "{saturation}: a step past saturation {r:?}");
            assert!(*r.last().unwrap() as f64 <= 2.0 * 1.05 * saturation as f64, "{saturation}: bounded {r:?}");
            // Above the floor, each step is twice the one below, give or
            // take the rounding to two digits.
            for w in r.windows(2).filter(|w| w[0] > RATE_FLOOR) {
                let ratio = w[1] as f64 / w[0] as f64;
                assert!((1.8..=2.2).contains(&ratio), "{saturation}: {w:?}");
            }
        }
        let r = offered_rates(3_456_789);
        assert_eq!(r.len(), STEPS as usize);
        assert_eq!(r, [54_000, 110_000, 220_000, 430_000, 860_000, 1_700_000, 3_500_000, 6_900_000]);
        assert_eq!(offered_rates(64_000), [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 130_000]);
        // A slow transport: the floor takes the low steps' place.
        assert_eq!(offered_rates(7_777), [1_000, 1_900, 3_900, 7_800, 16_000]);
        assert_eq!(offered_rates(0), [RATE_FLOOR]);
        assert_eq!(offered_rates(u64::MAX).len(), STEPS as usize);
    }

    #[test]
    fn a_step_lasts_for_its_samples_within_the_trial_and_the_cap() {
        let trial = Duration::from_millis(100);
        // Fast: the trial length (20,000 samples would take 2 ms).
        assert_eq!(step_duration(10_000_000, trial), trial);
        // Between: 20,000 samples' worth.
        assert_eq!(step_duration(40_000, trial), Duration::from_millis(500));
        // Slow: the cap, and the cap gives way to a longer trial.
        assert_eq!(step_duration(RATE_FLOOR, trial), MAX_STEP);
        assert_eq!(step_duration(RATE_FLOOR, Duration::from_secs(5)), Duration::from_secs(5));
        assert_eq!(step_duration(0, trial), MAX_STEP);
        assert_eq!(STEP_SAMPLES, 2 * min_samples(0.999));
        assert!(PERCENTILE_RULE.contains("p99.9: 10000"));
    }

    /// A step cut short by the cap (1,000 msgs/s for 2 s: 2,000 latencies)
    /// gives its p99 but not its p99.9.
    #[test]
    fn a_step_short_of_samples_has_no_p999() {
        let duration = step_duration(RATE_FLOOR, Duration::from_millis(100));
        let samples = RATE_FLOOR * duration.as_secs();
        let s = LoadStep::of(RATE_FLOOR, duration, RATE_FLOOR as f64, 0, &latencies(samples, 1_000, 5_000));
        assert!(s.latency.p99.is_some());
        assert_eq!(s.latency.p999, None);
        assert!(step(8_000, 5_000, true).latency.p999.is_some(), "20,000 latencies support it");
    }

    #[test]
    fn budgets_parse_print_and_refuse_with_reasons() {
        for (text, budget) in [
            ("10x", Budget::Relative(10.0)),
            ("2.5x", Budget::Relative(2.5)),
            ("1x", Budget::Relative(1.0)),
            ("50us", Budget::Absolute(50_000)),
            ("50µs", Budget::Absolute(50_000)),
            ("1.5us", Budget::Absolute(1_500)),
            ("2ms", Budget::Absolute(2_000_000)),
            ("800ns", Budget::Absolute(800)),
            ("1s", Budget::Absolute(1_000_000_000)),
        ] {
            assert_eq!(text.parse::<Budget>(), Ok(budget), "{text}");
            assert_eq!(budget.to_string().parse::<Budget>(), Ok(budget), "{text} prints as {budget}");
        }
        assert_eq!(Budget::Absolute(50_000).to_string(), "50us");
        assert_eq!(Budget::Absolute(1_500).to_string(), "1500ns");
        assert_eq!(Budget::default().to_string(), "10x");
        for bad in ["", "50", "fast", "ms", "50 apples", "x"] {
            let e = bad.parse::<Budget>().unwrap_err();
            assert_eq!(e, BudgetError::Form(bad.to_owned()));
            assert!(e.to_string().contains("50us") && e.to_string().contains("10x"), "{e}");
        }
        for bad in ["0ns", "0.2ns", "-3ms"] {
            assert_eq!(bad.parse::<Budget>(), Err(BudgetError::Latency(bad.to_owned())));
        }
        for bad in ["0.5x", "0x", "-2x", "infx", "NaNx"] {
            let e = bad.parse::<Budget>().unwrap_err();
            assert_eq!(e, BudgetError::Multiple(bad.to_owned()));
            assert!(e.to_string().contains("at least 1x"), "{e}");
        }
    }

    #[test]
    fn a_curve_round_trips_through_json() {
        let curve = LoadCurve::of(rates().iter().map(|&o| step(o, 10_000, true)).collect(), "50us".parse().unwrap());
        let text = serde_json::to_string(&curve).unwrap();
        assert!(text.contains("\"budget\":\"50us\""), "{text}");
        assert_eq!(serde_json::from_str::<LoadCurve>(&text).unwrap(), curve);
        assert!(serde_json::from_str::<Budget>("\"0.5x\"").is_err());
    }
}
