//! `pipe`: an anonymous pipe (`pipe2(O_CLOEXEC)`), a direct link: the
//! creating process makes it and hands the read end to the receiver and the
//! write end to the sender (inherited across `exec`, or moved in-process).
//!
//! Messages travel as length-prefixed frames ([`FrameWriter`] /
//! [`FrameReader`]): one `write` per message, and one `read` per buffer of
//! messages on the receiving side.
//!
//! # Capacity modes
//! | mode | kernel object |
//! | --- | --- |
//! | `bounded:N` | `F_SETPIPE_SZ` to `N x (4 + message_size)` bytes: the kernel rounds up to a power-of-two number of pages (at least one page), so the pipe usually holds more than N frames. The realised count is **measured** before the pipe is handed over: frames of `message_size` bytes are written non-blocking until the pipe refuses one (`EAGAIN`, or a write that took only part of a frame), counted, and drained again. Both ends block (`send` is one blocking `write`, `recv` one blocking `read`). |
//! | `rendezvous` | `bounded:1` plus the channel's acknowledgement pipe (see [`crate::transport::channel`]) |
//! | `unbounded` | the kernel's default pipe size; the sender's end is `O_NONBLOCK` so `try_send` never blocks (the channel keeps what does not fit in the sender's queue); the receiver blocks |
//!
//! A size above `/proc/sys/fs/pipe-max-size` (or beyond this user's pipe
//! allowance, `/proc/sys/fs/pipe-user-pages-soft`) is refused for a process
//! without `CAP_SYS_RESOURCE`, naming the limit and how to raise it.
//!
//! Messages larger than `PIPE_BUF` (4096 bytes) are carried too: a write
//! above `PIPE_BUF` is not atomic (the kernel may interleave it with another
//! writer's, or take it in part), which does not matter with the one writer
//! a channel has; the framing finishes partial writes. One consequence: a
//! non-blocking `try_send` of a frame above `PIPE_BUF` succeeds when the pipe
//! takes part of it (the rest goes first on the next call), so on a full
//! bounded pipe `try_send` may accept one frame more than the realised count,
//! which counts whole frames only.
//!
//! Messages carry at most [`MAX_MESSAGE`] (65536) bytes: a frame must fit
//! whole in the frame reader's 64 KiB buffer, so a larger message size is
//! refused at creation, naming that limit.
//!
//! End of stream: the sender's `close` writes the empty frame; end-of-file
//! without it (the sender died or dropped its end) is
//! [`TransportError::PeerGone`], and so is `EPIPE` on the sending side.

use std::os::fd::OwnedFd;

use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::io::Errno;

use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source};
use crate::transport::framing::{FrameReader, FrameWriter, StreamKind};
use crate::transport::peer::PeerWatch;

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native_modes: false };

/// Errors name the transport by this.
const WHAT: &str = "pipe";
pub(super) use crate::transport::framing::MAX_MESSAGE;
use crate::transport::framing::{HEADER, READ_BUFFER as FRAME_READ_BUFFER};
/// The largest pipe Linux makes (`round_pipe_size` refuses more).
const KERNEL_MAX_PIPE: u64 = 1 << 31;
/// The sysctl that caps `F_SETPIPE_SZ` for unprivileged processes.
const PIPE_MAX_SIZE: &str = "/proc/sys/fs/pipe-max-size";
/// The per-user pipe buffer allowance (in pages) beyond which unprivileged pipes stay small.
const PIPE_USER_PAGES_SOFT: &str = "/proc/sys/fs/pipe-user-pages-soft";
/// Parameter key of the read end's descriptor.
const READ_FD: &str = "read_fd";
/// Parameter key of the write end's descriptor.
const WRITE_FD: &str = "write_fd";

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    check_message_size(spec.message_size)?;
    let bytes = requested_bytes(spec, WHAT)?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| TransportError::io("pipe: pipe2(O_CLOEXEC)", e))?;
    let mut created = Created::default();
    match bytes {
        Some(bytes) => {
            let size = set_size(&write, bytes, spec, WHAT)?;
            let frames = probe(&write, &read, spec.message_size, WHAT)?;
            created.realised = Some(frames);
            created.detail = bounded_detail(size, bytes, spec, frames, "measured on this pipe before handing it over");
        }
        None => {
            let size =
                rustix::pipe::fcntl_getpipe_size(&write).map_err(|e| TransportError::io("pipe: F_GETPIPE_SZ", e))?;
            created.detail = unbounded_detail(size);
        }
    }
    created.fds.push((Role::Receiver, READ_FD.into(), read));
    created.fds.push((Role::Sender, WRITE_FD.into(), write));
    Ok(created)
}

fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let fd = src.take_fd(WRITE_FD)?;
    let nonblocking = spec.capacity == Capacity::Unbounded;
    set_nonblocking(&fd, nonblocking, WHAT)?;
    let watch = PeerWatch::new(opts.peer, opts.timeout);
    Ok(Box::new(FrameWriter::new(fd, StreamKind::Pipe, nonblocking, watch, WHAT)))
}

fn open_receiver(
    _spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let fd = src.take_fd(READ_FD)?;
    set_nonblocking(&fd, false, WHAT)?;
    let watch = PeerWatch::new(opts.peer, opts.timeout);
    Ok(Box::new(FrameReader::new(fd, false, watch, WHAT)))
}

/// Refuse a message size one frame cannot carry.
pub(super) fn check_message_size(message_size: usize) -> Result<(), TransportError> {
    if message_size > MAX_MESSAGE {
        return Err(TransportError::TooLarge {
            len: message_size,
            max: MAX_MESSAGE,
            limit:
                "the byte-stream framing's per-frame limit (the frame reader's 64 KiB buffer must hold a whole frame)"
                    .into(),
        });
    }
    Ok(())
}

/// The pipe size `spec` asks for, in bytes: `N` frames for `bounded:N`
/// (rendezvous reaches a backend as `bounded:1`), `None` for unbounded
/// (the kernel's default size).
pub(super) fn requested_bytes(spec: &OneWaySpec, what: &str) -> Result<Option<usize>, TransportError> {
    let n = match spec.capacity {
        Capacity::Unbounded => return Ok(None),
        Capacity::Rendezvous => 1,
        Capacity::Bounded(n) => n,
    };
    let frame = (HEADER + spec.message_size) as u64;
    let bytes = (n as u64).checked_mul(frame).filter(|&b| b <= KERNEL_MAX_PIPE).ok_or_else(|| {
        TransportError::Refused(format!(
            "{what}: bounded:{n} of {}-byte messages needs {n} x {frame} bytes of pipe buffer, above the \
             largest pipe Linux makes ({KERNEL_MAX_PIPE} bytes, a kernel constant); ask for a smaller N",
            spec.message_size
        ))
    })?;
    Ok(Some(bytes as usize))
}

/// `F_SETPIPE_SZ` to `bytes` on `fd`; the size the kernel made (a power-of-two
/// number of pages). `EPERM` becomes a refusal naming the limit that caused it.
pub(super) fn set_size(fd: &OwnedFd, bytes: usize, spec: &OneWaySpec, what: &str) -> Result<usize, TransportError> {
    match rustix::pipe::fcntl_setpipe_size(fd, bytes) {
        Ok(size) => Ok(size),
        Err(Errno::PERM) => Err(TransportError::Refused(size_refusal(bytes, spec, what))),
        Err(e) => Err(TransportError::io(format!("{what}: F_SETPIPE_SZ {bytes} bytes"), e)),
    }
}

/// Why the kernel refused a pipe of `bytes`, and how to raise the limit.
fn size_refusal(bytes: usize, spec: &OneWaySpec, what: &str) -> String {
    let asked = match spec.capacity {
        Capacity::Bounded(n) => format!("bounded:{n}"),
        other => other.to_string(),
    };
    let rounded = bytes.next_power_of_two();
    let max = read_sysctl(PIPE_MAX_SIZE);
    let head = format!(
        "{what}: {asked} of {}-byte messages needs a pipe of {bytes} bytes ({rounded} after the kernel's rounding)",
        spec.message_size
    );
    match max {
        Some(max) if (rounded as u64) > max => format!(
            "{head}, above {PIPE_MAX_SIZE} ({max} bytes), the largest pipe an unprivileged process may set; \
             raise it as root with `sysctl -w fs.pipe-max-size={rounded}` (or run with CAP_SYS_RESOURCE), \
             or ask for a smaller N"
        ),
        _ => format!(
            "{head}: this user's pipes already use the allowance of {PIPE_USER_PAGES_SOFT} ({} pages) \
             (or /proc/sys/fs/pipe-user-pages-hard); raise it as root with \
             `sysctl -w fs.pipe-user-pages-soft=<pages>` (or run with CAP_SYS_RESOURCE), close other pipes, \
             or ask for a smaller N",
            read_sysctl(PIPE_USER_PAGES_SOFT).map_or_else(|| "?".to_owned(), |p| p.to_string())
        ),
    }
}

fn read_sysctl(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The record of a bounded pipe.
pub(super) fn bounded_detail(size: usize, bytes: usize, spec: &OneWaySpec, frames: u64, how: &str) -> String {
    let frame = HEADER + spec.message_size;
    let privileged = match read_sysctl(PIPE_MAX_SIZE) {
        Some(max) if size as u64 > max => format!(", above {PIPE_MAX_SIZE} ({max}) by CAP_SYS_RESOURCE"),
        _ => String::new(),
    };
    format!(
        "F_SETPIPE_SZ {size} bytes (asked {bytes} = {} x {frame}-byte frames{privileged}); holds {frames} \
         whole {frame}-byte frames, {how}",
        bytes / frame
    )
}

/// The record of an unbounded pipe.
pub(super) fn unbounded_detail(size: usize) -> String {
    format!(
        "default pipe size {size} bytes (F_GETPIPE_SZ); the sender's end is O_NONBLOCK and what the pipe does \
         not take waits in the sender's queue"
    )
}

/// Set or clear `O_NONBLOCK` on `fd`.
pub(super) fn set_nonblocking(fd: &OwnedFd, on: bool, what: &str) -> Result<(), TransportError> {
    let flags = fcntl_getfl(fd).map_err(|e| TransportError::io(format!("{what}: F_GETFL"), e))?;
    let wanted = if on { flags | OFlags::NONBLOCK } else { flags - OFlags::NONBLOCK };
    if wanted != flags {
        fcntl_setfl(fd, wanted).map_err(|e| TransportError::io(format!("{what}: F_SETFL"), e))?;
    }
    Ok(())
}

/// How many whole frames of `message_size` bytes the (empty) pipe holds:
/// write them non-blocking until it refuses one, then drain every byte
/// written, leaving the pipe empty as it was. The descriptors' flags are
/// restored.
pub(super) fn probe(write: &OwnedFd, read: &OwnedFd, message_size: usize, what: &str) -> Result<u64, TransportError> {
    let mut frame = vec![0u8; HEADER + message_size];
    frame[..HEADER].copy_from_slice(&(message_size as u32).to_le_bytes());
    let flags = fcntl_getfl(write).map_err(|e| TransportError::io(format!("{what}: F_GETFL"), e))?;
    set_nonblocking(write, true, what)?;
    let mut frames = 0u64;
    let mut written = 0usize;
    let filled = loop {
        match rustix::io::write(write, &frame) {
            Ok(n) => {
                written += n;
                if n < frame.len() {
                    // Only part of a frame fitted: the pipe does not hold it.
                    break Ok(());
                }
                frames += 1;
            }
            Err(Errno::AGAIN) => break Ok(()),
            Err(Errno::INTR) => {}
            Err(e) => break Err(TransportError::io(format!("{what}: probing write"), e)),
        }
    };
    fcntl_setfl(write, flags).map_err(|e| TransportError::io(format!("{what}: F_SETFL"), e))?;
    let drained = drain(read, written, what);
    filled?;
    drained?;
    Ok(frames)
}

/// Read back the `expected` bytes a probe wrote.
fn drain(read: &OwnedFd, expected: usize, what: &str) -> Result<(), TransportError> {
    let flags = fcntl_getfl(read).map_err(|e| TransportError::io(format!("{what}: F_GETFL"), e))?;
    set_nonblocking(read, true, what)?;
    let mut buf = vec![0u8; FRAME_READ_BUFFER];
    let mut got = 0usize;
    let result = loop {
        if got == expected {
            break Ok(());
        }
        match rustix::io::read(read, &mut buf) {
            Ok(0) | Err(Errno::AGAIN) => {
                break Err(TransportError::Protocol(format!(
                    "{what}: probing wrote {expected} bytes but only {got} came back"
                )));
            }
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => break Err(TransportError::io(format!("{what}: draining read"), e)),
        }
    };
    fcntl_setfl(read, flags).map_err(|e| TransportError::io(format!("{what}: F_SETFL"), e))?;
    result
}

#[cfg(test)]
pub(super) mod tests {
    //! Shared with the `fifo` tests: the same checks over either kind.

    pub(in crate::transport::backends) use super::super::testing::{round_trip, round_trip_opened};

    use std::time::Duration;

    use crate::ring::Capacity;
    use crate::transport::{Channel, ChannelSpec, OpenOptions, TransportError, TransportKind};

    /// With nobody reading, `try_send` on `bounded:n` refuses after exactly
    /// the realised count; returns that count.
    pub(in crate::transport::backends) fn try_send_fills(kind: TransportKind, n: usize, size: usize) -> u64 {
        let mut chan = Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(n), size)).expect("create");
        let realised = chan.realised();
        let messages = realised.messages.expect("bounded has a count");
        eprintln!("{kind} bounded:{n} size {size}: {} messages; {}", messages, realised.detail);
        assert!(messages >= n as u64, "bounded:{n} realised only {messages}");
        let mut rx = chan.open_receiver(&OpenOptions::default()).expect("open receiver");
        let mut tx = chan.open_sender(&OpenOptions::default()).expect("open sender");
        let msg = vec![7u8; size];
        let mut accepted = 0u64;
        while tx.try_send(&msg).expect("try_send") {
            accepted += 1;
            assert!(accepted <= messages + 1, "try_send keeps accepting past {messages}");
        }
        assert_eq!(accepted, messages, "try_send accepted {accepted}, realised says {messages}");
        // Everything accepted arrives.
        let mut buf = vec![0u8; size];
        for _ in 0..accepted {
            assert_eq!(rx.recv(&mut buf).expect("recv"), size);
        }
        assert!(tx.try_send(&msg).expect("try_send after draining"));
        messages
    }

    /// Oversized messages are refused by the channel, and a message size no
    /// frame carries is refused at creation.
    pub(in crate::transport::backends) fn oversized(kind: TransportKind) {
        let mut chan = Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(4), 16)).expect("create");
        let mut _rx = chan.open_receiver(&OpenOptions::default()).expect("open receiver");
        let mut tx = chan.open_sender(&OpenOptions::default()).expect("open sender");
        assert!(matches!(tx.send(&[1; 17]), Err(TransportError::TooLarge { len: 17, max: 16, .. })));
        assert!(matches!(tx.send(&[]), Err(TransportError::Empty)));
        let too_big = super::MAX_MESSAGE + 1;
        match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(1), too_big)) {
            Err(TransportError::TooLarge { len, max, .. }) => assert_eq!((len, max), (too_big, super::MAX_MESSAGE)),
            Err(e) => panic!("expected TooLarge, got {e}"),
            Ok(_) => panic!("expected TooLarge, got a channel"),
        }
    }

    /// A pipe larger than `/proc/sys/fs/pipe-max-size` is refused, naming it,
    /// for a thread without CAP_SYS_RESOURCE (capabilities are per thread:
    /// the test drops it in a thread of its own).
    pub(in crate::transport::backends) fn refuses_above_pipe_max_size(kind: TransportKind) {
        let max: usize = std::fs::read_to_string(super::PIPE_MAX_SIZE).unwrap().trim().parse().unwrap();
        let size = 1000;
        let n = max / (size + super::HEADER) + 1;
        let result = std::thread::spawn(move || {
            use rustix::thread::{CapabilitySet, capabilities, set_capabilities};
            if let Ok(mut caps) = capabilities(None) {
                caps.effective -= CapabilitySet::SYS_RESOURCE | CapabilitySet::SYS_ADMIN;
                let _ = set_capabilities(None, caps);
            }
            Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(n), size)).map(|c| c.realised())
        })
        .join()
        .unwrap();
        match result {
            Err(TransportError::Refused(why)) => {
                eprintln!("refused: {why}");
                assert!(why.contains(super::PIPE_MAX_SIZE), "{why}");
                assert!(why.contains("sysctl -w fs.pipe-max-size="), "{why}");
            }
            Err(e) => panic!("expected a refusal, got {e}"),
            Ok(r) => panic!("expected a refusal, got {r:?}"),
        }
        // Beyond what the kernel makes at all: refused whatever the privileges.
        let huge = (super::KERNEL_MAX_PIPE as usize) / 20 + 1;
        match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(huge), 16)) {
            Err(TransportError::Refused(why)) => assert!(why.contains("largest pipe Linux makes"), "{why}"),
            Err(e) => panic!("expected a refusal, got {e}"),
            Ok(c) => panic!("expected a refusal, got {:?}", c.realised()),
        }
    }

    /// The sender's end dropped without `finish`: the receiver sees `PeerGone`
    /// after the messages sent; the receiver's end dropped: the sender sees `PeerGone`.
    pub(in crate::transport::backends) fn peer_gone(kind: TransportKind, capacity: Capacity) {
        let opts = OpenOptions { peer: None, timeout: Duration::from_secs(10) };
        let mut chan = Channel::create(&ChannelSpec::new(kind, capacity, 16)).expect("create");
        let mut rx = chan.open_receiver(&opts).expect("open receiver");
        let mut tx = chan.open_sender(&opts).expect("open sender");
        let sender = std::thread::spawn(move || {
            tx.send(b"only one").expect("send");
            drop(tx);
        });
        let mut buf = [0u8; 16];
        assert_eq!(rx.recv(&mut buf).expect("recv"), 8);
        match rx.recv(&mut buf) {
            Err(TransportError::PeerGone(_)) => {}
            other => panic!("expected PeerGone, got {other:?}"),
        }
        sender.join().unwrap();

        let mut chan = Channel::create(&ChannelSpec::new(kind, capacity, 16)).expect("create");
        let rx = chan.open_receiver(&opts).expect("open receiver");
        let mut tx = chan.open_sender(&opts).expect("open sender");
        drop(rx);
        let result = (0..10_000).map(|_| tx.send(b"to nobody")).find(Result::is_err);
        match result {
            Some(Err(TransportError::PeerGone(_))) => {}
            other => panic!("expected PeerGone, got {other:?}"),
        }
    }

    #[test]
    fn round_trip_all_modes() {
        let kind = TransportKind::Pipe;
        round_trip(kind, Capacity::Rendezvous, 16, 2_000);
        round_trip(kind, Capacity::Bounded(1), 16, 20_000);
        round_trip(kind, Capacity::Bounded(64), 16, 20_000);
        round_trip(kind, Capacity::Unbounded, 16, 50_000);
    }

    #[test]
    fn round_trip_large_messages() {
        let kind = TransportKind::Pipe;
        // Above PIPE_BUF: non-atomic writes, frames split across reads.
        round_trip(kind, Capacity::Bounded(1), 10_000, 500);
        round_trip(kind, Capacity::Unbounded, 10_000, 500);
        round_trip(kind, Capacity::Rendezvous, super::MAX_MESSAGE, 100);
        round_trip(kind, Capacity::Bounded(3), super::MAX_MESSAGE, 300);
    }

    #[test]
    fn try_send_refuses_at_realised() {
        let kind = TransportKind::Pipe;
        for n in [1, 64, 1024] {
            try_send_fills(kind, n, 16);
        }
        try_send_fills(kind, 5, 1000);
    }

    #[test]
    fn try_send_above_pipe_buf_may_take_one_frame_in_part() {
        // Frames above PIPE_BUF are written non-atomically: on a full pipe a
        // non-blocking write can take part of one more frame, which
        // `try_send` counts as sent (the rest goes first on the next call).
        let mut chan = Channel::create(&ChannelSpec::new(TransportKind::Pipe, Capacity::Bounded(1), 10_000)).unwrap();
        let messages = chan.realised().messages.unwrap();
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let msg = vec![3u8; 10_000];
        let mut accepted = 0u64;
        while tx.try_send(&msg).unwrap() {
            accepted += 1;
            assert!(accepted <= messages + 1);
        }
        eprintln!("bounded:1 of 10000-byte messages: realised {messages}, try_send accepted {accepted}");
        assert!(accepted == messages || accepted == messages + 1);
        let receiver = std::thread::spawn(move || {
            let mut buf = vec![0u8; 10_000];
            let mut got = 0u64;
            loop {
                match rx.recv(&mut buf) {
                    Ok(n) => assert_eq!(&buf[..n], &[3u8; 10_000][..]),
                    Err(e) if e.is_disconnected() => return got,
                    Err(e) => panic!("recv: {e}"),
                }
                got += 1;
            }
        });
        tx.finish().unwrap();
        assert_eq!(receiver.join().unwrap(), accepted);
    }

    #[test]
    fn oversized_refused() {
        oversized(TransportKind::Pipe);
    }

    #[test]
    fn refused_above_pipe_max_size() {
        refuses_above_pipe_max_size(TransportKind::Pipe);
    }

    #[test]
    fn peer_gone_both_ways() {
        peer_gone(TransportKind::Pipe, Capacity::Bounded(4));
        peer_gone(TransportKind::Pipe, Capacity::Unbounded);
    }

    #[test]
    fn realised_is_whole_frames_of_the_pipe() {
        // bounded:1 of 16-byte messages: one page, 20-byte frames never
        // straddle a page when written atomically: 4096 / 20 = 204.
        let chan = Channel::create(&ChannelSpec::new(TransportKind::Pipe, Capacity::Bounded(1), 16)).unwrap();
        let r = chan.realised();
        assert!(r.detail.contains("F_SETPIPE_SZ"), "{}", r.detail);
        let (_r, w) = rustix::pipe::pipe().unwrap();
        let page = rustix::pipe::fcntl_setpipe_size(&w, 1).unwrap();
        assert_eq!(r.messages, Some((page / 20) as u64), "{}", r.detail);
        let chan = Channel::create(&ChannelSpec::new(TransportKind::Pipe, Capacity::Unbounded, 16)).unwrap();
        let r = chan.realised();
        assert_eq!(r.messages, None);
        assert!(r.detail.contains("default pipe size"), "{}", r.detail);
    }
}
