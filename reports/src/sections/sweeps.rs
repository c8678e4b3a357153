//! Sections 5, 6 and 7: throughput and latency against message size,
//! against capacity (bounded:N, with rendezvous and unbounded marked), and
//! the same transport at each core placement. Unstable figures are ringed
//! on the lines and marked in the tables; few-trials scenarios show their
//! status in place of a figure.

use scenarios::results::ScenarioResult;
use vocabulary::{Capacity, Pattern};

use super::{DOTS_SAY, bars, caption, na, per_input, scenario_bar, scenario_notes};
use crate::charts::{Axis, Bar, LineChart, Scale, Series};
use crate::headline::{self, Figure};
use crate::html::Noted;
use crate::select::{self, DEFAULT_SIZE};
use crate::{Input, format, html, palette};

/// One line per transport from `scenarios`, x and y read by `point`;
/// unstable figures ringed.
pub(super) fn lines(
    scenarios: &[&ScenarioResult],
    point: impl Fn(&ScenarioResult) -> Option<(f64, f64)>,
) -> Vec<Series> {
    select::distinct(scenarios, |s| s.transport)
        .into_iter()
        .map(|t| {
            let mut series =
                Series { colour: palette::colour(t), points: vec![], unstable: vec![], name: t.to_string() };
            for s in scenarios.iter().filter(|s| s.transport == t) {
                if let Some(p) = point(s) {
                    if s.unstable.is_some() {
                        series.unstable.push(series.points.len());
                    }
                    series.points.push(p);
                }
            }
            series
        })
        .collect()
}

pub(super) fn p50(s: &ScenarioResult) -> Option<f64> {
    s.latency.as_ref().map(|l| l.p50.median)
}

pub(super) fn p99(s: &ScenarioResult) -> Option<f64> {
    headline::p99(s).ok().map(|e| e.median)
}

/// Section 5. Every scenario of the sweep has its cell, whatever its
/// status: a size a transport cannot carry shows `refused`, with the
/// reason as the cell's note, so a missing line on the chart is explained
/// in the table under it.
pub fn sizes(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let mut out = String::new();
        for (k, pattern) in [Pattern::Stream, Pattern::PingPong].into_iter().enumerate() {
            let every = select::pick_any_status(&input.results, |s| s.placement == primary && s.pattern == pattern);
            // The capacity the size sweep ran at: the one with the most sizes.
            let capacities = select::distinct(&every, |s| s.capacity);
            let count = |c: &Capacity| {
                select::distinct(&every.iter().copied().filter(|s| &s.capacity == c).collect::<Vec<_>>(), |s| s.size)
                    .len()
            };
            let Some(capacity) = capacities.iter().max_by_key(|c| count(c)).filter(|c| count(c) > 1) else {
                out.push_str(&html::missing(&format!("No {pattern} scenarios at several message sizes.")));
                continue;
            };
            let every: Vec<&ScenarioResult> = every.into_iter().filter(|s| &s.capacity == capacity).collect();
            let swept: Vec<&ScenarioResult> = every.iter().copied().filter(|s| select::measured(s)).collect();
            let (y_label, y_ticks, series): (_, fn(f64) -> String, _) = if pattern == Pattern::Stream {
                (
                    "payload bytes per second",
                    format::si,
                    lines(&swept, |s| Some((s.size as f64, s.bytes_per_s?.median))),
                )
            } else {
                ("round-trip p50", format::ns, lines(&swept, |s| Some((s.size as f64, p50(s)?))))
            };
            let mut sizes = select::distinct(&every, |s| s.size);
            sizes.sort();
            let chart = LineChart {
                x: Axis {
                    label: "message size".into(),
                    scale: Scale::LogAt(sizes.iter().map(|s| *s as f64).collect()),
                    ticks: format::bytes,
                },
                y_label: y_label.into(),
                y_ticks,
                series,
            };
            let unmeasured = every.len() - swept.len();
            let ends = if unmeasured > 0 {
                "; a line stops where its transport was not measured (the table says why)"
            } else {
                ""
            };
            out.push_str(&html::figure(
                &format!("sizes-{i}-{k}"),
                &caption(inputs, input, &format!("{pattern} against message size, {capacity}, {primary}{ends}")),
                chart.svg(),
            ));
            let header: Vec<String> =
                std::iter::once("transport".to_owned()).chain(sizes.iter().map(|s| format::bytes(*s as f64))).collect();
            let rows: Vec<Vec<Noted>> = select::distinct(&every, |s| s.transport)
                .into_iter()
                .map(|t| {
                    let mut row = vec![Noted::plain(t.to_string())];
                    for size in &sizes {
                        let s = every.iter().find(|s| s.transport == t && s.size == *size);
                        row.push(match s {
                            Some(s) if !select::measured(s) => headline::unmeasured_cell(s),
                            Some(s) if pattern == Pattern::Stream => headline::cell_with_trials(
                                s,
                                s.msgs_per_s
                                    .zip(s.bytes_per_s)
                                    .map(|(m, b)| {
                                        format!("{} msgs/s, {}B/s", format::si(m.median), format::si(b.median))
                                    })
                                    .ok_or_else(|| "no throughput".to_owned()),
                            ),
                            Some(s) => headline::cell_with_trials(
                                s,
                                p50(s).map(format::ns).ok_or_else(|| "no latency".to_owned()),
                            ),
                            None => Noted::plain(na("not in this run")),
                        });
                    }
                    row
                })
                .collect();
            let header: Vec<&str> = header.iter().map(String::as_str).collect();
            if unmeasured > 0 {
                out.push_str(&format!(
                    "<p>{unmeasured} of these {} scenarios were not measured: a cell says why (<code>refused</code>: \
                     the transport cannot carry that size, or not in that capacity mode); its note, and the failures \
                     list, give the reason.</p>\n",
                    every.len()
                ));
            }
            out.push_str(&html::table(&header, &rows));
            out.push_str(&scenario_notes(&swept));
        }
        out
    })
}

/// Section 6.
pub fn capacity(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let mut out = String::new();
        let mut rates = select::distinct(&select::pick(&input.results, |s| s.pattern.rate().is_some()), |s| s.pattern);
        rates.sort();
        let patterns: Vec<Pattern> = [Pattern::Stream, Pattern::PingPong].into_iter().chain(rates).collect();
        for (k, &pattern) in patterns.iter().enumerate() {
            let swept = select::pick(&input.results, |s| {
                s.placement == primary && s.pattern == pattern && s.size == DEFAULT_SIZE
            });
            let mut capacities = select::distinct(&swept, |s| s.capacity);
            capacities.sort();
            let capacity_names: Vec<String> = capacities.iter().map(Capacity::to_string).collect();
            if capacities.len() < 2 {
                out.push_str(&html::missing(&format!(
                    "{pattern}: this file has {} B {pattern} scenarios at {} capacity mode(s) only ({}), so there is no sweep to draw.",
                    DEFAULT_SIZE,
                    capacities.len(),
                    capacity_names.join(", ")
                )));
                continue;
            }
            let index = |s: &ScenarioResult| capacities.iter().position(|c| *c == s.capacity).map(|p| p as f64);
            // A rate run that fell behind its rate measures its own backlog, not the transport.
            let kept = |s: &ScenarioResult| s.status == scenarios::Status::Ok;
            let (y_label, y_ticks, series): (_, fn(f64) -> String, _) = match pattern {
                Pattern::Stream => {
                    ("messages per second", format::si, lines(&swept, |s| Some((index(s)?, s.msgs_per_s?.median))))
                }
                Pattern::PingPong => ("round-trip p50", format::ns, lines(&swept, |s| Some((index(s)?, p50(s)?)))),
                Pattern::Rate(_) => (
                    "one-way p99 (sustained runs)",
                    format::ns,
                    lines(&swept, |s| Some((index(s)?, kept(s).then(|| p99(s))??))),
                ),
            };
            let chart = LineChart {
                x: Axis {
                    label: "capacity (bounded:N in order of N; rendezvous and unbounded at the ends)".into(),
                    scale: Scale::Categories(capacity_names.clone()),
                    ticks: format::si,
                },
                y_label: y_label.into(),
                y_ticks,
                series,
            };
            out.push_str(&html::figure(
                &format!("capacity-{i}-{k}"),
                &caption(inputs, input, &format!("{pattern} against capacity, {DEFAULT_SIZE} B, {primary}")),
                chart.svg(),
            ));
            let header: Vec<&str> =
                std::iter::once("transport").chain(capacity_names.iter().map(String::as_str)).collect();
            let rows: Vec<Vec<Noted>> = select::distinct(&swept, |s| s.transport)
                .into_iter()
                .map(|t| {
                    let mut row = vec![Noted::plain(t.to_string())];
                    for c in &capacities {
                        let s = swept.iter().find(|s| s.transport == t && &s.capacity == c);
                        row.push(match s {
                            Some(s) if pattern == Pattern::Stream => headline::cell_with_trials(
                                s,
                                s.msgs_per_s
                                    .map(|e| format::estimate(&e, format::si))
                                    .ok_or_else(|| "no throughput".to_owned()),
                            ),
                            Some(s) if pattern == Pattern::PingPong => headline::cell_with_trials(
                                s,
                                p50(s).map(format::ns).ok_or_else(|| "no latency".to_owned()),
                            ),
                            Some(s) if s.status == scenarios::Status::Unsustained => {
                                Noted::plain(na(&format!("{}: fell behind its rate", s.status.name())))
                            }
                            Some(s) => headline::cell_with_trials(s, headline::p99(s).map(|e| format::ns(e.median))),
                            None => Noted::plain(na("not measured; see the failures list")),
                        });
                    }
                    row
                })
                .collect();
            let what = match pattern {
                Pattern::Stream => "Messages per second: median [95% interval]".to_owned(),
                Pattern::PingPong => "Round trip p50".to_owned(),
                Pattern::Rate(_) => format!("One-way p99 at {pattern}, from each message's intended send time"),
            };
            out.push_str(&format!("<p>{}; then trials used / run.</p>\n", html::escape(&what)));
            out.push_str(&html::table(&header, &rows));
            out.push_str(&scenario_notes(&swept));
        }
        out
    })
}

/// Section 7.
pub fn placement(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let mut out = String::new();
        for (k, pattern) in [Pattern::Stream, Pattern::PingPong].into_iter().enumerate() {
            let chosen = select::pick(&input.results, |s| s.pattern == pattern && s.size == DEFAULT_SIZE);
            let placements = select::distinct(&chosen, |s| s.placement);
            let placement_names: Vec<&str> = placements.iter().map(|p| p.name()).collect();
            if placements.len() < 2 {
                out.push_str(&html::missing(&format!(
                    "{pattern}: measured at one placement only ({}); nothing to compare.",
                    placement_names.join(", ")
                )));
                continue;
            }
            // A capacity measured at every placement: the one with the most
            // scenarios, bounded:8 (the comparison's bounded mode) on a tie.
            let count = |c: &Capacity| chosen.iter().filter(|s| &s.capacity == c).count();
            let Some(capacity) = select::distinct(&chosen, |s| s.capacity)
                .into_iter()
                .filter(|c| placements.iter().all(|p| chosen.iter().any(|s| &s.capacity == c && &s.placement == p)))
                .max_by_key(|c| (count(c), *c == Capacity::Bounded(8)))
            else {
                out.push_str(&html::missing(&format!("{pattern}: no capacity mode measured at every placement.")));
                continue;
            };
            let same: Vec<&ScenarioResult> = chosen.into_iter().filter(|s| s.capacity == capacity).collect();
            let figure = if pattern == Pattern::Stream { Figure::Throughput } else { Figure::P50 };
            let chart_bars: Vec<Bar> = same
                .iter()
                .filter(|s| figure.estimate(s).is_some() || s.status == scenarios::Status::FewTrials)
                .map(|s| {
                    let mut b = scenario_bar(&format!("{} @ {}", s.transport, s.placement), s, figure);
                    b.faded = s.placement != primary;
                    b
                })
                .collect();
            let (axis, what, ticks): (_, _, fn(f64) -> String) = if pattern == Pattern::Stream {
                ("messages per second", "stream throughput", format::si)
            } else {
                ("round-trip p50", "pingpong round-trip p50", format::ns)
            };
            out.push_str(&html::figure(
                &format!("placement-{i}-{k}"),
                &caption(
                    inputs,
                    input,
                    &format!(
                        "{what} by placement, {capacity}, {DEFAULT_SIZE} B; {primary} solid, other placements \
                         lighter; {DOTS_SAY}"
                    ),
                ),
                bars(axis, ticks, chart_bars).svg(),
            ));
            let header: Vec<&str> = std::iter::once("transport").chain(placement_names.iter().copied()).collect();
            let rows: Vec<Vec<Noted>> = select::distinct(&same, |s| s.transport)
                .into_iter()
                .map(|t| {
                    let mut row = vec![Noted::plain(t.to_string())];
                    for p in &placements {
                        let cell = match same.iter().find(|s| s.transport == t && &s.placement == p) {
                            Some(s) => headline::cell_with_trials(
                                s,
                                figure
                                    .estimate(s)
                                    .map(|e| match figure {
                                        Figure::Throughput => format!("{} msgs/s", format::si(e.median)),
                                        Figure::P50 => format::ns(e.median),
                                    })
                                    .ok_or_else(|| "no figure".to_owned()),
                            ),
                            None => Noted::plain(na("not measured")),
                        };
                        row.push(cell);
                    }
                    row
                })
                .collect();
            out.push_str(&html::table(&header, &rows));
            out.push_str(&scenario_notes(&same));
        }
        out
    })
}
