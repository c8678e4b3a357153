//! The comparison as GitHub-flavoured markdown for a pull-request comment
//! or a job summary: the verdict as a heading, the listed rows as a table
//! (with a note column where a row has a note), every row in a collapsed
//! section.

use ci::{Comparison, Row, Verdict};

use super::{LISTED, cells, counts, header, headline, method, noise_summary, noted};

/// The comparison as markdown.
pub fn markdown(c: &Comparison) -> String {
    let mut out = format!("## ringside: {}\n\n", headline(c));
    out.push_str(&format!("- base: {}\n- new: {}\n- {}\n", escape(&c.base), escape(&c.new), escape(&method(c))));
    if let Some(noise) = noise_summary(c) {
        out.push_str(&format!("- {}\n", escape(&noise)));
    }
    out.push_str(&format!("- {}\n", counts(c)));
    if !c.differences.is_empty() {
        out.push_str("\n**Differences between the sides**: read the verdicts with them in mind.\n\n");
        for d in &c.differences {
            out.push_str(&format!("- {}\n", escape(d)));
        }
    }
    for verdict in LISTED {
        let rows: Vec<&Row> = c.with(verdict).collect();
        if !rows.is_empty() {
            out.push_str(&format!("\n### {} ({})\n\n", capitalised(verdict.name()), rows.len()));
            out.push_str(&table(&rows));
        }
    }
    if !c.skipped.is_empty() {
        out.push_str(&format!("\n### Not compared ({})\n\n", c.skipped.len()));
        for s in &c.skipped {
            let mark = if s.breaks_gate { "**breaks the gate**: " } else { "" };
            out.push_str(&format!("- `{}`: {mark}{}\n", s.scenario, escape(&s.why)));
        }
    }
    if c.with(Verdict::Unchanged).next().is_some() {
        out.push_str(&format!("\n<details><summary>All {} metrics</summary>\n\n", c.rows.len()));
        let all: Vec<&Row> = c.rows.iter().collect();
        out.push_str(&table_with_verdict(&all));
        out.push_str("\n</details>\n");
    }
    out
}

fn table(rows: &[&Row]) -> String {
    let with_note = noted(rows);
    let columns = header(with_note);
    let mut out = format!("| {} |\n|{}\n", columns.join(" | "), "---|".repeat(columns.len()));
    for row in rows {
        out.push_str(&line(None, row, with_note));
    }
    out
}

fn table_with_verdict(rows: &[&Row]) -> String {
    let with_note = noted(rows);
    let columns = header(with_note);
    let mut out = format!("| verdict | {} |\n|{}\n", columns.join(" | "), "---|".repeat(columns.len() + 1));
    for row in rows {
        out.push_str(&line(Some(row.verdict.name()), row, with_note));
    }
    out
}

/// One table line: the verdict when asked for, then the row's cells (its
/// note last when asked) with the scenario id as code.
fn line(verdict: Option<&str>, row: &Row, with_note: bool) -> String {
    let mut cells: Vec<String> = cells(row, with_note).iter().map(|c| escape(c)).collect();
    cells[0] = format!("`{}`", cells[0]);
    if let Some(v) = verdict {
        cells.insert(0, v.to_owned());
    }
    format!("| {} |\n", cells.join(" | "))
}

/// Markdown-safe text: table pipes and HTML brackets escaped.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;").replace('>', "&gt;")
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}
