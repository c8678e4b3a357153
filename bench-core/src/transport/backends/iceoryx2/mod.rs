//! `iceoryx2`: iceoryx2's zero-copy publish-subscribe between a publisher
//! process and a subscriber process, behind the transport contract, and
//! through its loans for the harness.
//!
//! One direction is one iceoryx2 service with one publisher and one
//! subscriber, in a world of its own: the creating process makes a private
//! directory for iceoryx2's files (its `root_path`) and a name prefix for
//! its shared memory (`ringside-<pid>-ns<pidns>-<n>-iox2_`), so every file
//! and segment iceoryx2 makes for the channel is ringside's by name, and is
//! removed with the channel, on an interrupt, and by `harness clean` after
//! a `kill -9` ([`crate::transport::objects`]), whatever iceoryx2 itself
//! leaves (it keeps a management segment in `/dev/shm` even after a clean
//! exit, and a killed process's node files).
//!
//! - `bounded:N`: the subscriber's buffer holds N samples, safe overflow
//!   off, and a publisher that finds it full retries (iceoryx2's adaptive
//!   wait: yield, then sleep) until the subscriber takes one, the peer dies
//!   or the end's timeout passes. Native.
//! - `rendezvous` and `unbounded`: built by the channel layer, as for the
//!   kernel transports (a one-sample buffer and acknowledgements on a
//!   second service; non-blocking sends and a spill queue).
//! - Through the contract ([`contract`]) each message is copied into a
//!   loaned sample and out of the received one. The harness drives
//!   `bounded:N` through [`loans`] instead: composed in the loaned sample,
//!   checked in the received one, as the ring is driven through its slots
//!   ([`vocabulary::TransportKind::lends_slots`]).
//! - The end of the stream is a sample of no bytes (every message carries
//!   at least its 8-byte sequence number). A subscriber waits by polling
//!   `receive` (spinning briefly, then yielding): iceoryx2 has no blocking
//!   receive outside its event services.
//!
//! Without the cargo feature `iceoryx2`, every channel is refused with the
//! reason ([`unavailable`]).

#[cfg(feature = "iceoryx2")]
mod contract;
#[cfg(feature = "iceoryx2")]
pub mod loans;
#[cfg(feature = "iceoryx2")]
mod port;
#[cfg(feature = "iceoryx2")]
mod world;

#[cfg(feature = "iceoryx2")]
pub(crate) use contract::BACKEND;
#[cfg(feature = "iceoryx2")]
pub(crate) use world::Place;

#[cfg(not(feature = "iceoryx2"))]
mod unavailable;
#[cfg(not(feature = "iceoryx2"))]
pub(crate) use unavailable::BACKEND;
