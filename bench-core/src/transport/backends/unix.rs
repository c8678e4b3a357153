//! Unix-domain sockets: `unix-stream` (`SOCK_STREAM`), `unix-seqpacket`
//! (`SOCK_SEQPACKET`) and `unix-dgram` (`SOCK_DGRAM`), each reached through
//! a socket path in a private directory ([`private_dir`]; the path and the
//! directory are registered in [`Created::objects`]).
//!
//! # Setting up
//! - `unix-stream`, `unix-seqpacket`: `create` binds a listening socket
//!   (`O_NONBLOCK`, close-on-exec) at the path and hands it to the receiver
//!   (descriptor `listen`); the sender connects to param `path` when it
//!   opens. The receiver accepts on its first `recv`, polling the listener
//!   in slices with a [`PeerWatch`], so a sender that never comes is a
//!   `Timeout` (or `PeerGone` once its process is known dead), never a hang,
//!   and the two ends may be opened in either order, even by one thread
//!   (which a rendezvous, whose acknowledgements run the other way, needs).
//! - `unix-dgram`: `create` binds the receiver's socket at the path
//!   (descriptor `sock`); the sender creates its own socket and connects it
//!   to the path.
//!
//! # Messages and the end of the stream
//! - stream: length-prefixed frames ([`FrameWriter`] / [`FrameReader`],
//!   sent with `MSG_NOSIGNAL`); the empty frame is the clean end, EOF
//!   without it is `PeerGone`.
//! - seqpacket: one packet per message, boundaries kept by the kernel. An
//!   empty packet cannot be the end marker: `recv` returns 0 for it and for
//!   end-of-file alike, and `recvmsg` sets no flag that tells them apart
//!   (no `MSG_EOR` on `AF_UNIX`; checked by the test
//!   `seqpacket_empty_packet_reads_as_eof`). So the end marker is a packet
//!   of `message_size + 1` bytes, one more than any message may carry. The
//!   receiver reads with `MSG_TRUNC`, which returns a packet's full length
//!   even when the buffer is shorter, so it recognises the marker whatever
//!   its buffer; 0 bytes is then always end-of-file without the marker
//!   (`PeerGone`). The send buffer is sized so that the marker fits too.
//! - dgram: one datagram per message; the end marker is an empty datagram
//!   (a datagram socket has no end-of-file, so 0 bytes is unambiguous). A
//!   dead receiver shows as `ECONNREFUSED` / `ENOTCONN` on send
//!   (`PeerGone`); a dead sender shows nothing, so the receiver's waits are
//!   slices after which it asks the [`PeerWatch`] (the `OpenOptions::peer`
//!   process, the deadline).
//!
//! # Waiting
//! Every socket a side uses is blocking, with `SO_SNDTIMEO` (sender) or
//! `SO_RCVTIMEO` (receiver) of one [`SLICE`]: a send or receive is one system
//! call that the kernel blocks in; when a slice passes without progress the
//! call returns `EAGAIN`, the [`PeerWatch`] is asked (peer process alive?
//! deadline passed?) and the call is made again. `try_send` is one
//! `send(MSG_DONTWAIT | MSG_NOSIGNAL)`; `wait_writable` polls `POLLOUT` in
//! slices (for dgram the kernel's poll also looks at the receiver's queue).
//!
//! # Capacity modes
//! The sender's socket is charged for every message until the receiver
//! takes it (about 770 bytes of `skb` per small message on Linux 6.x), and
//! a send blocks (`EAGAIN` with `MSG_DONTWAIT`) once the charge reaches its
//! `SO_SNDBUF`; a datagram socket's receiver also queues at most
//! `net.unix.max_dgram_qlen + 1` datagrams from senders it is not connected
//! to. `SO_RCVBUF` plays no part for `AF_UNIX` (the receiver's queue is
//! charged to the sender), so it is left alone.
//!
//! | mode | realised as |
//! | --- | --- |
//! | `bounded:N` | the smallest `SO_SNDBUF` (param `sndbuf`, set by the sender) under which N messages of `message_size` bytes fit, found by binary search; the count is MEASURED with non-blocking sends in the transport's framing into a throwaway connected pair of the same type (stream, seqpacket) or into the real receiving socket before it is handed over, then drained (dgram: a socketpair's ends are connected to each other, which lifts the queue limit); the kernel doubles the request and has a minimum (4608 bytes: 6 small messages), so N below that is realised as more, and recorded |
//! | `unbounded` | the default send buffer (raised only if one message does not fit it); the channel sends with `MSG_DONTWAIT` and keeps the rest |
//! | `rendezvous` | `bounded:1` plus the channel's acknowledgements |
//!
//! Refused: a dgram `bounded:N` above the receiver's queue limit (naming
//! `/proc/sys/net/unix/max_dgram_qlen`), an N the largest send buffer
//! (`/proc/sys/net/core/wmem_max`) cannot hold, a packet larger than
//! `SO_SNDBUF` less 32 bytes allows (or than the kernel allocates for one
//! message: about 4 MiB), a stream message larger than [`FrameReader`]
//! holds (65536 bytes: its buffer, not the kernel, sets that limit).

use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::event::PollFlags;
use rustix::io::Errno;
use rustix::net::sockopt::{self, Timeout};
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

use crate::ring::Capacity;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source};
use crate::transport::framing::{FrameReader, FrameWriter, StreamKind};
use crate::transport::objects::{IpcObject, ObjectGuard, private_dir};
use crate::transport::peer::{PeerWatch, SLICE, wait_fd};
use crate::transport::{TransportError, TransportKind};

/// `unix-stream`: `SOCK_STREAM` through a listening socket path, framed.
pub(crate) static STREAM: Backend = Backend {
    create: |spec| create(Kind::Stream, spec),
    open_sender: |spec, src, opts| open_sender(Kind::Stream, spec, src, opts),
    open_receiver: |spec, src, opts| open_receiver(Kind::Stream, spec, src, opts),
    native_modes: false,
};

/// `unix-dgram`: `SOCK_DGRAM`, the sender connected to the receiver's bound path.
pub(crate) static DGRAM: Backend = Backend {
    create: |spec| create(Kind::Dgram, spec),
    open_sender: |spec, src, opts| open_sender(Kind::Dgram, spec, src, opts),
    open_receiver: |spec, src, opts| open_receiver(Kind::Dgram, spec, src, opts),
    native_modes: false,
};

/// `unix-seqpacket`: `SOCK_SEQPACKET` through a listening socket path, one packet per message.
pub(crate) static SEQPACKET: Backend = Backend {
    create: |spec| create(Kind::Seqpacket, spec),
    open_sender: |spec, src, opts| open_sender(Kind::Seqpacket, spec, src, opts),
    open_receiver: |spec, src, opts| open_receiver(Kind::Seqpacket, spec, src, opts),
    native_modes: false,
};

/// Param: the socket path.
const PATH: &str = "path";
/// Param: the `SO_SNDBUF` request the sender makes (0: the default).
const SNDBUF: &str = "sndbuf";
/// File name of the socket in the private directory.
const SOCKET_NAME: &str = "sock";
/// Bytes of a datagram or packet the kernel reserves: `len > sk_sndbuf - 32` is `EMSGSIZE`.
const PACKET_OVERHEAD: usize = 32;
use crate::transport::framing::MAX_MESSAGE as FRAME_MAX;
/// A capacity probe that has not filled after this many messages is not filling.
const PROBE_LIMIT: u64 = 1 << 24;
/// Kernel limit on `SO_SNDBUF` requests by unprivileged processes.
const WMEM_MAX: &str = "/proc/sys/net/core/wmem_max";
/// Kernel limit on the datagrams a receiving socket queues.
const DGRAM_QLEN: &str = "/proc/sys/net/unix/max_dgram_qlen";

/// Which of the three socket types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Stream,
    Seqpacket,
    Dgram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Stream => TransportKind::UnixStream,
            Kind::Seqpacket => TransportKind::UnixSeqpacket,
            Kind::Dgram => TransportKind::UnixDgram,
        }
        .name()
    }

    fn socket_type(self) -> SocketType {
        match self {
            Kind::Stream => SocketType::STREAM,
            Kind::Seqpacket => SocketType::SEQPACKET,
            Kind::Dgram => SocketType::DGRAM,
        }
    }

    /// The key of the receiver's descriptor.
    fn fd_key(self) -> &'static str {
        match self {
            Kind::Dgram => "sock",
            Kind::Stream | Kind::Seqpacket => "listen",
        }
    }

    /// Bytes of the end marker (stream: the framing's own empty frame).
    fn marker_len(self, message_size: usize) -> usize {
        match self {
            Kind::Seqpacket => message_size + 1,
            Kind::Stream | Kind::Dgram => 0,
        }
    }

    /// The send buffer, as the kernel counts it, that the largest message
    /// and the end marker need (streams split what does not fit).
    fn needed_sndbuf(self, message_size: usize) -> usize {
        match self {
            Kind::Stream => 0,
            Kind::Seqpacket | Kind::Dgram => message_size.max(self.marker_len(message_size)) + PACKET_OVERHEAD,
        }
    }

    /// The smallest `SO_SNDBUF` request that gives [`needed_sndbuf`](Self::needed_sndbuf)
    /// (the kernel doubles requests).
    fn min_request(self, message_size: usize) -> usize {
        self.needed_sndbuf(message_size).div_ceil(2).max(1)
    }

    fn io(self, op: &str, e: impl Into<std::io::Error>) -> TransportError {
        TransportError::io(format!("{}: {op}", self.name()), e)
    }
}

fn read_sysctl(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// `net.core.wmem_max`, from `/proc` or, where that is not mounted, from the
/// kernel itself (a request above the limit is clamped to it, then doubled).
fn wmem_max(kind: Kind) -> Result<usize, TransportError> {
    if let Some(v) = read_sysctl(WMEM_MAX) {
        return Ok(v as usize);
    }
    let fd = rustix::net::socket_with(AddressFamily::UNIX, SocketType::DGRAM, SocketFlags::CLOEXEC, None)
        .map_err(|e| kind.io("socket", e))?;
    sockopt::set_socket_send_buffer_size(&fd, i32::MAX as usize).map_err(|e| kind.io("SO_SNDBUF", e))?;
    Ok(sockopt::socket_send_buffer_size(&fd).map_err(|e| kind.io("SO_SNDBUF", e))? / 2)
}

/// Refuse a message size this socket type cannot carry.
fn check_size(kind: Kind, size: usize, wmem_max: usize) -> Result<(), TransportError> {
    match kind {
        Kind::Stream if size > FRAME_MAX => Err(TransportError::TooLarge {
            len: size,
            max: FRAME_MAX,
            limit:
                "the largest frame framing::FrameReader holds (a limit of its 64 KiB read buffer, not of the kernel)"
                    .into(),
        }),
        Kind::Seqpacket | Kind::Dgram if kind.min_request(size) > wmem_max => {
            let extra = kind.marker_len(size).saturating_sub(size);
            Err(TransportError::TooLarge {
                len: size,
                max: (2 * wmem_max).saturating_sub(PACKET_OVERHEAD + extra),
                limit: format!(
                    "the largest {} message the largest send buffer carries (SO_SNDBUF, at most twice {WMEM_MAX} \
                     = {wmem_max}, less {PACKET_OVERHEAD} bytes{}; raise it with `sysctl -w net.core.wmem_max=BYTES`)",
                    kind.name(),
                    if extra > 0 { " and one for the end marker" } else { "" },
                ),
            })
        }
        _ => Ok(()),
    }
}

fn socket_addr(kind: Kind, path: &Path) -> Result<SocketAddrUnix, TransportError> {
    SocketAddrUnix::new(path).map_err(|e| match e {
        Errno::NAMETOOLONG => TransportError::Refused(format!(
            "{}: socket path {} is longer than sun_path's 108 bytes; point XDG_RUNTIME_DIR or TMPDIR at a shorter \
             directory",
            kind.name(),
            path.display()
        )),
        e => kind.io(format!("socket path {}", path.display()).as_str(), e),
    })
}

/// Where capacity probes send.
enum Prober<'a> {
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
    fn count(&self, sndbuf: Option<usize>, size: usize, cap: u64) -> Result<(u64, usize), TransportError> {
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
struct Sizing {
    /// The `SO_SNDBUF` request the sender makes (None: the default).
    sndbuf: Option<usize>,
    /// Messages of `message_size` bytes that fit (None: unbounded).
    realised: Option<u64>,
    detail: String,
}

/// Size the sender's buffer for the spec's capacity (see the module docs).
fn size_send_buffer(
    kind: Kind,
    spec: &OneWaySpec,
    wmem_max: usize,
    default: usize,
    prober: &Prober<'_>,
) -> Result<Sizing, TransportError> {
    let size = spec.message_size;
    let name = kind.name();
    let lo = kind.min_request(size);
    let qlen = if kind == Kind::Dgram { read_sysctl(DGRAM_QLEN) } else { None };
    let queue_note =
        qlen.map(|q| format!("; the receiver queues at most {} datagrams (net.unix.max_dgram_qlen + 1)", q + 1));
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
        return Err(refuse_qlen(n, q));
    }
    let hi = wmem_max.max(lo);
    let (most, most_actual) = prober.count(Some(hi), size, n)?;
    if most < n {
        if let Some(q) = qlen
            && most == q + 1
        {
            return Err(refuse_qlen(n, q));
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

fn refuse_qlen(n: u64, qlen: u64) -> TransportError {
    TransportError::Refused(format!(
        "unix-dgram bounded:{n}: a receiving socket queues at most {} datagrams ({DGRAM_QLEN} = {qlen}, plus one); \
         raise it to at least {} with `sysctl -w net.unix.max_dgram_qlen={}` (as root; sockets created afterwards \
         get the new limit)",
        qlen + 1,
        n - 1,
        n - 1
    ))
}

/// Create one direction: the socket path, the receiver's socket, the send buffer size.
fn create(kind: Kind, spec: &OneWaySpec) -> Result<Created, TransportError> {
    let size = spec.message_size;
    let wmem_max = wmem_max(kind)?;
    check_size(kind, size, wmem_max)?;
    let mut objects = ObjectGuard::new();
    let dir = private_dir(&mut objects).map_err(|e| kind.io("private directory", e))?;
    let path = dir.join(SOCKET_NAME);
    let path_text = path
        .to_str()
        .filter(|p| !p.contains([';', '=']))
        .ok_or_else(|| {
            TransportError::Refused(format!(
                "{}: socket path {} is not UTF-8 or holds ';' or '='",
                kind.name(),
                path.display()
            ))
        })?
        .to_owned();
    let addr = socket_addr(kind, &path)?;
    let flags = match kind {
        Kind::Dgram => SocketFlags::CLOEXEC,
        // The receiver accepts without blocking and polls the listener in slices between tries.
        Kind::Stream | Kind::Seqpacket => SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
    };
    let sock = rustix::net::socket_with(AddressFamily::UNIX, kind.socket_type(), flags, None)
        .map_err(|e| kind.io("socket", e))?;
    rustix::net::bind(&sock, &addr).map_err(|e| kind.io(&format!("bind {path_text}"), e))?;
    objects.add(IpcObject::Path(path.clone()));
    if kind != Kind::Dgram {
        rustix::net::listen(&sock, 1).map_err(|e| kind.io("listen", e))?;
    }
    let default = sockopt::socket_send_buffer_size(&sock).map_err(|e| kind.io("SO_SNDBUF", e))?;
    let prober = match kind {
        Kind::Dgram => Prober::Receiver { addr: &addr, sock: &sock },
        Kind::Stream | Kind::Seqpacket => Prober::Pair(kind),
    };
    let sizing = size_send_buffer(kind, spec, wmem_max, default, &prober)?;
    if kind.marker_len(size) > size {
        // The end marker is larger than any message: it must go in too.
        prober.count(sizing.sndbuf, kind.marker_len(size), 1)?;
    }
    let mut created = Created { realised: sizing.realised, detail: sizing.detail, objects, ..Created::default() };
    created.params.insert(PATH.into(), path_text);
    created.params.insert(SNDBUF.into(), sizing.sndbuf.unwrap_or(0).to_string());
    created.fds.push((Role::Receiver, kind.fd_key().into(), sock));
    Ok(created)
}

/// Open the sending end: a socket of our own, connected to the path.
fn open_sender(
    kind: Kind,
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let path = src.param(PATH)?.to_owned();
    let sndbuf: usize = src.parse(SNDBUF)?;
    let addr = socket_addr(kind, Path::new(&path))?;
    let fd = rustix::net::socket_with(AddressFamily::UNIX, kind.socket_type(), SocketFlags::CLOEXEC, None)
        .map_err(|e| kind.io("socket", e))?;
    if sndbuf > 0 {
        sockopt::set_socket_send_buffer_size(&fd, sndbuf).map_err(|e| kind.io("SO_SNDBUF", e))?;
    }
    sockopt::set_socket_timeout(&fd, Timeout::Send, Some(SLICE)).map_err(|e| kind.io("SO_SNDTIMEO", e))?;
    let mut watch = PeerWatch::new(opts.peer, opts.timeout);
    loop {
        match rustix::net::connect(&fd, &addr) {
            Ok(()) | Err(Errno::ISCONN) => break,
            Err(Errno::INTR) => {}
            // The listener's backlog stayed full for a slice.
            Err(Errno::AGAIN) => watch.check()?,
            Err(e @ (Errno::CONNREFUSED | Errno::NOENT)) => {
                return Err(TransportError::PeerGone(format!(
                    "{}: nothing receives at {path} ({e}): the receiver closed its socket",
                    kind.name()
                )));
            }
            Err(e) => return Err(kind.io(&format!("connect {path}"), e)),
        }
    }
    watch.progressed();
    Ok(match kind {
        Kind::Stream => Box::new(FrameWriter::new(fd, StreamKind::Socket, false, watch, kind.name())),
        Kind::Seqpacket | Kind::Dgram => Box::new(PacketSender {
            fd,
            kind,
            watch,
            max: spec.message_size,
            marker: kind.marker_len(spec.message_size),
        }),
    })
}

/// Open the receiving end: the listener (accepted from on the first
/// `recv`) or the bound datagram socket.
fn open_receiver(
    kind: Kind,
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let fd = src.take_fd(kind.fd_key())?;
    let watch = PeerWatch::new(opts.peer, opts.timeout);
    Ok(match kind {
        Kind::Stream => Box::new(StreamReceiver { listener: Some(fd), watch: Some(watch), reader: None }),
        Kind::Seqpacket => Box::new(PacketReceiver {
            conn: None,
            listener: Some(fd),
            kind,
            max: spec.message_size,
            watch,
            ended: false,
        }),
        Kind::Dgram => {
            receive_in_slices(kind, &fd)?;
            Box::new(PacketReceiver {
                conn: Some(fd),
                listener: None,
                kind,
                max: spec.message_size,
                watch,
                ended: false,
            })
        }
    })
}

/// A blocking receive returns `EAGAIN` after a slice without data.
fn receive_in_slices(kind: Kind, fd: &OwnedFd) -> Result<(), TransportError> {
    sockopt::set_socket_timeout(fd, Timeout::Recv, Some(SLICE)).map_err(|e| kind.io("SO_RCVTIMEO", e))
}

/// Accept the sender's connection, polling the (non-blocking) listener in slices.
fn accept(kind: Kind, listener: &OwnedFd, watch: &mut PeerWatch) -> Result<OwnedFd, TransportError> {
    loop {
        match rustix::net::accept_with(listener, SocketFlags::CLOEXEC) {
            Ok(conn) => {
                watch.progressed();
                receive_in_slices(kind, &conn)?;
                return Ok(conn);
            }
            Err(Errno::AGAIN) => wait_fd(listener, PollFlags::IN, watch)?,
            Err(Errno::INTR | Errno::CONNABORTED) => {}
            Err(e) => return Err(kind.io("accept", e)),
        }
    }
}

/// The receiving end of `unix-stream`: accepts on the first `recv`, then reads frames.
struct StreamReceiver {
    listener: Option<OwnedFd>,
    /// Until the connection is accepted; then the reader's.
    watch: Option<PeerWatch>,
    reader: Option<FrameReader>,
}

impl StreamReceiver {
    #[cold]
    fn accept_then_recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        let kind = Kind::Stream;
        let (Some(listener), Some(watch)) = (&self.listener, &mut self.watch) else {
            return Err(TransportError::Protocol(format!("{}: the receiver lost its listener", kind.name())));
        };
        let conn = accept(kind, listener, watch)?;
        self.listener = None;
        let watch = self.watch.take().expect("checked above");
        // `nonblocking: true` because SO_RCVTIMEO makes a read return EAGAIN
        // after a slice: the reader then polls in slices with the watch.
        self.reader.insert(FrameReader::new(conn, true, watch, kind.name())).recv(buf)
    }
}

impl RawReceiver for StreamReceiver {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        match &mut self.reader {
            Some(reader) => reader.recv(buf),
            None => self.accept_then_recv(buf),
        }
    }
}

/// The sending end of `unix-seqpacket` and `unix-dgram`: one send per message.
struct PacketSender {
    fd: OwnedFd,
    kind: Kind,
    watch: PeerWatch,
    max: usize,
    /// Bytes of the end marker.
    marker: usize,
}

impl PacketSender {
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

/// The receiving end of `unix-seqpacket` (accepts on the first `recv`)
/// and `unix-dgram`: one receive per message.
struct PacketReceiver {
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
    /// What a receive of a packet whose full length is `n` means.
    #[inline]
    fn got(&mut self, n: usize, room: usize) -> Result<usize, TransportError> {
        if n >= 1 && n <= self.max && n <= room {
            return Ok(n);
        }
        match (self.kind, n) {
            (Kind::Dgram, 0) => {
                self.ended = true;
                Err(TransportError::Disconnected)
            }
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    const KINDS: [TransportKind; 3] =
        [TransportKind::UnixStream, TransportKind::UnixSeqpacket, TransportKind::UnixDgram];

    fn create(kind: TransportKind, capacity: Capacity, size: usize) -> Channel {
        Channel::create(&ChannelSpec::new(kind, capacity, size)).unwrap_or_else(|e| panic!("{kind} {capacity}: {e}"))
    }

    /// The socket paths of a channel, from its address.
    fn paths(chan: &Channel) -> Vec<PathBuf> {
        chan.address().params("path").map(PathBuf::from).collect()
    }

    fn assert_gone(paths: &[PathBuf]) {
        for path in paths {
            assert!(!path.exists(), "{} left behind", path.display());
            assert!(!path.parent().unwrap().exists(), "{} left behind", path.parent().unwrap().display());
        }
    }

    /// Message `seq`: its number, then filler derived from it; lengths vary from 8 to `size`.
    fn message(seq: u64, size: usize, buf: &mut [u8]) -> usize {
        let len = if size <= 8 { size } else { 8 + (seq as usize * 7) % (size - 7) };
        buf[..8].copy_from_slice(&seq.to_le_bytes());
        for (i, b) in buf[8..len].iter_mut().enumerate() {
            *b = (seq as u8).wrapping_add(i as u8);
        }
        len
    }

    /// Send `count` numbered messages from this thread, receive them on another, check each.
    fn round_trip(kind: TransportKind, capacity: Capacity, count: u64, size: usize) {
        let mut chan = create(kind, capacity, size);
        let paths = paths(&chan);
        assert!(!paths.is_empty() && paths.iter().all(|p| p.exists()));
        // Receiver first: the stream kinds accept lazily, so either order works.
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let reader = std::thread::spawn(move || {
            let mut buf = vec![0u8; size];
            let mut expected = 0u64;
            loop {
                match rx.recv(&mut buf) {
                    Ok(n) => {
                        let mut want = vec![0u8; size];
                        let len = message(expected, size, &mut want);
                        assert_eq!(&buf[..n], &want[..len], "{kind} {capacity}: message {expected}");
                        expected += 1;
                    }
                    Err(e) if e.is_disconnected() => break,
                    Err(e) => panic!("{kind} {capacity}: recv after {expected}: {e}"),
                }
            }
            // The end stays the end.
            assert!(rx.recv(&mut buf).unwrap_err().is_disconnected());
            expected
        });
        let mut buf = vec![0u8; size];
        for seq in 0..count {
            let n = message(seq, size, &mut buf);
            tx.send(&buf[..n]).unwrap_or_else(|e| panic!("{kind} {capacity}: send {seq}: {e}"));
        }
        let stats = tx.finish().unwrap();
        assert_eq!(stats.sent, count);
        assert_eq!(reader.join().unwrap(), count, "{kind} {capacity}");
        drop(chan);
        assert_gone(&paths);
    }

    #[test]
    fn round_trip_rendezvous() {
        for kind in KINDS {
            round_trip(kind, Capacity::Rendezvous, 300, 64);
        }
    }

    #[test]
    fn round_trip_bounded() {
        for kind in KINDS {
            round_trip(kind, Capacity::Bounded(1), 2000, 64);
            round_trip(kind, Capacity::Bounded(8), 2000, 64);
        }
    }

    #[test]
    fn round_trip_unbounded() {
        for kind in KINDS {
            round_trip(kind, Capacity::Unbounded, 5000, 64);
        }
    }

    #[test]
    fn round_trip_large_messages() {
        for kind in KINDS {
            round_trip(kind, Capacity::Bounded(2), 100, 8192);
            round_trip(kind, Capacity::Unbounded, 100, 60_000);
        }
    }

    /// With nobody reading, `try_send` takes exactly the realised capacity.
    fn fills_at_realised(kind: TransportKind, n: usize, size: usize) -> u64 {
        let mut chan = create(kind, Capacity::Bounded(n), size);
        let paths = paths(&chan);
        let realised = chan.realised();
        let messages = realised.messages.expect("bounded has a count");
        assert!(messages >= n as u64, "{kind} bounded:{n}: realised {messages}");
        let _rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let mut buf = vec![0u8; size];
        let mut taken = 0;
        loop {
            let len = message(taken, size, &mut buf);
            buf[len..].fill(0xee);
            if !tx.try_send(&buf).unwrap() {
                break;
            }
            taken += 1;
            assert!(taken <= messages, "{kind} bounded:{n}: took more than the realised {messages}");
        }
        assert_eq!(taken, messages, "{kind} bounded:{n}: {}", realised.detail);
        eprintln!("{kind} bounded:{n}, {size}-byte messages: {messages} ({})", realised.detail);
        drop(tx);
        drop(chan);
        assert_gone(&paths);
        messages
    }

    #[test]
    fn try_send_refuses_after_realised() {
        for kind in KINDS {
            assert_eq!(fills_at_realised(kind, 1, 16), fills_at_realised(kind, 1, 16), "{kind}: probes agree");
            fills_at_realised(kind, 8, 16);
            fills_at_realised(kind, 3, 8192);
        }
        for kind in [TransportKind::UnixStream, TransportKind::UnixSeqpacket] {
            assert_eq!(fills_at_realised(kind, 64, 16), 64);
            assert_eq!(fills_at_realised(kind, 1024, 16), 1024);
        }
    }

    #[test]
    fn dgram_bound_above_queue_limit_is_refused() {
        let Some(qlen) = read_sysctl(DGRAM_QLEN) else { return };
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

    #[test]
    fn oversized_messages_are_refused() {
        for kind in KINDS {
            let mut chan = create(kind, Capacity::Bounded(4), 16);
            let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
            assert!(matches!(tx.send(&[1; 17]), Err(TransportError::TooLarge { len: 17, max: 16, .. })));
            assert!(matches!(tx.send(&[]), Err(TransportError::Empty)));
            // A size the kernel (or the framing) cannot carry is refused at creation, naming the limit.
            match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(1), 64 << 20)) {
                Err(e @ TransportError::TooLarge { .. }) => {
                    let text = e.to_string();
                    let names = if kind == TransportKind::UnixStream {
                        text.contains("FrameReader")
                    } else {
                        text.contains("/proc")
                    };
                    assert!(names, "{kind}: {text}");
                }
                Err(e) => panic!("{kind}: {e}"),
                Ok(_) => panic!("{kind}: 64 MiB messages accepted"),
            }
        }
    }

    #[test]
    fn dead_receiver_is_peer_gone() {
        for kind in KINDS {
            let mut chan = create(kind, Capacity::Bounded(4), 16);
            let rx = chan.open_receiver(&OpenOptions::default()).unwrap();
            let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
            drop(rx);
            let mut result = Ok(());
            for _ in 0..1000 {
                result = tx.send(&[7; 16]);
                if result.is_err() {
                    break;
                }
            }
            assert!(matches!(result, Err(TransportError::PeerGone(_))), "{kind}: {result:?}");
        }
    }

    #[test]
    fn sender_gone_without_end_marker() {
        for kind in KINDS {
            let spec = ChannelSpec::new(kind, Capacity::Bounded(4), 16).timeout(Duration::from_millis(300));
            let mut chan = Channel::create(&spec).unwrap();
            let opts = OpenOptions { peer: None, timeout: Duration::from_millis(300) };
            let mut rx = chan.open_receiver(&opts).unwrap();
            let mut tx = chan.open_sender(&opts).unwrap();
            tx.send(&[1; 16]).unwrap();
            drop(tx); // no finish
            let mut buf = [0u8; 16];
            assert_eq!(rx.recv(&mut buf).unwrap(), 16);
            let end = rx.recv(&mut buf).unwrap_err();
            // Stream and seqpacket see end-of-file; a datagram socket has none,
            // and with no peer process to watch the wait runs into the timeout.
            match kind {
                TransportKind::UnixDgram => assert!(matches!(end, TransportError::Timeout(_)), "{kind}: {end:?}"),
                _ => assert!(matches!(end, TransportError::PeerGone(_)), "{kind}: {end:?}"),
            }
        }
    }

    #[test]
    fn sender_that_never_comes_is_a_timeout() {
        for kind in KINDS {
            let spec = ChannelSpec::new(kind, Capacity::Bounded(4), 16);
            let mut chan = Channel::create(&spec).unwrap();
            let opts = OpenOptions { peer: None, timeout: Duration::from_millis(200) };
            let mut rx = chan.open_receiver(&opts).unwrap();
            let end = rx.recv(&mut [0u8; 16]).unwrap_err();
            assert!(matches!(end, TransportError::Timeout(_)), "{kind}: {end:?}");
        }
    }

    /// Why the seqpacket end marker is not an empty packet: on this kernel
    /// an empty packet and end-of-file read alike (0 bytes, no flags), and
    /// `MSG_TRUNC` reports a packet's full length.
    #[test]
    fn seqpacket_empty_packet_reads_as_eof() {
        let (a, b) =
            rustix::net::socketpair(AddressFamily::UNIX, SocketType::SEQPACKET, SocketFlags::CLOEXEC, None).unwrap();
        rustix::net::send(&a, b"", SendFlags::empty()).unwrap();
        rustix::net::send(&a, b"0123456789", SendFlags::empty()).unwrap();
        drop(a);
        let mut buf = [0u8; 4];
        let msg = |buf: &mut [u8]| {
            let mut iov = [std::io::IoSliceMut::new(buf)];
            let got = rustix::net::recvmsg(
                &b,
                &mut iov,
                &mut rustix::net::RecvAncillaryBuffer::default(),
                RecvFlags::TRUNC | RecvFlags::DONTWAIT,
            )
            .unwrap();
            (got.bytes, got.flags)
        };
        let empty = msg(&mut buf);
        assert_eq!(empty.0, 0);
        let long = msg(&mut buf);
        assert_eq!(long.0, 10, "MSG_TRUNC returns the packet's full length");
        let eof = msg(&mut buf);
        assert_eq!(eof.0, 0);
        assert_eq!(empty.1 & !rustix::net::ReturnFlags::TRUNC, eof.1, "nothing tells an empty packet from EOF");
    }
}
