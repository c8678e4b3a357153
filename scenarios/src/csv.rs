//! `results.csv`: one row per scenario, the headline figures of
//! `results.json` for a spreadsheet. Quoting follows RFC 4180: a field with
//! a comma, a double quote or a line break is enclosed in double quotes,
//! with each double quote inside doubled. Rows end in `\n`. A value that is
//! absent (no throughput for a pingpong, no latency for a stream, a failed
//! scenario) is an empty field. `docs/results-schema.md` lists the columns;
//! `wait`, added within schema version 2, is the last, so the others keep
//! their positions.

use std::borrow::Cow;

use crate::results::ScenarioResult;

/// The columns, in order.
pub const COLUMNS: [&str; 39] = [
    "id",
    "transport",
    "capacity",
    "realised_capacity",
    "size",
    "pattern",
    "placement",
    "producer_core",
    "consumer_core",
    "relation",
    "status",
    "reason",
    "trials_used",
    "trials_set_aside",
    "machine_state",
    "unstable",
    "msgs_per_s",
    "msgs_per_s_low",
    "msgs_per_s_high",
    "bytes_per_s",
    "latency_kind",
    "p50_ns",
    "p90_ns",
    "p99_ns",
    "p999_ns",
    "p9999_ns",
    "max_ns",
    "mean_ns",
    "producer_cpu_s_per_million",
    "consumer_cpu_s_per_million",
    "sent",
    "received",
    "lost",
    "duplicated",
    "reordered",
    "corrupted",
    "floor_metric",
    "floor_ratio",
    "wait",
];

/// The header line, with its `\n`.
pub fn header() -> String {
    let mut line = COLUMNS.join(",");
    line.push('\n');
    line
}

/// One scenario's row, with its `\n`.
pub fn row(r: &ScenarioResult) -> String {
    fn opt<T: ToString>(v: Option<T>) -> String {
        v.map(|v| v.to_string()).unwrap_or_default()
    }
    let latency = r.latency.as_ref();
    let merged = latency.map(|l| l.merged);
    let fields: [String; COLUMNS.len()] = [
        r.id.clone(),
        r.transport.to_string(),
        r.capacity.to_string(),
        opt(r.realised_capacity),
        r.size.to_string(),
        r.pattern.to_string(),
        r.placement.to_string(),
        opt(r.cores.map(|c| c[0])),
        opt(r.cores.map(|c| c[1])),
        opt(r.relation),
        r.status.name().to_owned(),
        r.reason.clone().unwrap_or_default(),
        r.selection.used.to_string(),
        r.selection.set_aside.to_string(),
        r.selection.state.clone().unwrap_or_default(),
        r.unstable.clone().unwrap_or_default(),
        opt(r.msgs_per_s.map(|e| e.median)),
        opt(r.msgs_per_s.map(|e| e.low)),
        opt(r.msgs_per_s.map(|e| e.high)),
        opt(r.bytes_per_s.map(|e| e.median)),
        opt(latency.map(|l| l.kind)),
        opt(merged.and_then(|p| p.p50)),
        opt(merged.and_then(|p| p.p90)),
        opt(merged.and_then(|p| p.p99)),
        opt(merged.and_then(|p| p.p999)),
        opt(merged.and_then(|p| p.p9999)),
        opt(merged.map(|p| p.max)),
        opt(merged.map(|p| p.mean)),
        opt(r.cpu.map(|c| c.producer_s_per_million)),
        opt(r.cpu.map(|c| c.consumer_s_per_million)),
        r.integrity.sent.to_string(),
        r.integrity.received.to_string(),
        r.integrity.lost.to_string(),
        r.integrity.duplicated.to_string(),
        r.integrity.reordered.to_string(),
        r.integrity.corrupted.to_string(),
        r.floor.as_ref().map(|f| f.metric.clone()).unwrap_or_default(),
        opt(r.floor.as_ref().map(|f| f.ratio)),
        opt(r.wait),
    ];
    let mut line = fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(",");
    line.push('\n');
    line
}

/// `field` as RFC 4180 writes it.
pub fn quote(field: &str) -> Cow<'_, str> {
    if field.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", field.replace('"', "\"\"")))
    } else {
        Cow::Borrowed(field)
    }
}
