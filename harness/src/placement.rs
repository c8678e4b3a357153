//! Where the two sides of a scenario run on this machine: a named
//! placement resolved against the detected topology (or why the machine
//! has no such pair), and explicit cores checked against the cores this
//! process may use.

use bench_core::pin::available_cores;
use bench_core::topology::Topology;
use scenarios::{PlacementSpec, Suite};
use vocabulary::Placement;

use crate::error::BadInput;

/// The placements this machine offers.
pub fn available(topology: &Topology) -> Vec<Placement> {
    topology.placements().into_iter().filter(|(_, pair)| pair.is_ok()).map(|(p, _)| p).collect()
}

/// Where a placement puts the two sides on this machine, or why it cannot.
pub fn resolve(topology: &Topology, spec: &PlacementSpec) -> Result<[usize; 2], String> {
    match spec {
        PlacementSpec::Named(p) => {
            topology.pair(*p).map(|(a, b)| [a, b]).ok_or_else(|| unavailable_reason(topology, *p))
        }
        PlacementSpec::Cores(a, b) => Ok([*a, *b]),
    }
}

fn unavailable_reason(topology: &Topology, p: Placement) -> String {
    topology
        .placements()
        .into_iter()
        .find(|(q, _)| *q == p)
        .and_then(|(_, r)| r.err())
        .unwrap_or_else(|| format!("this machine offers no {p} pair"))
}

/// Check explicit cores exist; bad ones are bad input.
pub fn check_cores(suite: &Suite) -> Result<(), BadInput> {
    for s in &suite.scenarios {
        if let PlacementSpec::Cores(a, b) = s.placement {
            check_cores_exist(&[a, b])?;
        }
    }
    Ok(())
}

/// Every one of `cores` is one this process may run on.
pub fn check_cores_exist(cores: &[usize]) -> Result<(), BadInput> {
    let available = available_cores();
    match cores.iter().find(|c| !available.contains(c)) {
        Some(c) => Err(BadInput(format!(
            "core {c} does not exist or is not allowed; this process may use cores {}",
            list(&available)
        ))),
        None => Ok(()),
    }
}

fn list(cores: &[usize]) -> String {
    cores.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}
