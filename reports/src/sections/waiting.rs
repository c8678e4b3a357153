//! The section "What waiting costs": for a transport that waits in user
//! space, what each wait strategy costs the machine and what it buys, from
//! the scenarios whose wait was chosen explicitly (`all` measures shm-ring
//! spinning, yielding and blocking).
//!
//! One scatter chart per cell (transport, capacity, size, pattern,
//! placement) with explicit waits, one point per strategy: x is both sides'
//! CPU-seconds per million messages (the results' `cpu`, which the CPU cost section
//! shows side by side), y what a message waits: the round-trip p50 of a
//! pingpong, the one-way p99 of a rate run (its p50 where the samples give
//! no p99), the time per message of a stream (1e9 / msgs/s). The cell's
//! `auto` scenario joins, labelled with the strategy it resolved to, when
//! no explicit scenario used that strategy. A table gives the same numbers.
//! The section is in the report only when a file has explicit waits.

use scenarios::Wait;
use scenarios::results::ScenarioResult;
use vocabulary::{Capacity, Pattern, PlacementLabel, TransportKind, WaitStrategy};

use super::{caption, na, per_input, scenario_notes};
use crate::charts::{Point, ScatterChart};
use crate::headline;
use crate::html::Noted;
use crate::select;
use crate::{Input, format, html, palette};

/// Whether the section belongs in the report: some input chose a wait
/// explicitly.
pub fn wanted(inputs: &[Input]) -> bool {
    inputs.iter().any(|i| select::has_explicit_waits(&i.results))
}

/// The section.
pub fn costs(inputs: &[Input]) -> String {
    let mut out = String::from(
        "<p>A side that cannot proceed (the channel full, or empty) waits. Spinning (busy-polling) answers \
         fastest but burns a whole core on each waiting side for as long as it waits; blocking frees the core, \
         and pays a wake-up (a futex call and a trip through the scheduler) each time the peer must rouse it; \
         yielding sits between. Each chart puts one transport's strategies side by side: across, both sides' \
         CPU-seconds (user + system) per million messages over the trials used; up, what a message waits.</p>\n",
    );
    out.push_str(&per_input(inputs, |i, input| {
        let results = &input.results;
        if !select::has_explicit_waits(results) {
            return html::missing("No scenario of this file chose its wait explicitly; every one waited by auto.");
        }
        let candidates = select::pick_every_wait(results, |s| s.wait.is_some());
        let mut cells = select::distinct(
            &candidates.iter().copied().filter(|s| s.wait_asked != Wait::Auto).collect::<Vec<_>>(),
            cell_of,
        );
        cells.sort_by_key(|c| c.pattern);
        if cells.is_empty() {
            return html::missing("No scenario with an explicit wait was measured (see the failures list).");
        }
        let mut body = String::new();
        for (k, cell) in cells.iter().enumerate() {
            let members: Vec<&ScenarioResult> = candidates.iter().copied().filter(|s| cell_of(s) == *cell).collect();
            body.push_str(&chart_and_table(inputs, input, &format!("waiting-{i}-{k}"), cell, &members));
        }
        body
    }));
    out
}

/// The scenarios a chart compares: everything but the wait.
#[derive(Debug, Clone, PartialEq)]
struct Cell {
    transport: TransportKind,
    capacity: Capacity,
    size: usize,
    pattern: Pattern,
    placement: PlacementLabel,
}

fn cell_of(s: &ScenarioResult) -> Cell {
    Cell { transport: s.transport, capacity: s.capacity, size: s.size, pattern: s.pattern, placement: s.placement }
}

/// The points of a cell, in strategy order, each with its label: every
/// explicit strategy, and the `auto` scenario (`spin (auto)`) when no
/// explicit one used the strategy it resolved to.
fn strategies<'a>(members: &[&'a ScenarioResult]) -> Vec<(String, WaitStrategy, &'a ScenarioResult)> {
    let explicit = |w: WaitStrategy| members.iter().copied().find(|s| s.wait_asked.explicit() == Some(w));
    let auto = members.iter().copied().find(|s| s.wait_asked == Wait::Auto);
    let mut out = Vec::new();
    for w in WaitStrategy::ALL {
        match (explicit(w), auto) {
            (Some(s), _) => out.push((w.name().to_owned(), w, s)),
            (None, Some(a)) if a.wait == Some(w) => out.push((format!("{w} (auto)"), w, a)),
            _ => {}
        }
    }
    out
}

/// What a message of the scenario waits, ns, and what that figure is
/// (`round-trip p50`, ...), or why there is none.
fn message_wait(s: &ScenarioResult) -> Result<(f64, &'static str), String> {
    match s.pattern {
        Pattern::Stream => {
            let m = s.msgs_per_s.ok_or_else(|| "no throughput".to_owned())?;
            (m.median > 0.0).then(|| (1e9 / m.median, "per message")).ok_or_else(|| "no throughput".to_owned())
        }
        Pattern::PingPong => {
            s.latency.as_ref().map(|l| (l.p50.median, "round-trip p50")).ok_or_else(|| "no latency".to_owned())
        }
        Pattern::Rate(_) => match (headline::p99(s), &s.latency) {
            (Ok(e), _) => Ok((e.median, "one-way p99")),
            (Err(_), Some(l)) => Ok((l.p50.median, "one-way p50")),
            (Err(why), None) => Err(why),
        },
    }
}

/// The y axis' name for a cell's pattern.
fn axis_name(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::Stream => "time per message (1e9 / msgs/s)",
        Pattern::PingPong => "round-trip p50",
        Pattern::Rate(_) => "one-way p99 (p50 where no p99)",
    }
}

fn chart_and_table(inputs: &[Input], input: &Input, id: &str, cell: &Cell, members: &[&ScenarioResult]) -> String {
    let chosen = strategies(members);
    let points: Vec<Point> = chosen
        .iter()
        .filter_map(|(label, w, s)| {
            let x = s.cpu?.both_s_per_million();
            let (y, _) = message_wait(s).ok()?;
            Some(Point {
                label: headline::label(label, s),
                colour: palette::wait_colour(*w),
                x,
                y,
                unstable: s.unstable.is_some(),
            })
        })
        .collect();
    let y_name = axis_name(cell.pattern);
    let chart = ScatterChart {
        x_label: "CPU-seconds per million messages (both sides)".to_owned(),
        x_ticks: format::three_digits,
        y_label: y_name.to_owned(),
        y_ticks: format::ns,
        points,
    };
    let mut out = html::figure(
        id,
        &caption(
            inputs,
            input,
            &format!(
                "What waiting costs: {}, {}, {}, {} B, {}; CPU against {y_name}, one point per wait strategy",
                cell.transport, cell.pattern, cell.capacity, cell.size, cell.placement
            ),
        ),
        chart.svg(),
    );
    let rows: Vec<Vec<Noted>> = chosen
        .iter()
        .map(|(label, _, s)| {
            let cpu =
                s.cpu.map(|c| format::three_digits(c.both_s_per_million())).unwrap_or_else(|| na("no CPU figures"));
            let switches = s
                .cpu
                .map(|c| (c.producer.voluntary_switches + c.consumer.voluntary_switches).to_string())
                .unwrap_or_else(|| na("no CPU figures"));
            let wait = message_wait(s).map(|(v, what)| format!("{} ({what})", format::ns(v)));
            vec![
                Noted::plain(label.clone()),
                Noted::plain(s.id.clone()),
                Noted::plain(headline::trials(s)),
                Noted::plain(cpu),
                headline::cell(s, wait),
                Noted::plain(switches),
            ]
        })
        .collect();
    out.push_str(&html::table(
        &["wait", "scenario", "trials used", "CPU-s / M msgs (both sides)", y_name, "voluntary switches (both sides)"],
        &rows,
    ));
    let shown: Vec<&ScenarioResult> = chosen.iter().map(|(_, _, s)| *s).collect();
    out.push_str(&scenario_notes(&shown));
    out
}
