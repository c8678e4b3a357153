//! The terminal summary at the end of a run: tables a person can read in a minute:
//! stream throughput per transport and capacity mode, round-trip and
//! one-way latency per transport, then every scenario that did not
//! measure cleanly, with its reason. A scenario whose wait was chosen
//! explicitly has a row of its own, `shm-ring (block)`, beside the
//! transport's `auto` row.

use crate::terminal::{say, say_part};
use std::collections::{BTreeMap, BTreeSet};

use bench_core::transport::TransportKind;
use scenarios::Wait;
use scenarios::results::{ResultsFile, ScenarioResult, Status};

/// A number with a unit prefix: `1.23 M`, `456 k`, `7.8`.
pub fn si(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} G", v / 1e9),
        v if v >= 1e6 => format!("{:.2} M", v / 1e6),
        v if v >= 1e3 => format!("{:.1} k", v / 1e3),
        v => format!("{v:.1} "),
    }
}

/// Nanoseconds as ns, µs, ms or s.
pub fn duration_ns(ns: f64) -> String {
    match ns {
        n if n >= 1e9 => format!("{:.2} s", n / 1e9),
        n if n >= 1e6 => format!("{:.2} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.1} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

/// A percentile, or `-` where the samples do not support it.
pub fn percentile(ns: Option<f64>) -> String {
    ns.map_or_else(|| "-".to_owned(), duration_ns)
}

/// Print the end-of-run tables.
pub fn print(file: &ResultsFile) {
    if !file.valid {
        say!("\n!! INVALID: measured with an unoptimised build; do not quote these figures");
    }
    for w in &file.warnings {
        say!("warning: {w}");
    }
    if file.scenarios.len() == 1 {
        return single(&file.scenarios[0]);
    }
    stream_table(file);
    latency_table(file, "pingpong", "round-trip latency p50 (p99), medians of the trials used");
    let rates: BTreeSet<&str> =
        file.scenarios.iter().map(|s| s.pattern.as_str()).filter(|p| p.starts_with("rate:")).collect();
    for rate in rates {
        latency_table(
            file,
            rate,
            &format!("{rate}: one-way latency from the intended send time, p50 (p99), medians of the trials used"),
        );
    }
    trials_summary(file);
    let unstable: Vec<&ScenarioResult> = file.scenarios.iter().filter(|s| s.unstable.is_some()).collect();
    if !unstable.is_empty() {
        say!("\nunstable (~ above; the figure is printed, the gate never judges it) ({}):", unstable.len());
        for s in unstable {
            say!("  {:<48} {}", s.id, s.unstable.as_deref().unwrap_or(""));
        }
    }
    let bad: Vec<&ScenarioResult> = file.scenarios.iter().filter(|s| s.status != Status::Ok).collect();
    if !bad.is_empty() {
        say!("\nnot measured cleanly ({}):", bad.len());
        for s in bad {
            say!("  {:<11} {:<48} {}", s.status.name(), s.id, s.reason.as_deref().unwrap_or(""));
        }
    }
}

/// The most common value of `key` among `rows`.
fn most_common<'a>(
    rows: impl Iterator<Item = &'a ScenarioResult>,
    key: impl Fn(&ScenarioResult) -> usize,
) -> Option<usize> {
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for r in rows {
        *counts.entry(key(r)).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(v, _)| v)
}

/// How many trials ran, how many were used, and the machine's states.
fn trials_summary(file: &ResultsFile) {
    let (used, set_aside): (u32, u32) =
        file.scenarios.iter().fold((0, 0), |(u, a), s| (u + s.selection.used, a + s.selection.set_aside));
    let m = &file.method;
    say!(
        "\ntrials: {} rounds (seed {}); {} trials used, {} set aside (they ran while the machine was in another \
         state, see results.json)",
        m.rounds,
        m.seed,
        used,
        set_aside
    );
    for pair in &file.machine {
        let total: usize = pair.states.iter().map(|s| s.probes).sum();
        let states: Vec<String> = pair
            .states
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mark = if i == pair.reference { " (reference)" } else { "" };
                format!("{}: {:.0}% of probes{mark}", s.label(), 100.0 * s.probes as f64 / total.max(1) as f64)
            })
            .collect();
        say!("machine states on cores {},{}: {}", pair.cores[0], pair.cores[1], states.join("; "));
    }
}

fn stream_table(file: &ResultsFile) {
    let streams = || file.scenarios.iter().filter(|s| s.pattern == "stream");
    let Some(size) = most_common(streams(), |s| s.size) else { return };
    let rows: Vec<&ScenarioResult> = streams().filter(|s| s.size == size).collect();
    let mut columns: Vec<(String, String)> = Vec::new();
    for r in &rows {
        let c = (r.capacity.clone(), r.placement.clone());
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    columns.sort_by_key(|(cap, place)| (capacity_order(cap), place.clone()));
    say!("\nstream throughput, {size}-byte messages, msgs/s (median of the trials used; ~ unstable)");
    let names = row_names(&rows);
    let width = name_width(&names);
    say_part!("{:<width$}", "transport");
    for (cap, place) in &columns {
        say_part!(" {:>24}", format!("{cap} {place}"));
    }
    say!();
    for t in names {
        say_part!("{t:<width$}");
        for (cap, place) in &columns {
            let cell = rows.iter().find(|r| row_name(r) == t && &r.capacity == cap && &r.placement == place);
            say_part!(" {:>24}", cell.map_or("".into(), |r| stream_cell(r)));
        }
        say!();
    }
}

fn stream_cell(r: &ScenarioResult) -> String {
    match (r.status, r.msgs_per_s) {
        (Status::Ok, Some(m)) => format!("{}{}", si(m.median).trim_end(), unstable_mark(r)),
        (status, _) => status.name().to_owned(),
    }
}

fn unstable_mark(r: &ScenarioResult) -> &'static str {
    if r.unstable.is_some() { " ~" } else { "" }
}

fn latency_table(file: &ResultsFile, pattern: &str, title: &str) {
    let all = || file.scenarios.iter().filter(|s| s.pattern == pattern);
    let Some(size) = most_common(all(), |s| s.size) else { return };
    let rows: Vec<&ScenarioResult> = all().filter(|s| s.size == size).collect();
    let mut places: Vec<String> = Vec::new();
    for r in &rows {
        if !places.contains(&r.placement) {
            places.push(r.placement.clone());
        }
    }
    say!("\n{title}, {size}-byte messages");
    let names = row_names(&rows);
    let width = name_width(&names);
    say_part!("{:<width$}", "transport");
    for p in &places {
        say_part!(" {p:>26}");
    }
    say!();
    for t in names {
        say_part!("{t:<width$}");
        for p in &places {
            let cell = rows.iter().find(|r| row_name(r) == t && &r.placement == p);
            let text = match cell {
                Some(r) => match (&r.latency, r.status) {
                    (Some(l), Status::Ok | Status::Unsustained) => {
                        let mark = if r.status == Status::Unsustained { " !" } else { unstable_mark(r) };
                        // Each trial's percentiles, then the median over
                        // trials, as the stream table and the report's
                        // verdict give them: one disturbed trial moves the
                        // figure by one place, not by its whole tail (the
                        // report's spectra show the pooled samples).
                        let p99 = l.p99.map(|e| e.median);
                        format!("{} ({}){mark}", percentile(Some(l.p50.median)), percentile(p99))
                    }
                    (_, s) => s.name().to_owned(),
                },
                None => String::new(),
            };
            say_part!(" {text:>26}");
        }
        say!();
    }
}

/// A table row's name: the transport, with the wait after it when it was
/// chosen explicitly (`shm-ring (block)`), so that scenarios differing only
/// in their wait never share a cell.
fn row_name(r: &ScenarioResult) -> String {
    match r.wait_asked {
        Wait::Auto => r.transport.clone(),
        explicit => format!("{} ({explicit})", r.transport),
    }
}

/// The rows' names, each once, in first-seen order.
fn row_names(rows: &[&ScenarioResult]) -> Vec<String> {
    let mut seen = Vec::new();
    for r in rows {
        let name = row_name(r);
        if !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

/// The width of the name column: 18, or the longest name and a space.
fn name_width(names: &[String]) -> usize {
    names.iter().map(|n| n.chars().count() + 1).max().unwrap_or(0).max(18)
}

/// Where the scenario's sides wait: the strategy (`spin`, with `(auto)`
/// when the harness chose it), or the place for transports that do not
/// wait in user space.
fn wait_line(r: &ScenarioResult) -> String {
    match (r.wait, r.wait_asked) {
        (Some(strategy), Wait::Auto) => format!("{strategy} (auto)"),
        (Some(strategy), _) => strategy.to_string(),
        (None, _) => match r.transport.parse::<TransportKind>() {
            Ok(kind) if !kind.waits_in_user_space() => format!("{} (no wait strategy)", kind.where_it_waits()),
            _ => "not recorded".to_owned(),
        },
    }
}

fn capacity_order(cap: &str) -> (u8, usize) {
    match cap {
        "rendezvous" => (0, 0),
        "unbounded" => (2, 0),
        c => (1, c.strip_prefix("bounded:").and_then(|n| n.parse().ok()).unwrap_or(0)),
    }
}

/// Everything about one scenario (`harness run`).
fn single(r: &ScenarioResult) {
    say!("\n{}", r.id);
    say!("  status          {}{}", r.status.name(), r.reason.as_deref().map(|x| format!(": {x}")).unwrap_or_default());
    if let (Some(cores), Some(rel)) = (r.cores, &r.relation) {
        say!("  cores           {} -> {} ({rel})", cores[0], cores[1]);
    }
    let realised = match r.realised_capacity {
        Some(n) => n.to_string(),
        None => "-".into(),
    };
    say!("  capacity        {} (realised {realised}; {})", r.capacity, r.realised_detail);
    say!("  wait            {}", wait_line(r));
    if let (Some(m), Some(b)) = (r.msgs_per_s, r.bytes_per_s) {
        say!(
            "  throughput      {}msgs/s [95% {} - {}], {}B/s",
            si(m.median),
            si(m.low).trim_end(),
            si(m.high).trim_end(),
            si(b.median)
        );
    }
    if let Some(l) = &r.latency {
        let m = &l.merged;
        say!(
            "  {:<15} p50 {}  p90 {}  p99 {}  p99.9 {}  p99.99 {}  max {}  mean {}  ({} samples)",
            l.kind,
            percentile(m.p50),
            percentile(m.p90),
            percentile(m.p99),
            percentile(m.p999),
            percentile(m.p9999),
            duration_ns(m.max),
            duration_ns(m.mean),
            m.count
        );
    }
    if let Some(c) = &r.cpu {
        say!(
            "  cpu per 1M msgs producer {:.3} s, consumer {:.3} s (switches: producer {}+{}, consumer {}+{} vol+invol)",
            c.producer_s_per_million,
            c.consumer_s_per_million,
            c.producer.voluntary_switches,
            c.producer.involuntary_switches,
            c.consumer.voluntary_switches,
            c.consumer.involuntary_switches
        );
    }
    let i = &r.integrity;
    say!(
        "  integrity       sent {} received {} lost {} duplicated {} reordered {} corrupted {}",
        i.sent,
        i.received,
        i.lost,
        i.duplicated,
        i.reordered,
        i.corrupted
    );
    if let Some(f) = &r.floor {
        say!("  floor           {:.2}x ({})", f.ratio, f.metric);
    }
    if let Some(rate) = &r.rate {
        say!(
            "  rate            target {} msgs/s, sent {:.0} msgs/s, sends up to {} late{}",
            rate.target,
            rate.achieved,
            duration_ns(rate.max_send_lag_ns as f64),
            if rate.sustained { "" } else { " (NOT sustained)" }
        );
    }
    say!(
        "  trials          {} used, {} set aside{}",
        r.selection.used,
        r.selection.set_aside,
        r.selection.state.as_deref().map(|s| format!(" (reference state {s})")).unwrap_or_default()
    );
    if let Some(why) = &r.unstable {
        say!("  UNSTABLE        {why}");
    }
    for (i, t) in r.trials.iter().enumerate() {
        let figure = match (t.msgs_per_s, t.latency) {
            (Some(m), _) => format!("{}msgs/s", si(m)),
            (None, Some(l)) => format!("p50 {} p99 {}", percentile(l.p50), percentile(l.p99)),
            _ => String::new(),
        };
        let probe = t.probe.map_or(String::new(), |p| format!("floor {:.0}/{:.0} ns", p.before_ns, p.after_ns));
        let used = t.set_aside.as_deref().map_or("used".to_owned(), |why| format!("set aside: {why}"));
        say!("    {:>3}  {figure:<28} {probe:<20} {used}", i + 1);
    }
}
