//! Pinning the calling thread to one CPU core (`core_affinity`).

/// Could not pin to the requested core.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot pin to core {core}: this process may run on cores {available:?}")]
pub struct PinError {
    /// The core asked for.
    pub core: usize,
    /// The cores the affinity mask allows.
    pub available: Vec<usize>,
}

/// Cores this process may run on, in ascending order.
pub fn available_cores() -> Vec<usize> {
    let mut ids: Vec<usize> = core_affinity::get_core_ids().unwrap_or_default().into_iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids
}

/// Pin the calling thread to `core`.
pub fn pin_current(core: usize) -> Result<(), PinError> {
    let available = available_cores();
    if available.contains(&core) && core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
        Ok(())
    } else {
        Err(PinError { core, available })
    }
}
