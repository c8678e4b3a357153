//! The lock-free design's slot protocol: Dmitry Vyukov's bounded MPMC
//! queue ("Bounded MPMC queue", 1024cores.net), with one consumer.
//!
//! Positions are monotonic `u64`s; position `p` lives in slot
//! `p mod slot_count`. Each slot has a sequence word, `seq`, counting in
//! steps of two so that one slot (a rendezvous mailbox, `bounded:1`) keeps
//! "published" and "free again" apart (Vyukov's original, `p + 1` for
//! both, needs at least two slots):
//!
//! - `seq == 2p`: the slot is free for position `p` (initially `seq[i] = 2i`);
//! - `seq == 2p + 1`: position `p`'s message is published;
//! - the receiver, done with `p`, stores `2(p + slot_count)`: free for the
//!   position one lap later.
//!
//! A sender reads the shared `tail` and the sequence of its slot: if it is
//! `2 tail`, it claims `tail` by compare-and-swap to `tail + 1` (losing only
//! to another sender, which claimed it); if it is behind, the slot still
//! holds the message from a lap ago: the mailbox is full. It then writes
//! payload and length and publishes them with a Release store of `2p + 1`.
//! The receiver reads in position order with an Acquire load. It takes
//! nothing from the tail, so a sender that claimed a position and died
//! before publishing leaves a hole the receiver waits on: the receiver's
//! wait watches the registered senders' processes for that
//! (`super::receiver`).
//!
//! After handing a slot back the receiver also stores its `head` (positions
//! taken) with Release: a rendezvous sender waits for `head > p`.
//!
//! This file knows positions and slots; it never waits.

use super::layout::Region;
use crate::sync::Ordering;

/// The sequence of a slot free for `position`.
#[inline(always)]
pub(crate) fn free_for(position: u64) -> u64 {
    position.wrapping_mul(2)
}

/// The sequence of a slot holding `position`'s published message.
#[inline(always)]
fn published(position: u64) -> u64 {
    position.wrapping_mul(2).wrapping_add(1)
}

/// Claim the next position if its slot is free; `None` if the mailbox is
/// full (or a peer broke the protocol: the caller's wait then times out).
#[inline]
pub(crate) fn try_claim(region: &Region) -> Option<u64> {
    let tail = &region.lines().senders.tail;
    let mut position = tail.load(Ordering::Relaxed);
    loop {
        // Acquire: pairs with the receiver's Release store of the sequence
        // in `hand_back` (a lap ago): its read of the slot is complete
        // before we write it.
        let seq = region.seq(region.slot_of(position)).load(Ordering::Acquire);
        let lag = seq.wrapping_sub(free_for(position)) as i64;
        if lag == 0 {
            // Relaxed: the slot was free (the Acquire above); the CAS only
            // decides which sender owns `position`, and a loser reloads.
            match tail.compare_exchange(position, position.wrapping_add(1), Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Some(position),
                Err(now) => position = now,
            }
        } else if lag < 0 {
            return None;
        } else {
            // Another sender claimed `position` and published it already:
            // the tail has moved on. If it has not, the sequence is
            // garbage: give up for now rather than spin here unbounded.
            let now = tail.load(Ordering::Relaxed);
            if now == position {
                return None;
            }
            position = now;
        }
    }
}

/// Write `msg` into the slot of the claimed `position` and publish it.
///
/// # Safety
/// `position` was returned by [`try_claim`] to this caller and not yet
/// published, and `msg.len()` is at most the slot size.
#[inline]
pub(crate) unsafe fn publish(region: &Region, position: u64, msg: &[u8]) {
    let idx = region.slot_of(position);
    region.note_write(idx);
    // SAFETY: the claim makes this sender the slot's only writer until the
    // publication below, and the receiver reads it only after it; the
    // payload holds `slot_size >= msg.len()` bytes and cannot overlap `msg`
    // (the caller's memory, not the mapping's slot).
    unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), region.payload(idx), msg.len()) };
    // Relaxed: ordered before the receiver's read by the Release store below.
    region.len(idx).store(msg.len() as u64, Ordering::Relaxed);
    // Release: pairs with the receiver's Acquire load in `front`; payload
    // and length are visible to whoever sees `published(position)`.
    region.seq(idx).store(published(position), Ordering::Release);
}

/// The message at `position` (the receiver's next), if published: its
/// length as written, unchecked (the caller bounds it by the slot size).
#[inline]
pub(crate) fn front(region: &Region, position: u64) -> Option<u64> {
    let idx = region.slot_of(position);
    // Acquire: pairs with the sender's Release store in `publish`.
    let seq = region.seq(idx).load(Ordering::Acquire);
    (seq == published(position)).then(|| region.len(idx).load(Ordering::Relaxed))
}

/// Hand `position`'s slot back to the senders, one lap on, and publish
/// that `position + 1` positions are taken.
#[inline]
pub(crate) fn hand_back(region: &Region, position: u64) {
    let g = region.geometry();
    let idx = region.slot_of(position);
    // Release: pairs with a sender's Acquire load in `try_claim`; our read
    // of the slot is complete before it is written again.
    region.seq(idx).store(free_for(position.wrapping_add(g.slot_count as u64)), Ordering::Release);
    // Release: pairs with a rendezvous sender's Acquire load in `taken`:
    // the message has been taken (read and handed back) when it sees this.
    region.lines().receiver.head.store(position.wrapping_add(1), Ordering::Release);
}

/// Whether the receiver has taken `position` (its `head` is past it).
#[inline]
pub(crate) fn taken(region: &Region, position: u64) -> bool {
    // Acquire: pairs with the receiver's Release store in `hand_back`.
    let head = region.lines().receiver.head.load(Ordering::Acquire);
    // Wrapping: the receiver's word; garbage there can end a rendezvous
    // wait early or late, never reach memory.
    head.wrapping_sub(position.wrapping_add(1)) as i64 >= 0
}
