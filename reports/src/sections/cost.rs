//! Sections 8, 9 and 10 (the floor is 11 when "What waiting costs" comes
//! before it): CPU cost per million messages (over the trials used), the
//! ring ablation (textbook -> padded -> ring) and the physical floor with
//! how close the ring gets to it.

use scenarios::results::ScenarioResult;
use vocabulary::{Capacity, Pattern, Placement, TransportKind, Variant};

use super::{DOTS_SAY, bar, bars, caption, na, per_input, scenario_bar, scenario_notes};
use crate::charts::Bar;
use crate::headline::{self, Figure};
use crate::html::Noted;
use crate::select::{self, DEFAULT_SIZE};
use crate::{Input, format, html, palette};

/// The ring's own design, whose distance from the floor section 10 shows.
const RING: TransportKind = TransportKind::ShmRing(Variant::Ring);

/// Section 8.
pub fn cpu(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let stream = select::pick(&input.results, |s| {
            s.pattern == Pattern::Stream && s.placement == primary && s.size == DEFAULT_SIZE && s.cpu.is_some()
        });
        // The capacity with the most transports measured.
        let capacities = select::distinct(&stream, |s| s.capacity);
        let count = |c: &Capacity| stream.iter().filter(|s| &s.capacity == c).count();
        let Some(capacity) = capacities.iter().max_by_key(|c| (count(c), **c == Capacity::Bounded(8))) else {
            return html::missing("No measured stream scenario with CPU figures at the primary placement.");
        };
        let chosen: Vec<&ScenarioResult> = stream.iter().copied().filter(|s| &s.capacity == capacity).collect();
        let mut chart_bars: Vec<Bar> = Vec::new();
        let mut rows = Vec::new();
        for s in &chosen {
            let Some(c) = s.cpu else { continue };
            let colour = palette::colour(s.transport);
            chart_bars.push(bar(format!("{} producer", s.transport), colour, c.producer_s_per_million, None));
            let mut consumer = bar(format!("{} consumer", s.transport), colour, c.consumer_s_per_million, None);
            consumer.faded = true;
            chart_bars.push(consumer);
            rows.push(vec![
                s.transport.to_string(),
                headline::trials(s),
                format::three_digits(c.producer_s_per_million),
                format::three_digits(c.consumer_s_per_million),
                c.producer.voluntary_switches.to_string(),
                c.consumer.voluntary_switches.to_string(),
                c.producer.involuntary_switches.to_string(),
                c.consumer.involuntary_switches.to_string(),
            ]);
        }
        let mut out = html::figure(
            &format!("cpu-{i}"),
            &caption(
                inputs,
                input,
                &format!(
                    "CPU-seconds (user + system) per million messages, stream, {capacity}, {DEFAULT_SIZE} B, {primary}; producer solid, consumer lighter"
                ),
            ),
            bars("CPU-seconds per million messages", format::three_digits, chart_bars).svg(),
        );
        out.push_str(&html::table(
            &[
                "transport",
                "trials used",
                "producer s / M msgs",
                "consumer s / M msgs",
                "producer voluntary switches",
                "consumer voluntary switches",
                "producer preempted",
                "consumer preempted",
            ],
            &rows,
        ));
        out
    })
}

/// The ring designs, from the textbook one to the ring.
const DESIGNS: [TransportKind; 3] = [
    TransportKind::ShmRing(Variant::Textbook),
    TransportKind::ShmRing(Variant::Padded),
    TransportKind::ShmRing(Variant::Ring),
];

/// The capacity and size of the ablation: those at which every design has
/// a stream and a pingpong scenario (preferring the largest capacity).
fn ablation_point(rings: &[&ScenarioResult]) -> Option<(Capacity, usize)> {
    let mut points = select::distinct(rings, |s| (s.capacity, s.size));
    points.sort_by_key(|&(c, size)| (std::cmp::Reverse(c), size));
    points.into_iter().find(|(c, size)| {
        [Pattern::Stream, Pattern::PingPong].iter().all(|p| {
            DESIGNS.iter().all(|d| {
                rings.iter().any(|s| &s.capacity == c && s.size == *size && s.pattern == *p && s.transport == *d)
            })
        })
    })
}

/// Section 9.
pub fn ablation(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let primary = select::primary_placement(&input.results);
        let rings = select::pick(&input.results, |s| s.placement == primary && DESIGNS.contains(&s.transport));
        let Some((capacity, size)) = ablation_point(&rings) else {
            return html::missing(
                "No capacity and size at which all three ring designs have stream and pingpong scenarios.",
            );
        };
        let at = |pattern: Pattern| -> Vec<&ScenarioResult> {
            DESIGNS
                .iter()
                .filter_map(|d| {
                    rings
                        .iter()
                        .copied()
                        .find(|s| s.transport == *d && s.capacity == capacity && s.size == size && s.pattern == pattern)
                })
                .collect()
        };
        let (stream, pingpong) = (at(Pattern::Stream), at(Pattern::PingPong));
        let mut out = format!(
            "<p>The ring's design steps at {}, {} B, {}: the textbook ring (indices on one line, peer index \
             read every operation), then padded indices, then the ring (cached peer indices).</p>\n",
            html::escape(&capacity.to_string()),
            size,
            html::escape(primary.name())
        );
        let throughput: Vec<Bar> =
            stream.iter().map(|s| scenario_bar(s.transport.name(), s, Figure::Throughput)).collect();
        out.push_str(&html::figure(
            &format!("ablation-{i}-stream"),
            &caption(inputs, input, &format!("Ring designs: stream throughput, {capacity}, {size} B; {DOTS_SAY}")),
            bars("messages per second", format::si, throughput).svg(),
        ));
        let mut latency: Vec<Bar> = pingpong.iter().map(|s| scenario_bar(s.transport.name(), s, Figure::P50)).collect();
        if let Some(e) = input.results.floors.iter().find(|f| f.placement == primary).and_then(|f| f.cache_line_rtt) {
            latency.push(Bar {
                colour: palette::NEUTRAL,
                ..bar("floor: cache-line round trip", palette::NEUTRAL, e.median, Some((e.low, e.high)))
            });
        }
        out.push_str(&html::figure(
            &format!("ablation-{i}-pingpong"),
            &caption(
                inputs,
                input,
                &format!("Ring designs: pingpong round-trip p50, {capacity}, {size} B, against the floor; {DOTS_SAY}"),
            ),
            bars("round-trip p50, ns", format::si, latency).svg(),
        ));
        let rows: Vec<Vec<Noted>> = stream
            .iter()
            .chain(pingpong.iter())
            .map(|s| {
                let figure = match (&s.msgs_per_s, &s.latency) {
                    (Some(e), _) => Ok(format!("{} msgs/s", format::estimate(e, format::si))),
                    (None, Some(l)) => Ok(format!("p50 {}", format::estimate(&l.p50, format::ns))),
                    _ => Err("not measured".to_owned()),
                };
                let floor = s
                    .floor
                    .as_ref()
                    .map(|f| format!("{}: {}", f.metric, format::three_digits(f.ratio)))
                    .unwrap_or_else(|| na("no floor for this placement"));
                vec![
                    Noted::plain(s.transport.to_string()),
                    Noted::plain(s.pattern.to_string()),
                    Noted::plain(headline::trials(s)),
                    headline::cell(s, figure),
                    Noted::plain(floor),
                ]
            })
            .collect();
        out.push_str(&html::table(&["design", "pattern", "trials used", "figure [95%]", "against the floor"], &rows));
        out.push_str(&scenario_notes(&[stream.as_slice(), pingpong.as_slice()].concat()));
        out.push_str(&ablation_order(&input.results));
        out
    })
}

/// Whether the designs of one stream cell read textbook <= padded <= ring.
#[derive(Debug, Clone, PartialEq)]
enum Steps {
    /// Every step at least as fast as the one before, by the medians.
    InOrder,
    /// A step slower by its median, but inside the other's 95% interval:
    /// the trials cannot tell the two apart.
    WithinIntervals,
    /// A step slower beyond both intervals; why, as far as the cell's
    /// own dimensions explain it.
    Exception(&'static str),
}

/// The order of `[textbook, padded, ring]` throughputs in a cell of
/// `capacity` (one message in flight or more) on one shared core or two.
fn order(designs: [&scenarios::results::Estimate; 3], capacity: Capacity, same_core: bool) -> Steps {
    let mut order = Steps::InOrder;
    for pair in designs.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        if after.median >= before.median {
            continue;
        }
        if after.high >= before.low {
            order = Steps::WithinIntervals;
            continue;
        }
        return Steps::Exception(if same_core {
            "both sides on one core: no cache line crosses cores, so the designs differ only in a few \
             instructions, and the hand-offs between the two processes set the rate"
        } else if matches!(capacity, Capacity::Rendezvous | Capacity::Bounded(1)) {
            "one message in flight: the sides take turns on the indices, so the textbook's single index \
             line is no extra transfer and padding or caching cannot save one"
        } else {
            "not explained by the cell's dimensions: see the trials' spread and the machine's states"
        });
    }
    order
}

/// The ablation's order in every stream cell of the file (all placements,
/// capacities and sizes at which the three designs were measured), each
/// cell in order, tied within the intervals, or an exception with why.
fn ablation_order(results: &scenarios::results::ResultsFile) -> String {
    let streams = select::pick(results, |s| s.pattern == Pattern::Stream && DESIGNS.contains(&s.transport));
    let mut cells = select::distinct(&streams, |s| (s.placement, s.capacity, s.size));
    cells.sort_by_key(|&(placement, capacity, size)| (placement, size, capacity));
    let mut rows = Vec::new();
    let (mut in_order, mut tied, mut exceptions) = (0, 0, 0);
    for (placement, capacity, size) in &cells {
        let scenario = |design: TransportKind| {
            streams.iter().copied().find(|s| {
                s.transport == design && &s.placement == placement && &s.capacity == capacity && s.size == *size
            })
        };
        let designs = DESIGNS.map(scenario);
        let [Some(t), Some(p), Some(r)] = designs.map(|s| s.and_then(|s| s.msgs_per_s.as_ref())) else { continue };
        let verdict = match order([t, p, r], *capacity, *placement == Placement::SameCore.into()) {
            Steps::InOrder => {
                in_order += 1;
                "in order".to_owned()
            }
            Steps::WithinIntervals => {
                tied += 1;
                // Intervals wide enough to hold a step out of order are
                // worth a reason where the trials give one.
                let unsteady: Vec<String> = designs
                    .iter()
                    .flatten()
                    .filter_map(|s| s.unstable.as_ref().map(|why| format!("{} unstable ({why})", s.transport)))
                    .collect();
                if unsteady.is_empty() {
                    "in order within the 95% intervals".to_owned()
                } else {
                    format!("in order within the 95% intervals, which are wide: {}", unsteady.join("; "))
                }
            }
            Steps::Exception(why) => {
                exceptions += 1;
                format!("exception: {why}")
            }
        };
        let show = |e: &scenarios::results::Estimate| format!("{} msgs/s", format::estimate(e, format::si));
        rows.push(vec![
            format!("{capacity}, {size} B, {placement}"),
            show(t),
            show(p),
            show(r),
            format!("{:.2}x", r.median / t.median),
            verdict,
        ]);
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "<p>The order in every stream cell: {in_order} in order, {tied} in order within the 95% intervals, \
         {exceptions} exceptions (textbook &le; padded &le; ring is the order the designs promise).</p>\n"
    );
    out.push_str(&html::table(&["cell", "textbook", "padded", "ring", "ring / textbook", "order"], &rows));
    out
}

/// How close a scenario gets to its floor, percent (100 = at the floor):
/// a share of the copy bandwidth for a stream, floor over latency otherwise.
fn percent_of_floor(s: &ScenarioResult) -> Option<f64> {
    let f = s.floor.as_ref()?;
    if s.pattern == Pattern::Stream {
        Some(100.0 * f.ratio)
    } else if f.ratio > 0.0 {
        Some(100.0 / f.ratio)
    } else {
        None
    }
}

/// Section 10 (11 when the report has "What waiting costs" before it).
pub fn floor(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let floors = &input.results.floors;
        if floors.is_empty() {
            return html::missing("This file records no floor measurement.");
        }
        let rows: Vec<Vec<String>> = floors
            .iter()
            .map(|f| {
                vec![
                    f.placement.to_string(),
                    format!("{}, {}", f.cores[0], f.cores[1]),
                    f.cache_line_rtt
                        .map(|e| format::estimate(&e, format::ns))
                        .unwrap_or_else(|| na("one core: no bounce to measure")),
                    format!("{}B/s", format::si(f.copy_bytes_per_s)),
                ]
            })
            .collect();
        let mut out =
            html::table(&["placement", "cores", "cache-line round trip [95%]", "copy bandwidth (1 MiB)"], &rows);
        let primary = select::primary_placement(&input.results);
        let ring = select::pick(&input.results, |s| s.transport == RING && s.placement == primary && s.floor.is_some());
        let chart_bars: Vec<Bar> = ring
            .iter()
            .filter_map(|s| {
                let pct = percent_of_floor(s)?;
                Some(bar(format!("{} {} {} B", s.pattern, s.capacity, s.size), palette::colour(RING), pct, None))
            })
            .collect();
        out.push_str(&html::figure(
            &format!("floor-{i}"),
            &caption(
                inputs,
                input,
                &format!("How close shm-ring gets to the floor at {primary}, percent (100% = at the floor): stream as a share of copy bandwidth, latency as floor / p50"),
            ),
            bars("percent of the floor", format::three_digits, chart_bars).svg(),
        ));
        let rows: Vec<Vec<String>> = ring
            .iter()
            .map(|s| {
                let f = s.floor.as_ref();
                vec![
                    s.id.clone(),
                    f.map(|f| f.metric.clone()).unwrap_or_default(),
                    f.map(|f| format::three_digits(f.ratio)).unwrap_or_default(),
                    percent_of_floor(s)
                        .map(|p| format!("{}%", format::three_digits(p)))
                        .unwrap_or_else(|| na("no ratio")),
                ]
            })
            .collect();
        out.push_str(&html::table(&["scenario", "compared", "ratio", "percent of the floor"], &rows));
        out
    })
}

#[cfg(test)]
mod tests {
    use scenarios::results::Estimate;
    use vocabulary::Capacity;

    use super::{Steps, order};

    fn e(median: f64, low: f64, high: f64) -> Estimate {
        Estimate { median, low, high }
    }

    #[test]
    fn the_order_of_a_cell_is_read_from_medians_then_intervals() {
        let (slow, mid, fast) = (e(10.0, 9.0, 11.0), e(20.0, 19.0, 21.0), e(30.0, 29.0, 31.0));
        assert_eq!(order([&slow, &mid, &fast], Capacity::Bounded(8), false), Steps::InOrder);
        // Padded a little below textbook, inside its interval.
        assert_eq!(order([&mid, &e(19.5, 18.8, 20.1), &fast], Capacity::Bounded(8), false), Steps::WithinIntervals);
        // Beyond the intervals: the cause depends on the cell.
        let out = [&mid, &slow, &fast];
        assert!(
            matches!(order(out, Capacity::Bounded(1), false), Steps::Exception(why) if why.contains("one message in flight"))
        );
        assert!(matches!(order(out, Capacity::Rendezvous, true), Steps::Exception(why) if why.contains("one core")));
        assert!(
            matches!(order(out, Capacity::Bounded(64), false), Steps::Exception(why) if why.contains("not explained"))
        );
    }
}
