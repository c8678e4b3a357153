//! The mutex design: the textbook bounded buffer (Silberschatz et al.,
//! *Operating System Concepts*, the producer-consumer problem with a
//! monitor) in shared memory, as the ablation the lock-free design is
//! measured against.
//!
//! One process-shared, robust `pthread_mutex_t` guards the circular buffer
//! and the counters `put` and `taken` (the textbook's `in` and `out` are
//! `put % n` and `taken % n`; monotonic counters also give a rendezvous
//! sender its ticket). Two condition variables: `not_empty`, which the
//! receiver waits on and every put, and every sender's close, signals;
//! `not_full`, which senders wait on (for room, or for their rendezvous
//! receipt) and every take, and the receiver's close, broadcasts. Every
//! change a waiter waits for is made under the lock, so no wake-up is lost.
//!
//! # Why the condition variables are futex words, not `pthread_cond_t`
//! With glibc's process-shared `pthread_cond_t` (2.25 to 2.40; this
//! machine's is 2.36) a waiter killed inside `pthread_cond_wait` stays
//! counted in its group's references, and the next signal or broadcast
//! that must switch groups waits for that count to drain: forever, holding
//! the mutex, so one `kill -9` of a sender hangs every process of the
//! mailbox (what `tests/mailbox.rs` saw). So each condition variable is
//! the classic futex one instead ("Futexes Are Tricky", Drepper): a
//! sequence word. A waiter reads it under the lock, unlocks, and
//! `FUTEX_WAIT`s for it to change; a signaller bumps it under the lock and
//! `FUTEX_WAKE`s. A bump after the waiter's read makes its wait return at
//! once, so no wake-up is lost, and it keeps no count a dead waiter could
//! leave behind. The lock stays glibc's robust mutex.
//!
//! Waits are slices of at most `ring::wait::SLEEP_SLICE`, so the side's
//! deadline and the liveness of its peers are checked between them: a
//! peer killed while *not* holding the lock is found that way, one killed
//! *holding* it by the robust mutex (`EOWNERDEAD`): the mutex is made
//! consistent, the dead holder's pid recorded in `owner_died`, and every
//! later lock fails with it.
//!
//! The wait strategy does not apply: this design always blocks. loom
//! cannot model pthread objects, so this design is tested between threads
//! and processes only (`tests/mailbox.rs`), never in `tests/loom_mailbox.rs`.

use std::time::{Duration, Instant};

use super::error::MailboxError;
use super::layout::{LockedLine, Region};
use crate::ring::wait::{SLEEP_SLICE, WaitFailure};
use crate::sync::Ordering;

/// `LockedLine::owner_died` when the process that died holding the lock
/// had not written its pid yet (or had cleared it, unlocking).
pub(crate) const UNKNOWN_HOLDER: u32 = u32::MAX;

/// The pid to report for a lock whose holder died: `pid`, or where that is
/// [`UNKNOWN_HOLDER`], the first registered sender found dead by `watch`.
pub(crate) fn dead_holder(pid: u32, watch: &mut super::roster::SenderWatch, region: &Region) -> u32 {
    if pid != UNKNOWN_HOLDER {
        return pid;
    }
    match watch.check(region) {
        Err(WaitFailure::PeerDied(dead)) => dead,
        _ => pid,
    }
}

/// Which condition variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cond {
    /// What the receiver waits on.
    NotEmpty,
    /// What senders wait on.
    NotFull,
}

/// Why a wait of the mutex design ended without what it waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockedFailure {
    /// The deadline passed or a watched peer died.
    Wait(WaitFailure),
    /// A process died holding the lock (its pid, or [`UNKNOWN_HOLDER`]).
    OwnerDied(u32),
}

/// Set up the mutex of a new segment (the creator only, before the header
/// says it is initialised; the condition variables start as zeroed words).
pub(crate) fn initialise(line: &LockedLine, name: &str) -> Result<(), MailboxError> {
    let failed = |op: &'static str, rc: i32| MailboxError::Sync {
        op,
        name: name.to_owned(),
        source: std::io::Error::from_raw_os_error(rc),
    };
    let check = |op: &'static str, rc: i32| if rc == 0 { Ok(()) } else { Err(failed(op, rc)) };
    // SAFETY: the attribute object is local and initialised by its
    // `_init` before any other use, and destroyed once; the mutex is in
    // the new segment, which no other process
    // uses before `initialised` is published after this returns; each
    // pointer is to memory of the right type inside the mapping.
    unsafe {
        let mut mutex_attr: libc::pthread_mutexattr_t = std::mem::zeroed();
        check("pthread_mutexattr_init", libc::pthread_mutexattr_init(&mut mutex_attr))?;
        let mutex = check(
            "pthread_mutexattr_setpshared",
            libc::pthread_mutexattr_setpshared(&mut mutex_attr, libc::PTHREAD_PROCESS_SHARED),
        )
        .and_then(|()| {
            check(
                "pthread_mutexattr_setrobust",
                libc::pthread_mutexattr_setrobust(&mut mutex_attr, libc::PTHREAD_MUTEX_ROBUST),
            )
        })
        .and_then(|()| check("pthread_mutex_init", libc::pthread_mutex_init(line.mutex.get(), &mutex_attr)));
        libc::pthread_mutexattr_destroy(&mut mutex_attr);
        mutex
    }
}

/// The lock, held; unlocked on drop.
pub(crate) struct Held<'a> {
    line: &'a LockedLine,
    /// False once a relock after a wait failed: then there is nothing to unlock.
    locked: std::cell::Cell<bool>,
}

/// Take the lock. `Err(pid)` if a process died holding it (now or before).
pub(crate) fn lock(line: &LockedLine) -> Result<Held<'_>, u32> {
    // SAFETY: the mutex was initialised process-shared by the creator
    // before the header was published, and is never destroyed while mapped.
    let rc = unsafe { libc::pthread_mutex_lock(line.mutex.get()) };
    let held = match rc {
        0 => Held { line, locked: std::cell::Cell::new(true) },
        libc::EOWNERDEAD => {
            let held = Held { line, locked: std::cell::Cell::new(true) };
            held.owner_died();
            return Err(line.owner_died.load(Ordering::Relaxed));
        }
        // ENOTRECOVERABLE (a holder died and nobody made it consistent),
        // or garbage a peer wrote into the mutex: no lock to hold.
        _ => return Err(line.owner_died.load(Ordering::Relaxed)),
    };
    held.check_owner()?;
    Ok(held)
}

impl Held<'_> {
    /// The lock was handed over by a dead holder: make it usable again
    /// (so every later lock returns, and fails with the recorded pid).
    fn owner_died(&self) {
        let line = self.line;
        // Relaxed, both: under the lock.
        let dead = line.holder.load(Ordering::Relaxed);
        line.owner_died.store(if dead == 0 { UNKNOWN_HOLDER } else { dead }, Ordering::Relaxed);
        // SAFETY: we hold the mutex (EOWNERDEAD hands it over locked).
        unsafe { libc::pthread_mutex_consistent(line.mutex.get()) };
    }

    /// Mark this process as the holder, or fail if a holder died before.
    fn check_owner(&self) -> Result<(), u32> {
        // Relaxed: under the lock.
        match self.line.owner_died.load(Ordering::Relaxed) {
            0 => {
                self.line.holder.store(std::process::id(), Ordering::Relaxed);
                Ok(())
            }
            dead => Err(dead),
        }
    }

    /// The word of condition variable `cond`.
    fn word(&self, cond: Cond) -> &crate::sync::FutexWord {
        match cond {
            Cond::NotEmpty => &self.line.not_empty,
            Cond::NotFull => &self.line.not_full,
        }
    }

    /// Wake every waiter on `cond` (`NotEmpty` has one: the receiver).
    pub(crate) fn signal(&self, cond: Cond) {
        let word = self.word(cond);
        // Relaxed: under the lock; a waiter read the word under it too, so
        // this bump comes after its read and ends its wait (module doc).
        word.word.fetch_add(1, Ordering::Relaxed);
        word.wake_all();
    }

    /// Wait on `cond` for at most `slice`; the lock is held again after.
    fn wait(&self, cond: Cond, slice: Duration) -> Result<(), u32> {
        let word = self.word(cond);
        // Relaxed: read under the lock, before it is released.
        let seen = word.word.load(Ordering::Relaxed);
        // Relaxed: under the lock; the unlock below releases it.
        self.line.holder.store(0, Ordering::Relaxed);
        // SAFETY: we hold the mutex.
        unsafe { libc::pthread_mutex_unlock(self.line.mutex.get()) };
        // Returns at once if a signal bumped the word since `seen`.
        word.wait(seen, slice);
        // SAFETY: as in `lock`: the mutex is initialised and mapped.
        let rc = unsafe { libc::pthread_mutex_lock(self.line.mutex.get()) };
        match rc {
            0 => {}
            libc::EOWNERDEAD => self.owner_died(),
            // Not locked: do not unlock it on drop either.
            _ => {
                self.locked.set(false);
                return Err(self.line.owner_died.load(Ordering::Relaxed));
            }
        }
        self.check_owner()
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if !self.locked.get() {
            return;
        }
        // Relaxed: under the lock, which the unlock below releases.
        self.line.holder.store(0, Ordering::Relaxed);
        // SAFETY: we hold the mutex.
        unsafe { libc::pthread_mutex_unlock(self.line.mutex.get()) };
    }
}

/// Run `f` under the lock (a close, a `try_send`).
pub(crate) fn with_lock<T>(region: &Region, f: impl FnOnce(&Held<'_>, &LockedLine) -> T) -> Result<T, u32> {
    let line = region.locked();
    let held = lock(line)?;
    Ok(f(&held, line))
}

/// Under the lock, `poll` until it yields, waiting on `cond` in slices
/// between polls; between slices, the deadline (`timeout` from now) and
/// `peers_alive`.
pub(crate) fn wait_until<T>(
    region: &Region,
    cond: Cond,
    timeout: Duration,
    mut peers_alive: impl FnMut() -> Result<(), WaitFailure>,
    mut poll: impl FnMut(&Held<'_>, &LockedLine) -> Option<T>,
) -> Result<T, LockedFailure> {
    let line = region.locked();
    let held = lock(line).map_err(LockedFailure::OwnerDied)?;
    let mut started: Option<Instant> = None;
    loop {
        if let Some(v) = poll(&held, line) {
            return Ok(v);
        }
        let waited = started.get_or_insert_with(Instant::now).elapsed();
        if waited >= timeout {
            return Err(LockedFailure::Wait(WaitFailure::Timeout(waited)));
        }
        peers_alive().map_err(LockedFailure::Wait)?;
        held.wait(cond, (timeout - waited).min(SLEEP_SLICE)).map_err(LockedFailure::OwnerDied)?;
    }
}
