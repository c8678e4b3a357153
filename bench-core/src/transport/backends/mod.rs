//! Every transport as a [`Backend`]: how to create one direction of it and
//! open either end. One file per transport, or one folder where transports
//! share their kernel object's plumbing: `pipe/` (the anonymous `pipe` and
//! the named `fifo`), `unix/` (`unix-stream`, `unix-seqpacket`,
//! `unix-dgram`), `eventfd_shm/`, whose shared-memory segment has a
//! file of its own, and `iceoryx2/` (its world, its ports, the contract's
//! ends and the harness's loans; a refusing stand-in without the feature). What several backends need lives in one place: this
//! file (the memory check, an address's paths), [`crate::sysctl`] (kernel
//! limits), [`super::peer`] (waiting with a deadline, accepting a
//! connection, the peer's liveness).

use std::path::Path;

use super::backend::Backend;
use super::{TransportError, TransportKind};

pub(crate) mod crossbeam;
pub(crate) mod eventfd_shm;
pub(crate) mod iceoryx2;
pub(crate) mod pipe;
pub(crate) mod posix_mq;
pub(crate) mod shm_mailbox;
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
        TransportKind::Pipe => &pipe::anonymous::BACKEND,
        TransportKind::Fifo => &pipe::fifo::BACKEND,
        TransportKind::UnixStream => &unix::stream::BACKEND,
        TransportKind::UnixDgram => &unix::dgram::BACKEND,
        TransportKind::UnixSeqpacket => &unix::seqpacket::BACKEND,
        TransportKind::Tcp => &tcp::BACKEND,
        TransportKind::PosixMq => &posix_mq::BACKEND,
        TransportKind::SysvMq => &sysv_mq::BACKEND,
        TransportKind::EventfdShm => &eventfd_shm::BACKEND,
        TransportKind::ShmMailbox(_) => &shm_mailbox::BACKEND,
        TransportKind::Iceoryx2 => &iceoryx2::BACKEND,
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

/// `path` as an address can carry it (UTF-8, without the `;` and `=` that
/// separate an address's parameters), or `None`.
pub(crate) fn path_param(path: &Path) -> Option<&str> {
    path.to_str().filter(|p| !p.contains([';', '=']))
}
