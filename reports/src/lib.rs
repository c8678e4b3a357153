//! Rendering results for people: one self-contained HTML report with
//! `plotters` SVG charts inlined, and the verdict as a terminal table.
//!
//! Inputs are results files (`scenarios::results::ResultsFile`), one or
//! several (other machines, other commits), each with a label; the report
//! shows them side by side.
//!
//! The page has no script and fetches nothing: charts are SVG drawn by
//! `plotters` ([`charts`]) and inlined, the style sheet is inline. Modules:
//! [`select`] picks scenarios out of a file, [`verdict`] computes section
//! 1, [`peer`] sets the ring beside iceoryx2 there and in section 3,
//! [`headline`] shows a scenario's figure the same way everywhere (marked
//! when unstable, replaced by its status when there is none, a
//! percentile withheld when too few samples support it), [`spectrum`]
//! reads latency histograms, [`palette`] gives each transport its colour,
//! `sections` and `html` build the page; [`load_text`] prints load
//! curves on a terminal.
//! [`comparison`] renders the regression gate's verdicts (`ci::Comparison`)
//! for a terminal, a pull request (markdown) and a browser.

use std::path::{Path, PathBuf};

use scenarios::results::ResultsFile;

pub mod charts;
pub mod comparison;
pub mod format;
pub mod headline;
mod html;
pub mod load_text;
pub mod palette;
pub mod peer;
mod sections;
pub mod select;
pub mod spectrum;
pub mod summary;
pub mod verdict;

/// One results file and the label it carries in the report.
#[derive(Debug, Clone)]
pub struct Input {
    /// How the report names this file: unique among the inputs.
    pub label: String,
    /// The results.
    pub results: ResultsFile,
}

/// Why inputs could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A results file could not be read or parsed, or has another schema
    /// version (the message names the file).
    #[error(transparent)]
    Read(#[from] scenarios::ReadError),
    /// No input files were given.
    #[error("no results files given")]
    NoInputs,
}

/// Read results files; each is labelled by its parent folder's name (what
/// `harness all --out DIR` names), or its file stem, made unique.
pub fn load_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, ReportError> {
    if paths.is_empty() {
        return Err(ReportError::NoInputs);
    }
    let mut inputs: Vec<Input> = Vec::new();
    for path in paths {
        let results = ResultsFile::read(path)?;
        let mut label = label_of(path);
        let base = label.clone();
        let mut k = 2;
        while inputs.iter().any(|i| i.label == label) {
            label = format!("{base} ({k})");
            k += 1;
        }
        inputs.push(Input { label, results });
    }
    Ok(inputs)
}

fn label_of(path: &Path) -> String {
    path.parent()
        .and_then(|p| p.file_name())
        .or_else(|| path.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "results".to_owned())
}

/// The whole report: one HTML page that needs nothing from the network.
pub fn render_html(inputs: &[Input]) -> String {
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>ringside report</title>\n<style>{}</style>\n</head><body>\n<h1>ringside report</h1>\n",
        html::STYLE
    );
    for input in inputs.iter().filter(|i| !i.results.valid) {
        page.push_str(&format!(
            "<div class=\"banner\">{}: these results are marked invalid and must not be quoted ({}).</div>\n",
            html::escape(&input.label),
            html::escape(&input.results.warnings.join("; "))
        ));
    }
    page.push_str("<ul class=\"inputs\">\n");
    for input in inputs {
        let r = &input.results;
        page.push_str(&format!(
            "<li><strong>{}</strong>: suite {}, {} scenarios, {} rounds of trials, {} on {} ({}), {}</li>\n",
            html::escape(&input.label),
            html::escape(&r.suite),
            r.scenarios.len(),
            r.method.rounds,
            html::escape(&r.tool),
            html::escape(&r.environment.hostname),
            html::escape(&r.environment.cpu_model),
            html::escape(r.environment.git_commit.as_deref().unwrap_or("commit not recorded"))
        ));
    }
    page.push_str("</ul>\n");
    let sections = sections::all(inputs);
    page.push_str("<nav><ol>\n");
    for (id, title, _) in &sections {
        page.push_str(&format!("<li><a href=\"#{id}\">{}</a></li>\n", html::escape(title)));
    }
    page.push_str("</ol></nav>\n");
    for (id, title, body) in &sections {
        page.push_str(&html::section(id, title, body));
    }
    page.push_str("</body></html>\n");
    page
}

/// The verdict (section 1 of the report) as a plain-text table for a terminal.
pub fn verdict_table(inputs: &[Input]) -> String {
    let header = verdict::COLUMNS;
    let mut out = String::new();
    for input in inputs {
        out.push_str(&format!(
            "{}{}\n",
            input.label,
            if input.results.valid { "" } else { " (INVALID: do not quote)" }
        ));
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
        let verdicts = verdict::verdicts(&input.results);
        rows.extend(verdicts.iter().map(sections::verdict_row));
        if rows.len() == 1 {
            out.push_str("  no measured stream or pingpong scenario at the primary placement\n");
            continue;
        }
        out.push_str(&format::aligned(&rows, "  "));
        for note in sections::verdict_notes(&verdicts) {
            out.push_str(&format!("  {note}\n"));
        }
        out.push_str(&beside_peer_text(&input.results));
    }
    out
}

/// The ring beside iceoryx2 under a terminal verdict: its table and
/// notes, or the one line saying iceoryx2 has no measured result.
fn beside_peer_text(results: &ResultsFile) -> String {
    let rows = match peer::compare(results) {
        peer::PeerComparison::Absent(line) => return format!("  {line}\n"),
        peer::PeerComparison::Rows(rows) => rows,
    };
    let mut out = format!("\n  {} beside {}:\n", verdict::RING, peer::PEER);
    let mut table: Vec<Vec<String>> = vec![sections::peer_columns()];
    table.extend(rows.iter().map(|r| sections::peer_row(r).into_iter().map(|cell| cell.text).collect()));
    out.push_str(&format::aligned(&table, "  "));
    for note in sections::peer_notes(&rows) {
        out.push_str(&format!("  {note}\n"));
    }
    out
}
