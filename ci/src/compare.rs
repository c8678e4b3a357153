//! The comparison: every scenario of two sides matched by id, every metric
//! of the matched ones tested, corrected for multiplicity, given a verdict.
//! The crate documentation states the method; this module carries it out.

use scenarios::results::{Status, min_samples, percentile_name};
use serde::Serialize;

use crate::differences;
use crate::fdr;
use crate::metric::Metric;
use crate::noise::NoiseProfile;
use crate::side::{Pooled, Side};
use crate::significance;

/// The threshold when none is given: a change of 5%. The one place it is set.
pub const DEFAULT_THRESHOLD: f64 = 0.05;
/// The false discovery rate Benjamini-Hochberg holds the verdicts to.
pub const FALSE_DISCOVERY_RATE: f64 = 0.05;
/// Bootstrap resamples per metric.
pub const RESAMPLES: usize = 10_000;
/// The seed every metric's own seed derives from (with its scenario and name).
const SEED: u64 = 0x6761_7465_6b65_6570; // "gatekeep"

/// How to compare.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The smallest change that counts, as a fraction (0.05 = 5%).
    pub threshold: f64,
    /// Benjamini-Hochberg's false discovery rate `q`.
    pub false_discovery_rate: f64,
    /// Bootstrap resamples per metric.
    pub resamples: usize,
    /// Per-metric noise an A/A comparison measured; each metric's threshold
    /// is raised to its noise.
    pub noise: Option<NoiseProfile>,
    /// Let scenarios that new lost (did not run, or ran to `refused`,
    /// `unavailable` or `unsustained` where base measured them) and an
    /// interrupted new run pass: they are still listed. Off by default: a
    /// change that stops measuring something must say so.
    pub accept_losses: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: DEFAULT_THRESHOLD,
            false_discovery_rate: FALSE_DISCOVERY_RATE,
            resamples: RESAMPLES,
            noise: None,
            accept_losses: false,
        }
    }
}

/// What the comparison says of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Worse beyond the threshold, the whole interval.
    Regressed,
    /// Better beyond the threshold, the whole interval.
    Improved,
    /// Some evidence of a change beyond the threshold, short of a verdict:
    /// significant on its own but not among every metric compared, or its
    /// interval reaches back inside the threshold. More trials would tell.
    /// Also every metric of a scenario unstable on either side, whatever its
    /// evidence ([`Row::note`] says why).
    Inconclusive,
    /// No evidence of a change beyond the threshold. With few, noisy trials
    /// a change may hide in the interval; its width says how large.
    Unchanged,
}

impl Verdict {
    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unchanged => "unchanged",
        }
    }
}

/// One metric of one scenario, compared.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// The scenario id.
    pub scenario: String,
    /// The metric.
    pub metric: Metric,
    /// Median of the base samples.
    pub base: f64,
    /// Median of the new samples.
    pub new: f64,
    /// Base samples (used trials, over every pooled run).
    pub base_trials: usize,
    /// New samples.
    pub new_trials: usize,
    /// `new / base`.
    pub ratio: f64,
    /// Lower end of the ratio's interval at [`Comparison::level`]; `<= ratio`.
    pub low: f64,
    /// Upper end; `>= ratio`.
    pub high: f64,
    /// Two-sided p-value of "no change beyond the threshold" (Welch's t-test
    /// on logs, see the crate documentation).
    pub p_value: f64,
    /// Its Benjamini-Hochberg adjusted value over every row.
    pub q_value: f64,
    /// The threshold this metric was judged by: the larger of the one asked
    /// for and its measured noise.
    pub threshold: f64,
    /// The A/A noise measured for this metric, if a profile has it.
    pub noise: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why the verdict is not the evidence's own, when it is not: the
    /// scenario is unstable on a side (`unstable in base: two modes: ...`),
    /// so the metric is tested and counted but never judged.
    pub note: Option<String>,
}

impl Row {
    /// The change as a fraction: `ratio - 1` (-0.3 = 30% lower).
    pub fn change(&self) -> f64 {
        self.ratio - 1.0
    }

    /// True when the ratio moved in the worse direction for this metric.
    pub fn is_worse(&self) -> bool {
        if self.metric.higher_is_better() { self.ratio < 1.0 } else { self.ratio > 1.0 }
    }
}

/// A scenario the comparison could not compare, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// The scenario id.
    pub scenario: String,
    /// Why, in a sentence.
    pub why: String,
    /// True when this breaks the gate as a regression does: the scenario
    /// failed in new and did not in base.
    pub breaks_gate: bool,
}

/// Two sides compared.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The base side, described.
    pub base: String,
    /// The new side, described.
    pub new: String,
    /// True for an A/A comparison (both sides the same code).
    pub aa: bool,
    /// The threshold asked for (each row's may be higher: its noise).
    pub threshold: f64,
    /// Benjamini-Hochberg's `q`.
    pub false_discovery_rate: f64,
    /// Rejections Benjamini-Hochberg found among the rows.
    pub discoveries: usize,
    /// The confidence level of every row's interval:
    /// `1 - q * max(discoveries, 1) / rows`.
    pub level: f64,
    /// Where the noise floors came from, if any.
    pub noise_source: Option<String>,
    /// Every metric compared, in scenario order.
    pub rows: Vec<Row>,
    /// Every scenario not compared.
    pub skipped: Vec<Skipped>,
    /// Differences of machine, build or method between (or within) the sides.
    pub differences: Vec<String>,
}

/// A metric tested, before the level is known.
struct Tested {
    scenario: String,
    metric: Metric,
    base: (f64, usize),
    new: (f64, usize),
    ratios: Vec<f64>,
    p_value: f64,
    threshold: f64,
    noise: Option<f64>,
    note: Option<String>,
}

impl Comparison {
    /// Compare `new` against `base`.
    pub fn new(base: &Side, new: &Side, settings: &Settings) -> Comparison {
        let mut ids: Vec<&str> = base.scenario_ids();
        for id in new.scenario_ids() {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        let mut tested = Vec::new();
        let mut skipped = Vec::new();
        let lost = !settings.accept_losses;
        for (i, run) in new.runs.iter().enumerate() {
            if run.finished_unix.is_none() {
                skipped.push(Skipped {
                    scenario: format!("(new run {})", i + 1),
                    why: "INTERRUPTED: the new run did not finish, so what it lacks was never measured".into(),
                    breaks_gate: lost,
                });
            }
        }
        for id in ids {
            match (base.pooled(id), new.pooled(id)) {
                (Some(b), Some(n)) => match comparable(&b, &n, lost) {
                    Ok(()) => tested.extend(test_metrics(id, &b, &n, settings, &mut skipped)),
                    Err(skip) => skipped.push(Skipped { scenario: id.to_owned(), ..skip }),
                },
                (Some(_), None) => skipped.push(Skipped {
                    scenario: id.to_owned(),
                    why: "LOST: only in base; new did not run it".into(),
                    breaks_gate: lost,
                }),
                (None, Some(_)) => skipped.push(Skipped {
                    scenario: id.to_owned(),
                    why: "only in new: base did not run it".into(),
                    breaks_gate: false,
                }),
                (None, None) => unreachable!("every id comes from one side"),
            }
        }

        let q = settings.false_discovery_rate;
        let p_values: Vec<f64> = tested.iter().map(|t| t.p_value).collect();
        let discoveries = fdr::rejections(&p_values, q);
        let q_values = fdr::adjusted(&p_values);
        let level = if tested.is_empty() { 1.0 - q } else { 1.0 - q * discoveries.max(1) as f64 / tested.len() as f64 };
        let tail = (1.0 - level) / 2.0;
        let rows = tested
            .into_iter()
            .zip(q_values)
            .map(|(t, q_value)| {
                let ratio = t.new.0 / t.base.0;
                let low = vocabulary::stats::quantile_of_sorted(&t.ratios, tail).min(ratio);
                let high = vocabulary::stats::quantile_of_sorted(&t.ratios, 1.0 - tail).max(ratio);
                let evidence = Evidence { discovered: q_value <= q, alone: t.p_value <= q };
                let verdict = match t.note {
                    Some(_) => Verdict::Inconclusive,
                    None => judge(t.metric, (low, high), evidence, t.threshold),
                };
                Row {
                    scenario: t.scenario,
                    metric: t.metric,
                    base: t.base.0,
                    new: t.new.0,
                    base_trials: t.base.1,
                    new_trials: t.new.1,
                    ratio,
                    low,
                    high,
                    p_value: t.p_value,
                    q_value,
                    threshold: t.threshold,
                    noise: t.noise,
                    verdict,
                    note: t.note,
                }
            })
            .collect();
        Comparison {
            base: base.describe(),
            new: new.describe(),
            aa: false,
            threshold: settings.threshold,
            false_discovery_rate: q,
            discoveries,
            level,
            noise_source: settings.noise.as_ref().map(|n| n.describe()),
            rows,
            skipped,
            differences: differences::between(base, new),
        }
    }

    /// An A/A comparison: `a` and `b` are runs of the same code. Measures
    /// each metric's noise and compares with every threshold raised to it,
    /// so the comparison shows what this machine's noise is; returns the
    /// profile too, for later comparisons to use as their floor.
    pub fn aa(a: &Side, b: &Side, settings: &Settings) -> (Comparison, NoiseProfile) {
        let profile = NoiseProfile::measure(a, b, settings.resamples);
        let with_noise = Settings { noise: Some(profile.clone()), ..settings.clone() };
        let mut comparison = Comparison::new(a, b, &with_noise);
        comparison.aa = true;
        (comparison, profile)
    }

    /// Rows with `verdict`.
    pub fn with(&self, verdict: Verdict) -> impl Iterator<Item = &Row> {
        self.rows.iter().filter(move |r| r.verdict == verdict)
    }

    /// Scenarios that failed in new and did not in base.
    pub fn broken(&self) -> impl Iterator<Item = &Skipped> {
        self.skipped.iter().filter(|s| s.breaks_gate)
    }

    /// True when nothing regressed and nothing broke.
    pub fn passes(&self) -> bool {
        self.with(Verdict::Regressed).next().is_none() && self.broken().next().is_none()
    }
}

/// Whether two pooled scenarios can be compared; why not otherwise. A
/// scenario failed in new and not in base breaks the gate, and so (when
/// `lost` breaks it) does one base measured that new refused, found
/// unavailable or could not sustain; one with too few trials on a side
/// (`few-trials`, the machine's state) is not compared, with the reason.
fn comparable(base: &Pooled<'_>, new: &Pooled<'_>, lost: bool) -> Result<(), Skipped> {
    let skip = |why: String, breaks_gate: bool| Err(Skipped { scenario: String::new(), why, breaks_gate });
    let why = |p: &Pooled<'_>| p.reason().map(|r| format!(": {r}")).unwrap_or_default();
    match (base.status(), new.status()) {
        (Status::Ok, Status::Ok) => Ok(()),
        (Status::Failed, Status::Failed) => skip(format!("failed on both sides (new{})", why(new)), false),
        (b, Status::Failed) => skip(format!("FAILED in new, {} in base{}", b.name(), why(new)), true),
        (Status::Failed, n) => skip(format!("failed in base{}; {} in new", why(base), n.name()), false),
        (Status::FewTrials, Status::FewTrials) => {
            skip(format!("few-trials on both sides (base{}; new{})", why(base), why(new)), false)
        }
        (Status::FewTrials, n) => skip(format!("few-trials in base{}; {} in new", why(base), n.name()), false),
        (b, Status::FewTrials) => skip(format!("few-trials in new{}; {} in base", why(new), b.name()), false),
        (b, n) if b == n => skip(format!("{} on both sides{}", b.name(), why(new)), false),
        (Status::Ok, n @ (Status::Refused | Status::Unavailable | Status::Unsustained)) => {
            skip(format!("LOST: ok in base, {} in new{}", n.name(), why(new)), lost)
        }
        (b, n) => skip(format!("status changed: {} in base{}, {} in new", b.name(), why(base), n.name()), false),
    }
}

/// Test every metric both sides have samples of.
fn test_metrics(
    id: &str,
    base: &Pooled<'_>,
    new: &Pooled<'_>,
    settings: &Settings,
    skipped: &mut Vec<Skipped>,
) -> Vec<Tested> {
    let note = unstable_note(base, new);
    let mut out = Vec::new();
    for metric in base.metrics() {
        let (b, n) = (base.samples(metric), new.samples(metric));
        if b.is_empty() || n.is_empty() {
            let (side, pooled) = if b.is_empty() { ("base", base) } else { ("new", new) };
            let why = match metric.quantile() {
                Some(q) if pooled.used_trial_count() > 0 => format!(
                    "{metric}: no used trial in {side} has one (a p{} needs {} samples in the trial)",
                    percentile_name(q),
                    min_samples(q)
                ),
                _ => format!("{metric}: no used trials in {side}"),
            };
            skipped.push(Skipped { scenario: id.to_owned(), why, breaks_gate: false });
            continue;
        }
        let (bm, nm) = (vocabulary::stats::median(&b), vocabulary::stats::median(&n));
        if bm <= 0.0 {
            skipped.push(Skipped {
                scenario: id.to_owned(),
                why: format!("{metric}: base median is 0"),
                breaks_gate: false,
            });
            continue;
        }
        let ratios =
            vocabulary::stats::bootstrap_median_ratios(&n, &b, settings.resamples.max(1), seed_for(id, metric));
        let noise = settings.noise.as_ref().and_then(|p| p.floor(id, metric));
        let threshold = settings.threshold.max(noise.unwrap_or(0.0));
        let (p_worse, p_better) = significance::p_values(metric, &b, &n, threshold);
        out.push(Tested {
            scenario: id.to_owned(),
            metric,
            base: (bm, b.len()),
            new: (nm, n.len()),
            ratios,
            p_value: (2.0 * p_worse.min(p_better)).min(1.0),
            threshold,
            noise,
            note: note.clone(),
        });
    }
    out
}

/// Why a scenario's metrics are not judged: it is unstable on a side
/// (`unstable in base: two modes: ...`), or `None` when it is stable on both.
fn unstable_note(base: &Pooled<'_>, new: &Pooled<'_>) -> Option<String> {
    match (base.unstable(), new.unstable()) {
        (None, None) => None,
        (Some(b), None) => Some(format!("unstable in base: {b}")),
        (None, Some(n)) => Some(format!("unstable in new: {n}")),
        (Some(b), Some(n)) => Some(format!("unstable in base: {b}; unstable in new: {n}")),
    }
}

/// The tests "worse beyond the threshold" and "better beyond it" of a ratio new/base.
fn bounds(metric: Metric, threshold: f64) -> (impl Fn(f64) -> bool, impl Fn(f64) -> bool) {
    let (lower, upper) = (1.0 - threshold, 1.0 + threshold);
    let higher_better = metric.higher_is_better();
    let worse = move |r: f64| if higher_better { r < lower } else { r > upper };
    let better = move |r: f64| if higher_better { r > upper } else { r < lower };
    (worse, better)
}

/// What the test says of one metric.
#[derive(Debug, Clone, Copy)]
struct Evidence {
    /// Benjamini-Hochberg rejects it among every metric compared.
    discovered: bool,
    /// Its own p-value is below the false discovery rate: significant were
    /// it the only metric compared.
    alone: bool,
}

/// The verdict of an interval against a threshold: a change beyond it needs
/// a Benjamini-Hochberg discovery and the whole interval beyond the
/// threshold; evidence short of that is inconclusive; none is unchanged.
fn judge(metric: Metric, (low, high): (f64, f64), evidence: Evidence, threshold: f64) -> Verdict {
    let (worse, better) = bounds(metric, threshold);
    if evidence.discovered && worse(low) && worse(high) {
        Verdict::Regressed
    } else if evidence.discovered && better(low) && better(high) {
        Verdict::Improved
    } else if evidence.discovered || evidence.alone {
        Verdict::Inconclusive
    } else {
        Verdict::Unchanged
    }
}

/// A metric's own bootstrap seed: the same scenario and metric always
/// resample alike, whatever else the files hold (FNV-1a of the id and name).
pub(crate) fn seed_for(id: &str, metric: Metric) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes().chain([b'/']).chain(metric.name().bytes()) {
        h ^= u64::from(byte);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^ SEED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judging_is_directional_and_needs_both_the_test_and_the_interval() {
        let t = 0.05;
        let found = Evidence { discovered: true, alone: true };
        let alone = Evidence { discovered: false, alone: true };
        let none = Evidence { discovered: false, alone: false };
        // Throughput: lower is worse.
        assert_eq!(judge(Metric::Throughput, (0.65, 0.75), found, t), Verdict::Regressed);
        assert_eq!(judge(Metric::Throughput, (1.25, 1.35), found, t), Verdict::Improved);
        // Latency: higher is worse.
        assert_eq!(judge(Metric::LatencyP99, (1.25, 1.35), found, t), Verdict::Regressed);
        assert_eq!(judge(Metric::LatencyP50, (0.65, 0.75), found, t), Verdict::Improved);
        // The interval must clear the threshold, not only 1.
        assert_eq!(judge(Metric::LatencyP50, (1.02, 1.1), found, t), Verdict::Inconclusive);
        // A test significant alone but not among every metric: inconclusive.
        assert_eq!(judge(Metric::Throughput, (0.65, 0.75), alone, t), Verdict::Inconclusive);
        // No evidence: unchanged, however wide the interval.
        assert_eq!(judge(Metric::Throughput, (0.6, 1.3), none, t), Verdict::Unchanged);
    }

    #[test]
    fn seeds_differ_by_scenario_and_metric_and_are_stable() {
        assert_eq!(seed_for("a", Metric::LatencyP50), seed_for("a", Metric::LatencyP50));
        assert_ne!(seed_for("a", Metric::LatencyP50), seed_for("a", Metric::LatencyP99));
        assert_ne!(seed_for("a", Metric::Throughput), seed_for("b", Metric::Throughput));
    }
}
