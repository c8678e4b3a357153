//! What the gate compares in a scenario, and its samples: one value per
//! *used* trial (one run between fresh worker processes each, kept for the
//! headline figure by the results file's selection), never the samples
//! inside a trial and never a trial set aside.
//!
//! A stream has one metric, its throughput (messages per second at the
//! consumer; higher is better). A pingpong or rate:R scenario has two, its
//! latency at p50 and at p99 (round trip or one way; lower is better). A
//! trial whose percentile is absent (too few samples to support it, see
//! [`scenarios::results::PERCENTILE_RULE`]) contributes no sample of it.

use scenarios::results::{ScenarioResult, Trial};
use serde::Serialize;
use vocabulary::Pattern;

/// One compared figure of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    /// Messages per second at the consumer (stream).
    Throughput,
    /// The 50th percentile of latency (pingpong, rate).
    LatencyP50,
    /// The 99th percentile of latency (pingpong, rate).
    LatencyP99,
}

impl Metric {
    /// Every metric, in the order tables show them.
    pub const ALL: [Metric; 3] = [Metric::Throughput, Metric::LatencyP50, Metric::LatencyP99];

    /// The name used in tables, files and noise profiles.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Throughput => "throughput",
            Metric::LatencyP50 => "p50",
            Metric::LatencyP99 => "p99",
        }
    }

    /// The metric called `name`, if any.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// True for throughput: a larger value is an improvement.
    pub fn higher_is_better(self) -> bool {
        self == Metric::Throughput
    }

    /// The unit of the samples.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::Throughput => "msgs/s",
            Metric::LatencyP50 | Metric::LatencyP99 => "ns",
        }
    }

    /// The latency quantile this metric is (0.5, 0.99); `None` for throughput.
    pub fn quantile(self) -> Option<f64> {
        match self {
            Metric::Throughput => None,
            Metric::LatencyP50 => Some(0.5),
            Metric::LatencyP99 => Some(0.99),
        }
    }

    /// The metrics `scenario` has: throughput for a stream, p50 and p99
    /// for a scenario with a latency distribution.
    pub fn of(scenario: &ScenarioResult) -> Vec<Metric> {
        match scenario.pattern {
            Pattern::Stream => vec![Metric::Throughput],
            Pattern::PingPong | Pattern::Rate(_)
                if scenario.trials.iter().any(|t| t.latency.is_some()) || scenario.latency.is_some() =>
            {
                vec![Metric::LatencyP50, Metric::LatencyP99]
            }
            Pattern::PingPong | Pattern::Rate(_) => Vec::new(),
        }
    }

    /// This metric's value in one trial, if the trial has it.
    pub fn of_trial(self, trial: &Trial) -> Option<f64> {
        match self {
            Metric::Throughput => trial.msgs_per_s,
            Metric::LatencyP50 => trial.latency.and_then(|l| l.p50),
            Metric::LatencyP99 => trial.latency.and_then(|l| l.p99),
        }
    }

    /// One value per used trial of `scenario` that has this metric, in the
    /// order run; set-aside trials never count.
    pub fn samples(self, scenario: &ScenarioResult) -> Vec<f64> {
        scenario.used_trials().filter_map(|t| self.of_trial(t)).filter(|v| v.is_finite()).collect()
    }
}

impl std::fmt::Display for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
