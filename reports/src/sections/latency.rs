//! Section 3: latency percentile spectra (latency against percentile on a
//! log 1/(1-p) axis, 50% to 99.99%) per transport, for pingpong round
//! trips and for open-loop rates' one-way latencies.

use super::{caption, na, per_input};
use crate::charts::{Axis, LineChart, Scale, Series};
use crate::select::{self, DEFAULT_SIZE};
use crate::{Input, format, html, palette, spectrum};

/// Section 3.
pub fn spectrum(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let latency = select::pick(&input.results, |s| {
            s.placement == primary && s.size == DEFAULT_SIZE && s.pattern != "stream" && s.latency.is_some()
        });
        let mut groups = select::distinct(&latency, |s| (s.pattern.clone(), s.capacity.clone()));
        groups.sort_by_key(|(p, c)| (p != "pingpong", p.clone(), select::capacity_key(c)));
        if groups.is_empty() {
            return html::missing("No measured pingpong or rate scenario at the primary placement and 64 B.");
        }
        let mut out = String::new();
        for (k, (pattern, capacity)) in groups.iter().enumerate() {
            let chosen: Vec<_> = latency.iter().filter(|s| &s.pattern == pattern && &s.capacity == capacity).collect();
            let mut problems = Vec::new();
            let series: Vec<Series> = chosen
                .iter()
                .filter_map(|s| {
                    let l = s.latency.as_ref()?;
                    match spectrum::spectrum(&l.histogram) {
                        Ok(points) => Some(Series {
                            name: if s.status == scenarios::Status::Ok {
                                s.transport.clone()
                            } else {
                                format!("{} ({})", s.transport, s.status.name())
                            },
                            colour: palette::colour(&s.transport),
                            points,
                        }),
                        Err(why) => {
                            problems.push(format!("{}: {why}", s.id));
                            None
                        }
                    }
                })
                .collect();
            let kind = if pattern == "pingpong" { "round trip" } else { "one way, from the intended send time" };
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
                    &format!("Latency spectrum, {pattern}, {capacity}, {DEFAULT_SIZE} B, {primary} ({kind}); merged histogram of all repeats"),
                ),
                chart.svg(),
            ));
            for p in problems {
                out.push_str(&html::missing(&p));
            }
            let rows: Vec<Vec<String>> = chosen
                .iter()
                .map(|s| match &s.latency {
                    Some(l) => {
                        let m = &l.merged;
                        vec![
                            s.transport.clone(),
                            s.status.name().to_owned(),
                            m.count.to_string(),
                            format::ns(m.p50),
                            format::ns(m.p90),
                            format::ns(m.p99),
                            format::ns(m.p999),
                            format::ns(m.p9999),
                            format::ns(m.max),
                        ]
                    }
                    None => vec![s.transport.clone(), na("no latency")],
                })
                .collect();
            out.push_str(&html::table(
                &["transport", "status", "samples", "p50", "p90", "p99", "p99.9", "p99.99", "max"],
                &rows,
            ));
        }
        out
    })
}
