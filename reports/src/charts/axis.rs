//! An axis: its label, its scale (linear, log, percentile, categories) and
//! the ticks and tick labels that go with it. Values are drawn in "axis
//! space" (log10 of the value on a log axis), so every chart has one
//! coordinate type and exact tick positions.

use std::ops::Range;

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};

use crate::format;

/// A linear coordinate in axis space whose ticks are exactly the given
/// positions (decades on a log axis, 50%..99.99% on a percentile axis).
pub struct Ticked {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    /// The coordinate over `range` with ticks at `ticks`.
    pub fn new((range, ticks): (Range<f64>, Vec<f64>)) -> Ticked {
        Ticked { range, ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let share = if span > 0.0 { (value - self.range.start) / span } else { 0.0 };
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        self.ticks.clone()
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for Ticked {
    fn format(value: &f64) -> String {
        format::three_digits(*value)
    }
}

/// How values map onto an axis.
#[derive(Debug, Clone, PartialEq)]
pub enum Scale {
    /// Linear from zero.
    Linear,
    /// Log10.
    Log,
    /// Log10 with ticks at exactly these values (e.g. the message sizes measured).
    LogAt(Vec<f64>),
    /// Latency percentiles: position log10(1/(1-p)), 50% to 99.99%.
    Percentile,
    /// Named positions 0, 1, 2, ...
    Categories(Vec<String>),
}

/// One axis of a chart.
#[derive(Debug, Clone)]
pub struct Axis {
    /// What the axis shows, with its unit.
    pub label: String,
    /// Its scale.
    pub scale: Scale,
    /// How a value is written on a tick (ignored for percentiles and
    /// categories).
    pub ticks: fn(f64) -> String,
}

impl Axis {
    /// A numeric axis, log when `values` span more than a decade.
    pub fn numeric(label: impl Into<String>, values: &[f64], ticks: fn(f64) -> String) -> Axis {
        let positive: Vec<f64> = values.iter().copied().filter(|v| *v > 0.0 && v.is_finite()).collect();
        let lo = positive.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = positive.iter().copied().fold(0.0, f64::max);
        let scale = if positive.len() == values.len() && hi > 10.0 * lo { Scale::Log } else { Scale::Linear };
        Axis { label: label.into(), scale, ticks }
    }

    /// Whether values span decades and are drawn on a log scale.
    pub fn is_log(&self) -> bool {
        self.scale == Scale::Log
    }

    /// A value in axis space.
    pub fn to_axis(&self, v: f64) -> f64 {
        match self.scale {
            Scale::Log | Scale::LogAt(_) => v.max(f64::MIN_POSITIVE).log10(),
            Scale::Percentile => -(1.0 - v.clamp(0.0, 0.999_999)).log10(),
            _ => v,
        }
    }

    /// The axis-space range and tick positions covering `values` (given in
    /// data space; categories ignore them).
    pub fn layout(&self, values: &[f64]) -> (Range<f64>, Vec<f64>) {
        match &self.scale {
            Scale::Categories(names) => (-0.5..names.len() as f64 - 0.5, (0..names.len()).map(|i| i as f64).collect()),
            Scale::Percentile => (2f64.log10()..4.0, vec![2f64.log10(), 1.0, 2.0, 3.0, 4.0]),
            Scale::LogAt(at) => {
                let logs: Vec<f64> = values.iter().chain(at).filter(|v| **v > 0.0).map(|v| v.log10()).collect();
                let lo = logs.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (lo, hi) = if lo.is_finite() { (lo - 0.15, hi + 0.15) } else { (0.0, 1.0) };
                (lo..hi, at.iter().filter(|v| **v > 0.0).map(|v| v.log10()).collect())
            }
            Scale::Log => {
                let logs: Vec<f64> = values.iter().filter(|v| **v > 0.0).map(|v| v.log10()).collect();
                let lo = logs.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (lo, hi) = if lo.is_finite() { (lo - 0.15, hi + 0.15) } else { (0.0, 1.0) };
                let decades = lo.ceil() as i64..=hi.floor() as i64;
                // A tick per decade, or per few when the data span many (a
                // crafted file's subnormal figure spans three hundred).
                let every = ((hi - lo) / MAX_TICKS as f64).ceil().max(1.0) as usize;
                let mut ticks: Vec<f64> = decades.step_by(every).map(|d| d as f64).collect();
                if ticks.len() < 3 {
                    // Few decades: ticks at 1, 2 and 5 of each.
                    ticks = (lo.floor() as i64..=hi.ceil() as i64)
                        .flat_map(|d| [1.0f64, 2.0, 5.0].map(|m| d as f64 + m.log10()))
                        .filter(|t| *t >= lo && *t <= hi)
                        .collect();
                }
                (lo..hi, ticks)
            }
            Scale::Linear => {
                let hi = values.iter().copied().filter(|v| v.is_finite()).fold(0.0, f64::max);
                let hi = if hi > 0.0 { (hi * 1.1).min(f64::MAX) } else { 1.0 };
                let step = nice_step(hi / 5.0);
                // At most a few steps fit under `hi`; the bound also ends the
                // list where a subnormal `hi` rounds the step to zero.
                let ticks = (0..=MAX_TICKS).map(|i| i as f64 * step).take_while(|t| *t <= hi).collect();
                (0.0..hi, ticks)
            }
        }
    }

    /// The label of the tick at axis-space position `x`.
    pub fn tick_label(&self, x: f64) -> String {
        match &self.scale {
            Scale::Categories(names) => names.get(x.round().max(0.0) as usize).cloned().unwrap_or_default(),
            Scale::Percentile => {
                // One more decimal per "nine": 90%, 99%, 99.9%, 99.99%.
                let p = 100.0 * (1.0 - 10f64.powf(-x));
                let decimals = (x.round() as i64 - 2).clamp(0, 6) as usize;
                let text = format!("{p:.decimals$}");
                let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
                format!("{text}%")
            }
            Scale::Log | Scale::LogAt(_) => (self.ticks)(10f64.powf(x)),
            Scale::Linear => (self.ticks)(x),
        }
    }
}

/// The most ticks an axis draws.
const MAX_TICKS: usize = 12;

/// A step of 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_only_when_values_span_a_decade() {
        assert!(Axis::numeric("x", &[1.0, 100.0], format::si).is_log());
        assert!(!Axis::numeric("x", &[5.0, 20.0], format::si).is_log());
    }

    /// A crafted results file's subnormal or vast figures give a few
    /// ticks, not an endless list (the linear axis's step rounded to zero).
    #[test]
    fn extreme_figures_give_a_bounded_number_of_ticks() {
        let linear = Axis { label: "x".into(), scale: Scale::Linear, ticks: format::si };
        for values in [&[5e-324][..], &[f64::MIN_POSITIVE], &[1e300], &[f64::MAX]] {
            let (range, ticks) = linear.layout(values);
            assert!(!ticks.is_empty() && ticks.len() <= MAX_TICKS + 1, "{values:?}: {} ticks", ticks.len());
            assert!(range.end > range.start, "{values:?}: {range:?}");
        }
        let log = Axis { label: "x".into(), scale: Scale::Log, ticks: format::si };
        let (_, ticks) = log.layout(&[5e-324, 1e9]);
        assert!((3..=MAX_TICKS + 1).contains(&ticks.len()), "{} ticks", ticks.len());
    }

    #[test]
    fn percentile_ticks_read_as_percentiles() {
        let axis = Axis { label: "p".into(), scale: Scale::Percentile, ticks: format::si };
        let (_, ticks) = axis.layout(&[]);
        let labels: Vec<String> = ticks.iter().map(|t| axis.tick_label(*t)).collect();
        assert_eq!(labels, ["50%", "90%", "99%", "99.9%", "99.99%"]);
        assert!((axis.to_axis(0.99) - 2.0).abs() < 1e-9);
    }
}
