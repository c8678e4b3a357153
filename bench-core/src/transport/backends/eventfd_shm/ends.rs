//! The two ends of an `eventfd-shm` direction: the protocol over the
//! segment's positions ([`super::segment`]) and the two eventfds.
//!
//! # Protocol
//! Sender: write the slot, store `tail` (Release), write 1 to `data`.
//! Receiver: load `tail` (Acquire); when a message is there, consume it with
//! no system call and store `head`; only when the array is empty does it
//! wait: `poll` on `data` in slices (watching the peer and the deadline:
//! an `eventfd` has no end-of-file to report a dead sender), then `read` it,
//! which returns and clears the count of signals accumulated meanwhile. The
//! receiver keeps a running balance of signals read minus messages consumed;
//! when it is at most -2 the counter provably holds a signal already, so it
//! reads without polling first.
//!
//! Waking the sender uses a Dekker pair: the sender stores `space_wanted = 1`
//! (SeqCst) and re-loads `head` (SeqCst) before it sleeps on `space`; the
//! receiver stores `head` (SeqCst) and then loads `space_wanted` (SeqCst).
//! In the single total order of SeqCst operations one of the two loads sees
//! the other side's store: either the sender sees the freed slot, or the
//! receiver sees the flag, clears it and writes `space`.
//!
//! Under `spin` and `yield` a waiting side polls the positions instead of
//! sleeping on an eventfd, checking the peer and the deadline every so often.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::Ordering;

use rustix::event::PollFlags;

use super::segment::{GONE, LEN_WORD, Mapping};
use crate::ring::WaitStrategy;
use crate::transport::TransportError;
use crate::transport::backend::{RawReceiver, RawSender};
use crate::transport::peer::{PeerWatch, wait_fd};

/// Spins between checks of the deadline and the peer under `spin`.
const SPINS_PER_CHECK: u32 = 4096;
/// `sched_yield`s between checks under `yield`.
const YIELDS_PER_CHECK: u32 = 64;

/// Read an eventfd's count (blocks while it is 0), retrying on EINTR.
fn read_count(fd: &OwnedFd, what: &str) -> Result<u64, TransportError> {
    let mut buf = [0u8; 8];
    loop {
        match rustix::io::read(fd, &mut buf) {
            Ok(8) => return Ok(u64::from_ne_bytes(buf)),
            Ok(n) => return Err(TransportError::Protocol(format!("eventfd ({what}) read returned {n} bytes"))),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(TransportError::io(format!("read eventfd ({what})"), e)),
        }
    }
}

/// Add 1 to an eventfd's count, retrying on EINTR.
fn signal(fd: impl AsFd, what: &str) -> Result<(), TransportError> {
    let one = 1u64.to_ne_bytes();
    loop {
        match rustix::io::write(&fd, &one) {
            Ok(8) => return Ok(()),
            Ok(n) => return Err(TransportError::Protocol(format!("eventfd ({what}) write took {n} bytes"))),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(TransportError::io(format!("write eventfd ({what})"), e)),
        }
    }
}

/// Pause once under `spin` or `yield`, checking the peer and the deadline
/// every so often. `rounds` counts the pauses of this wait.
fn pause(wait: WaitStrategy, rounds: &mut u32, watch: &mut PeerWatch) -> Result<(), TransportError> {
    *rounds = rounds.wrapping_add(1);
    let every = if wait == WaitStrategy::Yield {
        std::thread::yield_now();
        YIELDS_PER_CHECK
    } else {
        std::hint::spin_loop();
        SPINS_PER_CHECK
    };
    if *rounds % every == 0 { watch.check() } else { Ok(()) }
}

/// The sending end.
pub(super) struct EfdSender {
    map: Mapping,
    /// Messages published by this end (mirrors the shared `tail`).
    tail: u64,
    /// `tail` modulo the slot count.
    idx: usize,
    /// The receiver's `head` as last loaded: reloaded only when it says full.
    head_seen: u64,
    data: OwnedFd,
    space: OwnedFd,
    wait: WaitStrategy,
    watch: PeerWatch,
    closed: bool,
}

impl EfdSender {
    /// The sending end on `map` (whose sending side the caller claimed),
    /// signalling `data` and sleeping on `space`.
    pub(super) fn open(map: Mapping, data: OwnedFd, space: OwnedFd, wait: WaitStrategy, watch: PeerWatch) -> Self {
        // Resume from the shared positions (both 0 for a fresh channel). Any
        // value is safe: positions only ever index modulo `count`, and are
        // compared and advanced with wrapping arithmetic.
        let h = map.header();
        let tail = h.tail.tail.load(Ordering::Relaxed);
        // Acquire: pairs with the receiver's store of `head`; the slots before it are free.
        let head = h.head.head.load(Ordering::Acquire);
        let idx = (tail % map.count as u64) as usize;
        Self { map, tail, idx, head_seen: head, data, space, wait, watch, closed: false }
    }

    fn full(&self) -> bool {
        // Wrapping: `head_seen` is the receiver's word. A receiver that
        // breaks the protocol can claim to be ahead (then this reads as
        // full and the sender times out) or to have read what it has not
        // (then it loses its own messages); the slot written is always
        // `idx`, ours, below `count`.
        self.tail.wrapping_sub(self.head_seen) >= self.map.count as u64
    }

    /// Whether a slot is free, reloading `head` if the cached copy says full.
    fn has_space(&mut self) -> bool {
        if self.full() {
            // Acquire: pairs with the receiver's (SeqCst, so also Release)
            // store of `head` in `recv`: it read the slots before `head`
            // before we overwrite them.
            self.head_seen = self.map.header().head.head.load(Ordering::Acquire);
        }
        !self.full()
    }

    fn receiver_gone(&self) -> Result<(), TransportError> {
        // Acquire: pairs with the Release store in the receiver's `Drop`.
        if self.map.header().head.state.load(Ordering::Acquire) == GONE {
            return Err(TransportError::PeerGone("the receiver closed its end".into()));
        }
        Ok(())
    }

    /// Write a message (or, with an empty `msg`, the end marker) into the
    /// free slot at `tail`, publish it and signal `data`.
    fn publish(&mut self, msg: &[u8]) {
        let slot = self.map.slot(self.idx);
        // SAFETY: the slot lies inside the mapping with `size` payload bytes
        // after its length word, msg.len() <= size (checked by the callers),
        // and the receiver does not read this slot until our `tail` store
        // below says it holds a message (it consumed the slot's previous
        // message before `head` passed it, which `has_space` checked).
        unsafe { std::ptr::copy_nonoverlapping(msg.as_ptr(), slot.add(LEN_WORD), msg.len()) };
        // Relaxed: published by the Release store of `tail` below.
        self.map.len_word(self.idx).store(msg.len() as u32, Ordering::Relaxed);
        // Wrapping: counted on from the shared word `open_sender` read.
        self.tail = self.tail.wrapping_add(1);
        self.idx = if self.idx + 1 == self.map.count { 0 } else { self.idx + 1 };
        // Release: pairs with the receiver's Acquire load of `tail` in
        // `recv`/`wait_data`: the slot's bytes and length are visible to it.
        self.map.header().tail.tail.store(self.tail, Ordering::Release);
    }

    fn check(&self, msg: &[u8]) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Protocol("send after close".into()));
        }
        if msg.is_empty() {
            return Err(TransportError::Empty);
        }
        if msg.len() > self.map.size {
            return Err(TransportError::TooLarge {
                len: msg.len(),
                max: self.map.size,
                limit: "the channel's message size".into(),
            });
        }
        Ok(())
    }

    /// Wait until a slot is free: sleep on `space` (block) or poll `head`.
    #[cold]
    fn wait_space(&mut self) -> Result<(), TransportError> {
        let mut rounds = 0;
        loop {
            if self.has_space() {
                self.watch.progressed();
                return Ok(());
            }
            self.receiver_gone()?;
            if self.wait != WaitStrategy::Block {
                pause(self.wait, &mut rounds, &mut self.watch)?;
                continue;
            }
            let h = self.map.header();
            // SeqCst: the Dekker pair with the receiver's SeqCst store of
            // `head` and load of `space_wanted` in `recv`: either our load of
            // `head` below sees its store, or its load sees our flag.
            h.flag.space_wanted.store(1, Ordering::SeqCst);
            // SeqCst: see above (also Acquire for the freed slot, as in `has_space`).
            self.head_seen = h.head.head.load(Ordering::SeqCst);
            if !self.full() {
                h.flag.space_wanted.store(0, Ordering::Relaxed);
                continue;
            }
            wait_fd(&self.space, PollFlags::IN, &mut self.watch)?;
            // Readable after the poll, and only this end reads `space`: no block.
            read_count(&self.space, "space")?;
        }
    }
}

impl RawSender for EfdSender {
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.check(msg)?;
        if !self.has_space() {
            self.wait_space()?;
        }
        self.publish(msg);
        signal(&self.data, "data")
    }

    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        self.check(msg)?;
        if !self.has_space() {
            self.receiver_gone()?;
            return Ok(false);
        }
        self.publish(msg);
        signal(&self.data, "data")?;
        Ok(true)
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Err(TransportError::Protocol("wait_writable after close".into()));
        }
        self.wait_space()
    }

    fn close(&mut self) -> Result<(), TransportError> {
        if self.closed {
            return Ok(());
        }
        if !self.has_space() {
            self.wait_space()?;
        }
        self.publish(&[]);
        self.closed = true;
        signal(&self.data, "data")
    }
}

impl Drop for EfdSender {
    fn drop(&mut self) {
        if !self.closed {
            // Release: pairs with the receiver's Acquire load of the state in
            // `wait_data`; every message published before is visible with it.
            self.map.header().tail.state.store(GONE, Ordering::Release);
            let _ = signal(&self.data, "data");
        }
    }
}

/// The receiving end.
pub(super) struct EfdReceiver {
    map: Mapping,
    /// Messages consumed by this end (mirrors the shared `head`).
    head: u64,
    /// `head` modulo the slot count.
    idx: usize,
    /// The sender's `tail` as last loaded: reloaded only when it says empty.
    tail_seen: u64,
    /// Signals read from `data` minus messages consumed. The sender signals
    /// each message before it publishes the next, so when the array is
    /// empty the `data` counter holds at least `-balance - 1` signals.
    balance: i64,
    data: OwnedFd,
    space: OwnedFd,
    wait: WaitStrategy,
    watch: PeerWatch,
    finished: bool,
}

impl EfdReceiver {
    /// The receiving end on `map` (whose receiving side the caller
    /// claimed), sleeping on `data` and signalling `space`.
    pub(super) fn open(map: Mapping, data: OwnedFd, space: OwnedFd, wait: WaitStrategy, watch: PeerWatch) -> Self {
        let head = map.header().head.head.load(Ordering::Relaxed);
        let idx = (head % map.count as u64) as usize;
        Self { map, head, idx, tail_seen: head, balance: 0, data, space, wait, watch, finished: false }
    }

    /// Whether a message is there, reloading `tail` if the cached copy says empty.
    #[inline]
    fn has_message(&mut self) -> bool {
        if self.head == self.tail_seen {
            // Acquire: pairs with the sender's Release store of `tail` in
            // `publish`: the slots before it are written.
            self.tail_seen = self.map.header().tail.tail.load(Ordering::Acquire);
        }
        self.head != self.tail_seen
    }

    /// Wait until a message is there.
    #[cold]
    fn wait_data(&mut self) -> Result<(), TransportError> {
        let mut rounds = 0;
        loop {
            if self.has_message() {
                self.watch.progressed();
                return Ok(());
            }
            // Acquire: pairs with the Release store in the sender's `Drop`,
            // made after its last `tail` store.
            if self.map.header().tail.state.load(Ordering::Acquire) == GONE {
                if self.has_message() {
                    continue;
                }
                return Err(TransportError::PeerGone("the sender dropped its end without finishing".into()));
            }
            if self.wait != WaitStrategy::Block {
                pause(self.wait, &mut rounds, &mut self.watch)?;
                continue;
            }
            if self.balance > -2 {
                // The counter may be 0: a blocking read could outlive the
                // sender, so wait in slices that watch it.
                wait_fd(&self.data, PollFlags::IN, &mut self.watch)?;
            }
            let count = read_count(&self.data, "data")?;
            self.balance = self.balance.saturating_add(count.try_into().unwrap_or(i64::MAX));
        }
    }
}

impl RawReceiver for EfdReceiver {
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        if self.finished {
            return Err(TransportError::Disconnected);
        }
        if !self.has_message() {
            self.wait_data()?;
        }
        let len = self.map.len_word(self.idx).load(Ordering::Relaxed) as usize;
        if len > self.map.size {
            return Err(TransportError::Protocol(format!(
                "slot {} says {len} bytes, more than the slot size {}",
                self.idx, self.map.size
            )));
        }
        if len > buf.len() {
            return Err(TransportError::TooLarge { len, max: buf.len(), limit: "the receive buffer".into() });
        }
        // SAFETY: the slot lies inside the mapping with `size` >= len payload
        // bytes after its length word, `buf` holds len bytes, and the sender
        // wrote the slot before its Release store of `tail` (loaded with
        // Acquire in `has_message`) and leaves it alone until our `head`
        // store below passes it.
        unsafe { std::ptr::copy_nonoverlapping(self.map.slot(self.idx).add(LEN_WORD), buf.as_mut_ptr(), len) };
        // Wrapping: counted on from the shared word `open_receiver` read.
        self.head = self.head.wrapping_add(1);
        self.idx = if self.idx + 1 == self.map.count { 0 } else { self.idx + 1 };
        self.balance -= 1;
        let h = self.map.header();
        // SeqCst: Release for the sender's Acquire load of `head` (the slot
        // is free again), and the Dekker pair with the sender's SeqCst store
        // of `space_wanted` and load of `head` in `wait_space`.
        h.head.head.store(self.head, Ordering::SeqCst);
        // SeqCst: the other half of the Dekker pair above.
        if h.flag.space_wanted.load(Ordering::SeqCst) != 0 && h.flag.space_wanted.swap(0, Ordering::Relaxed) != 0 {
            signal(&self.space, "space")?;
        }
        if len == 0 {
            self.finished = true;
            return Err(TransportError::Disconnected);
        }
        Ok(len)
    }
}

impl Drop for EfdReceiver {
    fn drop(&mut self) {
        // Release: pairs with the sender's Acquire load in `receiver_gone`.
        self.map.header().head.state.store(GONE, Ordering::Release);
        let _ = signal(&self.space, "space");
    }
}
