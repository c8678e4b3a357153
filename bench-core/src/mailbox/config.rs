//! What a mailbox is asked to be: its design, capacity mode, wait strategy,
//! slot size, this side's timeout and how many senders will attach.
//!
//! The capacity mode and the wait strategy are the ring's (the vocabulary
//! crate's) types; [`Design`] (the vocabulary's `MailboxDesign`) is the
//! mailbox's own axis: the lock-free
//! queue, or the textbook mutex and condition variables it is measured
//! against.

use std::time::Duration;

pub use crate::ring::{Capacity, WaitStrategy};

use super::error::MailboxError;

/// Most senders that may be registered (open) at once: the size of the
/// sender table in a mailbox's header.
pub const MAX_SENDERS: usize = 64;
/// Largest slot (message) size a mailbox accepts: 16 MiB, as the ring's.
pub const MAX_SLOT_SIZE: usize = crate::ring::config::MAX_SLOT_SIZE;
/// Largest bounded capacity, in slots: 2^24.
pub const MAX_SLOTS: usize = 1 << 24;
/// Largest segment a mailbox maps: 4 GiB of slots.
pub const MAX_SLOT_BYTES: usize = 1 << 32;

/// How the senders and the receiver share the slots: the vocabulary's
/// [`MailboxDesign`](vocabulary::MailboxDesign), the one type the
/// `shm-mailbox` transports, the command line and the results name it by.
pub use vocabulary::MailboxDesign as Design;

/// Everything needed to create a mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxConfig {
    /// The queue's design.
    pub design: Design,
    /// `Bounded(n)` or `Rendezvous`; `Unbounded` is refused (see
    /// [`MailboxError::Unbounded`]).
    pub capacity: Capacity,
    /// How both sides wait (the lock-free design; the mutex design blocks).
    pub wait: WaitStrategy,
    /// Largest message in bytes.
    pub slot_size: usize,
    /// Longest any single wait of the creating side may last.
    pub timeout: Duration,
    /// Senders that will attach: once that many have registered and the
    /// receiver has claimed its end, the name is removed from `/dev/shm`
    /// (nobody else needs it), and the stream
    /// cannot end before they have (so a sender that finishes before the
    /// last one attaches does not end it). `None`: the name stays until the
    /// receiver (or the creator's end) drops, and the stream ends once
    /// every sender registered so far has closed.
    pub expected_senders: Option<usize>,
}

impl Default for MailboxConfig {
    fn default() -> Self {
        Self {
            design: Design::LockFree,
            capacity: Capacity::Bounded(64),
            wait: WaitStrategy::Spin,
            slot_size: 64,
            timeout: Duration::from_secs(10),
            expected_senders: None,
        }
    }
}

impl MailboxConfig {
    /// A config with this capacity and the defaults for everything else.
    pub fn new(capacity: Capacity) -> Self {
        Self { capacity, ..Self::default() }
    }

    /// Set the design.
    pub fn design(mut self, design: Design) -> Self {
        self.design = design;
        self
    }

    /// Set the wait strategy.
    pub fn wait(mut self, wait: WaitStrategy) -> Self {
        self.wait = wait;
        self
    }

    /// Set the largest message size.
    pub fn slot_size(mut self, bytes: usize) -> Self {
        self.slot_size = bytes;
        self
    }

    /// Set the deadline of a single wait.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Say how many senders will attach (see [`expected_senders`](Self::expected_senders)).
    pub fn expected_senders(mut self, senders: usize) -> Self {
        self.expected_senders = Some(senders);
        self
    }

    /// Slots in the segment: `n` for `Bounded(n)`, one for `Rendezvous`
    /// (a rendezvous send waits for its receipt, so one message is in
    /// flight at a time, whichever sender sent it).
    pub fn slot_count(&self) -> Result<usize, MailboxError> {
        match self.capacity {
            Capacity::Rendezvous => Ok(1),
            Capacity::Bounded(0) => {
                Err(MailboxError::Config("bounded capacity must be at least 1 (use rendezvous for zero)".into()))
            }
            Capacity::Bounded(n) if n > MAX_SLOTS => {
                Err(MailboxError::Config(format!("bounded capacity {n} exceeds the limit of {MAX_SLOTS} slots")))
            }
            Capacity::Bounded(n) => Ok(n),
            Capacity::Unbounded => Err(MailboxError::Unbounded),
        }
    }

    /// Check the values are in range; the error names the field and the limit.
    pub fn validate(&self) -> Result<(), MailboxError> {
        if self.slot_size == 0 || self.slot_size > MAX_SLOT_SIZE {
            return Err(MailboxError::Config(format!(
                "slot size {} is out of range 1..={MAX_SLOT_SIZE} bytes",
                self.slot_size
            )));
        }
        let slots = self.slot_count()?;
        if slots.saturating_mul(self.slot_size.next_multiple_of(8)) > MAX_SLOT_BYTES {
            return Err(MailboxError::Config(format!(
                "{slots} slots of {} bytes exceed the limit of {MAX_SLOT_BYTES} bytes",
                self.slot_size
            )));
        }
        if self.timeout.is_zero() {
            return Err(MailboxError::Config("timeout must be greater than zero".into()));
        }
        match self.expected_senders {
            Some(n) if n == 0 || n > MAX_SENDERS => Err(MailboxError::Config(format!(
                "expected senders {n} is out of range 1..={MAX_SENDERS} (the sender table's size)"
            ))),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_refuses_unbounded_and_out_of_range() {
        assert!(MailboxConfig::default().validate().is_ok());
        assert!(matches!(MailboxConfig::new(Capacity::Unbounded).validate(), Err(MailboxError::Unbounded)));
        assert!(MailboxConfig::new(Capacity::Bounded(0)).validate().is_err());
        assert!(MailboxConfig::default().slot_size(0).validate().is_err());
        assert!(MailboxConfig::default().timeout(Duration::ZERO).validate().is_err());
        assert!(MailboxConfig::default().expected_senders(MAX_SENDERS + 1).validate().is_err());
        assert_eq!(MailboxConfig::new(Capacity::Rendezvous).slot_count().unwrap(), 1);
    }
}
