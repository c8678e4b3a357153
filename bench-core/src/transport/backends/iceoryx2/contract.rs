//! `iceoryx2` behind the transport contract: creating a channel's world
//! and service, and the ends that copy each message into a loaned sample
//! and out of the received one.

use iceoryx2::service::ipc_threadsafe;

use super::port::{Publishing, Subscribing, copy_into};
use super::world::{Place, buffer, root_of, service};
use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, bounded_only,
};
use crate::transport::backends::check_buffer_memory;
use crate::transport::objects::{IpcObject, private_dir, unique_name};
use crate::transport::peer::PeerWatch;

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: bounded_only };

/// The `Send` flavour, for ends the contract may move between threads.
type Threadsafe = ipc_threadsafe::Service;

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let samples = buffer(spec);
    // The publisher's data segment holds every sample that can be in the
    // buffer, borrowed by the subscriber, or loaned, at once.
    let bytes = (samples as u128 + 2) * spec.message_size as u128;
    check_buffer_memory(&format!("iceoryx2 {} of {}-byte messages", spec.capacity, spec.message_size), bytes)?;
    let mut created = Created::default();
    let dir = private_dir(&mut created.objects).map_err(|e| TransportError::io("creating iceoryx2's directory", e))?;
    let root = root_of(&dir).ok_or_else(|| {
        TransportError::Refused(format!("iceoryx2's directory {} cannot be named in an address", dir.display()))
    })?;
    let prefix = format!("{}_", unique_name("iox2"));
    created.objects.add(IpcObject::ShmPrefix(prefix.clone()));
    let place = Place { root, prefix };
    let node = place.node::<Threadsafe>()?;
    let service = service(&node, spec, true)?;
    created.params.insert("root".into(), place.root.clone());
    created.params.insert("prefix".into(), place.prefix.clone());
    created.realised = Some(samples as u64);
    created.detail = match spec.capacity {
        Capacity::Bounded(_) => format!(
            "subscriber buffer of {samples} samples of {} bytes, no overflow: the publisher retries while it is full",
            spec.message_size
        ),
        _ => format!("subscriber buffer of {samples} samples of {} bytes", spec.message_size),
    };
    // The creator's node and service keep the world open until the channel drops.
    created.keep = Some(Box::new((service, node)));
    Ok(created)
}

fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let publishing = Publishing::open(&Place::from_source(src)?, spec, opts)?;
    Ok(Box::new(CopySender { publishing, stall: PeerWatch::new(opts.peer, opts.timeout) }))
}

fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    Ok(Box::new(CopyReceiver(Subscribing::open(&Place::from_source(src)?, spec, opts)?)))
}

/// Copies each message into a loaned sample.
struct CopySender {
    publishing: Publishing<Threadsafe>,
    /// The deadline and the peer of `wait_writable`, which sends nothing.
    stall: PeerWatch,
}

impl RawSender for CopySender {
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.publishing.send_with(msg.len(), |payload| copy_into(payload, msg))
    }

    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        let sent = self.publishing.try_send_with(msg.len(), |payload| copy_into(payload, msg))?;
        if sent {
            self.stall.progressed();
        }
        Ok(sent)
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        // iceoryx2 tells a publisher nothing of the subscriber's buffer
        // until it sends: let the subscriber run, and try again.
        self.stall.check()?;
        std::thread::yield_now();
        Ok(())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.publishing.close()
    }
}

/// Copies each received sample out.
struct CopyReceiver(Subscribing<Threadsafe>);

impl RawReceiver for CopyReceiver {
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        self.0.recv_with(|payload| {
            let Some(dst) = buf.get_mut(..payload.len()) else {
                return Err(TransportError::TooLarge {
                    len: payload.len(),
                    max: buf.len(),
                    limit: "the receive buffer".into(),
                });
            };
            dst.copy_from_slice(payload);
            Ok(payload.len())
        })?
    }
}
