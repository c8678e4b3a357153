//! `crossbeam`: `crossbeam-channel` between two **threads** of one process,
//! the in-process baseline. Both ends must be opened in the creating
//! process; opening one from another process is refused.
//!
//! The channel realises the modes itself: `bounded(0)` is a rendezvous,
//! `bounded(n)`, `unbounded()`. A message is copied into the channel's own
//! item (inline up to [`INLINE`] bytes, so small messages allocate nothing);
//! `None` is the end marker, and a channel disconnected without it means the
//! other thread is gone.

use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, SendTimeoutError, TrySendError};

use crate::ring::Capacity;
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, MadeEnds, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, every_mode,
};
use crate::transport::backends::check_buffer_memory;

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: every_mode };

/// Messages up to this many bytes travel inside the channel's item.
const INLINE: usize = 56;

enum Message {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Message {
    fn new(msg: &[u8]) -> Self {
        if msg.len() <= INLINE {
            let mut bytes = [0u8; INLINE];
            bytes[..msg.len()].copy_from_slice(msg);
            Message::Inline { len: msg.len() as u8, bytes }
        } else {
            Message::Heap(msg.into())
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Message::Inline { len, bytes } => &bytes[..*len as usize],
            Message::Heap(b) => b,
        }
    }
}

type Item = Option<Message>;

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    if let Capacity::Bounded(n) = spec.capacity {
        // `bounded(n)` allocates its n slots (a stamp and an item each) at
        // once; a capacity the machine cannot hold would abort the process.
        let slot = std::mem::size_of::<Item>() + std::mem::size_of::<usize>();
        check_buffer_memory(&format!("crossbeam bounded:{n} ({slot}-byte slots)"), n as u128 * slot as u128)?;
    }
    let (tx, rx) = match spec.capacity {
        Capacity::Rendezvous => crossbeam_channel::bounded(0),
        Capacity::Bounded(n) => crossbeam_channel::bounded(n),
        Capacity::Unbounded => crossbeam_channel::unbounded(),
    };
    Ok(Created {
        realised: match spec.capacity {
            Capacity::Rendezvous => Some(0),
            Capacity::Bounded(n) => Some(n as u64),
            Capacity::Unbounded => None,
        },
        detail: format!("crossbeam-channel {} between two threads", spec.capacity),
        // Made here, with the channel's own timeout: they exist in this process only.
        made: Some(MadeEnds {
            sender: Some(Box::new(CrossbeamSender { tx, timeout: spec.timeout })),
            receiver: Some(Box::new(CrossbeamReceiver { rx, timeout: spec.timeout, ended: false })),
        }),
        ..Created::default()
    })
}

fn open_sender(_: &OneWaySpec, src: &mut Source<'_>, _: &OpenOptions) -> Result<Box<dyn RawSender>, TransportError> {
    src.take_made_sender()
}

fn open_receiver(
    _: &OneWaySpec,
    src: &mut Source<'_>,
    _: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    src.take_made_receiver()
}

struct CrossbeamSender {
    tx: crossbeam_channel::Sender<Item>,
    timeout: Duration,
}

fn gone() -> TransportError {
    TransportError::PeerGone("the receiving thread dropped its end".into())
}

impl RawSender for CrossbeamSender {
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        match self.tx.send_timeout(Some(Message::new(msg)), self.timeout) {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Timeout(_)) => Err(TransportError::Timeout(self.timeout)),
            Err(SendTimeoutError::Disconnected(_)) => Err(gone()),
        }
    }

    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        match self.tx.try_send(Some(Message::new(msg))) {
            Ok(()) => Ok(true),
            Err(TrySendError::Full(_)) => Ok(false),
            Err(TrySendError::Disconnected(_)) => Err(gone()),
        }
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        // Never needed: crossbeam realises unbounded itself.
        Ok(())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        match self.tx.send_timeout(None, self.timeout) {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Timeout(_)) => Err(TransportError::Timeout(self.timeout)),
            Err(SendTimeoutError::Disconnected(_)) => Err(gone()),
        }
    }
}

struct CrossbeamReceiver {
    rx: crossbeam_channel::Receiver<Item>,
    timeout: Duration,
    ended: bool,
}

impl RawReceiver for CrossbeamReceiver {
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        if self.ended {
            return Err(TransportError::Disconnected);
        }
        match self.rx.recv_timeout(self.timeout) {
            Ok(Some(msg)) => {
                let bytes = msg.bytes();
                buf[..bytes.len()].copy_from_slice(bytes);
                Ok(bytes.len())
            }
            Ok(None) => {
                self.ended = true;
                Err(TransportError::Disconnected)
            }
            Err(RecvTimeoutError::Timeout) => Err(TransportError::Timeout(self.timeout)),
            Err(RecvTimeoutError::Disconnected) => {
                Err(TransportError::PeerGone("the sending thread dropped its end without finishing".into()))
            }
        }
    }
}
