//! Section 4: latency percentile spectra (latency against percentile on a
//! log 1/(1-p) axis, 50% to 99.99%) per transport, for pingpong round
//! trips and for open-loop rates' one-way latencies. A line ends at the
//! highest percentile its samples support, and the table shows a dash,
//! with the reason, for each percentile they do not.

use scenarios::Status;
use scenarios::results::ScenarioResult;
use vocabulary::{LatencyKind, Pattern};

use super::{caption, na, per_input, scenario_notes};
use crate::charts::{Axis, LineChart, Scale, Series};
use crate::headline;
use crate::html::Noted;
use crate::select::{self, DEFAULT_SIZE};
use crate::{Input, format, html, palette, spectrum};

/// The quantiles the table shows.
const QUANTILES: [f64; 5] = [0.5, 0.9, 0.99, 0.999, 0.9999];

/// Section 4.
pub fn spectrum(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let latency = select::pick(&input.results, |s| {
            s.placement == primary
                && s.size == DEFAULT_SIZE
                && s.pattern != Pattern::Stream
                && (s.latency.is_some() || s.status == Status::FewTrials)
        });
        let mut groups = select::distinct(&latency, |s| (s.pattern, s.capacity));
        groups.sort();
        if groups.is_empty() {
            return html::missing("No measured pingpong or rate scenario at the primary placement and 64 B.");
        }
        let mut out = String::new();
        for (k, (pattern, capacity)) in groups.iter().enumerate() {
            let chosen: Vec<&ScenarioResult> =
                latency.iter().copied().filter(|s| &s.pattern == pattern && &s.capacity == capacity).collect();
            let mut problems = Vec::new();
            let series: Vec<Series> = chosen
                .iter()
                .filter_map(|s| {
                    let l = s.latency.as_ref()?;
                    match spectrum::spectrum(&l.histogram) {
                        Ok(points) => Some(Series {
                            name: headline::label(s.transport.name(), s),
                            colour: palette::colour(s.transport),
                            points,
                            unstable: vec![],
                        }),
                        Err(why) => {
                            problems.push(format!("{}: {why}", s.id));
                            None
                        }
                    }
                })
                .collect();
            let kind = match pattern.latency_kind() {
                Some(LatencyKind::RoundTrip) => "round trip",
                Some(LatencyKind::OneWay) | None => "one way, from the intended send time",
            };
            let chart = LineChart {
                x: Axis { label: "percentile".to_owned(), scale: Scale::Percentile, ticks: format::si },
                y_label: format!("latency ({kind})"),
                y_ticks: format::ns,
                series,
            };
            out.push_str(&html::figure(
                &format!("spectrum-{i}-{k}"),
                &caption(
                    inputs,
                    input,
                    &format!(
                        "Latency spectrum, {pattern}, {capacity}, {DEFAULT_SIZE} B, {primary} ({kind}); merged \
                         histogram of the trials used; each line ends at the highest percentile its samples support"
                    ),
                ),
                chart.svg(),
            ));
            for p in problems {
                out.push_str(&html::missing(&p));
            }
            let rows: Vec<Vec<Noted>> = chosen
                .iter()
                .map(|s| {
                    let mut row =
                        vec![Noted::plain(s.transport.to_string()), status(s), Noted::plain(headline::trials(s))];
                    match &s.latency {
                        Some(l) => {
                            let m = &l.merged;
                            row.push(Noted::plain(m.count.to_string()));
                            row.extend(QUANTILES.iter().map(|q| headline::percentile_cell(m, *q)));
                            row.push(Noted::plain(format::ns(m.max)));
                        }
                        None => row.push(Noted::plain(na("no latency"))),
                    }
                    row
                })
                .collect();
            out.push_str(&html::table(
                &["transport", "status", "trials used", "samples", "p50", "p90", "p99", "p99.9", "p99.99", "max"],
                &rows,
            ));
            let mut notes =
                headline::absent_note(chosen.iter().filter_map(|s| s.latency.as_ref().map(|l| &l.merged)), &QUANTILES)
                    .map_or_else(String::new, |n| html::notes(&[n]));
            notes.push_str(&scenario_notes(&chosen));
            out.push_str(&notes);
        }
        out
    })
}

/// The status cell: the status and `unstable` when marked, with the
/// reason as its note.
fn status(s: &ScenarioResult) -> Noted {
    let tags = headline::tags(s);
    let text = if tags.is_empty() { s.status.name().to_owned() } else { tags.join(", ") };
    let note = s.unstable.as_ref().map(|why| format!("unstable: {why}")).or_else(|| s.reason.clone());
    Noted { text, note }
}
