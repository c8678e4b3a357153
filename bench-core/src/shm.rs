//! Named shared-memory segments under `/dev/shm`.
//!
//! A [`Segment`] is a POSIX shared-memory object (`shm_open`) mapped
//! `MAP_SHARED` into this process. The creator opens it with
//! `O_CREAT | O_EXCL` and mode `0600`, so it can never adopt somebody else's
//! object, and reserves its pages with `fallocate`: on tmpfs `ftruncate` alone
//! makes a sparse file, and a full `/dev/shm` would then surface as `SIGBUS`
//! on first touch instead of as [`ShmError::OutOfSharedMemory`] here.
//!
//! Every name starts with [`name_stem`]: [`NAME_PREFIX`], the creating
//! process id and its pid namespace, so a cleanup pass can find the
//! leftovers of dead runs (only `kill -9` between creating a name and the
//! peer opening it can leave one: see the unlink rules in [`crate::ring`])
//! and judge only the pids of its own namespace.
//!
//! # A peer that shrinks the object
//! [`Segment::open`] maps the object at the size `fstat` reports, and the
//! formats built on it refuse a mapping smaller than their header says.
//! A truncation *after* that cannot be refused (shm objects take no seals),
//! so every mapping is registered with a process-wide `SIGBUS` handler
//! (installed on the first mapping, see `shrink_guard`): touching a page the
//! peer cut off then ends the process with one line on stderr and
//! [`SHRUNK_SEGMENT_EXIT_STATUS`], not with an unexplained `SIGBUS`. Other
//! `SIGBUS` faults reach whatever handled them before.

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};
use rustix::fs::Mode;
use rustix::shm;

mod shrink_guard;

/// Prefix of every shared-memory name ringside creates: `ringside-<pid>-...`.
pub const NAME_PREFIX: &str = "ringside-";

/// How every name this process creates starts: `ringside-<pid>-ns<pidns>-`,
/// `<pidns>` being [`pid_namespace_id`]. A pid means something only in its
/// own pid namespace, so a cleanup judges the names of its own alone.
pub fn name_stem() -> String {
    format!("{NAME_PREFIX}{}-ns{}-", std::process::id(), pid_namespace_id())
}

/// This process's pid namespace: the inode of `/proc/self/ns/pid` (the
/// number `readlink` shows as `pid:[N]`), or 0 where that cannot be read.
pub fn pid_namespace_id() -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self/ns/pid").map_or(0, |m| m.ino())
}

/// Where POSIX shared-memory names live on Linux.
pub const SHM_DIR: &str = "/dev/shm";

/// Exit status of a process stopped because a segment it had mapped shrank
/// under it (another process truncated the object): 74, `EX_IOERR` of
/// `sysexits.h`, and no other ringside status. Before exiting, the process
/// writes one line to stderr:
/// `ringside: shared segment /dev/shm/NAME shrank under this process (truncated by another): stopping`.
pub const SHRUNK_SEGMENT_EXIT_STATUS: i32 = 74;

/// Errors from creating, opening or mapping a shared-memory segment.
#[derive(Debug, thiserror::Error)]
pub enum ShmError {
    /// `/dev/shm` (tmpfs) has no room for the segment.
    #[error(
        "out of shared memory: cannot reserve {bytes} bytes for {path} (tmpfs {dir} is full; free space there or remount it with a larger size=)",
        dir = SHM_DIR
    )]
    OutOfSharedMemory {
        /// The segment that could not be reserved.
        path: PathBuf,
        /// How many bytes were asked for.
        bytes: u64,
    },
    /// No segment of that name exists (or it was already unlinked).
    #[error("no shared-memory segment {path}: its creator is gone or it was already attached")]
    NotFound {
        /// The missing segment.
        path: PathBuf,
    },
    /// The segment is smaller than its own header says it must be.
    #[error("shared-memory segment {path} is {actual} bytes, but needs at least {needed}")]
    TooSmall {
        /// The segment.
        path: PathBuf,
        /// Its size on disk.
        actual: u64,
        /// The size its layout requires.
        needed: u64,
    },
    /// Any other system error, with the call and the path that failed.
    #[error("{op} {path}: {source}")]
    Io {
        /// The operation that failed (`shm_open`, `mmap`, ...).
        op: &'static str,
        /// The segment it was applied to.
        path: PathBuf,
        /// The system error.
        #[source]
        source: io::Error,
    },
}

/// A mapped shared-memory object. Dropping it unmaps; it never unlinks by
/// itself: whoever owns the *name* decides that (see [`unlink`]).
#[derive(Debug)]
pub struct Segment {
    /// Declared before `map`, so it is dropped (unregistered) before the unmap.
    _guard: shrink_guard::Registration,
    map: MmapRaw,
    name: String,
}

impl Segment {
    /// Create a new, zero-filled segment of `len` bytes under a fresh unique
    /// name (`ringside-<pid>-ns<pidns>-<counter>-<nonce>`: see [`name_stem`]).
    pub fn create_unique(len: usize) -> Result<Self, ShmError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let stem = name_stem();
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let name = format!("{stem}{n}-{:08x}", nonce());
            match Self::create(&name, len) {
                Err(ShmError::Io { source, .. }) if source.kind() == io::ErrorKind::AlreadyExists => {
                    continue;
                }
                other => return other,
            }
        }
    }

    /// Create a new, zero-filled segment with exactly this name.
    /// Fails if the name exists (`O_EXCL`); the object gets mode `0600`.
    pub fn create(name: &str, len: usize) -> Result<Self, ShmError> {
        let path = path_of(name);
        let fd = shm::open(name, shm::OFlags::CREATE | shm::OFlags::EXCL | shm::OFlags::RDWR, Mode::RUSR | Mode::WUSR)
            .map_err(|e| io_err("shm_open", &path, e))?;
        let file = File::from(fd);
        let reserved = rustix::fs::fallocate(&file, rustix::fs::FallocateFlags::empty(), 0, len as u64);
        if let Err(e) = reserved {
            let _ = shm::unlink(name);
            return Err(if e == rustix::io::Errno::NOSPC {
                ShmError::OutOfSharedMemory { path, bytes: len as u64 }
            } else {
                io_err("fallocate", &path, e)
            });
        }
        match map(&file, len, &path) {
            Ok(map) => Ok(Self::guarded(map, name)),
            Err(e) => {
                let _ = shm::unlink(name);
                Err(e)
            }
        }
    }

    /// Open and map an existing segment by name. The caller must validate
    /// the contents before trusting them; `min_len` guards the header read.
    pub fn open(name: &str, min_len: usize) -> Result<Self, ShmError> {
        let path = path_of(name);
        let fd = shm::open(name, shm::OFlags::RDWR, Mode::empty()).map_err(|e| {
            if e == rustix::io::Errno::NOENT {
                ShmError::NotFound { path: path.clone() }
            } else {
                io_err("shm_open", &path, e)
            }
        })?;
        let file = File::from(fd);
        let actual = file.metadata().map_err(|e| ShmError::Io { op: "fstat", path: path.clone(), source: e })?.len();
        if actual < min_len as u64 {
            return Err(ShmError::TooSmall { path, actual, needed: min_len as u64 });
        }
        let map = map(&file, actual as usize, &path)?;
        Ok(Self::guarded(map, name))
    }

    /// A segment whose mapping a shrink of the object turns into one line
    /// and [`SHRUNK_SEGMENT_EXIT_STATUS`] (see the module doc).
    fn guarded(map: MmapRaw, name: &str) -> Self {
        let _guard = shrink_guard::register(map.as_ptr(), map.len(), name);
        Self { _guard, map, name: name.to_owned() }
    }

    /// The segment's name (without the `/dev/shm/` directory).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base address of the mapping; page-aligned.
    pub fn as_ptr(&self) -> *mut u8 {
        self.map.as_mut_ptr()
    }

    /// Length of the mapping in bytes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the mapping is empty (never true for a segment ringside made).
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }
}

/// Remove a name from `/dev/shm`. Mappings stay valid until unmapped.
/// Returns `Ok(false)` if the name was already gone.
pub fn unlink(name: &str) -> io::Result<bool> {
    match shm::unlink(name) {
        Ok(()) => Ok(true),
        Err(rustix::io::Errno::NOENT) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// `/dev/shm/<name>`.
pub fn path_of(name: &str) -> PathBuf {
    PathBuf::from(SHM_DIR).join(name)
}

fn map(file: &File, len: usize, path: &std::path::Path) -> Result<MmapRaw, ShmError> {
    // MAP_SHARED, pre-faulted so a benchmark never measures first-touch faults.
    MmapOptions::new().len(len).populate().map_raw(file).map_err(|e| ShmError::Io {
        op: "mmap",
        path: path.to_owned(),
        source: e,
    })
}

fn io_err(op: &'static str, path: &std::path::Path, e: rustix::io::Errno) -> ShmError {
    ShmError::Io { op, path: path.to_owned(), source: e.into() }
}

/// A few bits that differ between processes and calls, to make names unguessable
/// enough that two runs never collide (O_EXCL still catches it if they do).
fn nonce() -> u32 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let local = 0u8;
    t ^ ((&local as *const u8 as usize as u32).rotate_left(13))
}
