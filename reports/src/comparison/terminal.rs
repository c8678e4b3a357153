//! The comparison as a terminal table: regressions first, each named with
//! its change and interval; unchanged metrics counted (listed with
//! `every_row`).

use ci::{Comparison, Verdict};

use super::{COLUMNS, LISTED, cells, counts, headline, method, noise_summary};
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
        let rows: Vec<Vec<String>> = c.with(verdict).map(cells).collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("\n{} ({}):\n", verdict.name().to_uppercase(), rows.len()));
        let mut table = vec![COLUMNS.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()];
        table.extend(rows);
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
