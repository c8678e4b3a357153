//! Section "Latency against offered load": for each capacity mode swept,
//! one chart of every transport's p99 and p50 against the offered rate
//! (log-log, the knee marked), then a table of the knees. A run without
//! load curves gets one line saying so.

use scenarios::load::{MAX_STEP, STEP_FACTOR, STEP_SAMPLES, STEPS, TOP_MULTIPLE};
use scenarios::load_curves::LoadCurveResult;
use scenarios::results::Status;

use super::{caption, na, per_input};
use crate::charts::{LoadChart, LoadLine};
use crate::{Input, format, html, palette};

/// The section's body.
pub fn curves(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let curves = &input.results.load_curves;
        if curves.is_empty() {
            return html::missing("No load sweep in this run (harness run --pattern load, or harness all).");
        }
        let mut out = method(curves);
        out.push_str(&swept(curves));
        let all: Vec<&LoadCurveResult> = curves.iter().collect();
        for (k, capacity) in distinct(&all, |c| c.capacity).into_iter().enumerate() {
            let here: Vec<&LoadCurveResult> = all.iter().copied().filter(|c| c.capacity == capacity).collect();
            let placement = here[0].placement;
            let size = here[0].size;
            let chart =
                LoadChart { x_ticks: format::si, y_ticks: format::ns, lines: here.iter().map(|c| line(c)).collect() };
            out.push_str(&html::figure(
                &format!("load-{i}-{k}"),
                &caption(
                    inputs,
                    input,
                    &format!(
                        "latency against offered load, {capacity}, {size} B, {placement}: p99 (thick) and p50 (thin) \
                         from each message's due time; triangle: the knee"
                    ),
                ),
                chart.svg(),
            ));
        }
        out.push_str(&knees(&all));
        out
    })
}

/// The sentence saying what was run and how the knee is placed.
fn method(curves: &[LoadCurveResult]) -> String {
    let rounds = curves.iter().map(|c| c.rounds).max().unwrap_or(1);
    let budgets = distinct(&curves.iter().collect::<Vec<_>>(), |c| c.budget.to_string());
    format!(
        "<p>Each curve is an open-loop sweep: {STEPS} offered rates, each twice the one below, from 1/{} of the \
         transport's stream throughput in this run to {TOP_MULTIPLE}x it; each step runs long enough for \
         {STEP_SAMPLES} latencies (at most {} s a trial), {rounds} trial(s) a step, interleaved with the other \
         curves' steps. The <b>knee</b> is the highest offered rate whose p99 is within the budget ({}; a multiple \
         is of the lowest step's p99) and whose producer kept up (95% of the rate, no send a tenth of the step \
         late), among the steps below the first that is not; <b>saturation</b> is the highest rate any step's \
         producer achieved.</p>\n",
        STEP_FACTOR.pow(STEPS - 1) / TOP_MULTIPLE,
        MAX_STEP.as_secs(),
        html::escape(&budgets.join(", "))
    )
}

/// What this run swept, in a sentence: `harness all` sweeps every
/// transport at two capacity modes only, and says so here.
fn swept(curves: &[LoadCurveResult]) -> String {
    let all: Vec<&LoadCurveResult> = curves.iter().collect();
    let list = |v: Vec<String>| v.join(", ");
    format!(
        "<p>This run swept {} curve(s): {} at {}; {} B messages, {} placement.</p>\n",
        curves.len(),
        html::escape(&list(distinct(&all, |c| c.transport.to_string()))),
        html::escape(&list(distinct(&all, |c| c.capacity.to_string()))),
        html::escape(&list(distinct(&all, |c| c.size.to_string()))),
        html::escape(&list(distinct(&all, |c| c.placement.to_string()))),
    )
}

/// A curve as a chart line.
fn line(c: &LoadCurveResult) -> LoadLine {
    let measured = || c.steps.iter().filter(|s| s.status == Status::Ok);
    let p99: Vec<(f64, f64)> = measured().filter_map(|s| Some((s.offered as f64, s.p99_ns?))).collect();
    let knee = c.knee.and_then(|k| p99.iter().copied().find(|p| p.0 == k as f64));
    LoadLine {
        name: c.transport.to_string(),
        colour: palette::colour(c.transport),
        p50: measured().filter_map(|s| Some((s.offered as f64, s.p50_ns?))).collect(),
        p99,
        knee,
    }
}

/// The table of knees, one row per curve.
fn knees(curves: &[&LoadCurveResult]) -> String {
    let rows: Vec<Vec<String>> = curves
        .iter()
        .map(|c| {
            let knee = match (c.knee, &c.knee_reason) {
                (Some(k), _) => format!("{} msgs/s", format::si(k as f64)),
                (None, why) => na(why.as_deref().unwrap_or("no step within budget")),
            };
            let limit = c.limit_ns.map_or(String::new(), |l| format!(" ({})", format::ns(l)));
            vec![
                c.transport.to_string(),
                c.capacity.to_string(),
                knee,
                c.saturation.map_or_else(|| na("no step measured"), |s| format!("{} msgs/s", format::si(s))),
                c.saturation_source.msgs_per_s.map_or_else(|| na("none"), |s| format!("{} msgs/s", format::si(s))),
                format!("{}{limit}", c.budget),
            ]
        })
        .collect();
    html::table(&["transport", "capacity", "knee", "saturation (achieved)", "stream throughput", "p99 budget"], &rows)
}

/// Each value of `field` among `curves` once, in order.
fn distinct<T: PartialEq>(curves: &[&LoadCurveResult], field: impl Fn(&LoadCurveResult) -> T) -> Vec<T> {
    let mut out = Vec::new();
    for c in curves {
        let v = field(c);
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}
