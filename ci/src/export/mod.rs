//! Exports of one side's figures for the dashboards teams already run:
//! one file per format, behind a small private trait, each writing the
//! median of every metric over the side's used trials (pooled over its
//! runs) with its 95% bootstrap interval ([`scenarios::Estimate`]), for
//! every scenario measured `ok`. A scenario marked unstable is exported
//! too (a dashboard draws what it is given); where a format has room for
//! words, it says so.

mod bencher;
mod github_action_benchmark;

use std::path::{Path, PathBuf};

use scenarios::Estimate;
use scenarios::results::Status;

use crate::metric::Metric;
use crate::side::Side;

/// A dashboard format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// github-action-benchmark's `customBiggerIsBetter` and
    /// `customSmallerIsBetter` JSON: two files, throughput and latency.
    GithubActionBenchmark,
    /// Bencher Metric Format (BMF) JSON, with lower and upper values.
    Bencher,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 2] = [Format::GithubActionBenchmark, Format::Bencher];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::GithubActionBenchmark => "github-action-benchmark",
            Format::Bencher => "bencher",
        }
    }

    fn exporter(self) -> &'static dyn Exporter {
        match self {
            Format::GithubActionBenchmark => &github_action_benchmark::GithubActionBenchmark,
            Format::Bencher => &bencher::Bencher,
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL.into_iter().find(|f| f.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("export format '{s}' is not one of {}", names.join(", "))
        })
    }
}

/// One metric of one scenario, as exported.
#[derive(Debug, Clone)]
struct Figure {
    scenario: String,
    metric: Metric,
    estimate: Estimate,
    /// Used trials behind the estimate.
    trials: usize,
    /// Why the scenario's trials are not one population, if they are not.
    unstable: Option<String>,
}

/// A format: what files it writes for `path`, and their text.
trait Exporter {
    fn render(&self, figures: &[Figure], path: &Path) -> Vec<(PathBuf, String)>;
}

/// Write `side`'s figures in `format` for `path`; returns the files written
/// (github-action-benchmark writes two, named from `path`). Each replaces
/// any file at its name, never writing through a symlink there
/// ([`scenarios::files::replace`]).
pub fn export(format: Format, side: &Side, path: &Path) -> std::io::Result<Vec<PathBuf>> {
    let files = format.exporter().render(&figures(side), path);
    for (file, text) in &files {
        scenarios::files::replace(file, text.as_bytes())?;
    }
    Ok(files.into_iter().map(|(f, _)| f).collect())
}

/// Every metric of every scenario `ok` on `side`, pooled over its runs.
fn figures(side: &Side) -> Vec<Figure> {
    let mut out = Vec::new();
    for id in side.scenario_ids() {
        let Some(pooled) = side.pooled(id) else { continue };
        if pooled.status() != Status::Ok {
            continue;
        }
        let unstable = pooled.unstable();
        for metric in pooled.metrics() {
            let samples = pooled.samples(metric);
            if let Some(estimate) = Estimate::of(&samples) {
                let (scenario, trials, unstable) = (id.to_owned(), samples.len(), unstable.clone());
                out.push(Figure { scenario, metric, estimate, trials, unstable });
            }
        }
    }
    out
}
