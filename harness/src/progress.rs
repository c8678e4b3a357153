//! Progress while a suite runs: a bar over every trial with ETA (indicatif)
//! when stderr is a terminal; otherwise (CI logs, pipes) one plain line per
//! round, saying how long it took and which states the machine was in.

use crate::terminal::tell;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use scenarios::Suite;
use scenarios::results::MachineStates;

use crate::scheduler::{Measured, Schedule, WARMUP_TRIAL_MS};

/// Per-trial cost beyond its length (two processes started and stopped,
/// channels, two probes), for the estimate printed at the start.
const TRIAL_OVERHEAD: Duration = Duration::from_millis(8);

/// Shows how far a suite has got.
pub struct Progress {
    bar: Option<ProgressBar>,
    round: u32,
    rounds: u32,
    round_started: Instant,
    trials_in_round: usize,
}

impl Progress {
    /// For `suite`, run on `schedule`, of which the `measured` scenarios run trials.
    pub fn new(suite: &Suite, schedule: &Schedule, measured: &[Measured]) -> Self {
        let warmup = (Duration::from_millis(WARMUP_TRIAL_MS) + TRIAL_OVERHEAD) * schedule.warmup_trials;
        let estimate: Duration =
            measured.iter().map(|m| (m.spec.run + TRIAL_OVERHEAD) * schedule.rounds + warmup).sum();
        let measured = measured.len();
        tell!(
            "{} scenarios ({measured} measured): {} rounds of one trial each ({} ms stream, {} ms pingpong, {} ms \
             rate; +{} warm-up), in a new order each round (seed {}): about {:.0} s",
            suite.scenarios.len(),
            schedule.rounds,
            schedule.trial_ms.stream,
            schedule.trial_ms.pingpong,
            schedule.trial_ms.rate,
            schedule.warmup_trials,
            schedule.seed,
            estimate.as_secs_f64()
        );
        Self::with_bar(measured, schedule)
    }

    /// For the load sweeps of `curves` curves, whose `steps` run on `schedule`.
    pub fn sweep(curves: usize, schedule: &Schedule, steps: &[Measured]) -> Self {
        let estimate: Duration = steps.iter().map(|m| (m.spec.run + TRIAL_OVERHEAD) * schedule.rounds).sum();
        tell!(
            "load sweeps: {curves} curves, {} steps, {} rounds of one trial each (each step long enough for {} \
             latencies, {} ms to {} s), in a new order each round: about {:.0} s",
            steps.len(),
            schedule.rounds,
            scenarios::load::STEP_SAMPLES,
            schedule.trial_ms.rate,
            scenarios::load::MAX_STEP.as_secs(),
            estimate.as_secs_f64()
        );
        Self::with_bar(steps.len(), schedule)
    }

    /// The bar (on a terminal) over `measured` x rounds trials.
    fn with_bar(measured: usize, schedule: &Schedule) -> Self {
        let total = measured as u64 * u64::from(schedule.rounds);
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} trials, eta {eta} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Self { bar, round: 0, rounds: schedule.rounds, round_started: Instant::now(), trials_in_round: 0 }
    }

    /// A round starts.
    pub fn round(&mut self, round: u32, rounds: u32) {
        (self.round, self.rounds, self.round_started, self.trials_in_round) = (round, rounds, Instant::now(), 0);
    }

    /// A trial of `m` ended (or failed: then its scenario stops).
    pub fn trial(&mut self, m: &Measured) {
        self.trials_in_round += 1;
        // The scheduler runs no trial of a failed scenario: a failure now is this trial's.
        if let Some((status, reason)) = &m.failure {
            self.say(format!("{} {}: {reason}", status.name().to_uppercase(), m.frame.id));
        }
        if let Some(bar) = &self.bar {
            bar.set_message(format!("round {}/{} {}", self.round + 1, self.rounds, m.frame.id));
            bar.inc(1);
        }
    }

    /// A round ended; `machine` is what the probes say so far.
    pub fn round_done(&mut self, machine: &[MachineStates]) {
        let states: Vec<String> = machine
            .iter()
            .map(|m| {
                let total: usize = m.states.iter().map(|s| s.probes).sum();
                let each: Vec<String> = m
                    .states
                    .iter()
                    .map(|s| format!("{} {:.0}%", s.label(), 100.0 * s.probes as f64 / total.max(1) as f64))
                    .collect();
                format!("cores {},{}: {}", m.cores[0], m.cores[1], each.join(", "))
            })
            .collect();
        self.say(format!(
            "round {}/{}: {} trials in {:.1} s; {}",
            self.round + 1,
            self.rounds,
            self.trials_in_round,
            self.round_started.elapsed().as_secs_f64(),
            if states.is_empty() { "no probes (one core)".to_owned() } else { states.join("; ") }
        ));
    }

    fn say(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => tell!("{line}"),
        }
    }

    /// The suite ended.
    pub fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
