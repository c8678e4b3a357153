//! A suite laid out on this machine before anything is measured: every
//! scenario placed on two cores (`placement.rs`), made into the run each of
//! its trials is (`supervisor::RunSpec`, made here and nowhere else), and
//! its channel probed once (`supervisor::probe`: created and dropped at
//! once) for the capacity the transport realises, or why it refuses.
//!
//! `harness run` turns what its one scenario cannot do into bad input; a
//! suite records it as a row (`unavailable`, `refused`). Either way the run
//! that follows (`suite_run.rs`) measures from this plan, so nothing is
//! placed or probed twice. A load sweep's steps are planned here too
//! ([`Plan::step`]), once the streams that set their rates are measured.

use std::time::Duration;

use bench_core::topology::Topology;
use bench_core::transport::Realised;
use scenarios::{Scenario, Suite};

use crate::error::BadInput;
use crate::placement::{check_cores, resolve};
use crate::supervisor::{self, RunSpec};

/// A suite placed and probed on this machine.
#[derive(Debug)]
pub struct Plan<'s> {
    /// The suite.
    pub suite: &'s Suite,
    /// This machine's cores, as detected.
    pub topology: Topology,
    /// Every scenario of the suite, in its order, with what it can do here.
    pub scenarios: Vec<(&'s Scenario, Planned)>,
}

/// What one scenario can do on this machine.
#[derive(Debug)]
pub enum Planned {
    /// This machine has no pair of cores for its placement: why.
    Unavailable(String),
    /// Placed on `cores`, but its transport refuses it: why.
    Refused {
        /// Producer (initiator) core, consumer (echo) core.
        cores: [usize; 2],
        /// The transport's reason.
        why: String,
    },
    /// Placed and accepted.
    Runnable {
        /// What one of its trials runs (its cores included).
        spec: RunSpec,
        /// The capacity its channel realises.
        realised: Realised,
    },
}

impl Planned {
    /// The cores it was placed on, unless its placement is unavailable.
    pub fn cores(&self) -> Option<[usize; 2]> {
        match self {
            Planned::Unavailable(_) => None,
            Planned::Refused { cores, .. } => Some(*cores),
            Planned::Runnable { spec, .. } => Some(spec.cores),
        }
    }
}

impl<'s> Plan<'s> {
    /// Place and probe every scenario of `suite` on `topology`; explicit
    /// cores this process may not use are bad input.
    pub fn new(suite: &'s Suite, topology: Topology) -> Result<Plan<'s>, BadInput> {
        check_cores(suite)?;
        let scenarios = suite
            .scenarios
            .iter()
            .map(|s| (s, plan(s, &topology, Duration::from_millis(suite.trial_ms.of(s.pattern)))))
            .collect();
        Ok(Plan { suite, topology, scenarios })
    }
}

impl Plan<'_> {
    /// A load sweep's step (`rate:R`, from `LoadSweep::step`), placed and
    /// probed like every scenario, each trial sending for `run`: the steps'
    /// rates are known only once the run's streams are measured, so they
    /// are planned then, here.
    pub fn step(&self, step: &Scenario, run: Duration) -> Planned {
        plan(step, &self.topology, run)
    }
}

/// Where `scenario` of `suite` runs on `topology`, and whether its transport takes it.
fn plan(scenario: &Scenario, topology: &Topology, run: Duration) -> Planned {
    let cores = match resolve(topology, &scenario.placement) {
        Ok(cores) => cores,
        Err(why) => return Planned::Unavailable(why),
    };
    let spec = RunSpec::of(scenario, cores, run);
    match supervisor::probe(&spec) {
        Ok(realised) => Planned::Runnable { spec, realised },
        Err(e) => Planned::Refused { cores, why: e.to_string() },
    }
}
