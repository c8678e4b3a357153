//! STUB: to be implemented.

use crate::transport::TransportError;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native_modes: false };

fn create(_spec: &OneWaySpec) -> Result<Created, TransportError> {
    Err(TransportError::Refused("not built yet".into()))
}

fn open_sender(_: &OneWaySpec, _: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawSender>, TransportError> {
    Err(TransportError::Refused("not built yet".into()))
}

fn open_receiver(_: &OneWaySpec, _: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawReceiver>, TransportError> {
    Err(TransportError::Refused("not built yet".into()))
}
