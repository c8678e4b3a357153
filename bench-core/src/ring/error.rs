//! Errors of the ring: setting it up, sending, receiving.
//!
//! Send and receive errors say exactly why the operation could not finish and
//! carry the limit or the peer that caused it; none of them is ever a panic.

use std::path::PathBuf;
use std::time::Duration;

use super::config::ConfigError;
use crate::shm::ShmError;

/// Creating, attaching or extending a ring failed.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    /// The configuration is out of range.
    #[error("invalid ring configuration: {0}")]
    Config(#[from] ConfigError),
    /// The shared-memory segment could not be created, opened or mapped.
    #[error(transparent)]
    Shm(#[from] ShmError),
    /// The segment exists but is not a ring this build can use.
    #[error("{path} is not a compatible ringside ring: {reason}")]
    Incompatible {
        /// The segment.
        path: PathBuf,
        /// Which header field did not match, and how.
        reason: String,
    },
    /// Another process (or handle) already holds this end of the ring.
    #[error("the {role} end of {name} is already taken by pid {pid}")]
    RoleTaken {
        /// `"producer"` or `"consumer"`.
        role: &'static str,
        /// The ring's name.
        name: String,
        /// Who holds it.
        pid: u32,
    },
}

/// Why a `send` (or a batch commit) did not deliver.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The message is larger than a slot.
    #[error("message of {len} bytes exceeds the slot size of {max} bytes")]
    TooLarge {
        /// The message length.
        len: usize,
        /// The ring's slot size.
        max: usize,
    },
    /// The ring carries messages of exactly one size, and this is another.
    #[error("message of {len} bytes in a ring of fixed-size {size}-byte messages")]
    WrongSize {
        /// The message length.
        len: usize,
        /// The ring's message size.
        size: usize,
    },
    /// A batch asked for more slots than may ever be in flight.
    #[error("batch of {requested} slots exceeds the ring's bound of {bound} messages in flight")]
    BatchTooLarge {
        /// Slots asked for.
        requested: usize,
        /// The most that can be in flight.
        bound: usize,
    },
    /// The consumer dropped its end.
    #[error("the consumer has closed the ring")]
    Disconnected,
    /// `try_send` on a ring that is not bounded.
    #[error("try_send is for bounded rings: a rendezvous send always waits, an unbounded ring grows")]
    NotBounded,
    /// The consumer process exited without closing the ring.
    #[error("the consumer process {pid} died")]
    PeerDied {
        /// Its pid.
        pid: u32,
    },
    /// The wait for room (or for the rendezvous acknowledgement) hit its deadline.
    #[error("timed out after {waited:?} waiting for the consumer")]
    Timeout {
        /// How long it waited.
        waited: Duration,
    },
    /// An unbounded ring's chain holds as many bytes as its cap allows: the
    /// consumer has not drained them (it fell behind, or stalled).
    #[error(
        "unbounded ring: the chain reached its cap of {} in {segments} segments the consumer has not drained \
         (the consumer fell behind; RingConfig::max_chain_bytes sets the cap)",
        bytes_text(*cap_bytes)
    )]
    ChainFull {
        /// The cap, in bytes.
        cap_bytes: u64,
        /// Chain segments alive (created and not yet drained).
        segments: u64,
    },
    /// An unbounded ring could not grow (for example `/dev/shm` is full).
    #[error("the unbounded ring could not grow: {0}")]
    Grow(#[source] RingError),
}

/// Why a `recv` returned no message.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// The producer closed its end and every message has been received.
    #[error("the producer has closed the ring and it is drained")]
    Disconnected,
    /// The producer abandoned the stream ([`super::Producer::abandon`], or
    /// dropped while panicking); every message it published has been received.
    #[error("the producer abandoned the stream without finishing it")]
    Abandoned,
    /// The producer process exited without closing the ring; every message it
    /// published before dying has been received.
    #[error("the producer process {pid} died")]
    PeerDied {
        /// Its pid.
        pid: u32,
    },
    /// Nothing arrived before the deadline.
    #[error("timed out after {waited:?} waiting for the producer")]
    Timeout {
        /// How long it waited.
        waited: Duration,
    },
    /// The caller's buffer cannot hold the next message (it stays queued).
    #[error("the next message is {len} bytes but the buffer holds {capacity}")]
    BufferTooSmall {
        /// The message length.
        len: usize,
        /// The buffer length.
        capacity: usize,
    },
    /// A slot holds a length no correct producer writes.
    #[error("corrupt slot: length {len} exceeds the slot size {max}")]
    Corrupt {
        /// The length found.
        len: usize,
        /// The slot size.
        max: usize,
    },
    /// The next segment of an unbounded chain could not be opened.
    #[error("cannot follow the unbounded ring to its next segment: {0}")]
    Chain(#[source] RingError),
}

/// `512 MiB`, `1.5 GiB`, `1000 bytes`: a size as a person reads it.
fn bytes_text(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let whole = bytes / size;
            let tenths = (bytes % size) * 10 / size;
            return if tenths == 0 { format!("{whole} {unit}") } else { format!("{whole}.{tenths} {unit}") };
        }
    }
    format!("{bytes} bytes")
}
