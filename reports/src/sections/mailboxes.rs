//! The section on mailboxes with many senders: N producer processes send
//! to one consumer through one mailbox. Throughput (streams) and one-way
//! latency (rate runs) against N, one line per transport, per capacity
//! mode; a table with each cell's fairness between the producers and CPU
//! per message; whether every producer's messages arrived intact; how the
//! processes shared cores; and the transports that take one sender only,
//! with the reason.

use scenarios::results::{ResultsFile, ScenarioResult};
use vocabulary::{Capacity, Pattern, Producers, TransportKind};

use super::sweeps::{lines, p50, p99};
use super::{caption, na, per_input, scenario_notes};
use crate::charts::{Axis, LineChart, Scale};
use crate::headline;
use crate::html::{self, Noted};
use crate::select;
use crate::{Input, format};

/// The section's body.
pub fn mailboxes(inputs: &[Input]) -> String {
    let mut out = String::from(
        "<p>Each of N producer processes sends to one consumer through one mailbox. Every message carries its \
         producer and its sequence number, and the consumer checks each producer's stream on its own: a \
         message lost, duplicated, reordered within its producer's stream or corrupted fails the scenario. \
         Fairness is the least served producer's messages over the most served one's (1: even).</p>\n",
    );
    out.push_str(&per_input(inputs, |i, input| one_input(inputs, i, input)));
    out.push_str(&single_senders());
    out
}

fn one_input(inputs: &[Input], i: usize, input: &Input) -> String {
    let results = &input.results;
    let primary = select::primary_placement(results);
    let mut out = String::new();
    let chosen = select::pick_mailboxes(results, |s| s.placement == primary && s.size == select::DEFAULT_SIZE);
    if chosen.is_empty() {
        return html::missing("No scenario with many producers in this file (harness run --producers N, or all).");
    }
    if let Some(shared) = widest_sharing(results) {
        out.push_str(&html::notes(&[format!("On this machine {shared}.")]));
    }
    let mut patterns = select::distinct(&chosen, |s| s.pattern);
    patterns.sort();
    let mut k = 0;
    for pattern in patterns {
        let of_pattern: Vec<&ScenarioResult> = chosen.iter().copied().filter(|s| s.pattern == pattern).collect();
        let mut capacities = select::distinct(&of_pattern, |s| s.capacity);
        capacities.sort();
        for capacity in capacities {
            let cell: Vec<&ScenarioResult> = of_pattern.iter().copied().filter(|s| s.capacity == capacity).collect();
            // A mode measured with one producer only has no curve against N.
            if !cell.iter().any(|s| s.producers.many()) {
                continue;
            }
            out.push_str(&chart(inputs, input, (i, k), pattern, capacity, &cell));
            out.push_str(&table(pattern, &cell));
            out.push_str(&scenario_notes(&cell));
            k += 1;
        }
    }
    out.push_str(&integrity_note(results));
    out
}

/// One chart: the figure of `pattern` against N, a line per transport.
fn chart(
    inputs: &[Input],
    input: &Input,
    (i, k): (usize, usize),
    pattern: Pattern,
    capacity: Capacity,
    cell: &[&ScenarioResult],
) -> String {
    let mut counts = select::distinct(cell, |s| s.producers);
    counts.sort();
    let n = |s: &ScenarioResult| f64::from(s.producers.get());
    let kept = |s: &ScenarioResult| s.status == scenarios::Status::Ok;
    let (y_label, y_ticks, series): (_, fn(f64) -> String, _) = match pattern {
        Pattern::Stream => ("messages per second", format::si, lines(cell, |s| Some((n(s), s.msgs_per_s?.median)))),
        _ => ("one-way p99 (sustained runs)", format::ns, lines(cell, |s| Some((n(s), kept(s).then(|| p99(s))??)))),
    };
    let chart = LineChart {
        x: Axis {
            label: "producers".into(),
            scale: Scale::LogAt(counts.iter().map(|c| f64::from(c.get())).collect()),
            ticks: format::si,
        },
        y_label: y_label.into(),
        y_ticks,
        series,
    };
    html::figure(
        &format!("mailboxes-{i}-{k}"),
        &caption(inputs, input, &format!("{pattern} against producers, {capacity}, {} B", select::DEFAULT_SIZE)),
        chart.svg(),
    )
}

/// One table: a row per transport, a column per producer count.
fn table(pattern: Pattern, cell: &[&ScenarioResult]) -> String {
    let mut counts: Vec<Producers> = select::distinct(cell, |s| s.producers);
    counts.sort();
    let names: Vec<String> =
        counts.iter().map(|n| format!("{n} producer{}", if n.many() { "s" } else { "" })).collect();
    let header: Vec<&str> = std::iter::once("transport").chain(names.iter().map(String::as_str)).collect();
    let rows: Vec<Vec<Noted>> = select::distinct(cell, |s| s.transport)
        .into_iter()
        .map(|t| {
            let mut row = vec![Noted::plain(t.to_string())];
            for n in &counts {
                row.push(match cell.iter().find(|s| s.transport == t && s.producers == *n) {
                    Some(s) => headline::cell_with_trials(s, figure(pattern, s)),
                    None => Noted::plain(na("not measured; see the failures list")),
                });
            }
            row
        })
        .collect();
    html::table(&header, &rows)
}

/// A cell's text: msgs/s (streams) or p50 and p99 (rate runs), then the
/// fairness and the CPU per message of both sides.
fn figure(pattern: Pattern, s: &ScenarioResult) -> Result<String, String> {
    let main = match pattern {
        Pattern::Stream => s.msgs_per_s.map(|e| format!("{} msgs/s", format::si(e.median))),
        _ if s.status == scenarios::Status::Unsustained => return Err("fell behind its rate".into()),
        _ => p50(s).map(|p| format!("p50 {}, p99 {}", format::ns(p), p99(s).map_or("n/a".into(), format::ns))),
    }
    .ok_or_else(|| "no figure".to_owned())?;
    let fairness = s.mailbox.as_ref().and_then(|m| m.fairness).map(|f| format!("; fairness {f:.2}"));
    let cpu = s.cpu.as_ref().map(|c| {
        let per_message = (c.producer_s_per_million + c.consumer_s_per_million) * 1e3;
        format!("; CPU {} a message", format::ns(per_message))
    });
    Ok(format!("{main}{}{}", fairness.unwrap_or_default(), cpu.unwrap_or_default()))
}

/// How the run with the most producers shared cores, if any did.
fn widest_sharing(results: &ResultsFile) -> Option<String> {
    (results.scenarios.iter())
        .filter_map(|s| Some((s.producers, s.mailbox.as_ref()?.shared_cores.clone()?)))
        .max_by_key(|(n, _)| *n)
        .map(|(_, shared)| shared)
}

/// Whether every producer of every mailbox scenario got its messages through intact.
fn integrity_note(results: &ResultsFile) -> String {
    let mut faults = Vec::new();
    let mut producers = 0usize;
    for s in results.scenarios.iter() {
        let Some(m) = &s.mailbox else { continue };
        for p in &m.per_producer {
            producers += 1;
            if !p.integrity.is_clean() {
                faults.push(format!("{}: producer {}: {}", s.id, p.producer + 1, p.integrity.problems()));
            }
        }
    }
    match faults.is_empty() {
        true => html::notes(&[format!(
            "Integrity, checked per producer: every message of all {producers} producer streams arrived once, in \
             order, intact."
        )]),
        false => html::notes(&faults),
    }
}

/// The transports that take one sender only, each with its reason.
fn single_senders() -> String {
    let rows: Vec<Vec<Noted>> = (TransportKind::ALL.into_iter())
        .filter_map(|t| t.many_senders().err().map(|why| vec![Noted::plain(t.to_string()), Noted::plain(why)]))
        .collect();
    format!(
        "<p>Not applicable: these transports take one sender, so they are not measured with many.</p>\n{}",
        html::table(&["transport", "why one sender"], &rows)
    )
}
