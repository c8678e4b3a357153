//! The HTML report (and the comparison page) as a file: render it from
//! results files (the `reports` crate draws it) and put it in place
//! atomically ([`scenarios::files::replace`]: written to a temporary file in
//! the destination's folder and renamed over the destination), so a reader
//! never sees half a page, an old report survives a failed write, and a
//! symlink at the destination is replaced, never written through.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The report's file name when none is given: beside the results.
pub const FILE_NAME: &str = "report.html";

/// Where `harness report` writes when `--out` is not given: `report.html`
/// in the folder of the first results file.
pub fn default_path(first_results: &Path) -> PathBuf {
    first_results.parent().map_or_else(|| PathBuf::from(FILE_NAME), |dir| dir.join(FILE_NAME))
}

/// Render `inputs` and write the page to `path`, replacing any file there.
pub fn write(inputs: &[reports::Input], path: &Path) -> Result<()> {
    write_page(&reports::render_html(inputs), path)
}

/// Write an HTML page to `path` atomically, replacing any file there.
pub fn write_page(page: &str, path: &Path) -> Result<()> {
    // The error names the path already.
    scenarios::files::replace(path, page.as_bytes()).context("cannot write the page")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_report_sits_beside_the_first_results_file() {
        assert_eq!(default_path(Path::new("runs/a/results.json")), Path::new("runs/a/report.html"));
        assert_eq!(default_path(Path::new("results.json")), Path::new("report.html"));
    }
}
