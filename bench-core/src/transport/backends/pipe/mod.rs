//! Pipes: the anonymous `pipe` ([`anonymous`]) and the named `fifo`
//! ([`fifo`]), one kernel object reached two ways, and what the two share
//! here: framing over a pipe descriptor, sizing a bounded pipe with
//! `F_SETPIPE_SZ` and measuring what it holds, and refusing the message and
//! pipe sizes a process may not have.
//!
//! Messages travel as length-prefixed frames
//! ([`FrameWriter`](crate::transport::framing::FrameWriter) /
//! [`FrameReader`](crate::transport::framing::FrameReader)): one `write`
//! per message, and one `read` per buffer of messages on the receiving side.
//!
//! # Capacity modes
//! - `bounded:N` (and `rendezvous`, which reaches a backend as `bounded:1`
//!   plus the channel's acknowledgement pipe, see [`crate::transport::channel`]):
//!   `F_SETPIPE_SZ` to `N x (4 + message_size)` bytes. The kernel rounds up
//!   to a power-of-two number of pages (at least one page), so the pipe
//!   usually holds more than N frames; the realised count is **measured**
//!   ([`realise`]): frames of `message_size` bytes are written non-blocking
//!   until the pipe refuses one (`EAGAIN`, or a write that took only part
//!   of a frame), counted, and drained again. Both ends block.
//! - `unbounded`: the kernel's default pipe size; the sender's end is
//!   `O_NONBLOCK` so `try_send` never blocks (the channel keeps what does
//!   not fit in the sender's queue); the receiver blocks.
//!
//! A size above `/proc/sys/fs/pipe-max-size` (or beyond this user's pipe
//! allowance, `/proc/sys/fs/pipe-user-pages-soft`) is refused for a process
//! without `CAP_SYS_RESOURCE`, naming the limit and how to raise it.
//!
//! Messages larger than `PIPE_BUF` (4096 bytes) are carried too: a write
//! above `PIPE_BUF` is not atomic (the kernel may interleave it with another
//! writer's, or take it in part), which does not matter with one writer;
//! the framing finishes partial writes. A FIFO with several senders needs
//! every frame whole in one write, so it refuses frames above `PIPE_BUF`
//! (see [`fifo`]). One consequence: a
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
use crate::sysctl::Sysctl;
use crate::transport::TransportError;
use crate::transport::backend::OneWaySpec;
use crate::transport::framing::{HEADER, MAX_MESSAGE, READ_BUFFER as FRAME_READ_BUFFER};

pub(crate) mod anonymous;
pub(crate) mod fifo;

/// The largest pipe Linux makes (`round_pipe_size` refuses more).
const KERNEL_MAX_PIPE: u64 = 1 << 31;
/// The sysctl that caps `F_SETPIPE_SZ` for unprivileged processes.
const PIPE_MAX_SIZE: Sysctl = Sysctl::new("fs.pipe-max-size");
/// The per-user pipe buffer allowance (in pages) beyond which unprivileged pipes stay small.
const PIPE_USER_PAGES_SOFT: Sysctl = Sysctl::new("fs.pipe-user-pages-soft");

/// Refuse a message size one frame cannot carry.
fn check_message_size(message_size: usize) -> Result<(), TransportError> {
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
fn requested_bytes(spec: &OneWaySpec, what: &str) -> Result<Option<usize>, TransportError> {
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

/// Size the empty pipe `read` / `write` to `bytes` (from
/// [`requested_bytes`]; `None`: leave the kernel's default) and measure it:
/// the realised count (`None`: unbounded) and the record of how. `how` says,
/// for the record, where the count was measured.
fn realise(
    read: &OwnedFd,
    write: &OwnedFd,
    bytes: Option<usize>,
    spec: &OneWaySpec,
    what: &str,
    how: &str,
) -> Result<(Option<u64>, String), TransportError> {
    match bytes {
        Some(bytes) => {
            let size = set_size(write, bytes, spec, what)?;
            let frames = probe(write, read, spec.message_size, what)?;
            Ok((Some(frames), bounded_detail(size, bytes, spec, frames, how)))
        }
        None => {
            let size = rustix::pipe::fcntl_getpipe_size(write)
                .map_err(|e| TransportError::io(format!("{what}: F_GETPIPE_SZ"), e))?;
            Ok((None, unbounded_detail(size)))
        }
    }
}

/// `F_SETPIPE_SZ` to `bytes` on `fd`; the size the kernel made (a power-of-two
/// number of pages). `EPERM` becomes a refusal naming the limit that caused it.
fn set_size(fd: &OwnedFd, bytes: usize, spec: &OneWaySpec, what: &str) -> Result<usize, TransportError> {
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
    let max = PIPE_MAX_SIZE.read();
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
            PIPE_USER_PAGES_SOFT.read().map_or_else(|| "?".to_owned(), |p| p.to_string())
        ),
    }
}

/// The record of a bounded pipe.
fn bounded_detail(size: usize, bytes: usize, spec: &OneWaySpec, frames: u64, how: &str) -> String {
    let frame = HEADER + spec.message_size;
    let privileged = match PIPE_MAX_SIZE.read() {
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
fn unbounded_detail(size: usize) -> String {
    format!(
        "default pipe size {size} bytes (F_GETPIPE_SZ); the sender's end is O_NONBLOCK and what the pipe does \
         not take waits in the sender's queue"
    )
}

/// Set or clear `O_NONBLOCK` on `fd`.
fn set_nonblocking(fd: &OwnedFd, on: bool, what: &str) -> Result<(), TransportError> {
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
fn probe(write: &OwnedFd, read: &OwnedFd, message_size: usize, what: &str) -> Result<u64, TransportError> {
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

/// The checks of what both pipes share, run over each.
#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::transport::backends::testing::round_trip;
    use crate::transport::{Channel, ChannelSpec, OpenOptions, TransportKind};

    const KINDS: [TransportKind; 2] = [TransportKind::Pipe, TransportKind::Fifo];

    /// With nobody reading, `try_send` on `bounded:n` refuses after exactly
    /// the realised count (for the FIFO: measured on an anonymous pipe, set
    /// on the FIFO by its sender); what it accepted then arrives.
    fn try_send_fills(kind: TransportKind, n: usize, size: usize) {
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
        let mut buf = vec![0u8; size];
        for _ in 0..accepted {
            assert_eq!(rx.recv(&mut buf).expect("recv"), size);
        }
        assert!(tx.try_send(&msg).expect("try_send after draining"));
    }

    /// The measured count is what the pipe takes, for small and large N
    /// (the kernel's page rounding) and frames near a page's size (the
    /// conformance suite checks `bounded:8` of 16-byte messages).
    #[test]
    fn realised_count_is_what_try_send_takes() {
        for kind in KINDS {
            for n in [1, 64, 1024] {
                try_send_fills(kind, n, 16);
            }
            try_send_fills(kind, 5, 1000);
        }
    }

    /// Frames above `PIPE_BUF` (non-atomic writes, frames split across
    /// reads), up to the framing's largest: sizes the conformance suite
    /// (8 KiB at most) does not reach.
    #[test]
    fn frames_above_pipe_buf_round_trip() {
        for kind in KINDS {
            round_trip(kind, Capacity::Bounded(1), 10_000, 500);
            round_trip(kind, Capacity::Unbounded, 10_000, 500);
            round_trip(kind, Capacity::Rendezvous, MAX_MESSAGE, 100);
            round_trip(kind, Capacity::Bounded(3), MAX_MESSAGE, 300);
        }
    }

    /// One byte above the framing's limit is refused at creation, naming it.
    #[test]
    fn a_message_size_no_frame_carries_is_refused() {
        for kind in KINDS {
            let too_big = MAX_MESSAGE + 1;
            match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(1), too_big)) {
                Err(TransportError::TooLarge { len, max, .. }) => assert_eq!((len, max), (too_big, MAX_MESSAGE)),
                Err(e) => panic!("{kind}: expected TooLarge, got {e}"),
                Ok(_) => panic!("{kind}: expected TooLarge, got a channel"),
            }
        }
    }

    /// A pipe larger than `/proc/sys/fs/pipe-max-size` is refused, naming it,
    /// for a thread without CAP_SYS_RESOURCE (capabilities are per thread:
    /// the test drops it in a thread of its own); one beyond what the kernel
    /// makes at all is refused whatever the privileges.
    #[test]
    fn refused_above_pipe_max_size() {
        for kind in KINDS {
            let max = PIPE_MAX_SIZE.read().unwrap() as usize;
            let size = 1000;
            let n = max / (size + HEADER) + 1;
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
                    assert!(why.contains(&PIPE_MAX_SIZE.to_string()), "{why}");
                    assert!(why.contains("sysctl -w fs.pipe-max-size="), "{why}");
                }
                Err(e) => panic!("{kind}: expected a refusal, got {e}"),
                Ok(r) => panic!("{kind}: expected a refusal, got {r:?}"),
            }
            let huge = (KERNEL_MAX_PIPE as usize) / 20 + 1;
            match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(huge), 16)) {
                Err(TransportError::Refused(why)) => assert!(why.contains("largest pipe Linux makes"), "{why}"),
                Err(e) => panic!("{kind}: expected a refusal, got {e}"),
                Ok(c) => panic!("{kind}: expected a refusal, got {:?}", c.realised()),
            }
        }
    }

    /// With no process watched, the pipe itself reports a peer gone: the
    /// sender's end dropped without `finish` is end-of-file without the end
    /// frame (`PeerGone` after the messages sent), the receiver's end
    /// dropped is `EPIPE` (`PeerGone`).
    #[test]
    fn peer_gone_both_ways() {
        for kind in KINDS {
            for capacity in [Capacity::Bounded(4), Capacity::Unbounded] {
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
                    other => panic!("{kind} {capacity}: expected PeerGone, got {other:?}"),
                }
                sender.join().unwrap();

                let mut chan = Channel::create(&ChannelSpec::new(kind, capacity, 16)).expect("create");
                let rx = chan.open_receiver(&opts).expect("open receiver");
                let mut tx = chan.open_sender(&opts).expect("open sender");
                drop(rx);
                let result = (0..10_000).map(|_| tx.send(b"to nobody")).find(Result::is_err);
                match result {
                    Some(Err(TransportError::PeerGone(_))) => {}
                    other => panic!("{kind} {capacity}: expected PeerGone, got {other:?}"),
                }
            }
        }
    }
}
