//! One scenario: the transport, capacity mode, message size, pattern and
//! core placement of one measurement, and its id
//! (`transport/capacity/sizeB/pattern/placement`, e.g.
//! `pipe/bounded:64/64B/stream/cross-core`), the key a results file and the
//! regression gate find it by.
//!
//! Every part prints as the name the command line takes, so an id is made
//! of names a user can type back.

use std::fmt;
use std::str::FromStr;

use bench_core::ring::Capacity;
use bench_core::topology::Placement;
use bench_core::transport::TransportKind;
use bench_core::workload::Pattern;

/// Where the two sides run: a named placement, resolved against this
/// machine's topology when the scenario runs, or two explicit cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlacementSpec {
    /// A physical relation (`cross-core`, ...): the harness picks the cores.
    Named(Placement),
    /// Producer (initiator) core and consumer (echo) core, as given.
    Cores(usize, usize),
}

impl PlacementSpec {
    /// The name a result's `placement` field carries: the placement's name,
    /// or `cores` for an explicit pair (the cores go in `cores`).
    pub fn name(self) -> &'static str {
        match self {
            PlacementSpec::Named(p) => p.name(),
            PlacementSpec::Cores(..) => "cores",
        }
    }
}

impl fmt::Display for PlacementSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementSpec::Named(p) => f.write_str(p.name()),
            PlacementSpec::Cores(a, b) => write!(f, "cores:{a},{b}"),
        }
    }
}

impl From<Placement> for PlacementSpec {
    fn from(p: Placement) -> Self {
        PlacementSpec::Named(p)
    }
}

/// A placement that is neither a placement name nor `cores:A,B`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "placement '{0}' is not one of: same-core, smt-sibling, cross-core, cross-ccx, cross-socket, \
     cores:A,B (two CPU numbers)"
)]
pub struct UnknownPlacementSpec(pub String);

impl FromStr for PlacementSpec {
    type Err = UnknownPlacementSpec;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || UnknownPlacementSpec(s.to_owned());
        match s.strip_prefix("cores:") {
            Some(pair) => {
                let (a, b) = pair.split_once(',').ok_or_else(unknown)?;
                let a = a.trim().parse().map_err(|_| unknown())?;
                let b = b.trim().parse().map_err(|_| unknown())?;
                Ok(PlacementSpec::Cores(a, b))
            }
            None => s.parse::<Placement>().map(PlacementSpec::Named).map_err(|_| unknown()),
        }
    }
}

/// One measurement to make: what carries the messages, how many may be in
/// flight, how big they are, how they are driven and on which cores.
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
    /// Where the two sides run.
    pub placement: PlacementSpec,
}

impl Scenario {
    /// The unique key of this scenario: `transport/capacity/sizeB/pattern/placement`,
    /// e.g. `pipe/bounded:64/64B/stream/cross-core` or
    /// `tcp/unbounded/8B/pingpong/cores:0,1`. Stable across versions: the
    /// regression gate matches results by it.
    pub fn id(&self) -> String {
        format!("{}/{}/{}B/{}/{}", self.transport, self.capacity, self.size, self.pattern, self.placement)
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

    #[test]
    fn id_is_the_documented_key() {
        let s = Scenario {
            transport: TransportKind::Pipe,
            capacity: Capacity::Bounded(64),
            size: 64,
            pattern: Pattern::Stream,
            placement: PlacementSpec::Named(Placement::CrossCore),
        };
        assert_eq!(s.id(), "pipe/bounded:64/64B/stream/cross-core");
        let t = Scenario {
            transport: TransportKind::Tcp,
            capacity: Capacity::Unbounded,
            size: 8,
            pattern: Pattern::Rate(10_000),
            placement: PlacementSpec::Cores(0, 1),
        };
        assert_eq!(t.id(), "tcp/unbounded/8B/rate:10000/cores:0,1");
        assert_eq!(t.to_string(), t.id());
    }

    #[test]
    fn placement_specs_round_trip_and_bad_ones_name_the_choices() {
        for spec in Placement::ALL.map(PlacementSpec::Named).into_iter().chain([PlacementSpec::Cores(3, 0)]) {
            assert_eq!(spec.to_string().parse::<PlacementSpec>(), Ok(spec));
        }
        assert_eq!("cores:1,1".parse::<PlacementSpec>(), Ok(PlacementSpec::Cores(1, 1)));
        assert_eq!(PlacementSpec::Cores(0, 1).name(), "cores");
        assert_eq!(PlacementSpec::Named(Placement::SameCore).name(), "same-core");
        for bad in ["cores:1", "cores:a,b", "cores:1,2,3", "next-door", ""] {
            let message = bad.parse::<PlacementSpec>().unwrap_err().to_string();
            assert!(message.contains("cross-core") && message.contains("cores:A,B"), "{message}");
        }
    }
}
