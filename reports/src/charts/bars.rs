//! Horizontal bar charts: one bar per row (a transport, or a transport at
//! a placement or side), coloured by transport, with confidence-interval
//! whiskers where the figure has one. Names sit on the vertical axis, so
//! no legend is needed for the bars and none can cover a bar.
//!
//! A bar may carry its trials' own figures: dots on the same axis in a
//! strip just below the bar, filled for the trials used and hollow for
//! those set aside, so a bimodal figure shows as two clusters. A chart
//! with dots has a one-line legend above the plot saying so. A row may
//! have dots and no bar (a scenario with too few trials for a figure).

use plotters::prelude::*;

use super::axis::Ticked;
use super::{Axis, ChartError, FONT, WIDTH, inline};
use crate::palette::NEUTRAL;

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The row's name (shown on the vertical axis).
    pub label: String,
    /// Its colour (the transport's).
    pub colour: RGBColor,
    /// Drawn lighter: a secondary figure beside a primary one.
    pub faded: bool,
    /// The value; `None` draws no bar (only the row's dots).
    pub value: Option<f64>,
    /// The confidence interval, when there is one.
    pub interval: Option<(f64, f64)>,
    /// The trials' own figures, drawn as dots beside the bar.
    pub dots: Vec<Dot>,
}

/// One trial's own figure, beside its bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dot {
    /// The trial's figure, on the bar's axis.
    pub value: f64,
    /// Filled when the trial makes the headline figure, hollow when it was
    /// set aside.
    pub used: bool,
}

/// The legend's names for the dots.
pub const DOT_NAMES: [&str; 2] = ["one trial (used)", "one trial (set aside)"];

/// Height of the legend line above a chart with dots, px.
const LEGEND_HEIGHT: u32 = 24;
/// Radius of a trial's dot, px.
const DOT_RADIUS: i32 = 3;

/// A chart of bars, top to bottom in the order given.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// The value axis' label, with its unit.
    pub value_label: String,
    /// How a value is written on a tick.
    pub ticks: fn(f64) -> String,
    /// The bars.
    pub bars: Vec<Bar>,
}

impl BarChart {
    /// The chart as inline SVG.
    pub fn svg(&self) -> Result<String, ChartError> {
        if self.bars.is_empty() {
            return Err(ChartError::Empty);
        }
        let mut all: Vec<f64> = Vec::new();
        for b in &self.bars {
            all.extend(b.value);
            if let Some((lo, hi)) = b.interval {
                all.extend([lo, hi]);
            }
            all.extend(b.dots.iter().map(|d| d.value).filter(|v| v.is_finite()));
        }
        if all.is_empty() {
            return Err(ChartError::Empty);
        }
        let with_dots = self.bars.iter().any(|b| !b.dots.is_empty());
        let x_axis = Axis::numeric(self.value_label.clone(), &all, self.ticks);
        let x_layout = x_axis.layout(&all);
        let base = x_layout.0.start;
        let n = self.bars.len();
        // Row i is drawn at n-1-i, so the first bar is at the top.
        let names: Vec<String> = self.bars.iter().rev().map(|b| b.label.clone()).collect();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(4) as u32;
        // With dots, each row is taller: the bar in its upper part, the
        // dots in a strip below it.
        let (row_height, legend_height) = if with_dots { (30, LEGEND_HEIGHT) } else { (24, 0) };
        let (bar_span, dot_y) = if with_dots { ((-0.02, 0.38), -0.22) } else { ((-0.35, 0.35), 0.0) };
        let height = 70 + legend_height + row_height * n as u32;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let (top, root) = root.split_vertically(legend_height);
            if with_dots {
                dot_legend(&top)?;
            }
            let y_axis = Axis { label: String::new(), scale: super::Scale::Categories(names), ticks: self.ticks };
            let y_layout = y_axis.layout(&[]);
            let mut chart = ChartBuilder::on(&root)
                .margin(12)
                .margin_right(30)
                .x_label_area_size(45)
                .y_label_area_size(20 + 7 * longest.min(40))
                .build_cartesian_2d(Ticked::new(x_layout), Ticked::new(y_layout))
                .map_err(|e| ChartError::Draw(e.to_string()))?;
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_desc(self.value_label.as_str())
                .x_label_formatter(&|x| x_axis.tick_label(*x))
                .y_label_formatter(&|y| y_axis.tick_label(*y))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .draw()
                .map_err(|e| ChartError::Draw(e.to_string()))?;
            for (i, bar) in self.bars.iter().enumerate() {
                let y = (n - 1 - i) as f64;
                let style = if bar.faded { bar.colour.mix(0.45).filled() } else { bar.colour.filled() };
                if let Some(value) = bar.value {
                    let end = x_axis.to_axis(value);
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(base, y + bar_span.0), (end, y + bar_span.1)],
                            style,
                        )))
                        .map_err(|e| ChartError::Draw(e.to_string()))?;
                }
                if let Some((lo, hi)) = bar.interval {
                    let (lo, hi) = (x_axis.to_axis(lo), x_axis.to_axis(hi));
                    let mid = y + (bar_span.0 + bar_span.1) / 2.0;
                    let cap = (bar_span.1 - bar_span.0) * 0.3;
                    let whisker = [
                        vec![(lo, mid), (hi, mid)],
                        vec![(lo, mid - cap), (lo, mid + cap)],
                        vec![(hi, mid - cap), (hi, mid + cap)],
                    ];
                    chart
                        .draw_series(whisker.into_iter().map(|p| PathElement::new(p, BLACK.stroke_width(1))))
                        .map_err(|e| ChartError::Draw(e.to_string()))?;
                }
                let dots = bar.dots.iter().filter(|d| d.value.is_finite()).map(|d| {
                    let style = if d.used { bar.colour.mix(0.8).filled() } else { bar.colour.stroke_width(1) };
                    Circle::new((x_axis.to_axis(d.value), y + dot_y), DOT_RADIUS, style)
                });
                chart.draw_series(dots).map_err(|e| ChartError::Draw(e.to_string()))?;
            }
            root.present()?;
        }
        Ok(inline(svg))
    }
}

/// The line above a chart with dots: a filled dot for a trial used, a
/// hollow one for a trial set aside.
fn dot_legend<DB: DrawingBackend>(area: &DrawingArea<DB, plotters::coord::Shift>) -> Result<(), ChartError> {
    let y = (LEGEND_HEIGHT / 2) as i32 + 2;
    let mut x = 20;
    for (name, used) in DOT_NAMES.into_iter().zip([true, false]) {
        let style = if used { NEUTRAL.filled() } else { NEUTRAL.stroke_width(1) };
        area.draw(&Circle::new((x, y), DOT_RADIUS + 1, style)).map_err(|e| ChartError::Draw(e.to_string()))?;
        area.draw(&Text::new(name, (x + 9, y - 7), (FONT, 13).into_font()))
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        x += 30 + 7 * name.len() as i32;
    }
    Ok(())
}
