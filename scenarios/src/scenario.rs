//! One scenario: the transport, capacity mode, message size, pattern, core
//! placement, number of producers and wait strategy of one measurement, and
//! its id (`transport/capacity/sizeB/pattern/placement`, e.g.
//! `pipe/bounded:64/64B/stream/cross-core`, with `/producers:N` after it
//! when more than one process sends, then `/wait:STRATEGY` when the wait
//! was chosen explicitly), the key a results file and the regression gate
//! find it by.
//!
//! Every part prints as the name the command line takes, so an id is made
//! of names a user can type back.

use std::fmt;

use vocabulary::{Capacity, Pattern, PlacementSpec, Producers, TransportKind, Wait, WaitStrategy};

/// One measurement to make: what carries the messages, how many may be in
/// flight, how big they are, how they are driven, on which cores, and how
/// a side that cannot proceed waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scenario {
    /// The transport.
    pub transport: TransportKind,
    /// The capacity mode asked for.
    pub capacity: Capacity,
    /// Message size in bytes (>= 1).
    pub size: usize,
    /// How the producer drives the channel.
    pub pattern: Pattern,
    /// Where the two sides run (with many producers: where the first
    /// producer and the consumer run; the others follow the rule of
    /// `harness::placement`).
    pub placement: PlacementSpec,
    /// How many producer processes send to the one consumer.
    pub producers: Producers,
    /// How a side waits, as asked; only transports that wait in user space
    /// are given anything but [`Wait::Auto`].
    pub wait: Wait,
}

impl Scenario {
    /// The unique key of this scenario: `transport/capacity/sizeB/pattern/placement`,
    /// e.g. `pipe/bounded:64/64B/stream/cross-core` or
    /// `tcp/unbounded/8B/pingpong/cores:0,1`, followed by `/producers:N`
    /// when more than one process sends
    /// (`shm-mailbox/bounded:64/64B/stream/cross-core/producers:3`), then
    /// `/wait:STRATEGY` when the wait was chosen explicitly
    /// (`shm-ring/bounded:8/64B/stream/cross-core/wait:block`); an `auto`
    /// scenario has no suffix. Stable across versions: the regression gate
    /// matches results by it.
    pub fn id(&self) -> String {
        let mut id = format!("{}/{}/{}B/{}/{}", self.transport, self.capacity, self.size, self.pattern, self.placement);
        if self.producers.many() {
            id.push_str(&format!("/producers:{}", self.producers));
        }
        match self.wait {
            Wait::Auto => id,
            explicit => format!("{id}/wait:{explicit}"),
        }
    }

    /// The strategy its runs wait by ([`Wait::resolve`] for this transport
    /// and placement); `None` when the transport does not wait in user space.
    pub fn wait_strategy(&self) -> Option<WaitStrategy> {
        self.wait.resolve(self.transport, self.placement.shares_core())
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vocabulary::{Placement, PlacementLabel};

    #[test]
    fn id_is_the_documented_key() {
        let s = Scenario {
            transport: TransportKind::Pipe,
            capacity: Capacity::Bounded(64),
            size: 64,
            pattern: Pattern::Stream,
            placement: PlacementSpec::Named(Placement::CrossCore),
            producers: Producers::ONE,
            wait: Wait::Auto,
        };
        assert_eq!(s.id(), "pipe/bounded:64/64B/stream/cross-core");
        let t = Scenario {
            transport: TransportKind::Tcp,
            capacity: Capacity::Unbounded,
            size: 8,
            pattern: Pattern::Rate(10_000),
            placement: PlacementSpec::Cores(0, 1),
            producers: Producers::ONE,
            wait: Wait::Auto,
        };
        assert_eq!(t.id(), "tcp/unbounded/8B/rate:10000/cores:0,1");
        assert_eq!(t.to_string(), t.id());
    }

    #[test]
    fn an_explicit_wait_ends_the_id_and_auto_leaves_it_as_it_was() {
        let auto = Scenario {
            transport: TransportKind::ShmRing(vocabulary::Variant::Ring),
            capacity: Capacity::Bounded(8),
            size: 64,
            pattern: Pattern::Stream,
            placement: PlacementSpec::Named(Placement::CrossCore),
            producers: Producers::ONE,
            wait: Wait::Auto,
        };
        assert_eq!(auto.id(), "shm-ring/bounded:8/64B/stream/cross-core");
        assert_eq!(auto.wait_strategy(), Some(WaitStrategy::Spin));
        let block = Scenario { wait: Wait::Block, ..auto };
        assert_eq!(block.id(), "shm-ring/bounded:8/64B/stream/cross-core/wait:block");
        assert_eq!(block.wait_strategy(), Some(WaitStrategy::Block));
        assert_eq!(Scenario { wait: Wait::Yield, ..auto }.id(), "shm-ring/bounded:8/64B/stream/cross-core/wait:yield");
        let one_core = Scenario { placement: PlacementSpec::Cores(1, 1), ..auto };
        assert_eq!(one_core.wait_strategy(), Some(WaitStrategy::Yield));
        let same_core = Scenario { placement: PlacementSpec::Named(Placement::SameCore), ..auto };
        assert_eq!(same_core.wait_strategy(), Some(WaitStrategy::Yield));
        let pipe = Scenario { transport: TransportKind::Pipe, ..auto };
        let three = Scenario { transport: TransportKind::PosixMq, producers: Producers::new(3).unwrap(), ..block };
        assert_eq!(three.id(), "posix-mq/bounded:8/64B/stream/cross-core/producers:3/wait:block");
        assert_eq!(pipe.wait_strategy(), None);
    }

    #[test]
    fn placement_specs_round_trip_and_bad_ones_name_the_choices() {
        for spec in Placement::ALL.map(PlacementSpec::Named).into_iter().chain([PlacementSpec::Cores(3, 0)]) {
            assert_eq!(spec.to_string().parse::<PlacementSpec>(), Ok(spec));
        }
        assert_eq!("cores:1,1".parse::<PlacementSpec>(), Ok(PlacementSpec::Cores(1, 1)));
        assert_eq!(PlacementSpec::Cores(0, 1).label(), PlacementLabel::Cores);
        assert_eq!(PlacementSpec::Named(Placement::SameCore).label().name(), "same-core");
        for bad in ["cores:1", "cores:a,b", "cores:1,2,3", "next-door", ""] {
            let message = bad.parse::<PlacementSpec>().unwrap_err().to_string();
            assert!(message.contains("cross-core") && message.contains("cores:A,B"), "{message}");
        }
    }
}
