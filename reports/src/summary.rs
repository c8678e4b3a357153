//! The terminal summary at the end of a run, as text the harness prints:
//! tables a person can read in a minute:
//! stream throughput per transport and capacity mode, round-trip and
//! one-way latency per transport, then every scenario that did not
//! measure cleanly, with its reason. A scenario whose wait was chosen
//! explicitly has a row of its own, `shm-ring (block)`, beside the
//! transport's `auto` row.

use std::collections::BTreeMap;

use scenarios::Wait;
use scenarios::results::{MailboxSummary, ResultsFile, ScenarioResult, Status};
use vocabulary::{Capacity, Pattern, PlacementLabel};

use crate::format::{ns, si};

/// Append a line to `$out`, as `println!` prints one.
macro_rules! put_line {
    ($out:expr) => { $out.push('\n') };
    ($out:expr, $($arg:tt)*) => {{
        $out.push_str(&format!($($arg)*));
        $out.push('\n');
    }};
}

/// Append text to `$out`, as `print!` prints it.
macro_rules! put {
    ($out:expr, $($arg:tt)*) => { $out.push_str(&format!($($arg)*)) };
}

/// A percentile, or `-` where the samples do not support it.
fn percentile(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), ns)
}

/// The end-of-run tables, as text for a terminal.
pub fn text(file: &ResultsFile) -> String {
    let mut out = String::new();
    tables(&mut out, file);
    out
}

fn tables(out: &mut String, file: &ResultsFile) {
    if !file.valid {
        put_line!(out, "\n!! INVALID: measured with an unoptimised build; do not quote these figures");
    }
    for w in &file.warnings {
        put_line!(out, "warning: {w}");
    }
    if file.scenarios.len() == 1 {
        return single(out, &file.scenarios[0]);
    }
    stream_table(out, file);
    latency_table(out, file, Pattern::PingPong, "round-trip latency p50 (p99), medians of the trials used");
    let mut rates: Vec<Pattern> = file.scenarios.iter().map(|s| s.pattern).filter(|p| p.rate().is_some()).collect();
    rates.sort();
    rates.dedup();
    for rate in rates {
        latency_table(
            out,
            file,
            rate,
            &format!("{rate}: one-way latency from the intended send time, p50 (p99), medians of the trials used"),
        );
    }
    trials_summary(out, file);
    let unstable: Vec<&ScenarioResult> = file.scenarios.iter().filter(|s| s.unstable.is_some()).collect();
    if !unstable.is_empty() {
        put_line!(out, "\nunstable (~ above; the figure is printed, the gate never judges it) ({}):", unstable.len());
        for s in unstable {
            put_line!(out, "  {:<48} {}", s.id, s.unstable.as_deref().unwrap_or(""));
        }
    }
    let bad: Vec<&ScenarioResult> = file.scenarios.iter().filter(|s| s.status != Status::Ok).collect();
    if !bad.is_empty() {
        put_line!(out, "\nnot measured cleanly ({}):", bad.len());
        for s in bad {
            put_line!(out, "  {:<11} {:<48} {}", s.status.name(), s.id, s.reason.as_deref().unwrap_or(""));
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
fn trials_summary(out: &mut String, file: &ResultsFile) {
    let (used, set_aside): (u32, u32) =
        file.scenarios.iter().fold((0, 0), |(u, a), s| (u + s.selection.used, a + s.selection.set_aside));
    let m = &file.method;
    put_line!(
        out,
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
        put_line!(out, "machine states on cores {},{}: {}", pair.cores[0], pair.cores[1], states.join("; "));
    }
}

fn stream_table(out: &mut String, file: &ResultsFile) {
    let streams = || file.scenarios.iter().filter(|s| s.pattern == Pattern::Stream);
    let Some(size) = most_common(streams(), |s| s.size) else { return };
    let rows: Vec<&ScenarioResult> = streams().filter(|s| s.size == size).collect();
    let mut columns: Vec<(Capacity, PlacementLabel)> = Vec::new();
    for r in &rows {
        let c = (r.capacity, r.placement);
        if !columns.contains(&c) {
            columns.push(c);
        }
    }
    columns.sort();
    put_line!(out, "\nstream throughput, {size}-byte messages, msgs/s (median of the trials used; ~ unstable)");
    let names = row_names(&rows);
    let width = name_width(&names);
    put!(out, "{:<width$}", "transport");
    for (cap, place) in &columns {
        put!(out, " {:>24}", format!("{cap} {place}"));
    }
    put_line!(out);
    for t in names {
        put!(out, "{t:<width$}");
        for (cap, place) in &columns {
            let cell = rows.iter().find(|r| row_name(r) == t && &r.capacity == cap && &r.placement == place);
            put!(out, " {:>24}", cell.map_or("".into(), |r| stream_cell(r)));
        }
        put_line!(out);
    }
}

fn stream_cell(r: &ScenarioResult) -> String {
    match (r.status, r.msgs_per_s) {
        (Status::Ok, Some(m)) => format!("{}{}", si(m.median), unstable_mark(r)),
        (status, _) => status.name().to_owned(),
    }
}

fn unstable_mark(r: &ScenarioResult) -> &'static str {
    if r.unstable.is_some() { " ~" } else { "" }
}

fn latency_table(out: &mut String, file: &ResultsFile, pattern: Pattern, title: &str) {
    let all = || file.scenarios.iter().filter(|s| s.pattern == pattern);
    let Some(size) = most_common(all(), |s| s.size) else { return };
    let rows: Vec<&ScenarioResult> = all().filter(|s| s.size == size).collect();
    let mut places: Vec<PlacementLabel> = Vec::new();
    for r in &rows {
        if !places.contains(&r.placement) {
            places.push(r.placement);
        }
    }
    put_line!(out, "\n{title}, {size}-byte messages");
    let names = row_names(&rows);
    let width = name_width(&names);
    put!(out, "{:<width$}", "transport");
    for p in &places {
        put!(out, " {p:>26}");
    }
    put_line!(out);
    for t in names {
        put!(out, "{t:<width$}");
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
            put!(out, " {text:>26}");
        }
        put_line!(out);
    }
}

/// A table row's name: the transport, with its producers when there were
/// many (`posix-mq x4`) and the wait when it was chosen explicitly
/// (`shm-ring (block)`), so that scenarios differing only in those never
/// share a cell.
fn row_name(r: &ScenarioResult) -> String {
    let name = match r.producers.many() {
        true => format!("{} x{}", r.transport, r.producers),
        false => r.transport.to_string(),
    };
    match r.wait_asked {
        Wait::Auto => name,
        explicit => format!("{name} ({explicit})"),
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
        (None, _) if !r.transport.waits_in_user_space() => {
            format!("{} (no wait strategy)", r.transport.where_it_waits())
        }
        (None, _) => "not recorded".to_owned(),
    }
}

/// Everything about one scenario (`harness run`).
fn single(out: &mut String, r: &ScenarioResult) {
    put_line!(out, "\n{}", r.id);
    put_line!(
        out,
        "  status          {}{}",
        r.status.name(),
        r.reason.as_deref().map(|x| format!(": {x}")).unwrap_or_default()
    );
    if let (Some(cores), Some(rel)) = (r.cores, &r.relation) {
        put_line!(out, "  cores           {} -> {} ({rel})", cores[0], cores[1]);
    }
    let realised = match r.realised_capacity {
        Some(n) => n.to_string(),
        None => "-".into(),
    };
    put_line!(out, "  capacity        {} (realised {realised}; {})", r.capacity, r.realised_detail);
    put_line!(out, "  wait            {}", wait_line(r));
    if let (Some(m), Some(b)) = (r.msgs_per_s, r.bytes_per_s) {
        put_line!(
            out,
            "  throughput      {} msgs/s [95% {} - {}], {}B/s",
            si(m.median),
            si(m.low),
            si(m.high),
            si(b.median)
        );
    }
    if let Some(l) = &r.latency {
        let m = &l.merged;
        put_line!(
            out,
            "  {:<15} p50 {}  p90 {}  p99 {}  p99.9 {}  p99.99 {}  max {}  mean {}  ({} samples)",
            l.kind,
            percentile(m.p50),
            percentile(m.p90),
            percentile(m.p99),
            percentile(m.p999),
            percentile(m.p9999),
            ns(m.max),
            ns(m.mean),
            m.count
        );
    }
    if let Some(c) = &r.cpu {
        put_line!(
            out,
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
    put_line!(
        out,
        "  integrity       sent {} received {} lost {} duplicated {} reordered {} corrupted {}",
        i.sent,
        i.received,
        i.lost,
        i.duplicated,
        i.reordered,
        i.corrupted
    );
    if let Some(m) = &r.mailbox {
        producers(out, m);
    }
    if let Some(f) = &r.floor {
        put_line!(out, "  floor           {:.2}x ({})", f.ratio, f.metric);
    }
    if let Some(rate) = &r.rate {
        put_line!(
            out,
            "  rate            target {} msgs/s, sent {:.0} msgs/s, sends up to {} late{}",
            rate.target,
            rate.achieved,
            ns(rate.max_send_lag_ns as f64),
            if rate.sustained { "" } else { " (NOT sustained)" }
        );
    }
    put_line!(
        out,
        "  trials          {} used, {} set aside{}",
        r.selection.used,
        r.selection.set_aside,
        r.selection.state.as_deref().map(|s| format!(" (reference state {s})")).unwrap_or_default()
    );
    if let Some(why) = &r.unstable {
        put_line!(out, "  UNSTABLE        {why}");
    }
    for (i, t) in r.trials.iter().enumerate() {
        let figure = match (t.msgs_per_s, t.latency) {
            (Some(m), _) => format!("{} msgs/s", si(m)),
            (None, Some(l)) => format!("p50 {} p99 {}", percentile(l.p50), percentile(l.p99)),
            _ => String::new(),
        };
        let probe = t.probe.map_or(String::new(), |p| format!("floor {:.0}/{:.0} ns", p.before_ns, p.after_ns));
        let used = t.set_aside.as_deref().map_or("used".to_owned(), |why| format!("set aside: {why}"));
        put_line!(out, "    {:>3}  {figure:<28} {probe:<20} {used}", i + 1);
    }
}

/// A mailbox scenario's producers: where each ran, its share and its own
/// integrity, the fairness, and a warning when processes shared cores.
fn producers(out: &mut String, m: &MailboxSummary) {
    let fairness = m.fairness.map_or("n/a".to_owned(), |f| format!("{f:.2}"));
    put_line!(
        out,
        "  producers       {} (fairness {fairness}: least served over most served, median of the trials used)",
        m.producer_cores.len()
    );
    for p in &m.per_producer {
        let i = &p.integrity;
        let verdict = if i.is_clean() { "intact".to_owned() } else { i.problems() };
        put_line!(
            out,
            "    producer {:<3}  core {:<3} share {:>5.1}%  sent {} received {}: {verdict}",
            p.producer + 1,
            p.core,
            100.0 * p.share,
            i.sent,
            i.received
        );
    }
    if let Some(shared) = &m.shared_cores {
        put_line!(out, "  warning: {shared}");
    }
}
