//! A comparison (`ci::Comparison`) rendered for people: a table for the
//! terminal ([`terminal`]), a markdown summary for a pull request
//! ([`markdown`]), and an HTML page with a chart of every ratio and its
//! interval, regressions highlighted ([`html`]).
//!
//! All three say the same things in the same order: what was compared, the
//! threshold and the confidence level, differences between the sides,
//! regressions (each with its change and interval), improvements,
//! inconclusive metrics, what was not compared and why, and the counts. A
//! row whose verdict is not its evidence's own (a scenario unstable on a
//! side: never judged, always inconclusive) carries a note saying why, in
//! a last column that tables have only when one of their rows has a note.

mod markdown;
mod page;
mod terminal;

use ci::{Comparison, Metric, Row, Verdict};

use crate::format;

pub use markdown::markdown;
pub use page::html;
pub use terminal::terminal;

/// The columns every rendering of rows uses; [`NOTE`] follows them in a
/// table where a row has a note.
const COLUMNS: [&str; 7] = ["scenario", "metric", "base", "new", "change", "interval", "threshold"];
/// The heading of the notes column.
const NOTE: &str = "note";

/// The verdicts listed row by row, in the order shown; unchanged metrics
/// are counted (and listed in full only where asked).
const LISTED: [Verdict; 3] = [Verdict::Regressed, Verdict::Improved, Verdict::Inconclusive];

/// A metric's value in its unit.
fn value(metric: Metric, v: f64) -> String {
    match metric {
        Metric::Throughput => format!("{} msgs/s", format::si(v)),
        Metric::LatencyP50 | Metric::LatencyP99 => format::ns(v),
    }
}

/// True when a table of `rows` needs the [`NOTE`] column.
fn noted(rows: &[&Row]) -> bool {
    rows.iter().any(|r| r.note.is_some())
}

/// The header of a table of rows: [`COLUMNS`], then [`NOTE`] when asked.
fn header(with_note: bool) -> Vec<&'static str> {
    let mut header = COLUMNS.to_vec();
    if with_note {
        header.push(NOTE);
    }
    header
}

/// The cells of one row, in [`header`] order: [`COLUMNS`], then the
/// row's note (empty when it has none) when asked.
fn cells(row: &Row, with_note: bool) -> Vec<String> {
    let mut cells = vec![
        row.scenario.clone(),
        row.metric.to_string(),
        value(row.metric, row.base),
        value(row.metric, row.new),
        format::percent_change(row.change()),
        format!("[{}, {}]", format::percent_change(row.low - 1.0), format::percent_change(row.high - 1.0)),
        threshold(row),
    ];
    if with_note {
        cells.push(row.note.clone().unwrap_or_default());
    }
    cells
}

/// A row's threshold, saying when its noise raised it.
fn threshold(row: &Row) -> String {
    match row.noise {
        Some(n) if n > 0.0 && row.threshold > 0.0 && (row.threshold - n).abs() < f64::EPSILON => {
            format!("{} (noise)", format::percent(row.threshold))
        }
        _ => format::percent(row.threshold),
    }
}

/// The method line: threshold, level, multiplicity.
fn method(c: &Comparison) -> String {
    let noise = match &c.noise_source {
        Some(source) => format!(", raised per metric to its noise where larger ({source})"),
        None => String::new(),
    };
    format!(
        "threshold {}{noise}; intervals at {} confidence (Benjamini-Hochberg, false discovery rate {}: {} of {} metrics \
         beyond their threshold)",
        format::percent(c.threshold),
        level(c.level),
        format::percent(c.false_discovery_rate),
        c.discoveries,
        c.rows.len()
    )
}

/// A confidence level as a percentage with the digits it needs (99.96%).
fn level(level: f64) -> String {
    let pct = level * 100.0;
    let digits = if pct >= 99.99 {
        3
    } else if pct >= 99.9 {
        2
    } else {
        1
    };
    let text = format!("{pct:.digits$}");
    format!("{}%", text.trim_end_matches('0').trim_end_matches('.'))
}

/// The verdict in a sentence.
fn headline(c: &Comparison) -> String {
    let regressed = c.with(Verdict::Regressed).count();
    let broken = c.broken().count();
    if c.aa {
        return format!("A/A: {} metrics measured for noise, none can regress", c.rows.len());
    }
    match (regressed, broken) {
        (0, 0) => "no regression".to_owned(),
        (r, 0) => format!("{r} regression{}", plural(r)),
        (0, b) => format!("{b} scenario{} failed in new", plural(b)),
        (r, b) => format!("{r} regression{} and {b} scenario{} failed in new", plural(r), plural(b)),
    }
}

/// The counts line; the inconclusive count says how many are of unstable
/// scenarios.
fn counts(c: &Comparison) -> String {
    let n = |v| c.with(v).count();
    let unstable = match c.rows.iter().filter(|r| r.note.is_some()).count() {
        0 => String::new(),
        k => format!(" ({k} of unstable scenarios, never judged)"),
    };
    format!(
        "{} regressed, {} improved, {} inconclusive{unstable}, {} unchanged; {} scenario{} not compared",
        n(Verdict::Regressed),
        n(Verdict::Improved),
        n(Verdict::Inconclusive),
        n(Verdict::Unchanged),
        c.skipped.len(),
        plural(c.skipped.len())
    )
}

/// The A/A noise figures in a line: median, 90th percentile, largest.
fn noise_summary(c: &Comparison) -> Option<String> {
    let mut figures: Vec<(f64, &Row)> = c.rows.iter().filter_map(|r| r.noise.map(|n| (n, r))).collect();
    if figures.is_empty() {
        return None;
    }
    figures.sort_by(|a, b| a.0.total_cmp(&b.0));
    let values: Vec<f64> = figures.iter().map(|f| f.0).collect();
    let at = |q| vocabulary::stats::quantile_of_sorted(&values, q);
    let (max, worst) = figures[figures.len() - 1];
    let above = values.iter().filter(|&&v| v > c.threshold).count();
    Some(format!(
        "noise over {} metrics: median {}, 90th percentile {}, largest {} ({} {}); {} above the {} threshold asked for",
        values.len(),
        format::percent(at(0.5)),
        format::percent(at(0.9)),
        format::percent(max),
        worst.scenario,
        worst.metric,
        above,
        format::percent(c.threshold)
    ))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
