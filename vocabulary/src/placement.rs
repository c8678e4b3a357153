//! Where the producer's and the consumer's cores sit relative to each
//! other, by the names a scenario asks for ([`Placement`]), what a scenario
//! asks for ([`PlacementSpec`]: a name or two cores), and how a result labels
//! the placement it ran at ([`PlacementLabel`]: a name, or `cores`).

use std::fmt;
use std::str::FromStr;

use crate::UnknownName;

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

crate::names::named_enum!(
    Placement, "placement",
    SameCore => "same-core",
    SmtSibling => "smt-sibling",
    CrossCore => "cross-core",
    CrossCcx => "cross-ccx",
    CrossSocket => "cross-socket",
);

/// The placement a result (or a floor) names: a named [`Placement`], or
/// `cores` for an explicit pair of cores (the cores are recorded beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlacementLabel {
    /// A named placement.
    Named(Placement),
    /// Two cores given outright (`--cores A,B`, `cores:A,B`).
    Cores,
}

impl PlacementLabel {
    /// The named placement, if it is one.
    pub fn placement(self) -> Option<Placement> {
        match self {
            PlacementLabel::Named(p) => Some(p),
            PlacementLabel::Cores => None,
        }
    }

    /// `same-core`, ..., or `cores`.
    pub fn name(self) -> &'static str {
        match self {
            PlacementLabel::Named(p) => p.name(),
            PlacementLabel::Cores => "cores",
        }
    }
}

impl From<Placement> for PlacementLabel {
    fn from(p: Placement) -> Self {
        PlacementLabel::Named(p)
    }
}

impl fmt::Display for PlacementLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl FromStr for PlacementLabel {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cores" => Ok(PlacementLabel::Cores),
            _ => s
                .parse()
                .map(PlacementLabel::Named)
                .map_err(|e: UnknownName| UnknownName { allowed: format!("{}, cores", e.allowed), ..e }),
        }
    }
}

crate::names::named_serde!(PlacementLabel);

/// Where the two sides run: a named placement, resolved against this
/// machine's topology when the scenario runs, or two explicit cores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlacementSpec {
    /// A physical relation (`cross-core`, ...): the harness picks the cores.
    Named(Placement),
    /// Producer (initiator) core and consumer (echo) core, as given.
    Cores(usize, usize),
}

impl PlacementSpec {
    /// The label a result's `placement` field carries: the placement, or
    /// `cores` for an explicit pair (the cores go in `cores`).
    pub fn label(self) -> PlacementLabel {
        match self {
            PlacementSpec::Named(p) => PlacementLabel::Named(p),
            PlacementSpec::Cores(..) => PlacementLabel::Cores,
        }
    }

    /// Whether the two sides run on one core: `same-core` (which the
    /// topology resolves to one CPU twice), or the same CPU given twice.
    pub fn shares_core(self) -> bool {
        match self {
            PlacementSpec::Named(p) => p == Placement::SameCore,
            PlacementSpec::Cores(a, b) => a == b,
        }
    }
}

impl fmt::Display for PlacementSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementSpec::Named(p) => f.pad(p.name()),
            PlacementSpec::Cores(a, b) => f.pad(&format!("cores:{a},{b}")),
        }
    }
}

impl From<Placement> for PlacementSpec {
    fn from(p: Placement) -> Self {
        PlacementSpec::Named(p)
    }
}

impl FromStr for PlacementSpec {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || {
            let named = Placement::ALL.map(Placement::name).join(", ");
            UnknownName::new("placement", s, format!("{named}, cores:A,B (two CPU numbers)"))
        };
        match s.strip_prefix("cores:") {
            Some(pair) => {
                let (a, b) = pair.split_once(',').ok_or_else(unknown)?;
                let a = a.trim().parse().map_err(|_| unknown())?;
                let b = b.trim().parse().map_err(|_| unknown())?;
                Ok(PlacementSpec::Cores(a, b))
            }
            None => s.parse::<Placement>().map(PlacementSpec::Named).map_err(|_| unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Placement::ALL {
            assert_eq!(p.name().parse::<Placement>(), Ok(p));
            let label = PlacementLabel::from(p);
            assert_eq!(serde_json::from_str::<PlacementLabel>(&serde_json::to_string(&label).unwrap()).unwrap(), label);
        }
        assert_eq!(serde_json::to_string(&PlacementLabel::Cores).unwrap(), "\"cores\"");
        assert_eq!("cores".parse::<PlacementLabel>(), Ok(PlacementLabel::Cores));
        assert_eq!(
            "far".parse::<Placement>().unwrap_err().to_string(),
            "placement 'far' is not one of: same-core, smt-sibling, cross-core, cross-ccx, cross-socket"
        );
    }
}
