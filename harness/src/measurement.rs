//! One scenario, measured: a discarded warm-up run, then separate process
//! runs (see `supervisor.rs`), combined into a [`ScenarioResult`] with every
//! repeat's raw figures, medians with their intervals, merged latency
//! histograms, CPU cost, integrity and the distance from the floor.

use std::time::Duration;

use bench_core::workload::histogram;
use bench_core::workload::{Integrity, Pattern, SideCpu};
use scenarios::Scenario;
use scenarios::results::{
    CpuCost, Estimate, Floor, FloorDistance, Latency, Percentiles, RateCheck, Repeat, ScenarioResult, Status,
};

use crate::supervisor::{self, RunError, RunReport, RunSpec};

/// A rate counts as kept when every repeat sent at least this share of it.
const RATE_KEPT: f64 = 0.95;

/// How many runs, how long.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Measured runs.
    pub repeats: u32,
    /// Discarded runs before them.
    pub warmup_runs: u32,
    /// How long the producer sends in each.
    pub run: Duration,
}

/// Where a scenario runs.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Producer (initiator) core and consumer (echo) core.
    pub cores: [usize; 2],
    /// Their physical relation, as detected.
    pub relation: Option<String>,
    /// The floor measured for these cores, if any.
    pub floor: Option<Floor>,
}

/// A result for a scenario that was not measured (`Unavailable`, `Refused`).
pub fn not_measured(scenario: &Scenario, placed: Option<&Placed>, status: Status, reason: String) -> ScenarioResult {
    ScenarioResult {
        id: scenario.id(),
        transport: scenario.transport.name().to_owned(),
        capacity: scenario.capacity.to_string(),
        realised_capacity: None,
        realised_detail: String::new(),
        size: scenario.size,
        pattern: scenario.pattern.to_string(),
        placement: scenario.placement.to_string(),
        cores: placed.map(|p| p.cores),
        relation: placed.and_then(|p| p.relation.clone()),
        status,
        reason: Some(reason),
        msgs_per_s: None,
        bytes_per_s: None,
        latency: None,
        cpu: None,
        integrity: Integrity::default(),
        floor: None,
        rate: None,
        repeats: Vec::new(),
    }
}

/// Measure `scenario` on `placed` cores.
pub fn measure(scenario: &Scenario, placed: &Placed, plan: &Plan) -> ScenarioResult {
    let spec = RunSpec {
        kind: scenario.transport,
        capacity: scenario.capacity,
        size: scenario.size,
        pattern: scenario.pattern,
        cores: placed.cores,
        run: plan.run,
    };
    let realised = match supervisor::probe(&spec) {
        Ok(r) => r,
        Err(e) => return not_measured(scenario, Some(placed), Status::Refused, e.to_string()),
    };
    let mut result = not_measured(scenario, Some(placed), Status::Ok, String::new());
    result.reason = None;
    result.realised_capacity = realised.messages;
    result.realised_detail = realised.detail;
    for _ in 0..plan.warmup_runs {
        if let Err(e) = supervisor::run(&spec) {
            return failed(result, "warm-up run", e);
        }
    }
    let mut reports = Vec::new();
    for i in 0..plan.repeats {
        match supervisor::run(&spec) {
            Ok(r) => reports.push(r),
            Err(e) => return failed(result, &format!("repeat {}", i + 1), e),
        }
    }
    summarise(result, scenario, placed, &reports)
}

fn failed(mut result: ScenarioResult, which: &str, e: RunError) -> ScenarioResult {
    result.status = match e {
        RunError::Refused(_) => Status::Refused,
        RunError::Failed(_) => Status::Failed,
    };
    result.reason = Some(format!("{which}: {e}"));
    result
}

/// One repeat's figures from both sides' reports.
fn repeat_of(scenario: &Scenario, r: &RunReport) -> Repeat {
    let size = scenario.size as f64;
    let (p, c) = (&r.producer, &r.consumer);
    let mut integrity = c.integrity;
    match scenario.pattern {
        // Both directions are checked: the echo checks what the initiator
        // sent, the initiator what came back.
        Pattern::PingPong => {
            integrity.sent = p.integrity.sent + c.integrity.sent;
            integrity.add(&Integrity { sent: 0, ..p.integrity });
        }
        _ => integrity.sent = p.messages,
    }
    let histogram = match scenario.pattern {
        Pattern::PingPong => p.histogram.clone(),
        Pattern::Rate(_) => c.histogram.clone(),
        Pattern::Stream => None,
    };
    let latency = histogram.as_deref().and_then(|h| histogram::decode(h).ok()).map(|h| Percentiles::of_histogram(&h));
    let msgs_per_s = match scenario.pattern {
        Pattern::Stream if c.messages >= 2 && c.elapsed_ns > 0 => {
            Some((c.messages - 1) as f64 * 1e9 / c.elapsed_ns as f64)
        }
        _ => None,
    };
    Repeat {
        messages: c.messages,
        elapsed_ns: c.elapsed_ns,
        msgs_per_s,
        bytes_per_s: msgs_per_s.map(|m| m * size),
        latency,
        histogram,
        producer: p.cpu,
        consumer: c.cpu,
        integrity,
        spilled: p.spilled,
        send_rate: p.send_rate,
        max_send_lag_ns: p.max_send_lag_ns,
    }
}

fn summarise(
    mut result: ScenarioResult,
    scenario: &Scenario,
    placed: &Placed,
    reports: &[RunReport],
) -> ScenarioResult {
    let repeats: Vec<Repeat> = reports.iter().map(|r| repeat_of(scenario, r)).collect();
    let values = |f: &dyn Fn(&Repeat) -> Option<f64>| -> Vec<f64> { repeats.iter().filter_map(f).collect() };
    result.msgs_per_s = Estimate::of(&values(&|r| r.msgs_per_s));
    result.bytes_per_s = Estimate::of(&values(&|r| r.bytes_per_s));

    // Latency: all repeats' histograms merged exactly.
    let mut merged = histogram::new();
    let mut any = false;
    for r in &repeats {
        if let Some(h) = r.histogram.as_deref().and_then(|h| histogram::decode(h).ok()) {
            merged.add(h).ok();
            any = true;
        }
    }
    if any {
        let p50 = Estimate::of(&values(&|r| r.latency.map(|l| l.p50)));
        let p99 = Estimate::of(&values(&|r| r.latency.map(|l| l.p99)));
        if let (Some(p50), Some(p99)) = (p50, p99) {
            result.latency = Some(Latency {
                kind: if scenario.pattern == Pattern::PingPong { "round-trip" } else { "one-way" }.to_owned(),
                merged: Percentiles::of_histogram(&merged),
                p50,
                p99,
                histogram: histogram::encode(&merged),
            });
        }
    }

    // CPU: summed over repeats, per million messages moved.
    let (mut producer, mut consumer) = (SideCpu::default(), SideCpu::default());
    let mut moved = 0u64;
    for r in &repeats {
        producer.add(&r.producer);
        consumer.add(&r.consumer);
        moved += r.integrity.sent.max(r.messages);
    }
    let per_million = |cpu: &SideCpu| if moved > 0 { cpu.total_s() * 1e6 / moved as f64 } else { 0.0 };
    result.cpu = Some(CpuCost {
        producer,
        consumer,
        producer_s_per_million: per_million(&producer),
        consumer_s_per_million: per_million(&consumer),
    });

    for r in &repeats {
        result.integrity.add(&r.integrity);
    }
    result.floor = floor_distance(&result, placed);

    if let Pattern::Rate(target) = scenario.pattern {
        let rates = values(&|r| r.send_rate);
        let kept = rates.iter().all(|&a| a >= RATE_KEPT * target as f64);
        let achieved = Estimate::of(&rates).map_or(0.0, |e| e.median);
        let max_send_lag_ns = repeats.iter().filter_map(|r| r.max_send_lag_ns).max().unwrap_or(0);
        result.rate = Some(RateCheck { target, achieved, max_send_lag_ns, sustained: kept });
        if !kept {
            result.status = Status::Unsustained;
            result.reason = Some(format!(
                "asked for {target} msgs/s, sent {achieved:.0} msgs/s (median); sends fell up to {:.1} ms behind schedule",
                max_send_lag_ns as f64 / 1e6
            ));
        }
    }
    let empty = match scenario.pattern {
        Pattern::Stream => result.msgs_per_s.is_none(),
        _ => result.latency.as_ref().is_none_or(|l| l.merged.count == 0),
    };
    result.repeats = repeats;
    if empty {
        result.status = Status::Failed;
        result.reason = Some("no sample: nothing was timed in the run's duration (raise --duration)".into());
    }
    if !result.integrity.is_clean() {
        result.status = Status::Failed;
        result.reason = Some(format!("integrity: {}", result.integrity.problems()));
    }
    result
}

/// How far from the floor of its cores a result is.
fn floor_distance(result: &ScenarioResult, placed: &Placed) -> Option<FloorDistance> {
    let floor = placed.floor.as_ref()?;
    let rtt = floor.cache_line_rtt.map(|e| e.median);
    if let (Some(lat), Some(rtt)) = (&result.latency, rtt) {
        return Some(if lat.kind == "round-trip" {
            FloorDistance { metric: "round-trip p50 / cache-line round trip".into(), ratio: lat.p50.median / rtt }
        } else {
            FloorDistance {
                metric: "one-way p50 / half the cache-line round trip".into(),
                ratio: lat.p50.median / (rtt / 2.0),
            }
        });
    }
    let bytes = result.bytes_per_s?;
    (floor.copy_bytes_per_s > 0.0).then(|| FloorDistance {
        metric: "bytes/s / one core's copy bandwidth".into(),
        ratio: bytes.median / floor.copy_bytes_per_s,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bench_core::ring::Capacity;
    use bench_core::transport::TransportKind;
    use bench_core::workload::SideReport;
    use scenarios::PlacementSpec;

    fn scenario(pattern: Pattern) -> Scenario {
        Scenario {
            transport: TransportKind::Pipe,
            capacity: Capacity::Bounded(8),
            size: 100,
            pattern,
            placement: PlacementSpec::Cores(0, 1),
        }
    }

    fn placed(rtt: Option<f64>) -> Placed {
        let floor = Floor {
            placement: "cores".into(),
            cores: [0, 1],
            cache_line_rtt_ns: rtt.into_iter().collect(),
            cache_line_rtt: rtt.map(|r| Estimate { median: r, low: r, high: r }),
            copy_bytes_per_s: 1e10,
        };
        Placed { cores: [0, 1], relation: Some("cross-core".into()), floor: Some(floor) }
    }

    fn clean(n: u64) -> Integrity {
        Integrity { sent: n, received: n, ..Default::default() }
    }

    fn stream_run(received: u64, elapsed_ns: u64) -> RunReport {
        RunReport {
            producer: SideReport {
                messages: received,
                integrity: Integrity { sent: received, ..Default::default() },
                ..Default::default()
            },
            consumer: SideReport {
                messages: received,
                elapsed_ns,
                integrity: Integrity { received, ..Default::default() },
                ..Default::default()
            },
        }
    }

    fn base(s: &Scenario, p: &Placed) -> ScenarioResult {
        not_measured(s, Some(p), Status::Ok, String::new())
    }

    #[test]
    fn stream_throughput_is_per_repeat_with_a_median_and_floor_distance() {
        let s = scenario(Pattern::Stream);
        let p = placed(Some(200.0));
        // 1001 messages in 1 ms, 2001 in 1 ms, 3001 in 1 ms: 1, 2, 3 M msgs/s.
        let runs: Vec<RunReport> = [1001, 2001, 3001].iter().map(|&n| stream_run(n, 1_000_000)).collect();
        let r = summarise(base(&s, &p), &s, &p, &runs);
        assert_eq!(r.status, Status::Ok, "{:?}", r.reason);
        let m = r.msgs_per_s.unwrap();
        assert!((m.median - 2e6).abs() < 1.0 && m.low <= m.median && m.median <= m.high);
        assert!((r.bytes_per_s.unwrap().median - 2e8).abs() < 100.0);
        assert_eq!(r.repeats.len(), 3);
        assert_eq!(r.integrity, clean(6003));
        let f = r.floor.unwrap();
        assert!(f.metric.contains("copy bandwidth") && (f.ratio - 0.02).abs() < 1e-9);
    }

    #[test]
    fn a_lost_message_in_any_repeat_fails_the_scenario_loudly() {
        let s = scenario(Pattern::Stream);
        let p = placed(None);
        let mut bad = stream_run(100, 1000);
        bad.consumer.integrity.lost = 1;
        bad.consumer.integrity.received = 99;
        let r = summarise(base(&s, &p), &s, &p, &[stream_run(100, 1000), bad]);
        assert_eq!(r.status, Status::Failed);
        assert!(r.reason.unwrap().contains("1 lost"));
    }

    #[test]
    fn pingpong_checks_both_directions_and_merges_histograms_exactly() {
        let s = scenario(Pattern::PingPong);
        let p = placed(Some(100.0));
        let run = |values: &[u64]| {
            let mut h = histogram::new();
            for &v in values {
                histogram::record(&mut h, v);
            }
            let n = values.len() as u64;
            RunReport {
                producer: SideReport {
                    messages: n,
                    integrity: clean(n),
                    histogram: Some(histogram::encode(&h)),
                    ..Default::default()
                },
                consumer: SideReport { messages: n, integrity: clean(n), ..Default::default() },
            }
        };
        let r = summarise(base(&s, &p), &s, &p, &[run(&[1000, 1000, 3000]), run(&[2000, 2000])]);
        assert_eq!(r.status, Status::Ok);
        assert_eq!(r.integrity, clean(10), "both directions count");
        let l = r.latency.unwrap();
        assert_eq!((l.kind.as_str(), l.merged.count), ("round-trip", 5));
        assert!((l.merged.p50 - 2000.0).abs() < 10.0, "{:?}", l.merged);
        let f = r.floor.unwrap();
        assert!((f.ratio - l.p50.median / 100.0).abs() < 1e-9 && f.metric.contains("round-trip"));
    }

    #[test]
    fn a_rate_the_sender_could_not_keep_is_marked_unsustained() {
        let s = scenario(Pattern::Rate(10_000));
        let p = placed(None);
        let run = |rate: f64| {
            let mut h = histogram::new();
            histogram::record(&mut h, 5000);
            RunReport {
                producer: SideReport {
                    messages: 10,
                    integrity: Integrity { sent: 10, ..Default::default() },
                    send_rate: Some(rate),
                    max_send_lag_ns: Some(7_000_000),
                    ..Default::default()
                },
                consumer: SideReport {
                    messages: 10,
                    integrity: Integrity { received: 10, ..Default::default() },
                    histogram: Some(histogram::encode(&h)),
                    ..Default::default()
                },
            }
        };
        let kept = summarise(base(&s, &p), &s, &p, &[run(9_990.0), run(10_001.0)]);
        assert_eq!(kept.status, Status::Ok);
        assert!(kept.rate.unwrap().sustained);
        let lost = summarise(base(&s, &p), &s, &p, &[run(9_990.0), run(6_000.0)]);
        assert_eq!(lost.status, Status::Unsustained);
        assert!(lost.reason.unwrap().contains("10000 msgs/s"));
        assert_eq!(lost.latency.unwrap().kind, "one-way");
    }
}
