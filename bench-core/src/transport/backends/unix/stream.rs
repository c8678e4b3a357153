//! `unix-stream`: `SOCK_STREAM` through a listening socket path (see
//! [`super`] for what the three Unix-domain types share).
//!
//! Messages travel as length-prefixed frames ([`FrameWriter`] /
//! [`FrameReader`], sent with `MSG_NOSIGNAL`); the empty frame is the clean
//! end, end-of-file without it is `PeerGone`. A message carries at most
//! 65536 bytes, the largest frame the reader's buffer holds (a limit of the
//! framing, not of the kernel). The receiver accepts the sender's
//! connection on its first `recv`.

use std::os::fd::OwnedFd;

use super::{Kind, accept, connect, create};
use crate::transport::TransportError;
use crate::transport::backend::{Backend, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, bounded_only};
use crate::transport::framing::{FrameReader, FrameWriter, StreamKind};
use crate::transport::peer::PeerWatch;

/// `unix-stream`: `SOCK_STREAM` through a listening socket path, framed.
pub(crate) static BACKEND: Backend =
    Backend { create: |spec| create(Kind::Stream, spec), open_sender, open_receiver, native: bounded_only };

/// Open the sending end: frames written to a socket connected to the path.
fn open_sender(
    _spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let (fd, watch) = connect(Kind::Stream, src, opts)?;
    Ok(Box::new(FrameWriter::new(fd, StreamKind::Socket, false, watch, Kind::Stream.name())))
}

/// Open the receiving end: the listener, accepted from on the first `recv`.
fn open_receiver(
    _spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let listener = src.take_fd(Kind::Stream.fd_key())?;
    let watch = PeerWatch::new(opts.peer, opts.timeout);
    Ok(Box::new(StreamReceiver { listener: Some(listener), watch: Some(watch), reader: None }))
}

/// The receiving end: accepts on the first `recv`, then reads frames.
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
