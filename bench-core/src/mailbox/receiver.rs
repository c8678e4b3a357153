//! The receiving end: takes messages in position order (lock-free) or in
//! buffer order under the lock (mutex), waits for the next one while
//! watching every registered sender's process, and tells the clean end of
//! the stream (`Disconnected`), an abandoned one, and a dead sender apart.
//!
//! When nothing is there, the receiver reads the census (who is open,
//! whether anyone ever registered) *before* it looks at the queue again:
//! a sender counts itself out only after its last publication, so an empty
//! queue seen after "none open" is drained for good.

use std::time::Duration;

use super::config::{Design, WaitStrategy};
use super::error::RecvError;
use super::layout::{Region, census_open, census_registered};
#[cfg(not(loom))]
use super::locked::{self, Cond, LockedFailure};
use super::lockfree;
use super::roster::SenderWatch;
use crate::ring::NameGuard;
use crate::ring::wait::{WaitFailure, Waiter, wake_crowd};
use crate::sync::Ordering;

/// What the receiver observed; read with [`Receiver::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    /// Messages taken (handed back to the senders).
    pub received: u64,
    /// Times the mailbox was empty and the receiver waited.
    pub empty_waits: u64,
}

/// How a wait for the next message ended well.
enum Next {
    /// A message of this length (as written, unchecked) is there.
    Ready(u64),
    /// Drained, every sender closed, none abandoned.
    Finished,
    /// Drained, every sender closed, one abandoned.
    Abandoned,
}

/// The one receiving end of a mailbox. Created by [`super::SharedMailbox::into_receiver`].
pub struct Receiver {
    region: Region,
    design: Design,
    /// Lock-free design: the next position to take; monotonic.
    head: u64,
    /// The lock-free design waits by `block` (and so wakes sleeping senders).
    block: bool,
    slot_size: usize,
    /// This side's own deadline for one wait.
    timeout: Duration,
    waiter: Waiter,
    watch: SenderWatch,
    stats: ReceiverStats,
    /// The receiver owns the name: it is removed when this end drops.
    _name: NameGuard,
}

impl Receiver {
    /// The receiving end of `region` (whose role the caller has claimed).
    pub(crate) fn new(region: Region, name: NameGuard, timeout: Duration) -> Self {
        let g = *region.geometry();
        Self {
            design: g.design,
            head: 0,
            block: g.wait == WaitStrategy::Block,
            slot_size: g.slot_size,
            timeout,
            waiter: Waiter::new(g.wait, timeout),
            watch: SenderWatch::default(),
            stats: ReceiverStats::default(),
            region,
            _name: name,
        }
    }

    /// Receive the next message into `buf`; returns its length.
    /// `Err(Disconnected)` once every sender that registered has closed and
    /// everything is received; a message larger than `buf` stays queued
    /// (`Err(BufferTooSmall)`).
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, RecvError> {
        self.take(|msg| {
            let Some(dst) = buf.get_mut(..msg.len()) else {
                return Err(RecvError::BufferTooSmall { len: msg.len(), capacity: buf.len() });
            };
            dst.copy_from_slice(msg);
            Ok(msg.len())
        })
    }

    /// Receive the next message and hand it to `f` in place; its slot goes
    /// back to the senders (and a rendezvous send returns) only after `f`
    /// returns. The bytes are in memory every sender's process maps: one
    /// that breaks the protocol could change them while `f` runs, never
    /// where they are or how many.
    pub fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<R, RecvError> {
        self.take(|msg| Ok(f(msg)))
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
    pub fn stats(&self) -> ReceiverStats {
        self.stats
    }

    /// The next message, handed to `take`; handed back unless `take` fails.
    fn take<R>(&mut self, take: impl FnOnce(&[u8]) -> Result<R, RecvError>) -> Result<R, RecvError> {
        match self.design {
            Design::LockFree => self.take_lock_free(take),
            Design::Mutex => self.take_locked(take),
        }
    }

    fn take_lock_free<R>(&mut self, take: impl FnOnce(&[u8]) -> Result<R, RecvError>) -> Result<R, RecvError> {
        let len = match lockfree::front(&self.region, self.head) {
            Some(len) => len,
            None => self.wait_lock_free()?,
        };
        let len = self.checked_len(len)?;
        let idx = self.region.slot_of(self.head);
        self.region.note_read(idx);
        // SAFETY: `front` observed (Acquire) the slot published for our
        // position; no sender writes it again until `hand_back` below; the
        // payload holds `slot_size >= len` bytes inside the mapping (our
        // own position's slot, a checked length).
        let msg = unsafe { std::slice::from_raw_parts(self.region.payload(idx) as *const u8, len) };
        let out = take(msg)?;
        lockfree::hand_back(&self.region, self.head);
        self.head = self.head.wrapping_add(1);
        self.stats.received += 1;
        if self.block {
            wake_crowd(&self.region.lines().senders_wait.crowd);
        }
        Ok(out)
    }

    /// A length read from a slot, if a correct sender could have written it.
    fn checked_len(&self, len: u64) -> Result<usize, RecvError> {
        match usize::try_from(len) {
            Ok(len) if len <= self.slot_size => Ok(len),
            _ => {
                Err(RecvError::Corrupt(format!("a slot says {len} bytes, more than the slot size {}", self.slot_size)))
            }
        }
    }

    /// Wait until the message at `head` is published (its length), or the stream ends.
    #[cold]
    #[inline(never)]
    fn wait_lock_free(&mut self) -> Result<u64, RecvError> {
        self.stats.empty_waits += 1;
        let (region, head, watch) = (&self.region, self.head, &mut self.watch);
        let lines = region.lines();
        let next = self
            .waiter
            .until_watching(
                &lines.receiver_wait.futex,
                || watch.check(region),
                || {
                    // Acquire: pairs with each sender's Release decrement in
                    // `roster::deregister`: what a closed sender published is
                    // visible, so an empty slot below means drained.
                    let census = lines.senders.census.load(Ordering::Acquire);
                    if let Some(len) = lockfree::front(region, head) {
                        return Some(Next::Ready(len));
                    }
                    end_of_stream(region, census)
                },
            )
            .map_err(wait_failure)?;
        match next {
            Next::Ready(len) => Ok(len),
            Next::Finished => Err(RecvError::Disconnected),
            Next::Abandoned => Err(RecvError::Abandoned),
        }
    }

    #[cfg(not(loom))]
    fn take_locked<R>(&mut self, take: impl FnOnce(&[u8]) -> Result<R, RecvError>) -> Result<R, RecvError> {
        let (region, watch, slot_size) = (&self.region, &mut self.watch, self.slot_size);
        let slot_count = region.geometry().slot_count as u64;
        let mut take = Some(take);
        let mut waited = false;
        let outcome = locked::wait_until(
            region,
            Cond::NotEmpty,
            self.timeout,
            || watch.check(region),
            |held, line| {
                // Under the lock, which senders take to put and to close:
                // the census and the counters are consistent with each other.
                let census = region.lines().senders.census.load(Ordering::Relaxed);
                let put = line.put.load(Ordering::Relaxed);
                let taken = line.taken.load(Ordering::Relaxed);
                let in_flight = put.wrapping_sub(taken);
                if in_flight > slot_count {
                    return Some(Err(RecvError::Corrupt(format!(
                        "{in_flight} messages in flight in {slot_count} slots"
                    ))));
                }
                if in_flight == 0 {
                    return match end_of_stream(region, census) {
                        None => {
                            waited = true;
                            None
                        }
                        Some(Next::Abandoned) => Some(Err(RecvError::Abandoned)),
                        Some(_) => Some(Err(RecvError::Disconnected)),
                    };
                }
                let idx = region.slot_of(taken);
                let len = region.len(idx).load(Ordering::Relaxed);
                let Some(len) = usize::try_from(len).ok().filter(|&len| len <= slot_size) else {
                    return Some(Err(RecvError::Corrupt(format!(
                        "a slot says {len} bytes, more than the slot size {slot_size}"
                    ))));
                };
                // SAFETY: under the lock, the slot at `taken % n` holds a
                // message (in flight) that no sender writes until `taken`
                // passes it; `len` is checked; the payload is inside the mapping.
                let msg = unsafe { std::slice::from_raw_parts(region.payload(idx) as *const u8, len) };
                let take = take.take().expect("a poll that takes returns at once");
                let out = take(msg);
                if out.is_ok() {
                    line.taken.store(taken.wrapping_add(1), Ordering::Relaxed);
                    held.signal(Cond::NotFull);
                }
                Some(out)
            },
        );
        if waited {
            self.stats.empty_waits += 1;
        }
        let out = match outcome {
            Ok(out) => out,
            Err(LockedFailure::Wait(failure)) => return Err(wait_failure(failure)),
            Err(LockedFailure::OwnerDied(pid)) => {
                return Err(RecvError::SenderDied { pid: locked::dead_holder(pid, &mut self.watch, &self.region) });
            }
        }?;
        self.stats.received += 1;
        Ok(out)
    }

    #[cfg(loom)]
    fn take_locked<R>(&mut self, _take: impl FnOnce(&[u8]) -> Result<R, RecvError>) -> Result<R, RecvError> {
        unreachable!("the mutex design is refused under loom")
    }
}

/// With the queue found empty after reading `census`: the end of the
/// stream if none is open and some sender registered (as many as the
/// creator said would, if it said: a sender that finished before another
/// attached does not end the stream), else `None`.
fn end_of_stream(region: &Region, census: u64) -> Option<Next> {
    let awaited = region.geometry().expected_senders.max(1);
    if census_open(census) != 0 || census_registered(census) < awaited {
        return None;
    }
    // Relaxed: the sender stores it before its Release decrement of the
    // census, which the caller's read of the census acquired (or the lock ordered).
    let abandoned = region.lines().senders.abandoned.load(Ordering::Relaxed) != 0;
    Some(if abandoned { Next::Abandoned } else { Next::Finished })
}

fn wait_failure(failure: WaitFailure) -> RecvError {
    match failure {
        WaitFailure::PeerDied(pid) => RecvError::SenderDied { pid },
        WaitFailure::Timeout(waited) => RecvError::Timeout { waited },
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let lines = self.region.lines();
        match self.design {
            Design::LockFree => {
                // Release: pairs with the Acquire loads of `closed` in a
                // sender's waits.
                lines.receiver.closed.store(1, Ordering::Release);
                if self.block {
                    wake_crowd(&lines.senders_wait.crowd);
                }
            }
            #[cfg(not(loom))]
            Design::Mutex => {
                // Under the lock, so a sender waiting on `not_full` sees it
                // and is woken.
                let closed = locked::with_lock(&self.region, |held, _| {
                    // Relaxed: under the lock.
                    lines.receiver.closed.store(1, Ordering::Relaxed);
                    held.signal(Cond::NotFull);
                });
                if closed.is_err() {
                    // Release: as in the lock-free design (the lock is broken).
                    lines.receiver.closed.store(1, Ordering::Release);
                }
            }
            #[cfg(loom)]
            Design::Mutex => unreachable!("the mutex design is refused under loom"),
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use crate::mailbox::{Capacity, Design, MailboxConfig, RecvError, WaitStrategy, local};
    use crate::sync::Ordering;

    /// Slot lengths, sequence words and counters full of garbage (a sender
    /// that breaks the protocol) cost the receiver a `Corrupt` error or a
    /// timeout: never a panic, or a read outside its slots.
    #[test]
    fn garbage_from_a_sender_is_an_error_not_a_panic() {
        for design in Design::ALL {
            let cfg = MailboxConfig::new(Capacity::Bounded(2))
                .design(design)
                .wait(WaitStrategy::Yield)
                .slot_size(8)
                .timeout(Duration::from_millis(20));
            let (mut senders, mut receiver) = local(&cfg, 1).unwrap();
            senders[0].send(b"12345678").unwrap();
            let region = receiver.region.clone();
            region.len(0).store(u64::MAX, Ordering::Relaxed);
            let mut buf = [0u8; 8];
            let got = receiver.recv(&mut buf);
            assert!(matches!(got, Err(RecvError::Corrupt(_))), "{design}: {got:?}");
            for garbage in [u64::MAX, 1 << 63, 3] {
                for idx in 0..2 {
                    region.seq(idx).store(garbage, Ordering::Relaxed);
                }
                if design == Design::Mutex {
                    region.locked().put.store(garbage, Ordering::Relaxed);
                }
                match receiver.recv(&mut buf) {
                    Ok(_) | Err(RecvError::Timeout { .. } | RecvError::Corrupt(_)) => {}
                    Err(e) => panic!("{design} {garbage:#x}: {e}"),
                }
            }
            drop(senders);
        }
    }
}
