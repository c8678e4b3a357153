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
//! - [`TransportKind`] (and the ring design [`Variant`], the mailbox design
//!   [`MailboxDesign`], the [`Link`] kind)
//! - [`Capacity`]
//! - [`Pattern`]
//! - [`Producers`]: how many processes send to one mailbox
//! - [`Placement`], [`PlacementSpec`] as a scenario asks for it, [`PlacementLabel`] as a result names it
//! - [`WaitStrategy`], and [`Wait`] as a scenario asks for it
//! - [`LatencyKind`]
//! - [`Status`]
//! - [`stats`]: medians, quantiles, bootstrap intervals.

mod capacity;
mod names;
mod pattern;
mod placement;
mod producers;
pub mod stats;
mod status;
mod transport;
mod wait;

pub use capacity::Capacity;
pub use names::UnknownName;
pub use pattern::{LatencyKind, Pattern};
pub use placement::{Placement, PlacementLabel, PlacementSpec};
pub use producers::{BadProducers, Producers};
pub use status::Status;
pub use transport::{Copies, Link, MailboxDesign, TransportKind, Variant};
pub use wait::{Wait, WaitStrategy};

#[cfg(test)]
mod tests {
    use super::*;

    /// A name takes a width and an alignment as a string does, so tables
    /// that pad a dimension (`{:>26}`) line up.
    #[test]
    fn names_pad_as_strings_do() {
        assert_eq!(format!("[{:>12}]", Placement::CrossCore), "[  cross-core]");
        assert_eq!(format!("[{:<11}]", PlacementLabel::Cores), "[cores      ]");
        assert_eq!(format!("[{:>11}]", Capacity::Bounded(8)), "[  bounded:8]");
        assert_eq!(format!("[{:^10}]", Pattern::Rate(5)), "[  rate:5  ]");
        assert_eq!(format!("[{:<6}]", TransportKind::Pipe), "[pipe  ]");
        assert_eq!(format!("[{:>6}]", WaitStrategy::Spin), "[  spin]");
        assert_eq!(format!("[{:>8}]", PlacementSpec::Cores(0, 1)), "[cores:0,1]");
    }
}
