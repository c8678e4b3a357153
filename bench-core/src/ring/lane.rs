//! The two slot protocols: the full design (`Stamped`) and the classic
//! textbook algorithm (`Classic`, used by `textbook` and `padded`).
//!
//! A lane knows positions, slots and indices; it does not wait, grow or
//! count. [`super::Producer`] and [`super::Consumer`] drive it. The set is
//! closed and sits on the hot path, so it is an enum with `match` (as
//! crossbeam-channel does with its flavors), not a trait object: the branch
//! is perfectly predicted and everything inlines.
//!
//! # Stamped (the `ring` variant)
//! Positions are monotonic `u64`; each side walks the slots with a
//! [`Cursor`] (slot `position mod slot_count`, found without a division). The producer
//! writes the payload, then stores the slot word `len << 32 | stamp` with
//! Release, where `stamp = (position + 1) as u32`; the consumer polls that
//! word with Acquire, so data and "it is there" travel in one cache line.
//! The producer never publishes an index; the consumer publishes its
//! position (Release) once per `publish_every` messages (at most 64, at most
//! an eighth of the bound, every message in rendezvous) and always before it
//! waits, and the producer reloads it (Acquire) only when its cached copy
//! says the ring is full. So in a stream the consumer's line crosses to the
//! producer once per batch, not once per message (the batched control
//! updates of MCRingBuffer / FastForward).
//!
//! With fixed-size small messages several slots share one word (a block,
//! see `layout`): the word then carries the stamp of the block's newest
//! message, and position `p` is published once the word's stamp is at or
//! after `stamp(p)` in wrapping 32-bit order (the producer writes in
//! order, so a newer message published means `p` was published before
//! it). With one slot per block that test is the plain `== stamp(p)`: a
//! stale word holds a stamp `slot_count` behind (at most 2^30), never at or
//! after, and a peer's garbage can at worst hand over slot bytes, which the
//! caller checks like any message.
//! This is the sequence-stamp idea of Vyukov's bounded queue, specialised to
//! one producer and one consumer, with the index caching of rigtorp's
//! SPSCQueue and rtrb.
//!
//! # Classic (`textbook`, `padded`)
//! `BUFFER_SIZE = bound + 1` slots, indices `in`/`out` in `0..BUFFER_SIZE`.
//! Full when `(in + 1) % BUFFER_SIZE == out`; empty when `in == out`. Each
//! side loads the other's index on every operation (no caching). `in` is
//! stored with Release after the slot is written and loaded with Acquire by
//! the consumer; `out` likewise in the other direction. `textbook` keeps
//! `out` on the producer's line, right beside `in`; `padded` moves it to the
//! consumer's own 128-byte line.

use super::config::Variant;
use super::layout::{Region, Slots};
use crate::sync::{AtomicU64, Ordering, spin_hint};

/// The producer's half of a lane.
pub(crate) enum ProducerLane {
    Stamped(StampedProducer),
    Classic(ClassicProducer),
}

/// The consumer's half of a lane.
pub(crate) enum ConsumerLane {
    Stamped(StampedConsumer),
    Classic(ClassicConsumer),
}

pub(crate) struct StampedProducer {
    slots: Slots,
    /// The slot of position `tail`.
    at: Cursor,
    bound: u64,
    /// Next position to write; monotonic.
    tail: u64,
    /// Cached `consumer position + bound`: positions below it are free.
    limit: u64,
}

pub(crate) struct StampedConsumer {
    slots: Slots,
    /// The slot of position `head`.
    at: Cursor,
    /// Next position to read; monotonic.
    head: u64,
    /// The position last published to the producer; `head - published < publish_every`.
    published: u64,
    publish_every: u64,
}

pub(crate) struct ClassicProducer {
    slots: Slots,
    /// BUFFER_SIZE.
    n: u64,
    /// Local copy of `in`, in `0..n`.
    write: u64,
    /// Messages published in this segment (`in` wraps, so it cannot say).
    count: u64,
    /// `out` as loaded by the last `has_room` that found no room.
    seen_out: u64,
    out_beside_in: bool,
}

pub(crate) struct ClassicConsumer {
    slots: Slots,
    n: u64,
    /// Local copy of `out`, in `0..n`.
    read: u64,
    /// Messages released in this segment.
    count: u64,
    out_beside_in: bool,
}

/// `out` lives beside `in` (textbook) or on the consumer's line (padded).
#[inline(always)]
fn out_index(region: &Region, beside_in: bool) -> &AtomicU64 {
    if beside_in { &region.producer().textbook_out } else { &region.consumer().position }
}

#[inline(always)]
fn stamp_of(position: u64) -> u32 {
    position.wrapping_add(1) as u32
}

/// Whether a slot word says position `stamp`'s message is published: its
/// stamp is `stamp` or a later one (wrapping; see the module doc).
#[inline(always)]
fn is_published(word: u64, stamp: u32) -> bool {
    (word as u32).wrapping_sub(stamp) as i32 >= 0
}

impl ProducerLane {
    /// A producer at the start of a fresh segment.
    pub(crate) fn new(region: &Region) -> Self {
        let g = region.geometry();
        match g.variant {
            Variant::Ring => Self::Stamped(StampedProducer {
                slots: region.slots(),
                at: Cursor::new(region),
                bound: g.bound as u64,
                tail: 0,
                limit: g.bound as u64,
            }),
            Variant::Textbook | Variant::Padded => Self::Classic(ClassicProducer {
                slots: region.slots(),
                n: g.slot_count as u64,
                write: 0,
                count: 0,
                seen_out: 0,
                out_beside_in: g.variant == Variant::Textbook,
            }),
        }
    }

    /// Messages in flight as of the last index `has_room` loaded: after a
    /// failed `has_room(1)` this is exactly the bound the sender blocked at.
    pub(crate) fn in_flight_seen(&self) -> u64 {
        // Wrapping: `limit` and `seen_out` come from the consumer's line (see `has_room`).
        match self {
            Self::Stamped(p) => p.tail.wrapping_sub(p.limit.wrapping_sub(p.bound)),
            Self::Classic(p) => p.write.wrapping_add(p.n).wrapping_sub(p.seen_out) % p.n,
        }
    }

    #[inline(always)]
    pub(crate) fn slots(&self) -> Slots {
        match self {
            Self::Stamped(p) => p.slots,
            Self::Classic(p) => p.slots,
        }
    }

    /// Messages published in this segment so far.
    pub(crate) fn published(&self) -> u64 {
        match self {
            Self::Stamped(p) => p.tail,
            Self::Classic(p) => p.count,
        }
    }

    /// Whether `k` more slots can be written without overrunning the consumer.
    #[inline(always)]
    pub(crate) fn has_room(&mut self, k: u64, region: &Region) -> bool {
        match self {
            Self::Stamped(p) => {
                if p.tail + k <= p.limit {
                    return true;
                }
                // Acquire: pairs with the consumer's Release store of its
                // position in `ConsumerLane::release`; its reads of the slots
                // we are about to reuse are complete.
                let head = region.consumer().position.load(Ordering::Acquire);
                // Wrapping: `head` is the peer's word, and a peer that breaks
                // the protocol may write anything there. It can make us wait
                // (then time out) or overwrite slots it has not read, which
                // only garbles its own messages; the slot we write is always
                // our own cursor's, inside the segment.
                p.limit = head.wrapping_add(p.bound);
                p.tail + k <= p.limit
            }
            Self::Classic(p) => {
                // Acquire: pairs with the consumer's Release store of `out`.
                let out = out_index(region, p.out_beside_in).load(Ordering::Acquire);
                // Wrapping: `out` is the peer's word (see the stamped case);
                // only the room we believe in depends on it, never an index.
                let room = if k == 1 {
                    (p.write + 1) % p.n != out
                } else {
                    out.wrapping_add(p.n).wrapping_sub(p.write + 1) % p.n >= k
                };
                if !room {
                    p.seen_out = out;
                }
                room
            }
        }
    }

    /// Write the next message in place and publish it: `write` gets the
    /// slot's first `len` bytes. The whole fast path after [`has_room`](Self::has_room)
    /// in one match; `write` runs only here, so a caller that composes the
    /// message in the slot stores each byte once, where the consumer reads it.
    ///
    /// # Safety
    /// `has_room(1)` (or `has_room(k)`, not yet used up) returned true since
    /// the last publish, and `len <= slot_size`.
    #[inline(always)]
    pub(crate) unsafe fn push_with(&mut self, len: usize, write: impl FnOnce(&mut [u8]), region: &Region) {
        let idx = self.slot_index(0);
        let slots = self.slots();
        slots.note_write(idx);
        // SAFETY: the caller's `has_room` saw this slot free (the consumer
        // has released it and reads it again only after the publication
        // below); `&mut self` makes this the only writer; the payload holds
        // `slot_size >= len` bytes.
        write(unsafe { std::slice::from_raw_parts_mut(slots.payload(idx), len) });
        match self {
            Self::Stamped(p) => {
                let word = ((len as u64) << 32) | u64::from(stamp_of(p.tail));
                // Release: pairs with the consumer's Acquire load in `front`/`ready_at`.
                slots.word(idx).store(word, Ordering::Release);
                p.tail += 1;
                p.at.advance(1);
            }
            Self::Classic(p) => {
                // Ordered by the Release store of `in` below.
                slots.word(idx).store(len as u64, Ordering::Relaxed);
                p.write = (p.write + 1) % p.n;
                p.count += 1;
                // Release: pairs with the consumer's Acquire load of `in` in `front`.
                region.producer().position.store(p.write, Ordering::Release);
            }
        }
    }

    /// How many of the next `max` messages fit now, after `has_room(1)`:
    /// the full design's cached room, with a fresh load of the consumer's
    /// position only if that is less; one for the classic designs.
    #[inline(always)]
    pub(crate) fn room(&mut self, max: u64, region: &Region) -> u64 {
        match self {
            Self::Stamped(p) => {
                // Wrapping (the same instructions as `-` in a release
                // build): `limit` may come from a peer that broke the
                // protocol; then it only decides how many of its own unread
                // slots we overwrite, each through our cursor, in bounds.
                if p.limit.wrapping_sub(p.tail) < max {
                    // Acquire: pairs with the consumer's Release store of its
                    // position in `ConsumerLane::release`, as in `has_room`.
                    // Wrapping: the peer's word, as in `has_room`.
                    p.limit = region.consumer().position.load(Ordering::Acquire).wrapping_add(p.bound);
                }
                p.limit.wrapping_sub(p.tail).min(max)
            }
            // The classic designs check for room before every message (the
            // caller's `has_room(1)` just did): a burst of theirs is one
            // message, so the ablation's naive steps stay naive.
            Self::Classic(_) => max.min(1),
        }
    }

    /// Write and publish `k` messages of `len` bytes in place, message `i`
    /// composed by `write(i, slot)`: [`push_with`](Self::push_with) `k`
    /// times, with the full design's position and cursor in registers for
    /// the whole burst (a stream's producer loop, at a few nanoseconds a
    /// message, is otherwise bound by reloading them).
    ///
    /// # Safety
    /// [`room`](Self::room) returned at least `k` since the last publish,
    /// and `len <= slot_size`.
    #[inline(always)]
    pub(crate) unsafe fn push_burst(
        &mut self,
        k: u64,
        len: usize,
        mut write: impl FnMut(u64, &mut [u8]),
        region: &Region,
    ) {
        let Self::Stamped(p) = self else {
            for i in 0..k {
                // SAFETY: `room` covered these `k` slots; forwarded from the caller.
                unsafe { self.push_with(len, |dst| write(i, dst), region) };
            }
            return;
        };
        let (slots, mut tail, mut at) = (p.slots, p.tail, p.at);
        for i in 0..k {
            let idx = at.index;
            slots.note_write(idx);
            // SAFETY: as in `push_with`: `room` saw this slot free and the
            // payload holds `slot_size >= len` bytes.
            write(i, unsafe { std::slice::from_raw_parts_mut(slots.payload(idx), len) });
            let word = ((len as u64) << 32) | u64::from(stamp_of(tail));
            // Release: pairs with the consumer's Acquire load in `front`/`ready_at`/`take_burst`.
            slots.word(idx).store(word, Ordering::Release);
            tail += 1;
            at.advance(1);
        }
        p.tail = tail;
        p.at = at;
    }

    /// Slot index of the `k`-th slot after the next one to write.
    #[inline(always)]
    pub(crate) fn slot_index(&self, k: u64) -> usize {
        match self {
            Self::Stamped(p) => p.at.ahead(k),
            Self::Classic(p) => ((p.write + k) % p.n) as usize,
        }
    }

    /// Make the `k`-th reserved slot, already written, visible with length `len`.
    #[inline(always)]
    pub(crate) fn publish(&mut self, k: u64, len: u32) {
        let idx = self.slot_index(k);
        match self {
            Self::Stamped(p) => {
                let word = (u64::from(len) << 32) | u64::from(stamp_of(p.tail + k));
                // Release: pairs with the consumer's Acquire load of this word
                // in `ready`; the payload written before is visible with it.
                p.slots.word(idx).store(word, Ordering::Release);
            }
            // Ordered by the Release store of `in` in `commit`.
            Self::Classic(p) => p.slots.word(idx).store(u64::from(len), Ordering::Relaxed),
        }
    }

    /// Advance past `k` published slots.
    #[inline(always)]
    pub(crate) fn commit(&mut self, k: u64, region: &Region) {
        match self {
            Self::Stamped(p) => {
                p.tail += k;
                p.at.advance(k);
            }
            Self::Classic(p) => {
                p.write = (p.write + k) % p.n;
                p.count += k;
                // Release: pairs with the consumer's Acquire load of `in` in
                // `ready`/`available`; the slots and lengths are visible with it.
                region.producer().position.store(p.write, Ordering::Release);
            }
        }
    }

    /// Messages published and not yet released by the consumer (fresh read).
    pub(crate) fn in_flight(&self, region: &Region) -> u64 {
        match self {
            // Acquire: pairs with the consumer's Release store of its position.
            // Wrapping, here and below: the peer's word (see `has_room`).
            Self::Stamped(p) => p.tail.wrapping_sub(region.consumer().position.load(Ordering::Acquire)),
            Self::Classic(p) => {
                // Acquire: pairs with the consumer's Release store of `out`.
                let out = out_index(region, p.out_beside_in).load(Ordering::Acquire);
                p.write.wrapping_add(p.n).wrapping_sub(out) % p.n
            }
        }
    }

    /// Whether the consumer has released everything published (rendezvous ack).
    #[inline]
    pub(crate) fn caught_up(&self, region: &Region) -> bool {
        self.in_flight(region) == 0
    }
}

impl ConsumerLane {
    /// A consumer at the start of a fresh segment.
    pub(crate) fn new(region: &Region) -> Self {
        let g = region.geometry();
        match g.variant {
            Variant::Ring => Self::Stamped(StampedConsumer {
                slots: region.slots(),
                at: Cursor::new(region),
                head: 0,
                published: 0,
                publish_every: (g.bound as u64 / 8).clamp(1, 64),
            }),
            Variant::Textbook | Variant::Padded => Self::Classic(ClassicConsumer {
                slots: region.slots(),
                n: g.slot_count as u64,
                read: 0,
                count: 0,
                out_beside_in: g.variant == Variant::Textbook,
            }),
        }
    }

    #[inline(always)]
    pub(crate) fn slots(&self) -> Slots {
        match self {
            Self::Stamped(c) => c.slots,
            Self::Classic(c) => c.slots,
        }
    }

    /// Messages released in this segment so far.
    pub(crate) fn consumed(&self) -> u64 {
        match self {
            Self::Stamped(c) => c.head,
            Self::Classic(c) => c.count,
        }
    }

    /// Slot index of the `k`-th message after the next one to read.
    #[inline(always)]
    pub(crate) fn slot_index(&self, k: u64) -> usize {
        match self {
            Self::Stamped(c) => c.at.ahead(k),
            Self::Classic(c) => ((c.read + k) % c.n) as usize,
        }
    }

    /// Length of the next message if it has been published.
    #[inline(always)]
    pub(crate) fn ready(&self, region: &Region) -> Option<u32> {
        self.front(region).map(|(_, len)| len)
    }

    /// The next message, if published: where its payload starts and its length.
    /// The whole consumer fast path in one match, like `try_send`.
    #[inline(always)]
    pub(crate) fn front(&self, region: &Region) -> Option<(*const u8, u32)> {
        match self {
            Self::Stamped(c) => {
                let idx = c.at.index;
                // Acquire: pairs with the producer's Release store in `push_with`/`publish`.
                let word = c.slots.word(idx).load(Ordering::Acquire);
                is_published(word, stamp_of(c.head)).then(|| (c.slots.payload(idx) as *const u8, (word >> 32) as u32))
            }
            Self::Classic(c) => {
                // Acquire: pairs with the producer's Release store of `in` in `commit`.
                if region.producer().position.load(Ordering::Acquire) == c.read {
                    return None;
                }
                let idx = c.read as usize;
                Some((c.slots.payload(idx) as *const u8, c.slots.word(idx).load(Ordering::Relaxed) as u32))
            }
        }
    }

    /// Poll the next slot alone up to `spins` times, a spin hint before
    /// each poll (the caller has just polled); like `front` once published.
    /// The word and the stamp it must carry are computed once, outside the
    /// loop, so noticing a message costs one load and one compare.
    #[inline(always)]
    pub(crate) fn spin_front(&self, region: &Region, spins: u32) -> Option<(*const u8, u32)> {
        match self {
            Self::Stamped(c) => {
                let idx = c.at.index;
                let word = c.slots.word(idx);
                let stamp = stamp_of(c.head);
                for _ in 0..spins {
                    spin_hint();
                    // Acquire: pairs with the producer's Release store in `push_with`/`publish`.
                    let w = word.load(Ordering::Acquire);
                    if is_published(w, stamp) {
                        return Some((c.slots.payload(idx) as *const u8, (w >> 32) as u32));
                    }
                }
                None
            }
            Self::Classic(_) => {
                for _ in 0..spins {
                    spin_hint();
                    if let Some(front) = self.front(region) {
                        return Some(front);
                    }
                }
                None
            }
        }
    }

    /// How many messages, up to `max`, are published and unread.
    pub(crate) fn available(&self, region: &Region, max: u64) -> u64 {
        match self {
            Self::Stamped(c) => {
                let mut k = 0;
                while k < max && c.ready_at(k).is_some() {
                    k += 1;
                }
                k
            }
            Self::Classic(c) => {
                // Acquire: pairs with the producer's Release store of `in` in `commit`.
                let write = region.producer().position.load(Ordering::Acquire);
                // Wrapping: the peer's word; whatever it holds, the count is
                // below `n`, and the slots it names are ours to index.
                (write.wrapping_add(c.n).wrapping_sub(c.read) % c.n).min(max)
            }
        }
    }

    /// Length of the `k`-th message; only after `available` counted it.
    #[inline(always)]
    pub(crate) fn len_at(&self, k: u64) -> u32 {
        let idx = self.slot_index(k);
        match self {
            // Relaxed: the Acquire load in `available`/`ready` already ordered it.
            Self::Stamped(c) => (c.slots.word(idx).load(Ordering::Relaxed) >> 32) as u32,
            Self::Classic(c) => c.slots.word(idx).load(Ordering::Relaxed) as u32,
        }
    }

    /// Hand `k` read slots back to the producer. Returns whether the
    /// position was published now (the full design publishes in batches).
    #[inline(always)]
    pub(crate) fn release(&mut self, k: u64, region: &Region) -> bool {
        match self {
            Self::Stamped(c) => {
                c.head += k;
                c.at.advance(k);
                if c.head - c.published < c.publish_every {
                    return false;
                }
                c.publish(region);
                true
            }
            Self::Classic(c) => {
                c.read = (c.read + k) % c.n;
                c.count += k;
                // Release: pairs with the producer's Acquire load of `out` in `has_room`.
                out_index(region, c.out_beside_in).store(c.read, Ordering::Release);
                true
            }
        }
    }

    /// Hand every published message, up to `max`, to `take` in place and
    /// release it, publishing the position as [`release`](Self::release)
    /// would; stops early at a message longer than `slot_size` (counted,
    /// not handed over, and returned as the second value). The full
    /// design's position and cursor stay in registers for the whole burst.
    /// Returns the messages taken and whether the position was published.
    #[inline(always)]
    pub(crate) fn take_burst(
        &mut self,
        max: u64,
        slot_size: usize,
        mut take: impl FnMut(&[u8]),
        region: &Region,
    ) -> (u64, Option<usize>, bool) {
        let Self::Stamped(c) = self else {
            let mut published = false;
            for n in 0..max {
                let Some((payload, len)) = self.front(region) else { return (n, None, published) };
                let len = len as usize;
                if len > slot_size {
                    return (n, Some(len), published);
                }
                self.slots().note_read(self.slot_index(0));
                // SAFETY: `front` observed the slot published; it stays ours
                // until released below; `len <= slot_size`.
                take(unsafe { std::slice::from_raw_parts(payload, len) });
                published |= self.release(1, region);
            }
            return (max, None, published);
        };
        let (slots, mut head, mut at) = (c.slots, c.head, c.at);
        let mut published = false;
        let mut n = 0;
        let mut corrupt = None;
        while n < max {
            let idx = at.index;
            if at.in_block == 0 {
                slots.prefetch(at.blocks_ahead(PREFETCH_BLOCKS));
            }
            // Acquire: pairs with the producer's Release store in `push_with`/`push_burst`/`publish`.
            let word = slots.word(idx).load(Ordering::Acquire);
            let stamp = stamp_of(head);
            if !is_published(word, stamp) {
                break;
            }
            let len = (word >> 32) as usize;
            if len > slot_size {
                corrupt = Some(len);
                break;
            }
            // The word carries the stamp of its block's newest message: every
            // slot of the block from ours up to that one is published (all of
            // one length: only fixed-size rings share a word).
            let newer = u64::from((word as u32).wrapping_sub(stamp));
            let count = (newer + 1).min((at.per_block - at.in_block) as u64).min(max - n);
            let first = slots.payload(idx) as *const u8;
            for k in 0..count as usize {
                slots.note_read(idx + k);
                // SAFETY: the word says the producer published these slots
                // (Acquire above); it does not write them again until we
                // publish a position past them; each lies in this block, in
                // `slots.size() >= slot_size >= len` bytes of its own.
                take(unsafe { std::slice::from_raw_parts(first.add(k * slots.size()), len) });
            }
            head += count;
            at.advance_in_block(count as usize);
            n += count;
            if head - c.published >= c.publish_every {
                c.published = head;
                // Release: pairs with the producer's Acquire load of this
                // position in `has_room`/`room`/`in_flight`.
                region.consumer().position.store(head, Ordering::Release);
                published = true;
            }
        }
        c.head = head;
        c.at = at;
        (n, corrupt, published)
    }

    /// Publish every released slot now (before waiting, so the producer is
    /// never kept waiting for room the consumer has already freed). Returns
    /// whether anything was published.
    pub(crate) fn flush(&mut self, region: &Region) -> bool {
        match self {
            Self::Stamped(c) if c.published != c.head => {
                c.publish(region);
                true
            }
            _ => false,
        }
    }
}

impl StampedConsumer {
    #[inline(always)]
    fn publish(&mut self, region: &Region) {
        self.published = self.head;
        // Release: pairs with the producer's Acquire load of this position in
        // `has_room`/`in_flight`; our reads of the slots before it are done.
        region.consumer().position.store(self.head, Ordering::Release);
    }

    #[inline(always)]
    fn ready_at(&self, k: u64) -> Option<u32> {
        let pos = self.head + k;
        // Acquire: pairs with the producer's Release store in `publish`.
        let word = self.slots.word(self.at.ahead(k)).load(Ordering::Acquire);
        is_published(word, stamp_of(pos)).then_some((word >> 32) as u32)
    }
}

/// Blocks ahead of its position that a draining consumer asks the cache to
/// fetch: a stream's consumer is bound by fetching the producer's lines one
/// after the other, as its per-message work (checking every message) keeps
/// the processor from reaching the next line's load on its own.
const PREFETCH_BLOCKS: usize = 16;

/// Where one side of the full design is in the slot array: the slot index
/// of its next position, kept up to date by counting, because a block of
/// packed slots holds a number of them that need not be a power of two
/// (seven 8-byte slots beside the word in 64 bytes) and a division per
/// message would cost more than the message.
#[derive(Clone, Copy)]
pub(crate) struct Cursor {
    /// Slot index (see `layout::Slots`) of the next position.
    index: usize,
    /// Block of the next position, in `0..blocks`.
    block: usize,
    /// Its slot within the block, in `0..per_block`.
    in_block: usize,
    per_block: usize,
    /// log2 of the slot indices a block spans.
    shift: u32,
    blocks_mask: usize,
}

impl Cursor {
    fn new(region: &Region) -> Self {
        let slots = region.slots();
        let g = region.geometry();
        Self {
            index: 0,
            block: 0,
            in_block: 0,
            per_block: g.per_block,
            shift: slots.shift(),
            blocks_mask: g.blocks() - 1,
        }
    }

    /// Move on by `k` positions.
    #[inline(always)]
    fn advance(&mut self, k: u64) {
        if k == 1 {
            self.in_block += 1;
            if self.in_block == self.per_block {
                self.in_block = 0;
                self.block = (self.block + 1) & self.blocks_mask;
            }
        } else {
            let j = self.in_block + k as usize;
            self.block = (self.block + j / self.per_block) & self.blocks_mask;
            self.in_block = j % self.per_block;
        }
        self.index = (self.block << self.shift) | self.in_block;
    }

    /// Move on by `k` positions that stay in the current block (the last
    /// of them may end it).
    #[inline(always)]
    fn advance_in_block(&mut self, k: usize) {
        debug_assert!(self.in_block + k <= self.per_block);
        self.in_block += k;
        if self.in_block == self.per_block {
            self.in_block = 0;
            self.block = (self.block + 1) & self.blocks_mask;
        }
        self.index = (self.block << self.shift) | self.in_block;
    }

    /// The first slot index of the block `blocks` blocks ahead.
    #[inline(always)]
    fn blocks_ahead(&self, blocks: usize) -> usize {
        ((self.block + blocks) & self.blocks_mask) << self.shift
    }

    /// The slot index `k` positions ahead.
    #[inline(always)]
    fn ahead(&self, k: u64) -> usize {
        if k == 0 {
            return self.index;
        }
        let j = self.in_block + k as usize;
        (((self.block + j / self.per_block) & self.blocks_mask) << self.shift) | (j % self.per_block)
    }
}

/// Copy a message: exactly 8 bytes as one unaligned word, 9 to 16 as two
/// overlapping ones, inline; anything else through `memcpy`. Small messages are the
/// hot case, and a call into `memcpy` for 8 bytes costs more than the copy.
///
/// # Safety
/// `src` is valid for reads and `dst` for writes of `len` bytes, and they do
/// not overlap.
#[inline(always)]
pub(crate) unsafe fn copy_message(src: *const u8, dst: *mut u8, len: usize) {
    if len == 8 {
        // SAFETY: both buffers hold 8 bytes, per the caller's guarantee.
        unsafe { std::ptr::write_unaligned(dst as *mut u64, std::ptr::read_unaligned(src as *const u64)) };
    } else if (8..=16).contains(&len) {
        // SAFETY: len >= 8, so both 8-byte windows [0, 8) and [len-8, len)
        // lie inside both buffers, per the caller's guarantee.
        unsafe {
            let head = std::ptr::read_unaligned(src as *const u64);
            let tail = std::ptr::read_unaligned(src.add(len - 8) as *const u64);
            std::ptr::write_unaligned(dst as *mut u64, head);
            std::ptr::write_unaligned(dst.add(len - 8) as *mut u64, tail);
        }
    } else {
        // SAFETY: per the caller's guarantee.
        unsafe { std::ptr::copy_nonoverlapping(src, dst, len) };
    }
}
