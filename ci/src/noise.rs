//! A/A noise: how far apart two runs of the *same* code land on this
//! machine, per scenario and metric, so that a later comparison never calls
//! a change of that size a regression.
//!
//! Each metric's noise is the largest change the 95% bootstrap interval of
//! the A/A ratio admits, `max(high - 1, 1 - low)`: the furthest from "no
//! change" that identical code reached with 95% confidence. A comparison
//! given the profile uses, for each metric, the larger of its threshold and
//! this noise. The samples are the used trials, as in a comparison; a
//! scenario unstable on a side is measured too (its noise is real, and
//! large). The profile is a small JSON file
//! (`harness compare --aa A B --save-noise FILE`, then `--noise FILE`).

use std::collections::BTreeMap;
use std::path::Path;

use scenarios::results::Status;
use serde::{Deserialize, Serialize};

use crate::compare::seed_for;
use crate::metric::Metric;
use crate::side::Side;

/// The `format` field of a noise profile file.
pub const FORMAT: &str = "ringside-noise";
/// The version of the noise profile format.
pub const VERSION: u32 = 1;
/// The confidence of the A/A interval behind each noise figure.
pub const LEVEL: f64 = 0.95;

/// Per scenario and metric, the noise an A/A comparison measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseProfile {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`VERSION`] of the writer.
    pub version: u32,
    /// The two sides the noise was measured between.
    pub measured_from: [String; 2],
    /// Confidence of the A/A intervals ([`LEVEL`]).
    pub level: f64,
    /// Scenario id, then metric name, then noise as a fraction (0.04 = 4%).
    pub noise: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A noise profile could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NoiseError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a noise profile of this version.
    #[error("{path}: not a ringside noise profile (version {VERSION}): {why}")]
    Format {
        /// The file.
        path: String,
        /// Why.
        why: String,
    },
}

impl NoiseProfile {
    /// Measure the noise between `a` and `b`, two runs of the same code:
    /// every metric of every scenario `ok` on both.
    pub fn measure(a: &Side, b: &Side, resamples: usize) -> NoiseProfile {
        let mut noise: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
        for id in a.scenario_ids() {
            let (Some(pa), Some(pb)) = (a.pooled(id), b.pooled(id)) else { continue };
            if pa.status() != Status::Ok || pb.status() != Status::Ok {
                continue;
            }
            for metric in pa.metrics() {
                let (sa, sb) = (pa.samples(metric), pb.samples(metric));
                if sa.is_empty() || sb.is_empty() {
                    continue;
                }
                let ratios =
                    vocabulary::stats::bootstrap_median_ratios(&sb, &sa, resamples.max(1), seed_for(id, metric));
                if ratios.is_empty() {
                    continue;
                }
                let tail = (1.0 - LEVEL) / 2.0;
                let low = vocabulary::stats::quantile_of_sorted(&ratios, tail);
                let high = vocabulary::stats::quantile_of_sorted(&ratios, 1.0 - tail);
                let extent = (high - 1.0).max(1.0 - low).max(0.0);
                noise.entry(id.to_owned()).or_default().insert(metric.name().to_owned(), extent);
            }
        }
        NoiseProfile {
            format: FORMAT.into(),
            version: VERSION,
            measured_from: [a.describe(), b.describe()],
            level: LEVEL,
            noise,
        }
    }

    /// The noise of `metric` in scenario `id`, if measured.
    pub fn floor(&self, id: &str, metric: Metric) -> Option<f64> {
        self.noise.get(id)?.get(metric.name()).copied()
    }

    /// Every noise figure, for summaries.
    pub fn figures(&self) -> Vec<f64> {
        self.noise.values().flat_map(|m| m.values().copied()).collect()
    }

    /// Where this profile came from, in a line.
    pub fn describe(&self) -> String {
        format!("A/A of {} vs {}", self.measured_from[0], self.measured_from[1])
    }

    /// Read a profile written by [`NoiseProfile::write`].
    pub fn read(path: &Path) -> Result<NoiseProfile, NoiseError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| NoiseError::Io { path: shown.clone(), source })?;
        let profile: NoiseProfile =
            serde_json::from_str(&text).map_err(|e| NoiseError::Format { path: shown.clone(), why: e.to_string() })?;
        if profile.format != FORMAT || profile.version != VERSION {
            return Err(NoiseError::Format {
                path: shown,
                why: format!("format {:?} version {}", profile.format, profile.version),
            });
        }
        Ok(profile)
    }

    /// Write the profile as JSON, replacing any file at `path` (a symlink
    /// there too, its target left alone: [`scenarios::files::replace`]).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        scenarios::files::replace(path, (text + "\n").as_bytes())
    }
}
