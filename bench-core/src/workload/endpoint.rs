//! The two ends a pattern drives, as traits the pattern loops are generic
//! over, so each loop is compiled once per end type and calls `send` /
//! `recv` without dynamic dispatch.
//!
//! Implemented for the transport contract's [`Sender`] / [`Receiver`]
//! (every transport) and for the ring's own [`Producer`] / [`Consumer`]
//! (the shared-memory ring at full speed: a call through the contract's
//! `Box<dyn>` costs about as much as an 8-byte message through the ring),
//! and for iceoryx2's loans ([`LoanPublisher`] / [`LoanSubscriber`]), so
//! both are measured composing and checking in shared memory, copying
//! nothing.

use super::message::MessageWriter;
use crate::ring::{Consumer, Producer, RecvError};
use crate::transport::{Receiver, Sender, TransportError};

/// The sending end.
pub trait MessageSink {
    /// Send one message as the channel's capacity mode says.
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError>;
    /// Send message `seq` as `writer` composes it: by default written into
    /// the writer's buffer and sent from there; an end that can compose it
    /// in place (the ring's slot) overrides this.
    #[inline(always)]
    fn send_message(&mut self, writer: &mut MessageWriter, seq: u64) -> Result<(), TransportError> {
        self.send(writer.message(seq))
    }
    /// Send messages `seq..seq + n` (`n >= 1`), or as many of them as the
    /// end takes in one go (at least one); how many. By default one.
    #[inline(always)]
    fn send_messages(&mut self, writer: &mut MessageWriter, seq: u64, n: u64) -> Result<u64, TransportError> {
        debug_assert!(n >= 1);
        self.send_message(writer, seq)?;
        Ok(1)
    }
    /// Deliver anything queued and mark the clean end; messages the sender
    /// had to queue on its own side (unbounded kernel transports).
    fn finish(self) -> Result<u64, TransportError>;
    /// Whether a send returns only once the receiver has taken the message
    /// (rendezvous). A side that answers a message while still holding it
    /// must not send on such an end: it would wait for a peer that waits
    /// for it. By default not.
    fn waits_for_receipt(&self) -> bool {
        false
    }
}

/// The receiving end.
pub trait MessageSource {
    /// Hand the next message to `f`; `Ok(None)` at the clean end.
    fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, TransportError>;
    /// Hand the next message, and any more the end holds ready, to `f`;
    /// how many, or `Ok(None)` at the clean end. By default one.
    #[inline(always)]
    fn recv_many(&mut self, mut f: impl FnMut(&[u8])) -> Result<Option<u64>, TransportError> {
        Ok(self.recv_with(|m| f(m))?.map(|()| 1))
    }
}

impl MessageSink for Sender {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        Sender::send(self, msg)
    }

    fn finish(self) -> Result<u64, TransportError> {
        Ok(Sender::finish(self)?.spilled)
    }

    fn waits_for_receipt(&self) -> bool {
        Sender::waits_for_receipt(self)
    }
}

/// A [`Receiver`] with the buffer it receives into.
pub struct BufferedReceiver {
    rx: Receiver,
    buf: Vec<u8>,
}

impl BufferedReceiver {
    /// Receive messages of up to `size` bytes from `rx`.
    pub fn new(rx: Receiver, size: usize) -> Self {
        Self { rx, buf: vec![0; size] }
    }
}

impl MessageSource for BufferedReceiver {
    #[inline]
    fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, TransportError> {
        match self.rx.recv(&mut self.buf) {
            Ok(n) => Ok(Some(f(&self.buf[..n]))),
            Err(e) if e.is_disconnected() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl MessageSink for Producer {
    #[inline(always)]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        Ok(Producer::send(self, msg)?)
    }

    /// Composed in the slot: each message is stored once, where the
    /// consumer reads it, as a hand-written ring's producer does (writing
    /// it into a buffer first and copying it cost the textbook ring's
    /// stream 40% between two cores: `harness/benches/harness_vs_c.rs`).
    #[inline(always)]
    fn send_message(&mut self, writer: &mut MessageWriter, seq: u64) -> Result<(), TransportError> {
        Ok(Producer::send_with(self, writer.size(), |dst| writer.write_into(dst, seq))?)
    }

    /// A burst composed in place ([`Producer::send_burst`]) for the full
    /// design; the classic designs send one message at a time, checking
    /// for room before each, as the naive steps of the ablation do.
    #[inline(always)]
    fn send_messages(&mut self, writer: &mut MessageWriter, seq: u64, n: u64) -> Result<u64, TransportError> {
        if self.variant() != crate::ring::Variant::Ring {
            self.send_message(writer, seq)?;
            return Ok(1);
        }
        let sent = Producer::send_burst(self, n as usize, writer.size(), |i, dst| writer.write_into(dst, seq + i))?;
        Ok(sent as u64)
    }

    fn finish(self) -> Result<u64, TransportError> {
        // Dropping the producer closes the ring: the consumer drains it,
        // then sees `Disconnected`.
        drop(self);
        Ok(0)
    }

    fn waits_for_receipt(&self) -> bool {
        self.capacity() == crate::ring::Capacity::Rendezvous
    }
}

impl MessageSource for Consumer {
    #[inline(always)]
    fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, TransportError> {
        match Consumer::recv_with(self, f) {
            Ok(r) => Ok(Some(r)),
            Err(RecvError::Disconnected) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A burst taken in place ([`Consumer::recv_burst`]) for the full
    /// design; the classic designs take one message at a time, loading the
    /// producer's index for each, as the naive steps of the ablation do.
    #[inline(always)]
    fn recv_many(&mut self, mut f: impl FnMut(&[u8])) -> Result<Option<u64>, TransportError> {
        if self.variant() != crate::ring::Variant::Ring {
            return Ok(MessageSource::recv_with(self, |m| f(m))?.map(|()| 1));
        }
        match Consumer::recv_burst(self, RECV_BURST, f) {
            Ok(n) => Ok(Some(n as u64)),
            Err(RecvError::Disconnected) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(feature = "iceoryx2")]
use crate::transport::iceoryx2::{LoanPublisher, LoanSubscriber};

/// Composed in the loaned sample, as the ring's in its slot.
#[cfg(feature = "iceoryx2")]
impl MessageSink for LoanPublisher {
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        LoanPublisher::send_with(self, msg.len(), |payload| crate::transport::iceoryx2::fill(payload, msg))
    }

    #[inline(always)]
    fn send_message(&mut self, writer: &mut MessageWriter, seq: u64) -> Result<(), TransportError> {
        LoanPublisher::send_with(self, writer.size(), |payload| writer.write_into_uninit(payload, seq))
    }

    fn finish(self) -> Result<u64, TransportError> {
        LoanPublisher::finish(self)?;
        Ok(0)
    }
}

/// Checked in the received sample, which is released after.
#[cfg(feature = "iceoryx2")]
impl MessageSource for LoanSubscriber {
    #[inline(always)]
    fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<Option<R>, TransportError> {
        LoanSubscriber::recv_with(self, f)
    }
}

/// Most messages one [`MessageSource::recv_many`] of the ring takes.
const RECV_BURST: usize = 4096;
