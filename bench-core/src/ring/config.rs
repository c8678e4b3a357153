//! What a ring is asked to be: capacity mode, variant, wait strategy, sizes.
//!
//! The capacity, variant and wait strategy are the vocabulary crate's
//! types, re-exported here: a name in a results file is the type's own.

use std::time::Duration;

pub use vocabulary::{Capacity, Variant, WaitStrategy};

/// Everything needed to create a ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingConfig {
    /// Capacity mode.
    pub capacity: Capacity,
    /// Ring design.
    pub variant: Variant,
    /// Wait strategy, shared by both sides (the producer only pays for
    /// futex wake-ups when it is `Block`).
    pub wait: WaitStrategy,
    /// Largest message in bytes; each slot holds one message up to this size.
    pub slot_size: usize,
    /// Every message is exactly `slot_size` bytes: the ring then keeps no
    /// length per message and packs small slots several to a stamp word
    /// ([`per_block`](Self::per_block)), so an 8-byte message moves 9 bytes
    /// through the caches instead of 16. A send of any other length fails.
    pub fixed_size: bool,
    /// Longest any single wait may last before it fails with a timeout.
    pub timeout: Duration,
    /// Slots in the first segment of an unbounded ring (rounded up to a
    /// power of two); later segments double, up to [`MAX_SEGMENT_BYTES`].
    pub unbounded_initial_slots: usize,
    /// Unbounded: most bytes the chain of segments after the first may hold
    /// alive (created by the producer, not yet drained by the consumer); a
    /// send that would need more fails with [`SendError::ChainFull`](super::SendError::ChainFull).
    /// `None`: [`default_max_chain_bytes`], decided when the producer end is
    /// taken. A side that attaches sets its own with
    /// [`SharedRing::with_max_chain_bytes`](super::SharedRing::with_max_chain_bytes).
    pub max_chain_bytes: Option<u64>,
}

/// Largest slot (message) size a ring accepts: 16 MiB.
pub const MAX_SLOT_SIZE: usize = 16 << 20;
/// Largest bounded capacity or segment, in slots: 2^30.
pub const MAX_SLOTS: usize = 1 << 30;
/// Unbounded segments stop doubling once a segment's slots take this many
/// bytes (or a quarter of [`RingConfig::max_chain_bytes`], if less).
pub const MAX_SEGMENT_BYTES: usize = 64 << 20;
/// Largest cap on an unbounded chain: 1 TiB.
pub const MAX_CHAIN_BYTES: u64 = 1 << 40;
/// Most chain segments alive at once, whatever the byte cap. Segments only
/// grow until they reach their size limit, so a chain within
/// [`MAX_CHAIN_BYTES`] never has this many; the consumer bounds the chain
/// names it sweeps on close by it, without trusting the producer's count.
pub const MAX_CHAIN_SEGMENTS: u64 = 1 << 16;
/// Smallest default chain cap (see [`default_max_chain_bytes`]): 256 MiB,
/// more than a run of this suite keeps in flight even with a consumer that
/// starts late.
pub const MIN_DEFAULT_CHAIN_BYTES: u64 = 256 << 20;

/// The chain cap of a ring that sets none: a quarter of what `/dev/shm`
/// has free or of the memory available now (`MemAvailable`), whichever is
/// less, and at least [`MIN_DEFAULT_CHAIN_BYTES`] (at most [`MAX_CHAIN_BYTES`]).
/// A chain is memory the kernel cannot swap out (tmpfs pages) and that
/// nothing frees while the consumer lags, so a stalled consumer should meet
/// a clear error long before the machine runs short.
pub fn default_max_chain_bytes() -> u64 {
    let shm_free = rustix::fs::statvfs(crate::shm::SHM_DIR).ok().map(|s| s.f_bavail.saturating_mul(s.f_frsize));
    let memory = crate::environment::memory_available();
    let least = [shm_free, memory].into_iter().flatten().min();
    least.map_or(MIN_DEFAULT_CHAIN_BYTES, |b| b / 4).clamp(MIN_DEFAULT_CHAIN_BYTES, MAX_CHAIN_BYTES)
}

impl Default for RingConfig {
    fn default() -> Self {
        Self {
            capacity: Capacity::Bounded(1024),
            variant: Variant::Ring,
            wait: WaitStrategy::Spin,
            slot_size: 64,
            fixed_size: false,
            timeout: Duration::from_secs(10),
            unbounded_initial_slots: 1024,
            max_chain_bytes: None,
        }
    }
}

impl RingConfig {
    /// A config with this capacity and the defaults for everything else.
    pub fn new(capacity: Capacity) -> Self {
        Self { capacity, ..Self::default() }
    }

    /// Set the variant.
    pub fn variant(mut self, variant: Variant) -> Self {
        self.variant = variant;
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

    /// Declare that every message is exactly `slot_size` bytes (see [`fixed_size`](Self::fixed_size)).
    pub fn fixed_size(mut self, fixed: bool) -> Self {
        self.fixed_size = fixed;
        self
    }

    /// Slots that share one stamp word: more than one only for the `ring`
    /// design with fixed-size messages of at most 28 bytes, as many as fit
    /// beside the word in one 64-byte cache line (7 of 8 bytes, 3 of 16),
    /// so the word and every message it covers travel in one line.
    pub fn per_block(&self) -> usize {
        per_block(self.variant, self.fixed_size, self.slot_size)
    }

    /// Bytes of the (first) shared-memory segment a ring of this config
    /// maps: header and slots.
    pub fn segment_bytes(&self) -> Result<usize, super::RingError> {
        Ok(super::layout::Geometry::for_config(self)?.segment_len())
    }

    /// Set the deadline of a single wait.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Set the size of an unbounded ring's first segment.
    pub fn unbounded_initial_slots(mut self, slots: usize) -> Self {
        self.unbounded_initial_slots = slots;
        self
    }

    /// Cap the bytes an unbounded ring's chain may hold alive, at most
    /// [`MAX_CHAIN_BYTES`] (see [`max_chain_bytes`](Self::max_chain_bytes)).
    pub fn max_chain_bytes(mut self, bytes: u64) -> Self {
        self.max_chain_bytes = Some(bytes);
        self
    }

    /// Check the values are in range; the error names the field and the limit.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.slot_size == 0 || self.slot_size > MAX_SLOT_SIZE {
            return Err(ConfigError(format!("slot size {} is out of range 1..={MAX_SLOT_SIZE} bytes", self.slot_size)));
        }
        match self.capacity {
            Capacity::Bounded(0) => {
                return Err(ConfigError("bounded capacity must be at least 1 (use rendezvous for zero)".into()));
            }
            Capacity::Bounded(n) if n > MAX_SLOTS => {
                return Err(ConfigError(format!("bounded capacity {n} exceeds the limit of {MAX_SLOTS} slots")));
            }
            Capacity::Unbounded if self.unbounded_initial_slots == 0 || self.unbounded_initial_slots > MAX_SLOTS => {
                return Err(ConfigError(format!(
                    "unbounded initial segment of {} slots is out of range 1..={MAX_SLOTS}",
                    self.unbounded_initial_slots
                )));
            }
            _ => {}
        }
        if self.timeout.is_zero() {
            return Err(ConfigError("timeout must be greater than zero".into()));
        }
        if let Some(cap) = self.max_chain_bytes.filter(|&cap| cap > MAX_CHAIN_BYTES) {
            return Err(ConfigError(format!("chain cap of {cap} bytes exceeds the limit of {MAX_CHAIN_BYTES} bytes")));
        }
        Ok(())
    }
}

/// Bytes of a block of packed slots: one cache line, word included.
pub(crate) const BLOCK_BYTES: usize = 64;

/// Slots per stamp word for a design, fixedness and slot size (see [`RingConfig::per_block`]).
pub(crate) fn per_block(variant: Variant, fixed_size: bool, slot_size: usize) -> usize {
    if variant != Variant::Ring || !fixed_size || slot_size == 0 {
        return 1;
    }
    ((BLOCK_BYTES - super::layout::SLOT_WORD) / slot_size).max(1)
}

/// A configuration value out of range, or a name that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_rejects_out_of_range() {
        assert!(RingConfig::default().validate().is_ok());
        assert!(RingConfig::default().slot_size(0).validate().is_err());
        assert!(RingConfig::new(Capacity::Bounded(0)).validate().is_err());
        assert!(RingConfig::default().timeout(Duration::ZERO).validate().is_err());
        assert!(RingConfig::default().max_chain_bytes(MAX_CHAIN_BYTES).validate().is_ok());
        assert!(RingConfig::default().max_chain_bytes(MAX_CHAIN_BYTES + 1).validate().is_err());
    }

    #[test]
    fn only_fixed_small_messages_of_the_ring_design_share_a_stamp() {
        let fixed = |size| RingConfig::default().slot_size(size).fixed_size(true).per_block();
        assert_eq!([1, 8, 12, 16, 24, 28, 29, 64, 4096].map(fixed), [56, 7, 4, 3, 2, 2, 1, 1, 1]);
        assert_eq!(RingConfig::default().slot_size(8).per_block(), 1);
        for v in [Variant::Textbook, Variant::Padded] {
            assert_eq!(RingConfig::default().variant(v).slot_size(8).fixed_size(true).per_block(), 1);
        }
    }
}
