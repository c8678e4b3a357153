//! Which load sweeps a suite runs: for a transport, capacity mode, message
//! size, placement and wait, the open-loop sweep of latency against
//! offered load ([`crate::load`] analyses it), and how many rounds of it.
//!
//! A sweep is not a pattern: it is a second phase of a run. Its first
//! phase is the stream scenario of the same cell ([`LoadSweep::stream`]),
//! whose throughput, measured in the same run, is the saturation the
//! sweep's offered rates are set from ([`crate::load::offered_rates`]);
//! its steps are ordinary `rate:R` scenarios ([`LoadSweep::step`]), run by
//! the harness like every other scenario (interleaved, shuffled, probed),
//! and their results are kept in the results file's `load_curves`, not in
//! its `scenarios`.

use vocabulary::{Capacity, Pattern, PlacementSpec, Producers, TransportKind, Wait};

use crate::load::Budget;
use crate::scenario::Scenario;

/// Rounds of each step in `harness all`: one trial per step already
/// collects the samples a p99.9 needs ([`crate::load::step_duration`]),
/// and the sweep has to fit in `all`'s time.
pub const ALL_LOAD_ROUNDS: u32 = 1;

/// Rounds of each step in `harness run --pattern load` (fewer when
/// `--trials` asks for fewer): three trials per step, so a noisy moment
/// falls on one trial of a step, not on the step.
pub const RUN_LOAD_ROUNDS: u32 = 3;

/// One curve to sweep: the cell of the matrix it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LoadSweep {
    /// The transport.
    pub transport: TransportKind,
    /// The capacity mode asked for.
    pub capacity: Capacity,
    /// Message size in bytes.
    pub size: usize,
    /// Where the two sides run.
    pub placement: PlacementSpec,
    /// How many producers send (their sends interleaved at each step's rate).
    pub producers: Producers,
    /// How a side waits, as asked.
    pub wait: Wait,
}

impl LoadSweep {
    /// The sweep of the cell `scenario` belongs to (its pattern ignored).
    pub fn of(scenario: &Scenario) -> LoadSweep {
        let Scenario { transport, capacity, size, placement, producers, wait, .. } = *scenario;
        LoadSweep { transport, capacity, size, placement, producers, wait }
    }

    /// The scenario of this cell with `pattern`.
    fn with(&self, pattern: Pattern) -> Scenario {
        let LoadSweep { transport, capacity, size, placement, producers, wait } = *self;
        Scenario { transport, capacity, size, pattern, placement, producers, wait }
    }

    /// The stream scenario whose throughput is this sweep's saturation.
    pub fn stream(&self) -> Scenario {
        self.with(Pattern::Stream)
    }

    /// The step offering `offered` messages a second: `rate:offered`.
    pub fn step(&self, offered: u64) -> Scenario {
        self.with(Pattern::Rate(offered.max(1)))
    }

    /// `transport/capacity/sizeB/load/placement` (then `/producers:N` with
    /// many producers and `/wait:STRATEGY` when asked explicitly): the
    /// stream's id with `load` for its pattern.
    pub fn id(&self) -> String {
        let stream = self.stream();
        let mut head = format!("{}/{}/{}B/load/{}", stream.transport, stream.capacity, stream.size, stream.placement);
        if stream.producers.many() {
            head.push_str(&format!("/producers:{}", stream.producers));
        }
        match stream.wait {
            Wait::Auto => head,
            explicit => format!("{head}/wait:{explicit}"),
        }
    }
}

/// The load sweeps of a suite.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSweeps {
    /// The curves, in order; no two alike.
    pub curves: Vec<LoadSweep>,
    /// Trials of each step (rounds of the sweep phase, >= 1).
    pub rounds: u32,
    /// Where each curve's knee is placed (`--p99-budget`).
    pub budget: Budget,
}

/// Equality is total: a budget is never NaN (`Budget`'s parser refuses
/// one, and `Budget::DEFAULT` is 10x), so a [`crate::Suite`] holding
/// sweeps stays `Eq`.
impl Eq for LoadSweeps {}

impl Default for LoadSweeps {
    /// No sweep.
    fn default() -> Self {
        LoadSweeps { curves: Vec::new(), rounds: ALL_LOAD_ROUNDS, budget: Budget::DEFAULT }
    }
}

impl LoadSweeps {
    /// `curves`, each once, `rounds` trials a step, the default budget.
    pub fn new(curves: impl IntoIterator<Item = LoadSweep>, rounds: u32) -> LoadSweeps {
        let mut unique: Vec<LoadSweep> = Vec::new();
        for c in curves {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        LoadSweeps { curves: unique, rounds: rounds.max(1), budget: Budget::DEFAULT }
    }

    /// No curve to sweep.
    pub fn is_empty(&self) -> bool {
        self.curves.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use vocabulary::Placement;

    use super::*;

    #[test]
    fn a_sweep_names_its_stream_and_steps() {
        let sweep = LoadSweep {
            transport: TransportKind::PosixMq,
            capacity: Capacity::Bounded(8),
            size: 64,
            placement: PlacementSpec::Named(Placement::CrossCore),
            producers: Producers::ONE,
            wait: Wait::Auto,
        };
        assert_eq!(sweep.id(), "posix-mq/bounded:8/64B/load/cross-core");
        let three = LoadSweep { producers: Producers::new(3).unwrap(), ..sweep };
        assert_eq!(three.id(), "posix-mq/bounded:8/64B/load/cross-core/producers:3");
        assert_eq!(three.step(10).id(), "posix-mq/bounded:8/64B/rate:10/cross-core/producers:3");
        assert_eq!(sweep.stream().id(), "posix-mq/bounded:8/64B/stream/cross-core");
        assert_eq!(sweep.step(4_000).id(), "posix-mq/bounded:8/64B/rate:4000/cross-core");
        assert_eq!(LoadSweep::of(&sweep.step(9)), sweep);
        let twice = LoadSweeps::new([sweep, sweep], 0);
        assert_eq!((twice.curves.len(), twice.rounds), (1, 1));
    }
}
