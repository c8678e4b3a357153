//! A lock-free single-producer single-consumer ring in shared memory, for two
//! processes (or two threads), in three capacity modes and three designs.
//!
//! ```no_run
//! use bench_core::ring::{Capacity, RingConfig, SharedRing};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Process A creates the ring and passes its name to process B.
//! let ring = SharedRing::create(&RingConfig::new(Capacity::Bounded(1024)).slot_size(64))?;
//! let name = ring.name().to_owned();
//! let mut producer = ring.into_producer()?;
//! // Process B:
//! let mut consumer = SharedRing::attach(&name)?.into_consumer()?;
//! producer.send(b"hello")?;
//! let mut buf = [0u8; 64];
//! let n = consumer.recv(&mut buf)?;
//! assert_eq!(&buf[..n], b"hello");
//! # Ok(()) }
//! ```
//!
//! # Parts
//! - `layout`: the bytes of a segment and the validated view of them;
//! - `lane`: the slot protocols (full design, classic textbook);
//! - `producer`, `consumer`: capacity modes, waiting, unbounded chains, batches;
//! - `wait`: spin / yield / futex block, deadlines, dead-peer detection.
//!
//! # Names and their removal
//! The creator makes `/dev/shm/ringside-<pid>-...` with `O_EXCL`, mode 0600.
//! The side that attaches unlinks the name as soon as it has mapped the
//! segment, and every handle unlinks it again on drop (also when unwinding
//! from a panic), so once both sides hold the mapping no name exists that a
//! crash could leave behind. Only `kill -9` of the creator before anyone
//! attaches can leave a name, which `harness clean` finds by prefix and pid.
//! The segments an unbounded ring adds (`<name>.<k>`) are unlinked by the
//! consumer as it opens them, or by whichever side closes last; the bytes
//! they hold alive are capped ([`RingConfig::max_chain_bytes`]), so a
//! stalled consumer meets [`SendError::ChainFull`], not a full `/dev/shm`.
//!
//! # What each side decides for itself
//! A segment's header says what the ring *is* (design, capacity, sizes).
//! How long a side waits and how far its chain may grow are that side's own
//! ([`SharedRing::with_timeout`], [`SharedRing::with_max_chain_bytes`]):
//! nothing the peer writes into the segment sets them.
//!
//! # Roles
//! Each end is claimed once, by compare-and-swap of the claimer's pid into
//! the shared line, so a third party cannot make the ring multi-producer.

pub mod config;
mod consumer;
pub mod error;
mod lane;
mod layout;
mod producer;
pub(crate) mod wait;

pub use config::{Capacity, ConfigError, RingConfig, Variant, WaitStrategy};
pub use consumer::{Consumer, ConsumerStats, ReadBatch};
pub use error::{RecvError, RingError, SendError};
pub use producer::{Producer, ProducerStats, WriteBatch};

use layout::{Geometry, Region};

use crate::sync::{AtomicU32, Ordering};

/// A ring segment this process has created or attached, before it takes a role.
pub struct SharedRing {
    region: Region,
    name: NameGuard,
    /// This side's deadline for a single wait: its own configuration's,
    /// never a value read from the segment.
    timeout: std::time::Duration,
    /// This side's cap on an unbounded chain, should it take the producer end.
    max_chain_bytes: Option<u64>,
}

impl SharedRing {
    /// Create a new ring under a fresh unique name in `/dev/shm`.
    #[cfg(not(loom))]
    pub fn create(config: &RingConfig) -> Result<Self, RingError> {
        let g = Geometry::for_config(config)?;
        let region = Region::create(None, &g)?;
        let name = NameGuard(Some(region.name().to_owned()));
        Ok(Self { region, name, timeout: config.timeout, max_chain_bytes: config.max_chain_bytes })
    }

    /// Attach to a ring another process (or thread) created, checking its
    /// header; the name is unlinked as soon as the segment is mapped.
    #[cfg(not(loom))]
    pub fn attach(name: &str) -> Result<Self, RingError> {
        let region = Region::attach(name)?;
        if region.geometry().chain_index != 0 {
            // Refused before taking ownership of the name: the chain still needs it.
            return Err(RingError::Incompatible {
                path: crate::shm::path_of(name),
                reason: "this is a later segment of an unbounded chain, not a ring's first segment".into(),
            });
        }
        let name = NameGuard(Some(name.to_owned()));
        name.unlink();
        Ok(Self::attached(region, name))
    }

    /// Attach like [`attach`](Self::attach) but leave the name in place
    /// until both roles are claimed: for a coordinator that creates the ring
    /// and hands it to two other processes, one for each end.
    #[cfg(not(loom))]
    pub fn attach_shared(name: &str) -> Result<Self, RingError> {
        let region = Region::attach(name)?;
        if region.geometry().chain_index != 0 {
            return Err(RingError::Incompatible {
                path: crate::shm::path_of(name),
                reason: "this is a later segment of an unbounded chain, not a ring's first segment".into(),
            });
        }
        Ok(Self::attached(region, NameGuard(Some(name.to_owned()))))
    }

    /// An attached segment with this side's defaults: [`RingConfig::default`]'s
    /// timeout and chain cap, until [`with_timeout`](Self::with_timeout) and
    /// [`with_max_chain_bytes`](Self::with_max_chain_bytes) say otherwise.
    #[cfg(not(loom))]
    fn attached(region: Region, name: NameGuard) -> Self {
        let own = RingConfig::default();
        Self { region, name, timeout: own.timeout, max_chain_bytes: own.max_chain_bytes }
    }

    /// Set how long a single wait of the end this handle becomes may last
    /// (at least a nanosecond). An attached ring starts from
    /// [`RingConfig::default`]'s; the creator's timeout is its own and is
    /// not in the segment.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout.max(std::time::Duration::from_nanos(1));
        self
    }

    /// Set the cap on an unbounded chain should this handle become the
    /// producer (see [`RingConfig::max_chain_bytes`]; `None`: the default),
    /// at most [`config::MAX_CHAIN_BYTES`].
    pub fn with_max_chain_bytes(mut self, bytes: Option<u64>) -> Self {
        self.max_chain_bytes = bytes.map(|b| b.min(config::MAX_CHAIN_BYTES));
        self
    }

    /// The ring's name in `/dev/shm` (what the other side passes to [`attach`](Self::attach)).
    pub fn name(&self) -> &str {
        self.name.name()
    }

    /// The ring's configuration: its shape as created (read from the header
    /// when attached), with this side's own timeout and chain cap.
    pub fn config(&self) -> RingConfig {
        let g = self.region.geometry();
        RingConfig {
            capacity: g.capacity,
            variant: g.variant,
            wait: g.wait,
            slot_size: g.slot_size,
            fixed_size: g.fixed_size,
            timeout: self.timeout,
            unbounded_initial_slots: match g.capacity {
                Capacity::Unbounded => g.bound,
                _ => RingConfig::default().unbounded_initial_slots,
            },
            max_chain_bytes: self.max_chain_bytes,
        }
    }

    /// Messages that may be in flight in the first segment, as realised
    /// (the slot array itself is rounded up to a power of two for `ring`).
    pub fn realised_bound(&self) -> usize {
        self.region.geometry().bound
    }

    /// Slots in the first segment (including the one the classic variants waste).
    pub fn slot_count(&self) -> usize {
        self.region.geometry().slot_count
    }

    /// Take the producer end.
    pub fn into_producer(self) -> Result<Producer, RingError> {
        claim(&self.region.producer().pid, "producer", self.name())?;
        self.unlink_if_both_claimed();
        Ok(Producer::new(self.region, self.name, self.timeout, self.max_chain_bytes))
    }

    /// Take the consumer end.
    pub fn into_consumer(self) -> Result<Consumer, RingError> {
        claim(&self.region.consumer().pid, "consumer", self.name())?;
        self.unlink_if_both_claimed();
        Ok(Consumer::new(self.region, self.name, self.timeout))
    }

    /// Once both ends are claimed nobody needs the name: remove it, so a
    /// crash from here on leaves nothing in `/dev/shm`.
    fn unlink_if_both_claimed(&self) {
        // Acquire: pairs with the AcqRel claim of the other role in `claim`.
        let producer = self.region.producer().pid.load(Ordering::Acquire);
        let consumer = self.region.consumer().pid.load(Ordering::Acquire);
        if producer != 0 && consumer != 0 {
            self.name.unlink();
        }
    }
}

/// Both ends of a new ring in this process, for two threads (tests, benches).
#[cfg(not(loom))]
pub fn pair(config: &RingConfig) -> Result<(Producer, Consumer), RingError> {
    let ring = SharedRing::create(config)?;
    let other = SharedRing::attach(ring.name())?.with_timeout(config.timeout);
    Ok((ring.into_producer()?, other.into_consumer()?))
}

/// Both ends of a heap-backed ring for loom models (same protocol code).
#[cfg(loom)]
pub fn pair(config: &RingConfig) -> Result<(Producer, Consumer), RingError> {
    let g = Geometry::for_config(config)?;
    if g.capacity == Capacity::Unbounded {
        return Err(RingError::Config(ConfigError("loom models cover bounded and rendezvous rings only".into())));
    }
    let region = Region::heap(&g);
    let own = |region| SharedRing {
        region,
        name: NameGuard(None),
        timeout: config.timeout,
        max_chain_bytes: config.max_chain_bytes,
    };
    let (a, b) = (own(region.clone()), own(region));
    Ok((a.into_producer()?, b.into_consumer()?))
}

fn claim(pid_word: &AtomicU32, role: &'static str, name: &str) -> Result<(), RingError> {
    let me = std::process::id();
    // AcqRel/Acquire: pairs with a competing claim; the winner's pid is what
    // the other side watches for liveness.
    pid_word
        .compare_exchange(0, me, Ordering::AcqRel, Ordering::Acquire)
        .map(|_| ())
        .map_err(|pid| RingError::RoleTaken { role, name: name.to_owned(), pid })
}

/// The name of the `k`-th segment of an unbounded ring.
pub(crate) fn chain_name(base: &str, k: u64) -> String {
    format!("{base}.{k}")
}

/// Owns a `/dev/shm` name: unlinks it when dropped (ENOENT is fine: the
/// other side may have done it already).
pub(crate) struct NameGuard(Option<String>);

impl NameGuard {
    /// Own `name` (unlink it on drop); `None`: own no name (a heap region).
    pub(crate) fn new(name: Option<String>) -> Self {
        Self(name)
    }

    pub(crate) fn name(&self) -> &str {
        self.0.as_deref().unwrap_or("heap")
    }

    pub(crate) fn unlink(&self) {
        if let Some(name) = &self.0 {
            let _ = crate::shm::unlink(name);
        }
    }
}

impl Drop for NameGuard {
    fn drop(&mut self) {
        self.unlink();
    }
}
