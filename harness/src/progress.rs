//! Progress while a suite runs: a bar with ETA (indicatif) when stderr is a
//! terminal, one plain line per scenario otherwise (CI logs, pipes).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use scenarios::results::{ScenarioResult, Status};
use scenarios::{Scenario, Suite};

use crate::measurement::Plan;
use crate::summary::headline;

/// Shows how far a suite has got.
pub struct Progress {
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
}

impl Progress {
    /// For `suite`, run with `plan`.
    pub fn new(suite: &Suite, plan: &Plan) -> Self {
        let total = suite.scenarios.len();
        let per = plan.run + Duration::from_millis(60);
        let estimate = per * (plan.repeats + plan.warmup_runs) * total as u32;
        eprintln!(
            "{total} scenarios, {} runs each of {} ms (+{} warm-up): about {:.1} s",
            plan.repeats,
            plan.run.as_millis(),
            plan.warmup_runs,
            estimate.as_secs_f64()
        );
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} eta {eta} {msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar
        });
        Self { bar, total, done: 0 }
    }

    /// A scenario starts.
    pub fn start(&mut self, scenario: &Scenario) {
        if let Some(bar) = &self.bar {
            bar.set_message(scenario.id());
        }
    }

    /// A scenario ended.
    pub fn finish(&mut self, result: &ScenarioResult) {
        self.done += 1;
        let line = format!("[{}/{}] {:<48} {}", self.done, self.total, result.id, headline(result));
        match &self.bar {
            Some(bar) => {
                if !matches!(result.status, Status::Ok) {
                    bar.println(line);
                }
                bar.inc(1);
            }
            None => println!("{line}"),
        }
    }

    /// The suite ended.
    pub fn done(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
