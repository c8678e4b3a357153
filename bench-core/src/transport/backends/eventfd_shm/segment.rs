//! The shared-memory segment of one `eventfd-shm` direction: its layout,
//! creating it, and attaching to it with every field checked.
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
//! Naming, mapping, size checking and removal of the POSIX shared-memory
//! object are [`crate::shm`]'s ([`Segment::create`], [`Segment::open`] with
//! the header's size as its minimum, [`IpcObject::ShmName`] in the
//! channel's guard); this file only lays the header and slots out on top.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use crate::ring::Capacity;
use crate::shm::{Segment, ShmError};
use crate::transport::TransportError;
use crate::transport::backend::OneWaySpec;
use crate::transport::objects::{IpcObject, ObjectGuard, unique_name};

/// "RSEFDSHM", little-endian: this is an `eventfd-shm` segment.
const MAGIC: u64 = u64::from_le_bytes(*b"RSEFDSHM");
/// Bumped whenever the meaning of any byte changes.
const VERSION: u32 = 1;
/// Bytes in a padded line.
const LINE: usize = 128;
/// Where the slots start.
const SLOTS_OFFSET: usize = 4 * LINE;
/// Bytes before the payload in a slot: the `u32` length.
pub(super) const LEN_WORD: usize = 4;
/// Slots of the fixed array an unbounded channel gets.
pub(super) const UNBOUNDED_SLOTS: u64 = 4096;
/// Most bytes of slots an unbounded channel takes (large messages get fewer slots).
pub(super) const UNBOUNDED_BYTES: u64 = 64 << 20;
/// Largest bounded capacity, in slots (the ring's limit too).
const MAX_SLOTS: u64 = crate::ring::config::MAX_SLOTS as u64;
/// Largest message, in bytes (the ring's limit too; it fits the `u32` length word).
const MAX_SLOT_SIZE: usize = crate::ring::config::MAX_SLOT_SIZE;

/// A side's state word: not opened yet.
const UNOPENED: u32 = 0;
/// A side's state word: opened.
const OPEN: u32 = 1;
/// A side's state word: dropped (a sender without `close`).
pub(super) const GONE: u32 = 2;

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
pub(super) struct TailLine {
    /// Messages published (the end marker included).
    pub(super) tail: AtomicU64,
    /// [`UNOPENED`], [`OPEN`] or [`GONE`].
    pub(super) state: AtomicU32,
}

/// Written by the receiver.
#[repr(C, align(128))]
pub(super) struct HeadLine {
    /// Messages consumed.
    pub(super) head: AtomicU64,
    /// [`UNOPENED`], [`OPEN`] or [`GONE`].
    pub(super) state: AtomicU32,
}

/// Written by the sender around its sleeps, read by the receiver after each message.
#[repr(C, align(128))]
pub(super) struct FlagLine {
    /// 1 while the sender may be asleep on `space`.
    pub(super) space_wanted: AtomicU32,
}

/// The segment header.
#[repr(C)]
pub(super) struct Header {
    meta: Meta,
    /// The sender's line.
    pub(super) tail: TailLine,
    /// The receiver's line.
    pub(super) head: HeadLine,
    /// The sender's flag, which the receiver reads and clears.
    pub(super) flag: FlagLine,
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
pub(super) struct Mapping {
    seg: Segment,
    /// Slots in the array (at least 1).
    pub(super) count: usize,
    /// Bytes from one slot to the next: the length word and `size`, rounded up to 8.
    stride: usize,
    /// The largest message a slot holds.
    pub(super) size: usize,
}

impl Mapping {
    /// The segment's header.
    pub(super) fn header(&self) -> &Header {
        // SAFETY: the mapping is page-aligned (so aligned for `Header`), at
        // least SLOTS_OFFSET bytes long (checked on create and attach), and
        // lives as long as `self`; every field is an atomic, so shared
        // access with the other process is sound.
        unsafe { &*(self.seg.as_ptr() as *const Header) }
    }

    /// The start of slot `idx` (< count): its length word, then the payload.
    pub(super) fn slot(&self, idx: usize) -> *mut u8 {
        debug_assert!(idx < self.count);
        // SAFETY: idx < count and the mapping holds SLOTS_OFFSET + count * stride
        // bytes (checked on create and attach), so the result is inside it.
        unsafe { self.seg.as_ptr().add(SLOTS_OFFSET + idx * self.stride) }
    }

    /// The length word of slot `idx`.
    pub(super) fn len_word(&self, idx: usize) -> &AtomicU32 {
        // SAFETY: the slot is inside the mapping (see `slot`), 8-aligned
        // (SLOTS_OFFSET and the stride are multiples of 8), and lives as long
        // as `self`; the word is only ever accessed atomically.
        unsafe { &*(self.slot(idx) as *const AtomicU32) }
    }

    /// The segment's name (without `/dev/shm/`).
    pub(super) fn name(&self) -> &str {
        self.seg.name()
    }
}

/// A shared-memory failure as the transport reports it.
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

/// Create the segment of one direction for `spec`, refusing a message size
/// or capacity it cannot hold, registered in `objects` and its header
/// written: the mapping, the realised capacity (`None`: unbounded) and how
/// the slots were chosen, for the record.
pub(super) fn create(
    spec: &OneWaySpec,
    objects: &mut ObjectGuard,
) -> Result<(Mapping, Option<u64>, String), TransportError> {
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
    Ok((map, realised, detail))
}

/// Open and check the segment `name` against what the address says.
pub(super) fn attach(name: &str, spec: &OneWaySpec) -> Result<Mapping, TransportError> {
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
pub(super) fn claim(state: &AtomicU32, which: &str, name: &str) -> Result<(), TransportError> {
    // Relaxed: the word only guards against a second opener; nothing is published through it.
    match state.compare_exchange(UNOPENED, OPEN, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => Ok(()),
        Err(_) => Err(TransportError::Protocol(format!("the {which} end of /dev/shm/{name} was already opened"))),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::one_way;
    use super::*;
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    /// An attaching end takes nothing on trust: the magic, the slot size and
    /// the slot count must be what its own address gives, and a segment
    /// already removed is a peer gone.
    #[test]
    fn attach_checks_the_header() {
        let mut objects = ObjectGuard::new();
        let (created, _, _) = create(&one_way(Capacity::Bounded(4), 16), &mut objects).unwrap();
        let name = created.name().to_owned();
        attach(&name, &one_way(Capacity::Bounded(4), 16)).unwrap();
        let err = attach(&name, &one_way(Capacity::Bounded(4), 32)).err().unwrap().to_string();
        assert!(err.contains("slot size 16"), "{err}");
        let err = attach(&name, &one_way(Capacity::Bounded(5), 16)).err().unwrap().to_string();
        assert!(err.contains("4 slots"), "{err}");
        // An unbounded segment has exactly the slots its message size gives it.
        let mut unbounded_objects = ObjectGuard::new();
        let (unbounded, _, _) = create(&one_way(Capacity::Unbounded, 16), &mut unbounded_objects).unwrap();
        let shrunk = attach(unbounded.name(), &one_way(Capacity::Unbounded, 16)).unwrap();
        shrunk.header().meta.slot_count.store(3, Ordering::Relaxed);
        let err = attach(unbounded.name(), &one_way(Capacity::Unbounded, 16)).err().unwrap().to_string();
        assert!(err.contains("3 slots"), "{err}");
        drop((created, objects));
        assert!(!crate::shm::path_of(&name).exists());
        assert!(matches!(attach(&name, &one_way(Capacity::Bounded(4), 16)), Err(TransportError::PeerGone(_))));

        let other = Segment::create(&unique_name("efd-garbage"), 4096).unwrap();
        let mut guard = ObjectGuard::new();
        guard.add(IpcObject::ShmName(other.name().to_owned()));
        let err = attach(other.name(), &one_way(Capacity::Bounded(4), 16)).err().unwrap().to_string();
        assert!(err.contains("not an eventfd-shm segment"), "{err}");
    }

    /// The largest slot and the most slots: beyond them, refused at
    /// creation, naming the limit.
    #[test]
    fn slot_limits_are_refused() {
        let huge = ChannelSpec::new(TransportKind::EventfdShm, Capacity::Bounded(1), MAX_SLOT_SIZE + 1);
        let err = Channel::create(&huge).err().unwrap();
        assert!(matches!(err, TransportError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("max slot size"), "{err}");
        let many = ChannelSpec::new(TransportKind::EventfdShm, Capacity::Bounded(1 << 31), 16);
        assert!(matches!(Channel::create(&many), Err(TransportError::Refused(_))));
    }
}
