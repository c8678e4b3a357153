//! The HTML report (and the comparison page) as a file: render it from
//! results files (the `reports` crate draws it) and put it in place atomically, written to a temporary
//! file in the destination's folder and renamed over the destination, so a
//! reader never sees half a page and an old report survives a failed write.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
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
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".report-")
        .suffix(".html.tmp")
        .tempfile_in(dir)
        .with_context(|| format!("{}: cannot create a temporary file", dir.display()))?;
    tmp.write_all(page.as_bytes()).with_context(|| format!("{}: cannot write", tmp.path().display()))?;
    // Temporary files are private (0600); a report is for reading (0644, as a plain write makes it).
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))
        .with_context(|| format!("{}: cannot set permissions", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| anyhow::Error::new(e.error))
        .with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(())
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
