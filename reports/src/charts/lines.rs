//! Line charts: one line with points per transport, against a numeric,
//! percentile or categorical x axis, with the legend in a column to the
//! right of the plot. A point whose figure is unstable (its trials are
//! not one population) is ringed, and the legend says what a ring means.

use plotters::prelude::*;

use super::{Axis, ChartError, WIDTH, inline, legend, ring_legend, xy_frame};

/// One line.
#[derive(Debug, Clone)]
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its colour (the transport's).
    pub colour: RGBColor,
    /// Points in data space (x as the x axis takes it: a value, a
    /// percentile 0..1, or a category index).
    pub points: Vec<(f64, f64)>,
    /// Indices in `points` of unstable figures, drawn ringed.
    pub unstable: Vec<usize>,
}

/// A chart of lines.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// The x axis.
    pub x: Axis,
    /// The y axis' label, with its unit.
    pub y_label: String,
    /// How a y value is written on a tick.
    pub y_ticks: fn(f64) -> String,
    /// The lines.
    pub series: Vec<Series>,
}

/// Width of the legend column, px.
const LEGEND_WIDTH: u32 = 190;

impl LineChart {
    /// The chart as inline SVG.
    pub fn svg(&self) -> Result<String, ChartError> {
        let series: Vec<&Series> = self.series.iter().filter(|s| !s.points.is_empty()).collect();
        if series.is_empty() {
            return Err(ChartError::Empty);
        }
        let xs: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).collect();
        let ys: Vec<f64> = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).collect();
        let y_axis = Axis::numeric(self.y_label.clone(), &ys, self.y_ticks);
        let height = (380u32).max(80 + 20 * series.len() as u32);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let mut chart = xy_frame(&plot, (&self.x, &xs), (&y_axis, &ys))?;
            for s in &series {
                let points: Vec<(f64, f64)> =
                    s.points.iter().map(|(x, y)| (self.x.to_axis(*x), y_axis.to_axis(*y))).collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), s.colour.stroke_width(2)))
                    .map_err(|e| ChartError::Draw(e.to_string()))?;
                let rings = s
                    .unstable
                    .iter()
                    .filter_map(|k| points.get(*k))
                    .map(|p| Circle::new(*p, 7, s.colour.stroke_width(2)));
                chart.draw_series(rings).map_err(|e| ChartError::Draw(e.to_string()))?;
                if points.len() <= 12 {
                    chart
                        .draw_series(points.into_iter().map(|p| Circle::new(p, 3, s.colour.filled())))
                        .map_err(|e| ChartError::Draw(e.to_string()))?;
                }
            }
            let entries: Vec<(String, RGBColor)> = series.iter().map(|s| (s.name.clone(), s.colour)).collect();
            legend(&side, &entries)?;
            if series.iter().any(|s| !s.unstable.is_empty()) {
                ring_legend(&side, entries.len())?;
            }
            root.present()?;
        }
        Ok(inline(svg))
    }
}
