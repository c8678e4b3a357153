//! Mechanisms for ringside: the shared-memory SPSC [`ring`] and MPSC
//! [`mailbox`], the [`shm`] segments they live in, the measurement primitives ([`floor`],
//! [`pin`], [`clock`]) that every benchmark of the suite is built on, and the one way
//! a binary runs a copy of itself as a [`child`] process.
//!
//! The kernel-backed [`transport`]s sit beside the ring, behind one contract.

#![deny(unsafe_op_in_unsafe_fn)]
// Under `--cfg loom` the `/dev/shm` and unbounded-chain paths are compiled
// out, so what only they use is dead there (and only there).
#![cfg_attr(loom, allow(dead_code, unused_imports))]

// Re-executes the binary as a child process: nothing loom can model.
#[cfg(not(loom))]
pub mod child;
pub mod clock;
pub mod environment;
pub mod floor;
// Process ids and pidfds: nothing loom can model (the ring's liveness
// check is compiled out there).
#[cfg(not(loom))]
pub(crate) mod liveness;
pub mod mailbox;
pub mod pin;
pub mod ring;
pub mod shm;
pub(crate) mod sync;
pub(crate) mod sysctl;
pub mod topology;
// Processes, descriptors and kernel objects: nothing loom can model.
#[cfg(not(loom))]
pub mod transport;
// Runs inside worker processes; moves messages through transports.
#[cfg(not(loom))]
pub mod workload;
