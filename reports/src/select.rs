//! Picking scenarios out of a results file: by transport, capacity, size,
//! pattern and placement, in the order the report lists them.
//!
//! The sections that compare transports pick ([`pick`]) only scenarios at
//! the harness's own wait (`auto`) with one producer, so that one whose wait was chosen
//! explicitly never takes the place of the `auto` scenario of the same
//! transport, capacity, size, pattern and placement in a table cell or a
//! bar; those scenarios are the matter of the section on waiting
//! ([`pick_every_wait`]), as the scenarios with many producers are of the
//! section on mailboxes ([`pick_mailboxes`]). [`pick`] keeps the measured
//! scenarios; [`pick_any_status`] keeps the same scenarios whatever their
//! status, for a table that shows a refused cell as refused.

use scenarios::Wait;
use scenarios::results::{ResultsFile, ScenarioResult, Status};
use vocabulary::{Placement, PlacementLabel};

/// Message size of the comparisons that are not size sweeps, bytes.
pub use scenarios::suite::DEFAULT_SIZE;

/// The placement the sweeps ran at: the suite's own choice
/// ([`scenarios::primary_placement`]) among the named placements the file
/// has scenarios at that were not unavailable; else the first placement in
/// the file (explicit cores); else `same-core`.
pub fn primary_placement(results: &ResultsFile) -> PlacementLabel {
    let offered: Vec<Placement> = results
        .scenarios
        .iter()
        .filter(|s| s.status != Status::Unavailable)
        .filter_map(|s| s.placement.placement())
        .collect();
    if offered.is_empty() {
        return results.scenarios.first().map_or(Placement::SameCore.into(), |s| s.placement);
    }
    scenarios::primary_placement(&offered).into()
}

/// Whether the scenario's trials ran: `ok`; an open-loop rate that was not
/// kept, whose latencies are those of a backlog; or too few trials in the
/// machine's reference state for a figure (`few-trials`: tables show the
/// status, charts its trials, in place of a figure).
pub fn measured(s: &ScenarioResult) -> bool {
    matches!(s.status, Status::Ok | Status::Unsustained | Status::FewTrials)
}

/// The measured scenarios at the harness's own wait (`auto`), with one
/// producer, matching `keep`, in transport order (then capacity, size,
/// placement).
pub fn pick(results: &ResultsFile, keep: impl Fn(&ScenarioResult) -> bool) -> Vec<&ScenarioResult> {
    pick_every_wait(results, |s| s.wait_asked == Wait::Auto && !s.producers.many() && keep(s))
}

/// The measured scenarios of the transports that ran with many producers,
/// at every producer count (1 included), at the harness's own wait,
/// matching `keep`, in transport order, then capacity, then producers.
pub fn pick_mailboxes(results: &ResultsFile, keep: impl Fn(&ScenarioResult) -> bool) -> Vec<&ScenarioResult> {
    let shared: Vec<_> = results.scenarios.iter().filter(|s| s.producers.many()).map(|s| s.transport).collect();
    let mut out = pick_every_wait(results, |s| s.wait_asked == Wait::Auto && shared.contains(&s.transport) && keep(s));
    out.sort_by_key(|s| (s.transport, s.capacity, s.producers));
    out
}

/// As [`pick`], whatever each scenario's status: the refused, failed and
/// unavailable ones too, for the tables that show a cell for every
/// scenario of the run (the size sweep shows a refused size as refused).
pub fn pick_any_status(results: &ResultsFile, keep: impl Fn(&ScenarioResult) -> bool) -> Vec<&ScenarioResult> {
    in_report_order(results.scenarios.iter().filter(|s| s.wait_asked == Wait::Auto && !s.producers.many() && keep(s)))
}

/// Whether any scenario of `results` had its wait chosen explicitly.
pub fn has_explicit_waits(results: &ResultsFile) -> bool {
    results.scenarios.iter().any(|s| s.wait_asked != Wait::Auto)
}

/// As [`pick`], whatever wait each scenario was asked to use.
pub fn pick_every_wait(results: &ResultsFile, keep: impl Fn(&ScenarioResult) -> bool) -> Vec<&ScenarioResult> {
    in_report_order(results.scenarios.iter().filter(|s| measured(s) && keep(s)))
}

/// `scenarios` in transport order, then capacity, size and placement.
fn in_report_order<'a>(scenarios: impl Iterator<Item = &'a ScenarioResult>) -> Vec<&'a ScenarioResult> {
    let mut out: Vec<&ScenarioResult> = scenarios.collect();
    out.sort_by(|a, b| {
        (a.transport, a.capacity, a.size, a.placement).cmp(&(b.transport, b.capacity, b.size, b.placement))
    });
    out
}

/// The distinct values of `field` over `scenarios`, in first-seen order.
pub fn distinct<T: PartialEq + Clone>(scenarios: &[&ScenarioResult], field: impl Fn(&ScenarioResult) -> T) -> Vec<T> {
    let mut out = Vec::new();
    for s in scenarios {
        let v = field(s);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The stream throughput samples of a scenario, one per used trial.
pub fn throughput_samples(s: &ScenarioResult) -> Vec<f64> {
    s.used_trials().filter_map(|t| t.msgs_per_s).collect()
}
