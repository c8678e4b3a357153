//! Where two cores sit relative to each other, read from
//! `/sys/devices/system/cpu`: the named placements a scenario asks for
//! (`same-core`, `smt-sibling`, `cross-core`, `cross-ccx`, `cross-socket`)
//! and a pair of cores for each one this machine offers.

use std::fmt;
use std::str::FromStr;

/// The physical relation between the producer's and the consumer's core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Placement {
    /// Both on one logical CPU: every hand-off is a context switch.
    SameCore,
    /// Two hardware threads of one physical core (shared L1/L2).
    SmtSibling,
    /// Two physical cores sharing a last-level cache.
    CrossCore,
    /// Two cores of one package with different L3 caches (AMD CCX/CCD).
    CrossCcx,
    /// Two cores in different packages (sockets).
    CrossSocket,
}

impl Placement {
    /// Every placement, nearest first.
    pub const ALL: [Placement; 5] =
        [Placement::SameCore, Placement::SmtSibling, Placement::CrossCore, Placement::CrossCcx, Placement::CrossSocket];

    /// The name the command line and the results use.
    pub fn name(self) -> &'static str {
        match self {
            Placement::SameCore => "same-core",
            Placement::SmtSibling => "smt-sibling",
            Placement::CrossCore => "cross-core",
            Placement::CrossCcx => "cross-ccx",
            Placement::CrossSocket => "cross-socket",
        }
    }
}

impl fmt::Display for Placement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A placement name that is not one of [`Placement::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("placement '{0}' is not one of: same-core, smt-sibling, cross-core, cross-ccx, cross-socket")]
pub struct UnknownPlacement(pub String);

impl FromStr for Placement {
    type Err = UnknownPlacement;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Placement::ALL.into_iter().find(|p| p.name() == s).ok_or_else(|| UnknownPlacement(s.to_owned()))
    }
}
