//! `fifo`: a named pipe (`mkfifo`, mode 0600) in a private directory, an
//! indirect link: any process given its path (param `path`) opens an end
//! by name. The creating process never opens the FIFO itself (if it kept
//! it open for writing, the receiver would never see end-of-file).
//!
//! Framing, sizing and refusals are the pipes' shared ones ([`super`]).
//!
//! # Opening
//! - The receiver opens `O_RDONLY | O_NONBLOCK`, which never waits for a
//!   writer, then clears `O_NONBLOCK`: it reads blocking in every mode.
//!   Until a writer has opened, a read on a FIFO reports end-of-file, so the
//!   receiver's first `recv` first polls for data (in slices, watching the
//!   peer and the timeout); after that each `recv` is a plain blocking read.
//! - The sender opens `O_WRONLY | O_NONBLOCK`, which fails with `ENXIO` while
//!   no reader has the FIFO open. `open_sender` tries once; if no reader is
//!   there yet, the first `send` / `wait_writable` / `close` retries in
//!   growing pauses up to [`SLICE`], watching the peer, until the timeout
//!   (a `try_send` tries once and reports "full"). Both ends can thus be
//!   opened in either order, even one after the other in one thread.
//!
//! # Capacity modes
//! | mode | kernel object |
//! | --- | --- |
//! | `bounded:N` | `F_SETPIPE_SZ` to `N x (4 + message_size)` bytes, rounded up by the kernel to a power-of-two number of pages. A FIFO's buffer exists only while it is open, so the **sender** sets the size right after opening; `create` measures the realised count on a throwaway anonymous pipe of the same size (same kernel code): frames written non-blocking until refused, counted, drained. The sender's end blocks. |
//! | `rendezvous` | `bounded:1` plus the channel's acknowledgement FIFO (see [`crate::transport::channel`]) |
//! | `unbounded` | the kernel's default pipe size; the sender's end stays `O_NONBLOCK` so `try_send` never blocks (the channel keeps what does not fit in the sender's queue) |
//!
//! Sizes above `/proc/sys/fs/pipe-max-size` (or the per-user allowance
//! `/proc/sys/fs/pipe-user-pages-soft`) are refused at creation, by the
//! measurement on the anonymous pipe, before any FIFO exists.
//!
//! # Many senders
//! Several sender processes may open the FIFO (`OneWaySpec::senders`).
//! Every frame (header and message) goes out in one `write(2)`, which the
//! kernel keeps whole up to `PIPE_BUF` (4096 bytes), blocking or not, so
//! frames of different senders never interleave; with more than one
//! sender, a message size whose frame exceeds `PIPE_BUF` is refused at
//! creation, naming it. Each sender sets the buffer size when it opens
//! (the same size: the buffer is the FIFO's, shared by all). Each sender's
//! `close` writes its own end frame; end-of-file comes only once every
//! writer has closed, and may also come between writers (one finished and
//! closed before the next opened), so the receiver of several senders
//! waits across an end-of-file at a frame boundary for the next writer,
//! watching the peer and the timeout ([`FrameReader::many_writers`]): a
//! sender killed mid-stream is a timeout once the others have finished.

use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::time::Duration;

use rustix::event::PollFlags;
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;

use super::{check_message_size, realise, requested_bytes, set_nonblocking, set_size};
use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, bounded_only,
};
use crate::transport::backends::path_param;
use crate::transport::framing::{FrameReader, FrameWriter, HEADER, StreamKind};
use crate::transport::objects::{IpcObject, private_dir};
use crate::transport::peer::{PeerWatch, SLICE, wait_fd};

/// `fifo`: a named pipe, opened by its path.
pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: bounded_only };

/// Errors name the transport by this.
const WHAT: &str = "fifo";
/// Parameter key of the FIFO's path.
const PATH: &str = "path";
/// The largest write to a pipe the kernel keeps whole (POSIX `PIPE_BUF`, 4096 on Linux).
const PIPE_BUF: usize = libc::PIPE_BUF;
/// The first pause between attempts to open a FIFO nobody reads yet.
const FIRST_PAUSE: Duration = Duration::from_micros(100);

/// Create one direction: the capacity measured on an anonymous pipe, and
/// the FIFO in a private directory.
fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    check_message_size(spec.message_size)?;
    check_atomic_frames(spec)?;
    let bytes = requested_bytes(spec, WHAT)?;
    // Measure on a throwaway anonymous pipe: the FIFO has no buffer until opened.
    let (realised, detail) = {
        let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| TransportError::io("fifo: pipe2 (to measure the capacity)", e))?;
        let how = "measured on an anonymous pipe of that size; the sender sets it on the FIFO when it opens";
        realise(&read, &write, bytes, spec, WHAT, how)?
    };
    let mut created = Created { realised, detail, ..Created::default() };
    let dir = private_dir(&mut created.objects)
        .map_err(|e| TransportError::io("fifo: creating a private directory for the FIFO", e))?;
    let path = dir.join("fifo");
    rustix::fs::mkfifoat(CWD, &path, Mode::RUSR | Mode::WUSR)
        .map_err(|e| TransportError::io(format!("fifo: mkfifo {}", path.display()), e))?;
    created.objects.add(IpcObject::Path(path.clone()));
    let value = path_param(&path)
        .ok_or_else(|| {
            TransportError::Refused(format!(
                "fifo: the path {} is not UTF-8 or contains ';' or '=', which an address cannot carry; \
                 set XDG_RUNTIME_DIR or TMPDIR to a plain directory",
                path.display()
            ))
        })?
        .to_owned();
    created.params.insert(PATH.into(), value);
    Ok(created)
}

/// With several senders, refuse frames the kernel may not write whole: a
/// write of at most `PIPE_BUF` bytes is atomic, a larger one may interleave
/// with another writer's.
fn check_atomic_frames(spec: &OneWaySpec) -> Result<(), TransportError> {
    let frame = HEADER + spec.message_size;
    if spec.senders > 1 && frame > PIPE_BUF {
        return Err(TransportError::Refused(format!(
            "fifo with {} senders: a {}-byte message makes a {frame}-byte frame, above PIPE_BUF ({PIPE_BUF} \
             bytes), the largest write the kernel keeps whole; larger frames of several writers would \
             interleave. Use messages of at most {} bytes",
            spec.senders,
            spec.message_size,
            PIPE_BUF - HEADER
        )));
    }
    Ok(())
}

/// Open the sending end: at once if a reader has the FIFO open, else on
/// the first call that needs it.
fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let pending = Pending {
        path: PathBuf::from(src.param(PATH)?),
        bytes: requested_bytes(spec, WHAT)?,
        spec: spec.clone(),
        nonblocking: spec.capacity == Capacity::Unbounded,
        watch: PeerWatch::new(opts.peer, opts.timeout),
    };
    let mut sender = FifoSender { writer: None, pending: Some(pending) };
    sender.try_connect()?;
    Ok(Box::new(sender))
}

/// Open the receiving end: the FIFO for reading, never waiting for a writer.
fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let path = src.param(PATH)?;
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC, Mode::empty())
        .map_err(|e| TransportError::io(format!("fifo: open {path} for reading"), e))?;
    set_nonblocking(&fd, false, WHAT)?;
    let first = fd.try_clone().map_err(|e| TransportError::io("fifo: dup", e))?;
    Ok(Box::new(FifoReceiver {
        reader: FrameReader::new(fd, false, PeerWatch::new(opts.peer, opts.timeout), WHAT)
            .many_writers(spec.senders > 1),
        first: Some((first, PeerWatch::new(opts.peer, opts.timeout))),
    }))
}

/// What the sender needs to open the FIFO once a reader has it open.
struct Pending {
    path: PathBuf,
    /// `F_SETPIPE_SZ` to set after opening (bounded, rendezvous).
    bytes: Option<usize>,
    spec: OneWaySpec,
    /// Unbounded: the end stays `O_NONBLOCK`.
    nonblocking: bool,
    watch: PeerWatch,
}

/// The sending end: opened on the first attempt that finds a reader.
struct FifoSender {
    writer: Option<FrameWriter>,
    pending: Option<Pending>,
}

impl FifoSender {
    /// Open the FIFO for writing if a reader has it open (`Ok(false)` if not
    /// yet); `Ok(true)` also when it is already open.
    fn try_connect(&mut self) -> Result<bool, TransportError> {
        let Some(pending) = &self.pending else { return Ok(true) };
        let fd = loop {
            let flags = OFlags::WRONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
            match rustix::fs::open(&pending.path, flags, Mode::empty()) {
                Ok(fd) => break fd,
                Err(Errno::NXIO) => return Ok(false),
                Err(Errno::INTR) => {}
                Err(e) => {
                    return Err(TransportError::io(format!("fifo: open {} for writing", pending.path.display()), e));
                }
            }
        };
        let mut pending = self.pending.take().expect("checked above");
        configure(&fd, &pending)?;
        pending.watch.progressed();
        self.writer = Some(FrameWriter::new(fd, StreamKind::Pipe, pending.nonblocking, pending.watch, WHAT));
        Ok(true)
    }

    /// Open the FIFO, waiting (in growing pauses, watching the peer and the
    /// timeout) until a reader has it open.
    #[cold]
    fn connect(&mut self) -> Result<&mut FrameWriter, TransportError> {
        let mut pause = FIRST_PAUSE;
        while !self.try_connect()? {
            self.pending.as_mut().expect("not yet connected").watch.check()?;
            std::thread::sleep(pause);
            pause = (pause * 2).min(SLICE);
        }
        Ok(self.writer.as_mut().expect("connected"))
    }
}

/// Size the FIFO's buffer (the sender does it: the size lives only while
/// the FIFO is open) and set the blocking mode.
fn configure(fd: &OwnedFd, pending: &Pending) -> Result<(), TransportError> {
    if let Some(bytes) = pending.bytes {
        set_size(fd, bytes, &pending.spec, WHAT)?;
    }
    set_nonblocking(fd, pending.nonblocking, WHAT)
}

impl RawSender for FifoSender {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        if let Some(writer) = &mut self.writer {
            return writer.send(msg);
        }
        self.connect()?.send(msg)
    }

    #[inline]
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        if let Some(writer) = &mut self.writer {
            return writer.try_send(msg);
        }
        if !self.try_connect()? {
            return Ok(false);
        }
        self.writer.as_mut().expect("connected").try_send(msg)
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        self.connect()?.wait_writable()
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.connect()?.close()
    }
}

/// The receiving end.
struct FifoReceiver {
    reader: FrameReader,
    /// Until the first message: a second descriptor of the FIFO to poll
    /// (a read before any writer opened would report end-of-file).
    first: Option<(OwnedFd, PeerWatch)>,
}

impl RawReceiver for FifoReceiver {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        if let Some((fd, watch)) = &mut self.first {
            // Ready once a writer wrote (data) or came and went (hang-up,
            // which the read then reports as the peer gone).
            wait_fd(fd, PollFlags::IN, watch)?;
            self.first = None;
        }
        self.reader.recv(buf)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::ring::Capacity;
    use crate::transport::{Channel, ChannelSpec, OpenOptions, TransportError, TransportKind};

    const KIND: TransportKind = TransportKind::Fifo;

    fn fifo_path(chan: &Channel) -> std::path::PathBuf {
        let address = chan.address();
        address.param("path").expect("address has the path").into()
    }

    /// The FIFO is a FIFO only its owner may open, and it goes with its
    /// directory when the channel drops.
    #[test]
    fn the_fifo_is_private_and_removed_with_its_directory() {
        let chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Rendezvous, 16)).unwrap();
        let path = fifo_path(&chan);
        let dir = path.parent().unwrap().to_owned();
        assert!(path.exists() && dir.exists());
        use std::os::unix::fs::{FileTypeExt, PermissionsExt};
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.file_type().is_fifo());
        assert_eq!(meta.permissions().mode() & 0o077, 0, "the FIFO is private");
        let mut chan = chan;
        let tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        drop((tx, rx));
        drop(chan);
        assert!(!path.exists(), "{} left behind", path.display());
        assert!(!dir.exists(), "{} left behind", dir.display());
    }

    /// Opening the sender does not wait for a reader (`ENXIO`); sending then
    /// waits for one until the timeout.
    #[test]
    fn sender_without_reader_times_out() {
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(200) };
        let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(4), 16)).unwrap();
        let mut tx = chan.open_sender(&opts).expect("opening does not wait for a reader");
        assert!(!tx.try_send(b"nobody reads").unwrap(), "try_send with no reader reports full");
        match tx.send(b"nobody reads") {
            Err(TransportError::Timeout(_)) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    /// A sender waiting for a reader that never opened sees its process gone.
    #[test]
    fn sender_without_reader_sees_dead_peer() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let opts = OpenOptions { peer: Some(pid), timeout: Duration::from_secs(10) };
        let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(4), 16)).unwrap();
        let mut tx = chan.open_sender(&opts).unwrap();
        match tx.send(b"nobody reads") {
            Err(TransportError::PeerGone(_)) => {}
            other => panic!("expected PeerGone, got {other:?}"),
        }
    }

    /// A FIFO no writer opened yet reads as end-of-file: the receiver's
    /// first `recv` polls instead, and times out.
    #[test]
    fn receiver_without_sender_times_out() {
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(200) };
        let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(4), 16)).unwrap();
        let mut rx = chan.open_receiver(&opts).unwrap();
        let mut buf = [0u8; 16];
        match rx.recv(&mut buf) {
            Err(TransportError::Timeout(_)) => {}
            other => panic!("expected a timeout, got {other:?}"),
        }
    }

    /// With several senders, a frame the kernel may not write whole (above
    /// `PIPE_BUF`) is refused at creation, naming it; one that fits is not.
    #[test]
    fn several_senders_need_frames_within_pipe_buf() {
        let largest = super::PIPE_BUF - super::HEADER;
        let spec = |size| ChannelSpec::new(KIND, Capacity::Bounded(4), size).senders(2);
        match Channel::create(&spec(largest + 1)) {
            Err(TransportError::Refused(why)) => assert!(why.contains("PIPE_BUF"), "{why}"),
            Err(e) => panic!("expected a refusal, got {e}"),
            Ok(_) => panic!("expected a refusal, got a channel"),
        }
        Channel::create(&spec(largest)).expect("a frame of PIPE_BUF bytes");
        Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(4), largest + 1)).expect("one sender");
    }

    /// A sender opened before the reader that sends nothing but the end
    /// marker: the receiver sees the clean end, not a writer that never came.
    #[test]
    fn finish_without_messages_is_a_clean_end() {
        let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(4), 16)).unwrap();
        let tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        tx.finish().unwrap();
        let mut buf = [0u8; 16];
        assert!(rx.recv(&mut buf).unwrap_err().is_disconnected());
    }
}
