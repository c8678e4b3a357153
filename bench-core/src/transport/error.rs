//! What can go wrong when a transport is created, opened or used.

use std::io;
use std::time::Duration;

/// A transport failed. Every variant says what and, where the kernel set a
/// limit, which limit and how to raise it.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A system call failed.
    #[error("{op}: {source}")]
    Io {
        /// The call and the object it was made on.
        op: String,
        /// The error the kernel returned.
        source: io::Error,
    },
    /// The combination asked for cannot be realised here.
    #[error("{0}")]
    Refused(String),
    /// A message is larger than this channel (or the kernel) carries.
    #[error("message of {len} bytes exceeds {limit} ({max} bytes)")]
    TooLarge {
        /// Size of the message.
        len: usize,
        /// The largest size allowed.
        max: usize,
        /// What sets that size: the channel's message size or a kernel limit.
        limit: String,
    },
    /// The channel carries messages of exactly one size, and this is another.
    #[error("message of {len} bytes on a channel of fixed-size {size}-byte messages")]
    WrongSize {
        /// Size of the message.
        len: usize,
        /// The channel's one message size.
        size: usize,
    },
    /// Messages are never empty: an empty frame marks the end of a stream.
    #[error("empty message: every message carries at least one byte")]
    Empty,
    /// The sender finished: every message it sent has been received.
    #[error("the sender finished and every message has been received")]
    Disconnected,
    /// The peer is gone without finishing (EOF or EPIPE without an end
    /// marker, or its process exited).
    #[error("peer gone: {0}")]
    PeerGone(String),
    /// Waited longer than the channel's timeout without progress.
    #[error("no progress for {0:?}: the peer is alive but stuck, or never opened its end")]
    Timeout(Duration),
    /// The bytes on the wire or the address make no sense.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The shared-memory ring failed.
    #[error(transparent)]
    Ring(#[from] crate::ring::RingError),
    /// Sending on the shared-memory ring failed.
    #[error(transparent)]
    RingSend(#[from] crate::ring::SendError),
    /// Receiving on the shared-memory ring failed.
    #[error(transparent)]
    RingRecv(#[from] crate::ring::RecvError),
    /// Creating or attaching the shared-memory mailbox failed.
    #[error(transparent)]
    Mailbox(#[from] crate::mailbox::MailboxError),
}

impl TransportError {
    /// Wrap an OS error with the call that returned it.
    pub fn io(op: impl Into<String>, source: impl Into<io::Error>) -> Self {
        TransportError::Io { op: op.into(), source: source.into() }
    }

    /// Whether this is the clean end of a stream.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TransportError::Disconnected | TransportError::RingRecv(crate::ring::RecvError::Disconnected))
    }
}
