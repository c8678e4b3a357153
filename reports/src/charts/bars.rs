//! Horizontal bar charts: one bar per row (a transport, or a transport at
//! a placement or side), coloured by transport, with confidence-interval
//! whiskers where the figure has one. Names sit on the vertical axis, so
//! no legend is needed and none can cover a bar.

use plotters::prelude::*;

use super::axis::Ticked;
use super::{Axis, ChartError, FONT, WIDTH, inline};

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    /// The row's name (shown on the vertical axis).
    pub label: String,
    /// Its colour (the transport's).
    pub colour: RGBColor,
    /// Drawn lighter: a secondary figure beside a primary one.
    pub faded: bool,
    /// The value.
    pub value: f64,
    /// The confidence interval, when there is one.
    pub interval: Option<(f64, f64)>,
}

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
            all.push(b.value);
            if let Some((lo, hi)) = b.interval {
                all.extend([lo, hi]);
            }
        }
        let x_axis = Axis::numeric(self.value_label.clone(), &all, self.ticks);
        let x_layout = x_axis.layout(&all);
        let base = x_layout.0.start;
        let n = self.bars.len();
        // Row i is drawn at n-1-i, so the first bar is at the top.
        let names: Vec<String> = self.bars.iter().rev().map(|b| b.label.clone()).collect();
        let longest = names.iter().map(|s| s.chars().count()).max().unwrap_or(4) as u32;
        let height = 70 + 24 * n as u32;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE)?;
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
                let end = x_axis.to_axis(bar.value);
                chart
                    .draw_series(std::iter::once(Rectangle::new([(base, y - 0.35), (end, y + 0.35)], style)))
                    .map_err(|e| ChartError::Draw(e.to_string()))?;
                if let Some((lo, hi)) = bar.interval {
                    let (lo, hi) = (x_axis.to_axis(lo), x_axis.to_axis(hi));
                    let whisker = [
                        vec![(lo, y), (hi, y)],
                        vec![(lo, y - 0.2), (lo, y + 0.2)],
                        vec![(hi, y - 0.2), (hi, y + 0.2)],
                    ];
                    chart
                        .draw_series(whisker.into_iter().map(|p| PathElement::new(p, BLACK.stroke_width(1))))
                        .map_err(|e| ChartError::Draw(e.to_string()))?;
                }
            }
            root.present()?;
        }
        Ok(inline(svg))
    }
}
