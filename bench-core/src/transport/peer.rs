//! Waiting with a deadline while watching the peer's process.
//!
//! Transports whose kernel object gives no end-of-file when the peer dies
//! (message queues, eventfd) wait in slices of [`SLICE`] and, between
//! slices, ask a [`PeerWatch`] whether the peer process still lives
//! (`crate::liveness`: a pidfd, which also sees an unreaped zombie) and whether
//! the deadline has passed: while waiting for a descriptor ([`wait_fd`]),
//! for a connection on a listener ([`accept_in_slices`]), or, from a thread
//! of its own, in a blocking call nothing else interrupts ([`StallWatch`]).

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::net::SocketFlags;

use super::TransportError;
use crate::liveness::Liveness;

/// How long one blocking wait lasts before the peer and the deadline are checked.
pub const SLICE: Duration = Duration::from_millis(50);

/// The peer process (if known) and the deadline of the current wait.
pub struct PeerWatch {
    /// The peer's process, watched from when the end opened.
    peer: Option<Liveness>,
    timeout: Duration,
    started: Option<Instant>,
}

impl PeerWatch {
    /// Watch `pid` (if given); a wait without progress fails after `timeout`.
    pub fn new(pid: Option<u32>, timeout: Duration) -> Self {
        Self { peer: pid.map(Liveness::of), timeout, started: None }
    }

    /// The operation made progress: the next wait starts a fresh deadline.
    #[inline]
    pub fn progressed(&mut self) {
        self.started = None;
    }

    /// Called after each slice of waiting: `Err` if the peer died or the
    /// deadline (counted from the first slice since the last progress) passed.
    pub fn check(&mut self) -> Result<(), TransportError> {
        let started = *self.started.get_or_insert_with(Instant::now);
        if let Some(peer) = &self.peer
            && peer.has_exited()
        {
            return Err(TransportError::PeerGone(format!("process {} exited", peer.pid())));
        }
        if started.elapsed() > self.timeout {
            return Err(TransportError::Timeout(self.timeout));
        }
        Ok(())
    }

    /// Whether the watched process is still running (true when none is watched).
    pub fn alive(&self) -> bool {
        self.peer.as_ref().is_none_or(|peer| !peer.has_exited())
    }

    /// The timeout of one wait.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
}

/// Wait until `fd` is ready for `flags` (in slices, checking `watch`).
pub fn wait_fd(fd: &OwnedFd, flags: PollFlags, watch: &mut PeerWatch) -> Result<(), TransportError> {
    let slice = rustix::time::Timespec { tv_sec: 0, tv_nsec: SLICE.as_nanos() as i64 };
    loop {
        let mut fds = [PollFd::new(fd, flags)];
        match poll(&mut fds, Some(&slice)) {
            Ok(0) => watch.check()?,
            Ok(_) => {
                let got = fds[0].revents();
                if got.intersects(flags) {
                    return Ok(());
                }
                if got.intersects(PollFlags::HUP | PollFlags::ERR) {
                    // Let the caller's next read or write report EOF / EPIPE.
                    return Ok(());
                }
                watch.check()?;
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(TransportError::io("poll", e)),
        }
    }
}

/// Accept one connection on a non-blocking listener, waiting for it in
/// slices (checking `watch`); the accepted socket is blocking and
/// close-on-exec. A connection reset while it waited in the backlog is
/// skipped. Errors name the transport by `what`.
pub fn accept_in_slices(listener: &OwnedFd, watch: &mut PeerWatch, what: &str) -> Result<OwnedFd, TransportError> {
    loop {
        match rustix::net::accept_with(listener, SocketFlags::CLOEXEC) {
            Ok(conn) => return Ok(conn),
            Err(Errno::AGAIN) => wait_fd(listener, PollFlags::IN, watch)?,
            Err(Errno::INTR | Errno::CONNABORTED) => {}
            Err(e) => return Err(TransportError::io(format!("{what}: accept"), e)),
        }
    }
}

/// Watches an end that blocks in a kernel call nothing interrupts when the
/// peer dies (a message queue has no end-of-file), from a thread of its own,
/// so that the call itself can be the plain blocking one a C program makes:
/// one system call per message, no timer armed per call.
///
/// The end brackets each blocking call with [`enter`](Self::enter) and
/// [`leave`](Self::leave) (two relaxed stores). Every [`SLICE`] the thread
/// looks: if the end has been inside the same call for a whole slice, and
/// `must_wait` says the call really waits for the peer (not merely
/// descheduled), the [`PeerWatch`] is asked; when the peer died or the
/// timeout passed, the verdict is stored and `unblock` makes the call
/// return (removing the queue, or sending or taking one message), after
/// which the end reports [`verdict`](Self::verdict).
pub struct StallWatch {
    shared: std::sync::Arc<StallShared>,
    calls: u64,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct StallShared {
    /// `2 * calls finished + 1` inside a call, `2 * calls finished` outside
    /// (written by the end only; Relaxed: the watchdog only compares samples).
    state: std::sync::atomic::AtomicU64,
    stop: std::sync::atomic::AtomicBool,
    /// 0 none, 1 peer gone, 2 timeout.
    verdict: std::sync::atomic::AtomicU8,
}

impl StallWatch {
    /// Start watching. `must_wait` answers whether the blocked call is
    /// waiting for the peer (`None`: the object is gone, stop watching).
    pub fn spawn(
        name: String,
        mut watch: PeerWatch,
        must_wait: impl Fn() -> Option<bool> + Send + 'static,
        unblock: impl FnOnce() + Send + 'static,
    ) -> Result<Self, TransportError> {
        use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
        let shared = std::sync::Arc::new(StallShared {
            state: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            verdict: AtomicU8::new(0),
        });
        let theirs = shared.clone();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || {
                let mut last = 0;
                loop {
                    std::thread::park_timeout(SLICE);
                    // Acquire: pairs with the Release store in `Drop`.
                    if theirs.stop.load(Ordering::Acquire) {
                        return;
                    }
                    let now = theirs.state.load(Ordering::Relaxed);
                    let stalled = now & 1 == 1 && now == last;
                    last = now;
                    if !stalled {
                        watch.progressed();
                        continue;
                    }
                    match must_wait() {
                        // The object is gone: the end's call fails by itself.
                        None => return,
                        // Inside the call but not waiting for the peer (descheduled).
                        Some(false) => {
                            watch.progressed();
                            continue;
                        }
                        Some(true) => {}
                    }
                    if let Err(e) = watch.check() {
                        let verdict = if matches!(e, TransportError::PeerGone(_)) { 1 } else { 2 };
                        // Release: pairs with the Acquire load in `verdict`;
                        // the end reads it after `unblock` woke its call.
                        theirs.verdict.store(verdict, Ordering::Release);
                        unblock();
                        return;
                    }
                }
            })
            .map_err(|e| TransportError::io("spawn a watchdog thread", e))?;
        Ok(Self { shared, calls: 0, thread: Some(thread) })
    }

    /// The end enters a call that may block.
    #[inline]
    pub fn enter(&self) {
        self.shared.state.store(2 * self.calls + 1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The end left that call.
    #[inline]
    pub fn leave(&mut self) {
        self.calls += 1;
        self.shared.state.store(2 * self.calls, std::sync::atomic::Ordering::Relaxed);
    }

    /// Why the watchdog unblocked the end, if it did; `peer` names the process.
    #[inline]
    pub fn verdict(&self, peer: Option<u32>, timeout: Duration) -> Option<TransportError> {
        // Acquire: pairs with the watchdog's Release store of the verdict.
        match self.shared.verdict.load(std::sync::atomic::Ordering::Acquire) {
            0 => None,
            1 => Some(TransportError::PeerGone(format!("process {} exited", peer.unwrap_or(0)))),
            _ => Some(TransportError::Timeout(timeout)),
        }
    }
}

impl Drop for StallWatch {
    fn drop(&mut self) {
        // Release: pairs with the watchdog's Acquire load of `stop`.
        self.shared.stop.store(true, std::sync::atomic::Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}
