//! `unix-seqpacket`: `SOCK_SEQPACKET` through a listening socket path, one
//! packet per message, boundaries kept by the kernel (see [`super`] for
//! what the three Unix-domain types share, [`super::packet`] for the ends).
//!
//! # The end marker
//! An empty packet cannot be the end marker: `recv` returns 0 for it and
//! for end-of-file alike, and `recvmsg` sets no flag that tells them apart
//! (no `MSG_EOR` on `AF_UNIX`; checked by the test
//! `seqpacket_empty_packet_reads_as_eof`). So the end marker is a packet of
//! `message_size + 1` bytes, one more than any message may carry. The
//! receiver reads with `MSG_TRUNC`, which returns a packet's full length
//! even when the buffer is shorter, so it recognises the marker whatever
//! its buffer; 0 bytes is then always end-of-file without the marker
//! (`PeerGone`). The send buffer is sized so that the marker fits too.

use super::packet::{PacketReceiver, PacketSender};
use super::{Kind, connect, create};
use crate::transport::TransportError;
use crate::transport::backend::{Backend, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, bounded_only};
use crate::transport::peer::PeerWatch;

/// `unix-seqpacket`: `SOCK_SEQPACKET` through a listening socket path, one packet per message.
pub(crate) static BACKEND: Backend =
    Backend { create: |spec| create(Kind::Seqpacket, spec), open_sender, open_receiver, native: bounded_only };

/// Open the sending end: a socket connected to the path.
fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let (fd, watch) = connect(Kind::Seqpacket, src, opts)?;
    Ok(Box::new(PacketSender::new(fd, Kind::Seqpacket, watch, spec.message_size)))
}

/// Open the receiving end: the listener, accepted from on the first `recv`.
fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let listener = src.take_fd(Kind::Seqpacket.fd_key())?;
    let watch = PeerWatch::new(opts.peer, opts.timeout);
    Ok(Box::new(PacketReceiver::listening(listener, Kind::Seqpacket, spec.message_size, watch)))
}

#[cfg(test)]
mod tests {
    use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

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
