//! The capacity mode of a channel: zero (the sender waits for the
//! receiver), bounded (the sender waits when n messages are queued) or
//! unbounded (the sender never waits).

use std::fmt;
use std::str::FromStr;

use crate::UnknownName;

/// How many messages may be in flight between `send` and the consumer taking them.
///
/// Ordered as reports list them: rendezvous, then bounded by `n`, then unbounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capacity {
    /// Zero capacity: `send` returns only after the consumer has taken the message.
    Rendezvous,
    /// At most `n` messages in flight (n >= 1); the sender waits when full.
    Bounded(usize),
    /// The sender never waits: the channel grows while the consumer lags.
    Unbounded,
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Capacity::Rendezvous => f.pad("rendezvous"),
            Capacity::Bounded(n) => f.pad(&format!("bounded:{n}")),
            Capacity::Unbounded => f.pad("unbounded"),
        }
    }
}

impl FromStr for Capacity {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "rendezvous" => Ok(Capacity::Rendezvous),
            "unbounded" => Ok(Capacity::Unbounded),
            _ => s
                .strip_prefix("bounded:")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&n| n >= 1)
                .map(Capacity::Bounded)
                .ok_or_else(|| UnknownName::new("capacity", s, "rendezvous, bounded:N (N >= 1), unbounded")),
        }
    }
}

crate::names::named_serde!(Capacity);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_say_what_is_allowed() {
        for c in [Capacity::Rendezvous, Capacity::Bounded(7), Capacity::Unbounded] {
            assert_eq!(c.to_string().parse::<Capacity>().unwrap(), c);
            assert_eq!(serde_json::from_str::<Capacity>(&serde_json::to_string(&c).unwrap()).unwrap(), c);
        }
        assert_eq!(serde_json::to_string(&Capacity::Bounded(8)).unwrap(), "\"bounded:8\"");
        for bad in ["bounded:0", "bounded:x", "bounded:", "unbounded:3", ""] {
            assert!(bad.parse::<Capacity>().unwrap_err().to_string().contains("bounded:N"), "{bad}");
        }
    }
}
