//! `shm-ring`: the ring of [`crate::ring`] behind the transport contract.
//!
//! The ring realises all three capacity modes itself (rendezvous by its own
//! acknowledgement, bounded exactly, unbounded by a growing chain of
//! segments), so the channel layer adds nothing. The creating process keeps
//! a handle until the channel drops ([`Created::keep`]); each end attaches
//! by name, wherever it is opened, and the name is removed as soon as both
//! ends are claimed. Each end waits by the
//! timeout of the [`OpenOptions`] it was opened with, never by a value
//! read from the segment.

use crate::ring::{Capacity, Consumer, Producer, RecvError, RingConfig, SendError, SharedRing};
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, every_mode,
};
use crate::transport::backends::check_buffer_memory;
use crate::transport::objects::IpcObject;

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: every_mode };

fn config(spec: &OneWaySpec) -> RingConfig {
    RingConfig::new(spec.capacity)
        .variant(spec.variant)
        .wait(spec.wait)
        .slot_size(spec.message_size)
        .fixed_size(spec.fixed_size)
        .timeout(spec.timeout)
}

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let config = config(spec);
    // The segment is sized up front and its pages are touched as the ring
    // is used: one the machine cannot hold would fill /dev/shm or memory.
    let bytes = config.segment_bytes()?;
    check_buffer_memory(&format!("shm-ring {} of {}-byte messages", spec.capacity, spec.message_size), bytes as u128)?;
    let ring = SharedRing::create(&config)?;
    let mut created = Created::default();
    created.objects.add(match spec.capacity {
        // The segments an unbounded ring grows are the chain's to remove.
        Capacity::Unbounded => IpcObject::ShmChain(ring.name().to_owned()),
        _ => IpcObject::ShmName(ring.name().to_owned()),
    });
    created.params.insert("name".into(), ring.name().to_owned());
    created.realised = match spec.capacity {
        Capacity::Bounded(_) => Some(ring.realised_bound() as u64),
        Capacity::Rendezvous => Some(0),
        Capacity::Unbounded => None,
    };
    let per_block = ring.config().per_block();
    let slots = if per_block > 1 {
        format!("{} slots of {} bytes, {per_block} to a stamp word", ring.slot_count(), spec.message_size)
    } else {
        format!("slot array of {} x {} bytes", ring.slot_count(), spec.message_size)
    };
    created.detail = format!("{} design, {slots}, {} waits", spec.variant, spec.wait);
    created.keep = Some(Box::new(ring));
    Ok(created)
}

/// The ring, attached by name: in the creating process too (whose handle
/// the channel keeps, with the name, until both ends are claimed).
fn ring(src: &mut Source<'_>) -> Result<SharedRing, TransportError> {
    Ok(SharedRing::attach_shared(src.param("name")?)?)
}

fn open_sender(_: &OneWaySpec, src: &mut Source<'_>, opts: &OpenOptions) -> Result<Box<dyn RawSender>, TransportError> {
    Ok(Box::new(RingSender(Some(ring(src)?.with_timeout(opts.timeout).into_producer()?))))
}

fn open_receiver(
    _: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    Ok(Box::new(RingReceiver(ring(src)?.with_timeout(opts.timeout).into_consumer()?)))
}

/// The producer; `None` once closed (`finish`: dropping it is the ring's
/// clean end). Dropped without `finish`, it abandons the stream.
struct RingSender(Option<Producer>);

impl Drop for RingSender {
    fn drop(&mut self) {
        if let Some(producer) = self.0.take() {
            producer.abandon();
        }
    }
}

impl RingSender {
    fn producer(&mut self) -> Result<&mut Producer, TransportError> {
        self.0.as_mut().ok_or_else(|| TransportError::Protocol("send after close".into()))
    }
}

fn send_error(e: SendError) -> TransportError {
    match e {
        SendError::PeerDied { pid } => TransportError::PeerGone(format!("process {pid} exited")),
        SendError::Disconnected => TransportError::PeerGone("the consumer closed the ring".into()),
        SendError::Timeout { waited } => TransportError::Timeout(waited),
        other => other.into(),
    }
}

impl RawSender for RingSender {
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.producer()?.send(msg).map_err(send_error)
    }

    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        self.producer()?.try_send(msg).map_err(send_error)
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        // Never needed: the ring realises unbounded itself, so the channel
        // layer never spills and never waits here.
        Ok(())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.0 = None;
        Ok(())
    }
}

struct RingReceiver(Consumer);

impl RawReceiver for RingReceiver {
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        self.0.recv(buf).map_err(|e| match e {
            RecvError::Disconnected => TransportError::Disconnected,
            RecvError::PeerDied { pid } => TransportError::PeerGone(format!("process {pid} exited")),
            RecvError::Abandoned => TransportError::PeerGone("the sender dropped its end without finishing".into()),
            RecvError::Timeout { waited } => TransportError::Timeout(waited),
            other => other.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::transport::objects::IpcObject;
    use crate::transport::{Channel, ChannelSpec, OpenOptions, TransportKind};

    /// Each end waits by the timeout of its own `OpenOptions`, not the
    /// one the channel was created with (which the segment does not carry).
    #[test]
    fn an_end_waits_by_its_own_open_options() {
        let kind: TransportKind = "shm-ring".parse().unwrap();
        let hour = Duration::from_secs(3600);
        let spec = ChannelSpec::new(kind, crate::ring::Capacity::Bounded(1), 8).timeout(hour);
        let mut chan = Channel::create(&spec).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(100) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let _tx = chan.open_sender(&opts).unwrap();
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8];
            let _ = done.send(rx.recv(&mut buf).map(|_| ()));
        });
        // A guard against a hang, not a timing: only an hour-long wait reaches it.
        let got = outcome.recv_timeout(Duration::from_secs(30)).expect("the receiver waited past its own timeout");
        assert!(matches!(got, Err(crate::transport::TransportError::Timeout(_))), "{got:?}");
    }

    /// The segments an unbounded ring's producer grew go with the channel,
    /// even when the producer never ran its drop (killed outright): the
    /// chain is removed by name, not from what the producer remembered.
    #[test]
    fn a_killed_producers_chain_segments_go_with_the_channel() {
        let kind: TransportKind = "shm-ring".parse().unwrap();
        let spec = ChannelSpec::new(kind, crate::ring::Capacity::Unbounded, 64).timeout(Duration::from_secs(5));
        let mut chan = Channel::create(&spec).unwrap();
        let root = chan
            .objects()
            .into_iter()
            .find_map(|o| match o {
                IpcObject::ShmChain(name) | IpcObject::ShmName(name) => Some(name),
                _ => None,
            })
            .expect("the ring's segment is registered");
        let opts = OpenOptions { peer: None, timeout: Duration::from_secs(5) };
        let mut tx = chan.open_sender(&opts).unwrap();
        // No consumer: the chain grows a few segments.
        let msg = [7u8; 64];
        for _ in 0..20_000 {
            tx.send(&msg).unwrap();
        }
        let segments = |root: &str| {
            let prefix = format!("{}.", root.trim_start_matches('/'));
            std::fs::read_dir(crate::shm::SHM_DIR)
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with(&prefix))
                .count()
        };
        assert!(segments(&root) >= 2, "the chain grew");
        std::mem::forget(tx); // as SIGKILL leaves it: no drop
        drop(chan);
        assert_eq!(segments(&root), 0, "segments of {root} left behind");
    }
}
