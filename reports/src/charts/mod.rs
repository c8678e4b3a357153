//! Chart renderers: `plotters` drawing SVG into a string. Every chart is a
//! plain description ([`BarChart`], [`LineChart`], [`RatioChart`],
//! [`Timeline`]) turned into SVG text
//! that a page can inline; axes spanning more than a decade are drawn on a
//! log scale, legends sit beside the plot, never over it.
//!
//! Text is measured by plotters' built-in estimate (no `ttf` feature, so
//! no system font libraries); the browser draws it in its own sans-serif.

mod axis;
mod bars;
mod lines;
mod ratios;
mod timeline;

pub use axis::{Axis, Scale};
pub use bars::{Bar, BarChart, DOT_NAMES, Dot};
pub use lines::{LineChart, RING_NAME, Series};
pub use ratios::{Ratio, RatioChart};
pub use timeline::{TRIAL_NAMES, Timeline, TrialMark};

/// Font family of every label.
const FONT: &str = "sans-serif";
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
