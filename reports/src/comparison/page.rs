//! The comparison as one self-contained HTML page, in the order the other
//! renderings use: the verdict in a banner (red when the gate fails, green
//! otherwise), what was compared and how, differences between the sides,
//! a chart of the ratios new/base with their intervals and thresholds,
//! then the tables: regressions (highlighted), improvements, inconclusive
//! metrics (with a note where a scenario was unstable, so never judged),
//! what was not compared and why, and every metric.
//!
//! The chart shows the metrics that moved (regressed, improved,
//! inconclusive), at most [`CHARTED_AT_MOST`] of them; when none moved, the
//! [`CHARTED_WHEN_NONE_MOVED`] with the largest change. A full suite
//! compares hundreds of metrics, and a chart of all of them reads as none;
//! the tables list every one. Like the report, the page has no script and
//! fetches nothing.

use ci::{Comparison, Row, Verdict};
use plotters::style::RGBColor;

use super::{LISTED, cells, counts, header, headline, level, method, noise_summary, noted};
use crate::charts::{Ratio, RatioChart};
use crate::html;

/// The most rows the chart draws.
const CHARTED_AT_MOST: usize = 60;
/// Rows charted when no metric moved beyond its threshold.
const CHARTED_WHEN_NONE_MOVED: usize = 30;
/// The class of a table row that breaks the gate (a regression, or a
/// scenario that failed in new).
const BREAKS_GATE: &str = "breaks-gate";

/// Style the comparison adds to the report's: the passing banner and the
/// highlighted rows.
const STYLE: &str = r#"
div.banner.pass { background: #e3f4e4; border-color: #2e7d32; color: #1b5e20; }
tr.breaks-gate td { background: #fde2e2; }
tr.breaks-gate td:first-child { box-shadow: inset 4px 0 #c62828; }
summary { cursor: pointer; }
#not-compared td:first-child { white-space: nowrap; }
"#;

/// The comparison as a self-contained HTML page.
pub fn html(c: &Comparison) -> String {
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>ringside comparison</title>\n<style>{}{STYLE}</style>\n</head><body>\n<h1>ringside comparison</h1>\n",
        html::STYLE
    );
    page.push_str(&summary(c));
    page.push_str(&html::section("ratios", "Ratio per metric", &chart(c)));
    for verdict in LISTED {
        let rows: Vec<&Row> = c.with(verdict).collect();
        if !rows.is_empty() {
            let title = format!("{} ({})", title(verdict), rows.len());
            page.push_str(&html::section(verdict.name(), &title, &rows_table(&rows, false)));
        }
    }
    if !c.skipped.is_empty() {
        let title = format!("Not compared ({})", c.skipped.len());
        page.push_str(&html::section("not-compared", &title, &skipped_table(c)));
    }
    if c.with(Verdict::Unchanged).next().is_some() {
        let all: Vec<&Row> = c.rows.iter().collect();
        let body = format!(
            "<details><summary>Every metric compared, with its verdict</summary>\n{}</details>\n",
            rows_table(&all, true)
        );
        page.push_str(&html::section("all-metrics", &format!("All {} metrics", c.rows.len()), &body));
    }
    page.push_str("</body></html>\n");
    page
}

/// The banner, the sides, the method, the noise, the counts and the
/// differences between the sides.
fn summary(c: &Comparison) -> String {
    let class = if c.passes() { "banner pass" } else { "banner fail" };
    let mut out = format!("<div class=\"{class}\">{}</div>\n<ul class=\"inputs\">\n", html::escape(&headline(c)));
    out.push_str(&format!("<li><strong>base</strong>: {}</li>\n", html::escape(&c.base)));
    out.push_str(&format!("<li><strong>new</strong>: {}</li>\n", html::escape(&c.new)));
    out.push_str(&format!("<li>{}</li>\n", html::escape(&method(c))));
    if let Some(noise) = noise_summary(c) {
        out.push_str(&format!("<li>{}</li>\n", html::escape(&noise)));
    }
    out.push_str(&format!("<li>{}</li>\n</ul>\n", html::escape(&counts(c))));
    if !c.differences.is_empty() {
        out.push_str("<p><strong>Differences between the sides</strong>: read the verdicts with them in mind.</p>\n");
        out.push_str("<ul class=\"warnings\">\n");
        for d in &c.differences {
            out.push_str(&format!("<li>{}</li>\n", html::escape(d)));
        }
        out.push_str("</ul>\n");
    }
    out
}

/// The ratio chart with its caption, or why there is none.
fn chart(c: &Comparison) -> String {
    if c.rows.is_empty() {
        let why = if c.skipped.is_empty() { "neither side has a scenario" } else { "every scenario was skipped" };
        return html::missing(&format!("No ratio chart: no metric compared ({why})."));
    }
    let (rows, selection) = charted(c);
    let chart = RatioChart {
        x_label: "ratio new/base (log scale)".into(),
        rows: rows
            .iter()
            .map(|r| Ratio {
                label: format!("{} {}", r.scenario, r.metric),
                ratio: r.ratio,
                low: r.low,
                high: r.high,
                threshold: r.threshold,
                colour: colour(r.verdict),
            })
            .collect(),
        legend: [Verdict::Regressed, Verdict::Improved, Verdict::Inconclusive, Verdict::Unchanged]
            .into_iter()
            .map(|v| (v.name().to_owned(), colour(v)))
            .collect(),
    };
    let cut = match chart.cut_intervals() {
        0 => String::new(),
        1 => " One interval runs past the edge and ends in an arrow head; the tables give it in full.".to_owned(),
        n => format!(" {n} intervals run past the edge and end in an arrow head; the tables give them in full."),
    };
    let unstable = match rows.iter().filter(|r| r.note.is_some()).count() {
        0 => String::new(),
        1 => " One charted metric is of a scenario unstable on a side: never judged, inconclusive whatever its \
               ratio; its note in the tables says why."
            .to_owned(),
        n => format!(
            " {n} charted metrics are of scenarios unstable on a side: never judged, inconclusive whatever their \
             ratio; their notes in the tables say why."
        ),
    };
    let caption = format!(
        "Each metric's ratio new/base on a log scale: the dot is the ratio, the whisker its interval at {} \
         confidence, the shaded band its threshold, the line 1x no change; the colour is the verdict. Reading the \
         ratio new/base: for throughput right is better, for latency left is better. {selection}{cut}{unstable}",
        level(c.level)
    );
    html::figure("ratio-chart", &caption, chart.svg())
}

/// The rows to chart, top-down, and a sentence saying which they are.
fn charted(c: &Comparison) -> (Vec<&Row>, String) {
    let mut moved: Vec<&Row> = c.rows.iter().filter(|r| r.verdict != Verdict::Unchanged).collect();
    let unchanged = c.rows.len() - moved.len();
    if moved.is_empty() {
        let mut rows: Vec<&Row> = c.rows.iter().collect();
        rows.sort_by(|a, b| size(b).total_cmp(&size(a)).then(width(b).total_cmp(&width(a))));
        if rows.len() <= CHARTED_WHEN_NONE_MOVED {
            return (rows, format!("No metric moved beyond its threshold; all {} are charted.", c.rows.len()));
        }
        rows.truncate(CHARTED_WHEN_NONE_MOVED);
        let said = format!(
            "No metric moved beyond its threshold: charted are the {} with the largest change (the widest interval \
             among equal changes) of the {} compared; the table of all metrics has every one.",
            rows.len(),
            c.rows.len()
        );
        return (rows, said);
    }
    moved.sort_by(|a, b| a.verdict.cmp(&b.verdict).then(size(b).total_cmp(&size(a))));
    let total = moved.len();
    moved.truncate(CHARTED_AT_MOST);
    let said = if total > moved.len() {
        format!(
            "Charted: {} of the {total} regressed, improved or inconclusive metrics, by verdict and the largest change \
             first; {} are left out, as are the {unchanged} unchanged: the tables below have them all.",
            moved.len(),
            total - moved.len()
        )
    } else {
        format!(
            "Charted: every regressed, improved or inconclusive metric ({total}), by verdict and the largest change \
             first; the {unchanged} unchanged are in the table of all metrics."
        )
    };
    (moved, said)
}

/// How far a row's ratio is from 1 on the log axis (a ratio of 0 is furthest).
fn size(row: &Row) -> f64 {
    if row.ratio > 0.0 { row.ratio.ln().abs() } else { f64::INFINITY }
}

/// How wide a row's interval is on the log axis.
fn width(row: &Row) -> f64 {
    if row.low > 0.0 { (row.high / row.low).ln() } else { f64::INFINITY }
}

/// A verdict's colour in the chart: red for worse, green for better, amber
/// for not yet known, grey for no change.
fn colour(verdict: Verdict) -> RGBColor {
    match verdict {
        Verdict::Regressed => RGBColor(0xc6, 0x28, 0x28),
        Verdict::Improved => RGBColor(0x2e, 0x7d, 0x32),
        Verdict::Inconclusive => RGBColor(0xe0, 0x8e, 0x00),
        Verdict::Unchanged => RGBColor(0x8a, 0x8a, 0x8a),
    }
}

/// The heading of a verdict's table.
fn title(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Regressed => "Regressions",
        Verdict::Improved => "Improvements",
        Verdict::Inconclusive => "Inconclusive",
        Verdict::Unchanged => "Unchanged",
    }
}

/// Rows as a table (with a verdict column when asked, and a note column
/// when a row has a note), regressions marked.
fn rows_table(rows: &[&Row], with_verdict: bool) -> String {
    let with_note = noted(rows);
    let mut header = header(with_note);
    if with_verdict {
        header.insert(0, "verdict");
    }
    let lines: Vec<(Option<&str>, Vec<String>)> = rows
        .iter()
        .map(|row| {
            let mut line = cells(row, with_note);
            if with_verdict {
                line.insert(0, row.verdict.name().to_owned());
            }
            ((row.verdict == Verdict::Regressed).then_some(BREAKS_GATE), line)
        })
        .collect();
    html::marked_table(&header, lines.iter().map(|(class, line)| (*class, line.as_slice())))
}

/// What was not compared and why, what breaks the gate first and marked.
fn skipped_table(c: &Comparison) -> String {
    let mut skipped: Vec<&ci::Skipped> = c.skipped.iter().collect();
    skipped.sort_by_key(|s| !s.breaks_gate);
    let lines: Vec<(Option<&str>, Vec<String>)> = skipped
        .iter()
        .map(|s| {
            let why = if s.breaks_gate { format!("breaks the gate: {}", s.why) } else { s.why.clone() };
            (s.breaks_gate.then_some(BREAKS_GATE), vec![s.scenario.clone(), why])
        })
        .collect();
    html::marked_table(&["scenario", "why"], lines.iter().map(|(class, line)| (*class, line.as_slice())))
}
