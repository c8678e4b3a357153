//! Mechanisms for ringside: the shared-memory SPSC [`ring`], the
//! [`shm`] segments it lives in, and the measurement primitives ([`floor`],
//! [`pin`]) that every benchmark of the suite is built on.
//!
//! Kernel-backed transports join the ring here later, behind one contract.

#![deny(unsafe_op_in_unsafe_fn)]

pub mod floor;
pub mod measure;
pub mod pin;
pub mod ring;
pub mod shm;
pub(crate) mod sync;
