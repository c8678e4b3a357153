//! `iceoryx2` in a build without the cargo feature `iceoryx2`: every
//! channel is refused with the reason and how to build it in.

use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native };

fn refusal() -> TransportError {
    TransportError::Refused(
        "this build has no iceoryx2: build with the cargo feature `iceoryx2` (cargo run -p harness --features iceoryx2)"
            .into(),
    )
}

fn create(_: &OneWaySpec) -> Result<Created, TransportError> {
    Err(refusal())
}

fn open_sender(_: &OneWaySpec, _: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawSender>, TransportError> {
    Err(refusal())
}

fn open_receiver(_: &OneWaySpec, _: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawReceiver>, TransportError> {
    Err(refusal())
}

fn native(_: Capacity) -> bool {
    false
}
