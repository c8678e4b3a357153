//! `shm-mailbox` and `shm-mailbox:mutex`: the shared-memory multi-producer
//! mailbox of [`crate::mailbox`] behind the transport contract. Not built
//! yet: creating one is refused.

use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native };

/// Bounded and rendezvous are the mailbox's own; unbounded is the channel's spill.
fn native(capacity: Capacity) -> bool {
    !matches!(capacity, Capacity::Unbounded)
}

fn not_built() -> TransportError {
    TransportError::Refused("shm-mailbox: not built yet".into())
}

fn create(_: &OneWaySpec) -> Result<Created, TransportError> {
    Err(not_built())
}

fn open_sender(_: &OneWaySpec, _: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawSender>, TransportError> {
    Err(not_built())
}

fn open_receiver(_: &OneWaySpec, _: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawReceiver>, TransportError> {
    Err(not_built())
}
