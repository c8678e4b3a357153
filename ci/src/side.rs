//! One side of a comparison: a results file, or several pooled.
//!
//! Several runs of the same code (a directory of `results.json` files, as
//! interleaved CI runs leave) pool into one side: a scenario's samples are
//! the used trials of every run, so the comparison sees the variation
//! between runs (another boot of the host's scheduler, another placement of
//! the VM's cores) and not only the variation between the trials of one run.
//!
//! A run in which a scenario had too few trials for a figure (`few-trials`)
//! adds nothing to that scenario's pool when another run measured it `ok`;
//! the scenario is `few-trials` on the side only when no run measured it.
//! A scenario is unstable on the side when any run that adds to its pool
//! marked it so.

use std::path::{Path, PathBuf};

use scenarios::ReadError;
use scenarios::results::{ResultsFile, ScenarioResult, Status};

use crate::metric::Metric;

/// The results of one side, pooled.
#[derive(Debug, Clone)]
pub struct Side {
    /// How tables name this side (a folder or file name).
    pub label: String,
    /// The files read, in the order pooled (empty for results built in memory).
    pub sources: Vec<PathBuf>,
    /// One results file per run; never empty.
    pub runs: Vec<ResultsFile>,
}

/// A side could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SideError {
    /// A results file could not be read, parsed, or has another schema version.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A directory holds no results file.
    #[error("{0}: no results.json in this folder or below it")]
    Empty(String),
    /// A directory could not be listed.
    #[error("{path}: {source}")]
    List {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// One scenario across the runs of a side.
#[derive(Debug, Clone)]
pub struct Pooled<'a> {
    /// The scenario as each run that has it measured it.
    pub results: Vec<&'a ScenarioResult>,
}

impl<'a> Pooled<'a> {
    /// How the scenario ended on this side: `failed` if any run failed;
    /// `ok` if every run was, or some were and the others had too few
    /// trials; else the first status other than `ok`.
    pub fn status(&self) -> Status {
        let statuses = || self.results.iter().map(|s| s.status);
        if statuses().any(|s| s == Status::Failed) {
            return Status::Failed;
        }
        if statuses().any(|s| s == Status::Ok) && statuses().all(|s| matches!(s, Status::Ok | Status::FewTrials)) {
            return Status::Ok;
        }
        statuses().find(|s| *s != Status::Ok).unwrap_or(Status::Ok)
    }

    /// Why the scenario is not `ok`, from the first run that says.
    pub fn reason(&self) -> Option<&'a str> {
        let status = self.status();
        self.results.iter().filter(|s| s.status == status).find_map(|s| s.reason.as_deref())
    }

    /// The runs whose trials make the pool: every run but those with too
    /// few trials for a figure.
    fn pooled_runs(&self) -> impl Iterator<Item = &'a ScenarioResult> + '_ {
        self.results.iter().copied().filter(|s| s.status != Status::FewTrials)
    }

    /// Every pooled run's samples of `metric` (one per used trial), concatenated.
    pub fn samples(&self, metric: Metric) -> Vec<f64> {
        self.pooled_runs().flat_map(|s| metric.samples(s)).collect()
    }

    /// Used trials over the pooled runs.
    pub fn used_trial_count(&self) -> usize {
        self.pooled_runs().map(|s| s.used_trials().count()).sum()
    }

    /// Why the pooled trials are not one population, from the first run
    /// that says (and how many more do), or `None` when no pooled run
    /// marked the scenario unstable.
    pub fn unstable(&self) -> Option<String> {
        let reasons: Vec<&str> = self.pooled_runs().filter_map(|s| s.unstable.as_deref()).collect();
        let first = reasons.first()?;
        Some(match reasons.len() {
            1 => (*first).to_owned(),
            n => format!("{first} (and in {} more run{})", n - 1, if n == 2 { "" } else { "s" }),
        })
    }

    /// The metrics this scenario has (from its first run).
    pub fn metrics(&self) -> Vec<Metric> {
        self.results.first().map_or_else(Vec::new, |s| Metric::of(s))
    }
}

impl Side {
    /// Results already in memory, under `label`.
    ///
    /// # Panics
    /// If `runs` is empty.
    pub fn from_runs(label: impl Into<String>, runs: Vec<ResultsFile>) -> Side {
        assert!(!runs.is_empty(), "a side needs at least one run");
        Side { label: label.into(), sources: Vec::new(), runs }
    }

    /// Read `path`: a results file, or a folder whose `results.json` files
    /// (found at any depth, in path order) pool into one side.
    pub fn load(path: &Path) -> Result<Side, SideError> {
        let files = if path.is_dir() {
            let mut found = Vec::new();
            collect_results(path, &mut found)?;
            found.sort();
            if found.is_empty() {
                return Err(SideError::Empty(path.display().to_string()));
            }
            found
        } else {
            vec![path.to_path_buf()]
        };
        let runs = files.iter().map(|f| ResultsFile::read(f)).collect::<Result<Vec<_>, _>>()?;
        Ok(Side { label: label_of(path), sources: files, runs })
    }

    /// Every scenario id of this side, in the order its runs first list them.
    pub fn scenario_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = Vec::new();
        for run in &self.runs {
            for s in &run.scenarios {
                if !ids.contains(&s.id.as_str()) {
                    ids.push(&s.id);
                }
            }
        }
        ids
    }

    /// The scenario `id` across this side's runs, if any run has it.
    pub fn pooled(&self, id: &str) -> Option<Pooled<'_>> {
        let results: Vec<&ScenarioResult> =
            self.runs.iter().flat_map(|r| r.scenarios.iter().filter(|s| s.id == id)).collect();
        (!results.is_empty()).then_some(Pooled { results })
    }

    /// The git commit the runs were built from, when every run records the same one.
    pub fn commit(&self) -> Option<&str> {
        let first = self.runs[0].environment.git_commit.as_deref()?;
        self.runs.iter().all(|r| r.environment.git_commit.as_deref() == Some(first)).then_some(first)
    }

    /// A short description: label, runs, trials per scenario (one per
    /// round, before any is set aside).
    pub fn describe(&self) -> String {
        let trials: u32 = self.runs.iter().map(|r| r.method.rounds).sum();
        let runs = self.runs.len();
        let commit = self.commit().map(|c| format!(", commit {}", &c[..c.len().min(12)])).unwrap_or_default();
        format!(
            "{} ({} run{}, {} trials per scenario{commit})",
            self.label,
            runs,
            if runs == 1 { "" } else { "s" },
            trials
        )
    }
}

fn collect_results(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), SideError> {
    let list = |source| SideError::List { path: dir.display().to_string(), source };
    for entry in std::fs::read_dir(dir).map_err(list)? {
        let path = entry.map_err(list)?.path();
        if path.is_dir() {
            collect_results(&path, found)?;
        } else if path.file_name().is_some_and(|n| n == "results.json") {
            found.push(path);
        }
    }
    Ok(())
}

/// A file's label is its folder's name (what `--out DIR` named), a
/// folder's its own name.
fn label_of(path: &Path) -> String {
    let named = if path.is_dir() { Some(path) } else { path.parent() };
    named
        .and_then(|p| p.file_name())
        .or_else(|| path.file_stem())
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
