//! How the Unix-domain sockets realise a capacity: the sender's
//! `SO_SNDBUF`, sized by measuring what fits.
//!
//! The sender's socket is charged for every message until the receiver
//! takes it (about 770 bytes of `skb` per small message on Linux 6.x), and
//! a send blocks (`EAGAIN` with `MSG_DONTWAIT`) once the charge reaches its
//! `SO_SNDBUF`; a datagram socket's receiver also queues at most
//! `net.unix.max_dgram_qlen + 1` datagrams from senders it is not connected
//! to (see [`super::dgram`]). `SO_RCVBUF` plays no part for `AF_UNIX` (the
//! receiver's queue is charged to the sender), so it is left alone.
//!
//! | mode | realised as |
//! | --- | --- |
//! | `bounded:N` | the smallest `SO_SNDBUF` (param `sndbuf`, set by the sender) under which N messages of `message_size` bytes fit, found by binary search; the count is MEASURED with non-blocking sends in the transport's framing into a throwaway connected pair of the same type (stream, seqpacket) or into the real receiving socket before it is handed over, then drained (dgram: a socketpair's ends are connected to each other, which lifts the queue limit); the kernel doubles the request and has a minimum (4608 bytes: 6 small messages), so N below that is realised as more, and recorded |
//! | `unbounded` | the default send buffer (raised only if one message does not fit it); the channel sends with `MSG_DONTWAIT` and keeps the rest |
//! | `rendezvous` | `bounded:1` plus the channel's acknowledgements |
//!
//! Refused: an N the largest send buffer (`/proc/sys/net/core/wmem_max`)
//! cannot hold, naming it, and a dgram N above the receiver's queue limit.

use std::os::fd::OwnedFd;

use rustix::io::Errno;
use rustix::net::sockopt;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

use super::{Kind, PACKET_OVERHEAD, WMEM_MAX, dgram};
use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::OneWaySpec;
use crate::transport::framing::{FrameWriter, StreamKind};
use crate::transport::peer::{PeerWatch, SLICE};

/// A capacity probe that has not filled after this many messages is not filling.
const PROBE_LIMIT: u64 = 1 << 24;

/// Where capacity probes send.
pub(super) enum Prober<'a> {
    /// A throwaway connected pair of this type: the same accounting as a
    /// pair made by connect and accept (stream, seqpacket).
    Pair(Kind),
    /// The real receiving socket, drained after each probe (dgram: the
    /// ends of a socketpair are connected to each other, which lifts the
    /// receiver's queue limit, so a pair is not configured identically).
    Receiver { addr: &'a SocketAddrUnix, sock: &'a OwnedFd },
}

impl Prober<'_> {
    /// How many messages of `size` bytes a sender with `SO_SNDBUF` asked
    /// as `sndbuf` (None: the default) gets in with non-blocking sends, up
    /// to `cap`; and the send buffer the kernel set.
    pub(super) fn count(&self, sndbuf: Option<usize>, size: usize, cap: u64) -> Result<(u64, usize), TransportError> {
        let kind = match self {
            Prober::Pair(kind) => *kind,
            Prober::Receiver { .. } => Kind::Dgram,
        };
        let (tx, peer) = match self {
            Prober::Pair(kind) => {
                let (a, b) =
                    rustix::net::socketpair(AddressFamily::UNIX, kind.socket_type(), SocketFlags::CLOEXEC, None)
                        .map_err(|e| kind.io("socketpair (capacity probe)", e))?;
                (a, Some(b))
            }
            Prober::Receiver { addr, .. } => {
                let fd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC, None)
                    .map_err(|e| kind.io("socket (capacity probe)", e))?;
                rustix::net::connect(&fd, *addr).map_err(|e| kind.io("connect (capacity probe)", e))?;
                (fd, None)
            }
        };
        if let Some(v) = sndbuf {
            sockopt::set_socket_send_buffer_size(&tx, v).map_err(|e| kind.io("SO_SNDBUF", e))?;
        }
        let actual = sockopt::socket_send_buffer_size(&tx).map_err(|e| kind.io("SO_SNDBUF", e))?;
        let msg = vec![0x5a_u8; size];
        let mut n = 0;
        if kind == Kind::Stream {
            // The framing's own try_send on a blocking socket: exactly what the real sender does.
            let watch = PeerWatch::new(None, SLICE);
            let mut writer = FrameWriter::new(tx, StreamKind::Socket, false, watch, kind.name());
            while n < cap && writer.try_send(&msg)? {
                n += 1;
            }
        } else {
            let result = fill(kind, &tx, &msg, cap, &mut n);
            if let Prober::Receiver { sock, .. } = self {
                drain(sock, size);
            }
            result?;
        }
        drop(peer);
        Ok((n, actual))
    }
}

/// Non-blocking sends of `msg` until the socket refuses one or `cap` went in; the count in `n`.
fn fill(kind: Kind, fd: &OwnedFd, msg: &[u8], cap: u64, n: &mut u64) -> Result<(), TransportError> {
    while *n < cap {
        match rustix::net::send(fd, msg, SendFlags::DONTWAIT | SendFlags::NOSIGNAL) {
            Ok(_) => *n += 1,
            Err(Errno::AGAIN) => break,
            Err(Errno::INTR) => {}
            Err(e @ (Errno::MSGSIZE | Errno::NOBUFS | Errno::NOMEM)) => {
                return Err(TransportError::Refused(format!(
                    "{}: the kernel refused a {}-byte message ({e}); the limits are SO_SNDBUF (at most twice \
                     {WMEM_MAX}) less {PACKET_OVERHEAD} bytes, and what it can allocate for one message",
                    kind.name(),
                    msg.len()
                )));
            }
            Err(e) => return Err(kind.io("send (capacity probe)", e)),
        }
    }
    Ok(())
}

/// Empty a receiving socket's queue (after a probe).
fn drain(sock: &OwnedFd, size: usize) {
    let mut buf = vec![0u8; size.max(1)];
    loop {
        match rustix::net::recv(sock, &mut buf[..], RecvFlags::DONTWAIT | RecvFlags::TRUNC) {
            Ok(_) | Err(Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

/// How the send buffer was sized.
pub(super) struct Sizing {
    /// The `SO_SNDBUF` request the sender makes (None: the default).
    pub(super) sndbuf: Option<usize>,
    /// Messages of `message_size` bytes that fit (None: unbounded).
    pub(super) realised: Option<u64>,
    /// How, for the record.
    pub(super) detail: String,
}

/// Size the sender's buffer for the spec's capacity (see the module docs):
/// `wmem_max` is the largest request, `default` the send buffer a socket
/// starts with, `prober` where the counts are measured.
pub(super) fn size(
    kind: Kind,
    spec: &OneWaySpec,
    wmem_max: usize,
    default: usize,
    prober: &Prober<'_>,
) -> Result<Sizing, TransportError> {
    let size = spec.message_size;
    let name = kind.name();
    let lo = kind.min_request(size);
    let qlen = if kind == Kind::Dgram { dgram::queue_limit() } else { None };
    let queue_note = qlen.map(dgram::queue_note);
    let n = match spec.capacity {
        Capacity::Bounded(n) => n as u64,
        // Rendezvous reaches non-native backends as bounded:1; treat a direct one alike.
        Capacity::Rendezvous => 1,
        Capacity::Unbounded => {
            let sndbuf = (default < kind.needed_sndbuf(size)).then_some(lo);
            // One message must go in.
            let (_, actual) = prober.count(sndbuf, size, 1)?;
            let how = match sndbuf {
                None => format!("default SO_SNDBUF {actual} bytes"),
                Some(v) => {
                    format!("SO_SNDBUF {actual} bytes (asked {v}: the default {default} is short of one message)")
                }
            };
            return Ok(Sizing {
                sndbuf,
                realised: None,
                detail: format!(
                    "{how}{}; non-blocking sends, what the kernel refuses waits in the sender's queue",
                    queue_note.unwrap_or_default()
                ),
            });
        }
    };
    if let Some(q) = qlen
        && n > q + 1
    {
        return Err(dgram::refuse_above_queue_limit(n, q));
    }
    let hi = wmem_max.max(lo);
    let (most, most_actual) = prober.count(Some(hi), size, n)?;
    if most < n {
        if let Some(q) = qlen
            && most == q + 1
        {
            return Err(dgram::refuse_above_queue_limit(n, q));
        }
        let need = (hi as u128 * n as u128).div_ceil(most.max(1) as u128);
        return Err(TransportError::Refused(format!(
            "{name} bounded:{n} with {size}-byte messages: the largest send buffer (SO_SNDBUF {most_actual} bytes, \
             twice {WMEM_MAX} = {wmem_max}) holds only {most} of them; raise it to about {need} with \
             `sysctl -w net.core.wmem_max={need}`"
        )));
    }
    // The smallest request under which n fit: count(bad) < n <= count(good).
    let best = if prober.count(Some(lo), size, n)?.0 >= n {
        lo
    } else {
        let (mut bad, mut good) = (lo, hi);
        while good - bad > 1 {
            let mid = bad + (good - bad) / 2;
            if prober.count(Some(mid), size, n)?.0 >= n {
                good = mid;
            } else {
                bad = mid;
            }
        }
        good
    };
    let (realised, actual) = prober.count(Some(best), size, PROBE_LIMIT)?;
    if realised >= PROBE_LIMIT {
        return Err(TransportError::Refused(format!("{name}: a capacity probe took {PROBE_LIMIT} messages")));
    }
    let (unit, into) = match kind {
        Kind::Stream => (format!("frames of 4 + {size} bytes"), "a throwaway socket pair"),
        Kind::Seqpacket => (format!("packets of {size} bytes"), "a throwaway socket pair"),
        Kind::Dgram => (format!("datagrams of {size} bytes"), "the receiving socket before it was handed over"),
    };
    Ok(Sizing {
        sndbuf: Some(best),
        realised: Some(realised),
        detail: format!(
            "SO_SNDBUF {actual} bytes (asked {best}): {realised} {unit}, measured with non-blocking sends into \
             {into}{}",
            queue_note.unwrap_or_default()
        ),
    })
}
