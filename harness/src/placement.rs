//! Where the two sides of a scenario run on this machine: a named
//! placement resolved against the detected topology (or why the machine
//! has no such pair), and explicit cores checked against the cores this
//! process may use; and where each of many producers runs
//! ([`producer_cores`]).

use bench_core::pin::available_cores;
use bench_core::topology::Topology;
use scenarios::{PlacementSpec, Suite};
use vocabulary::{Placement, Producers};

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

/// The cores of a scenario's producers, when the placement put the first
/// producer on `cores[0]` and the consumer on `cores[1]`: producer 0 on
/// `cores[0]`, each next one on the next core this process may use
/// (`allowed`, in order, wrapping around) that is not the consumer's. So
/// producers get cores of their own while there are any, then share them
/// round-robin; the consumer's core is shared only on a machine where no
/// other core is allowed, or in a same-core placement, where every
/// producer runs on the one core with the consumer.
pub fn producer_cores(cores: [usize; 2], producers: Producers, allowed: &[usize]) -> Vec<usize> {
    let [first, consumer] = cores;
    let mut free: Vec<usize> = allowed.iter().copied().filter(|&c| c != consumer).collect();
    if first == consumer || free.is_empty() {
        return vec![first; producers.count()];
    }
    // Start the round at the first producer's core (it may be an explicit
    // core outside `allowed`'s order; then it goes first).
    match free.iter().position(|&c| c == first) {
        Some(at) => free.rotate_left(at),
        None => free.insert(0, first),
    }
    (0..producers.count()).map(|k| free[k % free.len()]).collect()
}

/// How the processes of a run with `producer_cores` and a consumer on
/// `consumer` share cores, in words; `None` when each has a core of its own.
pub fn sharing(producer_cores: &[usize], consumer: usize) -> Option<String> {
    let mut all: Vec<usize> = producer_cores.to_vec();
    all.push(consumer);
    let processes = all.len();
    all.sort_unstable();
    all.dedup();
    (all.len() < processes).then(|| {
        format!(
            "{} producer{} and the consumer share {} core{} ({}): producers that share a core take turns, so \
             the figures show contention for cores as well as for the mailbox",
            producer_cores.len(),
            if producer_cores.len() == 1 { "" } else { "s" },
            all.len(),
            if all.len() == 1 { "" } else { "s" },
            list(&all)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(k: u16) -> Producers {
        Producers::new(k).unwrap()
    }

    #[test]
    fn producers_take_free_cores_in_turn_and_never_the_consumers_while_others_exist() {
        let allowed = [0, 1, 2, 3];
        assert_eq!(producer_cores([0, 1], n(1), &allowed), [0]);
        assert_eq!(producer_cores([0, 1], n(3), &allowed), [0, 2, 3]);
        assert_eq!(producer_cores([2, 1], n(4), &allowed), [2, 3, 0, 2]);
        assert_eq!(producer_cores([0, 1], n(4), &[0, 1]), [0, 0, 0, 0], "two cores: the producers share one");
        assert_eq!(producer_cores([1, 1], n(2), &allowed), [1, 1], "same-core: everyone on the one core");
        assert_eq!(producer_cores([0, 0], n(3), &[0]), [0, 0, 0], "one core");
        assert_eq!(producer_cores([5, 1], n(2), &allowed), [5, 0], "an explicit core outside the order goes first");
    }

    #[test]
    fn sharing_is_said_only_when_processes_outnumber_their_cores() {
        assert_eq!(sharing(&[0], 1), None);
        assert_eq!(sharing(&[0, 2, 3], 1), None);
        let said = sharing(&[0, 0], 1).unwrap();
        assert!(said.starts_with("2 producers and the consumer share 2 cores (0,1)"), "{said}");
        assert!(sharing(&[1], 1).unwrap().contains("share 1 core (1)"));
    }
}
