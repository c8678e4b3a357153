//! The report's sections, each a `<section>` with its charts and the table
//! of the numbers behind them. With several inputs, every section shows
//! each input in turn under its label.

mod cost;
mod latency;
mod overview;
mod sweeps;

pub use overview::row as verdict_row;

use crate::Input;
use crate::charts::{Bar, BarChart};
use crate::html;
use crate::palette;

/// Every section, in the report's order, as (id, title, body).
pub fn all(inputs: &[Input]) -> Vec<(&'static str, &'static str, String)> {
    vec![
        ("verdict", "1. Verdict", overview::verdict(inputs)),
        ("throughput", "2. Throughput by transport", overview::throughput(inputs)),
        ("spectrum", "3. Latency percentile spectrum", latency::spectrum(inputs)),
        ("sizes", "4. Message size", sweeps::sizes(inputs)),
        ("capacity", "5. Capacity sweep", sweeps::capacity(inputs)),
        ("placement", "6. Placement", sweeps::placement(inputs)),
        ("cpu", "7. CPU cost", cost::cpu(inputs)),
        ("ablation", "8. Ring ablation", cost::ablation(inputs)),
        ("floor", "9. The physical floor", cost::floor(inputs)),
        ("environment", "10. Environment and method", overview::environment(inputs)),
        ("failures", "Failed, refused and unavailable scenarios", overview::failures(inputs)),
    ]
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
fn bar(label: impl Into<String>, transport: &str, value: f64, interval: Option<(f64, f64)>) -> Bar {
    Bar { label: label.into(), colour: palette::colour(transport), faded: false, value, interval }
}

/// A horizontal bar chart with the given value axis.
fn bars(value_label: &str, ticks: fn(f64) -> String, bars: Vec<Bar>) -> BarChart {
    BarChart { value_label: value_label.to_owned(), ticks, bars }
}

/// "n/a" and why, for a figure that is missing.
fn na(why: &str) -> String {
    format!("n/a ({why})")
}
