//! The machine's state over a run, for one pair of probed cores: x is the
//! time since the run started (s), y the cache-line round trip its probes
//! measured (ns, log axis). Each trial is a short vertical segment at its
//! start time, from its probe before to its probe after, coloured by
//! whether it was used or set aside; each state the probes fell into is a
//! shaded band (the reference state, whose trials are used, in blue), and
//! the legend beside the plot names every state with its range and probe
//! count.
//!
//! A run has thousands of trials, so the segments are not drawn one
//! element each: every class (used, set aside) is a single SVG `<path>` of
//! `M x y V y` moves, placed with plotters' own coordinate mapping and
//! added to plotters' SVG after the rest is drawn.

use plotters::prelude::*;

use super::{Axis, ChartError, Scale, WIDTH, inline, legend, xy_frame};
use crate::{format, palette};
use scenarios::results::MachineState;

/// One trial on the timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialMark {
    /// When it started, seconds since the run started.
    pub start_s: f64,
    /// Its probe right before, ns.
    pub before_ns: f64,
    /// Its probe right after, ns.
    pub after_ns: f64,
    /// Whether it makes the headline figures.
    pub used: bool,
}

/// The timeline of one pair of cores.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// The states the probes fell into, fastest first.
    pub states: Vec<MachineState>,
    /// Index in `states` of the reference state.
    pub reference: usize,
    /// The trials probed on these cores.
    pub trials: Vec<TrialMark>,
}

/// The legend's names for the two classes of trial.
pub const TRIAL_NAMES: [&str; 2] = ["trial used", "trial set aside"];

/// Width of the legend column, px.
const LEGEND_WIDTH: u32 = 260;
/// Height of the chart, px.
const HEIGHT: u32 = 360;
/// The shortest segment drawn, px: a trial whose probes agree is a dot.
const MIN_SEGMENT: i32 = 2;

impl Timeline {
    /// A state's name in the legend: `floor 51-60 ns: 412 probes`, and
    /// `(reference)` for the reference state.
    pub fn state_name(&self, i: usize) -> String {
        let s = &self.states[i];
        let role = if i == self.reference { " (reference)" } else { "" };
        format!("{}: {} probes{role}", s.label(), s.probes)
    }

    /// The chart as inline SVG.
    pub fn svg(&self) -> Result<String, ChartError> {
        if self.trials.is_empty() && self.states.is_empty() {
            return Err(ChartError::Empty);
        }
        let xs: Vec<f64> = self.trials.iter().map(|t| t.start_s).collect();
        let ys: Vec<f64> = self
            .trials
            .iter()
            .flat_map(|t| [t.before_ns, t.after_ns])
            .chain(self.states.iter().flat_map(|s| [s.low_ns, s.high_ns]))
            .filter(|v| *v > 0.0 && v.is_finite())
            .collect();
        let x_axis =
            Axis { label: "seconds since the run started".into(), scale: Scale::Linear, ticks: format::three_digits };
        let y_axis = Axis { label: "probe: cache-line round trip".into(), scale: Scale::Log, ticks: format::ns };
        let x_range = x_axis.layout(&xs).0;
        let mut paths = [String::new(), String::new()];
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            root.fill(&WHITE)?;
            let (plot, side) = root.split_horizontally(WIDTH - LEGEND_WIDTH);
            let mut chart = xy_frame(&plot, (&x_axis, &xs), (&y_axis, &ys))?;
            let bands = self.states.iter().enumerate().map(|(i, s)| {
                let colour = if i == self.reference { palette::REFERENCE_STATE } else { palette::OTHER_STATE };
                // A state of one value is drawn as a thin band, not nothing.
                let (lo, hi) = (y_axis.to_axis(s.low_ns) - 0.004, y_axis.to_axis(s.high_ns) + 0.004);
                Rectangle::new([(x_range.start, lo), (x_range.end, hi)], colour.mix(0.8).filled())
            });
            chart.draw_series(bands).map_err(|e| ChartError::Draw(e.to_string()))?;
            for t in &self.trials {
                let at = |ns: f64| chart.backend_coord(&(t.start_s, y_axis.to_axis(ns)));
                let ((x, y0), (_, y1)) = (at(t.before_ns), at(t.after_ns));
                let (top, bottom) = (y0.min(y1), y0.max(y1));
                let pad = (MIN_SEGMENT - (bottom - top)).max(0);
                let (top, bottom) = (top - pad / 2, bottom + (pad - pad / 2));
                paths[usize::from(!t.used)].push_str(&format!("M{x} {top}V{bottom}"));
            }
            let mut entries: Vec<(String, RGBColor)> = (0..self.states.len())
                .map(|i| {
                    let colour = if i == self.reference { palette::REFERENCE_STATE } else { palette::OTHER_STATE };
                    (self.state_name(i), colour)
                })
                .collect();
            entries.push((TRIAL_NAMES[0].to_owned(), palette::USED));
            entries.push((TRIAL_NAMES[1].to_owned(), palette::SET_ASIDE));
            legend(&side, &entries)?;
            root.present()?;
        }
        let mut drawn = String::new();
        for (d, colour) in paths.iter().zip([palette::USED, palette::SET_ASIDE]) {
            if !d.is_empty() {
                drawn.push_str(&format!(
                    "<path d=\"{d}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-linecap=\"round\" opacity=\"0.75\"/>\n",
                    palette::hex(colour)
                ));
            }
        }
        let end = svg.rfind("</svg>").ok_or_else(|| ChartError::Draw("plotters wrote no </svg>".into()))?;
        svg.insert_str(end, &drawn);
        Ok(inline(svg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(low_ns: f64, high_ns: f64, probes: usize) -> MachineState {
        MachineState { low_ns, high_ns, probes }
    }

    #[test]
    fn one_path_per_class_and_every_state_named() {
        let trials: Vec<TrialMark> = (0..1000)
            .map(|i| {
                let slow = (400..600).contains(&i);
                let ns = if slow { 600.0 } else { 55.0 };
                TrialMark { start_s: i as f64 * 0.1, before_ns: ns, after_ns: ns + 1.0, used: !slow }
            })
            .collect();
        let chart = Timeline { states: vec![state(54.0, 57.0, 1600), state(598.0, 603.0, 400)], reference: 0, trials };
        let svg = chart.svg().unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let paths: Vec<&str> =
            doc.descendants().filter(|n| n.has_tag_name("path")).filter_map(|n| n.attribute("d")).collect();
        assert_eq!(paths.len(), 2, "one path per class");
        assert_eq!(paths.iter().map(|d| d.matches('M').count()).collect::<Vec<_>>(), [800, 200]);
        let texts: Vec<&str> = doc.descendants().filter_map(|n| n.text()).map(str::trim).collect();
        for text in ["floor 54-57 ns: 1600 probes (reference)", "floor 598-603 ns: 400 probes", TRIAL_NAMES[1]] {
            assert!(texts.contains(&text), "{text} missing from {texts:?}");
        }
        assert!(svg.len() < 60_000, "{} bytes for 1000 trials", svg.len());
        assert!(matches!(Timeline { states: vec![], reference: 0, trials: vec![] }.svg(), Err(ChartError::Empty)));
    }
}
