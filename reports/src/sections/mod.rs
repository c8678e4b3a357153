//! The report's sections, each a `<section>` with its charts and the table
//! of the numbers behind them. With several inputs, every section shows
//! each input in turn under its label. A scenario's headline figure is
//! shown, marked or replaced by its status through [`crate::headline`].

mod copies;
mod cost;
mod latency;
mod load;
mod machine;
mod mailboxes;
mod overview;
mod sweeps;
mod waiting;

pub use overview::{peer_columns, peer_notes, peer_row, row as verdict_row, verdict_notes};
use plotters::style::RGBColor;
use scenarios::results::ScenarioResult;

use crate::Input;
use crate::charts::{Bar, BarChart, Dot};
use crate::headline::{self, Figure, na};
use crate::html;
use crate::palette;

/// Every section, in the report's order, as (id, title, body); the
/// numbered ones are numbered in that order. "What waiting costs" is there
/// only when some input chose a wait explicitly.
pub fn all(inputs: &[Input]) -> Vec<(&'static str, String, String)> {
    let mut numbered = vec![
        ("verdict", "Verdict", overview::verdict(inputs)),
        ("machine", "The machine during the run", machine::timeline(inputs)),
        ("throughput", "Throughput by transport", overview::throughput(inputs)),
        ("spectrum", "Latency percentile spectrum", latency::spectrum(inputs)),
        ("sizes", "Message size", sweeps::sizes(inputs)),
        ("capacity", "Capacity sweep", sweeps::capacity(inputs)),
        ("load", "Latency against offered load", load::curves(inputs)),
        ("mailboxes", "Mailboxes with many senders", mailboxes::mailboxes(inputs)),
        ("placement", "Placement", sweeps::placement(inputs)),
        ("cpu", "CPU cost", cost::cpu(inputs)),
        ("ablation", "Ring ablation", cost::ablation(inputs)),
    ];
    if waiting::wanted(inputs) {
        numbered.push(("waiting", "What waiting costs", waiting::costs(inputs)));
    }
    numbered.push(("floor", "The physical floor", cost::floor(inputs)));
    numbered.push(("environment", "Environment and method", overview::environment(inputs)));
    let mut sections: Vec<(&'static str, String, String)> = numbered
        .into_iter()
        .enumerate()
        .map(|(k, (id, title, body))| (id, format!("{}. {title}", k + 1), body))
        .collect();
    sections.push(("failures", "Failed, refused and unavailable scenarios".to_owned(), overview::failures(inputs)));
    sections
}

/// `body(index, input)` for each input, under an `<h3>` with its label
/// when there are several.
fn per_input(inputs: &[Input], body: impl Fn(usize, &Input) -> String) -> String {
    let mut out = String::new();
    for (i, input) in inputs.iter().enumerate() {
        if inputs.len() > 1 {
            out.push_str(&format!("<h3>{}</h3>\n", html::escape(&input.label)));
        }
        out.push_str(&body(i, input));
    }
    out
}

/// A chart's caption, with the input's label when there are several.
fn caption(inputs: &[Input], input: &Input, text: &str) -> String {
    if inputs.len() > 1 { format!("{} ({})", text, input.label) } else { text.to_owned() }
}

/// A bar in the transport's colour.
fn bar(label: impl Into<String>, colour: RGBColor, value: f64, interval: Option<(f64, f64)>) -> Bar {
    Bar { label: label.into(), colour, faded: false, value: Some(value), interval, dots: vec![] }
}

/// A scenario's headline figure as a bar labelled `name` (tagged when
/// unstable or few-trials): the median of its used trials with the 95%
/// interval, and every trial's own figure as a dot (hollow when set
/// aside). A few-trials scenario has its dots and no bar.
fn scenario_bar(name: &str, s: &ScenarioResult, figure: Figure) -> Bar {
    let estimate = figure.estimate(s);
    Bar {
        label: headline::label(name, s),
        colour: palette::colour(s.transport),
        faded: false,
        value: estimate.map(|e| e.median),
        interval: estimate.map(|e| (e.low, e.high)),
        dots: s.trials.iter().filter_map(|t| Some(Dot { value: figure.of_trial(t)?, used: t.used })).collect(),
    }
}

/// The sentence a caption of bars with trial dots ends with.
const DOTS_SAY: &str = "bar: median of the trials used, whisker: its 95% interval; dots: each trial's own figure \
     (hollow: set aside)";

/// A horizontal bar chart with the given value axis.
fn bars(value_label: &str, ticks: fn(f64) -> String, bars: Vec<Bar>) -> BarChart {
    BarChart { value_label: value_label.to_owned(), ticks, bars }
}

/// The notes under a block of scenarios: each unstable or few-trials
/// scenario with its reason.
fn scenario_notes(scenarios: &[&ScenarioResult]) -> String {
    html::notes(&headline::notes(scenarios))
}
