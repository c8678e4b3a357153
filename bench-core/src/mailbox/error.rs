//! Errors of the mailbox: setting it up, sending, receiving.
//!
//! Each says why the operation could not finish and carries the limit or
//! the process that caused it; none of them is ever a panic.

use std::path::PathBuf;
use std::time::Duration;

use crate::shm::ShmError;

/// Creating or attaching a mailbox, or taking an end of it, failed.
#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// The configuration is out of range.
    #[error("invalid mailbox configuration: {0}")]
    Config(String),
    /// `Capacity::Unbounded` was asked for.
    #[error(
        "the shared-memory mailbox is bounded: an unbounded mailbox is built above it, from bounded sends \
         plus a sender-side spill queue, as for the kernel queues"
    )]
    Unbounded,
    /// The shared-memory segment could not be created, opened or mapped.
    #[error(transparent)]
    Shm(#[from] ShmError),
    /// The segment exists but is not a mailbox this build can use.
    #[error("{path} is not a compatible ringside mailbox: {reason}")]
    Incompatible {
        /// The segment.
        path: PathBuf,
        /// Which header field did not match, and how.
        reason: String,
    },
    /// Another process (or handle) already holds the receiving end.
    #[error("the receiving end of {name} is already taken by pid {pid}")]
    ReceiverTaken {
        /// The mailbox's name.
        name: String,
        /// Who holds it.
        pid: u32,
    },
    /// The sender table is full.
    #[error("mailbox {name} already has {max} open senders, the size of its sender table")]
    TooManySenders {
        /// The mailbox's name.
        name: String,
        /// The table's size.
        max: usize,
    },
    /// A process-shared mutex or condition variable could not be set up.
    #[error("{op} for the mutex mailbox {name}: {source}")]
    Sync {
        /// The `pthread_*` call that failed.
        op: &'static str,
        /// The mailbox's name.
        name: String,
        /// The error it returned.
        #[source]
        source: std::io::Error,
    },
}

/// Why a `send` did not deliver.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The message is larger than a slot.
    #[error("message of {len} bytes exceeds the slot size of {max} bytes")]
    TooLarge {
        /// The message length.
        len: usize,
        /// The mailbox's slot size.
        max: usize,
    },
    /// The receiver dropped its end.
    #[error("the receiver has closed the mailbox")]
    Disconnected,
    /// `try_send` on a rendezvous mailbox (whose send always waits for its receipt).
    #[error("try_send is for bounded mailboxes: a rendezvous send always waits for its receipt")]
    NotBounded,
    /// The receiving process exited without closing its end.
    #[error("the receiver process {pid} died")]
    ReceiverDied {
        /// Its pid.
        pid: u32,
    },
    /// Another sender died holding the mutex design's lock.
    #[error("sender process {pid} died holding the mailbox's lock")]
    SenderDied {
        /// Its pid.
        pid: u32,
    },
    /// The wait for room (or for the rendezvous receipt) hit its deadline.
    #[error("timed out after {waited:?} waiting for the receiver")]
    Timeout {
        /// How long it waited.
        waited: Duration,
    },
}

/// Why a `recv` returned no message.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// Every sender that registered has closed its end, and every message is received.
    #[error("every sender has closed the mailbox and it is drained")]
    Disconnected,
    /// Every sender has closed its end and it is drained, but one of them
    /// abandoned the stream ([`super::Sender::abandon`], or dropped while panicking).
    #[error("a sender abandoned the stream without finishing it")]
    Abandoned,
    /// A registered sender process exited without closing its end (perhaps
    /// between claiming a position and publishing it); every message before
    /// the first it never published has been received.
    #[error("sender process {pid} died")]
    SenderDied {
        /// Its pid.
        pid: u32,
    },
    /// Nothing arrived before the deadline.
    #[error("timed out after {waited:?} waiting for a sender")]
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
    /// The segment holds a value no correct sender writes.
    #[error("corrupt mailbox: {0}")]
    Corrupt(String),
}
