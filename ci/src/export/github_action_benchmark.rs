//! github-action-benchmark's custom tools
//! (<https://github.com/benchmark-action/github-action-benchmark>): a JSON
//! array of `{name, unit, value, range, extra}`. The action takes one
//! direction per file (`tool: customBiggerIsBetter` or
//! `customSmallerIsBetter`), so throughput and latency go to two files
//! named from the path given: `NAME.bigger-is-better.json` (throughput,
//! msgs/s) and `NAME.smaller-is-better.json` (latency p50 and p99, ns).
//! `extra` says how many used trials the median is of, its interval, and
//! whether the scenario was unstable.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exporter, Figure};

pub(super) struct GithubActionBenchmark;

#[derive(Serialize)]
struct Entry {
    name: String,
    unit: &'static str,
    value: f64,
    range: String,
    extra: String,
}

impl Exporter for GithubActionBenchmark {
    fn render(&self, figures: &[Figure], path: &Path) -> Vec<(PathBuf, String)> {
        let stem = path.with_extension("");
        let named = |direction: &str| {
            let mut name = stem.as_os_str().to_owned();
            name.push(format!(".{direction}.json"));
            PathBuf::from(name)
        };
        [(true, "bigger-is-better"), (false, "smaller-is-better")]
            .into_iter()
            .map(|(bigger, direction)| {
                let entries: Vec<Entry> = figures
                    .iter()
                    .filter(|f| f.metric.higher_is_better() == bigger)
                    .map(|f| {
                        let e = f.estimate;
                        Entry {
                            name: format!("{} {}", f.scenario, f.metric),
                            unit: f.metric.unit(),
                            value: e.median,
                            range: format!("± {:.4}", (e.high - e.median).max(e.median - e.low)),
                            extra: format!(
                                "median of {} used trials; 95% interval [{:.4}, {:.4}] {}{}",
                                f.trials,
                                e.low,
                                e.high,
                                f.metric.unit(),
                                f.unstable.as_ref().map(|u| format!("; unstable: {u}")).unwrap_or_default()
                            ),
                        }
                    })
                    .collect();
                let text = serde_json::to_string_pretty(&entries).expect("entries serialise") + "\n";
                (named(direction), text)
            })
            .collect()
    }
}
