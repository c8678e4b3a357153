//! `unix-dgram`: `SOCK_DGRAM`, the receiver's socket bound at the path and
//! the sender's socket connected to it, one datagram per message (see
//! [`super`] for what the three Unix-domain types share, [`super::packet`]
//! for the ends).
//!
//! The end marker is an empty datagram (a datagram socket has no
//! end-of-file, so 0 bytes is unambiguous). A dead receiver shows as
//! `ECONNREFUSED` / `ENOTCONN` on send (`PeerGone`); a dead sender shows
//! nothing, so the receiver's waits are slices after which it asks the
//! [`PeerWatch`] (the `OpenOptions::peer` process, the deadline).
//!
//! # Many senders
//! Any number of processes may connect a socket of their own to the path
//! and send; each one's empty datagram is its end marker, handed up as
//! `Disconnected` once per marker (the channel counts them). `bounded:N`
//! is each sender's own send buffer; the receiver's queue limit below
//! bounds all of them together. A dead sender shows nothing, so with
//! several senders (whose receiver watches no process) it is a timeout.
//!
//! # The receiver's queue limit
//! A receiving socket queues at most `net.unix.max_dgram_qlen + 1`
//! datagrams from senders it is not connected to, whatever the send buffer
//! would hold: a `bounded:N` above that is refused, naming the sysctl.

use super::packet::{PacketReceiver, PacketSender};
use super::{Kind, connect, create, receive_in_slices};
use crate::sysctl::Sysctl;
use crate::transport::TransportError;
use crate::transport::backend::{Backend, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, bounded_only};
use crate::transport::peer::PeerWatch;

/// `unix-dgram`: `SOCK_DGRAM`, the sender connected to the receiver's bound path.
pub(crate) static BACKEND: Backend =
    Backend { create: |spec| create(Kind::Dgram, spec), open_sender, open_receiver, native: bounded_only };

/// Kernel limit on the datagrams a receiving socket queues.
const DGRAM_QLEN: Sysctl = Sysctl::new("net.unix.max_dgram_qlen");

/// `net.unix.max_dgram_qlen`, where readable: a receiving socket queues one more datagram than this.
pub(super) fn queue_limit() -> Option<u64> {
    DGRAM_QLEN.read()
}

/// The record's note of the receiver's queue limit `qlen`.
pub(super) fn queue_note(qlen: u64) -> String {
    format!("; the receiver queues at most {} datagrams (net.unix.max_dgram_qlen + 1)", qlen + 1)
}

/// The refusal of `bounded:n` above the queue limit `qlen`.
pub(super) fn refuse_above_queue_limit(n: u64, qlen: u64) -> TransportError {
    TransportError::Refused(format!(
        "unix-dgram bounded:{n}: a receiving socket queues at most {} datagrams ({DGRAM_QLEN} = {qlen}, plus one); \
         raise it to at least {} with `sysctl -w net.unix.max_dgram_qlen={}` (as root; sockets created afterwards \
         get the new limit)",
        qlen + 1,
        n - 1,
        n - 1
    ))
}

/// Open the sending end: a socket of its own, connected to the path.
fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let (fd, watch) = connect(Kind::Dgram, src, opts)?;
    Ok(Box::new(PacketSender::new(fd, Kind::Dgram, watch, spec.message_size)))
}

/// Open the receiving end: the bound socket, receiving in slices.
fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let fd = src.take_fd(Kind::Dgram.fd_key())?;
    let watch = PeerWatch::new(opts.peer, opts.timeout);
    receive_in_slices(Kind::Dgram, &fd)?;
    Ok(Box::new(PacketReceiver::bound(fd, Kind::Dgram, spec.message_size, watch)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::Capacity;
    use crate::transport::backends::unix::tests::fills_at_realised;
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    /// `bounded:N` up to the queue limit is realised exactly; one more is
    /// refused, naming the sysctl.
    #[test]
    fn dgram_bound_above_queue_limit_is_refused() {
        let Some(qlen) = queue_limit() else { return };
        let fits = qlen as usize + 1;
        assert_eq!(fills_at_realised(TransportKind::UnixDgram, fits, 16), fits as u64);
        match Channel::create(&ChannelSpec::new(TransportKind::UnixDgram, Capacity::Bounded(fits + 1), 16)) {
            Err(TransportError::Refused(text)) => {
                assert!(text.contains("max_dgram_qlen") && text.contains("sysctl"), "{text}")
            }
            Err(e) => panic!("bounded:{}: {e}", fits + 1),
            Ok(_) => panic!("bounded:{} above max_dgram_qlen {qlen} accepted", fits + 1),
        }
    }
}
