//! Whether another process has exited: the one way ringside asks, for the
//! waits of the shared-memory ring (`ring::wait`) and of the kernel
//! transports ([`crate::transport::peer`]). The two differ in when they ask,
//! not in how: the ring every millisecond of a wait, of whichever pid its
//! peer last wrote into the ring's shared line (so it opens a new
//! [`Liveness`] when that pid changes); a transport between slices of a
//! blocking wait, of the one pid it was given when the end was opened.
//!
//! A pidfd (`pidfd_open(2)`, Linux 5.3) turns readable when its process
//! exits, also while the process is an unreaped zombie, which
//! `kill(pid, 0)` would still call alive: a peer killed by the process that
//! spawned it stays a zombie until reaped, and must count as gone at once.
//! Where no pidfd can be opened (an older kernel, no descriptors left),
//! `kill(pid, 0)` answers instead, and only `ESRCH` means gone (`EPERM` is
//! a process of another user, which exists).
//!
//! `transport::objects::running` asks another question on purpose: whether
//! a pid still names any process, zombies included, before a sweep removes
//! what a run left behind.

use std::os::fd::OwnedFd;

use rustix::event::{PollFd, PollFlags, poll};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, pidfd_open, test_kill_process};

/// One other process, watched for its exit.
pub(crate) struct Liveness {
    pid: u32,
    probe: Probe,
}

/// How [`Liveness`] learns of the exit.
enum Probe {
    /// The process's pidfd: readable once it exited.
    Pidfd(OwnedFd),
    /// No pidfd could be opened: `kill(pid, 0)`.
    Signal(Pid),
    /// Gone already when the watch began (or no pid a process can have).
    Exited,
}

impl Liveness {
    /// Watch process `pid` from now on (its pidfd is opened here).
    pub(crate) fn of(pid: u32) -> Self {
        let Some(raw) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
            return Self { pid, probe: Probe::Exited };
        };
        let probe = match pidfd_open(raw, PidfdFlags::empty()) {
            Ok(fd) => Probe::Pidfd(fd),
            Err(Errno::SRCH) => Probe::Exited,
            Err(_) => Probe::Signal(raw),
        };
        Self { pid, probe }
    }

    /// The watched process's id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process has exited (a zombie has, where a pidfd watches it).
    pub(crate) fn has_exited(&self) -> bool {
        match &self.probe {
            Probe::Pidfd(fd) => {
                let mut fds = [PollFd::new(fd, PollFlags::IN)];
                let zero = rustix::time::Timespec { tv_sec: 0, tv_nsec: 0 };
                matches!(poll(&mut fds, Some(&zero)), Ok(n) if n > 0)
            }
            Probe::Signal(pid) => test_kill_process(*pid) == Err(Errno::SRCH),
            Probe::Exited => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zombie_has_exited_and_a_running_process_has_not() {
        let mut child = std::process::Command::new("sleep").arg("0.1").spawn().unwrap();
        let watched = Liveness::of(child.id());
        assert!(!watched.has_exited(), "sleep 0.1 exited at once");
        assert!(!Liveness::of(std::process::id()).has_exited());
        // Exited but not reaped yet: a zombie, which only the pidfd sees.
        let started = std::time::Instant::now();
        while !watched.has_exited() {
            assert!(started.elapsed() < std::time::Duration::from_secs(10), "sleep 0.1 never exited");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        child.wait().unwrap();
        assert!(watched.has_exited());
        assert!(Liveness::of(child.id()).has_exited() || pid_reused(child.id()));
        assert!(Liveness::of(0).has_exited(), "0 is no process");
        assert!(Liveness::of(u32::MAX).has_exited(), "no process has that pid");
    }

    /// Whether `pid` names a process again (reused since the child was reaped).
    fn pid_reused(pid: u32) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }
}
