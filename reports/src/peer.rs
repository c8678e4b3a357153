//! The ring beside iceoryx2, the zero-copy framework a Rust user would
//! otherwise adopt: for each capacity mode and pattern in which the run
//! has either of them at the primary placement and the default size
//! (whatever its status: a refused or failed one says why), each one's
//! headline figure and ring / iceoryx2 with the verdict's seeded 95%
//! bootstrap interval ([`verdict::ratio_interval`]) over the used trials,
//! where both were measured.
//!
//! The figures compared: a stream's messages per second; a pingpong's
//! round-trip p99 and a rate run's one-way p99 (the verdict's latency
//! figure), each the median over the used trials of each trial's p99; a
//! rate run that fell behind its rate measures its own backlog and is not
//! compared. When the run has no measured iceoryx2 scenario (a build
//! without the `iceoryx2` feature refuses them all, or the results predate
//! it), the comparison is [`PeerComparison::Absent`]: one line saying so.

use scenarios::results::{ResultsFile, ScenarioResult, Status};
use vocabulary::{Capacity, LatencyKind, Pattern, TransportKind};

use crate::select::{self, DEFAULT_SIZE};
use crate::verdict::{self, RING};
use crate::{format, headline};

/// The peer framework.
pub const PEER: TransportKind = TransportKind::Iceoryx2;

/// The figure a row compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    /// Stream messages per second: higher is better.
    Throughput,
    /// Latency p99 (round trip or one way): lower is better.
    P99,
}

impl Compared {
    /// What a pattern's row compares.
    pub fn of(pattern: Pattern) -> Compared {
        match pattern {
            Pattern::Stream => Compared::Throughput,
            Pattern::PingPong | Pattern::Rate(_) => Compared::P99,
        }
    }

    /// The scenario's figure, or why it has none to compare (a scenario
    /// not measured has none, whatever its file says).
    pub fn value(self, s: &ScenarioResult) -> Result<f64, String> {
        if !select::measured(s) {
            return Err(s.status.name().to_owned());
        }
        match self {
            Compared::Throughput => s.msgs_per_s.map(|e| e.median).ok_or_else(|| "no throughput".to_owned()),
            Compared::P99 if s.status == Status::Unsustained => Err("fell behind its rate".to_owned()),
            Compared::P99 => headline::p99(s).map(|e| e.median),
        }
    }

    /// Each used trial's own value of the figure: the bootstrap's samples.
    pub fn samples(self, s: &ScenarioResult) -> Vec<f64> {
        match self {
            Compared::Throughput => select::throughput_samples(s),
            Compared::P99 => s.used_trials().filter_map(|t| t.latency.and_then(|l| l.p99)).collect(),
        }
    }

    /// A value as a table shows it: `12.3M msgs/s`, `4.56 µs`.
    pub fn text(self, value: f64) -> String {
        match self {
            Compared::Throughput => format!("{} msgs/s", format::si(value)),
            Compared::P99 => format::ns(value),
        }
    }
}

/// What a pattern's row is about, in words: `stream throughput`,
/// `pingpong round-trip p99`, `rate:10000 one-way p99`.
pub fn figure_name(pattern: Pattern) -> String {
    match pattern.latency_kind() {
        None => format!("{pattern} throughput"),
        Some(LatencyKind::RoundTrip) => format!("{pattern} round-trip p99"),
        Some(LatencyKind::OneWay) => format!("{pattern} one-way p99"),
    }
}

/// The ring and the peer in one capacity mode and pattern.
#[derive(Debug, Clone)]
pub struct PeerRow<'a> {
    /// The capacity mode.
    pub capacity: Capacity,
    /// The pattern.
    pub pattern: Pattern,
    /// The ring's scenario, whatever its status (one not measured says why).
    pub ring: Option<&'a ScenarioResult>,
    /// The peer's scenario, whatever its status (refused ones say why).
    pub peer: Option<&'a ScenarioResult>,
    /// ring / peer of the [`Compared`] figure with its 95% interval
    /// (`ratio`, `low`, `high`); `None` unless both have one.
    pub ratio: Option<(f64, f64, f64)>,
}

impl PeerRow<'_> {
    /// The figure this row compares.
    pub fn compared(&self) -> Compared {
        Compared::of(self.pattern)
    }

    /// The ring's standing in words, from the interval: `2.1x faster`,
    /// `1.3x slower`, or `tied (the interval spans 1)`; `None` without a ratio.
    pub fn ring_is(&self) -> Option<String> {
        let (r, lo, hi) = self.ratio?;
        // Above 1 is faster for a throughput, slower for a latency.
        let faster_above_one = self.compared() == Compared::Throughput;
        let (word, factor) = if lo > 1.0 {
            (if faster_above_one { "faster" } else { "slower" }, r)
        } else if hi < 1.0 {
            (if faster_above_one { "slower" } else { "faster" }, 1.0 / r)
        } else {
            return Some("tied (the interval spans 1)".to_owned());
        };
        Some(format!("{}x {word}", format::three_digits(factor)))
    }
}

/// The ring beside the peer in one results file.
#[derive(Debug, Clone)]
pub enum PeerComparison<'a> {
    /// One row per capacity mode and pattern with either of them; the
    /// peer has a measured scenario in the run.
    Rows(Vec<PeerRow<'a>>),
    /// The peer has no measured scenario in the run: why, in one line.
    Absent(String),
}

/// The ring beside iceoryx2 in `results`, at the primary placement and
/// [`DEFAULT_SIZE`], in pattern order (streams first), then capacity order.
pub fn compare(results: &ResultsFile) -> PeerComparison<'_> {
    let every_peer: Vec<&ScenarioResult> = results.scenarios.iter().filter(|s| s.transport == PEER).collect();
    if !every_peer.iter().any(|s| select::measured(s)) {
        return PeerComparison::Absent(absent_line(&every_peer));
    }
    let primary = select::primary_placement(results);
    let here = |s: &ScenarioResult| s.placement == primary && s.size == DEFAULT_SIZE;
    let ring = select::pick_any_status(results, |s| s.transport == RING && here(s));
    let peer = select::pick_any_status(results, |s| s.transport == PEER && here(s));
    let mut cells: Vec<(Pattern, Capacity)> = ring.iter().chain(&peer).map(|s| (s.pattern, s.capacity)).collect();
    cells.sort();
    cells.dedup();
    let rows = cells
        .into_iter()
        .map(|(pattern, capacity)| {
            let at = |s: &&&ScenarioResult| s.capacity == capacity && s.pattern == pattern;
            let ring = ring.iter().find(at).copied();
            let peer = peer.iter().find(at).copied();
            let compared = Compared::of(pattern);
            let ratio = match (ring, peer) {
                (Some(r), Some(p)) if compared.value(r).is_ok() && compared.value(p).is_ok() => {
                    verdict::ratio_interval(&compared.samples(r), &compared.samples(p))
                }
                _ => None,
            };
            PeerRow { capacity, pattern, ring, peer, ratio }
        })
        .collect();
    PeerComparison::Rows(rows)
}

/// The one line for a run without a measured iceoryx2 scenario: not in
/// the run at all, or its statuses and their reasons (each reason once).
fn absent_line(peer: &[&ScenarioResult]) -> String {
    if peer.is_empty() {
        return format!("{PEER}: not in this run, so the ring is not compared with it.");
    }
    let mut reasons: Vec<String> = Vec::new();
    for s in peer {
        let reason = format!("{}: {}", s.status.name(), s.reason.as_deref().unwrap_or("no reason recorded"));
        if !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    format!(
        "{PEER}: no measured result in this run ({} scenario(s), none measured; {}), so the ring is not compared \
         with it.",
        peer.len(),
        reasons.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_is_faster_above_one_in_throughput_and_below_one_in_latency() {
        let row = |pattern, ratio| PeerRow { capacity: Capacity::Bounded(8), pattern, ring: None, peer: None, ratio };
        let is = |pattern, ratio| row(pattern, Some(ratio)).ring_is().unwrap();
        assert_eq!(is(Pattern::Stream, (2.0, 1.5, 2.5)), "2x faster");
        assert_eq!(is(Pattern::Stream, (0.5, 0.4, 0.6)), "2x slower");
        assert_eq!(is(Pattern::PingPong, (0.5, 0.4, 0.6)), "2x faster");
        assert_eq!(is(Pattern::Rate(10_000), (4.0, 3.0, 5.0)), "4x slower");
        assert_eq!(is(Pattern::Stream, (1.1, 0.9, 1.3)), "tied (the interval spans 1)");
        assert_eq!(row(Pattern::Stream, None).ring_is(), None);
        assert_eq!(figure_name(Pattern::Rate(10_000)), "rate:10000 one-way p99");
        assert_eq!(figure_name(Pattern::PingPong), "pingpong round-trip p99");
    }
}
