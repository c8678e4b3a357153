//! The second phase of a run with load sweeps (`scenarios::load_sweeps`):
//! once the run's scenarios are measured, each sweep's saturation is read
//! off its stream scenario (the median throughput of its trials), its
//! offered rates are drawn from it (`scenarios::load::offered_rates`), and
//! each rate becomes a `rate:R` step, planned like any scenario
//! (`plan.rs`, [`Plan::step`]) with its trials lasting
//! `scenarios::load::step_duration`. The steps of every sweep are then run
//! together by the scheduler (`suite_run.rs` calls it: interleaved,
//! shuffled, probed), so a noisy moment falls on every curve alike; and
//! here each step's trials are merged into a `LoadStep` and each curve
//! judged (`LoadCurveResult::of`).
//!
//! A step's figures come from all its trials, merged (the machine-state
//! selection that makes a scenario's headline needs three trials, and a
//! step runs one or three): its latencies are the merged histograms, its
//! achieved rate the lowest trial's, its lag the largest. A step that
//! could not run, or failed, stays in its curve with its reason and counts
//! as not kept up.

use std::time::Duration;

use bench_core::workload::histogram;
use scenarios::load::{LoadStep, offered_rates, step_duration};
use scenarios::load_curves::{CurveFrame, LoadCurveResult, LoadStepResult, SaturationSource};
use scenarios::results::{Integrity, ScenarioResult, Status};
use scenarios::{LoadSweep, Scenario};

use crate::measurement::{self, Placed};
use crate::plan::{Plan, Planned};
use crate::scheduler::Measured;

/// One curve, planned: what it is, and where each of its steps stands.
#[derive(Debug)]
pub struct PlannedCurve {
    frame: CurveFrame,
    /// Why no step can run (the stream measured nothing), if so.
    not_measured: Option<(Status, String)>,
    steps: Vec<PlannedStep>,
}

#[derive(Debug)]
enum PlannedStep {
    /// Known already (refused, unavailable).
    Fixed(LoadStepResult),
    /// Index into the steps handed to the scheduler.
    Measured(usize),
}

/// Plan every load sweep of `plan`'s suite from `results`, the run's
/// measured scenarios; the steps to measure are appended to `steps`,
/// each placed by `placed`.
pub fn plan(
    plan: &Plan<'_>,
    results: &[ScenarioResult],
    placed: &dyn Fn([usize; 2]) -> Placed,
    steps: &mut Vec<Measured>,
) -> Vec<PlannedCurve> {
    let load = &plan.suite.load;
    let trial = Duration::from_millis(plan.suite.trial_ms.rate);
    load.curves
        .iter()
        .map(|sweep| {
            let source_id = sweep.stream().id();
            let source = results.iter().find(|r| r.id == source_id);
            let saturation = source.and_then(saturation_of);
            let frame = frame_of(sweep, source, source_id, saturation, load.rounds, load.budget);
            let Some(saturation) = saturation else {
                let why = match source {
                    Some(s) => (
                        match s.status {
                            Status::Unavailable | Status::Refused => s.status,
                            _ => Status::Failed,
                        },
                        format!(
                            "its stream {} measured no throughput{}",
                            s.id,
                            s.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
                        ),
                    ),
                    None => (Status::Failed, format!("the run has no stream {}", frame.saturation_source.scenario)),
                };
                return PlannedCurve { frame, not_measured: Some(why), steps: Vec::new() };
            };
            let rates = offered_rates(saturation.round() as u64);
            let planned =
                rates.into_iter().map(|offered| plan_step(plan, sweep, offered, trial, placed, steps)).collect();
            PlannedCurve { frame, not_measured: None, steps: planned }
        })
        .collect()
}

/// The step of `sweep` offering `offered`, planned; appended to `steps`
/// when it can run.
fn plan_step(
    plan: &Plan<'_>,
    sweep: &LoadSweep,
    offered: u64,
    trial: Duration,
    placed: &dyn Fn([usize; 2]) -> Placed,
    steps: &mut Vec<Measured>,
) -> PlannedStep {
    let scenario: Scenario = sweep.step(offered);
    let run = step_duration(offered, trial);
    let run_ns = u64::try_from(run.as_nanos()).unwrap_or(u64::MAX);
    match plan.step(&scenario, run) {
        Planned::Unavailable(why) => {
            PlannedStep::Fixed(LoadStepResult::not_measured(offered, run_ns, 0, Status::Unavailable, why))
        }
        Planned::Refused { why, .. } => {
            PlannedStep::Fixed(LoadStepResult::not_measured(offered, run_ns, 0, Status::Refused, why))
        }
        Planned::Runnable { spec, realised } => {
            let here = placed(spec.cores);
            let mut frame = measurement::not_measured(&scenario, Some(&here), Status::Ok, String::new());
            frame.realised_capacity = realised.messages;
            frame.realised_detail = realised.detail;
            steps.push(Measured::new(scenario, here, spec, frame));
            PlannedStep::Measured(steps.len() - 1)
        }
    }
}

/// The stream's throughput, msgs/s: its headline median, or, when too few
/// trials were used for one, the median of all its trials.
fn saturation_of(stream: &ScenarioResult) -> Option<f64> {
    if let Some(e) = stream.msgs_per_s {
        return Some(e.median);
    }
    if stream.status == Status::Failed {
        return None;
    }
    let all: Vec<f64> = stream.trials.iter().filter_map(|t| t.msgs_per_s).collect();
    (!all.is_empty()).then(|| vocabulary::stats::median(&all))
}

fn frame_of(
    sweep: &LoadSweep,
    source: Option<&ScenarioResult>,
    source_id: String,
    saturation: Option<f64>,
    rounds: u32,
    budget: scenarios::load::Budget,
) -> CurveFrame {
    let stream = sweep.stream();
    CurveFrame {
        id: sweep.id(),
        transport: sweep.transport,
        capacity: sweep.capacity,
        size: sweep.size,
        placement: sweep.placement.label(),
        cores: source.and_then(|s| s.cores),
        wait_asked: sweep.wait,
        wait: stream.wait_strategy(),
        rounds,
        budget,
        saturation_source: SaturationSource { scenario: source_id, msgs_per_s: saturation },
    }
}

/// Every planned curve, judged from the measured `steps`.
pub fn curves(planned: Vec<PlannedCurve>, steps: &[Measured]) -> Vec<LoadCurveResult> {
    planned
        .into_iter()
        .map(|curve| match curve.not_measured {
            Some((status, why)) => LoadCurveResult::not_measured(curve.frame, status, why),
            None => {
                let results = curve
                    .steps
                    .into_iter()
                    .map(|step| match step {
                        PlannedStep::Fixed(result) => result,
                        PlannedStep::Measured(i) => step_result(&steps[i]),
                    })
                    .collect();
                LoadCurveResult::of(curve.frame, results)
            }
        })
        .collect()
}

/// One step's figures from all its trials, merged.
fn step_result(m: &Measured) -> LoadStepResult {
    let offered = m.scenario.pattern.rate().unwrap_or(0);
    let run_ns = u64::try_from(m.spec.run.as_nanos()).unwrap_or(u64::MAX);
    let trials = m.trials.len() as u32;
    if let Some((status, why)) = &m.failure {
        return LoadStepResult::not_measured(offered, run_ns, trials, *status, why.clone());
    }
    let mut integrity = Integrity::default();
    for t in &m.trials {
        integrity.add(&t.integrity);
    }
    if !integrity.is_clean() {
        let why = format!("integrity: {}", integrity.problems());
        return LoadStepResult::not_measured(offered, run_ns, trials, Status::Failed, why);
    }
    if m.trials.is_empty() {
        return LoadStepResult::not_measured(offered, run_ns, 0, Status::Failed, "no trial ran".into());
    }
    let mut merged = histogram::new();
    for t in &m.trials {
        if let Some(h) = t.histogram.as_deref().and_then(|h| histogram::decode(h).ok()) {
            merged.add(h).ok();
        }
    }
    let achieved = m.trials.iter().map(|t| t.send_rate.unwrap_or(0.0)).fold(f64::INFINITY, f64::min);
    let lag = m.trials.iter().filter_map(|t| t.max_send_lag_ns).max().unwrap_or(0);
    LoadStepResult::measured(&LoadStep::of(offered, m.spec.run, achieved, lag, &merged), trials)
}
