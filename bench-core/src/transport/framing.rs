//! Length-prefixed frames over byte streams (pipe, FIFO, unix-stream, TCP).
//!
//! A frame is `[len: u32 LE][len bytes]`; a frame of length 0 marks the
//! clean end of one sender's stream (messages are never empty). A stream
//! that ends without it, or inside a frame, means the sender died: that is
//! [`TransportError::PeerGone`], never a silently short run.
//!
//! A FIFO may have several writers ([`FrameReader::many_writers`]): each
//! frame of at most `PIPE_BUF` bytes goes out in one `write`, which the
//! kernel keeps whole, so frames of different writers never interleave;
//! each writer's end marker is handed up as `Disconnected` (the channel
//! counts them), and end-of-file at a frame boundary only means that no
//! writer has the FIFO open right now: one that has not opened yet may
//! still come, so the reader waits for it (in pauses, watching the peer
//! and the deadline) instead of reporting the peer gone.
//!
//! The writer sends each frame with one `write` (header and payload copied
//! into one buffer: a syscall costs far more than the copy). The reader
//! reads as much as the kernel has into a buffer and hands frames out of
//! it, so a stream of small messages costs one `read` per buffer, not per
//! message.

use std::os::fd::OwnedFd;

use rustix::event::PollFlags;
use rustix::io::Errno;

use super::TransportError;
use super::backend::{RawReceiver, RawSender};
use super::peer::{PeerWatch, SLICE, wait_fd};

/// The first pause of a reader waiting for another writer to open the FIFO.
const FIRST_PAUSE: std::time::Duration = std::time::Duration::from_micros(100);

/// Bytes of a frame's header: its length as a `u32`.
pub const HEADER: usize = 4;
/// The largest message a frame carries (64 KiB, the top of the suite's size
/// range). Stream transports refuse larger sizes at creation.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// The reader's buffer; a frame must fit in it whole.
pub const READ_BUFFER: usize = MAX_MESSAGE + HEADER;

/// How bytes are written to the descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `write(2)`: pipes and FIFOs (SIGPIPE is ignored by Rust binaries, so
    /// a closed reader is `EPIPE`).
    Pipe,
    /// `send(2)` with `MSG_NOSIGNAL`: sockets.
    Socket,
}

/// Sends frames on a byte stream.
pub struct FrameWriter {
    fd: OwnedFd,
    kind: StreamKind,
    /// Whether the descriptor itself is `O_NONBLOCK`.
    nonblocking: bool,
    buf: Vec<u8>,
    /// Bytes of `buf` already written: a frame a non-blocking write took only in part.
    written: usize,
    watch: PeerWatch,
    what: &'static str,
}

impl FrameWriter {
    /// Frames to `fd`. `nonblocking` says whether `fd` is `O_NONBLOCK`;
    /// `what` names the transport in errors.
    pub fn new(fd: OwnedFd, kind: StreamKind, nonblocking: bool, watch: PeerWatch, what: &'static str) -> Self {
        Self { fd, kind, nonblocking, buf: Vec::with_capacity(4096), written: 0, watch, what }
    }

    /// Send one frame, waiting while the stream is full.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.flush()?;
        self.frame(msg);
        self.flush()
    }

    /// Send one frame if the stream takes at least part of it now (the rest
    /// then goes first on the next call); `Ok(false)` if it takes nothing.
    pub fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        if !self.write_some(false)? {
            return Ok(false);
        }
        self.frame(msg);
        if self.write_some(false)? || self.written > 0 {
            return Ok(true);
        }
        self.buf.clear();
        Ok(false)
    }

    /// Wait until the stream can take bytes.
    pub fn wait_writable(&mut self) -> Result<(), TransportError> {
        wait_fd(&self.fd, PollFlags::OUT, &mut self.watch)
    }

    /// Finish any partly written frame, then send the end marker.
    pub fn close(&mut self) -> Result<(), TransportError> {
        self.flush()?;
        self.buf.extend_from_slice(&0u32.to_le_bytes());
        self.flush()
    }

    /// The descriptor, for options the backend sets.
    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    fn frame(&mut self, msg: &[u8]) {
        self.buf.clear();
        self.written = 0;
        self.buf.extend_from_slice(&(msg.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(msg);
    }

    /// Write what is pending, waiting while the stream is full.
    fn flush(&mut self) -> Result<(), TransportError> {
        while !self.write_some(true)? {
            wait_fd(&self.fd, PollFlags::OUT, &mut self.watch)?;
        }
        Ok(())
    }

    /// Write pending bytes; true once none are left. With `block`, a
    /// blocking descriptor may block; otherwise nothing blocks.
    fn write_some(&mut self, block: bool) -> Result<bool, TransportError> {
        while self.written < self.buf.len() {
            let rest = &self.buf[self.written..];
            let result = match (self.kind, block || self.nonblocking) {
                (StreamKind::Socket, true) => rustix::net::send(&self.fd, rest, rustix::net::SendFlags::NOSIGNAL),
                (StreamKind::Socket, false) => rustix::net::send(
                    &self.fd,
                    rest,
                    rustix::net::SendFlags::NOSIGNAL | rustix::net::SendFlags::DONTWAIT,
                ),
                (StreamKind::Pipe, true) => rustix::io::write(&self.fd, rest),
                (StreamKind::Pipe, false) => self.write_pipe_nonblocking(),
            };
            match result {
                Ok(n) => {
                    self.written += n;
                    self.watch.progressed();
                }
                Err(Errno::AGAIN) => return Ok(false),
                Err(Errno::INTR) => {}
                Err(Errno::PIPE | Errno::CONNRESET) => {
                    return Err(TransportError::PeerGone(format!("{}: the receiver closed its end", self.what)));
                }
                Err(e) => return Err(TransportError::io(format!("{}: write", self.what), e)),
            }
        }
        self.buf.clear();
        self.written = 0;
        Ok(true)
    }

    /// One non-blocking write on a blocking pipe: `O_NONBLOCK` for this call only.
    fn write_pipe_nonblocking(&self) -> rustix::io::Result<usize> {
        use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
        let flags = fcntl_getfl(&self.fd)?;
        fcntl_setfl(&self.fd, flags | OFlags::NONBLOCK)?;
        let result = rustix::io::write(&self.fd, &self.buf[self.written..]);
        fcntl_setfl(&self.fd, flags)?;
        result
    }
}

/// Reads frames from a byte stream.
pub struct FrameReader {
    fd: OwnedFd,
    nonblocking: bool,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Several writers come and go (a FIFO of several senders): end-of-file
    /// at a frame boundary is a wait for the next, not the peer gone.
    many_writers: bool,
    watch: PeerWatch,
    what: &'static str,
}

impl FrameReader {
    /// Frames from `fd`; `nonblocking` says whether `fd` is `O_NONBLOCK`.
    pub fn new(fd: OwnedFd, nonblocking: bool, watch: PeerWatch, what: &'static str) -> Self {
        Self { fd, nonblocking, buf: vec![0; READ_BUFFER].into(), start: 0, end: 0, many_writers: false, watch, what }
    }

    /// Expect several writers that open and close the stream on their own
    /// (a FIFO): end-of-file at a frame boundary waits for another writer,
    /// until the deadline or the watched peer's exit.
    pub fn many_writers(mut self, many: bool) -> Self {
        self.many_writers = many;
        self
    }

    /// The next message into `out`; [`TransportError::Disconnected`] for an
    /// end marker (once per marker: the channel counts them).
    pub fn recv(&mut self, out: &mut [u8]) -> Result<usize, TransportError> {
        loop {
            let have = self.end - self.start;
            if have >= HEADER {
                let header: [u8; HEADER] = self.buf[self.start..self.start + HEADER].try_into().expect("4 bytes");
                let len = u32::from_le_bytes(header) as usize;
                if len == 0 {
                    self.start += HEADER;
                    return Err(TransportError::Disconnected);
                }
                if len > out.len() || len > self.buf.len() - HEADER {
                    return Err(TransportError::Protocol(format!(
                        "{}: frame of {len} bytes, but the receive buffer holds {}",
                        self.what,
                        out.len()
                    )));
                }
                if have >= HEADER + len {
                    let from = self.start + HEADER;
                    out[..len].copy_from_slice(&self.buf[from..from + len]);
                    self.start = from + len;
                    return Ok(len);
                }
            }
            self.fill()?;
        }
    }

    /// Read more bytes (compacting the buffer first when it is short of room).
    fn fill(&mut self) -> Result<(), TransportError> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.buf.len() - self.end < READ_BUFFER / 4 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let mut pause = FIRST_PAUSE;
        loop {
            match rustix::io::read(&self.fd, &mut self.buf[self.end..]) {
                Ok(0) if self.many_writers && self.end == self.start => {
                    // No writer has the FIFO open now; another may still open it.
                    self.watch.check()?;
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(SLICE);
                }
                Ok(0) => {
                    let state = if self.end > self.start { "inside a frame" } else { "without the end marker" };
                    return Err(TransportError::PeerGone(format!("{}: the stream ended {state}", self.what)));
                }
                Ok(n) => {
                    self.end += n;
                    self.watch.progressed();
                    return Ok(());
                }
                Err(Errno::AGAIN) if self.nonblocking => wait_fd(&self.fd, PollFlags::IN, &mut self.watch)?,
                Err(Errno::INTR) => {}
                Err(Errno::CONNRESET) => {
                    return Err(TransportError::PeerGone(format!("{}: connection reset", self.what)));
                }
                Err(e) => return Err(TransportError::io(format!("{}: read", self.what), e)),
            }
        }
    }
}

/// A frame writer is the sending end of every byte-stream transport.
impl RawSender for FrameWriter {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        FrameWriter::send(self, msg)
    }

    #[inline]
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        FrameWriter::try_send(self, msg)
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        FrameWriter::wait_writable(self)
    }

    fn close(&mut self) -> Result<(), TransportError> {
        FrameWriter::close(self)
    }
}

/// A frame reader is the receiving end of a byte stream once connected.
impl RawReceiver for FrameReader {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        FrameReader::recv(self, buf)
    }
}
