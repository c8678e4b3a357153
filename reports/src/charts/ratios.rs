//! The ratio chart of a comparison: one row per compared metric, its ratio
//! new/base as a dot on a log axis with its interval as a whisker, the
//! metric's own threshold band shaded behind it and a line at 1 (no
//! change). A log axis makes halving and doubling equally far from 1.
//!
//! Rows come coloured by the caller (the comparison page colours them by
//! verdict) and the legend, in a column beside the plot, names the colours
//! and the band. Ticks are "nice" ratios (1x, 2x, 0.5x, 10x, 1.25x, 0.8x,
//! ...) picked in that order while they stay apart, so a narrow range reads
//! in percents and a wide one in decades. The axis spans the ratios and
//! bands; an interval reaching much further (two or three repeats can span
//! decades) is cut at the edge and ends in an arrow head.

use std::ops::Range;

use plotters::prelude::*;

use super::axis::Ticked;
use super::{ChartError, FONT, WIDTH, inline, legend};
use crate::format;

/// One metric's ratio.
#[derive(Debug, Clone)]
pub struct Ratio {
    /// The row's name (shown on the vertical axis).
    pub label: String,
    /// `new / base`.
    pub ratio: f64,
    /// Lower end of the ratio's interval.
    pub low: f64,
    /// Upper end of the ratio's interval.
    pub high: f64,
    /// The metric's threshold as a fraction: the band runs from
    /// `1 - threshold` to `1 + threshold`.
    pub threshold: f64,
    /// The dot's and whisker's colour.
    pub colour: RGBColor,
}

/// A chart of ratios, top to bottom in the order given.
#[derive(Debug, Clone)]
pub struct RatioChart {
    /// The ratio axis' label.
    pub x_label: String,
    /// The rows.
    pub rows: Vec<Ratio>,
    /// What each colour means, top-down; the threshold band is added after.
    pub legend: Vec<(String, RGBColor)>,
}

/// Width of the legend column, px.
const LEGEND_WIDTH: u32 = 150;
/// Height of one row, px.
const ROW_HEIGHT: u32 = 20;
/// Colour of the threshold band.
const BAND: RGBColor = RGBColor(0xd9, 0xde, 0xea);
/// Colour of the line at 1 and the row guides.
const GUIDE: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// The legend's name for the band.
const BAND_NAME: &str = "within threshold";
/// Width of one label character at the labels' font size, px (plotters
/// writes size 13 as 10.5px; a sans-serif character of an id is about 5px there).
const CHAR_WIDTH: u32 = 5;
/// The least distance between two ticks of the ratio axis, px (a label
/// such as "0.67x" is about 26px wide).
const TICK_GAP: u32 = 34;
/// The chart's margins, px: around it and, wider, to its right.
const MARGIN: (u32, u32) = (12, 20);

impl RatioChart {
    /// How many rows' intervals run past the chart's edges (drawn ending in
    /// an arrow head instead of a cap).
    pub fn cut_intervals(&self) -> usize {
        let range = range(&self.rows);
        self.rows.iter().filter(|r| cut(r, &range) != (false, false)).count()
    }

    /// The chart as inline SVG.
    pub fn svg(&self) -> Result<String, ChartError> {
        if self.rows.is_empty() {
            return Err(ChartError::Empty);
        }
        let range = range(&self.rows);
        let at = |v: f64| log_of(v).clamp(range.start, range.end);
        let n = self.rows.len();
        // Row i is drawn at n-1-i, so the first row is at the top.
        let names: Vec<String> = self.rows.iter().rev().map(|r| r.label.clone()).collect();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(4) as u32;
        let legend_rows = self.legend.len() as u32 + 1;
        let label_width = 16 + CHAR_WIDTH * longest.min(80);
        let plot_width = (WIDTH - LEGEND_WIDTH).saturating_sub(MARGIN.0 + MARGIN.1 + label_width);
        let ticks = ticks(&range, plot_width);
        let height = (80 + ROW_HEIGHT * n as u32).max(60 + 20 * legend_rows);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let y_range = -0.5..n as f64 - 0.5;
            let y_ticks: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let mut chart = ChartBuilder::on(&plot)
                .margin(MARGIN.0)
                .margin_right(MARGIN.1)
                .x_label_area_size(45)
                .y_label_area_size(label_width)
                .build_cartesian_2d(Ticked::new((range.clone(), ticks)), Ticked::new((y_range.clone(), y_ticks)))
                .map_err(|e| ChartError::Draw(e.to_string()))?;
            chart
                .configure_mesh()
                .x_desc(self.x_label.as_str())
                .x_label_formatter(&|x| tick_label(*x))
                .y_label_formatter(&|y| names.get(y.round().max(0.0) as usize).cloned().unwrap_or_default())
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .bold_line_style(GUIDE.mix(0.12))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(|e| ChartError::Draw(e.to_string()))?;
            let bands = self.rows.iter().enumerate().map(|(i, r)| {
                let y = (n - 1 - i) as f64;
                let (lo, hi) = (at(1.0 - r.threshold), at(1.0 + r.threshold));
                Rectangle::new([(lo, y - 0.5), (hi, y + 0.5)], BAND.mix(0.75).filled())
            });
            chart.draw_series(bands).map_err(|e| ChartError::Draw(e.to_string()))?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(0.0, y_range.start), (0.0, y_range.end)],
                    GUIDE.stroke_width(1),
                )))
                .map_err(|e| ChartError::Draw(e.to_string()))?;
            // An arrow head, in axis space, where a whisker runs past an edge.
            let (head_x, head_y) = ((range.end - range.start) * 0.012, 0.25);
            for (i, row) in self.rows.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let (lo, hi) = (at(row.low), at(row.high));
                let (cut_lo, cut_hi) = cut(row, &range);
                let mut whisker = vec![vec![(lo, y), (hi, y)]];
                whisker.push(if cut_lo {
                    vec![(lo + head_x, y - head_y), (lo, y), (lo + head_x, y + head_y)]
                } else {
                    vec![(lo, y - head_y), (lo, y + head_y)]
                });
                whisker.push(if cut_hi {
                    vec![(hi - head_x, y - head_y), (hi, y), (hi - head_x, y + head_y)]
                } else {
                    vec![(hi, y - head_y), (hi, y + head_y)]
                });
                chart
                    .draw_series(whisker.into_iter().map(|p| PathElement::new(p, row.colour.stroke_width(2))))
                    .map_err(|e| ChartError::Draw(e.to_string()))?;
                chart
                    .draw_series(std::iter::once(Circle::new((at(row.ratio), y), 4, row.colour.filled())))
                    .map_err(|e| ChartError::Draw(e.to_string()))?;
            }
            let mut entries = self.legend.clone();
            entries.push((BAND_NAME.to_owned(), BAND));
            legend(&side, &entries)?;
            root.present()?;
        }
        Ok(inline(svg))
    }
}

/// Candidate ticks in pairs above and below 1, most wanted first: 1, the
/// doublings, decades, quarter steps, fives, tenths, halves, and finer
/// steps for a narrow range; further decades follow.
const NICE: [(f64, f64); 10] = [
    (1.0, 1.0),
    (2.0, 0.5),
    (10.0, 0.1),
    (1.25, 0.8),
    (5.0, 0.2),
    (1.1, 0.9),
    (1.5, 0.67),
    (1.05, 0.95),
    (1.02, 0.98),
    (1.01, 0.99),
];

/// The axis range in log10 space. It covers every ratio, every band and 1, and the intervals as far as half
/// that span again (at least a factor of 2) on each side: an interval of
/// two or three repeats can run over decades, and would squeeze every other
/// row into a sliver.
fn range(rows: &[Ratio]) -> Range<f64> {
    let logs = |values: &mut dyn Iterator<Item = f64>| -> Vec<f64> {
        values.filter(|v| *v > 0.0 && v.is_finite()).map(f64::log10).collect()
    };
    let core = logs(&mut rows.iter().flat_map(|r| [r.ratio, 1.0 - r.threshold, 1.0 + r.threshold]).chain([1.0]));
    let (core_lo, core_hi) = (core.iter().copied().fold(0.0, f64::min), core.iter().copied().fold(0.0, f64::max));
    let reach = ((core_hi - core_lo) / 2.0).max(2f64.log10());
    let ends = logs(&mut rows.iter().flat_map(|r| [r.low, r.high]));
    let lo = ends.iter().copied().fold(core_lo, f64::min).max(core_lo - reach);
    let hi = ends.iter().copied().fold(core_hi, f64::max).min(core_hi + reach);
    let pad = ((hi - lo) * 0.05).max(0.005);
    lo - pad..hi + pad
}

/// Whether a row's interval runs past the left and the right edge of `range`.
fn cut(row: &Ratio, range: &Range<f64>) -> (bool, bool) {
    (log_of(row.low) < range.start, log_of(row.high) > range.end)
}

/// A value on the log axis: 0, a negative value or NaN at minus infinity.
fn log_of(v: f64) -> f64 {
    if v > 0.0 { v.log10() } else { f64::NEG_INFINITY }
}

/// Tick positions (log10) in `range`, drawn `width` px wide: pairs of nice
/// ratios in order of preference, then further decades. A pair is kept when
/// each of its ticks in the range is [`TICK_GAP`] px or more from every tick
/// kept before, so labels stay apart and ticks come in pairs around 1 where
/// both fit.
fn ticks(range: &Range<f64>, width: u32) -> Vec<f64> {
    let gap = (range.end - range.start) * f64::from(TICK_GAP) / f64::from(width.max(1));
    let decades = (2..=12).map(|d| (10f64.powi(d), 10f64.powi(-d)));
    let mut kept: Vec<f64> = Vec::new();
    for (above, below) in NICE.into_iter().chain(decades) {
        let pair: Vec<f64> = [above.log10(), below.log10()].into_iter().filter(|t| range.contains(t)).collect();
        if pair.iter().all(|t| kept.iter().all(|k| (k - t).abs() >= gap)) {
            kept.extend(pair);
        }
    }
    kept.sort_by(f64::total_cmp);
    kept.dedup();
    kept
}

/// A tick's label: the ratio with an "x" (0.5x, 1x, 1.25x).
fn tick_label(log: f64) -> String {
    format!("{}x", format::three_digits(10f64.powf(log)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ratio: f64, low: f64, high: f64) -> Ratio {
        Ratio { label: "r".into(), ratio, low, high, threshold: 0.05, colour: BLACK }
    }

    #[test]
    fn an_empty_chart_is_refused() {
        let empty = RatioChart { x_label: "ratio".into(), rows: vec![], legend: vec![] };
        assert!(matches!(empty.svg(), Err(ChartError::Empty)));
    }

    #[test]
    fn ticks_read_as_ratios_and_thin_out_over_decades() {
        let labels = |rows: &[Ratio]| -> Vec<String> { ticks(&range(rows), 400).into_iter().map(tick_label).collect() };
        assert_eq!(
            labels(&[row(0.6, 0.5, 0.7), row(1.6, 1.5, 1.9)]),
            ["0.5x", "0.67x", "0.8x", "1x", "1.25x", "1.5x", "2x"]
        );
        assert_eq!(labels(&[row(1.0, 0.97, 1.03)]), ["0.95x", "0.98x", "1x", "1.02x", "1.05x"]);
        assert_eq!(
            labels(&[row(1e-4, 1e-4, 1.0), row(1e3, 10.0, 1e3)]),
            ["0.0001x", "0.001x", "0.01x", "0.1x", "1x", "10x", "100x", "1000x"]
        );
    }

    #[test]
    fn a_wild_interval_is_cut_not_allowed_to_squeeze_the_rest() {
        let rows = vec![row(0.7, 0.65, 0.75), row(1.0, 1e-4, 1e4), row(1.0, 0.0, f64::INFINITY)];
        let span = range(&rows);
        assert!(span.start > -1.0 && span.end < 1.0, "{span:?}");
        let chart = RatioChart { x_label: "ratio".into(), rows, legend: vec![] };
        assert_eq!(chart.cut_intervals(), 2);
        assert!(chart.svg().is_ok());
    }

    #[test]
    fn the_chart_names_every_row_and_the_band() {
        let chart = RatioChart {
            x_label: "ratio new/base".into(),
            rows: vec![Ratio { label: "a <b>".into(), ..row(0.6, 0.5, 0.7) }, row(0.0, 0.0, 1.0)],
            legend: vec![("regressed".into(), RED)],
        };
        let svg = chart.svg().unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
        for text in ["a <b>", "r", "regressed", BAND_NAME, "1x", "ratio new/base"] {
            assert!(texts.contains(&text), "{text} missing from {texts:?}");
        }
        assert!(!svg.contains("http"));
    }
}
