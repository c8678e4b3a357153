//! One file per transport, each a [`Backend`]: how to create one direction
//! of it and open either end.

use super::TransportKind;
use super::backend::Backend;

pub(crate) mod crossbeam;
pub(crate) mod eventfd_shm;
pub(crate) mod fifo;
pub(crate) mod pipe;
pub(crate) mod posix_mq;
pub(crate) mod shm_ring;
pub(crate) mod sysv_mq;
pub(crate) mod tcp;
#[cfg(test)]
pub(crate) mod testing;
pub(crate) mod unix;

/// The backend of `kind`.
pub(crate) fn of(kind: TransportKind) -> &'static Backend {
    match kind {
        TransportKind::ShmRing(_) => &shm_ring::BACKEND,
        TransportKind::Pipe => &pipe::BACKEND,
        TransportKind::Fifo => &fifo::BACKEND,
        TransportKind::UnixStream => &unix::STREAM,
        TransportKind::UnixDgram => &unix::DGRAM,
        TransportKind::UnixSeqpacket => &unix::SEQPACKET,
        TransportKind::Tcp => &tcp::BACKEND,
        TransportKind::PosixMq => &posix_mq::BACKEND,
        TransportKind::SysvMq => &sysv_mq::BACKEND,
        TransportKind::EventfdShm => &eventfd_shm::BACKEND,
        TransportKind::Crossbeam => &crossbeam::BACKEND,
    }
}
