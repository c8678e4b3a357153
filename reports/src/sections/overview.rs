//! Sections 1, 2 and 10, and the list of scenarios that were not
//! measured: the verdict, throughput per capacity mode, the environment
//! and method, and failures with their reasons.

use scenarios::results::{ResultsFile, ScenarioResult, Status};

use super::{bar, bars, caption, na, per_input};
use crate::charts::Bar;
use crate::select::{self, DEFAULT_SIZE};
use crate::verdict::verdicts;
use crate::{Input, format, html};

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
             median(ring) / median(kernel) over the repeats' throughputs.</p>\n",
            DEFAULT_SIZE,
            html::escape(&primary)
        );
        let ratio_bars: Vec<Bar> = vs
            .iter()
            .filter_map(|v| {
                let (r, lo, hi) = v.ring_vs_kernel?;
                Some(bar(&v.capacity, "shm-ring", r, Some((lo, hi))))
            })
            .collect();
        out.push_str(&html::figure(
            &format!("verdict-{i}-ratio"),
            &caption(inputs, input, "How many times the ring's throughput is the best kernel-backed transport's, per capacity mode (95% interval)"),
            bars("ring throughput / best kernel-backed throughput (x)", format::three_digits, ratio_bars).svg(),
        ));
        let rows: Vec<Vec<String>> = vs.iter().map(|v| row(v)).collect();
        out.push_str(&html::table(&crate::verdict::COLUMNS, &rows));
        out
    })
}

/// One verdict row of the table (shared with the terminal table).
pub fn row(v: &crate::verdict::Verdict<'_>) -> Vec<String> {
    let throughput = |s: &ScenarioResult| {
        s.msgs_per_s.map(|e| format!("{} ({} msgs/s)", s.transport, format::si(e.median))).unwrap_or_default()
    };
    vec![
        v.capacity.clone(),
        v.fastest.map(throughput).unwrap_or_else(|| na("no stream scenario")),
        v.lowest_p99
            .and_then(|s| {
                let kind =
                    if s.pattern == "pingpong" { "round trip".to_owned() } else { format!("one-way, {}", s.pattern) };
                s.latency.as_ref().map(|l| format!("{} ({} {kind})", s.transport, format::ns(l.p99.median)))
            })
            .unwrap_or_else(|| na("no pingpong or sustained rate scenario at this capacity")),
        v.best_kernel.map(throughput).unwrap_or_else(|| na("no kernel-backed stream")),
        match (v.ring_vs_kernel, v.ring) {
            (Some((r, lo, hi)), _) => {
                format!("{}x [{}, {}]", format::three_digits(r), format::three_digits(lo), format::three_digits(hi))
            }
            (None, None) => na("no shm-ring stream"),
            (None, Some(_)) => na("no kernel-backed stream to compare"),
        },
    ]
}

/// Section 2.
pub fn throughput(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let stream = select::pick(&input.results, |s| {
            s.pattern == "stream" && s.placement == primary && s.size == DEFAULT_SIZE && s.msgs_per_s.is_some()
        });
        if stream.is_empty() {
            return html::missing("No measured stream scenario at the primary placement and 64 B.");
        }
        let mut capacities = select::distinct(&stream, |s| s.capacity.clone());
        capacities.sort_by_key(|c| select::capacity_key(c));
        let mut out = String::new();
        for (k, capacity) in capacities.iter().enumerate() {
            let chart_bars: Vec<Bar> = stream
                .iter()
                .filter(|s| &s.capacity == capacity)
                .filter_map(|s| s.msgs_per_s.map(|e| bar(&s.transport, &s.transport, e.median, Some((e.low, e.high)))))
                .collect();
            out.push_str(&html::figure(
                &format!("throughput-{i}-{k}"),
                &caption(
                    inputs,
                    input,
                    &format!("Stream throughput, {capacity}, {DEFAULT_SIZE} B, {primary}: median and 95% interval"),
                ),
                bars("messages per second", format::si, chart_bars).svg(),
            ));
        }
        let transports = select::distinct(&stream, |s| s.transport.clone());
        let mut header = vec!["transport"];
        header.extend(capacities.iter().map(String::as_str));
        let rows: Vec<Vec<String>> = transports
            .iter()
            .map(|t| {
                let mut row = vec![t.clone()];
                for c in &capacities {
                    let cell = stream
                        .iter()
                        .find(|s| &s.transport == t && &s.capacity == c)
                        .and_then(|s| s.msgs_per_s)
                        .map(|e| format::estimate(&e, format::si))
                        .unwrap_or_else(|| na("not measured; see the failures list"));
                    row.push(cell);
                }
                row
            })
            .collect();
        out.push_str("<p>Messages per second: median [95% interval].</p>\n");
        out.push_str(&html::table(&header, &rows));
        out
    })
}

/// Section 10.
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
            ("load before (1/5/15 min)", load(&e.load_before)),
            ("load after (1/5/15 min)", load(&e.load_after)),
            (
                "steal time",
                e.steal_fraction
                    .map(|f| format!("{}%", format::three_digits(f * 100.0)))
                    .unwrap_or_else(|| na("not recorded")),
            ),
            ("repeats per scenario", m.repeats.to_string()),
            ("warm-up runs per scenario", m.warmup_runs.to_string()),
            ("run length", format!("{} ms", m.run_ms)),
            ("clock", m.clock.clone()),
            ("clock read cost", format::ns(m.clock_read_ns)),
            ("intervals", m.interval.clone()),
        ]
        .into_iter()
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
        out.push_str(&format!(
            "<h4>Spread between repeats</h4>\n<p>Scenarios whose per-repeat throughput (stream) or p50 \
             (pingpong, rate) varies by more than {}% (max / min): their figures are noisy.</p>\n",
            format::three_digits((NOISY - 1.0) * 100.0)
        ));
        let noisy: Vec<Vec<String>> = noisy(r)
            .into_iter()
            .map(|(s, what, spread)| vec![s.id.clone(), what.to_owned(), format!("{}x", format::three_digits(spread))])
            .collect();
        if noisy.is_empty() {
            out.push_str("<p>None: every measured scenario is within that spread.</p>\n");
        } else {
            out.push_str(&html::table(&["scenario", "figure", "max / min"], &noisy));
        }
        out
    })
}

/// The max/min spread above which a scenario counts as noisy.
pub const NOISY: f64 = 1.10;

/// Measured scenarios whose repeats spread by more than [`NOISY`]: the
/// scenario, the figure, and max / min.
pub fn noisy(r: &ResultsFile) -> Vec<(&ScenarioResult, &'static str, f64)> {
    let mut out = Vec::new();
    for s in r.scenarios.iter().filter(|s| select::measured(s)) {
        let (what, values): (&str, Vec<f64>) = if s.pattern == "stream" {
            ("throughput", select::throughput_samples(s))
        } else {
            ("p50 latency", s.repeats.iter().filter_map(|r| r.latency.map(|l| l.p50)).collect())
        };
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(0.0, f64::max);
        if values.len() >= 2 && lo > 0.0 && hi / lo > NOISY {
            out.push((s, what, hi / lo));
        }
    }
    out
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
             such; the others have no figures.</p>\n{}",
            rows.len(),
            input.results.scenarios.len(),
            html::table(&["scenario", "status", "reason"], &rows)
        )
    })
}
