//! Command-line filters that narrow a suite: a scenario is kept when each
//! dimension given lists its value (`--transport pipe,tcp --size 64` keeps
//! the 64-byte pipe and TCP scenarios). Values match exactly, by the names
//! the command line uses. A filter that keeps nothing is an error, not an
//! empty run.

use std::fmt;
use std::str::FromStr;

use vocabulary::{Capacity, Pattern, PlacementSpec, TransportKind, UnknownName};

use crate::scenario::Scenario;
use crate::suite::Suite;

/// What to keep of a suite; `None` keeps every value of that dimension.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Transports to keep.
    pub transports: Option<Vec<TransportKind>>,
    /// Capacity modes to keep.
    pub capacities: Option<Vec<Capacity>>,
    /// Message sizes to keep, bytes.
    pub sizes: Option<Vec<usize>>,
    /// Patterns to keep.
    pub patterns: Option<Vec<Pattern>>,
    /// Placements to keep.
    pub placements: Option<Vec<PlacementSpec>>,
}

/// A filter that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A size that is not a whole number of bytes >= 1.
    #[error("size '{0}' is not a message size; sizes are whole numbers of bytes, at least 1")]
    Size(String),
    /// Nothing of the suite is left.
    #[error("no scenario of suite {suite} matches the filters ({filter})")]
    NoMatch {
        /// The suite's name.
        suite: String,
        /// The filters, as [`Filter`]'s Display shows them.
        filter: String,
    },
}

impl Filter {
    /// The items of a comma list (`pipe,tcp`), each trimmed and parsed;
    /// the first that does not parse is the error.
    pub fn parse_list<T: FromStr>(text: &str) -> Result<Vec<T>, T::Err> {
        text.split(',').map(|item| item.trim().parse()).collect()
    }

    /// A comma list of placements, where `cores:A,B` is one item
    /// (`cross-core,cores:0,1` is two).
    pub fn parse_placements(text: &str) -> Result<Vec<PlacementSpec>, UnknownName> {
        let mut items = text.split(',').map(str::trim);
        let mut out = Vec::new();
        while let Some(item) = items.next() {
            let spec = match (item.starts_with("cores:"), item.contains(',')) {
                (true, false) => match items.next() {
                    Some(second) => format!("{item},{second}"),
                    None => item.to_owned(),
                },
                _ => item.to_owned(),
            };
            out.push(spec.parse()?);
        }
        Ok(out)
    }

    /// A comma list of message sizes in bytes, each at least 1.
    pub fn parse_sizes(text: &str) -> Result<Vec<usize>, FilterError> {
        text.split(',')
            .map(str::trim)
            .map(|item| {
                item.parse::<usize>().ok().filter(|&n| n >= 1).ok_or_else(|| FilterError::Size(item.to_owned()))
            })
            .collect()
    }

    /// True when no dimension is constrained (every scenario matches).
    pub fn is_empty(&self) -> bool {
        self.transports.is_none()
            && self.capacities.is_none()
            && self.sizes.is_none()
            && self.patterns.is_none()
            && self.placements.is_none()
    }

    /// Whether `scenario` passes every given dimension.
    pub fn matches(&self, scenario: &Scenario) -> bool {
        fn keeps<T: PartialEq>(list: &Option<Vec<T>>, value: &T) -> bool {
            list.as_ref().is_none_or(|l| l.contains(value))
        }
        keeps(&self.transports, &scenario.transport)
            && keeps(&self.capacities, &scenario.capacity)
            && keeps(&self.sizes, &scenario.size)
            && keeps(&self.patterns, &scenario.pattern)
            && keeps(&self.placements, &scenario.placement)
    }

    /// Keep only the scenarios of `suite` that match. When none would be
    /// left the suite is not changed and the error names it.
    pub fn apply(&self, suite: &mut Suite) -> Result<(), FilterError> {
        if !suite.scenarios.iter().any(|s| self.matches(s)) {
            return Err(FilterError::NoMatch { suite: suite.name.clone(), filter: self.to_string() });
        }
        suite.scenarios.retain(|s| self.matches(s));
        Ok(())
    }
}

/// `transport=pipe,tcp size=64`, only the dimensions given; `none` when empty.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn part<T: fmt::Display>(name: &str, list: &Option<Vec<T>>) -> Option<String> {
            list.as_ref().map(|l| format!("{name}={}", l.iter().map(T::to_string).collect::<Vec<_>>().join(",")))
        }
        let parts: Vec<String> = [
            part("transport", &self.transports),
            part("capacity", &self.capacities),
            part("size", &self.sizes),
            part("pattern", &self.patterns),
            part("placement", &self.placements),
        ]
        .into_iter()
        .flatten()
        .collect();
        if parts.is_empty() { f.write_str("none") } else { f.write_str(&parts.join(" ")) }
    }
}

#[cfg(test)]
mod tests {
    use vocabulary::Placement;

    use super::*;

    const TWO: [Placement; 2] = [Placement::SameCore, Placement::CrossCore];

    #[test]
    fn lists_parse_and_bad_items_name_the_choices() {
        assert_eq!(Filter::parse_list::<TransportKind>("pipe, tcp"), Ok(vec![TransportKind::Pipe, TransportKind::Tcp]));
        assert!(Filter::parse_list::<TransportKind>("pipe,,tcp").unwrap_err().to_string().contains("unix-stream"));
        assert_eq!(
            Filter::parse_list::<Capacity>("rendezvous,bounded:8"),
            Ok(vec![Capacity::Rendezvous, Capacity::Bounded(8)])
        );
        assert_eq!(
            Filter::parse_placements("cross-core,cores:0,1,same-core"),
            Ok(vec![
                PlacementSpec::Named(Placement::CrossCore),
                PlacementSpec::Cores(0, 1),
                PlacementSpec::Named(Placement::SameCore)
            ])
        );
        assert!(Filter::parse_placements("cores:0").is_err());
        assert_eq!(Filter::parse_sizes("8,4096"), Ok(vec![8, 4096]));
        assert_eq!(Filter::parse_sizes("8,0"), Err(FilterError::Size("0".to_owned())));
        assert!(Filter::parse_sizes("4k").unwrap_err().to_string().contains("at least 1"));
    }

    #[test]
    fn filters_narrow_each_dimension() {
        let all = Suite::all(&TWO);
        let mut suite = all.clone();
        Filter::default().apply(&mut suite).unwrap();
        assert_eq!(suite, all, "an empty filter keeps everything");

        let filter = Filter {
            transports: Some(vec![TransportKind::Pipe, TransportKind::Tcp]),
            patterns: Some(vec![Pattern::Stream]),
            placements: Some(vec![PlacementSpec::Named(Placement::SameCore)]),
            ..Filter::default()
        };
        filter.apply(&mut suite).unwrap();
        // Two transports x three capacity modes at 64 B at the placement.
        assert_eq!(suite.scenarios.len(), 6, "{:?}", suite.scenarios.iter().map(Scenario::id).collect::<Vec<_>>());
        assert!(suite.scenarios.iter().all(|s| filter.matches(s)));
        assert_eq!(filter.to_string(), "transport=pipe,tcp pattern=stream placement=same-core");

        let mut sizes = all.clone();
        Filter { sizes: Some(vec![4096]), capacities: Some(vec![Capacity::Bounded(8)]), ..Filter::default() }
            .apply(&mut sizes)
            .unwrap();
        assert_eq!(sizes.scenarios.len(), TransportKind::ALL.len());
    }

    #[test]
    fn a_filter_that_keeps_nothing_is_an_error_and_changes_nothing() {
        let mut suite = Suite::quick(&TWO);
        let before = suite.clone();
        let filter = Filter { sizes: Some(vec![7]), ..Filter::default() };
        let error = filter.apply(&mut suite).unwrap_err();
        assert_eq!(error.to_string(), "no scenario of suite quick matches the filters (size=7)");
        assert_eq!(suite, before);
    }
}
