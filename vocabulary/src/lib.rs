//! The vocabulary of ringside: each dimension of the measurement matrix as
//! a type, and the statistics every crate computes with. No OS code, so the
//! crates that only name, select and present scenarios (`scenarios`,
//! `reports`, `ci`) need nothing more than this to decide by a dimension.
//!
//! Every dimension prints as, parses from and serialises to the name the
//! command line takes (`shm-ring`, `bounded:64`, `rate:10000`,
//! `cross-core`, `spin`, `round-trip`, `few-trials`): one form from the
//! command line to the results file and back. Code decides by `match` on
//! the type; a name is a string only at the command line and in files.
//!
//! - [`TransportKind`] (and the ring design [`Variant`], the [`Link`] kind)
//! - [`Capacity`]
//! - [`Pattern`]
//! - [`Placement`], [`PlacementSpec`] as a scenario asks for it, [`PlacementLabel`] as a result names it
//! - [`WaitStrategy`], and [`Wait`] as a scenario asks for it
//! - [`LatencyKind`]
//! - [`Status`]
//! - [`stats`]: medians, quantiles, bootstrap intervals.

mod capacity;
mod names;
mod pattern;
mod placement;
pub mod stats;
mod status;
mod transport;
mod wait;

pub use capacity::Capacity;
pub use names::UnknownName;
pub use pattern::{LatencyKind, Pattern};
pub use placement::{Placement, PlacementLabel, PlacementSpec};
pub use status::Status;
pub use transport::{Link, TransportKind, Variant};
pub use wait::{Wait, WaitStrategy};
