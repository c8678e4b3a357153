//! What the two sides of a scenario do (stream, ping-pong, or an open-loop
//! rate), and the kind of latency a pattern yields.

use std::fmt;
use std::str::FromStr;

use crate::UnknownName;

/// How the producer drives the channel.
///
/// Ordered as reports list them: stream, pingpong, then rates ascending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pattern {
    /// Send as fast as the capacity mode allows; throughput at the consumer.
    Stream,
    /// One message there and back; round-trip latency.
    PingPong,
    /// Open loop at this many messages per second (>= 1); one-way latency
    /// from each message's intended send time.
    Rate(u64),
}

impl Pattern {
    /// The latency this pattern measures: round trips for `pingpong`, one
    /// way for `rate:R`; `None` for `stream`, which measures throughput.
    pub fn latency_kind(self) -> Option<LatencyKind> {
        match self {
            Pattern::Stream => None,
            Pattern::PingPong => Some(LatencyKind::RoundTrip),
            Pattern::Rate(_) => Some(LatencyKind::OneWay),
        }
    }

    /// The offered rate of `rate:R`, messages per second.
    pub fn rate(self) -> Option<u64> {
        match self {
            Pattern::Rate(r) => Some(r),
            _ => None,
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Stream => f.pad("stream"),
            Pattern::PingPong => f.pad("pingpong"),
            Pattern::Rate(r) => f.pad(&format!("rate:{r}")),
        }
    }
}

impl FromStr for Pattern {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stream" => Ok(Pattern::Stream),
            "pingpong" => Ok(Pattern::PingPong),
            _ => s
                .strip_prefix("rate:")
                .and_then(|r| r.parse::<u64>().ok())
                .filter(|&r| r >= 1)
                .map(Pattern::Rate)
                .ok_or_else(|| UnknownName::new("pattern", s, "stream, pingpong, rate:R (R >= 1 messages per second)")),
        }
    }
}

crate::names::named_serde!(Pattern);

/// What a latency figure times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LatencyKind {
    /// A message there and back (`pingpong`), timed by the initiator.
    RoundTrip,
    /// One way, from the message's intended send time to its receipt (`rate:R`).
    OneWay,
}

crate::names::named_enum!(LatencyKind, "latency kind", RoundTrip => "round-trip", OneWay => "one-way");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_say_what_is_allowed() {
        for p in [Pattern::Stream, Pattern::PingPong, Pattern::Rate(10_000)] {
            assert_eq!(p.to_string().parse::<Pattern>().unwrap(), p);
            assert_eq!(serde_json::from_str::<Pattern>(&serde_json::to_string(&p).unwrap()).unwrap(), p);
        }
        for bad in ["rate:0", "rate:", "rate:x", "burst", ""] {
            assert!(bad.parse::<Pattern>().unwrap_err().to_string().contains("stream, pingpong, rate:R"));
        }
        assert_eq!(Pattern::PingPong.latency_kind(), Some(LatencyKind::RoundTrip));
        assert_eq!(serde_json::to_string(&LatencyKind::OneWay).unwrap(), "\"one-way\"");
    }
}
