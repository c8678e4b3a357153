//! Chart renderers: `plotters` drawing SVG into a string. Every chart is a
//! plain description ([`BarChart`], [`LineChart`], [`LoadChart`], [`RatioChart`],
//! [`ScatterChart`], [`Timeline`]) turned into SVG text
//! that a page can inline; axes spanning more than a decade are drawn on a
//! log scale, legends sit beside the plot, never over it.
//!
//! Text is measured by plotters' built-in estimate (no `ttf` feature, so
//! no system font libraries); the browser draws it in its own sans-serif.

mod axis;
mod bars;
mod lines;
mod load;
mod ratios;
mod scatter;
mod timeline;

use axis::Ticked;
pub use axis::{Axis, Scale};
pub use bars::{Bar, BarChart, DOT_NAMES, Dot};
pub use lines::{LineChart, Series};
pub use load::{LoadChart, LoadLine};
use plotters::coord::Shift;
use plotters::prelude::*;
pub use ratios::{Ratio, RatioChart};
pub use scatter::{Point, ScatterChart};
pub use timeline::{TRIAL_NAMES, Timeline, TrialMark};

/// Font family of every label.
const FONT: &str = "sans-serif";
/// The legend's name for a ring around a point: the line and scatter
/// charts ring a point whose figure is unstable.
pub const RING_NAME: &str = "ringed: unstable figure";
/// Width of every chart, px.
pub const WIDTH: u32 = 960;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Nothing to draw.
    #[error("no data to draw")]
    Empty,
    /// plotters refused (the message says why).
    #[error("drawing failed: {0}")]
    Draw(String),
}

impl<E: std::error::Error + Send + Sync> From<plotters::drawing::DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: plotters::drawing::DrawingAreaErrorKind<E>) -> Self {
        ChartError::Draw(e.to_string())
    }
}

/// The frame every x-y chart shares: the plot (left of the legend column)
/// with its mesh, tick labels and axis descriptions from `x` and `y` drawn,
/// its coordinates laid out over `xs` and `ys` (data values).
fn xy_frame<'a, 'b>(
    plot: &'a DrawingArea<SVGBackend<'b>, Shift>,
    (x, xs): (&Axis, &[f64]),
    (y, ys): (&Axis, &[f64]),
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<Ticked, Ticked>>, ChartError> {
    let mut chart = ChartBuilder::on(plot)
        .margin(12)
        .margin_right(20)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d(Ticked::new(x.layout(xs)), Ticked::new(y.layout(ys)))
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    chart
        .configure_mesh()
        .x_desc(x.label.as_str())
        .y_desc(y.label.as_str())
        .x_label_formatter(&|v| x.tick_label(*v))
        .y_label_formatter(&|v| y.tick_label(*v))
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    Ok(chart)
}

/// plotters' SVG with the namespace attribute removed: inline SVG in HTML
/// needs none, and the page must carry no URL.
fn inline(svg: String) -> String {
    svg.replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
}

/// Draw the legend (a swatch and a name per entry) in `area`, top-down.
fn legend<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    entries: &[(String, plotters::style::RGBColor)],
) -> Result<(), ChartError> {
    use plotters::prelude::*;
    for (i, (name, colour)) in entries.iter().enumerate() {
        let y = 40 + 20 * i as i32;
        area.draw(&Rectangle::new([(6, y - 6), (20, y + 6)], colour.filled()))
            .map_err(|e| ChartError::Draw(e.to_string()))?;
        area.draw(&Text::new(name.clone(), (26, y - 7), (FONT, 13).into_font()))
            .map_err(|e| ChartError::Draw(e.to_string()))?;
    }
    Ok(())
}

/// Below a legend of `entries` names in `area`, what a ring around a point
/// means ([`RING_NAME`]).
fn ring_legend<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    entries: usize,
) -> Result<(), ChartError> {
    let y = 40 + 20 * entries as i32 + 6;
    area.draw(&Circle::new((13, y), 6, crate::palette::NEUTRAL.stroke_width(2)))
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    area.draw(&Text::new(RING_NAME, (26, y - 7), (FONT, 13).into_font()))
        .map_err(|e| ChartError::Draw(e.to_string()))?;
    Ok(())
}
