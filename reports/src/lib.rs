//! Rendering results for people: one self-contained HTML report with
//! `plotters` SVG charts inlined, and the verdict as a terminal table.
//!
//! Inputs are results files (`scenarios::results::ResultsFile`), one or
//! several (other machines, other commits), each with a label; the report
//! shows them side by side.
//!
//! SKELETON: the sections and charts arrive with issue 5's work; this is
//! the API the harness and the browser test build against.

use std::path::{Path, PathBuf};

use scenarios::results::ResultsFile;

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
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ringside report</title></head><body>\n",
    );
    page.push_str("<h1>ringside report</h1>\n");
    for input in inputs {
        page.push_str(&format!("<p>{}: {} scenarios</p>\n", escape(&input.label), input.results.scenarios.len()));
    }
    page.push_str("</body></html>\n");
    page
}

/// The verdict (section 1 of the report) as a plain-text table for a terminal.
pub fn verdict_table(inputs: &[Input]) -> String {
    inputs.iter().map(|i| format!("{}: {} scenarios\n", i.label, i.results.scenarios.len())).collect()
}

/// Escape text for HTML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
