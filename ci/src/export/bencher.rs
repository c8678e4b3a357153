//! Bencher Metric Format (<https://bencher.dev/docs/reference/bencher-metric-format/>):
//! `{benchmark: {measure: {value, lower_value, upper_value}}}`, one
//! benchmark per scenario id. Throughput goes to Bencher's built-in
//! `throughput` measure (operations per second: messages here), p50
//! latency to its built-in `latency` (ns), p99 to `latency-p99` (ns; Bencher
//! creates a measure it does not know).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Exporter, Figure};
use crate::metric::Metric;

pub(super) struct Bencher;

#[derive(Serialize)]
struct Value {
    value: f64,
    lower_value: f64,
    upper_value: f64,
}

impl Exporter for Bencher {
    fn render(&self, figures: &[Figure], path: &Path) -> Vec<(PathBuf, String)> {
        let mut benchmarks: BTreeMap<&str, BTreeMap<&str, Value>> = BTreeMap::new();
        for f in figures {
            let measure = match f.metric {
                Metric::Throughput => "throughput",
                Metric::LatencyP50 => "latency",
                Metric::LatencyP99 => "latency-p99",
            };
            let e = f.estimate;
            benchmarks
                .entry(&f.scenario)
                .or_default()
                .insert(measure, Value { value: e.median, lower_value: e.low, upper_value: e.high });
        }
        let text = serde_json::to_string_pretty(&benchmarks).expect("figures serialise") + "\n";
        vec![(path.to_path_buf(), text)]
    }
}
