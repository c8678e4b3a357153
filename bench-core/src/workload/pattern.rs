//! What the two sides of a scenario do: stream, ping-pong, or an
//! open-loop rate.

use std::fmt;
use std::str::FromStr;

/// How the producer drives the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// Send as fast as the capacity mode allows; throughput at the consumer.
    Stream,
    /// One message there and back; round-trip latency.
    PingPong,
    /// Open loop at this many messages per second (>= 1); one-way latency
    /// from each message's intended send time.
    Rate(u64),
}

/// A pattern name that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pattern '{0}' is not one of: stream, pingpong, rate:R (R >= 1 messages per second)")]
pub struct UnknownPattern(pub String);

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pattern::Stream => f.write_str("stream"),
            Pattern::PingPong => f.write_str("pingpong"),
            Pattern::Rate(r) => write!(f, "rate:{r}"),
        }
    }
}

impl FromStr for Pattern {
    type Err = UnknownPattern;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stream" => Ok(Pattern::Stream),
            "pingpong" => Ok(Pattern::PingPong),
            _ => s
                .strip_prefix("rate:")
                .and_then(|r| r.parse::<u64>().ok())
                .filter(|&r| r >= 1)
                .map(Pattern::Rate)
                .ok_or_else(|| UnknownPattern(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_ones_say_what_is_allowed() {
        for p in [Pattern::Stream, Pattern::PingPong, Pattern::Rate(10_000)] {
            assert_eq!(p.to_string().parse::<Pattern>().unwrap(), p);
        }
        for bad in ["rate:0", "rate:", "rate:x", "burst", ""] {
            assert!(bad.parse::<Pattern>().unwrap_err().to_string().contains("stream, pingpong, rate:R"));
        }
    }
}
