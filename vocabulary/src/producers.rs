//! The producers dimension: how many processes send to one mailbox in a
//! scenario (`--producers N`). One is every scenario's default and leaves
//! its id as it was; more than one asks for a transport whose kernel object
//! (or shared segment) takes many senders.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

/// How many producer processes send to the one consumer: 1 to
/// [`Producers::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Producers(NonZeroU16);

impl Producers {
    /// One producer: a link, not yet a shared mailbox.
    pub const ONE: Producers = Producers(NonZeroU16::MIN);

    /// The most producers a scenario may ask for: the shared-memory
    /// mailbox's sender table holds 64.
    pub const MAX: u16 = 64;

    /// `n` producers, if `1 <= n <= MAX`.
    pub fn new(n: u16) -> Option<Producers> {
        NonZeroU16::new(n).filter(|n| n.get() <= Self::MAX).map(Producers)
    }

    /// How many.
    pub fn get(self) -> u16 {
        self.0.get()
    }

    /// How many, as a count of processes or of array entries.
    pub fn count(self) -> usize {
        usize::from(self.0.get())
    }

    /// Whether more than one process sends.
    pub fn many(self) -> bool {
        self.0.get() > 1
    }
}

impl Default for Producers {
    fn default() -> Self {
        Producers::ONE
    }
}

impl fmt::Display for Producers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a producer count was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("producers {0:?}: must be a whole number from 1 to {max}", max = Producers::MAX)]
pub struct BadProducers(pub String);

impl FromStr for Producers {
    type Err = BadProducers;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim().parse::<u16>().ok().and_then(Producers::new).ok_or_else(|| BadProducers(s.to_owned()))
    }
}

impl serde::Serialize for Producers {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u16(self.get())
    }
}

impl<'de> serde::Deserialize<'de> for Producers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u16::deserialize(d)?;
        Producers::new(n).ok_or_else(|| serde::de::Error::custom(BadProducers(n.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_one_to_the_table_size_parse_and_others_are_refused() {
        assert_eq!("3".parse::<Producers>().map(Producers::get), Ok(3));
        assert_eq!(Producers::default(), Producers::ONE);
        assert!(!Producers::ONE.many() && Producers::new(2).is_some_and(Producers::many));
        assert_eq!(Producers::new(64).map(Producers::count), Some(64));
        for bad in ["0", "65", "-1", "two", ""] {
            let message = bad.parse::<Producers>().unwrap_err().to_string();
            assert!(message.contains("1 to 64"), "{message}");
        }
        assert_eq!(serde_json::to_string(&Producers::new(4).unwrap()).unwrap(), "4");
        assert!(serde_json::from_str::<Producers>("0").is_err());
    }
}
