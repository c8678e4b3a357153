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
//! `shm-mailbox` blocks too: its senders are usually more processes than
//! there are cores, and a spinning sender takes a core from the receiver it
//! waits for. `shm-mailbox:mutex` always blocks, whatever is asked: its
//! condition variables are the textbook design it stands for, so `block` is
//! what a run of it records.
//! `spin` on one shared core cannot make progress (each side spins out its
//! time slice before its peer runs) and is refused there.
//!
//! [`WaitStrategy`] is what a side does; [`Wait`] is the choice a scenario
//! asks for.

use crate::{MailboxDesign, TransportKind};

/// A side's way of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WaitStrategy {
    /// Busy-poll with a spin hint: lowest latency, one core burnt per waiter.
    Spin,
    /// Spin briefly, then `sched_yield` between polls.
    Yield,
    /// Spin briefly, then sleep on a futex word in the shared mapping.
    Block,
}

crate::names::named_enum!(WaitStrategy, "wait strategy", Spin => "spin", Yield => "yield", Block => "block");

/// How a scenario's sides wait, as asked: the harness's choice, or one
/// strategy for every transport that waits in user space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
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
            (_, TransportKind::ShmMailbox(MailboxDesign::Mutex)) => WaitStrategy::Block,
            (Some(asked), _) => asked,
            (None, TransportKind::ShmRing(_)) if shares_core => WaitStrategy::Yield,
            (None, TransportKind::ShmRing(_)) => WaitStrategy::Spin,
            (None, _) => WaitStrategy::Block,
        })
    }
}

crate::names::named_enum!(Wait, "wait", Auto => "auto", Spin => "spin", Yield => "yield", Block => "block");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Variant;

    #[test]
    fn names_round_trip_and_a_bad_one_names_the_choices() {
        for w in Wait::ALL {
            assert_eq!(w.name().parse::<Wait>(), Ok(w));
            assert_eq!(serde_json::to_string(&w).unwrap(), format!("\"{w}\""));
            assert_eq!(serde_json::from_str::<Wait>(&format!("\"{w}\"")).unwrap(), w);
        }
        for strategy in WaitStrategy::ALL {
            assert_eq!(Wait::of(strategy).explicit(), Some(strategy));
            assert_eq!(Wait::of(strategy).name(), strategy.name());
        }
        let error = "sleep".parse::<Wait>().unwrap_err().to_string();
        assert_eq!(error, "wait 'sleep' is not one of: auto, spin, yield, block");
        assert!("Spin".parse::<Wait>().is_err());
    }

    #[test]
    fn auto_is_the_harness_rule_and_explicit_choices_are_kept() {
        let ring = TransportKind::ShmRing(Variant::Ring);
        for variant in Variant::ALL {
            let design = TransportKind::ShmRing(variant);
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
        let (lock_free, mutex) =
            (TransportKind::ShmMailbox(MailboxDesign::LockFree), TransportKind::ShmMailbox(MailboxDesign::Mutex));
        for shares_core in [false, true] {
            assert_eq!(Wait::Auto.resolve(lock_free, shares_core), Some(WaitStrategy::Block));
            assert_eq!(Wait::Spin.resolve(lock_free, shares_core), Some(WaitStrategy::Spin));
            for w in Wait::ALL {
                assert_eq!(w.resolve(mutex, shares_core), Some(WaitStrategy::Block), "{w}");
            }
        }
        for kind in TransportKind::ALL.into_iter().filter(|k| !k.waits_in_user_space()) {
            for w in Wait::ALL {
                assert_eq!(w.resolve(kind, false), None, "{kind} {w}");
            }
        }
    }

    #[test]
    fn a_used_strategy_is_its_name_or_null() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Used {
            #[serde(default)]
            wait: Option<WaitStrategy>,
        }
        assert_eq!(serde_json::to_string(&Used { wait: Some(WaitStrategy::Yield) }).unwrap(), r#"{"wait":"yield"}"#);
        assert_eq!(serde_json::to_string(&Used { wait: None }).unwrap(), r#"{"wait":null}"#);
        assert_eq!(serde_json::from_str::<Used>(r#"{"wait":"block"}"#).unwrap().wait, Some(WaitStrategy::Block));
        assert_eq!(serde_json::from_str::<Used>("{}").unwrap().wait, None);
        assert!(serde_json::from_str::<Used>(r#"{"wait":"nap"}"#).unwrap_err().to_string().contains("spin"));
    }
}
