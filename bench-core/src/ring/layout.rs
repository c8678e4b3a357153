//! The bytes of a ring segment, and the checked view of them ([`Region`]).
//!
//! ```text
//! offset   0  Header         magic, version, layout hash, geometry, mode; `initialised` published last
//! offset 128  ProducerLine   textbook `in`+`out` | sealed | closed | pid | segments_created
//! offset 256  ConsumerLine   head (ring) or `out` (padded) | closed | pid | segments_released
//! offset 384  producer wait  futex word the producer sleeps on (written only around sleeps)
//! offset 512  consumer wait  futex word the consumer sleeps on
//! offset 640  slots          slot_count / per_block blocks of `stride` bytes
//! ```
//!
//! Lines are 128 bytes, not 64: x86-64 prefetchers pull cache lines in
//! aligned pairs, so two hot words 64 bytes apart still interfere
//! (crossbeam-utils' `CachePadded` documents the same choice).
//!
//! Slots come in blocks: `[u64 word][payload; slot_size] x per_block`. A
//! block holds one slot (padded to 8 bytes) except in the full design with
//! fixed-size messages of at most 28 bytes, whose blocks are one 64-byte
//! cache line holding as many as fit beside the word (seven of 8 bytes), so
//! a small message does not pay a word of its own, and the word and the
//! messages it covers never straddle two lines. The number of blocks is a
//! power of two; a slot's index is `block << shift | slot_in_block`, with
//! `1 << shift >= per_block` (indices past `per_block` in a block are unused). In the full design the word
//! is `len << 32 | stamp`, where `stamp` is the low 32 bits of `position + 1`
//! of the block's newest message; the consumer polls it instead of the
//! producer's index, so a message costs one cache-line transfer, not two.
//! The classic variants keep only the length in the word and synchronise on
//! `in`/`out`.
//!
//! The peer is another process that may be buggy or gone, so an attached
//! header is checked field by field ([`Region::attach`]) and every field is an
//! atomic: reading memory the peer may write is never a data race. The
//! header holds the segment's shape and nothing a side decides for itself:
//! each side waits by its own timeout and caps a chain by its own limit.
//!
//! # What a peer that breaks the protocol can do
//! After attach, every index into the mapping comes from this side's own
//! cursor, masked or reduced modulo the validated slot count, and every
//! length from a slot word is checked against the slot size before a slice
//! is formed (or clamped to it), so no value the peer writes can make us
//! read or write outside the mapping. Its words decide only *which* of our
//! slots hold what: garbage there reaches the caller as a wrong message
//! (which the caller's message check catches), a `Corrupt` error, a wait
//! that times out, or lost messages of its own. Counts it writes
//! (`segments_created`, `segments_released`, positions) are bounded by what
//! this side knows before they size a loop, and wrapping arithmetic keeps a
//! checked build from panicking on them. A shrunk mapping is refused on
//! attach and stops the process with one line if it shrinks later
//! ([`crate::shm`]).

use std::sync::Arc;

use super::config::{Capacity, MAX_SLOT_SIZE, MAX_SLOTS, RingConfig, Variant, WaitStrategy};
use super::error::RingError;
use crate::sync::{AtomicU32, AtomicU64, FutexWord, Ordering};

/// "RINGSIDE", little-endian.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"RINGSIDE");
/// Bumped whenever the meaning of any byte changes. 3: the header no longer
/// carries the creator's timeout (each side waits by its own), and the
/// consumer's line gained `segments_released`.
pub(crate) const VERSION: u32 = 3;
/// Value of `Header::initialised` once every other field is written.
const READY: u32 = 0x5245_4459;
/// Bytes in a padded line.
pub(crate) const LINE: usize = 128;
/// `ProducerLine::closed`: the producer dropped its end, a clean end of stream.
pub(crate) const CLOSED_FINISHED: u32 = 1;
/// `ProducerLine::closed`: the producer abandoned the stream (or panicked).
/// A consumer reads any nonzero value but [`CLOSED_FINISHED`] as this: the
/// word is written by another process and never trusted to be one of two.
pub(crate) const CLOSED_ABANDONED: u32 = 2;
/// Bytes before the payload in a slot.
pub(crate) const SLOT_WORD: usize = 8;
const SLOTS_OFFSET: usize = 5 * LINE;

/// Segment header. Written by the creator before `initialised`; read-only after.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct Header {
    magic: AtomicU64,
    layout_hash: AtomicU64,
    version: AtomicU32,
    variant: AtomicU32,
    mode: AtomicU32,
    wait: AtomicU32,
    /// Largest number of messages in flight in this segment.
    bound: AtomicU64,
    /// Slots in this segment (a power of two for `Variant::Ring`).
    slot_count: AtomicU64,
    slot_size: AtomicU64,
    /// `Capacity::Bounded(n)`'s n, 0 otherwise: what the user asked for.
    requested: AtomicU64,
    /// 0 for the root segment, k for the k-th segment of an unbounded chain.
    chain_index: AtomicU64,
    /// 1 when every message is exactly `slot_size` bytes.
    fixed_size: AtomicU32,
    /// Slots per block (per stamp word); a power of two.
    per_block: AtomicU32,
    initialised: AtomicU32,
}

/// The producer's line.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct ProducerLine {
    /// Classic variants: `in`, the next slot index to fill, in `0..slot_count`.
    pub(crate) position: AtomicU64,
    /// Textbook variant only: `out` lives here, on the same line as `in`.
    pub(crate) textbook_out: AtomicU64,
    /// Unbounded: set once the producer has moved on to the next segment.
    pub(crate) sealed: AtomicU32,
    /// Root only: 0 while the producer is open; [`CLOSED_FINISHED`] once it
    /// dropped its end, [`CLOSED_ABANDONED`] if it abandoned the stream.
    pub(crate) closed: AtomicU32,
    /// Root only: pid of the process that claimed the producer role, 0 if none.
    pub(crate) pid: AtomicU32,
    /// Root only: chain index of the newest segment the producer created.
    pub(crate) segments_created: AtomicU64,
}

/// The consumer's line.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct ConsumerLine {
    /// Ring: the monotonic position of the next message to read.
    /// Padded: `out`, in `0..slot_count`.
    pub(crate) position: AtomicU64,
    /// Root only: the consumer has dropped its end.
    pub(crate) closed: AtomicU32,
    /// Root only: pid of the process that claimed the consumer role, 0 if none.
    pub(crate) pid: AtomicU32,
    /// Root only: chain index of the segment the consumer reads now; it has
    /// given back every segment below it. The producer counts what the
    /// chain holds alive from here (never trusting it past its own count).
    pub(crate) segments_released: AtomicU64,
}

/// A futex word alone on its line, so polling the peer's flag is free.
#[repr(C, align(128))]
#[derive(Default)]
pub(crate) struct WaitLine {
    pub(crate) futex: FutexWord,
}

/// Dimensions of one segment, derived from a config or read from a header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Geometry {
    pub(crate) variant: Variant,
    pub(crate) capacity: Capacity,
    pub(crate) wait: WaitStrategy,
    pub(crate) slot_size: usize,
    pub(crate) fixed_size: bool,
    /// Slots per block; `slot_count` is a multiple of it.
    pub(crate) per_block: usize,
    pub(crate) slot_count: usize,
    pub(crate) bound: usize,
    pub(crate) chain_index: u64,
}

impl Geometry {
    /// The root segment's geometry for a validated config.
    pub(crate) fn for_config(config: &RingConfig) -> Result<Self, RingError> {
        config.validate()?;
        let usable = match config.capacity {
            Capacity::Rendezvous => 1,
            Capacity::Bounded(n) => n,
            Capacity::Unbounded => config.unbounded_initial_slots,
        };
        let mut g = Self {
            variant: config.variant,
            capacity: config.capacity,
            wait: config.wait,
            slot_size: config.slot_size,
            fixed_size: config.fixed_size,
            per_block: config.per_block(),
            slot_count: 0,
            bound: 0,
            chain_index: 0,
        };
        g.size_for(usable);
        Ok(g)
    }

    /// Set slot count and bound so that `usable` messages fit in flight.
    pub(crate) fn size_for(&mut self, usable: usize) {
        let (slots, bound) = match (self.variant, self.capacity) {
            // One slot is wasted by the classic full test.
            (Variant::Textbook | Variant::Padded, _) => (usable + 1, usable),
            (Variant::Ring, Capacity::Unbounded) => {
                let s = usable.div_ceil(self.per_block).next_power_of_two() * self.per_block;
                (s, s)
            }
            (Variant::Ring, _) => (usable.div_ceil(self.per_block).next_power_of_two() * self.per_block, usable),
        };
        self.slot_count = slots;
        self.bound = bound;
    }

    /// The geometry of the next segment of an unbounded chain with room for
    /// at least `need` messages: double the current size, until its slots
    /// take `max_slot_bytes` (at least one block, and `need` whatever it takes).
    pub(crate) fn next_segment(&self, need: usize, max_slot_bytes: usize) -> Self {
        let cap_slots = (max_slot_bytes / self.stride()).max(1) * self.per_block;
        let usable = (self.bound.saturating_mul(2)).min(cap_slots).max(need).min(MAX_SLOTS);
        let mut g = Self { chain_index: self.chain_index + 1, ..*self };
        g.size_for(usable);
        g
    }

    /// Bytes from one block to the next.
    pub(crate) fn stride(&self) -> usize {
        if self.per_block > 1 { super::config::BLOCK_BYTES } else { (SLOT_WORD + self.slot_size).next_multiple_of(8) }
    }

    /// log2 of the slot indices one block spans.
    pub(crate) fn shift(&self) -> u32 {
        self.per_block.next_power_of_two().trailing_zeros()
    }

    /// Slot indices (see [`Slots`]): blocks times the indices each spans.
    pub(crate) fn indices(&self) -> usize {
        self.blocks() << self.shift()
    }

    /// Blocks in the segment.
    pub(crate) fn blocks(&self) -> usize {
        self.slot_count / self.per_block
    }

    /// Bytes of the whole segment.
    pub(crate) fn segment_len(&self) -> usize {
        SLOTS_OFFSET + self.blocks() * self.stride()
    }

    fn requested(&self) -> u64 {
        match self.capacity {
            Capacity::Bounded(n) => n as u64,
            _ => 0,
        }
    }
}

/// FNV-1a over everything that fixes where a byte lives, so a build with a
/// different layout (or a different word size) refuses to attach.
const fn layout_hash() -> u64 {
    let parts: [u64; 10] = [
        VERSION as u64,
        LINE as u64,
        SLOTS_OFFSET as u64,
        SLOT_WORD as u64,
        std::mem::size_of::<Header>() as u64,
        std::mem::size_of::<ProducerLine>() as u64,
        std::mem::size_of::<ConsumerLine>() as u64,
        std::mem::size_of::<WaitLine>() as u64,
        usize::BITS as u64,
        cfg!(target_endian = "little") as u64,
    ];
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

const _: () = {
    assert!(std::mem::size_of::<Header>() <= LINE);
    assert!(std::mem::size_of::<ProducerLine>() == LINE);
    assert!(std::mem::size_of::<ConsumerLine>() == LINE);
    assert!(std::mem::size_of::<WaitLine>() == LINE);
};

fn encode_variant(v: Variant) -> u32 {
    match v {
        Variant::Textbook => 1,
        Variant::Padded => 2,
        Variant::Ring => 3,
    }
}

fn encode_wait(w: WaitStrategy) -> u32 {
    match w {
        WaitStrategy::Spin => 1,
        WaitStrategy::Yield => 2,
        WaitStrategy::Block => 3,
    }
}

fn encode_mode(c: Capacity) -> u32 {
    match c {
        Capacity::Rendezvous => 1,
        Capacity::Bounded(_) => 2,
        Capacity::Unbounded => 3,
    }
}

/// Where a region's memory comes from.
enum Backing {
    #[cfg(not(loom))]
    Shm(crate::shm::Segment),
    #[cfg(loom)]
    Heap(HeapRing),
}

/// A heap-backed segment for loom: the same lines, with the slot words held
/// apart (loom atomics cannot be conjured from raw bytes) and one loom cell
/// per slot standing in for the payload, so loom checks that every payload
/// access is ordered by the protocol.
#[cfg(loom)]
struct HeapRing {
    lines: Box<HeapLines>,
    words: Box<[AtomicU64]>,
    cells: Box<[loom::cell::UnsafeCell<()>]>,
    bytes: Box<[std::cell::UnsafeCell<u64>]>,
}

/// The five lines in the order and at the offsets of a mapped segment.
#[cfg(loom)]
#[repr(C)]
#[derive(Default)]
struct HeapLines {
    header: Header,
    producer: ProducerLine,
    consumer: ConsumerLine,
    producer_wait: WaitLine,
    consumer_wait: WaitLine,
}

/// One mapped segment with a validated header.
///
/// Invariant: `header`, `producer`, `consumer`, the wait lines and
/// `slot_count * stride` bytes at `slots` lie inside `backing`, which lives
/// as long as this `Region` (and every clone: they share one `Arc`).
#[derive(Clone)]
pub(crate) struct Region {
    inner: Arc<RegionInner>,
    slots: Slots,
    geometry: Geometry,
}

struct RegionInner {
    base: *mut u8,
    backing: Backing,
}

// SAFETY: the region is only reached through atomics and through slot
// accesses that the ring protocol hands to exactly one side at a time; the
// raw pointer is into a mapping (or heap block) owned by `backing`.
unsafe impl Send for RegionInner {}
// SAFETY: as above; shared access is what the atomics are for.
unsafe impl Sync for RegionInner {}

impl Region {
    /// Create and initialise a new segment; `name` `None` picks a unique one.
    #[cfg(not(loom))]
    pub(crate) fn create(name: Option<&str>, g: &Geometry) -> Result<Self, RingError> {
        let len = g.segment_len();
        let seg = match name {
            Some(n) => crate::shm::Segment::create(n, len)?,
            None => crate::shm::Segment::create_unique(len)?,
        };
        let region = Self::from_backing(seg.as_ptr(), Backing::Shm(seg), *g);
        region.write_header();
        Ok(region)
    }

    /// Open, map and validate an existing segment.
    #[cfg(not(loom))]
    pub(crate) fn attach(name: &str) -> Result<Self, RingError> {
        let seg = crate::shm::Segment::open(name, SLOTS_OFFSET)?;
        let base = seg.as_ptr();
        let len = seg.len();
        // SAFETY: the mapping is at least SLOTS_OFFSET bytes (checked by
        // `open`) and page-aligned, so a Header fits at its start; every
        // field is atomic, so concurrent writes by the peer are not UB.
        let header = unsafe { &*(base as *const Header) };
        let g = read_header(header, name, len)?;
        Ok(Self::from_backing(base, Backing::Shm(seg), g))
    }

    /// A heap segment for loom models; clone it for the other side.
    #[cfg(loom)]
    pub(crate) fn heap(g: &Geometry) -> Self {
        let mut heap = HeapRing {
            lines: Box::default(),
            words: (0..g.blocks()).map(|_| AtomicU64::new(0)).collect(),
            cells: (0..g.indices()).map(|_| loom::cell::UnsafeCell::new(())).collect(),
            bytes: (0..(g.blocks() * g.stride()).div_ceil(8)).map(|_| std::cell::UnsafeCell::new(0)).collect(),
        };
        let base = &mut *heap.lines as *mut _ as *mut u8;
        let region = Self::from_backing(base, Backing::Heap(heap), *g);
        region.write_header();
        region
    }

    fn from_backing(base: *mut u8, backing: Backing, geometry: Geometry) -> Self {
        #[cfg(not(loom))]
        let slots = Slots {
            // SAFETY: SLOTS_OFFSET is inside the mapping (segment_len or the
            // validated attach length covers it).
            base: unsafe { base.add(SLOTS_OFFSET) },
            stride: geometry.stride(),
            count: geometry.indices(),
            shift: geometry.shift(),
            size: geometry.slot_size,
        };
        #[cfg(loom)]
        let slots = {
            let Backing::Heap(h) = &backing;
            Slots {
                base: h.bytes.as_ptr() as *mut u8,
                stride: geometry.stride(),
                count: geometry.indices(),
                shift: geometry.shift(),
                size: geometry.slot_size,
                words: h.words.as_ptr(),
                cells: h.cells.as_ptr(),
            }
        };
        Self { inner: Arc::new(RegionInner { base, backing }), slots, geometry }
    }

    fn write_header(&self) {
        let h = self.header();
        let g = &self.geometry;
        h.magic.store(MAGIC, Ordering::Relaxed);
        h.layout_hash.store(layout_hash(), Ordering::Relaxed);
        h.version.store(VERSION, Ordering::Relaxed);
        h.variant.store(encode_variant(g.variant), Ordering::Relaxed);
        h.mode.store(encode_mode(g.capacity), Ordering::Relaxed);
        h.wait.store(encode_wait(g.wait), Ordering::Relaxed);
        h.bound.store(g.bound as u64, Ordering::Relaxed);
        h.slot_count.store(g.slot_count as u64, Ordering::Relaxed);
        h.slot_size.store(g.slot_size as u64, Ordering::Relaxed);
        h.requested.store(g.requested(), Ordering::Relaxed);
        h.chain_index.store(g.chain_index, Ordering::Relaxed);
        h.fixed_size.store(u32::from(g.fixed_size), Ordering::Relaxed);
        h.per_block.store(g.per_block as u32, Ordering::Relaxed);
        // Release: pairs with the Acquire load in `read_header`; every field
        // above is visible to whoever sees READY.
        h.initialised.store(READY, Ordering::Release);
    }

    #[inline(always)]
    pub(crate) fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    #[inline(always)]
    pub(crate) fn slots(&self) -> Slots {
        self.slots
    }

    #[cfg(not(loom))]
    pub(crate) fn name(&self) -> &str {
        let Backing::Shm(seg) = &self.inner.backing;
        seg.name()
    }

    #[inline(always)]
    fn header(&self) -> &Header {
        // SAFETY: per the struct invariant the header lies at `base` for as long as self.
        unsafe { &*(self.inner.base as *const Header) }
    }

    #[inline(always)]
    pub(crate) fn producer(&self) -> &ProducerLine {
        // SAFETY: per the struct invariant; offset LINE holds the producer line.
        unsafe { &*(self.inner.base.add(LINE) as *const ProducerLine) }
    }

    #[inline(always)]
    pub(crate) fn consumer(&self) -> &ConsumerLine {
        // SAFETY: per the struct invariant; offset 2*LINE holds the consumer line.
        unsafe { &*(self.inner.base.add(2 * LINE) as *const ConsumerLine) }
    }

    #[inline(always)]
    pub(crate) fn producer_wait(&self) -> &FutexWord {
        // SAFETY: per the struct invariant; offset 3*LINE holds the producer's wait line.
        unsafe { &(*(self.inner.base.add(3 * LINE) as *const WaitLine)).futex }
    }

    #[inline(always)]
    pub(crate) fn consumer_wait(&self) -> &FutexWord {
        // SAFETY: per the struct invariant; offset 4*LINE holds the consumer's wait line.
        unsafe { &(*(self.inner.base.add(4 * LINE) as *const WaitLine)).futex }
    }
}

/// Read and check every header field of a segment someone else created.
#[cfg(not(loom))]
fn read_header(h: &Header, name: &str, mapped_len: usize) -> Result<Geometry, RingError> {
    let bad = |reason: String| RingError::Incompatible { path: crate::shm::path_of(name), reason };
    // Acquire: pairs with the Release store of READY in `write_header`.
    let init = h.initialised.load(Ordering::Acquire);
    let magic = h.magic.load(Ordering::Relaxed);
    if magic != MAGIC {
        return Err(bad(format!("magic {magic:#018x} is not ringside's {MAGIC:#018x}")));
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
    let variant = match h.variant.load(Ordering::Relaxed) {
        1 => Variant::Textbook,
        2 => Variant::Padded,
        3 => Variant::Ring,
        v => return Err(bad(format!("unknown variant code {v}"))),
    };
    let wait = match h.wait.load(Ordering::Relaxed) {
        1 => WaitStrategy::Spin,
        2 => WaitStrategy::Yield,
        3 => WaitStrategy::Block,
        w => return Err(bad(format!("unknown wait strategy code {w}"))),
    };
    let requested = h.requested.load(Ordering::Relaxed);
    let capacity = match h.mode.load(Ordering::Relaxed) {
        1 => Capacity::Rendezvous,
        2 if requested >= 1 && requested <= MAX_SLOTS as u64 => Capacity::Bounded(requested as usize),
        3 => Capacity::Unbounded,
        m => return Err(bad(format!("unknown capacity mode {m} (bound {requested})"))),
    };
    let slot_size = h.slot_size.load(Ordering::Relaxed);
    let slot_count = h.slot_count.load(Ordering::Relaxed);
    let bound = h.bound.load(Ordering::Relaxed);
    if slot_size == 0 || slot_size > MAX_SLOT_SIZE as u64 {
        return Err(bad(format!("slot size {slot_size} out of range")));
    }
    if slot_count == 0 || slot_count > MAX_SLOTS as u64 + 1 {
        return Err(bad(format!("slot count {slot_count} out of range")));
    }
    let fixed_size = match h.fixed_size.load(Ordering::Relaxed) {
        0 => false,
        1 => true,
        f => return Err(bad(format!("fixed-size flag {f} is neither 0 nor 1"))),
    };
    let per_block = h.per_block.load(Ordering::Relaxed) as usize;
    let expected_per_block = super::config::per_block(variant, fixed_size, slot_size as usize);
    if per_block != expected_per_block {
        return Err(bad(format!(
            "{per_block} slots per block, but a {variant} ring of {slot_size}-byte slots (fixed size: {fixed_size}) has {expected_per_block}"
        )));
    }
    let g = Geometry {
        variant,
        capacity,
        wait,
        slot_size: slot_size as usize,
        fixed_size,
        per_block,
        slot_count: slot_count as usize,
        bound: bound as usize,
        chain_index: h.chain_index.load(Ordering::Relaxed),
    };
    let mut expect = g;
    expect.size_for(if variant == Variant::Ring { bound as usize } else { slot_count as usize - 1 });
    let consistent = match variant {
        Variant::Ring => {
            slot_count % per_block as u64 == 0
                && (slot_count / per_block as u64).is_power_of_two()
                && bound >= 1
                && bound <= slot_count
        }
        _ => bound >= 1 && bound == slot_count - 1,
    };
    if !consistent || (variant == Variant::Ring && expect.slot_count != g.slot_count) {
        return Err(bad(format!("bound {bound} does not fit {slot_count} slots of a {variant} ring")));
    }
    if mapped_len < g.segment_len() {
        return Err(bad(format!("segment is {mapped_len} bytes but its header needs {}", g.segment_len())));
    }
    Ok(g)
}

/// Raw access to the slot array of one region; `Copy` so the hot loops keep
/// it in registers. Never outlives the `Region` it came from: it is only
/// stored next to that region, inside the same `Producer` or `Consumer`.
#[derive(Clone, Copy)]
pub(crate) struct Slots {
    base: *mut u8,
    /// Bytes per block.
    stride: usize,
    /// Slot indices (blocks << shift).
    count: usize,
    /// Slot `i` is in block `i >> shift`, at `i & ((1 << shift) - 1)` in it.
    shift: u32,
    /// Bytes per slot's payload inside a block.
    size: usize,
    #[cfg(loom)]
    words: *const AtomicU64,
    #[cfg(loom)]
    cells: *const loom::cell::UnsafeCell<()>,
}

// SAFETY: `Slots` is only held next to the `Region` it points into, inside
// one `Producer` or `Consumer`; moving that owner to another thread moves
// both, and the protocol (not thread identity) decides who touches a slot.
unsafe impl Send for Slots {}

impl Slots {
    /// log2 of the slot indices one block spans.
    #[inline(always)]
    pub(crate) fn shift(&self) -> u32 {
        self.shift
    }

    /// Bytes from one slot's payload to the next in a block.
    #[inline(always)]
    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// The word at the start of slot `idx`'s block.
    #[inline(always)]
    pub(crate) fn word(&self, idx: usize) -> &AtomicU64 {
        debug_assert!(idx < self.count);
        #[cfg(not(loom))]
        // SAFETY: idx < count (the lanes mask or reduce modulo the validated
        // slot count), so its block lies inside the region, and blocks are
        // 8-aligned (SLOTS_OFFSET and stride are multiples of 8).
        unsafe {
            &*(self.base.add((idx >> self.shift) * self.stride) as *const AtomicU64)
        }
        #[cfg(loom)]
        // SAFETY: idx < count, so its block is below the length of the words array.
        unsafe {
            &*self.words.add(idx >> self.shift)
        }
    }

    /// The payload of slot `idx` (`slot_size` bytes).
    #[inline(always)]
    pub(crate) fn payload(&self, idx: usize) -> *mut u8 {
        debug_assert!(idx < self.count);
        let in_block = idx & ((1 << self.shift) - 1);
        // SAFETY: idx < count, so its block lies inside the region, and the
        // lanes only form indices with `in_block < per_block`, whose slots
        // lie inside their block (`per_block * size + SLOT_WORD <= stride`).
        unsafe { self.base.add((idx >> self.shift) * self.stride + SLOT_WORD + in_block * self.size) }
    }

    /// Ask the cache to fetch slot `idx`'s block (a hint: no effect on
    /// what any load returns, and nothing at all off x86-64 or under loom).
    #[inline(always)]
    pub(crate) fn prefetch(&self, _idx: usize) {
        #[cfg(all(target_arch = "x86_64", not(loom)))]
        // SAFETY: a prefetch never faults and reads nothing the program
        // sees; the address is the block's word, inside the region anyway.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.base.add((_idx >> self.shift) * self.stride) as *const i8);
        }
    }

    /// Loom only: record a write access to slot `idx`'s payload.
    #[inline(always)]
    pub(crate) fn note_write(&self, _idx: usize) {
        #[cfg(loom)]
        // SAFETY: idx < count, the length of the cells array.
        unsafe {
            (*self.cells.add(_idx)).with_mut(|_| ());
        }
    }

    /// Loom only: record a read access to slot `idx`'s payload.
    #[inline(always)]
    pub(crate) fn note_read(&self, _idx: usize) {
        #[cfg(loom)]
        // SAFETY: idx < count, the length of the cells array.
        unsafe {
            (*self.cells.add(_idx)).with(|_| ());
        }
    }
}
