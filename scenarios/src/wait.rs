//! The wait dimension: how a side of a shared-memory transport waits when
//! it cannot proceed (ring full, ring empty, a rendezvous not yet taken), as
//! the user chooses it ([`Wait`]: `auto`, `spin`, `yield`, `block`), and the
//! one rule that turns a choice into the strategy a run uses
//! ([`Wait::resolve`]).
//!
//! Only transports that wait in user space take a strategy
//! ([`TransportKind::waits_in_user_space`]: the ring designs and
//! `eventfd-shm`); the kernel transports wait in the kernel and `crossbeam`
//! inside `crossbeam-channel`, so for them every choice resolves to `None`.
//!
//! `auto` is the harness's own choice: a ring design spins when its two
//! sides have a core each (as a ring built for latency does; `block` would
//! add a full fence to every send to check for a sleeping peer) and yields
//! when they share one core, where spinning only delays the peer it waits
//! for: `sched_yield` hands the core straight to the peer, with no futex, no
//! timer and no wake-up (a same-core 64-byte round trip took 1.4 us
//! yielding, 2.8 us sleeping on the futex, 2.5 us through a pipe). A side
//! that yields keeps its core busy while its peer is not runnable, so
//! `block` stays the choice for a user who wants the core free.
//! `eventfd-shm` blocks: its wake-ups through the kernel are its design.
//! `spin` on one shared core cannot make progress (each side spins out its
//! time slice before its peer runs) and is refused there.

use std::fmt;
use std::str::FromStr;

use bench_core::ring::WaitStrategy;
use bench_core::transport::TransportKind;
use serde::{Deserialize, Serialize};

/// How a scenario's sides wait, as asked: the harness's choice, or one
/// strategy for every transport that waits in user space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wait {
    /// The harness chooses (see the module documentation).
    #[default]
    Auto,
    /// Busy-poll: the lowest latency, a core burnt by each waiting side.
    Spin,
    /// Poll, and give the core away (`sched_yield`) between polls.
    Yield,
    /// Sleep on a futex and be woken by the peer.
    Block,
}

impl Wait {
    /// Every choice, `auto` first.
    pub const ALL: [Wait; 4] = [Wait::Auto, Wait::Spin, Wait::Yield, Wait::Block];

    /// The name the command line, suite files and results use.
    pub fn name(self) -> &'static str {
        match self {
            Wait::Auto => "auto",
            Wait::Spin => "spin",
            Wait::Yield => "yield",
            Wait::Block => "block",
        }
    }

    /// The strategy a choice asks for outright; `None` for `auto`.
    pub fn explicit(self) -> Option<WaitStrategy> {
        match self {
            Wait::Auto => None,
            Wait::Spin => Some(WaitStrategy::Spin),
            Wait::Yield => Some(WaitStrategy::Yield),
            Wait::Block => Some(WaitStrategy::Block),
        }
    }

    /// The choice that asks for `strategy` outright.
    pub fn of(strategy: WaitStrategy) -> Wait {
        match strategy {
            WaitStrategy::Spin => Wait::Spin,
            WaitStrategy::Yield => Wait::Yield,
            WaitStrategy::Block => Wait::Block,
        }
    }

    /// The strategy a run of `transport` uses for this choice, its two sides
    /// on one shared core or not: `None` when the transport does not wait in
    /// user space; for `auto` the rule of the module documentation; an
    /// explicit choice as asked. The only place the rule is written.
    pub fn resolve(self, transport: TransportKind, shares_core: bool) -> Option<WaitStrategy> {
        if !transport.waits_in_user_space() {
            return None;
        }
        Some(match (self.explicit(), transport) {
            (Some(asked), _) => asked,
            (None, TransportKind::ShmRing(_)) if shares_core => WaitStrategy::Yield,
            (None, TransportKind::ShmRing(_)) => WaitStrategy::Spin,
            (None, _) => WaitStrategy::Block,
        })
    }
}

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A wait that is not one of `auto`, `spin`, `yield`, `block`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("wait '{0}' is not one of: auto, spin, yield, block")]
pub struct UnknownWait(pub String);

impl FromStr for Wait {
    type Err = UnknownWait;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Wait::ALL.into_iter().find(|w| w.name() == s).ok_or_else(|| UnknownWait(s.to_owned()))
    }
}

/// Serde for an `Option<WaitStrategy>` as its name (`"spin"`, `"yield"`,
/// `"block"`) or `null`: `#[serde(with = "crate::wait::strategy_name")]`.
pub mod strategy_name {
    use bench_core::ring::WaitStrategy;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Write the strategy's name, or `null`.
    pub fn serialize<S: Serializer>(strategy: &Option<WaitStrategy>, out: S) -> Result<S::Ok, S::Error> {
        match strategy {
            Some(w) => out.serialize_some(w.name()),
            None => out.serialize_none(),
        }
    }

    /// Read a strategy's name, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<Option<WaitStrategy>, D::Error> {
        let name: Option<String> = Option::deserialize(input)?;
        name.map(|n| n.parse().map_err(|e: bench_core::ring::ConfigError| serde::de::Error::custom(e.0))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use bench_core::ring::Variant;

    use super::*;

    #[test]
    fn names_round_trip_and_a_bad_one_names_the_choices() {
        for w in Wait::ALL {
            assert_eq!(w.name().parse::<Wait>(), Ok(w));
            assert_eq!(serde_json::to_string(&w).unwrap(), format!("\"{w}\""));
            assert_eq!(serde_json::from_str::<Wait>(&format!("\"{w}\"")).unwrap(), w);
        }
        for strategy in WaitStrategy::ALL {
            assert_eq!(Wait::of(*strategy).explicit(), Some(*strategy));
            assert_eq!(Wait::of(*strategy).name(), strategy.name());
        }
        let error = "sleep".parse::<Wait>().unwrap_err().to_string();
        assert_eq!(error, "wait 'sleep' is not one of: auto, spin, yield, block");
        assert!("Spin".parse::<Wait>().is_err());
    }

    #[test]
    fn auto_is_the_harness_rule_and_explicit_choices_are_kept() {
        let ring = TransportKind::ShmRing(Variant::Ring);
        for variant in Variant::ALL {
            let design = TransportKind::ShmRing(*variant);
            assert_eq!(Wait::Auto.resolve(design, false), Some(WaitStrategy::Spin));
            assert_eq!(Wait::Auto.resolve(design, true), Some(WaitStrategy::Yield));
        }
        assert_eq!(Wait::Auto.resolve(TransportKind::EventfdShm, false), Some(WaitStrategy::Block));
        assert_eq!(Wait::Auto.resolve(TransportKind::EventfdShm, true), Some(WaitStrategy::Block));
        for shares_core in [false, true] {
            assert_eq!(Wait::Yield.resolve(ring, shares_core), Some(WaitStrategy::Yield));
            assert_eq!(Wait::Spin.resolve(TransportKind::EventfdShm, shares_core), Some(WaitStrategy::Spin));
            assert_eq!(Wait::Block.resolve(ring, shares_core), Some(WaitStrategy::Block));
        }
        for kind in TransportKind::ALL.into_iter().filter(|k| !k.waits_in_user_space()) {
            for w in Wait::ALL {
                assert_eq!(w.resolve(kind, false), None, "{kind} {w}");
            }
        }
    }

    #[test]
    fn a_used_strategy_is_its_name_or_null() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Used {
            #[serde(with = "strategy_name", default)]
            wait: Option<WaitStrategy>,
        }
        assert_eq!(serde_json::to_string(&Used { wait: Some(WaitStrategy::Yield) }).unwrap(), r#"{"wait":"yield"}"#);
        assert_eq!(serde_json::to_string(&Used { wait: None }).unwrap(), r#"{"wait":null}"#);
        assert_eq!(serde_json::from_str::<Used>(r#"{"wait":"block"}"#).unwrap().wait, Some(WaitStrategy::Block));
        assert_eq!(serde_json::from_str::<Used>("{}").unwrap().wait, None);
        assert!(serde_json::from_str::<Used>(r#"{"wait":"nap"}"#).unwrap_err().to_string().contains("spin"));
    }
}
