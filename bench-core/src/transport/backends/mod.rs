//! One file per transport, each a [`Backend`]: how to create one direction
//! of it and open either end.

use super::backend::Backend;
use super::{TransportError, TransportKind};

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

/// Refuse a channel whose buffer, allocated when it is created, would take
/// more than half the memory the machine has available now: it would push
/// the machine into swap or the OOM killer rather than measure anything.
/// `what` says what needs the bytes, for the refusal's one line.
pub(crate) fn check_buffer_memory(what: &str, bytes: u128) -> Result<(), TransportError> {
    let Some(available) = crate::environment::memory_available() else { return Ok(()) };
    if bytes <= u128::from(available / 2) {
        return Ok(());
    }
    let gb = |b: f64| b / 1e9;
    Err(TransportError::Refused(format!(
        "{what} needs {:.1} GB up front, more than half the memory available now ({:.1} GB)",
        gb(bytes as f64),
        gb(available as f64)
    )))
}
