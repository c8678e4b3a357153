//! The comparison as a terminal table: regressions first, each named with
//! its change and interval; unchanged metrics counted (listed with
//! `every_row`); a note (why a metric was not judged) in the last column.

use ci::{Comparison, Row, Verdict};

use super::{LISTED, cells, counts, header, headline, method, noise_summary, noted};
use crate::format;

/// The comparison as plain text.
pub fn terminal(c: &Comparison, every_row: bool) -> String {
    let mut out = format!("base  {}\nnew   {}\n{}\n", c.base, c.new, method(c));
    if let Some(noise) = noise_summary(c) {
        out.push_str(&format!("{noise}\n"));
    }
    if !c.differences.is_empty() {
        out.push_str("\ndifferences between the sides (read the verdicts with them in mind):\n");
        for d in &c.differences {
            out.push_str(&format!("  {d}\n"));
        }
    }
    let mut listed = LISTED.to_vec();
    if every_row {
        listed.push(Verdict::Unchanged);
    }
    for verdict in listed {
        let rows: Vec<&Row> = c.with(verdict).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} ({}):\n", verdict.name().to_uppercase(), rows.len()));
        let with_note = noted(&rows);
        let mut table = vec![header(with_note).iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
        table.extend(rows.iter().map(|r| cells(r, with_note)));
        out.push_str(&format::aligned(&table, "  "));
    }
    if !c.skipped.is_empty() {
        out.push_str(&format!("\nnot compared ({}):\n", c.skipped.len()));
        let mut skipped: Vec<&ci::Skipped> = c.skipped.iter().collect();
        skipped.sort_by_key(|s| !s.breaks_gate);
        for s in skipped {
            out.push_str(&format!("  {}: {}\n", s.scenario, s.why));
        }
    }
    out.push_str(&format!("\n{}\n{}\n", counts(c), headline(c)));
    out
}
