//! The guard that turns a shared segment shrinking under this process into
//! one clear line and a documented exit status, instead of death by `SIGBUS`.
//!
//! A peer that truncates a segment this process maps makes the next touch of
//! the lost pages raise `SIGBUS`. POSIX shared-memory objects (`shm_open`)
//! cannot take the memfd seal that would forbid shrinking (`F_SEAL_SHRINK`),
//! and a lease (`F_SETLEASE`) is neither broken by `ftruncate` nor available
//! on an object opened for writing, so the truncation itself cannot be
//! refused. What can be chosen is how it ends:
//!
//! Every mapping [`super::Segment`] makes is registered here (address range
//! and name) before anything reads it, and a process-wide `SIGBUS` handler
//! (`sigaction` with `SA_SIGINFO`) is installed once, on the first
//! registration. When the fault's `si_addr` lies inside a registered
//! mapping and its code is `BUS_ADRERR` (an address past the object's end),
//! the handler writes
//!
//! ```text
//! ringside: shared segment /dev/shm/NAME shrank under this process (truncated by another): stopping
//! ```
//!
//! to stderr with one `write(2)` and leaves with `_exit(`[`SHRUNK_SEGMENT_EXIT_STATUS`](super::SHRUNK_SEGMENT_EXIT_STATUS)`)`:
//! the process cannot go on (the ring's memory is gone), but it says why. Any
//! other `SIGBUS` is not ours: the handler restores the disposition that was
//! in place before it (Rust's own stack-overflow handler, a caller's, or the
//! default) and returns, so the faulting instruction runs again and the
//! fault reaches that disposition exactly as if this guard did not exist.
//!
//! The handler is async-signal-safe: it reads a fixed table of atomics (no
//! lock, no allocation) and calls only `write`, `sigaction` and `_exit`. A
//! table with no free entry leaves a mapping unguarded (a shrink then ends
//! the process by `SIGBUS`, as without the guard); 1024 entries are far more
//! than the segments a process of this suite maps at once.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicUsize, Ordering};

/// Mappings guarded at once.
const ENTRIES: usize = 1024;
/// Bytes of a name kept for the message (longer names are cut).
const NAME_BYTES: usize = 128;

/// An entry's `state`: free for a new mapping.
const FREE: u32 = 0;
/// An entry's `state`: taken, being written.
const FILLING: u32 = 1;
/// An entry's `state`: describes a live mapping.
const LIVE: u32 = 2;

/// One guarded mapping. Every field is an atomic, so the handler may read
/// an entry while another thread writes it (it may then see a stale name,
/// never undefined behaviour).
struct Entry {
    /// [`FREE`], [`FILLING`] or [`LIVE`].
    state: AtomicU32,
    start: AtomicUsize,
    len: AtomicUsize,
    name_len: AtomicUsize,
    name: [AtomicU8; NAME_BYTES],
}

impl Entry {
    const fn new() -> Self {
        Self {
            state: AtomicU32::new(FREE),
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            name_len: AtomicUsize::new(0),
            name: [const { AtomicU8::new(0) }; NAME_BYTES],
        }
    }
}

static TABLE: [Entry; ENTRIES] = [const { Entry::new() }; ENTRIES];

/// The `SIGBUS` disposition before ours, restored for faults that are not ours.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// A registered mapping; dropping it (before unmapping) takes it off the table.
#[derive(Debug)]
pub(super) struct Registration(Option<usize>);

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(i) = self.0 {
            // Release: pairs with the handler's Acquire load of `state`; the
            // entry is not read as live once the mapping goes.
            TABLE[i].state.store(FREE, Ordering::Release);
        }
    }
}

/// Guard `len` bytes mapped at `start` for the segment `name`.
pub(super) fn register(start: *const u8, len: usize, name: &str) -> Registration {
    install_handler();
    for (i, entry) in TABLE.iter().enumerate() {
        // Acquire: pairs with the Release store of FREE in `Registration::drop`.
        if entry.state.compare_exchange(FREE, FILLING, Ordering::Acquire, Ordering::Relaxed).is_err() {
            continue;
        }
        let bytes = &name.as_bytes()[..name.len().min(NAME_BYTES)];
        for (slot, &b) in entry.name.iter().zip(bytes) {
            slot.store(b, Ordering::Relaxed);
        }
        entry.name_len.store(bytes.len(), Ordering::Relaxed);
        entry.start.store(start as usize, Ordering::Relaxed);
        entry.len.store(len, Ordering::Relaxed);
        // Release: pairs with the handler's Acquire load of `state`; the
        // fields above are visible to it once it sees LIVE.
        entry.state.store(LIVE, Ordering::Release);
        return Registration(Some(i));
    }
    Registration(None)
}

/// Install the handler once per process, keeping the disposition it replaces.
fn install_handler() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        // SAFETY: an all-zero `sigaction` is a valid value (SIG_DFL, no flags,
        // empty mask); the kernel fills it with the current disposition.
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: querying with a null new action changes nothing; `previous` is a valid out-pointer.
        if unsafe { libc::sigaction(libc::SIGBUS, std::ptr::null(), &mut previous) } != 0 {
            return;
        }
        let _ = PREVIOUS.set(previous);
        // SAFETY: as above, a zeroed `sigaction` is valid; we fill it below.
        let mut ours: libc::sigaction = unsafe { std::mem::zeroed() };
        ours.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) as usize;
        // SA_ONSTACK: run on the alternate stack where the thread has one.
        ours.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        // SAFETY: `ours.sa_mask` is a valid sigset_t to clear; `ours` is a
        // fully initialised action whose handler is async-signal-safe
        // (see `on_sigbus`), installed for SIGBUS only.
        unsafe {
            libc::sigemptyset(&mut ours.sa_mask);
            libc::sigaction(libc::SIGBUS, &ours, std::ptr::null_mut());
        }
    });
}

/// The `SIGBUS` handler. Async-signal-safe: atomics, a stack buffer, and
/// the system calls `write`, `sigaction` and `_exit` only.
extern "C" fn on_sigbus(_signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t for a handler installed
    // with SA_SIGINFO; `si_addr` is the field a SIGBUS fills.
    let (code, addr) = unsafe { ((*info).si_code, (*info).si_addr() as usize) };
    if code == libc::BUS_ADRERR {
        for entry in &TABLE {
            // Acquire: pairs with the Release store of LIVE in `register`.
            if entry.state.load(Ordering::Acquire) != LIVE {
                continue;
            }
            let start = entry.start.load(Ordering::Relaxed);
            if addr >= start && addr - start < entry.len.load(Ordering::Relaxed) {
                report_and_exit(entry);
            }
        }
    }
    // Not ours: put the previous disposition back and return; the fault
    // repeats and reaches it.
    let default = default_action();
    let previous = PREVIOUS.get().unwrap_or(&default);
    // SAFETY: `previous` is a valid action (the one the kernel gave us, or
    // SIG_DFL); sigaction is async-signal-safe.
    unsafe { libc::sigaction(libc::SIGBUS, previous, std::ptr::null_mut()) };
}

/// `SIG_DFL` for `SIGBUS`, for a handler that somehow has no previous action.
fn default_action() -> libc::sigaction {
    // SAFETY: an all-zero sigaction is SIG_DFL with no flags and an empty mask.
    unsafe { std::mem::zeroed() }
}

/// Write the one line for `entry`'s segment and end the process.
fn report_and_exit(entry: &Entry) -> ! {
    const HEAD: &[u8] = b"ringside: shared segment /dev/shm/";
    const TAIL: &[u8] = b" shrank under this process (truncated by another): stopping\n";
    let mut line = [0u8; HEAD.len() + NAME_BYTES + TAIL.len()];
    let mut n = 0;
    for &b in HEAD {
        line[n] = b;
        n += 1;
    }
    let name_len = entry.name_len.load(Ordering::Relaxed).min(NAME_BYTES);
    for slot in &entry.name[..name_len] {
        line[n] = slot.load(Ordering::Relaxed);
        n += 1;
    }
    for &b in TAIL {
        line[n] = b;
        n += 1;
    }
    // SAFETY: `line[..n]` is initialised memory on this stack; write and
    // _exit are async-signal-safe. A short or failed write cannot be helped here.
    unsafe {
        libc::write(libc::STDERR_FILENO, line.as_ptr().cast(), n);
        libc::_exit(super::SHRUNK_SEGMENT_EXIT_STATUS)
    }
}
