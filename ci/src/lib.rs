//! The regression gate: compares two sides (a base and a new run, each one
//! results file or several pooled) scenario by scenario and says, for each
//! metric, improved / regressed / unchanged / inconclusive, so that CI can
//! fail on a real slowdown and stay quiet on a noisy shared machine.
//!
//! # Method
//! For every scenario measured `ok` on both sides, each [`Metric`] it has
//! (stream: throughput; pingpong and rate: latency p50 and p99) is compared
//! from its per-repeat samples: each repeat is one independent process run,
//! so repeats are the unit of evidence, never the samples inside one run.
//!
//! 1. **Ratio and its interval.** The change is `median(new) /
//!    median(base)`. Its interval is the percentile bootstrap of the ratio
//!    of medians, both sides resampled independently
//!    ([`bench_core::stats::bootstrap_median_ratios`], 10 000 resamples, a
//!    seed derived from the scenario and metric, so every figure is
//!    reproducible).
//! 2. **Threshold.** A change matters only beyond a threshold `t`
//!    (`--threshold`, 5% by default), raised for each metric to the noise an
//!    A/A comparison measured for it ([`NoiseProfile`]) when one is given:
//!    worse means throughput below `1 - t` of base or latency above `1 + t`;
//!    better, the other way.
//! 3. **p-values.** For each metric, Welch's t-test on the logs of the
//!    repeats, against the threshold: one-sided for worse and for better,
//!    the two-sided p-value twice the smaller. Not the bootstrap's own
//!    p-value: with 2-5 repeats a side it is about 0 whenever the sides do
//!    not overlap, which noise alone produces often enough to cry wolf
//!    (`significance` says how often).
//! 4. **Multiplicity.** Benjamini-Hochberg at a false discovery rate
//!    `q = 5%` over every metric compared finds `R` discoveries ([`fdr`]).
//!    Every interval is stated at the FCR-adjusted level
//!    `1 - q * max(R, 1) / m` (Benjamini & Yekutieli, 2005: intervals for
//!    the parameters a selection picked), so a suite of 300 metrics is not
//!    read at 95% each.
//! 5. **Verdict** per metric ([`Verdict`]): *regressed* or *improved* when
//!    Benjamini-Hochberg picks it *and* its whole interval lies beyond the
//!    threshold; *inconclusive* when there is evidence short of that (its
//!    own p-value below `q`, or the interval reaching back inside);
//!    *unchanged* when there is none.
//!
//! With the 2-3 repeats a suite takes per scenario, the interval at such
//! levels is the ratio of the extremes, `[min(new)/max(base),
//! max(new)/min(base)]`: a regression needs every new repeat worse than
//! every base repeat by more than the threshold, and a t-test that three
//! values make cautious. Pooling interleaved runs of each side (a
//! directory of results files) gives more repeats, and the between-run
//! variation the repeats of one run do not show.
//!
//! Scenarios missing on one side, not measured (`refused`, `unavailable`),
//! failed, or whose status changed are listed as [`Skipped`], each with
//! why; a scenario `ok` in base that *failed* in new breaks the gate as a
//! regression does. Differences of machine, kernel, build or method between
//! the sides are listed ([`Comparison::differences`]).
//!
//! Modules: [`metric`] reads samples, [`side`] pools results files,
//! [`fdr`] is Benjamini-Hochberg, [`noise`] the A/A profile, [`compare`]
//! the comparison itself, [`export`] the dashboard formats, [`baseline`]
//! the named baselines on disk. The `reports` crate renders a comparison
//! for people: the terminal table, the markdown summary and the HTML page.

pub mod baseline;
pub mod compare;
mod differences;
pub mod export;
pub mod fdr;
pub mod metric;
pub mod noise;
pub mod side;
mod significance;

pub use compare::{Comparison, Row, Settings, Skipped, Verdict};
pub use metric::Metric;
pub use noise::NoiseProfile;
pub use side::{Side, SideError};
