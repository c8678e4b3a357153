//! The results file's `load_curves`: for each load sweep a run made
//! ([`crate::load_sweeps`]), where its saturation came from, every step
//! as measured (or why not), and the curve's knee and saturation
//! ([`crate::load::LoadCurve`] judges them). `docs/results-schema.md`
//! documents each field.
//!
//! A step that could not be measured (refused, a failed trial) stays in
//! its curve, with its status and reason, and counts as a step whose
//! producer did not keep up: the knee never rises past it.

use serde::{Deserialize, Serialize};
use vocabulary::{Capacity, PlacementLabel, Status, TransportKind, Wait, WaitStrategy};

use crate::load::{Budget, LoadCurve, LoadStep};
use crate::results::Percentiles;

/// One load sweep's curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadCurveResult {
    /// `transport/capacity/sizeB/load/placement` (then `/producers:N` with
    /// many producers and `/wait:STRATEGY` when asked explicitly); unique in
    /// a file.
    pub id: String,
    /// The transport.
    pub transport: TransportKind,
    /// The capacity mode asked for.
    pub capacity: Capacity,
    /// Message size in bytes.
    pub size: usize,
    /// Placement name, or `cores` for explicit cores.
    pub placement: PlacementLabel,
    /// Producer core and consumer core; `None` when the placement was unavailable.
    pub cores: Option<[usize; 2]>,
    /// How a side waits, as asked.
    pub wait_asked: Wait,
    /// The strategy its sides waited by; `None` for transports that do not
    /// wait in user space.
    pub wait: Option<WaitStrategy>,
    /// `ok` when its steps ran (each step has a status of its own);
    /// otherwise why no step ran (`failed`, `refused`, `unavailable`).
    pub status: Status,
    /// Why, when not `ok`.
    pub reason: Option<String>,
    /// Trials of each step.
    pub rounds: u32,
    /// The p99 budget the knee is placed by, as given (`10x`, `50us`).
    pub budget: Budget,
    /// The p99 limit, ns, the budget came to; `None` when it could not be
    /// set (a relative budget and a lowest step without a p99).
    pub limit_ns: Option<f64>,
    /// Where the saturation the offered rates were set from came from.
    pub saturation_source: SaturationSource,
    /// The steps, ascending by offered rate.
    pub steps: Vec<LoadStepResult>,
    /// The knee: the highest offered rate, msgs/s, within budget below the
    /// first step that is not; `None` when there is none (see `knee_reason`).
    pub knee: Option<u64>,
    /// Why there is no knee, when there is none.
    pub knee_reason: Option<String>,
    /// The highest rate, msgs/s, any step's producer achieved; `None`
    /// without a measured step.
    pub saturation: Option<f64>,
}

/// The stream scenario whose throughput set a sweep's offered rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaturationSource {
    /// Its id in the file's `scenarios`.
    pub scenario: String,
    /// Its throughput, msgs/s: the median of its used trials, or of all
    /// its trials when too few were used for a figure; `None` when it
    /// measured none (and then no step ran).
    pub msgs_per_s: Option<f64>,
}

/// One step of a curve: an offered rate and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadStepResult {
    /// Offered rate, msgs/s (the step ran as `rate:offered`).
    pub offered: u64,
    /// `ok` when measured; otherwise why not (`refused`, `failed`).
    pub status: Status,
    /// Why, when not `ok`.
    pub reason: Option<String>,
    /// Trials run and merged.
    pub trials: u32,
    /// How long each trial sent, ns.
    pub duration_ns: u64,
    /// Messages a second the producer sent: its lowest trial's figure.
    pub achieved: f64,
    /// The largest lag of a send behind its due time over its trials, ns.
    pub max_send_lag_ns: u64,
    /// Latencies recorded, all its trials merged.
    pub samples: u64,
    /// One-way latency from the due time, ns, of the merged samples;
    /// `null` below the samples the percentile rule asks for.
    pub p50_ns: Option<f64>,
    /// Likewise, p99.
    pub p99_ns: Option<f64>,
    /// Likewise, p99.9 (10,000 samples).
    pub p999_ns: Option<f64>,
    /// The largest latency, ns; `None` without samples.
    pub max_ns: Option<f64>,
    /// The producer kept up (>= 95% of the offered rate, no send a tenth
    /// of the step late); never for a step not measured.
    pub kept_up: bool,
}

impl LoadStepResult {
    /// A measured step (`trials` trials merged into `step`).
    pub fn measured(step: &LoadStep, trials: u32) -> LoadStepResult {
        let l = &step.latency;
        LoadStepResult {
            offered: step.offered,
            status: Status::Ok,
            reason: None,
            trials,
            duration_ns: step.duration_ns,
            achieved: step.achieved,
            max_send_lag_ns: step.max_send_lag_ns,
            samples: l.count,
            p50_ns: l.p50,
            p99_ns: l.p99,
            p999_ns: l.p999,
            max_ns: (l.count > 0).then_some(l.max),
            kept_up: step.kept_up,
        }
    }

    /// A step that was not measured: `status`, because `reason`.
    pub fn not_measured(offered: u64, duration_ns: u64, trials: u32, status: Status, reason: String) -> LoadStepResult {
        LoadStepResult {
            offered,
            status,
            reason: Some(reason),
            trials,
            duration_ns,
            achieved: 0.0,
            max_send_lag_ns: 0,
            samples: 0,
            p50_ns: None,
            p99_ns: None,
            p999_ns: None,
            max_ns: None,
            kept_up: false,
        }
    }

    /// The step as the analysis sees it (one not measured: nothing sent).
    fn as_load_step(&self) -> LoadStep {
        LoadStep {
            offered: self.offered,
            achieved: self.achieved,
            duration_ns: self.duration_ns,
            max_send_lag_ns: self.max_send_lag_ns,
            latency: Percentiles {
                count: self.samples,
                p50: self.p50_ns,
                p99: self.p99_ns,
                p999: self.p999_ns,
                max: self.max_ns.unwrap_or(0.0),
                ..Percentiles::default()
            },
            kept_up: self.kept_up && self.status == Status::Ok,
        }
    }
}

/// What a curve is, before its steps are judged: everything but the
/// steps and what is read off them.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveFrame {
    /// See [`LoadCurveResult::id`].
    pub id: String,
    /// The transport.
    pub transport: TransportKind,
    /// The capacity mode.
    pub capacity: Capacity,
    /// Message size.
    pub size: usize,
    /// Placement label.
    pub placement: PlacementLabel,
    /// Cores, if placed.
    pub cores: Option<[usize; 2]>,
    /// Wait asked.
    pub wait_asked: Wait,
    /// Wait used.
    pub wait: Option<WaitStrategy>,
    /// Trials of each step.
    pub rounds: u32,
    /// The budget.
    pub budget: Budget,
    /// The saturation's source.
    pub saturation_source: SaturationSource,
}

impl LoadCurveResult {
    /// The curve of `frame` with `steps`, its knee placed by
    /// [`LoadCurve::of`].
    pub fn of(frame: CurveFrame, steps: Vec<LoadStepResult>) -> LoadCurveResult {
        let mut steps = steps;
        steps.sort_by_key(|s| s.offered);
        let curve = LoadCurve::of(steps.iter().map(LoadStepResult::as_load_step).collect(), frame.budget);
        let knee_reason = curve.knee.is_none().then(|| why_no_knee(&curve, &steps));
        let measured = steps.iter().any(|s| s.status == Status::Ok);
        LoadCurveResult {
            id: frame.id,
            transport: frame.transport,
            capacity: frame.capacity,
            size: frame.size,
            placement: frame.placement,
            cores: frame.cores,
            wait_asked: frame.wait_asked,
            wait: frame.wait,
            status: Status::Ok,
            reason: None,
            rounds: frame.rounds,
            budget: frame.budget,
            limit_ns: curve.limit_ns,
            saturation_source: frame.saturation_source,
            knee: curve.knee,
            knee_reason,
            saturation: if measured { curve.saturation } else { None },
            steps,
        }
    }

    /// A curve none of whose steps ran: `status`, because `reason`.
    pub fn not_measured(frame: CurveFrame, status: Status, reason: String) -> LoadCurveResult {
        LoadCurveResult {
            status,
            reason: Some(reason.clone()),
            knee_reason: Some(reason),
            ..LoadCurveResult::of(frame, Vec::new())
        }
    }
}

/// Why `curve` (of `steps`, sorted) has no knee, in words.
fn why_no_knee(curve: &LoadCurve, steps: &[LoadStepResult]) -> String {
    let Some(lowest) = steps.first() else {
        return "no step ran".into();
    };
    if lowest.status != Status::Ok {
        return format!("the lowest step ({} msgs/s) was not measured", lowest.offered);
    }
    if !lowest.kept_up {
        return format!("the producer did not keep up even the lowest step ({} msgs/s)", lowest.offered);
    }
    match (lowest.p99_ns, curve.limit_ns) {
        (None, _) | (_, None) => format!(
            "the lowest step ({} msgs/s) has no p99 ({} samples; a p99 needs 1000)",
            lowest.offered, lowest.samples
        ),
        (Some(p99), Some(limit)) => format!(
            "the lowest step's p99 ({p99:.0} ns at {} msgs/s) is over the budget's {limit:.0} ns",
            lowest.offered
        ),
    }
}

#[cfg(test)]
mod tests {
    use bench_core::workload::histogram;
    use std::time::Duration;
    use vocabulary::Placement;

    use super::*;
    use crate::load::offered_rates;

    fn frame(budget: Budget) -> CurveFrame {
        CurveFrame {
            id: "pipe/bounded:8/64B/load/cross-core".into(),
            transport: TransportKind::Pipe,
            capacity: Capacity::Bounded(8),
            size: 64,
            placement: PlacementLabel::Named(Placement::CrossCore),
            cores: Some([0, 1]),
            wait_asked: Wait::Auto,
            wait: None,
            rounds: 1,
            budget,
            saturation_source: SaturationSource {
                scenario: "pipe/bounded:8/64B/stream/cross-core".into(),
                msgs_per_s: Some(64_000.0),
            },
        }
    }

    /// A measured step of 20,000 latencies: 98% at 1 us, 2% at `p99_ns`.
    fn step(offered: u64, p99_ns: u64) -> LoadStepResult {
        let mut h = histogram::new();
        h.record_n(1_000, 19_600).unwrap();
        h.record_n(p99_ns, 400).unwrap();
        LoadStepResult::measured(&LoadStep::of(offered, Duration::from_millis(500), offered as f64, 0, &h), 1)
    }

    #[test]
    fn a_failed_step_stops_the_knee_and_the_curve_round_trips() {
        let rates = offered_rates(64_000);
        let mut steps: Vec<_> = rates.iter().map(|&r| step(r, 5_000)).collect();
        steps[4] = LoadStepResult::not_measured(rates[4], 1, 1, Status::Failed, "trial 1: crashed".into());
        let curve = LoadCurveResult::of(frame(Budget::DEFAULT), steps);
        assert_eq!(curve.knee, Some(rates[3]));
        assert_eq!(curve.knee_reason, None);
        assert_eq!(curve.saturation, Some(rates[7] as f64));
        assert!(curve.steps[0].p999_ns.is_some() && curve.steps[4].p99_ns.is_none());
        let text = serde_json::to_string(&curve).unwrap();
        assert_eq!(serde_json::from_str::<LoadCurveResult>(&text).unwrap(), curve);
    }

    #[test]
    fn a_curve_without_a_knee_says_why() {
        let rates = offered_rates(64_000);
        let steps: Vec<_> = rates.iter().map(|&r| step(r, 80_000)).collect();
        let curve = LoadCurveResult::of(frame(Budget::Absolute(50_000)), steps);
        assert_eq!(curve.knee, None);
        assert!(curve.knee_reason.as_deref().unwrap().contains("over the budget"), "{:?}", curve.knee_reason);
        let none = LoadCurveResult::not_measured(frame(Budget::DEFAULT), Status::Failed, "stream failed".into());
        assert_eq!((none.knee, none.saturation, none.knee_reason.as_deref()), (None, None, Some("stream failed")));
    }
}
