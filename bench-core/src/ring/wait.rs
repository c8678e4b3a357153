//! Waiting for the other side: spin, yield or block, with a deadline and a
//! check that the peer process is still alive.
//!
//! Only the slow path lands here; a `send` that finds room or a `recv` that
//! finds a message never reads a clock or makes a system call.
//!
//! # Sleeping without losing a wake-up (`block`)
//!
//! Each side owns a futex word on its own line (`1` = "I may be asleep"):
//!
//! ```text
//! sleeper                              waker
//! word.swap(1)                         publish (stamp / index, Release)
//! fence(SeqCst)  ------ pairs with --- fence(SeqCst)
//! if ready(): word.swap(0); return     if word.load() != 0 && word.swap(0) != 0:
//! futex_wait(word, 1)                      futex_wake(word)
//! word.swap(0)
//! ```
//!
//! The two fences order each side's write before its load (Dekker), so
//! either the sleeper sees the publication, or the waker sees `1`, clears it
//! and wakes; `futex_wait(word, 1)` returns at once if the word is already 0,
//! so a wake that comes before the sleep is not lost. `tests/loom.rs`
//! checks this protocol under every interleaving.
//!
//! Every write of the word is a swap, the sleeper's too, though a plain
//! store would do on hardware and in the C++20 model: then the word's
//! modification order is one chain of read-modify-writes, each reading the
//! one before. loom keeps a modification order only as far as threads have
//! seen each other's writes, so a sleeper's plain store racing the waker's
//! swap stayed unordered against it there, and after both fences loom let
//! the waker read its own stale `0` instead of the newer announcement, an
//! execution C++20 forbids (a swap reads the write just before it, so it
//! precedes the newer store, which the fence rule then makes visible). That
//! was the lost wake-up loom once reported here (see `tests/loom.rs`); with
//! swaps the model is exact, at the cost of a locked instruction on a path
//! that is about to make a system call anyway.
//!
//! # Many sleepers on one word (`Crowd`)
//!
//! The flag above has one owner: a second sleeper's `swap(0)` on waking
//! would take back the first one's announcement while it still sleeps. The
//! mailbox's senders, any number of which may wait for room at once, sleep
//! on a [`Crowd`] instead: a count of announced sleepers and an epoch word
//! that the futex waits on.
//!
//! ```text
//! sleeper                              waker
//! sleepers.fetch_add(1)                publish (Release)
//! e = epoch.load()
//! fence(SeqCst)  ------ pairs with --- fence(SeqCst)
//! if ready(): sleepers -= 1; return    if sleepers.load() != 0:
//! futex_wait(epoch, e)                     epoch.fetch_add(1); futex_wake(epoch)
//! sleepers.fetch_sub(1)
//! ```
//!
//! If the sleeper's fence comes first, the waker's load sees its count (so
//! it bumps the epoch, and `futex_wait(epoch, e)` returns at once if the
//! bump came first); the sleeper cannot have read the bumped epoch as `e`,
//! as that would order the waker's fence before its own. If the waker's
//! fence comes first, the sleeper's re-poll sees the publication. Every
//! write of both words is a read-modify-write, for the reason above.
//! `tests/loom_mailbox.rs` checks it with two senders asleep on one crowd.
//!
//! # Spin phases under loom
//!
//! Every build uses the production constants and decides by them in the
//! same code: whether a side spins at all (not on one CPU, unless asked to
//! spin), and when a wait moves from spinning to yielding or sleeping.
//! Only the length of a spin phase (the [`SPINS_BEFORE_BACKOFF`] polls
//! here, the consumer's tight and inline spins) differs: under loom,
//! [`spin_polls`] makes a phase of any length one poll, or none with
//! `RINGSIDE_LOOM_SPIN_POLLS=0`. Each production poll would be a
//! scheduling point and a load for loom to explore, thousands per wait
//! (loom stops at 1,000 branches).
//!
//! No behaviour is lost. A failed poll only loads: it writes nothing another
//! thread can see and changes nothing of this side's but the count that
//! ends the phase. So failed polls in a row are, for everything after
//! them, the last of them alone (reading what it read), and a phase that
//! ends in success is one whose first poll succeeded, the peer's steps
//! placed before it. Every phase also directly follows or precedes another
//! poll of the same slot: `recv`'s first look, or `until`'s first poll,
//! which decides by the slot before `closed` and `sealed`. So even no
//! polls at all loses nothing: that is the reduced form.
//!
//! Both forms are modelled (`.ci/run` runs the loom suite twice) because
//! neither sees everything in loom. With one poll, the spin code itself
//! runs: the tight and inline loops, and `until`'s spin branch and its move
//! to the backoff. But loom's spin hint is a yield, and after a yield loom
//! lets a load return only values newer than those the thread saw before
//! it (so that spin loops end), which hides the stale reads some bugs need:
//! a `closed` stored Relaxed instead of Release is caught only without the
//! yields. Without spin phases, a process that may use many CPUs waits as
//! one on a single CPU does, so the second run is that configuration too.
//!
//! # Deadline and dead peers
//!
//! Every wait has a deadline (`RingConfig::timeout`). While waiting, the
//! peer's pid (from the shared line) is watched through a pidfd, which turns
//! readable when the process exits, also when it is an unreaped zombie (which
//! `kill(pid, 0)` would still call alive). Sleeps are sliced so both checks
//! run at least every [`SLEEP_SLICE`].

use std::time::Duration;
#[cfg(not(loom))]
use std::time::Instant;

use super::config::WaitStrategy;
use crate::sync::{AtomicU32, FutexWord, Ordering, fence, spin_hint, yield_now};

/// Spins before `yield` and `block` start yielding or sleeping (fewer
/// under loom, see [`spin_polls`]).
const SPINS_BEFORE_BACKOFF: u32 = 2_000;
/// Spins between clock reads while purely spinning.
const SPINS_PER_CHECK: u32 = 256;
/// Longest single futex sleep, so deadline and liveness are rechecked.
pub(crate) const SLEEP_SLICE: Duration = Duration::from_millis(20);
/// How often a waiting side asks the kernel whether its peer lives.
#[cfg_attr(loom, allow(dead_code))]
const LIVENESS_EVERY: Duration = Duration::from_millis(1);

/// The polls a spin phase of `n` polls makes: `n` (see the module doc for
/// loom's).
#[cfg(not(loom))]
#[inline(always)]
pub(crate) fn spin_polls(n: u32) -> u32 {
    n
}

/// The polls a spin phase of `n` polls makes under loom: none if `n` is 0,
/// else one, or none with `RINGSIDE_LOOM_SPIN_POLLS=0` (see the module doc
/// for why either covers production's `n`).
#[cfg(loom)]
pub(crate) fn spin_polls(n: u32) -> u32 {
    let reduced = std::env::var_os("RINGSIDE_LOOM_SPIN_POLLS").is_some_and(|v| v == "0");
    u32::from(n > 0 && !reduced)
}

/// Why a wait gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitFailure {
    /// The peer process is gone.
    PeerDied(u32),
    /// The deadline passed after this long.
    Timeout(Duration),
}

/// Waits on behalf of one side of a ring.
pub(crate) struct Waiter {
    strategy: WaitStrategy,
    /// Spins before `yield`/`block` back off: 0 when this process can use a
    /// single CPU, where spinning only delays the peer it waits for.
    spins_before_backoff: u32,
    timeout: Duration,
    peer: Peer,
    /// Tests only: the count a wait's polls start from, to reach counts a
    /// real wait takes hours to (0 otherwise, and always in production).
    #[cfg(test)]
    first_poll_count: u64,
}

impl Waiter {
    pub(crate) fn new(strategy: WaitStrategy, timeout: Duration) -> Self {
        let spins_before_backoff = if Self::one_cpu() { 0 } else { spin_polls(SPINS_BEFORE_BACKOFF) };
        Self {
            strategy,
            timeout,
            spins_before_backoff,
            peer: Peer::default(),
            #[cfg(test)]
            first_poll_count: 0,
        }
    }

    /// The count a wait's polls start from: 0, except where a test set it.
    #[inline(always)]
    fn first_poll_count(&self) -> u64 {
        #[cfg(test)]
        let first = self.first_poll_count;
        #[cfg(not(test))]
        let first = 0;
        first
    }

    /// Whether this process may run on one CPU only (never under loom,
    /// whose runs without spin phases model that configuration: see the
    /// module doc).
    pub(crate) fn one_cpu() -> bool {
        cfg!(not(loom)) && crate::pin::available_cores().len() == 1
    }

    /// Poll until `poll` yields a value, waiting per the strategy between polls.
    /// `sleep_on` is this side's futex word; `peer_pid` the other side's pid word.
    #[cold]
    #[inline(never)]
    pub(crate) fn until<T>(
        &mut self,
        sleep_on: &FutexWord,
        peer_pid: &AtomicU32,
        poll: impl FnMut() -> Option<T>,
    ) -> Result<T, WaitFailure> {
        let mut peer = std::mem::take(&mut self.peer);
        let outcome = self.until_watching(sleep_on, || peer.check_now(peer_pid), poll);
        self.peer = peer;
        outcome
    }

    /// [`until`](Self::until) for a side with any number of peers, or that
    /// sleeps with others on one word: `sleep_on` says how this side sleeps
    /// ([`FutexWord`] alone, [`Crowd`] with others), and `peers_alive`,
    /// asked at most every [`LIVENESS_EVERY`] of a wait, says whether every
    /// peer it waits for still lives. Inlined into its callers, each of
    /// them a cold function of its own (the ring's [`until`](Self::until),
    /// the mailbox's waits), so the ring's wait is one call, as it was
    /// before the mailbox shared this loop (the 8-byte stream enters a wait
    /// whenever it fills its ring).
    #[inline(always)]
    pub(crate) fn until_watching<T>(
        &mut self,
        sleep_on: &impl SleepWord,
        mut peers_alive: impl FnMut() -> Result<(), WaitFailure>,
        mut poll: impl FnMut() -> Option<T>,
    ) -> Result<T, WaitFailure> {
        let mut clock = Clock::default();
        // 64 bits: counting never stops, so neither do the checks below.
        let mut polls: u64 = self.first_poll_count();
        loop {
            if let Some(v) = poll() {
                return Ok(v);
            }
            polls += 1;
            let backoff = polls > u64::from(self.spins_before_backoff);
            // Deadline and peer are checked every SPINS_PER_CHECK polls while
            // spinning or yielding (a clock read on every poll would make
            // each several times slower; on a virtual machine a read costs
            // tens to hundreds of nanoseconds), and after every sleep that
            // did not end the wait. A wait that ends at its first wake-up,
            // the common case, reads no clock at all: its sleep is one
            // SLEEP_SLICE, so the deadline may pass up to one slice late.
            let check = match self.strategy {
                WaitStrategy::Yield if backoff => {
                    yield_now();
                    polls % u64::from(SPINS_PER_CHECK) == 0
                }
                WaitStrategy::Block if backoff => {
                    // Swaps, not stores, for every write of the word: see
                    // the module doc (a plain store is where loom once
                    // reported a lost wake-up C++20 rules out).
                    let announced = sleep_on.announce();
                    // SeqCst fence: pairs with the waker's fence in `wake`
                    // (see the module doc): our write of 1 is ordered before
                    // the re-poll below, its publication before its load.
                    // Either the re-poll sees the publication, or the waker
                    // sees our 1 and wakes us: no interleaving sleeps past a
                    // publication, which loom checks with the production
                    // constants (`tests/loom.rs`).
                    fence(Ordering::SeqCst);
                    if let Some(v) = poll() {
                        sleep_on.retract();
                        return Ok(v);
                    }
                    sleep_on.sleep(announced, clock.sleep_for(self.timeout));
                    sleep_on.retract();
                    if let Some(v) = poll() {
                        return Ok(v);
                    }
                    true
                }
                _ => {
                    spin_hint();
                    polls % u64::from(SPINS_PER_CHECK) == 0
                }
            };
            if check {
                // A peer that published (or closed its end) and then exited
                // while we slept is not a failure: poll once more before
                // reporting the deadline or its death.
                let failure =
                    clock.check(self.timeout).and_then(|()| if clock.liveness_due() { peers_alive() } else { Ok(()) });
                if let Err(failure) = failure {
                    return poll().ok_or(failure);
                }
            }
        }
    }
}

/// After publishing, wake the peer if it announced it may be asleep.
/// Only called under `WaitStrategy::Block`.
#[inline]
pub(crate) fn wake(peer_sleeps_on: &FutexWord) {
    // SeqCst fence: pairs with the sleeper's fence in `Waiter::until_watching`; orders
    // our publication (before this call) before the load of the word below.
    fence(Ordering::SeqCst);
    if peer_sleeps_on.word.load(Ordering::Relaxed) != 0 && peer_sleeps_on.word.swap(0, Ordering::Relaxed) != 0 {
        peer_sleeps_on.wake_all();
    }
}

/// How a waiting side announces that it may sleep, sleeps, and takes the
/// announcement back (see the module doc): the ring's [`FutexWord`], one
/// sleeper per word, and the mailbox's [`Crowd`], any number.
pub(crate) trait SleepWord {
    /// Announce a sleep; returns the value [`sleep`](Self::sleep) sleeps on.
    fn announce(&self) -> u32;
    /// Sleep while the word still holds `announced`, at most `timeout`.
    fn sleep(&self, announced: u32, timeout: Duration);
    /// Take the announcement back (after the sleep, or instead of it).
    fn retract(&self);
}

impl SleepWord for FutexWord {
    fn announce(&self) -> u32 {
        self.word.swap(1, Ordering::Relaxed);
        1
    }

    fn sleep(&self, announced: u32, timeout: Duration) {
        self.wait(announced, timeout);
    }

    fn retract(&self) {
        self.word.swap(0, Ordering::Relaxed);
    }
}

/// Words any number of waiters of one side sleep on together (the
/// mailbox's senders waiting for room): how many announced a sleep, and
/// the epoch the futex waits on, bumped by each wake that finds sleepers.
#[repr(C)]
#[derive(Default)]
pub(crate) struct Crowd {
    /// Waiters between `announce` and `retract`.
    sleepers: AtomicU32,
    /// Bumped (wrapping) by every wake that found sleepers; the futex word.
    epoch: FutexWord,
}

impl SleepWord for Crowd {
    fn announce(&self) -> u32 {
        self.sleepers.fetch_add(1, Ordering::Relaxed);
        // Read before the caller's SeqCst fence: see the module doc for
        // why the epoch read here can never already be the waker's bump.
        // A read-modify-write, not a load, like every access of these
        // words (the module doc's loom note).
        self.epoch.word.fetch_add(0, Ordering::Relaxed)
    }

    fn sleep(&self, announced: u32, timeout: Duration) {
        self.epoch.wait(announced, timeout);
    }

    fn retract(&self) {
        self.sleepers.fetch_sub(1, Ordering::Relaxed);
    }
}

/// After publishing (or freeing room), wake every waiter asleep on
/// `crowd`, if any announced a sleep. Only called under `WaitStrategy::Block`.
#[inline]
pub(crate) fn wake_crowd(crowd: &Crowd) {
    // SeqCst fence: pairs with each sleeper's fence in `Waiter::until_watching`
    // (see the module doc): our publication before the load of the count.
    fence(Ordering::SeqCst);
    if crowd.sleepers.load(Ordering::Relaxed) != 0 {
        crowd.epoch.word.fetch_add(1, Ordering::Relaxed);
        crowd.epoch.wake_all();
    }
}

/// Lazily started stopwatch for one wait: the fast path reads no clock.
#[derive(Default)]
struct Clock {
    #[cfg(not(loom))]
    start: Option<Instant>,
    #[cfg(not(loom))]
    last_liveness: Option<Instant>,
}

impl Clock {
    #[cfg(not(loom))]
    fn elapsed(&mut self) -> Duration {
        self.start.get_or_insert_with(Instant::now).elapsed()
    }

    /// How long the next futex sleep may last: one [`SLEEP_SLICE`], or
    /// less once the stopwatch runs and less of the deadline is left.
    /// Reads no clock before the first check has started the stopwatch.
    #[cfg(not(loom))]
    fn sleep_for(&mut self, timeout: Duration) -> Duration {
        match self.start {
            None => SLEEP_SLICE,
            Some(start) => timeout.saturating_sub(start.elapsed()).clamp(Duration::from_micros(1), SLEEP_SLICE),
        }
    }

    #[cfg(not(loom))]
    fn check(&mut self, timeout: Duration) -> Result<(), WaitFailure> {
        let waited = self.elapsed();
        if waited >= timeout { Err(WaitFailure::Timeout(waited)) } else { Ok(()) }
    }

    #[cfg(not(loom))]
    fn liveness_due(&mut self) -> bool {
        let now = Instant::now();
        match self.last_liveness {
            Some(t) if now.duration_since(t) < LIVENESS_EVERY => false,
            _ => {
                self.last_liveness = Some(now);
                true
            }
        }
    }

    // Under loom there is no time: waits end by the protocol or loom reports a deadlock.
    #[cfg(loom)]
    fn sleep_for(&mut self, timeout: Duration) -> Duration {
        timeout
    }

    #[cfg(loom)]
    fn check(&mut self, _timeout: Duration) -> Result<(), WaitFailure> {
        Ok(())
    }

    // No processes under loom: a peer never dies.
    #[cfg(loom)]
    fn liveness_due(&mut self) -> bool {
        false
    }
}

/// The other side's process, watched through its pidfd (`crate::liveness`,
/// the transports' way too). Unlike a transport's watch, which is given its
/// peer's pid when an end opens, the ring learns the pid from the shared
/// line, where it is 0 until the peer attaches and may name a new process
/// when another attaches, so the watch is opened on first need and again
/// whenever the word changes.
#[derive(Default)]
pub(crate) struct Peer {
    #[cfg(not(loom))]
    process: Option<crate::liveness::Liveness>,
}

impl Peer {
    /// `Err(PeerDied)` if the pid in `pid_word` belongs to a process that
    /// has exited; a wait asks every [`LIVENESS_EVERY`].
    #[cfg(not(loom))]
    pub(crate) fn check_now(&mut self, pid_word: &AtomicU32) -> Result<(), WaitFailure> {
        let pid = pid_word.load(Ordering::Relaxed);
        if pid == 0 {
            return Ok(()); // not attached yet: only the deadline applies
        }
        let process = match &mut self.process {
            Some(process) if process.pid() == pid => process,
            watched => watched.insert(crate::liveness::Liveness::of(pid)),
        };
        if process.has_exited() { Err(WaitFailure::PeerDied(pid)) } else { Ok(()) }
    }

    #[cfg(loom)]
    pub(crate) fn check_now(&mut self, _pid_word: &AtomicU32) -> Result<(), WaitFailure> {
        Ok(())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A wait whose poll never succeeds ends with `Timeout` however many
    /// polls came before it. Once counted in a saturating `u32`, the count
    /// stuck at `u32::MAX` after 2^32 polls, `polls % 256` never reached 0
    /// again, and a `spin` or `yield` wait neither read its deadline nor
    /// looked at its peer any more (`block` checks after every sleep, and is
    /// here so that stays so). Each wait runs on its own thread: one that
    /// hangs fails the test after a generous guard instead of hanging the suite.
    #[test]
    fn a_wait_keeps_its_deadline_past_two_to_the_32_polls() {
        let near_u32_limit = u64::from(u32::MAX);
        for strategy in [WaitStrategy::Spin, WaitStrategy::Yield, WaitStrategy::Block] {
            for first in [near_u32_limit - 300, near_u32_limit - 1, near_u32_limit, near_u32_limit + 1, 3 << 32] {
                let (done, outcome) = std::sync::mpsc::channel();
                std::thread::spawn(move || {
                    let mut waiter = Waiter::new(strategy, Duration::from_millis(20));
                    waiter.first_poll_count = first;
                    let sleep_on = FutexWord::default();
                    // 0: no peer attached, so only the deadline can end the wait.
                    let peer_pid = AtomicU32::new(0);
                    let _ = done.send(waiter.until(&sleep_on, &peer_pid, || None::<()>));
                });
                match outcome.recv_timeout(Duration::from_secs(30)) {
                    Ok(result) => assert!(
                        matches!(result, Err(WaitFailure::Timeout(_))),
                        "{strategy:?} from poll {first}: {result:?}"
                    ),
                    Err(_) => {
                        panic!("{strategy:?} starting at poll {first} lost its deadline: still waiting after 30 s")
                    }
                }
            }
        }
    }
}
