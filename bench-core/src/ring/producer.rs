//! The sending end: capacity modes, waiting, growing an unbounded chain, and
//! the batch API that writes messages in place.
//!
//! | mode | when the lane is full | after publishing |
//! | --- | --- | --- |
//! | `rendezvous` | (never: bound 1, and each send waits for its ack) | wait until the consumer released it |
//! | `bounded(n)` | wait for room | - |
//! | `unbounded` | seal this segment, create the next (twice as large), continue there | - |
//!
//! An unbounded chain is capped: the producer counts the bytes of the chain
//! segments alive (created, and at or after the one the consumer reads, as
//! the consumer publishes it in the root's `segments_released`), and a grow
//! that would pass [`RingConfig::max_chain_bytes`](super::RingConfig::max_chain_bytes)
//! fails with [`SendError::ChainFull`] before it creates anything. Segments
//! stop doubling at a quarter of the cap, so a consumer that keeps up never
//! meets it.

use std::collections::VecDeque;

use super::config::{Capacity, MAX_CHAIN_BYTES, MAX_CHAIN_SEGMENTS, MAX_SEGMENT_BYTES, WaitStrategy};
use super::error::SendError;
use super::lane::ProducerLane;
use super::layout::{CLOSED_ABANDONED, CLOSED_FINISHED, Region};
use super::wait::{WaitFailure, Waiter, wake};
use super::{NameGuard, chain_name};
use crate::sync::Ordering;

/// What the producer observed about its own waiting; read with [`Producer::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProducerStats {
    /// Messages published (counted from the lane positions, not per send).
    pub sent: u64,
    /// Times a send found the ring full and had to wait for room.
    pub full_waits: u64,
    /// Fewest messages in flight when a send found the ring full (`u64::MAX`
    /// if never full): the bound itself, unless a batch wanted more room.
    pub in_flight_at_full_min: u64,
    /// Most messages in flight seen when the ring was full (0 if never full).
    pub in_flight_at_full_max: u64,
    /// Rendezvous sends that had to wait for the consumer's acknowledgement.
    pub ack_waits: u64,
    /// Unbounded: segments created after the first.
    pub segments_created: u64,
}

/// The single producer of a ring. Created by [`super::SharedRing::into_producer`].
pub struct Producer {
    lane: ProducerLane,
    /// The segment being written (the root unless an unbounded ring grew).
    region: Region,
    /// The first segment: pids, closed flags, futex words, the chain counter.
    root: Region,
    slot_size: usize,
    /// Every message is exactly `slot_size` bytes.
    fixed_size: bool,
    capacity: Capacity,
    block: bool,
    /// `block || capacity == Rendezvous`: one predictable branch per send.
    after_send: bool,
    waiter: Waiter,
    /// Lengths of the slots of an open batch.
    batch_lens: Vec<u32>,
    stats: ProducerStats,
    /// Unbounded: what the chain holds alive, against its cap.
    chain: ChainBudget,
    base_name: String,
    /// Set by [`Producer::abandon`]: the drop then tells the consumer the
    /// stream was cut short, not finished.
    abandoned: bool,
    _name: NameGuard,
}

/// The chain segments an unbounded producer has created that the consumer
/// may still hold, and the cap on their bytes. Touched only in `grow`.
struct ChainBudget {
    /// Most bytes the alive segments may take together.
    cap: u64,
    /// (chain index, bytes) of each segment created and not known given
    /// back, oldest first; at most [`MAX_CHAIN_SEGMENTS`] entries.
    alive: VecDeque<(u64, u64)>,
    /// Sum of the bytes in `alive`.
    alive_bytes: u64,
}

impl ChainBudget {
    fn new(cap: u64) -> Self {
        Self { cap: cap.min(MAX_CHAIN_BYTES), alive: VecDeque::new(), alive_bytes: 0 }
    }

    /// Largest slot bytes of one segment: a quarter of the cap, so a
    /// consumer that keeps up (holding the segment it reads while the
    /// producer makes the next) never meets the cap.
    fn max_slot_bytes(&self) -> usize {
        usize::try_from(self.cap / 4).unwrap_or(usize::MAX).min(MAX_SEGMENT_BYTES)
    }

    /// Forget the segments below the one the consumer reads now.
    /// `created` is the producer's own count, which bounds the peer's word.
    fn forget_released(&mut self, root: &Region, created: u64) {
        // Acquire: pairs with the consumer's Release store of
        // `segments_released` in `next_segment`: it is done with the segments below.
        let reading = root.consumer().segments_released.load(Ordering::Acquire).min(created);
        while let Some(&(k, bytes)) = self.alive.front() {
            if k >= reading {
                break;
            }
            self.alive.pop_front();
            self.alive_bytes -= bytes;
        }
    }

    /// Whether a segment of `bytes` more fits the cap.
    fn admit(&self, bytes: u64) -> Result<(), SendError> {
        let segments = self.alive.len() as u64;
        // The segment count cannot reach its limit under a cap of at most
        // MAX_CHAIN_BYTES (see `MAX_CHAIN_SEGMENTS`); checked all the same.
        if self.alive_bytes.saturating_add(bytes) > self.cap || segments >= MAX_CHAIN_SEGMENTS {
            return Err(SendError::ChainFull { cap_bytes: self.cap, segments });
        }
        Ok(())
    }
}

impl Producer {
    /// `timeout` and `max_chain_bytes` are this side's own (see [`super::SharedRing`]).
    pub(crate) fn new(
        root: Region,
        name: NameGuard,
        timeout: std::time::Duration,
        max_chain_bytes: Option<u64>,
    ) -> Self {
        let g = *root.geometry();
        let cap = match g.capacity {
            Capacity::Unbounded => max_chain_bytes.unwrap_or_else(super::config::default_max_chain_bytes),
            _ => 0,
        };
        Self {
            lane: ProducerLane::new(&root),
            region: root.clone(),
            root,
            slot_size: g.slot_size,
            fixed_size: g.fixed_size,
            capacity: g.capacity,
            block: g.wait == WaitStrategy::Block,
            after_send: g.wait == WaitStrategy::Block || g.capacity == Capacity::Rendezvous,
            waiter: Waiter::new(g.wait, timeout),
            batch_lens: Vec::new(),
            stats: ProducerStats { in_flight_at_full_min: u64::MAX, ..ProducerStats::default() },
            chain: ChainBudget::new(cap),
            base_name: name.name().to_owned(),
            abandoned: false,
            _name: name,
        }
    }

    /// Send one message (at most the slot size), waiting as the capacity mode says.
    #[inline(always)]
    pub fn send(&mut self, msg: &[u8]) -> Result<(), SendError> {
        let len = msg.len();
        // SAFETY: `dst` is `len` bytes of a slot, `msg` is
        // `len` bytes of the caller's, and a slot cannot overlap a `&[u8]`
        // the producer was handed.
        self.send_with(len, |dst| unsafe { super::lane::copy_message(msg.as_ptr(), dst.as_mut_ptr(), len) })
    }

    /// Send one message of `len` bytes (at most the slot size) that `write`
    /// composes in place, in the slot the consumer will read: no copy
    /// through a buffer of the caller's. `write` gets exactly `len` bytes and
    /// must fill them all. Waits as the capacity mode says, like [`send`](Self::send).
    #[inline(always)]
    pub fn send_with(&mut self, len: usize, write: impl FnOnce(&mut [u8])) -> Result<(), SendError> {
        self.check_len(len)?;
        // The fast path is `has_room` and `push_with`, inlined into the
        // caller. Waiting is out of line and is not handed the message, so
        // the caller's message need not be spilled to memory before every
        // send (that one extra store per message cost a third of the
        // throughput between two cores: `benches/cross_process.rs`).
        // `make_room` returns only once there is room.
        if !self.lane.has_room(1, &self.region) {
            self.make_room(1)?;
        }
        // SAFETY: `has_room(1)` or `make_room(1)` found room for one; `len <= slot_size`.
        unsafe { self.lane.push_with(len, write, &self.region) };
        if self.after_send {
            self.after_send()?;
        }
        Ok(())
    }

    /// Send up to `n` messages of `len` bytes each, message `i` composed in
    /// its slot by `write(i, slot)` (which must fill all `len` bytes):
    /// waits until at least one fits, then sends as many as fit now, up to
    /// `n`, and returns how many. The way to stream: one call moves a whole
    /// burst with the ring's positions in registers, and a sleeping
    /// consumer is woken once per burst.
    #[inline]
    pub fn send_burst(&mut self, n: usize, len: usize, write: impl FnMut(u64, &mut [u8])) -> Result<usize, SendError> {
        self.check_len(len)?;
        if n == 0 {
            return Ok(0);
        }
        if !self.lane.has_room(1, &self.region) {
            self.make_room(1)?;
        }
        let k = self.lane.room(n as u64, &self.region).max(1);
        // SAFETY: `has_room(1)`/`make_room(1)` found room for one and `room`
        // for `k`; `len <= slot_size` (checked above).
        unsafe { self.lane.push_burst(k, len, write, &self.region) };
        if self.after_send {
            self.after_send()?;
        }
        Ok(k as usize)
    }

    /// Send one message only if there is room now: `Ok(false)` when the
    /// ring is full. For bounded rings (a rendezvous send always waits for
    /// its acknowledgement, and an unbounded ring grows instead).
    pub fn try_send(&mut self, msg: &[u8]) -> Result<bool, SendError> {
        let len = msg.len();
        self.check_len(len)?;
        if !matches!(self.capacity, Capacity::Bounded(_)) {
            return Err(SendError::NotBounded);
        }
        if !self.lane.has_room(1, &self.region) {
            return Ok(false);
        }
        // SAFETY: `dst` is `len` bytes of a slot and `msg` `len` bytes of the caller's, as in `send`.
        let copy = |dst: &mut [u8]| unsafe { super::lane::copy_message(msg.as_ptr(), dst.as_mut_ptr(), len) };
        // SAFETY: `has_room(1)` found room; `len <= slot_size`.
        unsafe { self.lane.push_with(len, copy, &self.region) };
        if self.block {
            wake(self.root.consumer_wait());
        }
        Ok(true)
    }

    /// Reserve `n` slots to write in place; publish them with [`WriteBatch::commit`].
    /// Waits for room like `send` (an unbounded ring grows instead).
    pub fn reserve(&mut self, n: usize) -> Result<WriteBatch<'_>, SendError> {
        let bound = self.region.geometry().bound;
        if self.capacity != Capacity::Unbounded && n > bound {
            return Err(SendError::BatchTooLarge { requested: n, bound });
        }
        if n > super::config::MAX_SLOTS {
            return Err(SendError::BatchTooLarge { requested: n, bound: super::config::MAX_SLOTS });
        }
        if !self.lane.has_room(n as u64, &self.region) {
            self.make_room(n as u64)?;
        }
        self.batch_lens.clear();
        // A fixed-size ring's messages need no `set_len`: they are all one size.
        let len = if self.fixed_size { self.slot_size as u32 } else { 0 };
        self.batch_lens.resize(n, len);
        Ok(WriteBatch { producer: self, n })
    }

    /// The largest message this ring carries (the only size, in a fixed-size ring).
    pub fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// The ring's design.
    pub fn variant(&self) -> super::config::Variant {
        self.region.geometry().variant
    }

    /// Whether every message must be exactly [`slot_size`](Self::slot_size) bytes.
    pub fn fixed_size(&self) -> bool {
        self.fixed_size
    }

    /// A message of `len` bytes fits this ring's slots.
    #[inline(always)]
    fn check_len(&self, len: usize) -> Result<(), SendError> {
        if len > self.slot_size {
            return Err(SendError::TooLarge { len, max: self.slot_size });
        }
        if self.fixed_size && len != self.slot_size {
            return Err(SendError::WrongSize { len, size: self.slot_size });
        }
        Ok(())
    }

    /// The capacity mode.
    pub fn capacity(&self) -> Capacity {
        self.capacity
    }

    /// Close the ring as cut short rather than finished: once drained, the
    /// consumer gets [`super::RecvError::Abandoned`] instead of
    /// [`super::RecvError::Disconnected`]. A plain drop is a clean end,
    /// unless the thread is panicking (then it is abandoned too).
    pub fn abandon(mut self) {
        self.abandoned = true;
    }

    /// Counters of what happened so far.
    pub fn stats(&self) -> ProducerStats {
        // Not counted per message: the lane's own position says it, so the
        // fast path carries no extra counter.
        ProducerStats { sent: self.stats.sent + self.lane.published(), ..self.stats }
    }

    /// Commit `n` published batch slots, then what the mode needs after a send.
    fn finish(&mut self, n: u64) -> Result<(), SendError> {
        self.lane.commit(n, &self.region);
        self.after_send()
    }

    /// Wake a sleeping consumer (block) and wait for the acknowledgement (rendezvous).
    #[cold]
    #[inline(never)]
    fn after_send(&mut self) -> Result<(), SendError> {
        if self.block {
            wake(self.root.consumer_wait());
        }
        if self.capacity == Capacity::Rendezvous {
            self.await_ack()?;
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn make_room(&mut self, n: u64) -> Result<(), SendError> {
        if self.capacity == Capacity::Unbounded {
            return self.grow(n);
        }
        let in_flight = self.lane.in_flight_seen();
        self.stats.full_waits += 1;
        self.stats.in_flight_at_full_min = self.stats.in_flight_at_full_min.min(in_flight);
        self.stats.in_flight_at_full_max = self.stats.in_flight_at_full_max.max(in_flight);
        let (lane, region, root) = (&mut self.lane, &self.region, &self.root);
        let outcome = self.waiter.until(root.producer_wait(), &root.consumer().pid, || {
            if lane.has_room(n, region) {
                Some(Ok(()))
            } else if root.consumer().closed.load(Ordering::Acquire) != 0 {
                // Acquire: pairs with the consumer's store of `closed` in its
                // drop (SeqCst, so a Release too): whatever it did before
                // closing is visible once `closed` is seen.
                Some(Err(SendError::Disconnected))
            } else {
                None
            }
        });
        outcome.map_err(send_failure)?
    }

    #[cold]
    #[inline(never)]
    fn await_ack(&mut self) -> Result<(), SendError> {
        if self.lane.caught_up(&self.region) {
            return Ok(());
        }
        self.stats.ack_waits += 1;
        let (lane, region, root) = (&self.lane, &self.region, &self.root);
        let outcome = self.waiter.until(root.producer_wait(), &root.consumer().pid, || {
            if lane.caught_up(region) {
                Some(Ok(()))
            } else if root.consumer().closed.load(Ordering::Acquire) != 0 {
                // Acquire: pairs with the consumer's store of `closed` in its
                // drop (SeqCst, so a Release too): whatever it did before
                // closing is visible once `closed` is seen.
                Some(Err(SendError::Disconnected))
            } else {
                None
            }
        });
        outcome.map_err(send_failure)?
    }

    /// Unbounded: seal the current segment and continue in a new, larger
    /// one, if the chain's cap leaves room for it.
    #[cfg(not(loom))]
    fn grow(&mut self, need: u64) -> Result<(), SendError> {
        let consumer = self.root.consumer();
        // Acquire: pairs with the consumer's store of `closed` in its drop.
        if consumer.closed.load(Ordering::Acquire) != 0 {
            return Err(SendError::Disconnected);
        }
        self.consumer_alive()?;
        let current = self.region.geometry();
        let g = current.next_segment(need as usize, self.chain.max_slot_bytes());
        self.chain.forget_released(&self.root, current.chain_index);
        self.chain.admit(g.segment_len() as u64)?;
        let name = chain_name(&self.base_name, g.chain_index);
        let next = Region::create(Some(&name), &g).map_err(SendError::Grow)?;
        self.chain.alive.push_back((g.chain_index, g.segment_len() as u64));
        self.chain.alive_bytes += g.segment_len() as u64;
        // SeqCst, both: Dekker pairing with the consumer's drop, which stores
        // `closed` then loads `segments_created`. Either it sees this segment
        // and unlinks its name, or we see `closed` and unlink it ourselves.
        self.root.producer().segments_created.store(g.chain_index, Ordering::SeqCst);
        if consumer.closed.load(Ordering::SeqCst) != 0 {
            let _ = crate::shm::unlink(&name);
            return Err(SendError::Disconnected);
        }
        // Release: pairs with the consumer's Acquire load of `sealed` when it
        // finds this segment empty; everything published here is visible first.
        self.region.producer().sealed.store(1, Ordering::Release);
        if self.block {
            wake(self.root.consumer_wait());
        }
        self.stats.sent += self.lane.published();
        self.lane = ProducerLane::new(&next);
        self.region = next;
        self.stats.segments_created += 1;
        Ok(())
    }

    #[cfg(loom)]
    fn grow(&mut self, _need: u64) -> Result<(), SendError> {
        unreachable!("loom models cover bounded and rendezvous rings only")
    }

    #[cfg(not(loom))]
    fn consumer_alive(&self) -> Result<(), SendError> {
        let mut peer = super::wait::Peer::default();
        peer.check_now(&self.root.consumer().pid).map_err(send_failure)
    }
}

fn send_failure(f: WaitFailure) -> SendError {
    match f {
        WaitFailure::PeerDied(pid) => SendError::PeerDied { pid },
        WaitFailure::Timeout(waited) => SendError::Timeout { waited },
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        let end = if self.abandoned || std::thread::panicking() { CLOSED_ABANDONED } else { CLOSED_FINISHED };
        // Release: pairs with the consumer's Acquire load of `closed`; every
        // message published before is visible to it.
        self.root.producer().closed.store(end, Ordering::Release);
        if self.block {
            wake(self.root.consumer_wait());
        }
        #[cfg(not(loom))]
        {
            // Chain segments the consumer has not opened stay for it to drain;
            // if it is gone (or never came), nobody else will unlink them.
            let consumer = self.root.consumer();
            let gone = consumer.closed.load(Ordering::SeqCst) != 0
                || consumer.pid.load(Ordering::Relaxed) == 0
                || super::wait::Peer::default().check_now(&consumer.pid).is_err();
            if gone {
                // Our own count, not the shared word: a peer could have
                // written any number there.
                let created = self.region.geometry().chain_index;
                for k in 1..=created {
                    let _ = crate::shm::unlink(&chain_name(&self.base_name, k));
                }
            }
        }
    }
}

/// Reserved slots, written in place, published together by [`commit`](Self::commit).
/// Dropping it without committing publishes nothing.
pub struct WriteBatch<'a> {
    producer: &'a mut Producer,
    n: usize,
}

impl WriteBatch<'_> {
    /// Number of reserved slots.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether no slot was reserved.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The whole payload of slot `i` (`slot_size` bytes) to write into;
    /// then say how much of it is the message with [`set_len`](Self::set_len).
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn slot_mut(&mut self, i: usize) -> &mut [u8] {
        assert!(i < self.n, "slot {i} of a batch of {}", self.n);
        let idx = self.producer.lane.slot_index(i as u64);
        let slots = self.producer.lane.slots();
        slots.note_write(idx);
        // SAFETY: the slot is reserved (has_room covered all n) and is not
        // read by the consumer until commit; `&mut self` makes this the only
        // live borrow of it; the payload is `slot_size` bytes long.
        unsafe { std::slice::from_raw_parts_mut(slots.payload(idx), self.producer.slot_size) }
    }

    /// Set the length of the message in slot `i`.
    pub fn set_len(&mut self, i: usize, len: usize) -> Result<(), SendError> {
        self.producer.check_len(len)?;
        self.producer.batch_lens[i] = len as u32;
        Ok(())
    }

    /// Copy `msg` into slot `i` and set its length.
    pub fn write(&mut self, i: usize, msg: &[u8]) -> Result<(), SendError> {
        self.producer.check_len(msg.len())?;
        self.slot_mut(i)[..msg.len()].copy_from_slice(msg);
        self.set_len(i, msg.len())
    }

    /// Publish every slot of the batch at once (a rendezvous ring then waits
    /// for the consumer to take them).
    pub fn commit(self) -> Result<(), SendError> {
        let p = self.producer;
        for (k, &len) in p.batch_lens.iter().enumerate() {
            p.lane.publish(k as u64, len);
        }
        p.finish(self.n as u64)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use crate::ring::{Capacity, RingConfig, SendError, Variant, WaitStrategy};
    use crate::sync::Ordering;

    /// A consumer line full of garbage (a peer that breaks the protocol)
    /// costs the producer a wait that times out, never a panic on overflow
    /// and never a write outside its slots.
    #[test]
    fn a_garbage_consumer_line_is_an_error_not_a_panic() {
        for variant in Variant::ALL {
            for capacity in [Capacity::Bounded(2), Capacity::Rendezvous] {
                for garbage in [u64::MAX, u64::MAX - 1, 1 << 63] {
                    let cfg = RingConfig::new(capacity)
                        .variant(variant)
                        .wait(WaitStrategy::Yield)
                        .slot_size(8)
                        .timeout(Duration::from_millis(20));
                    let (mut p, c) = crate::ring::pair(&cfg).unwrap();
                    p.root.consumer().position.store(garbage, Ordering::Relaxed);
                    p.root.producer().textbook_out.store(garbage, Ordering::Relaxed);
                    for _ in 0..4 {
                        match p.send(b"12345678") {
                            Ok(()) | Err(SendError::Timeout { .. }) => {}
                            Err(e) => panic!("{variant} {capacity} {garbage:#x}: {e}"),
                        }
                    }
                    let _ = p.stats();
                    drop(c);
                }
            }
        }
    }
}
