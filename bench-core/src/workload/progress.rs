//! How far each side of a run has got, where its supervisor can see it
//! while it measures: a hang is then found by lack of progress, within
//! seconds, however long the run was meant to last.
//!
//! The supervisor creates a [`ProgressBoard`]: an anonymous memory file
//! (`memfd`, never a name in `/dev/shm`, so nothing to clean up) with one
//! pair of cache lines per worker. Each worker inherits its descriptor across `exec`
//! ([`ProgressBoard::configure_child`]) and maps it ([`join_board`]);
//! the patterns then store how many messages each side has moved into this
//! process's line ([`line()`]) at points they pass anyway: every clock check
//! of the stream producer, every batch the stream consumer takes, every
//! round trip and every rate message. Each note is one relaxed store to a
//! line only this process writes; no message loop gains a branch, a clock
//! read or a system call. Outside a supervised worker (tests, benches) the
//! notes land in a private line nobody reads.
//!
//! The supervisor only compares what it reads with what it read before:
//! numbers a worker wrote are never trusted for anything else.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, FromRawFd};
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use memmap2::{MmapOptions, MmapRaw};

use crate::child::Launch;

/// Environment variable naming a worker's board: `<fd>:<line>`.
pub const PROGRESS_ENV: &str = "RINGSIDE_PROGRESS";

/// The most workers one board has lines for.
pub const MAX_LINES: usize = 8;

/// One process's counts. Each count has a cache line of its own: in the
/// in-process baseline the producing and the consuming thread note into
/// one process's counts from two cores, and must not share a line.
#[derive(Debug, Default)]
#[repr(C)]
pub struct ProgressLine {
    /// Messages this process has sent (its producing side).
    pub sent: Count,
    /// Messages this process has received (its consuming side).
    pub received: Count,
}

/// A count on a cache line of its own.
#[derive(Debug, Default)]
#[repr(C, align(64))]
pub struct Count(AtomicU64);

impl Count {
    /// Note that `n` messages have been moved so far (relaxed: the reader
    /// only looks for change).
    #[inline(always)]
    pub fn note(&self, n: u64) {
        self.0.store(n, Ordering::Relaxed);
    }

    /// The last count noted.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl ProgressLine {
    /// What the line says now.
    pub fn read(&self) -> Progress {
        Progress { sent: self.sent.get(), received: self.received.get() }
    }
}

/// A snapshot of one worker's counts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Messages sent so far.
    pub sent: u64,
    /// Messages received so far.
    pub received: u64,
}

/// Where this process's notes go: a line of a board, once joined.
static JOINED: AtomicPtr<ProgressLine> = AtomicPtr::new(std::ptr::null_mut());
/// Where they go otherwise.
static UNWATCHED: ProgressLine = ProgressLine { sent: Count(AtomicU64::new(0)), received: Count(AtomicU64::new(0)) };

/// This process's line: the board's, if [`join_board`] mapped one, else a
/// private one. A pattern takes it once, before its loop.
pub fn line() -> &'static ProgressLine {
    // Acquire: pairs with the Release store in `join_board`, so the mapping
    // is set up before it is written through.
    let joined = JOINED.load(Ordering::Acquire);
    if joined.is_null() {
        return &UNWATCHED;
    }
    // SAFETY: a non-null pointer was stored only by `join_board`, to a line
    // inside a mapping that is never unmapped (leaked there), so it is
    // valid and aligned for the rest of the process; the line is only
    // accessed through atomics.
    unsafe { &*joined }
}

/// The supervisor's side: a board with one line per worker.
#[derive(Debug)]
pub struct ProgressBoard {
    file: File,
    map: MmapRaw,
    lines: usize,
}

impl ProgressBoard {
    /// A zeroed board of `lines` lines (at most [`MAX_LINES`]).
    pub fn create(lines: usize) -> io::Result<Self> {
        if lines == 0 || lines > MAX_LINES {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("a board has 1 to {MAX_LINES} lines")));
        }
        let fd = rustix::fs::memfd_create("ringside-progress", rustix::fs::MemfdFlags::CLOEXEC)?;
        let file = File::from(fd);
        file.set_len(board_len() as u64)?;
        let map = MmapOptions::new().len(board_len()).map_raw(&file)?;
        Ok(Self { file, map, lines })
    }

    /// What worker `index`'s line says now.
    pub fn read(&self, index: usize) -> Progress {
        self.line(index).read()
    }

    fn line(&self, index: usize) -> &ProgressLine {
        assert!(index < self.lines, "worker {index} has no line on a board of {}", self.lines);
        // SAFETY: the mapping is `board_len()` bytes, page-aligned, and lives
        // as long as `self`; line `index < MAX_LINES` lies inside it at a
        // multiple of 128 bytes. Lines are only accessed through atomics, so
        // the worker's concurrent stores are not a data race.
        unsafe { &*self.map.as_ptr().cast::<ProgressLine>().add(index) }
    }

    /// Let the child `launch` starts write line `index`: the board's
    /// descriptor is inherited and named in [`PROGRESS_ENV`].
    pub fn configure_child<'a>(&'a self, launch: &mut Launch<'a>, index: usize) {
        assert!(index < self.lines, "worker {index} has no line on a board of {}", self.lines);
        launch.env(PROGRESS_ENV, format!("{}:{index}", self.file.as_raw_fd()));
        launch.inherit(self.file.as_fd());
    }
}

fn board_len() -> usize {
    MAX_LINES * std::mem::size_of::<ProgressLine>()
}

/// Join the board this process was started with, if [`PROGRESS_ENV`]
/// names one: from then on [`line()`] is this process's line there. Call it
/// once, before any pattern runs. An unset variable is not an error (the
/// process is not supervised); a malformed one, or a descriptor that is not
/// a board, is.
pub fn join_board() -> io::Result<()> {
    let Some(value) = std::env::var_os(PROGRESS_ENV) else { return Ok(()) };
    let bad = || io::Error::new(io::ErrorKind::InvalidInput, format!("{PROGRESS_ENV}={value:?}: not <fd>:<line>"));
    let text = value.to_str().ok_or_else(bad)?;
    let (fd, index) = text.split_once(':').ok_or_else(bad)?;
    let (fd, index): (i32, usize) = (fd.parse().map_err(|_| bad())?, index.parse().map_err(|_| bad())?);
    if fd < 3 || index >= MAX_LINES {
        return Err(bad());
    }
    // A descriptor is adopted only if it is what the supervisor made: an
    // open memory file of the board's size (fstat on a closed number fails).
    // SAFETY: `fd` is only borrowed for this check.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let stat = rustix::fs::fstat(borrowed).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    if stat.st_size as usize != board_len() {
        return Err(bad());
    }
    // SAFETY: `fd` is open (fstat succeeded), was inherited for this process
    // alone to own, and nothing else in this process uses that number.
    let file = unsafe { File::from_raw_fd(fd) };
    let map = MmapOptions::new().len(board_len()).map_raw(&file)?;
    // SAFETY: line `index < MAX_LINES` lies inside the `board_len()`-byte,
    // page-aligned mapping, at a multiple of 128 bytes.
    let line = unsafe { map.as_mut_ptr().cast::<ProgressLine>().add(index) };
    // The mapping stays for the life of the process: `line` hands out a
    // 'static reference into it.
    std::mem::forget(map);
    // Release: pairs with the Acquire load in `line`.
    JOINED.store(line, Ordering::Release);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_board_starts_at_zero_and_shows_what_its_lines_hold() {
        let board = ProgressBoard::create(2).expect("board");
        assert_eq!(board.read(0), Progress::default());
        board.line(1).sent.note(7);
        board.line(1).received.note(5);
        assert_eq!(board.read(1), Progress { sent: 7, received: 5 });
        assert_eq!(board.read(0), Progress::default());
    }

    #[test]
    fn a_board_has_one_to_max_lines() {
        assert!(ProgressBoard::create(0).is_err());
        assert!(ProgressBoard::create(MAX_LINES + 1).is_err());
    }

    #[test]
    fn an_unsupervised_process_notes_into_a_private_line() {
        // This test process joined no board (PROGRESS_ENV is not set here).
        assert!(std::ptr::eq(line(), &UNWATCHED));
    }
}
