//! CPU cost of one side: user and system seconds and context switches from
//! `getrusage`, so busy-polling and blocking designs compare by cost as
//! well as speed.

use serde::{Deserialize, Serialize};

/// CPU time and context switches of one process or thread, or their sum.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SideCpu {
    /// User CPU seconds.
    pub user_s: f64,
    /// System CPU seconds.
    pub sys_s: f64,
    /// Voluntary context switches (waits).
    pub voluntary_switches: u64,
    /// Involuntary context switches (preemptions).
    pub involuntary_switches: u64,
}

impl SideCpu {
    /// User plus system seconds.
    pub fn total_s(&self) -> f64 {
        self.user_s + self.sys_s
    }

    /// Add another run's usage.
    pub fn add(&mut self, other: &SideCpu) {
        self.user_s += other.user_s;
        self.sys_s += other.sys_s;
        self.voluntary_switches += other.voluntary_switches;
        self.involuntary_switches += other.involuntary_switches;
    }
}

/// Whose usage to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// The whole process (a worker process is one side).
    Process,
    /// The calling thread (one side of the in-process baseline).
    Thread,
}

/// Usage so far.
pub fn usage(who: Who) -> SideCpu {
    use nix::sys::resource::{UsageWho, getrusage};
    let who = match who {
        Who::Process => UsageWho::RUSAGE_SELF,
        Who::Thread => UsageWho::RUSAGE_THREAD,
    };
    let Ok(u) = getrusage(who) else { return SideCpu::default() };
    let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    SideCpu {
        user_s: secs(u.user_time()),
        sys_s: secs(u.system_time()),
        voluntary_switches: u.voluntary_context_switches() as u64,
        involuntary_switches: u.involuntary_context_switches() as u64,
    }
}

/// Usage between `before` and `after`.
pub fn since(before: &SideCpu, after: &SideCpu) -> SideCpu {
    SideCpu {
        user_s: (after.user_s - before.user_s).max(0.0),
        sys_s: (after.sys_s - before.sys_s).max(0.0),
        voluntary_switches: after.voluntary_switches.saturating_sub(before.voluntary_switches),
        involuntary_switches: after.involuntary_switches.saturating_sub(before.involuntary_switches),
    }
}
