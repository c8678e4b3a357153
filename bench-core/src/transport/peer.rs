//! Waiting with a deadline while watching the peer's process.
//!
//! Transports whose kernel object gives no end-of-file when the peer dies
//! (message queues, eventfd) wait in slices of [`SLICE`] and, between
//! slices, ask a [`PeerWatch`] whether the peer process still lives (through
//! a pidfd, which also sees an unreaped zombie) and whether the deadline
//! has passed.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{Pid, PidfdFlags, pidfd_open};

use super::TransportError;

/// How long one blocking wait lasts before the peer and the deadline are checked.
pub const SLICE: Duration = Duration::from_millis(50);

/// The peer process (if known) and the deadline of the current wait.
pub struct PeerWatch {
    pid: Option<u32>,
    pidfd: Option<OwnedFd>,
    timeout: Duration,
    started: Option<Instant>,
}

impl PeerWatch {
    /// Watch `pid` (if given); a wait without progress fails after `timeout`.
    pub fn new(pid: Option<u32>, timeout: Duration) -> Self {
        let pidfd = pid
            .and_then(|p| i32::try_from(p).ok())
            .and_then(Pid::from_raw)
            .and_then(|p| pidfd_open(p, PidfdFlags::empty()).ok());
        Self { pid, pidfd, timeout, started: None }
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
        if let Some(pid) = self.pid
            && !self.alive()
        {
            return Err(TransportError::PeerGone(format!("process {pid} exited")));
        }
        if started.elapsed() > self.timeout {
            return Err(TransportError::Timeout(self.timeout));
        }
        Ok(())
    }

    /// Whether the watched process is still running (true when none is watched).
    pub fn alive(&self) -> bool {
        match (&self.pidfd, self.pid) {
            (Some(fd), _) => {
                let mut fds = [PollFd::new(fd, PollFlags::IN)];
                let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
                !matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
            }
            (None, Some(pid)) => {
                // No pidfd (old kernel, or the pid was already gone when we looked).
                let Some(p) = i32::try_from(pid).ok().and_then(Pid::from_raw) else { return false };
                rustix::process::test_kill_process(p).is_ok()
            }
            (None, None) => true,
        }
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
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(TransportError::io("poll", e)),
        }
    }
}
