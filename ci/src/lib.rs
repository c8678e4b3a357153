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
//! 1. **Ratio and its bootstrap.** The change is `median(new) / median(base)`.
//!    Its distribution is estimated by the percentile bootstrap of the ratio
//!    of medians, both sides resampled independently
//!    ([`bench_core::stats::bootstrap_median_ratios`], 10 000 resamples,
//!    a seed derived from the scenario and metric, so every figure is
//!    reproducible).
//! 2. **Threshold.** A change matters only beyond a threshold `t`
//!    (`--threshold`, 5% by default), raised for each metric to the noise an
//!    A/A comparison measured for it ([`NoiseProfile`]) when one is given:
//!    worse means throughput below `1 - t` of base or latency above `1 + t`;
//!    better, the other way.
//! 3. **p-values.** For each metric, the bootstrap share of ratios that are
//!    *not* beyond the threshold on the worse side, and the same for the
//!    better side; the two-sided p-value is twice the smaller of the two
//!    (capped at 1). This is the test the percentile interval inverts: the
//!    two-sided `1 - a` interval lies wholly beyond the threshold exactly
//!    when `p < a`.
//! 4. **Multiplicity.** Benjamini-Hochberg at a false discovery rate
//!    `q = 5%` over every metric compared finds `R` discoveries ([`fdr`]).
//!    Every interval is then stated at the FCR-adjusted level
//!    `1 - q * max(R, 1) / m` (Benjamini & Yekutieli, 2005: intervals for
//!    the parameters a selection picked), so a suite of 300 metrics is not
//!    read at 95% each.
//! 5. **Verdict** per metric ([`Verdict`]): *regressed* or *improved* when
//!    that whole interval lies beyond the threshold; otherwise *unchanged*
//!    when the ratio itself is within the threshold, *inconclusive* when it
//!    is beyond but the interval reaches back inside (more repeats would
//!    tell).
//!
//! With the 2-3 repeats a suite takes per scenario, the interval at such
//! levels is the ratio of the extremes, `[min(new)/max(base),
//! max(new)/min(base)]`: a regression then means every new repeat is worse
//! than every base repeat by more than the threshold. Pooling interleaved
//! runs of each side (a directory of results files) gives more repeats, and
//! the between-run variation the repeats of one run do not show.
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

pub use compare::{Comparison, Row, Settings, Skipped, Verdict};
pub use metric::Metric;
pub use noise::NoiseProfile;
pub use side::{Side, SideError};
