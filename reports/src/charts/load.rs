//! Latency against offered load: per transport, its p99 (a thick line with
//! points) and p50 (a thin line of the same colour) against the offered
//! rate, both axes log, the curve's knee marked by a triangle on its p99
//! line. The legend sits to the right of the plot, and says what the
//! thin line and the triangle are.

use plotters::prelude::*;

use super::{Axis, ChartError, FONT, Scale, WIDTH, inline, legend, xy_frame};

/// One transport's curve.
#[derive(Debug, Clone)]
pub struct LoadLine {
    /// Its name in the legend.
    pub name: String,
    /// Its colour (the transport's).
    pub colour: RGBColor,
    /// (offered rate, p99 ns) of each step that has a p99.
    pub p99: Vec<(f64, f64)>,
    /// (offered rate, p50 ns) of each step that has a p50.
    pub p50: Vec<(f64, f64)>,
    /// (knee rate, its p99 ns), when the curve has a knee.
    pub knee: Option<(f64, f64)>,
}

/// A chart of load curves.
#[derive(Debug, Clone)]
pub struct LoadChart {
    /// How an offered rate is written on a tick.
    pub x_ticks: fn(f64) -> String,
    /// How a latency is written on a tick.
    pub y_ticks: fn(f64) -> String,
    /// The curves.
    pub lines: Vec<LoadLine>,
}

/// Width of the legend column, px.
const LEGEND_WIDTH: u32 = 190;

impl LoadChart {
    /// The chart as inline SVG.
    pub fn svg(&self) -> Result<String, ChartError> {
        let lines: Vec<&LoadLine> = self.lines.iter().filter(|l| !l.p99.is_empty() || !l.p50.is_empty()).collect();
        if lines.is_empty() {
            return Err(ChartError::Empty);
        }
        let points = || lines.iter().flat_map(|l| l.p99.iter().chain(&l.p50)).filter(|p| p.0 > 0.0 && p.1 > 0.0);
        let xs: Vec<f64> = points().map(|p| p.0).collect();
        let ys: Vec<f64> = points().map(|p| p.1).collect();
        let x = Axis { label: "offered rate (msgs/s)".into(), scale: Scale::Log, ticks: self.x_ticks };
        let y = Axis { label: "one-way latency (p99 thick, p50 thin)".into(), scale: Scale::Log, ticks: self.y_ticks };
        let height = (400u32).max(120 + 20 * lines.len() as u32);
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
            root.fill(&WHITE)?;
            let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let mut chart = xy_frame(&plot, (&x, &xs), (&y, &ys))?;
            let to_axis = |p: &(f64, f64)| (x.to_axis(p.0), y.to_axis(p.1));
            let draw = |e: DrawingAreaErrorKind<_>| ChartError::Draw(e.to_string());
            for l in &lines {
                let p50: Vec<(f64, f64)> = l.p50.iter().map(to_axis).collect();
                chart.draw_series(LineSeries::new(p50, l.colour.stroke_width(1))).map_err(draw)?;
                let p99: Vec<(f64, f64)> = l.p99.iter().map(to_axis).collect();
                chart.draw_series(LineSeries::new(p99.clone(), l.colour.stroke_width(3))).map_err(draw)?;
                chart.draw_series(p99.into_iter().map(|p| Circle::new(p, 3, l.colour.filled()))).map_err(draw)?;
                if let Some(knee) = l.knee {
                    let marker = TriangleMarker::new(to_axis(&knee), 9, BLACK.stroke_width(2));
                    chart.draw_series(std::iter::once(marker)).map_err(draw)?;
                }
            }
            let entries: Vec<(String, RGBColor)> = lines.iter().map(|l| (l.name.clone(), l.colour)).collect();
            legend(&side, &entries)?;
            let y0 = 40 + 20 * entries.len() as i32 + 6;
            side.draw(&TriangleMarker::new((13, y0), 7, BLACK.stroke_width(2))).map_err(draw)?;
            side.draw(&Text::new("knee", (26, y0 - 7), (FONT, 13).into_font())).map_err(draw)?;
            root.present()?;
        }
        Ok(inline(svg))
    }
}
