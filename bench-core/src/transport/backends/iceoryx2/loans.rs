//! iceoryx2's loans, for the harness: the producer composes each message
//! in a loaned sample and sends it; the consumer checks each received
//! sample in place and releases it. No copy beyond composing and checking,
//! as the ring's producer and consumer work in its slots. Only where
//! iceoryx2 realises the capacity mode itself (`bounded:N`); opened from a
//! channel's [`Address`](crate::transport::Address).

use std::mem::MaybeUninit;

use iceoryx2::service::ipc;

use super::port::{Publishing, Subscribing, copy_into};
use super::world::Place;
use crate::transport::TransportError;
use crate::transport::backend::{OneWaySpec, OpenOptions};

/// The single-threaded flavour iceoryx2's own benchmarks use: its ends
/// stay on the thread that opened them.
type SingleThreaded = ipc::Service;

/// The publisher of an `iceoryx2` channel, sending loaned samples.
pub struct LoanPublisher(Publishing<SingleThreaded>);

/// The subscriber of an `iceoryx2` channel, reading samples in place.
pub struct LoanSubscriber(Subscribing<SingleThreaded>);

impl LoanPublisher {
    pub(crate) fn open(place: &Place, spec: &OneWaySpec, opts: &OpenOptions) -> Result<Self, TransportError> {
        Ok(Self(Publishing::open(place, spec, opts)?))
    }

    /// Wait until the subscriber has subscribed, and connect to it: done by
    /// the first send otherwise, which then pays for the set-up (creating
    /// the connection) inside a measurement.
    pub fn connect(&mut self) -> Result<(), TransportError> {
        self.0.connect()
    }

    /// Loan a sample of `len` bytes, have `write` fill every byte of it
    /// (returning it as written bytes), and send it, waiting while the
    /// subscriber's buffer is full. A sample that reaches no one while the
    /// subscriber is registered (not yet attached) is composed again and resent.
    #[inline]
    pub fn send_with(
        &mut self,
        len: usize,
        write: impl FnMut(&mut [MaybeUninit<u8>]) -> &mut [u8],
    ) -> Result<(), TransportError> {
        self.0.send_with(len, write)
    }

    /// Send the end of the stream.
    pub fn finish(mut self) -> Result<(), TransportError> {
        self.0.close()
    }
}

/// `msg` copied into a loaned `payload` of its length, as written bytes:
/// for a message composed elsewhere (not the measured path).
pub fn fill<'a>(payload: &'a mut [MaybeUninit<u8>], msg: &[u8]) -> &'a mut [u8] {
    copy_into(payload, msg)
}

impl LoanSubscriber {
    pub(crate) fn open(place: &Place, spec: &OneWaySpec, opts: &OpenOptions) -> Result<Self, TransportError> {
        Ok(Self(Subscribing::open(place, spec, opts)?))
    }

    /// Wait until the publisher exists, and attach to its samples: done by
    /// the first receive otherwise, inside a measurement.
    pub fn connect(&mut self) -> Result<(), TransportError> {
        self.0.connect()
    }

    /// Wait for the next sample and hand its bytes to `f` in place; the
    /// sample is released when `f` returns. `Ok(None)` at the end of the stream.
    #[inline]
    pub fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, TransportError> {
        match self.0.recv_with(f) {
            Ok(r) => Ok(Some(r)),
            Err(TransportError::Disconnected) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
