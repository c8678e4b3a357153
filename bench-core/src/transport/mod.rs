//! Every transport ringside measures, behind one contract.
//!
//! - [`TransportKind`]: the transports, by the names the command line shows,
//!   each labelled [`Link::Direct`] or [`Link::Indirect`];
//! - [`Channel`]: one direction of messages in one capacity mode, created by
//!   a coordinating process and opened by name or inherited descriptor in
//!   the processes that use it (its [`Address`]);
//! - [`Sender`] / [`Receiver`]: the ends, with the same capacity semantics
//!   for every transport (see [`channel`]);
//! - [`objects`]: every kernel object a run creates is registered, removed
//!   when the run ends, fails or is interrupted, and named so that a sweep
//!   finds the leftovers of runs killed outright.
//!
//! # The contract every transport keeps
//! - Message boundaries are preserved (length-prefixed frames on byte
//!   streams); messages carry 1 to `message_size` bytes, and a size the
//!   kernel cannot carry is refused at creation, naming the limit.
//! - The sender ends the stream with [`Sender::finish`]; the receiver then
//!   gets [`TransportError::Disconnected`]. A peer that dies first is
//!   [`TransportError::PeerGone`] (end-of-file or `EPIPE` without the end
//!   marker, or its process exited), never a hang; so is a sender dropped
//!   without `finish`: an abandoned stream never reads as a finished one.
//! - A channel has one sender unless created with
//!   [`ChannelSpec::senders`]`(n)`, which only a transport whose
//!   [`TransportKind::many_senders`] allows may take (the named mailboxes:
//!   `fifo`, `unix-dgram`, `posix-mq`, `sysv-mq`, `shm-mailbox*`; the
//!   others are refused at creation, saying why). Each of the n sender
//!   processes opens the sending end from the same [`Address`] and
//!   finishes its own stream; the receiver gets `Disconnected` only once
//!   all n have finished (messages of the others still arrive after one's
//!   end), in each sender's own order, interleaved in any way between
//!   senders. A sender that dies or is dropped unfinished makes the
//!   stream end in an error, [`TransportError::PeerGone`] or
//!   [`TransportError::Timeout`], never a clean end. The receiver's
//!   [`OpenOptions::peer`] cannot name n processes: give it `None` (or a
//!   process that outlives the senders); the kernel queues and `unix-dgram`
//!   then notice a dead sender by the timeout, `fifo` by end-of-file once
//!   the others have closed (or the timeout), `shm-mailbox` at once.
//! - A wait that makes no progress for the open timeout is
//!   [`TransportError::Timeout`] (a peer alive but stuck, or one that never
//!   opened its end). One exception, for speed: a pipe's or FIFO's receive
//!   is one blocking `read(2)`, which ends on data or end-of-file only, so a
//!   writer that holds its end open and sends nothing keeps it waiting; in
//!   a run, the harness's stall check kills both workers then.
//! - The backends (under `backends/`: a file per transport, or a folder
//!   where transports share one kernel object's plumbing: `pipe/`, `unix/`,
//!   `eventfd_shm/`) implement only one direction and single messages
//!   ([`backend`]); capacity modes the kernel cannot express are built on
//!   top, once, in [`channel`].

pub mod backend;
mod backends;
pub mod channel;
mod error;
pub mod framing;
pub mod objects;
pub mod peer;

pub use backend::{OpenOptions, Role};
/// iceoryx2's loans, which the harness measures `iceoryx2` with.
#[cfg(feature = "iceoryx2")]
pub use backends::iceoryx2::loans as iceoryx2;
pub use channel::{Address, Channel, ChannelSpec, End, Realised, Receiver, SendStats, Sender};
pub use error::TransportError;
pub use vocabulary::{Link, TransportKind};
