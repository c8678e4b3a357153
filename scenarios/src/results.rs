//! The results file: what one run of the harness measured, scenario by
//! scenario, with every trial's raw figures and the machine-state probes
//! taken around it. Versioned by
//! [`SCHEMA_VERSION`]; `docs/results-schema.md` documents each field.
//!
//! Readers (the report, the regression gate) refuse a file whose
//! `schema_version` they do not know, rather than misread it.

use std::path::Path;

use bench_core::environment::Environment;
pub use bench_core::workload::{Integrity, SideCpu};
use serde::{Deserialize, Serialize};
pub use vocabulary::Status;
use vocabulary::{
    Capacity, LatencyKind, Pattern, Placement, PlacementLabel, Producers, TransportKind, Wait, WaitStrategy,
};

/// The version of this schema; bumped on any change a reader must know about.
pub const SCHEMA_VERSION: u32 = 2;

/// One `results.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResultsFile {
    /// [`SCHEMA_VERSION`] of the writer.
    pub schema_version: u32,
    /// `ringside <version>`.
    pub tool: String,
    /// The suite that was run (`all`, `quick`, a TOML file's name, `run`).
    pub suite: String,
    /// Unix time (seconds) the run started.
    pub started_unix: u64,
    /// Unix time the run finished; `None` while running or if interrupted.
    pub finished_unix: Option<u64>,
    /// False when the figures cannot be trusted (an unoptimised build).
    pub valid: bool,
    /// What a reader must know before quoting a figure (debug build, a
    /// loaded or stolen-from machine, placements that were unavailable).
    pub warnings: Vec<String>,
    /// The machine, kernel, build and limits.
    pub environment: Environment,
    /// How every scenario was measured.
    pub method: Method,
    /// The physical floor for each placement measured.
    pub floors: Vec<Floor>,
    /// The states the machine was found in, per probed pair of cores, from
    /// the probes taken around every trial (see [`crate::selection`]).
    pub machine: Vec<MachineStates>,
    /// One entry per scenario, in the order run (a load sweep's steps are
    /// not among them: they are in [`load_curves`](Self::load_curves)).
    pub scenarios: Vec<ScenarioResult>,
    /// Latency against offered load: one curve per load sweep the run
    /// made, in the suite's order; empty when it made none (and in files
    /// written before sweeps existed).
    #[serde(default)]
    pub load_curves: Vec<crate::load_curves::LoadCurveResult>,
}

/// How the figures were taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Method {
    /// Rounds: each measures every scenario once, as one trial (one run
    /// between fresh worker processes), in an order of its own.
    pub rounds: u32,
    /// Discarded warm-up trials per scenario (10 ms each), before the first round.
    pub warmup_trials: u32,
    /// How long the producer sends in one trial, per pattern.
    pub trial_ms: TrialLengths,
    /// The seed of the rounds' orders: the same seed and suite give the
    /// same order (`--seed`).
    pub seed: u64,
    /// How the order is drawn, in words.
    pub order: String,
    /// What a machine-state probe is, in words.
    pub probe: String,
    /// Which trials make a headline figure ([`crate::selection::RULE`]).
    pub selection: String,
    /// When a scenario is marked unstable ([`crate::stability::RULE`]).
    pub stability: String,
    /// When a percentile is given ([`PERCENTILE_RULE`]).
    pub percentiles: String,
    /// The clock one-way latencies and durations are read with
    /// (`CLOCK_MONOTONIC`); [`clocks`](Self::clocks) names both.
    pub clock: String,
    /// Cost of one read of [`clock`](Self::clock), ns (median of several measurements).
    pub clock_read_ns: f64,
    /// The clock each latency kind is timed with, and what a read of it
    /// costs (empty in files written before it was recorded).
    #[serde(default)]
    pub clocks: Vec<ClockUse>,
    /// How confidence intervals are computed.
    pub interval: String,
}

/// The clock one kind of latency is timed with (`bench_core::clock`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockUse {
    /// The latencies it times.
    pub latency: LatencyKind,
    /// The clock, in words, as it is on the measuring machine.
    pub clock: String,
    /// Cost of one read, ns (median of several measurements).
    pub read_ns: f64,
}

/// Every latency kind's clock on this machine, with what a read costs.
pub fn clocks_in_use() -> Vec<ClockUse> {
    use bench_core::clock::Clock;
    [LatencyKind::RoundTrip, LatencyKind::OneWay]
        .into_iter()
        .map(|latency| {
            let clock = Clock::for_latency(latency);
            ClockUse { latency, clock: clock.describe(), read_ns: clock.read_cost_ns() }
        })
        .collect()
}

/// The floor between two cores: a cache line bounced between them, and
/// one core's copy bandwidth.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Floor {
    /// The placement name (`same-core`, `cross-core`, ...) or `cores`.
    pub placement: PlacementLabel,
    /// The two cores.
    pub cores: [usize; 2],
    /// Cache-line round trip p50, ns, one value per repeat.
    pub cache_line_rtt_ns: Vec<f64>,
    /// Median and interval of [`Floor::cache_line_rtt_ns`]; `None` on one core.
    pub cache_line_rtt: Option<Estimate>,
    /// Copy bandwidth of one core (1 MiB buffers), bytes per second.
    pub copy_bytes_per_s: f64,
}

/// How long the producer sends in one trial, in milliseconds, per pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialLengths {
    /// `stream` trials.
    pub stream: u64,
    /// `pingpong` trials.
    pub pingpong: u64,
    /// `rate:R` trials.
    pub rate: u64,
}

impl TrialLengths {
    /// The same length for every pattern.
    pub fn all(ms: u64) -> TrialLengths {
        TrialLengths { stream: ms, pingpong: ms, rate: ms }
    }

    /// The length for `pattern`, in milliseconds.
    pub fn of(&self, pattern: Pattern) -> u64 {
        match pattern {
            Pattern::Stream => self.stream,
            Pattern::PingPong => self.pingpong,
            Pattern::Rate(_) => self.rate,
        }
    }
}

/// The states the machine was in for one pair of probed cores: the probes'
/// cache-line round trips, grouped where they cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MachineStates {
    /// The probed cores.
    pub cores: [usize; 2],
    /// The states, fastest first.
    pub states: Vec<MachineState>,
    /// Index in [`MachineStates::states`] of the state whose trials make
    /// the headline figures (the prevailing one).
    pub reference: usize,
}

/// One state of the machine: a cluster of probe round trips.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MachineState {
    /// Fastest probe in the state, ns.
    pub low_ns: f64,
    /// Slowest probe in the state, ns.
    pub high_ns: f64,
    /// Probes in the state (two per trial).
    pub probes: usize,
}

impl MachineState {
    /// `floor 51-60 ns`.
    pub fn label(&self) -> String {
        format!("floor {:.0}-{:.0} ns", self.low_ns, self.high_ns)
    }

    /// True when `ns` lies in the state.
    pub fn holds(&self, ns: f64) -> bool {
        self.low_ns <= ns && ns <= self.high_ns
    }
}

/// The cache-line round trip on a trial's cores right before and right
/// after it: the machine's state around the trial.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// The probed cores: the trial's two, or its one and another on a
    /// same-core trial.
    pub cores: [usize; 2],
    /// Round trip right before the trial, ns (median of its batches).
    pub before_ns: f64,
    /// Round trip right after it, ns.
    pub after_ns: f64,
}

/// A median over trials and its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Median of the per-trial values.
    pub median: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

/// Confidence of [`Estimate`]'s interval.
pub const INTERVAL_LEVEL: f64 = 0.95;
/// Bootstrap resamples behind [`Estimate`]'s interval.
pub const INTERVAL_RESAMPLES: usize = 10_000;
/// The fixed seed of [`Estimate`]'s resampling: the same values always
/// give the same interval.
pub const INTERVAL_SEED: u64 = 0x7269_6e67_7369_6465; // "ringside"

/// How [`Estimate::of`] computes an interval; the text a results file's
/// `method.interval` carries.
pub const INTERVAL_METHOD: &str = "median over the trials used (mean of the middle two for an even count); 95% percentile \
     bootstrap interval of the median: 10000 resamples with replacement, fixed seed, nearest-rank 2.5% and 97.5% \
     quantiles of the resampled medians; one trial gives a zero-width interval";

impl Estimate {
    /// The median of `values` and its interval as [`INTERVAL_METHOD`]
    /// describes; `None` when there are no values. Always
    /// `low <= median <= high`.
    pub fn of(values: &[f64]) -> Option<Estimate> {
        if values.is_empty() {
            return None;
        }
        let median = vocabulary::stats::median(values);
        let (low, high) =
            vocabulary::stats::bootstrap_median_ci(values, INTERVAL_LEVEL, INTERVAL_RESAMPLES, INTERVAL_SEED);
        Some(Estimate { median, low: low.min(median), high: high.max(median) })
    }
}

/// Everything measured for one scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// `transport/capacity/sizeB/pattern/placement`, then `/producers:N`
    /// with many producers and `/wait:STRATEGY` when the wait was asked for
    /// explicitly; unique in a file.
    pub id: String,
    /// Transport name (`pipe`, `shm-ring`, ...).
    pub transport: TransportKind,
    /// Capacity mode asked for (`rendezvous`, `bounded:N`, `unbounded`).
    pub capacity: Capacity,
    /// Messages the channel realised for that mode (0 for rendezvous,
    /// `None` for unbounded or when it was never created).
    pub realised_capacity: Option<u64>,
    /// How the capacity was realised, or empty.
    pub realised_detail: String,
    /// Message size in bytes.
    pub size: usize,
    /// `stream`, `pingpong` or `rate:R`.
    pub pattern: Pattern,
    /// Placement name, or `cores` for an explicit `--cores A,B`.
    pub placement: PlacementLabel,
    /// Producer (initiator) core and consumer (echo) core.
    pub cores: Option<[usize; 2]>,
    /// The physical relation of those two cores, as detected.
    pub relation: Option<Placement>,
    /// How a side waits, as asked (`auto` in files written before the
    /// choice existed, which is what they ran).
    #[serde(default)]
    pub wait_asked: Wait,
    /// The strategy its sides waited by (`spin`, `yield`, `block`); `None`
    /// for transports that do not wait in user space (and in files written
    /// before it was recorded).
    #[serde(default)]
    pub wait: Option<WaitStrategy>,
    /// How many producer processes sent to the one consumer (1, a link, in
    /// files written before many could).
    #[serde(default)]
    pub producers: Producers,
    /// With many producers: where they ran and what each sent and got
    /// through; absent for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<MailboxSummary>,
    /// How it ended.
    pub status: Status,
    /// Why, when not `ok`.
    pub reason: Option<String>,
    /// Which trials make the figures: how many were used, how many set
    /// aside and why.
    pub selection: Selection,
    /// Why the used trials' figures are not one population (several modes,
    /// a drift, a spread too wide), or `None` when they are, or when too
    /// few were used to tell. An unstable figure is printed, marked, and
    /// never judged by the regression gate.
    pub unstable: Option<String>,
    /// Messages per second at the consumer (stream), over the trials used.
    pub msgs_per_s: Option<Estimate>,
    /// Payload bytes per second at the consumer (stream).
    pub bytes_per_s: Option<Estimate>,
    /// Latency distribution, the used trials merged (pingpong: round trip;
    /// rate: one way from the intended send time).
    pub latency: Option<Latency>,
    /// CPU cost per side, summed over the trials used.
    pub cpu: Option<CpuCost>,
    /// Integrity counts, summed over every trial.
    pub integrity: Integrity,
    /// Distance from the floor (see [`FloorDistance`]).
    pub floor: Option<FloorDistance>,
    /// The open-loop check (rate only).
    pub rate: Option<RateCheck>,
    /// Every measured trial, raw, used or set aside, in the order run.
    pub trials: Vec<Trial>,
}

impl ScenarioResult {
    /// The trials that make the headline figures.
    pub fn used_trials(&self) -> impl Iterator<Item = &Trial> {
        self.trials.iter().filter(|t| t.used)
    }
}

/// A scenario with many producers: each producer's account and how evenly
/// the mailbox served them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxSummary {
    /// Each producer's core, producer 0 first (on `cores[0]`).
    pub producer_cores: Vec<usize>,
    /// How the producers and the consumer share cores, when there are fewer
    /// cores than processes; `None` when each has its own.
    pub shared_cores: Option<String>,
    /// Each producer, at its index: messages sent and received and its
    /// integrity, summed over every trial; its share of what the consumer
    /// received, over the used trials.
    pub per_producer: Vec<ProducerAccount>,
    /// The least served producer's messages over the most served one's, in
    /// each used trial; the median (1: even service; 0: one starved).
    pub fairness: Option<f64>,
}

/// One producer of a mailbox, over a scenario's trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProducerAccount {
    /// Its index, from 0.
    pub producer: u16,
    /// Its core.
    pub core: usize,
    /// Its messages in every trial, checked on their own: sent, received,
    /// lost, duplicated, reordered (within this producer's stream),
    /// corrupted.
    pub integrity: Integrity,
    /// Its share of all messages the consumer received in the used trials.
    pub share: f64,
}

/// Which trials of a scenario make its figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Trials used.
    pub used: u32,
    /// Trials set aside (reported in [`ScenarioResult::trials`] with their reasons).
    pub set_aside: u32,
    /// The machine state the used trials ran in (`floor 51-60 ns`), if probed.
    pub state: Option<String>,
}

/// A latency distribution.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Latency {
    /// `round-trip` or `one-way`.
    pub kind: LatencyKind,
    /// Percentiles and mean, ns, of the merged histogram.
    pub merged: Percentiles,
    /// Median over the used trials of each trial's p50, with its interval.
    pub p50: Estimate,
    /// Median over the used trials of each trial's p99, with its interval;
    /// `None` when no trial had the samples a p99 needs.
    pub p99: Option<Estimate>,
    /// The merged histogram: HdrHistogram V2, base64.
    pub histogram: String,
}

/// When a percentile is given, in words: the text a results file's
/// `method.percentiles` carries.
pub const PERCENTILE_RULE: &str = "a percentile p is given only from at least 10/(1-p) samples (p50: 20, p90: \
     100, p99: 1000, p99.9: 10000, p99.99: 100000), so that at least ten samples lie beyond it; below that it is \
     null, and every table and chart says why";

/// The fewest samples that support percentile `q` (0 < q < 1): `10/(1-q)`,
/// rounded up, so that at least ten samples lie beyond it.
pub fn min_samples(q: f64) -> u64 {
    let exact = 10.0 / (1.0 - q);
    // 1 - 0.9999 is not exact in binary: 10 / it lands a hair above 100000.
    let near = exact.round();
    if (exact - near).abs() <= 1e-6 * near { near as u64 } else { exact.ceil() as u64 }
}

/// Why percentile `q` of `count` samples is not given, or `None` when it is.
pub fn percentile_absent(q: f64, count: u64) -> Option<String> {
    let need = min_samples(q);
    (count < need).then(|| format!("p{} needs {need} samples, {count} taken", percentile_name(q)))
}

/// `50`, `99`, `99.9`, `99.99` for 0.5, 0.99, 0.999, 0.9999.
pub fn percentile_name(q: f64) -> String {
    let p = format!("{:.4}", q * 100.0);
    p.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Percentiles of one distribution, in ns. Each is `null` below the
/// samples [`PERCENTILE_RULE`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// 50th percentile.
    pub p50: Option<f64>,
    /// 90th.
    pub p90: Option<f64>,
    /// 99th.
    pub p99: Option<f64>,
    /// 99.9th.
    pub p999: Option<f64>,
    /// 99.99th.
    pub p9999: Option<f64>,
    /// Largest sample.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Percentiles {
    /// The quantiles each field holds, with the field's value.
    pub fn quantiles(&self) -> [(f64, Option<f64>); 5] {
        [(0.5, self.p50), (0.9, self.p90), (0.99, self.p99), (0.999, self.p999), (0.9999, self.p9999)]
    }

    /// The percentiles, max, mean and count of a latency histogram
    /// recorded in ns. Each percentile is `value_at_quantile`: the highest
    /// value equivalent to the sample at that quantile, within the
    /// histogram's precision, and `None` below [`min_samples`]. An empty
    /// histogram gives no percentiles and a zero max and mean.
    pub fn of_histogram(h: &hdrhistogram::Histogram<u64>) -> Percentiles {
        if h.is_empty() {
            return Percentiles::default();
        }
        let count = h.len();
        let at = |q: f64| (count >= min_samples(q)).then(|| h.value_at_quantile(q) as f64);
        Percentiles {
            count,
            p50: at(0.5),
            p90: at(0.9),
            p99: at(0.99),
            p999: at(0.999),
            p9999: at(0.9999),
            max: h.max() as f64,
            mean: h.mean(),
        }
    }
}

/// CPU cost of both sides.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuCost {
    /// The producer (initiator) side.
    pub producer: SideCpu,
    /// The consumer (echo) side.
    pub consumer: SideCpu,
    /// Producer CPU seconds (user + system) per million messages.
    pub producer_s_per_million: f64,
    /// Consumer CPU seconds per million messages.
    pub consumer_s_per_million: f64,
}

impl CpuCost {
    /// Both sides' CPU seconds per million messages: what moving the
    /// messages cost the machine, whoever paid it.
    pub fn both_s_per_million(&self) -> f64 {
        self.producer_s_per_million + self.consumer_s_per_million
    }
}

/// How far a result is from the physical floor of its placement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FloorDistance {
    /// What is compared with what.
    pub metric: String,
    /// The ratio (1.0 = at the floor).
    pub ratio: f64,
}

/// Whether an open-loop run kept its rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateCheck {
    /// Messages per second asked for.
    pub target: u64,
    /// Messages per second the producer managed (median over the trials used).
    pub achieved: f64,
    /// Largest lag of a send behind its intended time, ns (over the trials used).
    pub max_send_lag_ns: u64,
    /// Achieved within 5% of the target on every trial used.
    pub sustained: bool,
}

/// One trial: one run of a scenario between fresh worker processes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Trial {
    /// The round it ran in, from 0.
    pub round: u32,
    /// When it started, ms since the run started.
    pub started_ms: f64,
    /// The machine's state around it; `None` on a one-core machine.
    pub probe: Option<Probe>,
    /// True when it makes the headline figures.
    pub used: bool,
    /// Why it does not, when it does not.
    pub set_aside: Option<String>,
    /// Messages the consumer received.
    pub messages: u64,
    /// Consumer time from first to last message, ns.
    pub elapsed_ns: u64,
    /// Messages per second at the consumer (stream).
    pub msgs_per_s: Option<f64>,
    /// Payload bytes per second at the consumer (stream).
    pub bytes_per_s: Option<f64>,
    /// Percentiles of this trial's latencies (pingpong, rate).
    pub latency: Option<Percentiles>,
    /// This trial's histogram, HdrHistogram V2 base64 (pingpong, rate).
    pub histogram: Option<String>,
    /// Producer (initiator) CPU.
    pub producer: SideCpu,
    /// Consumer (echo) CPU.
    pub consumer: SideCpu,
    /// This run's integrity counts.
    pub integrity: Integrity,
    /// Messages the sender queued on its own side (unbounded kernel transports).
    pub spilled: u64,
    /// Achieved send rate, messages per second (rate).
    pub send_rate: Option<f64>,
    /// Largest lag of a send behind its intended time, ns (rate).
    pub max_send_lag_ns: Option<u64>,
    /// With many producers: each producer's counts in this trial, at its
    /// index (`integrity` is their sum); empty for one producer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_producer: Vec<Integrity>,
}

/// Reading a results file failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not JSON, or not this schema.
    #[error("{path}: not a ringside results file: {source}")]
    Parse {
        /// The file.
        path: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A schema version this build does not know.
    #[error("{path}: schema version {found}, this build reads version {SCHEMA_VERSION}")]
    Version {
        /// The file.
        path: String,
        /// Its version.
        found: u64,
    },
}

impl ResultsFile {
    /// Read and check a results file.
    pub fn read(path: &Path) -> Result<Self, ReadError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io { path: shown.clone(), source })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| ReadError::Parse { path: shown.clone(), source })?;
        let found = value.get("schema_version").and_then(|v| v.as_u64()).unwrap_or(0);
        if found != u64::from(SCHEMA_VERSION) {
            return Err(ReadError::Version { path: shown, found });
        }
        serde_json::from_value(value).map_err(|source| ReadError::Parse { path: shown, source })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_of_values_is_deterministic_and_brackets_the_median() {
        assert_eq!(Estimate::of(&[]), None);
        assert_eq!(Estimate::of(&[7.0]), Some(Estimate { median: 7.0, low: 7.0, high: 7.0 }));
        let values = [101.0, 99.0, 100.0, 104.0, 98.0];
        let e = Estimate::of(&values).unwrap();
        assert_eq!(e.median, 100.0);
        assert!(e.low <= e.median && e.median <= e.high && e.low >= 98.0 && e.high <= 104.0, "{e:?}");
        assert_eq!(Estimate::of(&[98.0, 104.0, 100.0, 99.0, 101.0]), Some(e), "same values, same interval");
        let tight = Estimate::of(&[100.0, 100.1, 99.9, 100.2, 99.8]).unwrap();
        assert!(tight.high - tight.low < e.high - e.low);
    }

    #[test]
    fn percentiles_of_a_known_histogram_only_where_the_samples_support_them() {
        let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).unwrap();
        assert_eq!(Percentiles::of_histogram(&h), Percentiles::default());
        // 1..=1000 ns once each, then one outlier of 1 ms.
        for v in 1..=1000 {
            h.record(v).unwrap();
        }
        h.record(1_000_000).unwrap();
        let p = Percentiles::of_histogram(&h);
        assert_eq!(p.count, 1001);
        assert_eq!(p.p50, Some(501.0));
        assert_eq!(p.p90, Some(901.0));
        assert_eq!(p.p99, Some(991.0));
        assert_eq!((p.p999, p.p9999), (None, None), "1001 samples support neither");
        // The 1 ms sample, to the histogram's three significant digits.
        assert!((p.max - 1_000_000.0).abs() <= 1_000.0, "{}", p.max);
        let exact_mean = (500_500.0 + 1_000_000.0) / 1001.0;
        assert!((p.mean - exact_mean).abs() / exact_mean < 0.001, "{} vs {exact_mean}", p.mean);
        // Nine more thousand samples: p99.9 now, p99.99 still not.
        for v in 1..=9000 {
            h.record(v).unwrap();
        }
        let p = Percentiles::of_histogram(&h);
        assert_eq!(p.count, 10_001);
        assert!(p.p999.is_some() && p.p9999.is_none());
    }

    #[test]
    fn the_percentile_rule_needs_ten_samples_beyond_the_percentile() {
        assert_eq!(min_samples(0.5), 20);
        assert_eq!(min_samples(0.9), 100);
        assert_eq!(min_samples(0.99), 1_000);
        assert_eq!(min_samples(0.999), 10_000);
        assert_eq!(min_samples(0.9999), 100_000);
        assert_eq!(percentile_absent(0.999, 10_000), None);
        assert_eq!(percentile_absent(0.999, 9_999).as_deref(), Some("p99.9 needs 10000 samples, 9999 taken"));
        assert_eq!(percentile_name(0.5), "50");
        assert_eq!(percentile_name(0.9999), "99.99");
    }
}
