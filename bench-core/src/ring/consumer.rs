//! The receiving end: copying or zero-copy reads, batches, following an
//! unbounded chain from segment to segment, and end-of-stream.
//!
//! When the lane is empty the consumer looks, in this order, at the
//! producer's `closed` flag, the current segment's `sealed` flag and the
//! lane again: if the segment is sealed and still empty it is drained, so
//! the consumer opens the next one (and unlinks its name at once); if the
//! producer closed and nothing is left, the stream has ended: cleanly
//! (`Disconnected`) if it finished, `Abandoned` if it abandoned the stream.

use super::config::WaitStrategy;
use super::error::RecvError;
use super::lane::ConsumerLane;
use super::layout::{CLOSED_FINISHED, Region};
use super::wait::{WaitFailure, Waiter, spin_polls, wake};
use super::{NameGuard, chain_name};
use crate::sync::Ordering;

/// What the consumer observed; read with [`Consumer::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumerStats {
    /// Messages received (counted from the lane positions, not per message).
    pub received: u64,
    /// Times the ring was empty and the consumer had to wait.
    pub empty_waits: u64,
    /// Unbounded: drained segments given back (unmapped, name unlinked).
    pub segments_released: u64,
}

/// The single consumer of a ring. Created by [`super::SharedRing::into_consumer`].
pub struct Consumer {
    lane: ConsumerLane,
    region: Region,
    root: Region,
    slot_size: usize,
    block: bool,
    /// Polls of the next slot inside `recv` before the slow path, and in
    /// the slow path before the full wait: [`INLINE_SPINS`] and
    /// [`TIGHT_SPINS`], or none when this process may run on one CPU only
    /// and waits by yielding or sleeping. Pinned to a core its producer may
    /// share, every poll only delays the producer it waits for (a same-core
    /// round trip cost 15 us instead of 2 us); a spinning strategy spins
    /// as asked.
    spins: (u32, u32),
    waiter: Waiter,
    stats: ConsumerStats,
    base_name: String,
    _name: NameGuard,
}

/// Polls of the next slot alone before the full wait (deadline, peer, end of
/// stream). The loom model runs this path too, the phase explored as one
/// poll or none (`wait::spin_polls`).
const TIGHT_SPINS: u32 = 512;

/// Polls of the next slot inside `recv` itself, before it calls the slow
/// path. An empty ring means the producer has room (the consumer keeps fewer
/// than an eighth of the bound unpublished), so not publishing first cannot
/// hold the producer up. Under loom as `TIGHT_SPINS`.
const INLINE_SPINS: u32 = 64;

enum Next {
    Ready(u32),
    Sealed,
    /// Drained, and the producer finished.
    Finished,
    /// Drained, and the producer abandoned the stream.
    Abandoned,
}

impl Consumer {
    /// `timeout` is this side's own (see [`super::SharedRing`]).
    pub(crate) fn new(root: Region, name: NameGuard, timeout: std::time::Duration) -> Self {
        let g = *root.geometry();
        let waiter = Waiter::new(g.wait, timeout);
        Self {
            lane: ConsumerLane::new(&root),
            region: root.clone(),
            root,
            slot_size: g.slot_size,
            block: g.wait == WaitStrategy::Block,
            spins: if g.wait == WaitStrategy::Spin || !Waiter::one_cpu() {
                (spin_polls(INLINE_SPINS), spin_polls(TIGHT_SPINS))
            } else {
                (0, 0)
            },
            waiter,
            stats: ConsumerStats::default(),
            base_name: name.name().to_owned(),
            _name: name,
        }
    }

    /// Receive the next message into `buf`; returns its length.
    /// `Err(Disconnected)` once the producer has closed and all is received.
    /// A message larger than `buf` stays queued (`Err(BufferTooSmall)`).
    #[inline(always)]
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        let msg = self.next_message()?;
        let len = msg.len();
        if len > buf.len() {
            return Err(RecvError::BufferTooSmall { len, capacity: buf.len() });
        }
        // SAFETY: `msg` is `len` bytes in the mapping, `buf` holds at least
        // `len` bytes, and a `&mut` buffer cannot overlap the shared slot.
        unsafe { super::lane::copy_message(msg.as_ptr(), buf.as_mut_ptr(), len) };
        self.release(1);
        Ok(len)
    }

    /// Receive the next message and hand it to `f` in place, without a copy;
    /// its slot goes back to the producer when `f` returns.
    ///
    /// The bytes are in memory the producer's process maps too. Under the
    /// protocol it does not write them until the slot is released; one
    /// that breaks the protocol could change them while `f` runs (a wrong
    /// message, which a message check catches), but never where they are
    /// or how many: the slice's address comes from this side's own cursor
    /// and its length is checked against the slot size first.
    #[inline(always)]
    pub fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<R, RecvError> {
        let out = f(self.next_message()?);
        self.release(1);
        Ok(out)
    }

    /// Hand every message published now, up to `max` (waiting for the
    /// first), to `f` in place, releasing each; returns how many. The way
    /// to drain a stream: one call takes a whole burst with the ring's
    /// positions in registers. `Err(Disconnected)` once the producer has
    /// closed and everything is received.
    #[inline]
    pub fn recv_burst(&mut self, max: usize, f: impl FnMut(&[u8])) -> Result<usize, RecvError> {
        if max == 0 {
            return Ok(0);
        }
        if self.lane.front(&self.region).is_none() && self.lane.spin_front(&self.region, self.spins.0).is_none() {
            self.wait_ready()?;
        }
        let (n, corrupt, published) = self.lane.take_burst(max as u64, self.slot_size, f, &self.region);
        if published && self.block {
            wake(self.root.producer_wait());
        }
        match corrupt {
            Some(len) if n == 0 => Err(RecvError::Corrupt { len, max: self.slot_size }),
            _ => Ok(n as usize),
        }
    }

    /// The next published message, in place, not yet released.
    #[inline(always)]
    fn next_message(&mut self) -> Result<&[u8], RecvError> {
        // A message that is there, or comes within a few polls, is taken
        // without leaving the caller's code: in a ping-pong the call into
        // the slow path and back cost 20 ns of a 110 ns round trip.
        let front = match self.lane.front(&self.region) {
            Some(front) => Some(front),
            None => self.lane.spin_front(&self.region, self.spins.0),
        };
        let (payload, len) = match front {
            Some(front) => front,
            None => self.wait_front()?,
        };
        let len = len as usize;
        if len > self.slot_size {
            return Err(RecvError::Corrupt { len, max: self.slot_size });
        }
        self.lane.slots().note_read(self.lane.slot_index(0));
        // SAFETY: `front` observed (Acquire) that the producer published this
        // slot; it will not write it again until we release it, which needs
        // `&mut self` again, after this borrow ends; the payload holds
        // `slot_size >= len` bytes, inside the mapping (our cursor's slot,
        // checked length). A producer that breaks the protocol can only
        // change these bytes under the borrow, not its bounds (see
        // `recv_with`); the mapping itself stays, or the process stops
        // (`crate::shm`'s shrink guard).
        Ok(unsafe { std::slice::from_raw_parts(payload, len) })
    }

    /// `wait_ready`, then the message's payload like `front`.
    #[cold]
    #[inline(never)]
    fn wait_front(&mut self) -> Result<(*const u8, u32), RecvError> {
        let len = self.wait_ready()?;
        Ok((self.lane.slots().payload(self.lane.slot_index(0)) as *const u8, len))
    }

    /// Wait for at least one message, then borrow up to `max` published
    /// messages in place. Dropping the batch releases them all.
    pub fn peek(&mut self, max: usize) -> Result<ReadBatch<'_>, RecvError> {
        if self.lane.ready(&self.region).is_none() {
            self.wait_ready()?;
        }
        // No more than the segment's bound: a correct producer never has more
        // in flight, and slot words a peer scribbled on could otherwise read
        // as published for 2^31 positions.
        let bound = self.region.geometry().bound as u64;
        let n = self.lane.available(&self.region, (max as u64).min(bound)) as usize;
        for k in 0..n {
            let len = self.lane.len_at(k as u64) as usize;
            if len > self.slot_size {
                return Err(RecvError::Corrupt { len, max: self.slot_size });
            }
        }
        Ok(ReadBatch { consumer: self, n })
    }

    /// The ring's design.
    pub fn variant(&self) -> super::config::Variant {
        self.region.geometry().variant
    }

    /// The largest message this ring carries.
    pub fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// Counters of what happened so far.
    pub fn stats(&self) -> ConsumerStats {
        // Not counted per message: the lane's own position says it.
        ConsumerStats { received: self.stats.received + self.lane.consumed(), ..self.stats }
    }

    #[inline(always)]
    fn release(&mut self, n: u64) {
        let published = self.lane.release(n, &self.region);
        if published && self.block {
            wake(self.root.producer_wait());
        }
    }

    /// Wait until a message is ready, following sealed segments; its length.
    #[cold]
    #[inline(never)]
    fn wait_ready(&mut self) -> Result<u32, RecvError> {
        self.stats.empty_waits += 1;
        // Hand back every slot read so far before waiting: the producer may be
        // waiting for exactly that room.
        if self.lane.flush(&self.region) && self.block {
            wake(self.root.producer_wait());
        }
        // First poll only the next slot, in a tight loop: when the message
        // comes soon, this is what notices it soonest. End-of-stream and
        // sealed segments are looked at below, after this short spin.
        if let Some((_, len)) = self.lane.spin_front(&self.region, self.spins.1) {
            return Ok(len);
        }
        loop {
            let (lane, region, root) = (&self.lane, &self.region, &self.root);
            let next = self
                .waiter
                .until(root.consumer_wait(), &root.producer().pid, || {
                    // Acquire, both: pair with the producer's stores of
                    // `closed` (in its drop) and `sealed` (in `grow`): once
                    // either is seen, every message published before it is
                    // visible, so the lane check after them is conclusive.
                    let closed = root.producer().closed.load(Ordering::Acquire);
                    let sealed = region.producer().sealed.load(Ordering::Acquire) != 0;
                    match lane.ready(region) {
                        Some(len) => Some(Next::Ready(len)),
                        None if sealed => Some(Next::Sealed),
                        None if closed == CLOSED_FINISHED => Some(Next::Finished),
                        None if closed != 0 => Some(Next::Abandoned),
                        None => None,
                    }
                })
                .map_err(|f| match f {
                    WaitFailure::PeerDied(pid) => RecvError::PeerDied { pid },
                    WaitFailure::Timeout(waited) => RecvError::Timeout { waited },
                })?;
            match next {
                Next::Ready(len) => return Ok(len),
                Next::Finished => return Err(RecvError::Disconnected),
                Next::Abandoned => return Err(RecvError::Abandoned),
                Next::Sealed => self.next_segment()?,
            }
        }
    }

    /// Move to the next segment of an unbounded chain, giving this one back.
    #[cfg(not(loom))]
    fn next_segment(&mut self) -> Result<(), RecvError> {
        let k = self.region.geometry().chain_index + 1;
        let name = chain_name(&self.base_name, k);
        let next = Region::attach(&name).map_err(RecvError::Chain)?;
        let _ = crate::shm::unlink(&name);
        let (want, got) = (self.root.geometry(), next.geometry());
        let same_ring = got.capacity == want.capacity
            && got.variant == want.variant
            && got.slot_size == want.slot_size
            && got.fixed_size == want.fixed_size;
        if got.chain_index != k || !same_ring {
            return Err(RecvError::Chain(super::RingError::Incompatible {
                path: crate::shm::path_of(&name),
                reason: format!(
                    "segment {} of a {} ring, expected segment {k} of this chain",
                    got.chain_index, got.variant
                ),
            }));
        }
        self.stats.received += self.lane.consumed();
        self.lane = ConsumerLane::new(&next);
        self.region = next; // unmaps the drained segment (unless it is the root)
        self.stats.segments_released += 1;
        // Release: pairs with the producer's Acquire load in `grow`
        // (`ChainBudget::forget_released`): we are done with every segment below k.
        self.root.consumer().segments_released.store(k, Ordering::Release);
        Ok(())
    }

    #[cfg(loom)]
    fn next_segment(&mut self) -> Result<(), RecvError> {
        unreachable!("loom models cover bounded and rendezvous rings only")
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        // SeqCst: Dekker pairing with the producer's `grow` (see there), and a
        // Release for the producer's Acquire load of `closed` while it waits.
        self.root.consumer().closed.store(1, Ordering::SeqCst);
        if self.block {
            wake(self.root.producer_wait());
        }
        #[cfg(not(loom))]
        {
            // SeqCst: the Dekker pair of the store of `closed` above with the
            // producer's store of `segments_created` and load of `closed` in
            // `grow`: either we see its newest segment here, or it sees us gone.
            let created = self.root.producer().segments_created.load(Ordering::SeqCst);
            // The count is the peer's word: sweep no further than a producer
            // that keeps to its cap can have gone past the segment we read.
            let reading = self.region.geometry().chain_index;
            let last = created.min(reading.saturating_add(super::config::MAX_CHAIN_SEGMENTS));
            for k in reading + 1..=last {
                let _ = crate::shm::unlink(&chain_name(&self.base_name, k));
            }
        }
    }
}

/// Published messages borrowed in place; released to the producer on drop.
pub struct ReadBatch<'a> {
    consumer: &'a mut Consumer,
    n: usize,
}

impl ReadBatch<'_> {
    /// Number of messages in the batch.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the batch holds no message.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Message `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn message(&self, i: usize) -> &[u8] {
        assert!(i < self.n, "message {i} of a batch of {}", self.n);
        let c = &self.consumer;
        // Clamped so a peer scribbling on the word after `peek` cannot make us read out of bounds.
        let len = (c.lane.len_at(i as u64) as usize).min(c.slot_size);
        let idx = c.lane.slot_index(i as u64);
        let slots = c.lane.slots();
        slots.note_read(idx);
        // SAFETY: `peek` observed (Acquire) these slots published; the
        // producer does not rewrite them until the batch is released, which
        // needs `&mut` on the consumer that this borrow of `self` excludes.
        // The slot is our cursor's and `len` is clamped to the slot size, so
        // a producer that breaks the protocol changes bytes, not bounds.
        unsafe { std::slice::from_raw_parts(slots.payload(idx) as *const u8, len) }
    }
}

impl Drop for ReadBatch<'_> {
    fn drop(&mut self) {
        self.consumer.release(self.n as u64);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use crate::ring::{Capacity, RecvError, RingConfig, Variant, WaitStrategy};
    use crate::sync::Ordering;

    fn config(variant: Variant) -> RingConfig {
        RingConfig::new(Capacity::Bounded(4))
            .variant(variant)
            .wait(WaitStrategy::Yield)
            .slot_size(8)
            .timeout(Duration::from_millis(20))
    }

    /// A producer line or slot words full of garbage (a peer that breaks
    /// the protocol) cost the consumer garbage messages at most: never a
    /// panic on overflow, a read outside its slots, or a batch of more
    /// messages than the segment has slots.
    #[test]
    fn garbage_from_the_producer_is_bounded_not_a_panic() {
        for variant in Variant::ALL {
            let (p, mut c) = crate::ring::pair(&config(variant)).unwrap();
            let slots = c.region.geometry().slot_count;
            c.root.producer().position.store(u64::MAX, Ordering::Relaxed);
            for idx in 0..slots {
                // Length 1 and a stamp that reads as "published" for 2^31 positions.
                c.lane.slots().word(idx).store((1 << 32) | 0x7fff_ffff, Ordering::Relaxed);
            }
            match c.peek(usize::MAX) {
                Ok(batch) => {
                    assert!(batch.len() <= slots, "{variant}: a batch of {} from {slots} slots", batch.len());
                    for i in 0..batch.len() {
                        assert!(batch.message(i).len() <= 8);
                    }
                }
                Err(RecvError::Timeout { .. } | RecvError::Corrupt { .. }) => {}
                Err(e) => panic!("{variant}: {e}"),
            }
            let mut buf = [0u8; 8];
            match c.recv(&mut buf) {
                Ok(_) | Err(RecvError::Timeout { .. } | RecvError::Corrupt { .. }) => {}
                Err(e) => panic!("{variant}: {e}"),
            }
            drop(p);
        }
    }
}
