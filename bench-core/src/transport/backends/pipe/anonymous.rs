//! `pipe`: an anonymous pipe (`pipe2(O_CLOEXEC)`), a direct link: the
//! creating process makes it and hands the read end to the receiver and the
//! write end to the sender (inherited across `exec`, or moved in-process).
//! Framing, sizing and refusals are the pipes' shared ones ([`super`]).
//!
//! # Capacity modes
//! | mode | kernel object |
//! | --- | --- |
//! | `bounded:N` | `F_SETPIPE_SZ` to `N x (4 + message_size)` bytes on this pipe; the realised count is measured on it before it is handed over. `send` is one blocking `write`, `recv` one blocking `read`. |
//! | `rendezvous` | `bounded:1` plus the channel's acknowledgement pipe (see [`crate::transport::channel`]) |
//! | `unbounded` | the kernel's default pipe size; the sender's end is `O_NONBLOCK`; the receiver blocks |

use super::{check_message_size, realise, requested_bytes, set_nonblocking};
use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source, bounded_only,
};
use crate::transport::framing::{FrameReader, FrameWriter, StreamKind};
use crate::transport::peer::PeerWatch;

/// `pipe`: an anonymous pipe, its ends inherited or moved.
pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: bounded_only };

/// Errors name the transport by this.
const WHAT: &str = "pipe";
/// Parameter key of the read end's descriptor.
const READ_FD: &str = "read_fd";
/// Parameter key of the write end's descriptor.
const WRITE_FD: &str = "write_fd";

/// Create one direction: the pipe, sized and measured.
fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    check_message_size(spec.message_size)?;
    let bytes = requested_bytes(spec, WHAT)?;
    let (read, write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| TransportError::io("pipe: pipe2(O_CLOEXEC)", e))?;
    let (realised, detail) = realise(&read, &write, bytes, spec, WHAT, "measured on this pipe before handing it over")?;
    let mut created = Created { realised, detail, ..Created::default() };
    created.fds.push((Role::Receiver, READ_FD.into(), read));
    created.fds.push((Role::Sender, WRITE_FD.into(), write));
    Ok(created)
}

/// Open the sending end: the write end, `O_NONBLOCK` when unbounded.
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

/// Open the receiving end: the read end, blocking.
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

#[cfg(test)]
mod tests {
    use crate::ring::Capacity;
    use crate::transport::{Channel, ChannelSpec, OpenOptions, TransportKind};

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
