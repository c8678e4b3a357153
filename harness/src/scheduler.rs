//! Runs a suite's trials: after a warm-up, rounds that each run every
//! measured scenario once, as one trial between fresh worker processes, in
//! an order drawn anew for each round from the run's seed, so whatever the
//! machine does while the suite runs falls on every scenario alike
//! (randomized multiple interleaved trials: Abedi and Brecht, ICPE 2017).
//! Each trial is framed by two probes of the cache-line round trip on its
//! cores (`bench_core::floor::probe`), the machine's state around it.

use std::time::{Duration, Instant};

use bench_core::pin::available_cores;
use scenarios::results::{MachineStates, Probe, ScenarioResult, Status, Trial, TrialLengths};
use scenarios::{Scenario, selection};

use crate::measurement::{self, Placed};
use crate::supervisor::{self, RunError, RunSpec};

/// How a suite's trials are run.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// Rounds (trials per scenario).
    pub rounds: u32,
    /// Discarded trials per scenario before the first round.
    pub warmup_trials: u32,
    /// Trial length per pattern, ms.
    pub trial_ms: TrialLengths,
    /// The seed of every round's order.
    pub seed: u64,
}

/// How long a warm-up trial sends, ms: it only has to start the
/// processes and touch the channel once, whatever the pattern.
pub const WARMUP_TRIAL_MS: u64 = 10;

/// The order description a results file carries.
pub const ORDER: &str = "rounds; each runs every measured scenario once, in a permutation of its own drawn from \
     the seed and the round (fastrand's Fisher-Yates shuffle seeded with seed + round)";

/// The order of `round`: a permutation of `0..count`, the same for the
/// same `seed` and `round`.
pub fn order(count: usize, round: u32, seed: u64) -> Vec<usize> {
    let mut rng = fastrand::Rng::with_seed(seed.wrapping_add(u64::from(round)));
    let mut indices: Vec<usize> = (0..count).collect();
    rng.shuffle(&mut indices);
    indices
}

/// A seed for a run that was given none.
pub fn fresh_seed() -> u64 {
    fastrand::u64(..)
}

/// A scenario being measured: where, how, and its trials so far.
#[derive(Debug)]
pub struct Measured {
    /// The scenario.
    pub scenario: Scenario,
    /// Its cores and floor.
    pub placed: Placed,
    /// What one trial runs.
    pub spec: RunSpec,
    /// The result frame (realised capacity filled in).
    pub frame: ScenarioResult,
    /// Trials so far, in the order run.
    pub trials: Vec<Trial>,
    /// Why it stopped early: a warm-up or trial failed.
    pub failure: Option<(Status, String)>,
    /// The cores its probes run on (its own two, or its one and another);
    /// `None` on a one-core machine.
    pub probe_cores: Option<[usize; 2]>,
}

impl Measured {
    /// `scenario` on `placed`, one trial being `spec`.
    pub fn new(scenario: Scenario, placed: Placed, spec: RunSpec, frame: ScenarioResult) -> Measured {
        let probe_cores = probe_cores(placed.cores);
        Measured { scenario, placed, spec, frame, trials: Vec::new(), failure: None, probe_cores }
    }

    /// Its result from the trials so far, judged by the machine's states.
    pub fn result(&self, machine: &[MachineStates]) -> ScenarioResult {
        let result =
            measurement::summarise(self.frame.clone(), &self.scenario, &self.placed, self.trials.clone(), machine);
        match &self.failure {
            Some((status, reason)) => ScenarioResult { status: *status, reason: Some(reason.clone()), ..result },
            None => result,
        }
    }
}

/// The cores a trial on `cores` is probed on: its own two, or on one core
/// that core and the next one allowed, lower first (so a same-core trial on
/// core 1 shares the states of the cross-core pair 0,1); `None` when there
/// is no other.
pub fn probe_cores(cores: [usize; 2]) -> Option<[usize; 2]> {
    let [a, b] = cores;
    if a != b {
        return Some(cores);
    }
    let allowed = available_cores();
    let other = allowed.iter().copied().filter(|&c| c != a).min_by_key(|&c| (c < a, c))?;
    Some([a.min(other), a.max(other)])
}

/// The states of every probed pair of cores, from every trial's probes.
pub fn machine_states(measured: &[Measured]) -> Vec<MachineStates> {
    let mut pairs: Vec<[usize; 2]> = measured.iter().filter_map(|m| m.probe_cores).collect();
    pairs.sort();
    pairs.dedup();
    pairs
        .into_iter()
        .filter_map(|cores| {
            let probes: Vec<f64> = measured
                .iter()
                .flat_map(|m| &m.trials)
                .filter_map(|t| t.probe)
                .filter(|p| p.cores == cores)
                .flat_map(|p| [p.before_ns, p.after_ns])
                .collect();
            selection::machine_states(cores, &probes)
        })
        .collect()
}

/// What the scheduler reports as it goes.
pub trait Observer {
    /// A round starts.
    fn round(&mut self, round: u32, rounds: u32);
    /// A trial of `measured[index]` ended (the trial is its last).
    fn trial(&mut self, measured: &[Measured], index: usize) -> anyhow::Result<()>;
    /// A round ended.
    fn round_done(&mut self, measured: &[Measured]) -> anyhow::Result<()>;
}

/// Run the warm-up, then every round, over `measured`.
pub fn run(measured: &mut [Measured], schedule: &Schedule, observer: &mut dyn Observer) -> anyhow::Result<()> {
    let start = Instant::now();
    for m in measured.iter_mut() {
        let warmup = RunSpec { run: Duration::from_millis(WARMUP_TRIAL_MS), ..m.spec.clone() };
        for i in 0..schedule.warmup_trials {
            if let Err(e) = supervisor::run(&warmup) {
                m.failure = Some(failure(&format!("warm-up trial {}", i + 1), e));
                break;
            }
        }
    }
    for round in 0..schedule.rounds {
        observer.round(round, schedule.rounds);
        for index in order(measured.len(), round, schedule.seed) {
            let m = &mut measured[index];
            if m.failure.is_some() {
                continue;
            }
            let started_ms = start.elapsed().as_secs_f64() * 1e3;
            let before = m.probe_cores.and_then(|[a, b]| bench_core::floor::probe(a, b).ok());
            let report = supervisor::run(&m.spec);
            let after = m.probe_cores.and_then(|[a, b]| bench_core::floor::probe(a, b).ok());
            let probe = match (m.probe_cores, before, after) {
                (Some(cores), Some(before_ns), Some(after_ns)) => Some(Probe { cores, before_ns, after_ns }),
                _ => None,
            };
            match report {
                Ok(r) => {
                    let trial = measurement::trial_of(&m.scenario, &r, round, started_ms, probe);
                    m.trials.push(trial);
                }
                Err(e) => m.failure = Some(failure(&format!("trial {} (round {})", m.trials.len() + 1, round + 1), e)),
            }
            observer.trial(measured, index)?;
        }
        observer.round_done(measured)?;
    }
    Ok(())
}

fn failure(which: &str, e: RunError) -> (Status, String) {
    let status = match e {
        RunError::Refused(_) => Status::Refused,
        RunError::Failed(_) => Status::Failed,
    };
    (status, format!("{which}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_round_is_a_permutation_reproducible_from_the_seed() {
        for round in 0..5 {
            let mut o = order(40, round, 7);
            assert_eq!(o, order(40, round, 7), "same seed and round, same order");
            o.sort_unstable();
            assert_eq!(o, (0..40).collect::<Vec<_>>(), "every scenario once");
        }
        assert_ne!(order(40, 0, 7), order(40, 1, 7), "each round its own order");
        assert_ne!(order(40, 0, 7), order(40, 0, 8), "another seed, another order");
        assert!(order(0, 0, 1).is_empty());
    }

    #[test]
    fn a_same_core_trial_is_probed_against_another_core() {
        assert_eq!(probe_cores([0, 1]), Some([0, 1]));
        let allowed = available_cores();
        match allowed.as_slice() {
            [only] => assert_eq!(probe_cores([*only, *only]), None),
            [first, ..] => {
                let [a, b] = probe_cores([*first, *first]).unwrap();
                assert!(a == *first && b > a && allowed.contains(&b));
                let last = allowed[allowed.len() - 1];
                let [a, b] = probe_cores([last, last]).unwrap();
                assert!(a < b && b == last && allowed.contains(&a), "lower first");
            }
            [] => {}
        }
    }
}
