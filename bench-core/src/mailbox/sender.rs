//! The sending end: one of any number, each registered in the header's
//! table; claims and publishes (lock-free) or puts under the lock (mutex),
//! waits for room and for a rendezvous receipt, and closes cleanly or
//! abandons the stream.
//!
//! | mode | when the mailbox is full | after publishing |
//! | --- | --- | --- |
//! | `bounded(n)` | wait for room | wake the receiver (`block`) |
//! | `rendezvous` | wait for the one slot | wait until the receiver has taken this message |

use std::time::Duration;

use super::config::{Capacity, Design, WaitStrategy};
use super::error::SendError;
use super::layout::Region;
#[cfg(not(loom))]
use super::locked::{self, Cond, LockedFailure};
use super::{lockfree, roster};
use crate::ring::NameGuard;
use crate::ring::wait::{Peer, WaitFailure, Waiter, wake};
use crate::sync::Ordering;

/// What a sender observed; read with [`Sender::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderStats {
    /// Messages this sender published (or put).
    pub sent: u64,
    /// Sends that found the mailbox full and waited for room.
    pub full_waits: u64,
    /// Rendezvous sends that waited for the receiver to take their message.
    pub receipt_waits: u64,
}

/// One sending end of a mailbox. Created by [`super::SharedMailbox::into_sender`].
pub struct Sender {
    region: Region,
    /// This sender's entry in the header's table.
    entry: usize,
    design: Design,
    rendezvous: bool,
    /// The lock-free design waits by `block` (and so wakes the receiver).
    block: bool,
    slot_size: usize,
    /// This side's own deadline for one wait.
    timeout: Duration,
    waiter: Waiter,
    /// The receiver's process, watched while waiting.
    receiver: Peer,
    stats: SenderStats,
    /// Set by [`Sender::abandon`].
    abandoned: bool,
    /// The creator's name, if this end came from the creating handle.
    _name: Option<NameGuard>,
}

impl Sender {
    /// Register a new sender in `region`; `timeout` is this side's own.
    pub(crate) fn new(region: Region, name: Option<NameGuard>, timeout: Duration) -> Result<Self, super::MailboxError> {
        let entry = roster::register(&region)?;
        let g = *region.geometry();
        Ok(Self {
            entry,
            design: g.design,
            rendezvous: g.capacity == Capacity::Rendezvous,
            block: g.wait == WaitStrategy::Block,
            slot_size: g.slot_size,
            timeout,
            waiter: Waiter::new(g.wait, timeout),
            receiver: Peer::default(),
            stats: SenderStats::default(),
            abandoned: false,
            region,
            _name: name,
        })
    }

    /// Send one message (at most the slot size), waiting as the capacity
    /// mode says: for room, and in a rendezvous mailbox until the receiver
    /// has taken it.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), SendError> {
        self.check_len(msg)?;
        match self.design {
            Design::LockFree => self.send_lock_free(msg),
            Design::Mutex => self.send_locked(msg),
        }
    }

    /// Send one message only if there is room now: `Ok(false)` when the
    /// mailbox is full. For bounded mailboxes (a rendezvous send always
    /// waits for its receipt).
    pub fn try_send(&mut self, msg: &[u8]) -> Result<bool, SendError> {
        self.check_len(msg)?;
        if self.rendezvous {
            return Err(SendError::NotBounded);
        }
        match self.design {
            Design::LockFree => {
                let Some(position) = lockfree::try_claim(&self.region) else { return Ok(false) };
                // SAFETY: `try_claim` gave us `position`; the length is checked.
                unsafe { lockfree::publish(&self.region, position, msg) };
                self.published();
                Ok(true)
            }
            Design::Mutex => self.try_send_locked(msg),
        }
    }

    /// The largest message this mailbox carries.
    pub fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// The mailbox's design.
    pub fn design(&self) -> Design {
        self.design
    }

    /// Counters of what happened so far.
    pub fn stats(&self) -> SenderStats {
        self.stats
    }

    /// Close this end as cut short rather than finished: once every sender
    /// has closed and the mailbox is drained, the receiver gets
    /// [`super::RecvError::Abandoned`] instead of
    /// [`super::RecvError::Disconnected`]. A plain drop is a clean end,
    /// unless the thread is panicking (then it is abandoned too).
    pub fn abandon(mut self) {
        self.abandoned = true;
    }

    fn check_len(&self, msg: &[u8]) -> Result<(), SendError> {
        if msg.len() > self.slot_size {
            return Err(SendError::TooLarge { len: msg.len(), max: self.slot_size });
        }
        Ok(())
    }

    fn send_lock_free(&mut self, msg: &[u8]) -> Result<(), SendError> {
        let position = match lockfree::try_claim(&self.region) {
            Some(position) => position,
            None => self.wait_for_room()?,
        };
        // SAFETY: `try_claim` gave us `position`; the length is checked.
        unsafe { lockfree::publish(&self.region, position, msg) };
        self.published();
        if self.rendezvous && !lockfree::taken(&self.region, position) {
            self.await_receipt(position)?;
        }
        Ok(())
    }

    /// Count a publication and wake the receiver if it may sleep.
    fn published(&mut self) {
        self.stats.sent += 1;
        if self.block {
            wake(&self.region.lines().receiver_wait.futex);
        }
    }

    #[cold]
    #[inline(never)]
    fn wait_for_room(&mut self) -> Result<u64, SendError> {
        self.stats.full_waits += 1;
        self.wait_until(lockfree::try_claim)
    }

    #[cold]
    #[inline(never)]
    fn await_receipt(&mut self, position: u64) -> Result<(), SendError> {
        self.stats.receipt_waits += 1;
        self.wait_until(|region| lockfree::taken(region, position).then_some(()))
    }

    /// Wait with the other senders on their crowd until `done` yields, or
    /// the receiver closes or dies. Inlined into each cold wait above.
    #[inline(always)]
    fn wait_until<T>(&mut self, mut done: impl FnMut(&Region) -> Option<T>) -> Result<T, SendError> {
        let (region, receiver) = (&self.region, &mut self.receiver);
        let lines = region.lines();
        let outcome = self.waiter.until_watching(
            &lines.senders_wait.crowd,
            || receiver.check_now(&lines.receiver.pid),
            || {
                if let Some(value) = done(region) {
                    Some(Ok(value))
                } else if receiver_closed(region) {
                    Some(Err(SendError::Disconnected))
                } else {
                    None
                }
            },
        );
        outcome.map_err(wait_failure)?
    }

    #[cfg(not(loom))]
    fn try_send_locked(&mut self, msg: &[u8]) -> Result<bool, SendError> {
        let region = &self.region;
        let put = match locked::with_lock(region, |held, line| put_if_room(region, held, line, msg)) {
            Ok(put) => put,
            Err(pid) => return Err(self.owner_died(pid)),
        };
        let put = put?.is_some();
        if put {
            self.stats.sent += 1;
        }
        Ok(put)
    }

    #[cfg(not(loom))]
    fn send_locked(&mut self, msg: &[u8]) -> Result<(), SendError> {
        let (region, receiver, stats) = (&self.region, &mut self.receiver, &mut self.stats);
        let rendezvous = self.rendezvous;
        let lines = region.lines();
        // Set once the message is in the buffer: its ticket (the `put` count after it).
        let mut ticket: Option<u64> = None;
        let mut waited_for_room = false;
        let outcome = locked::wait_until(
            region,
            Cond::NotFull,
            self.timeout,
            || receiver.check_now(&lines.receiver.pid),
            |held, line| {
                let Some(ticket) = ticket else {
                    return match put_if_room(region, held, line, msg) {
                        Ok(Some(after)) if rendezvous => {
                            ticket = Some(after);
                            stats.sent += 1;
                            // Taken already? Never before the receiver's
                            // next turn of the lock, so wait.
                            None
                        }
                        Ok(Some(_)) => {
                            stats.sent += 1;
                            Some(Ok(()))
                        }
                        Ok(None) => {
                            if !waited_for_room {
                                waited_for_room = true;
                                stats.full_waits += 1;
                            }
                            None
                        }
                        Err(e) => Some(Err(e)),
                    };
                };
                // Relaxed: under the lock.
                let taken = line.taken.load(Ordering::Relaxed);
                if taken.wrapping_sub(ticket) as i64 >= 0 {
                    Some(Ok(()))
                } else if lines.receiver.closed.load(Ordering::Relaxed) != 0 {
                    Some(Err(SendError::Disconnected))
                } else {
                    None
                }
            },
        );
        if ticket.is_some() {
            self.stats.receipt_waits += 1;
        }
        match outcome {
            Ok(result) => result,
            Err(LockedFailure::Wait(failure)) => Err(wait_failure(failure)),
            Err(LockedFailure::OwnerDied(pid)) => Err(self.owner_died(pid)),
        }
    }

    /// The error for a process that died holding the mutex design's lock.
    #[cfg(not(loom))]
    fn owner_died(&mut self, pid: u32) -> SendError {
        let receiver = &self.region.lines().receiver.pid;
        let pid = if pid == locked::UNKNOWN_HOLDER && self.receiver.check_now(receiver).is_err() {
            // Relaxed: a pid to name, no data.
            receiver.load(Ordering::Relaxed)
        } else {
            locked::dead_holder(pid, &mut super::roster::SenderWatch::default(), &self.region)
        };
        // Relaxed: a pid to name, no data.
        if pid == receiver.load(Ordering::Relaxed) {
            SendError::ReceiverDied { pid }
        } else {
            SendError::SenderDied { pid }
        }
    }
}

/// Mutex design, under the lock: put `msg` if there is room; the `put`
/// count after it, `None` if full, `Disconnected` if the receiver closed.
#[cfg(not(loom))]
fn put_if_room(
    region: &Region,
    held: &locked::Held<'_>,
    line: &super::layout::LockedLine,
    msg: &[u8],
) -> Result<Option<u64>, SendError> {
    // Relaxed, all: under the lock (the receiver closes under it too).
    if region.lines().receiver.closed.load(Ordering::Relaxed) != 0 {
        return Err(SendError::Disconnected);
    }
    let put = line.put.load(Ordering::Relaxed);
    let taken = line.taken.load(Ordering::Relaxed);
    // Wrapping: the counters are words every process can write; garbage
    // there reads as full (a wait that times out) or as room in a slot
    // that is still our own index, `put % n`.
    if put.wrapping_sub(taken) >= region.geometry().slot_count as u64 {
        return Ok(None);
    }
    let idx = region.slot_of(put);
    // SAFETY: under the lock the slot at `put % n` is free (fewer than n in
    // flight) and nobody else touches it; its payload holds `slot_size >=
    // msg.len()` bytes (checked by the caller), and cannot overlap `msg`.
    unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), region.payload(idx), msg.len()) };
    region.len(idx).store(msg.len() as u64, Ordering::Relaxed);
    let after = put.wrapping_add(1);
    line.put.store(after, Ordering::Relaxed);
    held.signal(Cond::NotEmpty);
    Ok(Some(after))
}

/// Whether the receiver has dropped its end (lock-free design).
fn receiver_closed(region: &Region) -> bool {
    // Acquire: pairs with the Release store of `closed` in the receiver's
    // drop: everything it did before closing is visible once this is seen.
    region.lines().receiver.closed.load(Ordering::Acquire) != 0
}

fn wait_failure(failure: WaitFailure) -> SendError {
    match failure {
        WaitFailure::PeerDied(pid) => SendError::ReceiverDied { pid },
        WaitFailure::Timeout(waited) => SendError::Timeout { waited },
    }
}

/// The mutex design's entry points under loom, which refuses that design
/// before any end exists.
#[cfg(loom)]
impl Sender {
    fn send_locked(&mut self, _msg: &[u8]) -> Result<(), SendError> {
        unreachable!("the mutex design is refused under loom")
    }

    fn try_send_locked(&mut self, _msg: &[u8]) -> Result<bool, SendError> {
        unreachable!("the mutex design is refused under loom")
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let abandoned = self.abandoned || std::thread::panicking();
        match self.design {
            Design::LockFree => {
                roster::deregister(&self.region, self.entry, abandoned);
                if self.block {
                    wake(&self.region.lines().receiver_wait.futex);
                }
            }
            #[cfg(loom)]
            Design::Mutex => unreachable!("the mutex design is refused under loom"),
            #[cfg(not(loom))]
            Design::Mutex => {
                // Under the lock, so a receiver waiting on `not_empty` sees
                // it and is signalled; a lock a dead process broke is no
                // reason to stay registered.
                let (region, entry) = (&self.region, self.entry);
                let closed = locked::with_lock(region, |held, _| {
                    roster::deregister(region, entry, abandoned);
                    held.signal(Cond::NotEmpty);
                });
                if closed.is_err() {
                    roster::deregister(region, entry, abandoned);
                }
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use crate::mailbox::{Capacity, Design, MailboxConfig, SendError, WaitStrategy, local};
    use crate::sync::Ordering;

    /// A tail, sequence words, a receiver position or counters full of
    /// garbage (a peer that breaks the protocol) cost a sender a wait that
    /// times out, never a panic or a write outside its slots.
    #[test]
    fn garbage_in_the_segment_is_an_error_not_a_panic() {
        for design in Design::ALL {
            for capacity in [Capacity::Bounded(2), Capacity::Rendezvous] {
                for garbage in [u64::MAX, u64::MAX - 1, 1 << 63] {
                    let cfg = MailboxConfig::new(capacity)
                        .design(design)
                        .wait(WaitStrategy::Yield)
                        .slot_size(8)
                        .timeout(Duration::from_millis(20));
                    let (mut senders, receiver) = local(&cfg, 1).unwrap();
                    let sender = &mut senders[0];
                    let region = sender.region.clone();
                    region.lines().senders.tail.store(garbage, Ordering::Relaxed);
                    region.lines().receiver.head.store(garbage, Ordering::Relaxed);
                    region.seq(0).store(garbage, Ordering::Relaxed);
                    if design == Design::Mutex {
                        region.locked().taken.store(garbage, Ordering::Relaxed);
                    }
                    for _ in 0..4 {
                        match sender.send(b"12345678") {
                            Ok(()) | Err(SendError::Timeout { .. }) => {}
                            Err(e) => panic!("{design} {capacity} {garbage:#x}: {e}"),
                        }
                    }
                    drop(receiver);
                }
            }
        }
    }
}
