//! The regression gate: compares two sides (a base and a new run, each one
//! results file or several pooled) scenario by scenario and says, for each
//! metric, improved / regressed / unchanged / inconclusive, so that CI can
//! fail on a real slowdown and stay quiet on a noisy shared machine.
//!
//! # Method
//! For every scenario measured `ok` on both sides, each [`Metric`] it has
//! (stream: throughput; pingpong and rate: latency p50 and p99) is compared
//! from its per-trial samples: each trial is one run between fresh worker
//! processes, so trials are the unit of evidence, never the samples inside
//! one. Only the trials a results file *used* count (those that ran in the
//! machine's reference state, `scenarios::selection`); a trial set aside
//! never does, whatever its figures. A trial without the percentile (too
//! few samples to support it) gives no sample of that metric.
//!
//! 1. **Ratio and its interval.** The change is `median(new) /
//!    median(base)`. Its interval is the percentile bootstrap of the ratio
//!    of medians, both sides resampled independently
//!    ([`vocabulary::stats::bootstrap_median_ratios`], 10 000 resamples, a
//!    seed derived from the scenario and metric, so every figure is
//!    reproducible).
//! 2. **Threshold.** A change matters only beyond a threshold `t`
//!    (`--threshold`, [`compare::DEFAULT_THRESHOLD`] by default), raised
//!    for each metric to the noise an A/A comparison measured for it
//!    ([`NoiseProfile`]) when one is given: worse means throughput below
//!    `1 - t` of base or latency above `1 + t`; better, the other way.
//! 3. **p-values.** For each metric, Welch's t-test on the logs of the
//!    trials, against the threshold: one-sided for worse and for better,
//!    the two-sided p-value twice the smaller. Not the bootstrap's own
//!    p-value: with 2-5 trials a side it is about 0 whenever the sides do
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
//! **Unstable scenarios.** A scenario a results file marks `unstable` (its
//! used trials are not one population: two modes, a drift, a scatter) on
//! either side is compared like any other and stays in the
//! Benjamini-Hochberg family (it is one of the `m` tests, and may be one of
//! the `R` discoveries, so the others are corrected as if it were judged),
//! but each of its metrics is *inconclusive*, never regressed, improved or
//! unchanged: a median of a mixture says nothing about either part. Its
//! row's [`Row::note`] says why (`unstable in base: two modes: ...`).
//!
//! With the few trials a scenario has (ten rounds by default, at least
//! three used for a figure), the interval at such levels reaches out to
//! about the ratio of the extremes, `[min(new)/max(base),
//! max(new)/min(base)]`: a regression needs nearly every new trial worse
//! than every base trial by more than the threshold, and a t-test that few
//! values make cautious. More rounds, or pooling interleaved runs of each
//! side (a directory of results files), give more trials; pooling also
//! shows the between-run variation the trials of one run do not.
//!
//! Scenarios missing on one side, not measured (`refused`, `unavailable`),
//! with too few trials for a figure (`few-trials`), failed, or whose status
//! changed are listed as [`Skipped`], each with why; only a scenario `ok`
//! in base that *failed* in new breaks the gate as a regression does.
//! Differences of machine, kernel, build, method or the machine's reference
//! state between the sides are listed ([`Comparison::differences`]).
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
