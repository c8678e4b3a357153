//! Mechanisms for ringside: the shared-memory SPSC [`ring`], the
//! [`shm`] segments it lives in, and the measurement primitives ([`floor`],
//! [`pin`]) that every benchmark of the suite is built on.
//!
//! The kernel-backed [`transport`]s sit beside the ring, behind one contract.

#![deny(unsafe_op_in_unsafe_fn)]
// Under `--cfg loom` the `/dev/shm` and unbounded-chain paths are compiled
// out, so what only they use is dead there (and only there).
#![cfg_attr(loom, allow(dead_code, unused_imports))]

pub mod environment;
pub mod floor;
// Re-executes the binary and maps `/dev/shm` rings: nothing loom can model.
#[cfg(not(loom))]
pub mod measure;
pub mod pin;
pub mod ring;
pub mod shm;
pub(crate) mod sync;
pub mod topology;
// Processes, descriptors and kernel objects: nothing loom can model.
#[cfg(not(loom))]
pub mod transport;
// Runs inside worker processes; moves messages through transports.
#[cfg(not(loom))]
pub mod workload;
