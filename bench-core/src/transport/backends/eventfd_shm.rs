//! `eventfd-shm`: messages through a shared-memory slot array, wake-ups
//! through `eventfd`: the classic "kernel only for signalling" design.
//!
//! # Objects
//! One direction is a POSIX shared-memory segment (`/dev/shm/ringside-...`,
//! removed by the channel's [`ObjectGuard`]) and two `eventfd`s (blocking,
//! close-on-exec), both inherited by both ends:
//!
//! - `data`: the sender writes 1 after each message it publishes (one
//!   system call per message: that is the point of this design); the
//!   receiver reads it only when it has to wait.
//! - `space`: the receiver writes 1 after freeing a slot, but only when the
//!   sender announced that it waits for space.
//!
//! ```text
//! offset   0  meta         magic (published last), version, slot_count, slot_size, stride
//! offset 128  tail line    tail (messages published) | sender state
//! offset 256  head line    head (messages consumed)  | receiver state
//! offset 384  flag line    space_wanted (the sender may be asleep on `space`)
//! offset 512  slots        slot_count x stride bytes, each [u32 len][payload]
//! ```
//!
//! Lines are 128 bytes (adjacent-line prefetch pairs 64-byte lines); every
//! header field and each slot's length word is an atomic, so reading memory
//! the peer writes is never a data race, and an attaching end checks the
//! header field by field. A slot whose length is 0 is the end marker.
//!
//! # Capacity modes
//! - `bounded:N`: exactly N slots, so the realised capacity is N messages.
//! - `rendezvous`: reaches this backend as `bounded:1` (one slot) plus the
//!   channel layer's acknowledgement channel (another `eventfd-shm`
//!   direction of 8-byte messages, also one slot).
//! - `unbounded`: a fixed array of [`UNBOUNDED_SLOTS`] slots (fewer when that
//!   would take more than [`UNBOUNDED_BYTES`] of `/dev/shm`); the channel's
//!   sender-side queue takes what does not fit.
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
//! # Wait strategies
//! `block` (the default) sleeps in the kernel at once: no spinning, the
//! design as a plain C program would write it. `spin` and `yield` poll the
//! shared positions instead (with a spin hint or `sched_yield` between polls)
//! and never sleep on the eventfds; the sender still writes `data` after each
//! message.
//!
//! # Ends that go away
//! A sender dropped without `close` marks its state and writes `data`; a
//! receiver dropped marks its state and writes `space`: the peer then gets
//! [`TransportError::PeerGone`]. A peer killed outright is seen by the
//! [`PeerWatch`] between slices of waiting.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use rustix::event::{EventfdFlags, PollFlags, eventfd};

use crate::ring::{Capacity, WaitStrategy};
use crate::shm::{Segment, ShmError};
use crate::transport::TransportError;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source};
use crate::transport::objects::{IpcObject, ObjectGuard, unique_name};
use crate::transport::peer::{PeerWatch, wait_fd};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native_modes: false };

/// "RSEFDSHM", little-endian: this is an `eventfd-shm` segment.
const MAGIC: u64 = u64::from_le_bytes(*b"RSEFDSHM");
/// Bumped whenever the meaning of any byte changes.
const VERSION: u32 = 1;
/// Bytes in a padded line.
const LINE: usize = 128;
/// Where the slots start.
const SLOTS_OFFSET: usize = 4 * LINE;
/// Bytes before the payload in a slot: the `u32` length.
const LEN_WORD: usize = 4;
/// Slots of the fixed array an unbounded channel gets.
pub(crate) const UNBOUNDED_SLOTS: u64 = 4096;
/// Most bytes of slots an unbounded channel takes (large messages get fewer slots).
pub(crate) const UNBOUNDED_BYTES: u64 = 64 << 20;
/// Largest bounded capacity, in slots (the ring's limit too).
const MAX_SLOTS: u64 = crate::ring::config::MAX_SLOTS as u64;
/// Largest message, in bytes (the ring's limit too; it fits the `u32` length word).
const MAX_SLOT_SIZE: usize = crate::ring::config::MAX_SLOT_SIZE;

/// Parameter: the segment's name.
const SHM: &str = "shm";
/// Descriptor keys, one per role: the address lists every descriptor of
/// both roles side by side, so the two copies of one eventfd need two keys.
const DATA_TX: &str = "data_tx";
const SPACE_TX: &str = "space_tx";
const DATA_RX: &str = "data_rx";
const SPACE_RX: &str = "space_rx";

/// A side's state word: not opened yet.
const UNOPENED: u32 = 0;
/// A side's state word: opened.
const OPEN: u32 = 1;
/// A side's state word: dropped (a sender without `close`).
const GONE: u32 = 2;

/// Spins between checks of the deadline and the peer under `spin`.
const SPINS_PER_CHECK: u32 = 4096;
/// `sched_yield`s between checks under `yield`.
const YIELDS_PER_CHECK: u32 = 64;

/// The first line: the geometry, written by the creator before `magic`.
#[repr(C, align(128))]
struct Meta {
    magic: AtomicU64,
    version: AtomicU32,
    slot_count: AtomicU64,
    slot_size: AtomicU64,
    stride: AtomicU64,
}

/// Written by the sender.
#[repr(C, align(128))]
struct TailLine {
    /// Messages published (the end marker included).
    tail: AtomicU64,
    /// [`UNOPENED`], [`OPEN`] or [`GONE`].
    state: AtomicU32,
}

/// Written by the receiver.
#[repr(C, align(128))]
struct HeadLine {
    /// Messages consumed.
    head: AtomicU64,
    /// [`UNOPENED`], [`OPEN`] or [`GONE`].
    state: AtomicU32,
}

/// Written by the sender around its sleeps, read by the receiver after each message.
#[repr(C, align(128))]
struct FlagLine {
    /// 1 while the sender may be asleep on `space`.
    space_wanted: AtomicU32,
}

/// The segment header.
#[repr(C)]
struct Header {
    meta: Meta,
    tail: TailLine,
    head: HeadLine,
    flag: FlagLine,
}

const _: () = assert!(std::mem::size_of::<Header>() == SLOTS_OFFSET);

/// Bytes from one slot to the next for messages of up to `size` bytes.
fn stride_of(size: usize) -> Option<usize> {
    size.checked_add(LEN_WORD)?.checked_next_multiple_of(8)
}

/// Bytes of a segment with `count` slots of `stride` bytes.
fn segment_len(count: u64, stride: usize) -> Option<usize> {
    usize::try_from(count).ok()?.checked_mul(stride)?.checked_add(SLOTS_OFFSET).filter(|&n| n <= isize::MAX as usize)
}

/// A mapped, validated segment and its geometry.
struct Mapping {
    seg: Segment,
    count: usize,
    stride: usize,
    size: usize,
}

impl Mapping {
    fn header(&self) -> &Header {
        // SAFETY: the mapping is page-aligned (so aligned for `Header`), at
        // least SLOTS_OFFSET bytes long (checked on create and attach), and
        // lives as long as `self`; every field is an atomic, so shared
        // access with the other process is sound.
        unsafe { &*(self.seg.as_ptr() as *const Header) }
    }

    /// The start of slot `idx` (< count): its length word, then the payload.
    fn slot(&self, idx: usize) -> *mut u8 {
        debug_assert!(idx < self.count);
        // SAFETY: idx < count and the mapping holds SLOTS_OFFSET + count * stride
        // bytes (checked on create and attach), so the result is inside it.
        unsafe { self.seg.as_ptr().add(SLOTS_OFFSET + idx * self.stride) }
    }

    /// The length word of slot `idx`.
    fn len_word(&self, idx: usize) -> &AtomicU32 {
        // SAFETY: the slot is inside the mapping (see `slot`), 8-aligned
        // (SLOTS_OFFSET and the stride are multiples of 8), and lives as long
        // as `self`; the word is only ever accessed atomically.
        unsafe { &*(self.slot(idx) as *const AtomicU32) }
    }

    fn name(&self) -> &str {
        self.seg.name()
    }
}

fn shm_error(e: ShmError) -> TransportError {
    match e {
        ShmError::OutOfSharedMemory { .. } => {
            TransportError::Refused(format!("{e}; the limit is the size of the {} tmpfs", crate::shm::SHM_DIR))
        }
        ShmError::NotFound { .. } => TransportError::PeerGone(e.to_string()),
        ShmError::TooSmall { .. } => TransportError::Protocol(e.to_string()),
        ShmError::Io { op, path, source } => TransportError::io(format!("{op} {}", path.display()), source),
    }
}

/// Slots for `capacity` with messages of `stride` bytes, and how that was chosen.
fn slot_count(capacity: Capacity, size: usize, stride: usize) -> Result<(u64, Option<u64>, String), TransportError> {
    match capacity {
        Capacity::Bounded(n) => {
            let n = n as u64;
            if n > MAX_SLOTS {
                return Err(TransportError::Refused(format!(
                    "bounded:{n} exceeds eventfd-shm's limit of {MAX_SLOTS} slots"
                )));
            }
            Ok((n, Some(n), format!("slot array of {n} x {stride} bytes ({size}-byte payload) in shared memory")))
        }
        Capacity::Unbounded => {
            let n = (UNBOUNDED_BYTES / stride as u64).clamp(1, UNBOUNDED_SLOTS);
            let detail = format!(
                "a fixed array of {n} slots of {stride} bytes in shared memory ({UNBOUNDED_SLOTS} at most, \
                 {} MiB of slots at most); the sender's own queue takes what does not fit",
                UNBOUNDED_BYTES >> 20
            );
            Ok((n, None, detail))
        }
        Capacity::Rendezvous => Err(TransportError::Protocol(
            "eventfd-shm gets rendezvous from the channel layer as bounded:1 plus acknowledgements".into(),
        )),
    }
}

fn new_eventfd(what: &str) -> Result<OwnedFd, TransportError> {
    eventfd(0, EventfdFlags::CLOEXEC).map_err(|e| TransportError::io(format!("eventfd ({what})"), e))
}

fn dup(fd: &OwnedFd, what: &str) -> Result<OwnedFd, TransportError> {
    // `try_clone` is F_DUPFD_CLOEXEC: the copy is close-on-exec too.
    fd.try_clone().map_err(|e| TransportError::io(format!("dup eventfd ({what})"), e))
}

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let size = spec.message_size;
    if size == 0 {
        return Err(TransportError::Refused("message size must be at least 1 byte".into()));
    }
    if size > MAX_SLOT_SIZE {
        return Err(TransportError::TooLarge {
            len: size,
            max: MAX_SLOT_SIZE,
            limit: "the largest eventfd-shm slot (the max slot size of the shared-memory ring)".into(),
        });
    }
    let stride = stride_of(size).ok_or_else(|| TransportError::Refused(format!("{size}-byte slots overflow")))?;
    let (count, realised, detail) = slot_count(spec.capacity, size, stride)?;
    let len = segment_len(count, stride).ok_or_else(|| {
        TransportError::Refused(format!(
            "{count} slots of {stride} bytes are more shared memory than this process can map \
             (lower the capacity or the message size)"
        ))
    })?;

    let mut objects = ObjectGuard::new();
    let seg = Segment::create(&unique_name("efd"), len).map_err(shm_error)?;
    objects.add(IpcObject::ShmName(seg.name().to_owned()));
    let map = Mapping { seg, count: count as usize, stride, size };
    let m = &map.header().meta;
    m.version.store(VERSION, Ordering::Relaxed);
    m.slot_count.store(count, Ordering::Relaxed);
    m.slot_size.store(size as u64, Ordering::Relaxed);
    m.stride.store(stride as u64, Ordering::Relaxed);
    // Release: pairs with the Acquire load of `magic` in `attach`; every
    // field above is visible to whoever sees the magic.
    m.magic.store(MAGIC, Ordering::Release);

    let data = new_eventfd("data")?;
    let space = new_eventfd("space")?;
    let fds = vec![
        (Role::Sender, DATA_TX.to_owned(), dup(&data, "data")?),
        (Role::Sender, SPACE_TX.to_owned(), dup(&space, "space")?),
        (Role::Receiver, DATA_RX.to_owned(), data),
        (Role::Receiver, SPACE_RX.to_owned(), space),
    ];
    let detail = format!("{detail} (/dev/shm); eventfd wake-ups");
    let params = [(SHM.to_owned(), map.name().to_owned())].into_iter().collect();
    Ok(Created { params, fds, made: None, realised, detail, objects, keep: None })
}

/// Open and check the segment `name` against what the address says.
fn attach(name: &str, spec: &OneWaySpec) -> Result<Mapping, TransportError> {
    let seg = Segment::open(name, SLOTS_OFFSET).map_err(shm_error)?;
    let bad = |what: String| TransportError::Protocol(format!("eventfd-shm segment /dev/shm/{name}: {what}"));
    // SAFETY: the mapping is page-aligned and at least SLOTS_OFFSET bytes
    // long (`Segment::open` checked it); every field is an atomic.
    let h = unsafe { &*(seg.as_ptr() as *const Header) };
    let m = &h.meta;
    // Acquire: pairs with the creator's Release store of `magic` in `create`.
    let magic = m.magic.load(Ordering::Acquire);
    if magic != MAGIC {
        return Err(bad(format!("not an eventfd-shm segment (magic {magic:#018x}, expected {MAGIC:#018x})")));
    }
    let version = m.version.load(Ordering::Relaxed);
    if version != VERSION {
        return Err(bad(format!("layout version {version}, this build reads {VERSION}")));
    }
    let size = m.slot_size.load(Ordering::Relaxed);
    if size != spec.message_size as u64 {
        return Err(bad(format!("slot size {size} bytes, the address says {}", spec.message_size)));
    }
    let stride = stride_of(spec.message_size).filter(|&s| s as u64 == m.stride.load(Ordering::Relaxed));
    let Some(stride) = stride else {
        return Err(bad(format!("stride {} bytes does not fit its slot size", m.stride.load(Ordering::Relaxed))));
    };
    let count = m.slot_count.load(Ordering::Relaxed);
    // Exactly what `create` gives this capacity and message size, nothing the peer chose.
    let count_ok = match slot_count(spec.capacity, spec.message_size, stride) {
        Ok((expected, _, _)) => count == expected,
        Err(_) => false,
    };
    if !count_ok {
        return Err(bad(format!("{count} slots, which capacity {} does not give", spec.capacity)));
    }
    match segment_len(count, stride) {
        Some(needed) if needed <= seg.len() => {}
        _ => return Err(bad(format!("{} bytes, too small for {count} slots of {stride} bytes", seg.len()))),
    }
    Ok(Mapping { seg, count: count as usize, stride, size: spec.message_size })
}

/// Claim one side's state word: an end opens once.
fn claim(state: &AtomicU32, which: &str, name: &str) -> Result<(), TransportError> {
    // Relaxed: the word only guards against a second opener; nothing is published through it.
    match state.compare_exchange(UNOPENED, OPEN, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => Ok(()),
        Err(_) => Err(TransportError::Protocol(format!("the {which} end of /dev/shm/{name} was already opened"))),
    }
}

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

fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let map = attach(src.param(SHM)?, spec)?;
    let data = src.take_fd(DATA_TX)?;
    let space = src.take_fd(SPACE_TX)?;
    claim(&map.header().tail.state, "sending", map.name())?;
    // Resume from the shared positions (both 0 for a fresh channel). Any
    // value is safe: positions only ever index modulo `count`, and are
    // compared and advanced with wrapping arithmetic.
    let h = map.header();
    let tail = h.tail.tail.load(Ordering::Relaxed);
    // Acquire: pairs with the receiver's store of `head`; the slots before it are free.
    let head = h.head.head.load(Ordering::Acquire);
    let idx = (tail % map.count as u64) as usize;
    Ok(Box::new(EfdSender {
        map,
        tail,
        idx,
        head_seen: head,
        data,
        space,
        wait: spec.wait,
        watch: PeerWatch::new(opts.peer, opts.timeout),
        closed: false,
    }))
}

fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let map = attach(src.param(SHM)?, spec)?;
    let data = src.take_fd(DATA_RX)?;
    let space = src.take_fd(SPACE_RX)?;
    claim(&map.header().head.state, "receiving", map.name())?;
    let head = map.header().head.head.load(Ordering::Relaxed);
    let idx = (head % map.count as u64) as usize;
    Ok(Box::new(EfdReceiver {
        map,
        head,
        idx,
        tail_seen: head,
        balance: 0,
        data,
        space,
        wait: spec.wait,
        watch: PeerWatch::new(opts.peer, opts.timeout),
        finished: false,
    }))
}

/// The sending end.
struct EfdSender {
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
struct EfdReceiver {
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    fn spec(capacity: Capacity, size: usize) -> ChannelSpec {
        ChannelSpec::new(TransportKind::EventfdShm, capacity, size)
    }

    fn one_way(capacity: Capacity, size: usize) -> OneWaySpec {
        OneWaySpec {
            capacity,
            message_size: size,
            fixed_size: false,
            wait: WaitStrategy::Block,
            variant: crate::ring::Variant::Ring,
            timeout: Duration::from_secs(5),
        }
    }

    /// The segment names in a channel's address.
    fn segments(chan: &Channel) -> Vec<String> {
        chan.address().params("shm").map(str::to_owned).collect()
    }

    /// Message `seq`: its number, then a length and bytes that depend on it.
    fn message(seq: u64, size: usize) -> Vec<u8> {
        let len = 8 + (seq as usize * 7) % (size - 7);
        let mut m = vec![(seq % 251) as u8; len];
        m[..8].copy_from_slice(&seq.to_le_bytes());
        m
    }

    fn round_trip(capacity: Capacity, wait: WaitStrategy, n: u64) {
        let size = 40;
        let mut chan = Channel::create(&spec(capacity, size).wait(wait).timeout(Duration::from_secs(10))).unwrap();
        let names = segments(&chan);
        assert!(!names.is_empty());
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let sender = std::thread::spawn(move || {
            for seq in 0..n {
                tx.send(&message(seq, size)).unwrap();
            }
            tx.finish().unwrap()
        });
        let mut buf = vec![0u8; size];
        let mut seq = 0;
        loop {
            match rx.recv(&mut buf) {
                Ok(len) => {
                    assert_eq!(&buf[..len], &message(seq, size)[..], "message {seq}");
                    seq += 1;
                }
                Err(e) if e.is_disconnected() => break,
                Err(e) => panic!("recv after {seq}: {e}"),
            }
        }
        assert_eq!(seq, n);
        assert!(rx.recv(&mut buf).unwrap_err().is_disconnected());
        let stats = sender.join().unwrap();
        assert_eq!(stats.sent, n);
        if capacity == Capacity::Rendezvous {
            assert_eq!(stats.acks, n);
        }
        drop((rx, chan));
        for name in names {
            assert!(!crate::shm::path_of(&name).exists(), "{name} left behind");
        }
    }

    #[test]
    fn rendezvous_round_trip() {
        round_trip(Capacity::Rendezvous, WaitStrategy::Block, 300);
    }

    #[test]
    fn bounded_round_trip() {
        round_trip(Capacity::Bounded(4), WaitStrategy::Block, 3000);
    }

    #[test]
    fn unbounded_round_trip() {
        round_trip(Capacity::Unbounded, WaitStrategy::Block, 6000);
    }

    #[test]
    fn spin_and_yield_round_trip() {
        round_trip(Capacity::Bounded(2), WaitStrategy::Yield, 500);
        round_trip(Capacity::Bounded(3), WaitStrategy::Spin, 500);
    }

    #[test]
    fn try_send_refuses_after_exactly_realised() {
        for n in [1usize, 64, 1024] {
            let mut chan = Channel::create(&spec(Capacity::Bounded(n), 16)).unwrap();
            let realised = chan.realised();
            assert_eq!(realised.messages, Some(n as u64), "{}", realised.detail);
            let _rx = chan.open_receiver(&OpenOptions::default()).unwrap();
            let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
            let mut accepted = 0u64;
            while tx.try_send(&[7u8; 16]).unwrap() {
                accepted += 1;
                assert!(accepted <= n as u64);
            }
            assert_eq!(accepted, n as u64);
            assert!(!tx.try_send(&[7u8; 16]).unwrap());
        }
    }

    #[test]
    fn unbounded_spills_beyond_the_fixed_array() {
        let mut chan = Channel::create(&spec(Capacity::Unbounded, 16)).unwrap();
        assert_eq!(chan.realised().messages, None);
        assert!(chan.realised().detail.contains("4096 slots"), "{}", chan.realised().detail);
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let n = UNBOUNDED_SLOTS + 100;
        for seq in 0..n {
            tx.send(&seq.to_le_bytes()).unwrap();
        }
        assert_eq!(tx.stats().spilled, 100);
        let drain = std::thread::spawn(move || {
            let mut buf = [0u8; 16];
            let mut seq = 0u64;
            while let Ok(len) = rx.recv(&mut buf) {
                assert_eq!(buf[..len], seq.to_le_bytes());
                seq += 1;
            }
            seq
        });
        tx.finish().unwrap();
        assert_eq!(drain.join().unwrap(), n);
    }

    #[test]
    fn oversized_messages_are_refused() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(2), 16)).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        assert!(matches!(tx.send(&[0u8; 17]), Err(TransportError::TooLarge { len: 17, max: 16, .. })));
        assert!(matches!(tx.send(&[]), Err(TransportError::Empty)));
        let huge = spec(Capacity::Bounded(1), MAX_SLOT_SIZE + 1);
        let err = Channel::create(&huge).err().unwrap();
        assert!(matches!(err, TransportError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("max slot size"), "{err}");
        let many = spec(Capacity::Bounded(1 << 31), 16);
        assert!(matches!(Channel::create(&many), Err(TransportError::Refused(_))));
    }

    #[test]
    fn sender_dropped_without_finishing_is_peer_gone() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(8), 16)).unwrap();
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let t = std::thread::spawn(move || {
            tx.send(b"last").unwrap();
            std::thread::sleep(Duration::from_millis(50));
            drop(tx);
        });
        let mut buf = [0u8; 16];
        assert_eq!(rx.recv(&mut buf).unwrap(), 4);
        assert!(matches!(rx.recv(&mut buf), Err(TransportError::PeerGone(_))));
        t.join().unwrap();
    }

    #[test]
    fn receiver_dropped_is_peer_gone_for_a_waiting_sender() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(1), 16)).unwrap();
        let rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        tx.send(b"fills").unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(rx);
        });
        assert!(matches!(tx.send(b"blocks"), Err(TransportError::PeerGone(_))));
        t.join().unwrap();
    }

    #[test]
    fn waits_time_out() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(1), 16)).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(150) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let mut tx = chan.open_sender(&opts).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(rx.recv(&mut buf), Err(TransportError::Timeout(_))));
        tx.send(b"one").unwrap();
        assert!(matches!(tx.send(b"two"), Err(TransportError::Timeout(_))));
        assert_eq!(rx.recv(&mut buf).unwrap(), 3);
    }

    #[test]
    fn attach_checks_the_header() {
        let created = create(&one_way(Capacity::Bounded(4), 16)).unwrap();
        let name = created.params[SHM].clone();
        attach(&name, &one_way(Capacity::Bounded(4), 16)).unwrap();
        let err = attach(&name, &one_way(Capacity::Bounded(4), 32)).err().unwrap().to_string();
        assert!(err.contains("slot size 16"), "{err}");
        let err = attach(&name, &one_way(Capacity::Bounded(5), 16)).err().unwrap().to_string();
        assert!(err.contains("4 slots"), "{err}");
        // An unbounded segment has exactly the slots its message size gives it.
        let unbounded = create(&one_way(Capacity::Unbounded, 16)).unwrap();
        let shrunk = attach(&unbounded.params[SHM], &one_way(Capacity::Unbounded, 16)).unwrap();
        shrunk.header().meta.slot_count.store(3, Ordering::Relaxed);
        let err = attach(&unbounded.params[SHM], &one_way(Capacity::Unbounded, 16)).err().unwrap().to_string();
        assert!(err.contains("3 slots"), "{err}");
        drop(created);
        assert!(!crate::shm::path_of(&name).exists());
        assert!(matches!(attach(&name, &one_way(Capacity::Bounded(4), 16)), Err(TransportError::PeerGone(_))));

        let other = Segment::create(&unique_name("efd-garbage"), 4096).unwrap();
        let mut guard = ObjectGuard::new();
        guard.add(IpcObject::ShmName(other.name().to_owned()));
        let err = attach(other.name(), &one_way(Capacity::Bounded(4), 16)).err().unwrap().to_string();
        assert!(err.contains("not an eventfd-shm segment"), "{err}");
    }

    /// A receiver that claims to be ahead of the sender (a peer that
    /// breaks the protocol) costs the sender a wait that times out, not a
    /// panic on overflow.
    #[test]
    fn a_head_past_the_tail_is_a_timeout_not_a_panic() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(2), 16)).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(100) };
        let _rx = chan.open_receiver(&opts).unwrap();
        let mut tx = chan.open_sender(&opts).unwrap();
        let map = attach(&segments(&chan)[0], &one_way(Capacity::Bounded(2), 16)).unwrap();
        map.header().head.head.store(1000, Ordering::Relaxed);
        tx.send(b"one").unwrap();
        tx.send(b"two").unwrap();
        assert!(matches!(tx.send(b"three"), Err(TransportError::Timeout(_))));
    }

    #[test]
    fn each_end_opens_once() {
        let mut created = create(&one_way(Capacity::Bounded(2), 8)).unwrap();
        let spec = one_way(Capacity::Bounded(2), 8);
        let params: BTreeMap<String, String> = created.params.clone();
        let mut src = Source { params: &params, fds: Some(&mut created.fds), made: None, role: Role::Sender };
        let _tx = open_sender(&spec, &mut src, &OpenOptions::default()).unwrap();
        let map = attach(&params[SHM], &spec).unwrap();
        let err = claim(&map.header().tail.state, "sending", map.name()).unwrap_err().to_string();
        assert!(err.contains("already opened"), "{err}");
        assert!(Path::new(&crate::shm::path_of(&params[SHM])).exists());
    }
}
