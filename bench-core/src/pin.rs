//! Pinning the calling thread to one CPU core (`core_affinity`).
//!
//! A thread inherits its creator's affinity mask, and so does a process
//! spawned from a pinned thread. So the cores this process may use are read
//! once, on first use (normally before anything is pinned), and pinning
//! never checks the caller's current, possibly narrowed, mask: it asks the
//! kernel, which refuses only cores outside the process's cpuset.

use std::sync::OnceLock;

/// Could not pin to the requested core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot pin to core {core}: this process may run on cores {available:?}")]
pub struct PinError {
    /// The core asked for.
    pub core: usize,
    /// The cores this process may run on.
    pub available: Vec<usize>,
}

/// Cores this process may run on, in ascending order, as its affinity mask
/// was the first time this was called.
pub fn available_cores() -> Vec<usize> {
    static FIRST_SEEN: OnceLock<Vec<usize>> = OnceLock::new();
    FIRST_SEEN
        .get_or_init(|| {
            let mut ids: Vec<usize> =
                core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|c| c.id).collect();
            ids.sort_unstable();
            ids
        })
        .clone()
}

/// Pin the calling thread to `core`.
pub fn pin_current(core: usize) -> Result<(), PinError> {
    if core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
        Ok(())
    } else {
        Err(PinError { core, available: available_cores() })
    }
}

/// Let the calling thread run on all of `cores` again (a worker process
/// starts with the mask of the pinned thread that spawned it; it widens it
/// back to its parent's [`available_cores`] before reading its own).
pub fn allow_cores(cores: &[usize]) -> Result<(), PinError> {
    let mut set = rustix::thread::CpuSet::new();
    for &core in cores {
        set.set(core);
    }
    rustix::thread::sched_setaffinity(None, &set)
        .map_err(|_| PinError { core: cores.first().copied().unwrap_or(0), available: cores.to_vec() })
}

/// In a child process: run on the parent's cores `allowed` again (a child
/// starts with the mask of the thread that spawned it, perhaps one pinned
/// core), record them as this process's [`available_cores`] (the ring's
/// waiters ask how many there are), then pin the calling thread to `core`.
pub fn pin_child(allowed: &[usize], core: usize) -> Result<(), PinError> {
    allow_cores(allowed)?;
    available_cores();
    pin_current(core)
}
