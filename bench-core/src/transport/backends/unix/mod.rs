//! Unix-domain sockets: `unix-stream` ([`stream`], `SOCK_STREAM`),
//! `unix-seqpacket` ([`seqpacket`], `SOCK_SEQPACKET`) and `unix-dgram`
//! ([`dgram`], `SOCK_DGRAM`), each reached through a socket path in a
//! private directory ([`private_dir`]; the path and the directory are
//! registered in [`Created::objects`]). This file holds what the three
//! share: the socket path, the receiver's socket, connecting the sender,
//! accepting, and the message sizes each refuses; the sender's buffer is
//! sized in [`send_buffer`], and the ends of the two packet types, one
//! system call per message, are in [`packet`].
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
//! How each type marks message boundaries and the end of the stream is in
//! its own file.
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
//! Realised by the sender's `SO_SNDBUF`, measured (see [`send_buffer`]).
//!
//! Refused: a dgram `bounded:N` above the receiver's queue limit (naming
//! `/proc/sys/net/unix/max_dgram_qlen`), an N the largest send buffer
//! (`/proc/sys/net/core/wmem_max`) cannot hold, a packet larger than
//! `SO_SNDBUF` less 32 bytes allows (or than the kernel allocates for one
//! message: about 4 MiB), a stream message larger than
//! [`FrameReader`](crate::transport::framing::FrameReader) holds (65536
//! bytes: its buffer, not the kernel, sets that limit).

use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::io::Errno;
use rustix::net::sockopt::{self, Timeout};
use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};

use crate::sysctl::Sysctl;
use crate::transport::backend::{Created, OneWaySpec, OpenOptions, Role, Source};
use crate::transport::framing::MAX_MESSAGE as FRAME_MAX;
use crate::transport::objects::{IpcObject, ObjectGuard, private_dir};
use crate::transport::peer::{PeerWatch, SLICE, accept_in_slices};
use crate::transport::{TransportError, TransportKind};

pub(crate) mod dgram;
mod packet;
mod send_buffer;
pub(crate) mod seqpacket;
pub(crate) mod stream;

/// Param: the socket path.
const PATH: &str = "path";
/// Param: the `SO_SNDBUF` request the sender makes (0: the default).
const SNDBUF: &str = "sndbuf";
/// File name of the socket in the private directory.
const SOCKET_NAME: &str = "sock";
/// Bytes of a datagram or packet the kernel reserves: `len > sk_sndbuf - 32` is `EMSGSIZE`.
const PACKET_OVERHEAD: usize = 32;
/// Kernel limit on `SO_SNDBUF` requests by unprivileged processes.
const WMEM_MAX: Sysctl = Sysctl::new("net.core.wmem_max");

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

    /// Bytes of the end marker (stream: the framing's own empty frame;
    /// seqpacket: one more than any message, see [`seqpacket`]).
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

/// `net.core.wmem_max`, from `/proc` or, where that is not mounted, from the
/// kernel itself (a request above the limit is clamped to it, then doubled).
fn wmem_max(kind: Kind) -> Result<usize, TransportError> {
    if let Some(v) = WMEM_MAX.read() {
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

/// Create one direction: the socket path, the receiver's socket, the send buffer size.
fn create(kind: Kind, spec: &OneWaySpec) -> Result<Created, TransportError> {
    let size = spec.message_size;
    let wmem_max = wmem_max(kind)?;
    check_size(kind, size, wmem_max)?;
    let mut objects = ObjectGuard::new();
    let dir = private_dir(&mut objects).map_err(|e| kind.io("private directory", e))?;
    let path = dir.join(SOCKET_NAME);
    let path_text = super::path_param(&path)
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
        Kind::Dgram => send_buffer::Prober::Receiver { addr: &addr, sock: &sock },
        Kind::Stream | Kind::Seqpacket => send_buffer::Prober::Pair(kind),
    };
    let sizing = send_buffer::size(kind, spec, wmem_max, default, &prober)?;
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

/// The sender's socket: a socket of its own, with the send buffer `create`
/// sized, connected to the path; and the watch its waits use.
fn connect(kind: Kind, src: &mut Source<'_>, opts: &OpenOptions) -> Result<(OwnedFd, PeerWatch), TransportError> {
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
    Ok((fd, watch))
}

/// A blocking receive returns `EAGAIN` after a slice without data.
fn receive_in_slices(kind: Kind, fd: &OwnedFd) -> Result<(), TransportError> {
    sockopt::set_socket_timeout(fd, Timeout::Recv, Some(SLICE)).map_err(|e| kind.io("SO_RCVTIMEO", e))
}

/// Accept the sender's connection, polling the (non-blocking) listener in
/// slices; the connection then receives in slices too.
fn accept(kind: Kind, listener: &OwnedFd, watch: &mut PeerWatch) -> Result<OwnedFd, TransportError> {
    let conn = accept_in_slices(listener, watch, kind.name())?;
    watch.progressed();
    receive_in_slices(kind, &conn)?;
    Ok(conn)
}

/// The checks of what the three types share, run over each.
#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::ring::Capacity;
    use crate::transport::backends::testing::{message, round_trip};
    use crate::transport::{Channel, ChannelSpec};

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

    /// With nobody reading, `try_send` of `size`-byte messages on
    /// `bounded:n` takes exactly the realised capacity; returns it.
    pub(super) fn fills_at_realised(kind: TransportKind, n: usize, size: usize) -> u64 {
        let mut chan = create(kind, Capacity::Bounded(n), size);
        let paths = paths(&chan);
        let realised = chan.realised();
        let messages = realised.messages.expect("bounded has a count");
        assert!(messages >= n as u64, "{kind} bounded:{n}: realised {messages}");
        let _rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let mut taken = 0;
        loop {
            let mut msg = message(taken, size);
            msg.resize(size, 0xee);
            if !tx.try_send(&msg).unwrap() {
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

    /// The send buffer found by the binary search holds exactly what it
    /// says: the same count each time it is measured, for large packets,
    /// and, above the kernel's minimum buffer, exactly N (the conformance
    /// suite checks `bounded:8` of 16-byte messages, within that minimum).
    #[test]
    fn try_send_refuses_after_realised() {
        for kind in KINDS {
            assert_eq!(fills_at_realised(kind, 1, 16), fills_at_realised(kind, 1, 16), "{kind}: probes agree");
            fills_at_realised(kind, 3, 8192);
        }
        for kind in [TransportKind::UnixStream, TransportKind::UnixSeqpacket] {
            assert_eq!(fills_at_realised(kind, 64, 16), 64);
            assert_eq!(fills_at_realised(kind, 1024, 16), 1024);
        }
    }

    /// Messages far above the conformance suite's 8 KiB: one packet each
    /// (charged whole to `SO_SNDBUF`), or stream frames split across reads.
    #[test]
    fn sixty_kilobyte_messages_round_trip() {
        for kind in KINDS {
            round_trip(kind, Capacity::Unbounded, 60_000, 100);
        }
    }

    /// A size the kernel (or the framing) cannot carry is refused at
    /// creation, naming that limit: `net.core.wmem_max` for the packet
    /// types, the frame reader's buffer for the stream.
    #[test]
    fn too_large_sizes_are_refused_naming_the_limit() {
        for kind in KINDS {
            match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(1), 64 << 20)) {
                Err(e @ TransportError::TooLarge { .. }) => {
                    let text = e.to_string();
                    let names = if kind == TransportKind::UnixStream {
                        text.contains("FrameReader")
                    } else {
                        text.contains(&WMEM_MAX.to_string())
                    };
                    assert!(names, "{kind}: {text}");
                }
                Err(e) => panic!("{kind}: {e}"),
                Ok(_) => panic!("{kind}: 64 MiB messages accepted"),
            }
        }
    }

    /// A receiver whose socket closed is `PeerGone` by the socket's own
    /// errors (`ECONNREFUSED`, `EPIPE`, `ENOTCONN`), with no process watched.
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

    /// A sender gone without the end marker, with no process watched:
    /// stream and seqpacket see end-of-file; a datagram socket has none.
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
            // With no peer process to watch, the datagram receiver's wait runs into the timeout.
            match kind {
                TransportKind::UnixDgram => assert!(matches!(end, TransportError::Timeout(_)), "{kind}: {end:?}"),
                _ => assert!(matches!(end, TransportError::PeerGone(_)), "{kind}: {end:?}"),
            }
        }
    }

    /// The receiver accepts (or receives) in slices: a sender that never
    /// connects is a timeout, not a hang.
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
}
