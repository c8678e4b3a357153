//! The writers at the end of a run, after the scheduler: the summary, the
//! load curves (if any) and the verdict table on the terminal, `report.html` beside the results
//! (`report.rs`), and where every file is.
//!
//! `results.json` is read back here, once, and labelled exactly as
//! `harness report` reads and labels it (`reports::load_inputs`: by its
//! folder's name), so the verdict and the report show the file as written;
//! the loaded results are handed on (to the gate, `gate.rs`) and nothing
//! reads the file again. The summary comes first, from the results in
//! memory, and the results are safe on disk whatever happens here.

use std::path::Path;

use anyhow::Result;
use scenarios::results::ResultsFile;
use scenarios::writer::{CSV_NAME, JSON_NAME};

use crate::report;
use crate::terminal::{say, say_part};

/// Print and write what a finished run leaves for the user: `file` is the
/// run's results as written to `out`. Returns `out/results.json` as read
/// back, labelled as the report labels it.
pub fn write(file: &ResultsFile, out: &Path) -> Result<reports::Input> {
    say_part!("{}", reports::summary::text(file));
    let load = reports::load_text::text(file);
    if !load.is_empty() {
        say_part!("\n{load}");
    }
    let json = out.join(JSON_NAME);
    let report_path = out.join(report::FILE_NAME);
    let written = reports::load_inputs(std::slice::from_ref(&json)).map_err(anyhow::Error::new).and_then(|inputs| {
        say!("\n{}", reports::verdict_table(&inputs).trim_end());
        report::write(&inputs, &report_path)?;
        Ok(inputs.into_iter().next().expect("one results file read, one input"))
    });
    say!("\nresults: {}", json.display());
    say!("         {}", out.join(CSV_NAME).display());
    match written {
        Ok(results) => {
            say!("report:  {}", report_path.display());
            Ok(results)
        }
        Err(e) => Err(e.context(format!("the report was not written (results kept in {})", out.display()))),
    }
}
