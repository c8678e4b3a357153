//! Scatter charts: one labelled point per figure against two numeric axes
//! (a cost and what it buys), each point named beside it and in the legend
//! column to the right of the plot. A point whose figure is unstable is
//! ringed, as on the line charts, and the legend says what a ring means.

use plotters::prelude::*;

use super::{Axis, ChartError, FONT, WIDTH, inline, legend, ring_legend, xy_frame};

/// One point.
#[derive(Debug, Clone)]
pub struct Point {
    /// Its name, beside it and in the legend.
    pub label: String,
    /// Its colour.
    pub colour: RGBColor,
    /// Where it lies, in data space.
    pub x: f64,
    /// Where it lies, in data space.
    pub y: f64,
    /// Drawn ringed: its figure is unstable.
    pub unstable: bool,
}

/// A chart of labelled points.
#[derive(Debug, Clone)]
pub struct ScatterChart {
    /// The x axis' label, with its unit.
    pub x_label: String,
    /// How an x value is written on a tick.
    pub x_ticks: fn(f64) -> String,
    /// The y axis' label, with its unit.
    pub y_label: String,
    /// How a y value is written on a tick.
    pub y_ticks: fn(f64) -> String,
    /// The points.
    pub points: Vec<Point>,
}

/// Width of the legend column, px.
const LEGEND_WIDTH: u32 = 170;
/// Radius of a point, px.
const RADIUS: i32 = 5;

impl ScatterChart {
    /// The chart as inline SVG; axes spanning more than a decade are log.
    pub fn svg(&self) -> Result<String, ChartError> {
        let points: Vec<&Point> = self.points.iter().filter(|p| p.x.is_finite() && p.y.is_finite()).collect();
        if points.is_empty() {
            return Err(ChartError::Empty);
        }
        let xs: Vec<f64> = points.iter().map(|p| p.x).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.y).collect();
        let x_axis = Axis::numeric(self.x_label.clone(), &xs, self.x_ticks);
        let y_axis = Axis::numeric(self.y_label.clone(), &ys, self.y_ticks);
        let height = 380u32.max(80 + 20 * points.len() as u32);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let mut chart = xy_frame(&plot, (&x_axis, &xs), (&y_axis, &ys))?;
            for p in &points {
                let at = (x_axis.to_axis(p.x), y_axis.to_axis(p.y));
                let mut marks = vec![Circle::new(at, RADIUS, p.colour.filled())];
                if p.unstable {
                    marks.push(Circle::new(at, RADIUS + 4, p.colour.stroke_width(2)));
                }
                chart.draw_series(marks).map_err(|e| ChartError::Draw(e.to_string()))?;
                let name = EmptyElement::at(at) + Text::new(p.label.clone(), (9, -16), (FONT, 13).into_font());
                chart.draw_series(std::iter::once(name)).map_err(|e| ChartError::Draw(e.to_string()))?;
            }
            let entries: Vec<(String, RGBColor)> = points.iter().map(|p| (p.label.clone(), p.colour)).collect();
            legend(&side, &entries)?;
            if points.iter().any(|p| p.unstable) {
                ring_legend(&side, entries.len())?;
            }
            root.present()?;
        }
        Ok(inline(svg))
    }
}
