//! Sections 1, 3 and 11, and the list of scenarios that were not
//! measured: the verdict (with the ring beside iceoryx2, [`crate::peer`]),
//! throughput per capacity mode (with the ring, iceoryx2 and the best
//! kernel-backed transport side by side, and what each transport copies,
//! [`super::copies`]), the environment and method (with the rules that
//! pick, mark and withhold figures, and the scenarios marked unstable), and
//! failures with their reasons.

use scenarios::results::{ScenarioResult, Status};
use vocabulary::{Capacity, LatencyKind, Pattern};

use super::{DOTS_SAY, bar, bars, caption, copies, na, per_input, scenario_bar, scenario_notes};
use crate::charts::Bar;
use crate::headline::{self, Figure};
use crate::html::Noted;
use crate::peer::{self, Compared, PEER, PeerComparison, PeerRow};
use crate::select::{self, DEFAULT_SIZE};
use crate::verdict::{RING, Verdict, verdicts};
use crate::{Input, format, html, palette};

/// The columns of the table setting the ring beside iceoryx2 (the
/// report's and the terminal's).
pub fn peer_columns() -> Vec<String> {
    let named = [RING.to_string(), PEER.to_string(), format!("ring / {PEER} [95%]")];
    ["capacity".to_owned(), "figure".to_owned()].into_iter().chain(named).chain(["the ring is".to_owned()]).collect()
}

/// Section 1.
pub fn verdict(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let vs = verdicts(&input.results);
        if vs.is_empty() {
            return html::missing("No measured stream or pingpong scenario at the primary placement and 64 B.");
        }
        let mut out = format!(
            "<p>Stream, pingpong and rate scenarios of {} B messages at the primary placement ({}); latency is \
             the pingpong round trip where a capacity mode has one, else the one-way latency of rate runs that \
             kept their rate. Ring = shm-ring; kernel-backed = pipes, sockets and message queues; iceoryx2, \
             the zero-copy framework, is set beside the ring under the table. The ratio's 95% interval is a \
             seeded bootstrap of median(ring) / median(kernel) over the used trials' throughputs. A figure marked \
             unstable comes from trials that are not one population (see the notes).</p>\n",
            DEFAULT_SIZE,
            html::escape(primary.name())
        );
        let ratio_bars: Vec<Bar> = vs
            .iter()
            .filter_map(|v| {
                let (r, lo, hi) = v.ring_vs_kernel?;
                Some(bar(v.capacity.to_string(), palette::colour(RING), r, Some((lo, hi))))
            })
            .collect();
        out.push_str(&html::figure(
            &format!("verdict-{i}-ratio"),
            &caption(inputs, input, "How many times the ring's throughput is the best kernel-backed transport's, per capacity mode (95% interval)"),
            bars("ring throughput / best kernel-backed throughput (x)", format::three_digits, ratio_bars).svg(),
        ));
        let rows: Vec<Vec<String>> = vs.iter().map(|v| row(v)).collect();
        out.push_str(&html::table(&crate::verdict::COLUMNS, &rows));
        out.push_str(&html::notes(&verdict_notes(&vs)));
        out.push_str(&beside_peer(inputs, i, input));
        out
    })
}

/// Section 1's comparison of the ring with iceoryx2: a chart of the
/// stream ratios, the table of every pattern, its notes; or one line
/// when iceoryx2 has no measured result.
fn beside_peer(inputs: &[Input], i: usize, input: &Input) -> String {
    let mut out = format!("<h4>{RING} beside {PEER}</h4>\n");
    let rows = match peer::compare(&input.results) {
        PeerComparison::Absent(line) => {
            out.push_str(&html::missing(&line));
            return out;
        }
        PeerComparison::Rows(rows) => rows,
    };
    out.push_str(&format!(
        "<p>The same {DEFAULT_SIZE} B scenarios at the primary placement, in every capacity mode and pattern \
         either was run in: throughput (higher is better), and the p99 of pingpong round trips and of one-way \
         latencies at a kept rate (lower is better), each the median over the used trials; ring / iceoryx2 with \
         the seeded bootstrap 95% interval over those trials, where both were measured. iceoryx2 lends its \
         samples in bounded:N only; in rendezvous and unbounded the channel layer built on top of it copies \
         (see the copies per message in section 3).</p>\n"
    ));
    let ratio_bars: Vec<Bar> = rows
        .iter()
        .filter(|r| r.compared() == Compared::Throughput)
        .filter_map(|r| {
            let (ratio, lo, hi) = r.ratio?;
            Some(bar(r.capacity.to_string(), palette::colour(PEER), ratio, Some((lo, hi))))
        })
        .collect();
    out.push_str(&html::figure(
        &format!("verdict-{i}-peer"),
        &caption(
            inputs,
            input,
            "How many times the ring's stream throughput is iceoryx2's, per capacity mode (95% interval)",
        ),
        bars("ring throughput / iceoryx2 throughput (x)", format::three_digits, ratio_bars).svg(),
    ));
    let table: Vec<Vec<Noted>> = rows.iter().map(peer_row).collect();
    let header = peer_columns();
    out.push_str(&html::table(&header.iter().map(String::as_str).collect::<Vec<_>>(), &table));
    out.push_str(&html::notes(&peer_notes(&rows)));
    out
}

/// A scenario's [`Compared`] figure as a cell, marked or replaced by its
/// status as everywhere ([`headline::cell`]); an unmeasured one shows its
/// status with the reason as the note.
fn compared_cell(s: &ScenarioResult, compared: Compared) -> Noted {
    if !select::measured(s) {
        return headline::unmeasured_cell(s);
    }
    headline::cell(s, compared.value(s).map(|v| compared.text(v)))
}

/// One row of the ring beside iceoryx2 (shared with the terminal table).
pub fn peer_row(row: &PeerRow<'_>) -> Vec<Noted> {
    let compared = row.compared();
    vec![
        Noted::plain(row.capacity.to_string()),
        Noted::plain(peer::figure_name(row.pattern)),
        row.ring.map_or_else(|| Noted::plain(na(&format!("no {RING} scenario"))), |s| compared_cell(s, compared)),
        row.peer.map_or_else(|| Noted::plain(na("not in this run")), |s| compared_cell(s, compared)),
        Noted::plain(ring_vs_peer(row)),
        Noted::plain(row.ring_is().unwrap_or_default()),
    ]
}

/// The notes under the ring beside iceoryx2: each scenario it names that
/// is unstable or has too few trials, and each reason one of the two was
/// not measured, once, with how many of the table's cells it covers.
pub fn peer_notes(rows: &[PeerRow<'_>]) -> Vec<String> {
    let named: Vec<&ScenarioResult> = rows.iter().flat_map(|r| [r.ring, r.peer]).flatten().collect();
    let mut out = headline::notes(&named.iter().copied().filter(|s| select::measured(s)).collect::<Vec<_>>());
    // (transport, status, reason) and how many cells it covers.
    let mut reasons: Vec<((String, &str, &str), usize)> = Vec::new();
    for s in named.into_iter().filter(|s| !select::measured(s)) {
        let key = (s.transport.to_string(), s.status.name(), s.reason.as_deref().unwrap_or("no reason recorded"));
        match reasons.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => reasons.push((key, 1)),
        }
    }
    out.extend(reasons.into_iter().map(|((t, status, why), n)| format!("{t}, {n} cell(s) {status}: {why}")));
    out
}

/// `transport (figure)`, with the scenario's tags after the figure:
/// `pipe (1.2M msgs/s; unstable)`.
fn named(s: &ScenarioResult, figure: &str) -> String {
    let tags = headline::tags(s);
    if tags.is_empty() {
        format!("{} ({figure})", s.transport)
    } else {
        format!("{} ({figure}; {})", s.transport, tags.join(", "))
    }
}

/// One verdict row of the table (shared with the terminal table).
pub fn row(v: &Verdict<'_>) -> Vec<String> {
    let throughput = |s: &ScenarioResult| {
        s.msgs_per_s.map(|e| named(s, &format!("{} msgs/s", format::si(e.median)))).unwrap_or_default()
    };
    vec![
        v.capacity.to_string(),
        v.fastest.map(throughput).unwrap_or_else(|| na("no stream scenario with a figure")),
        v.lowest_p99
            .and_then(|s| {
                let kind = match s.pattern.latency_kind() {
                    Some(LatencyKind::RoundTrip) => "round trip".to_owned(),
                    Some(LatencyKind::OneWay) | None => format!("one-way, {}", s.pattern),
                };
                headline::p99(s).ok().map(|e| named(s, &format!("{} {kind}", format::ns(e.median))))
            })
            .unwrap_or_else(|| na("no pingpong or sustained rate scenario with a p99 at this capacity")),
        v.best_kernel.map(throughput).unwrap_or_else(|| na("no kernel-backed stream")),
        ring_vs_kernel(v),
    ]
}

/// The verdict's ring / best kernel-backed ratio with its interval, the
/// unstable sides named; or why there is none.
fn ring_vs_kernel(v: &Verdict<'_>) -> String {
    match (v.ring_vs_kernel, v.ring) {
        (Some(interval), _) => {
            let text = format::ratio(interval);
            let unstable: Vec<&str> = [v.ring, v.best_kernel]
                .into_iter()
                .flatten()
                .filter(|s| s.unstable.is_some())
                .map(|s| s.transport.name())
                .collect();
            if unstable.is_empty() { text } else { format!("{text} (unstable: {})", unstable.join(", ")) }
        }
        (None, None) => na("no shm-ring stream"),
        (None, Some(ring)) if ring.msgs_per_s.is_none() => {
            na(&format!("shm-ring: {}", ring.reason.as_deref().unwrap_or(ring.status.name())))
        }
        (None, Some(_)) if v.best_kernel.is_none() => na("no kernel-backed stream to compare"),
        (None, Some(_)) => na("no used trials to resample"),
    }
}

/// A peer row's ring / iceoryx2 ratio with its interval, or why there is none.
fn ring_vs_peer(row: &PeerRow<'_>) -> String {
    let compared = row.compared();
    let has_figure = |s: Option<&ScenarioResult>| s.is_some_and(|s| compared.value(s).is_ok());
    match row.ratio {
        Some(interval) => format::ratio(interval),
        None if !has_figure(row.ring) => na(&format!("no {RING} figure")),
        None if !has_figure(row.peer) => na(&format!("no {PEER} figure")),
        None => na("no used trials to resample"),
    }
}

/// The notes under a verdict table: each scenario it names that is
/// unstable or has too few trials, with the reason.
pub fn verdict_notes(vs: &[Verdict<'_>]) -> Vec<String> {
    let mut named: Vec<&ScenarioResult> = Vec::new();
    for s in vs.iter().flat_map(Verdict::scenarios) {
        if !named.iter().any(|n| n.id == s.id) {
            named.push(s);
        }
    }
    headline::notes(&named)
}

/// Section 3.
pub fn throughput(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let stream = select::pick(&input.results, |s| {
            s.pattern == Pattern::Stream
                && s.placement == primary
                && s.size == DEFAULT_SIZE
                && (s.msgs_per_s.is_some() || s.status == Status::FewTrials)
        });
        if stream.is_empty() {
            return html::missing("No measured stream scenario at the primary placement and 64 B.");
        }
        let mut capacities = select::distinct(&stream, |s| s.capacity);
        capacities.sort();
        let mut out = String::new();
        for (k, capacity) in capacities.iter().enumerate() {
            let chart_bars: Vec<Bar> = stream
                .iter()
                .filter(|s| &s.capacity == capacity)
                .map(|s| scenario_bar(s.transport.name(), s, Figure::Throughput))
                .collect();
            out.push_str(&html::figure(
                &format!("throughput-{i}-{k}"),
                &caption(
                    inputs,
                    input,
                    &format!("Stream throughput, {capacity}, {DEFAULT_SIZE} B, {primary}; {DOTS_SAY}"),
                ),
                bars("messages per second", format::si, chart_bars).svg(),
            ));
        }
        // Every transport with a stream here, whatever its status: one
        // refused or failed everywhere still has its row, saying so.
        let every = select::pick_any_status(&input.results, |s| {
            s.pattern == Pattern::Stream && s.placement == primary && s.size == DEFAULT_SIZE
        });
        let transports = select::distinct(&every, |s| s.transport);
        let capacity_names: Vec<String> = capacities.iter().map(Capacity::to_string).collect();
        let mut header = vec!["transport"];
        header.extend(capacity_names.iter().map(String::as_str));
        let rows: Vec<Vec<Noted>> = transports
            .iter()
            .map(|t| {
                let mut row = vec![Noted::plain(t.to_string())];
                for c in &capacities {
                    let cell = match stream.iter().find(|s| &s.transport == t && &s.capacity == c) {
                        Some(s) => headline::cell_with_trials(
                            s,
                            s.msgs_per_s
                                .map(|e| format::estimate(&e, format::si))
                                .ok_or_else(|| "no throughput".to_owned()),
                        ),
                        None => match every.iter().find(|s| &s.transport == t && &s.capacity == c) {
                            Some(s) if !select::measured(s) => headline::unmeasured_cell(s),
                            Some(s) => headline::cell_with_trials(s, Err("no throughput".to_owned())),
                            None => Noted::plain(na("not in this run")),
                        },
                    };
                    row.push(cell);
                }
                row
            })
            .collect();
        out.push_str(&format!(
            "<p>Messages per second: median [95% interval] of the trials used, then trials used / run; \
             {} marks an unstable figure; a scenario not measured shows its status (its note and the failures \
             list give the reason).</p>\n",
            headline::UNSTABLE
        ));
        out.push_str(&html::table(&header, &rows));
        out.push_str(&scenario_notes(&stream));
        out.push_str(&ring_beside_peers(input));
        out.push_str(&copies::table(input));
        out
    })
}

/// Section 3's summary: per capacity mode, the ring's stream throughput
/// beside iceoryx2's and the best kernel-backed transport's, with the
/// ring's ratio to each; iceoryx2's columns give way to one line when it
/// has no measured result.
fn ring_beside_peers(input: &Input) -> String {
    let vs = verdicts(&input.results);
    let comparison = peer::compare(&input.results);
    let mut out = format!("<h4>{RING}, {PEER} and the best kernel-backed transport</h4>\n");
    let streams: Vec<&PeerRow<'_>> = match &comparison {
        PeerComparison::Rows(rows) => rows.iter().filter(|r| r.pattern == Pattern::Stream).collect(),
        PeerComparison::Absent(line) => {
            out.push_str(&html::missing(line));
            Vec::new()
        }
    };
    let with_peer = matches!(comparison, PeerComparison::Rows(_));
    let throughput = |s: &ScenarioResult| compared_cell(s, Compared::Throughput);
    let rows: Vec<Vec<Noted>> = vs
        .iter()
        .filter(|v| v.ring.is_some() || v.best_kernel.is_some())
        .map(|v| {
            let at = streams.iter().find(|r| r.capacity == v.capacity);
            // The ring's stream with a figure, else the one that says why not.
            let ring = v.ring.or_else(|| at.and_then(|r| r.ring));
            let mut row = vec![
                Noted::plain(v.capacity.to_string()),
                ring.map_or_else(|| Noted::plain(na(&format!("no {RING} stream"))), throughput),
            ];
            if let Some(at) = at {
                row.push(at.peer.map_or_else(|| Noted::plain(na("not in this run")), throughput));
                row.push(Noted::plain(ring_vs_peer(at)));
            } else if with_peer {
                row.extend([Noted::plain(na(&format!("no {PEER} stream"))), Noted::plain(na("nothing to compare"))]);
            }
            row.push(v.best_kernel.map_or_else(
                || Noted::plain(na("no kernel-backed stream")),
                |s| {
                    let mut cell = throughput(s);
                    cell.text = format!("{}: {}", s.transport, cell.text);
                    cell
                },
            ));
            row.push(Noted::plain(ring_vs_kernel(v)));
            row
        })
        .collect();
    let mut header = vec!["capacity".to_owned(), RING.to_string()];
    if with_peer {
        header.extend([PEER.to_string(), format!("ring / {PEER} [95%]")]);
    }
    header.extend(["best kernel-backed".to_owned(), "ring / best kernel [95%]".to_owned()]);
    out.push_str(&format!(
        "<p>Stream messages per second at {DEFAULT_SIZE} B, the medians of the charts above; the ratios are the \
         ring's to each, with the verdict's bootstrap 95% interval.</p>\n"
    ));
    out.push_str(&html::table(&header.iter().map(String::as_str).collect::<Vec<_>>(), &rows));
    out
}

/// Section 11.
pub fn environment(inputs: &[Input]) -> String {
    per_input(inputs, |_, input| {
        let r = &input.results;
        let e = &r.environment;
        let m = &r.method;
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| na("not recorded"));
        let load = |v: &Option<[f64; 3]>| {
            v.map(|l| format!("{} {} {}", l[0], l[1], l[2])).unwrap_or_else(|| na("not recorded"))
        };
        let rows: Vec<Vec<String>> = [
            ("tool", r.tool.clone()),
            ("suite", r.suite.clone()),
            ("started (unix s)", r.started_unix.to_string()),
            ("finished (unix s)", r.finished_unix.map(|t| t.to_string()).unwrap_or_else(|| na("interrupted"))),
            ("valid", r.valid.to_string()),
            ("host", e.hostname.clone()),
            ("CPU", e.cpu_model.clone()),
            ("CPUs used", format!("{:?}", e.cpus)),
            ("kernel", e.kernel.clone()),
            ("virtualisation", e.virtualisation.clone()),
            ("governor", opt(&e.governor)),
            ("clock source", opt(&e.clocksource)),
            ("invariant TSC", e.invariant_tsc.to_string()),
            ("compiler", e.rustc.clone()),
            ("build", format!("{}, opt-level {}, debug assertions {}", e.profile, e.opt_level, e.debug_assertions)),
            ("git commit", opt(&e.git_commit)),
            (
                "CPUs busy before the run",
                e.busy_before.map_or_else(
                    || na("not recorded"),
                    |b| format!("{:.0}% over {} ms", b * 100.0, bench_core::environment::BUSY_SAMPLE.as_millis()),
                ),
            ),
            ("load before (1/5/15 min)", load(&e.load_before)),
            ("load after (1/5/15 min)", load(&e.load_after)),
            (
                "steal time",
                e.steal_fraction
                    .map(|f| format!("{}%", format::three_digits(f * 100.0)))
                    .unwrap_or_else(|| na("not recorded")),
            ),
            (
                "trials",
                format!(
                    "{} rounds x 1 trial of every scenario (each trial a run between fresh processes), after {} \
                     warm-up trial(s) per scenario",
                    m.rounds, m.warmup_trials
                ),
            ),
            (
                "trial length",
                format!(
                    "stream {} ms, pingpong {} ms, rate {} ms",
                    m.trial_ms.stream, m.trial_ms.pingpong, m.trial_ms.rate
                ),
            ),
            ("order", format!("seed {}: {}", m.seed, m.order)),
            ("machine-state probe", m.probe.clone()),
            ("which trials are used", m.selection.clone()),
            ("when a figure is unstable", m.stability.clone()),
            ("when a percentile is given", m.percentiles.clone()),
        ]
        .into_iter()
        .chain(clock_rows(m))
        .chain([("intervals", m.interval.clone())])
        .map(|(k, v)| vec![k.to_owned(), v])
        .collect();
        let mut out = html::table(&["", "value"], &rows);
        out.push_str("<h4>Topology</h4>\n");
        out.push_str(&html::table(&["CPU"], &e.topology.iter().map(|t| vec![t.clone()]).collect::<Vec<_>>()));
        out.push_str("<h4>IPC limits</h4>\n");
        let limits: Vec<Vec<String>> = e.ipc_limits.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect();
        out.push_str(&html::table(&["sysctl", "value"], &limits));
        out.push_str("<h4>Warnings</h4>\n");
        if r.warnings.is_empty() {
            out.push_str("<p>None recorded.</p>\n");
        } else {
            out.push_str("<ul class=\"warnings\">\n");
            for w in &r.warnings {
                out.push_str(&format!("<li>{}</li>\n", html::escape(w)));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("<h4>Unstable figures</h4>\n");
        let unstable: Vec<Vec<String>> = r
            .scenarios
            .iter()
            .filter_map(|s| {
                let why = s.unstable.as_ref()?;
                let figure = if s.pattern == Pattern::Stream { "throughput" } else { "p50 latency" };
                Some(vec![s.id.clone(), figure.to_owned(), headline::trials(s), why.clone()])
            })
            .collect();
        if unstable.is_empty() {
            out.push_str("<p>None: every figure's used trials are one population.</p>\n");
        } else {
            out.push_str(&format!(
                "<p>Scenarios whose used trials are not one population: their figures are printed, marked {}, \
                 and the regression gate does not judge them.</p>\n",
                headline::UNSTABLE
            ));
            out.push_str(&html::table(&["scenario", "figure", "trials used", "why"], &unstable));
        }
        out
    })
}

/// Every scenario that was not `ok`, with its reason.
pub fn failures(inputs: &[Input]) -> String {
    per_input(inputs, |_, input| {
        let rows: Vec<Vec<String>> = input
            .results
            .scenarios
            .iter()
            .filter(|s| s.status != Status::Ok)
            .map(|s| {
                vec![
                    s.id.clone(),
                    s.status.name().to_owned(),
                    s.reason.clone().unwrap_or_else(|| "no reason recorded".to_owned()),
                ]
            })
            .collect();
        if rows.is_empty() {
            return "<p>Every scenario ran and passed its integrity checks.</p>\n".to_owned();
        }
        format!(
            "<p>{} of {} scenarios did not end <code>ok</code>. Unsustained rates are measured but charted as \
             such; few-trials scenarios show their trials and no figure; the others have no figures.</p>\n{}",
            rows.len(),
            input.results.scenarios.len(),
            html::table(&["scenario", "status", "reason"], &rows)
        )
    })
}

/// The method rows naming the clocks: one per latency kind where the file
/// records them, else the one clock older files name.
fn clock_rows(m: &scenarios::results::Method) -> Vec<(&'static str, String)> {
    if m.clocks.is_empty() {
        return vec![("clock", format!("{}, {} a read", m.clock, format::ns(m.clock_read_ns)))];
    }
    m.clocks
        .iter()
        .map(|c| {
            let what = match c.latency {
                LatencyKind::RoundTrip => "clock of round trips",
                LatencyKind::OneWay => "clock of one-way latencies and durations",
            };
            (what, format!("{}, {} a read", c.clock, format::ns(c.read_ns)))
        })
        .collect()
}
