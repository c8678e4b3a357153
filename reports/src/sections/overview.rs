//! Sections 1, 3 and 11, and the list of scenarios that were not
//! measured: the verdict, throughput per capacity mode, the environment
//! and method (with the rules that pick, mark and withhold figures, and
//! the scenarios marked unstable), and failures with their reasons.

use scenarios::results::{ScenarioResult, Status};
use vocabulary::{Capacity, LatencyKind, Pattern, TransportKind, Variant};

use super::{DOTS_SAY, bar, bars, caption, na, per_input, scenario_bar, scenario_notes};
use crate::charts::Bar;
use crate::headline::{self, Figure};
use crate::html::Noted;
use crate::select::{self, DEFAULT_SIZE};
use crate::verdict::{Verdict, verdicts};
use crate::{Input, format, html, palette};

/// The ring the verdict compares with the kernel transports.
const RING: TransportKind = TransportKind::ShmRing(Variant::Ring);

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
             kept their rate. Ring = shm-ring; kernel-backed = pipes, sockets and message queues. The ratio's 95% interval is a seeded bootstrap of \
             median(ring) / median(kernel) over the used trials' throughputs. A figure marked unstable comes \
             from trials that are not one population (see the notes).</p>\n",
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
        out
    })
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
    let ratio = |(r, lo, hi): (f64, f64, f64)| {
        let text = format!("{}x [{}, {}]", format::three_digits(r), format::three_digits(lo), format::three_digits(hi));
        let unstable: Vec<&str> = [v.ring, v.best_kernel]
            .into_iter()
            .flatten()
            .filter(|s| s.unstable.is_some())
            .map(|s| s.transport.name())
            .collect();
        if unstable.is_empty() { text } else { format!("{text} (unstable: {})", unstable.join(", ")) }
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
        match (v.ring_vs_kernel, v.ring) {
            (Some(r), _) => ratio(r),
            (None, None) => na("no shm-ring stream"),
            (None, Some(ring)) if ring.msgs_per_s.is_none() => {
                na(&format!("shm-ring: {}", ring.reason.as_deref().unwrap_or(ring.status.name())))
            }
            (None, Some(_)) => na("no kernel-backed stream to compare"),
        },
    ]
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
        let transports = select::distinct(&stream, |s| s.transport);
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
                        None => Noted::plain(na("not measured; see the failures list")),
                    };
                    row.push(cell);
                }
                row
            })
            .collect();
        out.push_str(&format!(
            "<p>Messages per second: median [95% interval] of the trials used, then trials used / run; \
             {} marks an unstable figure.</p>\n",
            headline::UNSTABLE
        ));
        out.push_str(&html::table(&header, &rows));
        out.push_str(&scenario_notes(&stream));
        out
    })
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
