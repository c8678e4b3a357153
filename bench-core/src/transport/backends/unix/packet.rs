//! The ends of the two Unix-domain packet types, `unix-seqpacket` and
//! `unix-dgram`: one `send` and one `recv` per message, boundaries kept by
//! the kernel. The end marker differs by type (an empty datagram; a
//! seqpacket one byte longer than any message, see [`super::seqpacket`]):
//! the receiver reads with `MSG_TRUNC`, so a packet's full length tells
//! message, marker and end-of-file apart whatever its buffer.

use std::os::fd::OwnedFd;

use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::{RecvFlags, SendFlags};

use super::{Kind, PACKET_OVERHEAD, accept};
use crate::transport::TransportError;
use crate::transport::backend::{RawReceiver, RawSender};
use crate::transport::peer::{PeerWatch, wait_fd};

/// The sending end: one send per message.
pub(super) struct PacketSender {
    fd: OwnedFd,
    kind: Kind,
    watch: PeerWatch,
    max: usize,
    /// Bytes of the end marker.
    marker: usize,
}

impl PacketSender {
    /// The end on `fd`, connected, for messages of up to `max` bytes.
    pub(super) fn new(fd: OwnedFd, kind: Kind, watch: PeerWatch, max: usize) -> Self {
        Self { fd, kind, watch, max, marker: kind.marker_len(max) }
    }

    /// A blocking send returned `first`: wait in slices (SO_SNDTIMEO) with the watch.
    #[cold]
    fn send_slow(&mut self, msg: &[u8], first: Errno) -> Result<(), TransportError> {
        let mut error = first;
        loop {
            match error {
                Errno::AGAIN => self.watch.check()?,
                Errno::INTR => {}
                e => return Err(self.error(e, msg.len())),
            }
            match rustix::net::send(&self.fd, msg, SendFlags::NOSIGNAL) {
                Ok(_) => {
                    self.watch.progressed();
                    return Ok(());
                }
                Err(e) => error = e,
            }
        }
    }

    fn error(&self, e: Errno, len: usize) -> TransportError {
        match e {
            Errno::PIPE | Errno::CONNRESET | Errno::CONNREFUSED | Errno::NOTCONN => {
                TransportError::PeerGone(format!("{}: the receiver closed its socket ({e})", self.kind.name()))
            }
            Errno::MSGSIZE => TransportError::TooLarge {
                len,
                max: self.max,
                limit: format!("what the sender's SO_SNDBUF less {PACKET_OVERHEAD} bytes carries"),
            },
            e => self.kind.io("send", e),
        }
    }
}

impl RawSender for PacketSender {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        match rustix::net::send(&self.fd, msg, SendFlags::NOSIGNAL) {
            Ok(_) => Ok(()),
            Err(e) => self.send_slow(msg, e),
        }
    }

    #[inline]
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        loop {
            match rustix::net::send(&self.fd, msg, SendFlags::NOSIGNAL | SendFlags::DONTWAIT) {
                Ok(_) => {
                    self.watch.progressed();
                    return Ok(true);
                }
                Err(Errno::AGAIN) => return Ok(false),
                Err(Errno::INTR) => {}
                Err(e) => return Err(self.error(e, msg.len())),
            }
        }
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        wait_fd(&self.fd, PollFlags::OUT, &mut self.watch)
    }

    fn close(&mut self) -> Result<(), TransportError> {
        let marker = vec![0u8; self.marker];
        self.send(&marker)
    }
}

/// The receiving end: `unix-seqpacket` accepts on the first `recv`,
/// `unix-dgram` receives on its bound socket; then one receive per message.
pub(super) struct PacketReceiver {
    /// The connection (seqpacket, once accepted) or the bound socket (dgram).
    conn: Option<OwnedFd>,
    /// Seqpacket until the connection is accepted.
    listener: Option<OwnedFd>,
    kind: Kind,
    max: usize,
    watch: PeerWatch,
    /// The end marker arrived.
    ended: bool,
}

impl PacketReceiver {
    /// The end that accepts its connection on `listener` at the first `recv` (seqpacket).
    pub(super) fn listening(listener: OwnedFd, kind: Kind, max: usize, watch: PeerWatch) -> Self {
        Self { conn: None, listener: Some(listener), kind, max, watch, ended: false }
    }

    /// The end that receives on `sock`, bound and receiving in slices (dgram).
    pub(super) fn bound(sock: OwnedFd, kind: Kind, max: usize, watch: PeerWatch) -> Self {
        Self { conn: Some(sock), listener: None, kind, max, watch, ended: false }
    }

    /// What a receive of a packet whose full length is `n` means.
    #[inline]
    fn got(&mut self, n: usize, room: usize) -> Result<usize, TransportError> {
        if n >= 1 && n <= self.max && n <= room {
            return Ok(n);
        }
        match (self.kind, n) {
            // One sender's end: the channel counts them (others may follow).
            (Kind::Dgram, 0) => Err(TransportError::Disconnected),
            (Kind::Seqpacket, 0) => Err(TransportError::PeerGone(format!(
                "{}: the sender's socket closed without the end marker",
                self.kind.name()
            ))),
            (Kind::Seqpacket, n) if n == self.max + 1 => {
                self.ended = true;
                Err(TransportError::Disconnected)
            }
            _ => Err(TransportError::Protocol(format!(
                "{}: a message of {n} bytes, but the channel carries at most {} (buffer {room})",
                self.kind.name(),
                self.max
            ))),
        }
    }

    fn error(&self, e: Errno) -> TransportError {
        match e {
            Errno::CONNRESET | Errno::NOTCONN | Errno::PIPE => {
                TransportError::PeerGone(format!("{}: the sender's socket closed ({e})", self.kind.name()))
            }
            e => self.kind.io("recv", e),
        }
    }

    /// Accept if not yet connected, then receive in slices (SO_RCVTIMEO) with the watch.
    #[cold]
    fn recv_slow(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        if self.ended {
            return Err(TransportError::Disconnected);
        }
        if self.conn.is_none() {
            let Some(listener) = &self.listener else {
                return Err(TransportError::Protocol(format!("{}: the receiver lost its listener", self.kind.name())));
            };
            self.conn = Some(accept(self.kind, listener, &mut self.watch)?);
            self.listener = None;
        }
        let room = buf.len();
        loop {
            let Some(conn) = &self.conn else { unreachable!("connected above") };
            match rustix::net::recv(conn, &mut *buf, RecvFlags::TRUNC) {
                Ok((_, n)) => {
                    self.watch.progressed();
                    return self.got(n, room);
                }
                Err(Errno::AGAIN) => self.watch.check()?,
                Err(Errno::INTR) => {}
                Err(e) => return Err(self.error(e)),
            }
        }
    }
}

impl RawReceiver for PacketReceiver {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        if let (Some(conn), false) = (&self.conn, self.ended) {
            let room = buf.len();
            match rustix::net::recv(conn, &mut *buf, RecvFlags::TRUNC) {
                Ok((_, n)) => return self.got(n, room),
                Err(Errno::AGAIN | Errno::INTR) => {}
                Err(e) => return Err(self.error(e)),
            }
        }
        self.recv_slow(buf)
    }
}
