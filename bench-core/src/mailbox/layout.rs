//! The bytes of a mailbox segment, and the checked view of them ([`Region`]).
//!
//! ```text
//! offset    0  Header          magic, version, layout and geometry hashes, shape; `initialised` last
//! offset  128  SenderLine      tail (next position to claim) | census (registered << 32 | open) | abandoned
//! offset  256  ReceiverLine    head (positions taken) | pid | closed
//! offset  384  receiver wait   futex word the receiver sleeps on (alone)
//! offset  512  senders wait    `Crowd`: count and epoch every waiting sender sleeps on
//! offset  640  SenderTable     MAX_SENDERS x (pid << 32 | open): who to watch for liveness
//! offset 1152  [mutex design]  LockedLine: pthread mutex, two condvar words, put/taken, holder
//! then         slots           slot_count x [seq u64][len u64][payload, slot_size rounded to 8]
//! ```
//!
//! Lines are 128 bytes apart for the reason the ring's are (`ring::layout`).
//!
//! # What a peer that breaks the protocol can do
//! Every process that maps the segment can write every byte of it, so each
//! field is an atomic (reading what a peer writes is never a data race),
//! the header is checked field by field on attach, and after that:
//! every slot index is a position reduced modulo the validated slot count
//! ([`Region::slot_of`]), every length read from a slot is checked against
//! the slot size before a slice is formed, every table index is this
//! side's own loop counter below [`MAX_SENDERS`]. A peer's garbage reaches
//! the caller as a wrong message, a `Corrupt` error, or a wait that times
//! out: never a read or write outside the mapping. The mutex design is the
//! exception it has to be: a `pthread_mutex_t` in shared memory is only as
//! sound as every process that maps it (glibc trusts its fields).

use std::sync::Arc;

use super::config::{Capacity, Design, MAX_SENDERS, MAX_SLOT_BYTES, MAX_SLOT_SIZE, MAX_SLOTS, WaitStrategy};
use super::error::MailboxError;
use crate::ring::wait::Crowd;
use crate::sync::{AtomicU32, AtomicU64, FutexWord, Ordering};

/// "RSMAILBX", little-endian.
const MAGIC: u64 = u64::from_le_bytes(*b"RSMAILBX");
/// Bumped whenever the meaning of any byte changes.
const VERSION: u32 = 1;
/// Value of `Header::initialised` once every other field is written.
const READY: u32 = 0x5245_4459;
/// Bytes in a padded line.
const LINE: usize = 128;
/// Bytes before the payload in a slot: its sequence word and its length.
const SLOT_WORDS: usize = 16;

/// `SenderEntry::word` of a free entry.
pub(crate) const ENTRY_FREE: u64 = 0;
/// `SenderEntry::word` of the entry of an open sender in process `pid`:
/// pid and state in one word, so a reader never pairs one sender's pid
/// with another's state.
pub(crate) fn entry_open(pid: u32) -> u64 {
    (u64::from(pid) << 32) | 1
}
/// The pid of an open sender's entry word; `None` for a free entry (or garbage).
pub(crate) fn entry_pid(word: u64) -> Option<u32> {
    (word as u32 == 1).then_some((word >> 32) as u32)
}
/// One open sender in `SenderLine::census` (its low 32 bits).
pub(crate) const CENSUS_OPEN: u64 = 1;
/// One registration in `SenderLine::census` (its high 32 bits).
pub(crate) const CENSUS_REGISTERED: u64 = 1 << 32;

/// Senders open now, from a census word.
pub(crate) fn census_open(census: u64) -> u32 {
    census as u32
}

/// Registrations so far (wrapping at 2^32), from a census word.
pub(crate) fn census_registered(census: u64) -> u32 {
    (census >> 32) as u32
}

/// Segment header. Written by the creator before `initialised`; read-only after.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct Header {
    magic: AtomicU64,
    layout_hash: AtomicU64,
    /// [`Geometry::hash`] of the fields below: a header torn or scribbled
    /// on is refused even where each field alone is in range.
    geometry_hash: AtomicU64,
    version: AtomicU32,
    design: AtomicU32,
    mode: AtomicU32,
    wait: AtomicU32,
    slot_count: AtomicU64,
    slot_size: AtomicU64,
    /// [`MailboxConfig::expected_senders`](super::MailboxConfig::expected_senders), 0 for none.
    expected_senders: AtomicU32,
    initialised: AtomicU32,
}

/// The senders' shared line.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct SenderLine {
    /// Lock-free design: the next position a sender claims (monotonic).
    pub(crate) tail: AtomicU64,
    /// `registered << 32 | open`: registrations so far and senders open
    /// now, in one word so the receiver reads both at one instant.
    pub(crate) census: AtomicU64,
    /// Nonzero once a sender abandoned the stream.
    pub(crate) abandoned: AtomicU32,
}

/// The receiver's line.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct ReceiverLine {
    /// Lock-free design: positions taken so far (every position below has
    /// been read and its slot handed back); what a rendezvous sender waits on.
    pub(crate) head: AtomicU64,
    /// Pid of the process that claimed the receiving end, 0 if none.
    pub(crate) pid: AtomicU32,
    /// Nonzero once the receiver dropped its end.
    pub(crate) closed: AtomicU32,
}

/// The receiver's futex word, alone on its line.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct ReceiverWait {
    pub(crate) futex: FutexWord,
}

/// The words every waiting sender sleeps on, alone on their line.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct SendersWait {
    pub(crate) crowd: Crowd,
}

/// One registered sender.
#[repr(C)]
#[derive(Default)]
pub(crate) struct SenderEntry {
    /// [`ENTRY_FREE`], or [`entry_open`] of the sender's pid.
    pub(crate) word: AtomicU64,
}

/// Who has registered: [`MAX_SENDERS`] entries.
#[repr(C, align(128))]
pub(crate) struct SenderTable {
    pub(crate) entries: [SenderEntry; MAX_SENDERS],
}

/// Every line before the design's own part, at the offsets of a mapped segment.
#[repr(C)]
pub(crate) struct Lines {
    pub(crate) header: Header,
    pub(crate) senders: SenderLine,
    pub(crate) receiver: ReceiverLine,
    pub(crate) receiver_wait: ReceiverWait,
    pub(crate) senders_wait: SendersWait,
    pub(crate) table: SenderTable,
}

/// Bytes of [`Lines`].
const LINES_LEN: usize = std::mem::size_of::<Lines>();

/// The mutex design's line: the textbook's lock, condition variables (futex
/// sequence words: `locked` says why not `pthread_cond_t`) and counters. Everything but the pthread objects is atomic, though only
/// touched under the lock, so a peer's scribbling is never a data race.
#[cfg(not(loom))]
#[repr(C, align(128))]
pub(crate) struct LockedLine {
    pub(crate) mutex: std::cell::UnsafeCell<libc::pthread_mutex_t>,
    /// The receiver's condition variable: a sequence word (see `locked`).
    pub(crate) not_empty: FutexWord,
    /// The senders' condition variable: a sequence word.
    pub(crate) not_full: FutexWord,
    /// Messages put so far: the textbook's `in` is `put % slot_count`.
    pub(crate) put: AtomicU64,
    /// Messages taken so far: `out` is `taken % slot_count`.
    pub(crate) taken: AtomicU64,
    /// Pid of the process holding the lock, 0 if none: who died when
    /// `pthread_mutex_lock` says `EOWNERDEAD`.
    pub(crate) holder: AtomicU32,
    /// Pid of a process that died holding the lock (the mailbox is then
    /// broken for everyone), 0 if none.
    pub(crate) owner_died: AtomicU32,
}

/// Bytes of the mutex design's line.
#[cfg(not(loom))]
const LOCKED_LEN: usize = std::mem::size_of::<LockedLine>();
/// No mutex design under loom.
#[cfg(loom)]
const LOCKED_LEN: usize = 0;

const _: () = {
    assert!(std::mem::size_of::<Header>() == LINE);
    assert!(std::mem::size_of::<SenderLine>() == LINE);
    assert!(std::mem::size_of::<ReceiverLine>() == LINE);
    assert!(LINES_LEN % LINE == 0);
    assert!(LOCKED_LEN % LINE == 0);
};

/// The shape of one mailbox, derived from a config or read from a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) design: Design,
    pub(crate) capacity: Capacity,
    pub(crate) wait: WaitStrategy,
    pub(crate) slot_size: usize,
    /// Slots: `n` for `Bounded(n)`, 1 for `Rendezvous`; at most [`MAX_SLOTS`].
    pub(crate) slot_count: usize,
    /// 0 for none.
    pub(crate) expected_senders: u32,
}

impl Geometry {
    /// The geometry of a validated config.
    pub(crate) fn for_config(config: &super::MailboxConfig) -> Result<Self, MailboxError> {
        config.validate()?;
        Ok(Self {
            design: config.design,
            capacity: config.capacity,
            wait: config.wait,
            slot_size: config.slot_size,
            slot_count: config.slot_count()?,
            expected_senders: config.expected_senders.unwrap_or(0) as u32,
        })
    }

    /// Bytes from one slot to the next.
    pub(crate) fn stride(&self) -> usize {
        SLOT_WORDS + self.slot_size.next_multiple_of(8)
    }

    /// Where the slots start.
    fn slots_offset(&self) -> usize {
        match self.design {
            Design::LockFree => LINES_LEN,
            Design::Mutex => LINES_LEN + LOCKED_LEN,
        }
    }

    /// Bytes of the whole segment (within `MAX_SLOT_BYTES` of slots, checked by the config).
    pub(crate) fn segment_len(&self) -> usize {
        self.slots_offset() + self.slot_count * self.stride()
    }

    /// FNV-1a over the shape: what `Header::geometry_hash` must hold.
    fn hash(&self) -> u64 {
        fnv(&[
            u64::from(encode_design(self.design)),
            u64::from(encode_mode(self.capacity)),
            u64::from(encode_wait(self.wait)),
            self.slot_size as u64,
            self.slot_count as u64,
            u64::from(self.expected_senders),
        ])
    }
}

/// FNV-1a over the bytes of `parts`.
const fn fnv(parts: &[u64]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < parts.len() {
        let mut b = 0;
        while b < 8 {
            h ^= (parts[i] >> (b * 8)) & 0xff;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
            b += 1;
        }
        i += 1;
    }
    h
}

/// Everything that fixes where a byte lives, so a build with another
/// layout (or word size) refuses to attach.
const fn layout_hash() -> u64 {
    fnv(&[
        VERSION as u64,
        LINE as u64,
        LINES_LEN as u64,
        LOCKED_LEN as u64,
        SLOT_WORDS as u64,
        MAX_SENDERS as u64,
        usize::BITS as u64,
        cfg!(target_endian = "little") as u64,
    ])
}

fn encode_design(d: Design) -> u32 {
    match d {
        Design::LockFree => 1,
        Design::Mutex => 2,
    }
}

fn encode_mode(c: Capacity) -> u32 {
    match c {
        Capacity::Rendezvous => 1,
        Capacity::Bounded(_) => 2,
        Capacity::Unbounded => 3,
    }
}

fn encode_wait(w: WaitStrategy) -> u32 {
    match w {
        WaitStrategy::Spin => 1,
        WaitStrategy::Yield => 2,
        WaitStrategy::Block => 3,
    }
}

/// Where a region's memory comes from.
enum Backing {
    #[cfg(not(loom))]
    Shm(crate::shm::Segment),
    #[cfg(loom)]
    Heap(HeapMailbox),
}

/// A heap-backed mailbox for loom: the same lines; the slot words held
/// apart (loom atomics cannot be conjured from raw bytes) and one loom cell
/// per slot standing in for the payload, so loom checks that every payload
/// access is ordered by the protocol.
#[cfg(loom)]
struct HeapMailbox {
    lines: Box<Lines>,
    seqs: Box<[AtomicU64]>,
    lens: Box<[AtomicU64]>,
    cells: Box<[loom::cell::UnsafeCell<()>]>,
    bytes: Box<[std::cell::UnsafeCell<u64>]>,
}

/// One mapped mailbox with a validated header.
///
/// Invariant: the [`Lines`] at `base`, the mutex design's line after them,
/// and `slot_count * stride` bytes at `slots` lie inside `backing`, which
/// lives as long as this `Region` (and every clone: they share one `Arc`).
#[derive(Clone)]
pub(crate) struct Region {
    inner: Arc<RegionInner>,
    geometry: Geometry,
}

struct RegionInner {
    base: *mut u8,
    slots: *mut u8,
    /// Owns the memory `base` and `slots` point into.
    _backing: Backing,
}

// SAFETY: the region is only reached through atomics, through slot
// accesses that the mailbox protocol hands to one side at a time, and (in
// the mutex design) through the process-shared pthread objects, made for
// use from any thread; the raw pointers are into `backing`.
unsafe impl Send for RegionInner {}
// SAFETY: as above; shared access is what the atomics and the lock are for.
unsafe impl Sync for RegionInner {}

impl Region {
    /// Create and initialise a new segment under a fresh unique name.
    #[cfg(not(loom))]
    pub(crate) fn create(g: &Geometry) -> Result<Self, MailboxError> {
        let seg = crate::shm::Segment::create_unique(g.segment_len())?;
        let name = seg.name().to_owned();
        let (base, len) = (seg.as_ptr(), seg.len());
        debug_assert!(len >= g.segment_len());
        // SAFETY: the mapping is `segment_len` bytes, so the slots offset is inside it.
        let slots = unsafe { base.add(g.slots_offset()) };
        let region = Self { inner: Arc::new(RegionInner { base, slots, _backing: Backing::Shm(seg) }), geometry: *g };
        if let Err(e) = region.initialise() {
            let _ = crate::shm::unlink(&name);
            return Err(e);
        }
        Ok(region)
    }

    /// Open, map and validate an existing segment.
    #[cfg(not(loom))]
    pub(crate) fn attach(name: &str) -> Result<Self, MailboxError> {
        let seg = crate::shm::Segment::open(name, LINES_LEN)?;
        let (base, len) = (seg.as_ptr(), seg.len());
        // SAFETY: the mapping is at least LINES_LEN bytes (checked by
        // `open`) and page-aligned, so the lines fit at its start; every
        // field is atomic, so concurrent writes by a peer are not UB.
        let header = unsafe { &(*(base as *const Lines)).header };
        let g = read_header(header, name, len)?;
        // SAFETY: `read_header` checked the mapping holds `segment_len`
        // bytes, so the slots offset is inside it.
        let slots = unsafe { base.add(g.slots_offset()) };
        Ok(Self { inner: Arc::new(RegionInner { base, slots, _backing: Backing::Shm(seg) }), geometry: g })
    }

    /// A heap mailbox for loom models; clone it for the other ends.
    #[cfg(loom)]
    pub(crate) fn heap(g: &Geometry) -> Self {
        let lines = Box::new(Lines {
            header: Header::default(),
            senders: SenderLine::default(),
            receiver: ReceiverLine::default(),
            receiver_wait: ReceiverWait::default(),
            senders_wait: SendersWait::default(),
            table: SenderTable { entries: std::array::from_fn(|_| SenderEntry::default()) },
        });
        let n = g.slot_count;
        let payload_words = g.slot_size.div_ceil(8);
        let mut heap = HeapMailbox {
            lines,
            seqs: (0..n).map(|_| AtomicU64::new(0)).collect(),
            lens: (0..n).map(|_| AtomicU64::new(0)).collect(),
            cells: (0..n).map(|_| loom::cell::UnsafeCell::new(())).collect(),
            bytes: (0..n * payload_words).map(|_| std::cell::UnsafeCell::new(0)).collect(),
        };
        let base = &mut *heap.lines as *mut Lines as *mut u8;
        let slots = heap.bytes.as_ptr() as *mut u8;
        let region = Self { inner: Arc::new(RegionInner { base, slots, _backing: Backing::Heap(heap) }), geometry: *g };
        region.initialise().expect("a heap mailbox needs no system call to initialise");
        region
    }

    /// Write the header and the design's initial state, `initialised` last.
    fn initialise(&self) -> Result<(), MailboxError> {
        let g = &self.geometry;
        match g.design {
            Design::LockFree => {
                // Vyukov's initial state: slot i is free for position i.
                for idx in 0..g.slot_count {
                    self.seq(idx).store(super::lockfree::free_for(idx as u64), Ordering::Relaxed);
                }
            }
            #[cfg(not(loom))]
            Design::Mutex => super::locked::initialise(self.locked(), self.name())?,
            #[cfg(loom)]
            Design::Mutex => unreachable!("the mutex design is refused under loom before a region is made"),
        }
        let h = &self.lines().header;
        h.magic.store(MAGIC, Ordering::Relaxed);
        h.layout_hash.store(layout_hash(), Ordering::Relaxed);
        h.geometry_hash.store(g.hash(), Ordering::Relaxed);
        h.version.store(VERSION, Ordering::Relaxed);
        h.design.store(encode_design(g.design), Ordering::Relaxed);
        h.mode.store(encode_mode(g.capacity), Ordering::Relaxed);
        h.wait.store(encode_wait(g.wait), Ordering::Relaxed);
        h.slot_count.store(g.slot_count as u64, Ordering::Relaxed);
        h.slot_size.store(g.slot_size as u64, Ordering::Relaxed);
        h.expected_senders.store(g.expected_senders, Ordering::Relaxed);
        // Release: pairs with the Acquire load in `read_header`; every field
        // above, the slots' sequence words and the pthread objects are
        // visible to whoever sees READY.
        h.initialised.store(READY, Ordering::Release);
        Ok(())
    }

    /// The mailbox's shape.
    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// The segment's name (`heap` under loom).
    pub(crate) fn name(&self) -> &str {
        #[cfg(not(loom))]
        {
            let Backing::Shm(seg) = &self.inner._backing;
            seg.name()
        }
        #[cfg(loom)]
        "heap"
    }

    /// The lines before the design's own part.
    #[inline(always)]
    pub(crate) fn lines(&self) -> &Lines {
        // SAFETY: per the struct invariant the lines lie at `base` for as long as self.
        unsafe { &*(self.inner.base as *const Lines) }
    }

    /// The mutex design's line (only in a mutex mailbox).
    #[cfg(not(loom))]
    pub(crate) fn locked(&self) -> &LockedLine {
        debug_assert_eq!(self.geometry.design, Design::Mutex);
        // SAFETY: per the struct invariant; in a mutex mailbox (the only
        // caller) the line follows the lines at LINES_LEN, inside the mapping.
        unsafe { &*(self.inner.base.add(LINES_LEN) as *const LockedLine) }
    }

    /// The slot of `position`: the only way a slot index is formed, so
    /// every index is below the validated slot count.
    #[inline(always)]
    pub(crate) fn slot_of(&self, position: u64) -> usize {
        (position % self.geometry.slot_count as u64) as usize
    }

    /// Slot `idx`'s sequence word (lock-free design).
    #[inline(always)]
    pub(crate) fn seq(&self, idx: usize) -> &AtomicU64 {
        assert!(idx < self.geometry.slot_count);
        #[cfg(not(loom))]
        // SAFETY: idx < slot_count, so the slot lies inside the mapping;
        // slots are 8-aligned (the offset and the stride are multiples of 8).
        unsafe {
            &*(self.inner.slots.add(idx * self.geometry.stride()) as *const AtomicU64)
        }
        #[cfg(loom)]
        {
            let Backing::Heap(h) = &self.inner._backing;
            &h.seqs[idx]
        }
    }

    /// Slot `idx`'s length word.
    #[inline(always)]
    pub(crate) fn len(&self, idx: usize) -> &AtomicU64 {
        assert!(idx < self.geometry.slot_count);
        #[cfg(not(loom))]
        // SAFETY: as in `seq`; the length is the slot's second word.
        unsafe {
            &*(self.inner.slots.add(idx * self.geometry.stride() + 8) as *const AtomicU64)
        }
        #[cfg(loom)]
        {
            let Backing::Heap(h) = &self.inner._backing;
            &h.lens[idx]
        }
    }

    /// Slot `idx`'s payload: `slot_size` bytes.
    #[inline(always)]
    pub(crate) fn payload(&self, idx: usize) -> *mut u8 {
        assert!(idx < self.geometry.slot_count);
        #[cfg(not(loom))]
        let offset = idx * self.geometry.stride() + SLOT_WORDS;
        #[cfg(loom)]
        let offset = idx * self.geometry.slot_size.next_multiple_of(8);
        // SAFETY: idx < slot_count, so the slot's payload lies inside the
        // mapping (or the heap's byte array, `slot_size` rounded to 8 per slot).
        unsafe { self.inner.slots.add(offset) }
    }

    /// Loom only: record a write access to slot `idx`'s payload.
    #[inline(always)]
    pub(crate) fn note_write(&self, _idx: usize) {
        #[cfg(loom)]
        {
            let Backing::Heap(h) = &self.inner._backing;
            h.cells[_idx].with_mut(|_| ());
        }
    }

    /// Loom only: record a read access to slot `idx`'s payload.
    #[inline(always)]
    pub(crate) fn note_read(&self, _idx: usize) {
        #[cfg(loom)]
        {
            let Backing::Heap(h) = &self.inner._backing;
            h.cells[_idx].with(|_| ());
        }
    }
}

/// Read and check every header field of a segment someone else created.
#[cfg(not(loom))]
fn read_header(h: &Header, name: &str, mapped_len: usize) -> Result<Geometry, MailboxError> {
    let bad = |reason: String| MailboxError::Incompatible { path: crate::shm::path_of(name), reason };
    // Acquire: pairs with the Release store of READY in `initialise`.
    let init = h.initialised.load(Ordering::Acquire);
    let magic = h.magic.load(Ordering::Relaxed);
    if magic != MAGIC {
        return Err(bad(format!("magic {magic:#018x} is not the mailbox's {MAGIC:#018x}")));
    }
    if init != READY {
        return Err(bad("header was never fully initialised (its creator died while creating it)".into()));
    }
    let version = h.version.load(Ordering::Relaxed);
    if version != VERSION {
        return Err(bad(format!("layout version {version}, this build speaks version {VERSION}")));
    }
    let hash = h.layout_hash.load(Ordering::Relaxed);
    if hash != layout_hash() {
        return Err(bad(format!("layout hash {hash:#x} differs from this build's {:#x}", layout_hash())));
    }
    let design = match h.design.load(Ordering::Relaxed) {
        1 => Design::LockFree,
        2 => Design::Mutex,
        d => return Err(bad(format!("unknown design code {d}"))),
    };
    let wait = match h.wait.load(Ordering::Relaxed) {
        1 => WaitStrategy::Spin,
        2 => WaitStrategy::Yield,
        3 => WaitStrategy::Block,
        w => return Err(bad(format!("unknown wait strategy code {w}"))),
    };
    let slot_count = h.slot_count.load(Ordering::Relaxed);
    let capacity = match h.mode.load(Ordering::Relaxed) {
        1 if slot_count == 1 => Capacity::Rendezvous,
        2 if slot_count >= 1 && slot_count <= MAX_SLOTS as u64 => Capacity::Bounded(slot_count as usize),
        m => return Err(bad(format!("capacity mode {m} with {slot_count} slots"))),
    };
    let slot_size = h.slot_size.load(Ordering::Relaxed);
    if slot_size == 0 || slot_size > MAX_SLOT_SIZE as u64 {
        return Err(bad(format!("slot size {slot_size} out of range")));
    }
    if slot_count.saturating_mul(slot_size.next_multiple_of(8)) > MAX_SLOT_BYTES as u64 {
        return Err(bad(format!("{slot_count} slots of {slot_size} bytes exceed {MAX_SLOT_BYTES} bytes")));
    }
    let expected_senders = h.expected_senders.load(Ordering::Relaxed);
    if expected_senders as usize > MAX_SENDERS {
        return Err(bad(format!("{expected_senders} expected senders exceed the table's {MAX_SENDERS}")));
    }
    let g = Geometry {
        design,
        capacity,
        wait,
        slot_size: slot_size as usize,
        slot_count: slot_count as usize,
        expected_senders,
    };
    let geometry_hash = h.geometry_hash.load(Ordering::Relaxed);
    if geometry_hash != g.hash() {
        return Err(bad(format!("geometry hash {geometry_hash:#x} does not match its fields ({:#x})", g.hash())));
    }
    if mapped_len < g.segment_len() {
        return Err(bad(format!("segment is {mapped_len} bytes but its header needs {}", g.segment_len())));
    }
    Ok(g)
}
