//! One scenario's figures from its trials: which trials are used (the
//! selection rule, `scenarios::selection`), the medians of the used ones
//! with their intervals, merged latency histograms, CPU cost, integrity,
//! stability (`scenarios::stability`) and the distance from the floor.

use bench_core::workload::SideReport;
use bench_core::workload::histogram;
use bench_core::workload::{Integrity, SideCpu};
use scenarios::Scenario;
use scenarios::load::RATE_KEPT_SHARE;
use scenarios::results::{
    CpuCost, Estimate, Floor, FloorDistance, Latency, MachineStates, MailboxSummary, Percentiles, Probe,
    ProducerAccount, RateCheck, ScenarioResult, Selection, Status, Trial,
};
use scenarios::{selection, stability};
use vocabulary::{LatencyKind, Pattern, Placement};

use crate::supervisor::RunReport;
use reports::format::{ns as duration_ns, si};

/// Where a scenario runs.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Producer (initiator) core and consumer (echo) core.
    pub cores: [usize; 2],
    /// Their physical relation, as detected.
    pub relation: Option<Placement>,
    /// The floor measured for these cores, if any.
    pub floor: Option<Floor>,
}

/// A result for a scenario that was not measured (`Unavailable`, `Refused`),
/// or the frame a measured one is filled into.
pub fn not_measured(scenario: &Scenario, placed: Option<&Placed>, status: Status, reason: String) -> ScenarioResult {
    ScenarioResult {
        id: scenario.id(),
        transport: scenario.transport,
        capacity: scenario.capacity,
        realised_capacity: None,
        realised_detail: String::new(),
        size: scenario.size,
        pattern: scenario.pattern,
        placement: scenario.placement.label(),
        cores: placed.map(|p| p.cores),
        relation: placed.and_then(|p| p.relation),
        wait_asked: scenario.wait,
        wait: scenario.wait_strategy(),
        producers: scenario.producers,
        mailbox: None,
        status,
        reason: Some(reason),
        selection: Selection::default(),
        unstable: None,
        msgs_per_s: None,
        bytes_per_s: None,
        latency: None,
        cpu: None,
        integrity: Integrity::default(),
        floor: None,
        rate: None,
        trials: Vec::new(),
    }
}

/// One trial's figures from both sides' reports; it counts as used until
/// [`summarise`] applies the selection rule.
pub fn trial_of(scenario: &Scenario, r: &RunReport, round: u32, started_ms: f64, probe: Option<Probe>) -> Trial {
    let size = scenario.size as f64;
    let (p, c) = (&producers_together(&r.producers), &r.consumer);
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
    // Each producer's own counts: what the consumer checked of its stream,
    // beside what it says it sent.
    let per_producer: Vec<Integrity> = match c.per_producer.len() {
        0 => Vec::new(),
        _ => (r.producers.iter().enumerate())
            .map(|(k, sent)| Integrity { sent: sent.messages, ..c.per_producer.get(k).copied().unwrap_or_default() })
            .collect(),
    };
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
    Trial {
        round,
        started_ms,
        probe,
        used: true,
        set_aside: None,
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
        per_producer,
    }
}

/// The producers' reports as one producer's: messages, CPU, spills and
/// send rates added up, the largest lag and the longest sending time; the
/// first one's histogram (a ping-pong, which has one initiator).
fn producers_together(reports: &[SideReport]) -> SideReport {
    let mut all = reports.first().cloned().unwrap_or_default();
    for r in reports.iter().skip(1) {
        all.messages += r.messages;
        all.elapsed_ns = all.elapsed_ns.max(r.elapsed_ns);
        all.cpu.add(&r.cpu);
        all.integrity.add(&r.integrity);
        all.spilled += r.spilled;
        all.send_rate = all.send_rate.zip(r.send_rate).map(|(a, b)| a + b);
        all.max_send_lag_ns = all.max_send_lag_ns.max(r.max_send_lag_ns);
    }
    all
}

/// Each producer's account over `trials` (the used ones give the shares)
/// and the median fairness of the used ones, into `mailbox`.
fn account_producers(mailbox: &mut MailboxSummary, trials: &[Trial]) {
    let producers = mailbox.producer_cores.len();
    let mut counts = vec![Integrity::default(); producers];
    let mut used_received = vec![0u64; producers];
    let mut fairness = Vec::new();
    for t in trials {
        for (k, c) in t.per_producer.iter().enumerate().take(producers) {
            counts[k].add(c);
            if t.used {
                used_received[k] += c.received;
            }
        }
        let received = t.per_producer.iter().map(|c| c.received);
        if let (true, Some(least), Some(most)) = (t.used, received.clone().min(), received.max())
            && most > 0
        {
            fairness.push(least as f64 / most as f64);
        }
    }
    let total: u64 = used_received.iter().sum();
    mailbox.per_producer = (0..producers)
        .map(|k| ProducerAccount {
            producer: k as u16,
            core: mailbox.producer_cores[k],
            integrity: counts[k],
            share: if total > 0 { used_received[k] as f64 / total as f64 } else { 0.0 },
        })
        .collect();
    mailbox.fairness = (!fairness.is_empty()).then(|| vocabulary::stats::median(&fairness));
}

/// What went wrong, producer by producer where there are many.
fn integrity_problems(result: &ScenarioResult) -> String {
    let Some(mailbox) = &result.mailbox else { return result.integrity.problems() };
    let each: Vec<String> = (mailbox.per_producer.iter())
        .filter(|p| !p.integrity.is_clean())
        .map(|p| format!("producer {}: {}", p.producer + 1, p.integrity.problems()))
        .collect();
    match each.is_empty() {
        true => result.integrity.problems(),
        false => each.join("; "),
    }
}

/// `frame` (from [`not_measured`], with the realised capacity) filled with
/// the figures of `trials`, the selection rule applied with the machine's
/// states `machine`.
pub fn summarise(
    mut result: ScenarioResult,
    scenario: &Scenario,
    placed: &Placed,
    mut trials: Vec<Trial>,
    machine: &[MachineStates],
) -> ScenarioResult {
    result.status = Status::Ok;
    result.reason = None;
    for t in &mut trials {
        let verdict = selection::judge(t.probe.as_ref(), machine);
        t.used = verdict.is_ok();
        t.set_aside = verdict.err();
    }
    let used: Vec<&Trial> = trials.iter().filter(|t| t.used).collect();
    let state = trials.iter().find_map(|t| {
        let p = t.probe.as_ref()?;
        let m = machine.iter().find(|m| m.cores == p.cores)?;
        Some(m.states[m.reference].label())
    });
    result.selection =
        Selection { used: used.len() as u32, set_aside: (trials.len() - used.len()) as u32, state: state.clone() };
    for t in &trials {
        result.integrity.add(&t.integrity);
    }
    if let Some(mailbox) = &mut result.mailbox {
        account_producers(mailbox, &trials);
    }
    if !result.integrity.is_clean() {
        result.status = Status::Failed;
        result.reason = Some(format!("integrity: {}", integrity_problems(&result)));
        result.trials = trials;
        return result;
    }
    if (used.len() as u32) < selection::MIN_TRIALS {
        result.status = Status::FewTrials;
        result.reason = Some(format!(
            "{} of {} trials ran in the reference state{}; a figure needs {}",
            used.len(),
            trials.len(),
            state.map(|s| format!(" ({s})")).unwrap_or_default(),
            selection::MIN_TRIALS
        ));
        result.trials = trials;
        return result;
    }

    let values = |f: &dyn Fn(&Trial) -> Option<f64>| -> Vec<f64> { used.iter().filter_map(|t| f(t)).collect() };
    let throughput = values(&|t| t.msgs_per_s);
    result.msgs_per_s = Estimate::of(&throughput);
    result.bytes_per_s = Estimate::of(&values(&|t| t.bytes_per_s));

    // Latency: the used trials' histograms merged exactly.
    let mut merged = histogram::new();
    let mut any = false;
    for t in &used {
        if let Some(h) = t.histogram.as_deref().and_then(|h| histogram::decode(h).ok()) {
            merged.add(h).ok();
            any = true;
        }
    }
    let p50s = values(&|t| t.latency.and_then(|l| l.p50));
    if any
        && let Some(p50) = Estimate::of(&p50s)
        && let Some(kind) = scenario.pattern.latency_kind()
    {
        result.latency = Some(Latency {
            kind,
            merged: Percentiles::of_histogram(&merged),
            p50,
            p99: Estimate::of(&values(&|t| t.latency.and_then(|l| l.p99))),
            histogram: histogram::encode(&merged),
        });
    }
    result.unstable = match scenario.pattern {
        Pattern::Stream => stability::assess(&throughput, &|v| format!("{} msgs/s", si(v))),
        _ => stability::assess(&p50s, &|v| format!("{} p50", duration_ns(v))),
    };

    // CPU: summed over the used trials, per million messages moved.
    let (mut producer, mut consumer) = (SideCpu::default(), SideCpu::default());
    let mut moved = 0u64;
    for t in &used {
        producer.add(&t.producer);
        consumer.add(&t.consumer);
        moved += t.integrity.sent.max(t.messages);
    }
    let per_million = |cpu: &SideCpu| if moved > 0 { cpu.total_s() * 1e6 / moved as f64 } else { 0.0 };
    result.cpu = Some(CpuCost {
        producer,
        consumer,
        producer_s_per_million: per_million(&producer),
        consumer_s_per_million: per_million(&consumer),
    });
    result.floor = floor_distance(&result, placed);

    if let Pattern::Rate(target) = scenario.pattern {
        let rates = values(&|t| t.send_rate);
        let kept = rates.iter().all(|&a| a >= RATE_KEPT_SHARE * target as f64);
        let achieved = Estimate::of(&rates).map_or(0.0, |e| e.median);
        let max_send_lag_ns = used.iter().filter_map(|t| t.max_send_lag_ns).max().unwrap_or(0);
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
    result.trials = trials;
    if empty {
        result.status = Status::Failed;
        result.reason = Some("no sample: nothing was timed in the trials' duration (raise the trial length)".into());
    }
    result
}

/// How far from the floor of its cores a result is.
fn floor_distance(result: &ScenarioResult, placed: &Placed) -> Option<FloorDistance> {
    let floor = placed.floor.as_ref()?;
    let rtt = floor.cache_line_rtt.map(|e| e.median);
    if let (Some(lat), Some(rtt)) = (&result.latency, rtt) {
        return Some(match lat.kind {
            LatencyKind::RoundTrip => {
                FloorDistance { metric: "round-trip p50 / cache-line round trip".into(), ratio: lat.p50.median / rtt }
            }
            LatencyKind::OneWay => FloorDistance {
                metric: "one-way p50 / half the cache-line round trip".into(),
                ratio: lat.p50.median / (rtt / 2.0),
            },
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
            producers: vocabulary::Producers::ONE,
            wait: scenarios::Wait::Auto,
        }
    }

    fn placed(rtt: Option<f64>) -> Placed {
        let floor = Floor {
            placement: vocabulary::PlacementLabel::Cores,
            cores: [0, 1],
            cache_line_rtt_ns: rtt.into_iter().collect(),
            cache_line_rtt: rtt.map(|r| Estimate { median: r, low: r, high: r }),
            copy_bytes_per_s: 1e10,
        };
        Placed { cores: [0, 1], relation: Some(Placement::CrossCore), floor: Some(floor) }
    }

    fn clean(n: u64) -> Integrity {
        Integrity { sent: n, received: n, ..Default::default() }
    }

    fn stream_run(received: u64, elapsed_ns: u64) -> RunReport {
        RunReport {
            producers: vec![SideReport {
                messages: received,
                integrity: Integrity { sent: received, ..Default::default() },
                ..Default::default()
            }],
            consumer: SideReport {
                messages: received,
                elapsed_ns,
                integrity: Integrity { received, ..Default::default() },
                ..Default::default()
            },
        }
    }

    fn frame(s: &Scenario, p: &Placed) -> ScenarioResult {
        not_measured(s, Some(p), Status::Ok, String::new())
    }

    /// `runs` as trials of rounds 0, 1, ..., probed at `probes[i]` ns (both probes).
    fn trials(s: &Scenario, runs: &[RunReport], probes: Option<&[f64]>) -> Vec<Trial> {
        runs.iter()
            .enumerate()
            .map(|(i, r)| {
                let probe = probes.map(|p| Probe { cores: [0, 1], before_ns: p[i], after_ns: p[i] });
                trial_of(s, r, i as u32, i as f64 * 10.0, probe)
            })
            .collect()
    }

    #[test]
    fn stream_throughput_is_per_trial_with_a_median_and_floor_distance() {
        let s = scenario(Pattern::Stream);
        let p = placed(Some(200.0));
        // 1001 messages in 1 ms, 2001 in 1 ms, 3001 in 1 ms: 1, 2, 3 M msgs/s.
        let runs: Vec<RunReport> = [1001, 2001, 3001].iter().map(|&n| stream_run(n, 1_000_000)).collect();
        let r = summarise(frame(&s, &p), &s, &p, trials(&s, &runs, None), &[]);
        assert_eq!(r.status, Status::Ok, "{:?}", r.reason);
        let m = r.msgs_per_s.unwrap();
        assert!((m.median - 2e6).abs() < 1.0 && m.low <= m.median && m.median <= m.high);
        assert!((r.bytes_per_s.unwrap().median - 2e8).abs() < 100.0);
        assert_eq!((r.trials.len(), r.selection.used, r.selection.set_aside), (3, 3, 0));
        assert_eq!(r.integrity, clean(6003));
        let f = r.floor.unwrap();
        assert!(f.metric.contains("copy bandwidth") && (f.ratio - 0.02).abs() < 1e-9);
    }

    #[test]
    fn trials_in_another_machine_state_are_set_aside_and_kept() {
        let s = scenario(Pattern::Stream);
        let p = placed(None);
        // Six trials at 2 M msgs/s in the prevailing state (~55 ns), three at
        // 0.5 M in the other (~600 ns).
        let runs: Vec<RunReport> =
            [2001, 2001, 501, 2001, 501, 2001, 2001, 501, 2001].iter().map(|&n| stream_run(n, 1_000_000)).collect();
        let probes = [55.0, 54.0, 600.0, 56.0, 610.0, 55.0, 53.0, 590.0, 57.0];
        let machine = scenarios::selection::machine_states([0, 1], &[probes, probes].concat()).unwrap();
        assert_eq!(machine.states.len(), 2);
        let r = summarise(frame(&s, &p), &s, &p, trials(&s, &runs, Some(&probes)), &[machine]);
        assert_eq!(r.status, Status::Ok, "{:?}", r.reason);
        assert_eq!((r.selection.used, r.selection.set_aside), (6, 3));
        assert_eq!(r.selection.state.as_deref(), Some("floor 53-57 ns"));
        assert!((r.msgs_per_s.unwrap().median - 2e6).abs() < 1.0, "only the used trials count");
        assert_eq!(r.trials.len(), 9, "set-aside trials are kept");
        let aside = r.trials.iter().filter(|t| !t.used).collect::<Vec<_>>();
        assert!(aside.iter().all(|t| t.set_aside.as_deref().is_some_and(|w| w.contains("floor 590-610 ns"))));
        assert_eq!(r.unstable, None);
    }

    #[test]
    fn too_few_trials_in_the_reference_state_give_no_figure() {
        let s = scenario(Pattern::Stream);
        let p = placed(None);
        let runs: Vec<RunReport> = (0..5).map(|_| stream_run(2001, 1_000_000)).collect();
        // The scenario ran twice in the reference state; other scenarios made it the reference.
        let probes = [55.0, 600.0, 600.0, 55.0, 600.0];
        let others = [55.0; 40];
        let machine = scenarios::selection::machine_states([0, 1], &[&probes[..], &others[..]].concat()).unwrap();
        let r = summarise(frame(&s, &p), &s, &p, trials(&s, &runs, Some(&probes)), &[machine]);
        assert_eq!(r.status, Status::FewTrials);
        assert!(r.reason.as_deref().unwrap().starts_with("2 of 5 trials"), "{:?}", r.reason);
        assert!(r.msgs_per_s.is_none(), "no figure printed");
        assert_eq!(r.trials.len(), 5);
    }

    #[test]
    fn a_bimodal_scenario_is_marked_unstable() {
        let s = scenario(Pattern::Stream);
        let p = placed(None);
        let runs: Vec<RunReport> =
            [2001, 8001, 2001, 2051, 8001, 1981, 7901, 2001].iter().map(|&n| stream_run(n, 1_000_000)).collect();
        let r = summarise(frame(&s, &p), &s, &p, trials(&s, &runs, None), &[]);
        assert_eq!(r.status, Status::Ok);
        assert!(r.unstable.as_deref().is_some_and(|w| w.starts_with("two modes")), "{:?}", r.unstable);
    }

    #[test]
    fn a_lost_message_in_any_trial_fails_the_scenario_loudly() {
        let s = scenario(Pattern::Stream);
        let p = placed(None);
        let mut bad = stream_run(100, 1000);
        bad.consumer.integrity.lost = 1;
        bad.consumer.integrity.received = 99;
        let r = summarise(frame(&s, &p), &s, &p, trials(&s, &[stream_run(100, 1000), bad], None), &[]);
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
                producers: vec![SideReport {
                    messages: n,
                    integrity: clean(n),
                    histogram: Some(histogram::encode(&h)),
                    ..Default::default()
                }],
                consumer: SideReport { messages: n, integrity: clean(n), ..Default::default() },
            }
        };
        let low = [1000u64; 30];
        let high = [2000u64; 30];
        let r = summarise(frame(&s, &p), &s, &p, trials(&s, &[run(&low), run(&high), run(&low)], None), &[]);
        assert_eq!(r.status, Status::Ok, "{:?}", r.reason);
        assert_eq!(r.integrity, clean(180), "both directions count");
        let l = r.latency.unwrap();
        assert_eq!((l.kind, l.merged.count), (LatencyKind::RoundTrip, 90));
        assert!((l.merged.p50.unwrap() - 1000.0).abs() < 10.0, "{:?}", l.merged);
        assert_eq!(l.merged.p99, None, "90 samples do not support a p99");
        assert_eq!(l.p99, None);
        let f = r.floor.unwrap();
        assert!((f.ratio - l.p50.median / 100.0).abs() < 1e-9 && f.metric.contains("round-trip"));
    }

    #[test]
    fn a_rate_the_sender_could_not_keep_is_marked_unsustained() {
        let s = scenario(Pattern::Rate(10_000));
        let p = placed(None);
        let run = |rate: f64| {
            let mut h = histogram::new();
            for _ in 0..30 {
                histogram::record(&mut h, 5000);
            }
            RunReport {
                producers: vec![SideReport {
                    messages: 30,
                    integrity: Integrity { sent: 30, ..Default::default() },
                    send_rate: Some(rate),
                    max_send_lag_ns: Some(7_000_000),
                    ..Default::default()
                }],
                consumer: SideReport {
                    messages: 30,
                    integrity: Integrity { received: 30, ..Default::default() },
                    histogram: Some(histogram::encode(&h)),
                    ..Default::default()
                },
            }
        };
        let kept =
            summarise(frame(&s, &p), &s, &p, trials(&s, &[run(9_990.0), run(10_001.0), run(9_995.0)], None), &[]);
        assert_eq!(kept.status, Status::Ok, "{:?}", kept.reason);
        assert!(kept.rate.unwrap().sustained);
        let lost = summarise(frame(&s, &p), &s, &p, trials(&s, &[run(9_990.0), run(6_000.0), run(9_995.0)], None), &[]);
        assert_eq!(lost.status, Status::Unsustained);
        assert!(lost.reason.unwrap().contains("10000 msgs/s"));
        assert_eq!(lost.latency.unwrap().kind, LatencyKind::OneWay);
    }

    /// Two producers into one mailbox: the consumer's counts per producer
    /// become each producer's account, its share and the fairness; a fault
    /// in one producer's stream fails the scenario and names that producer.
    #[test]
    fn each_producer_of_a_mailbox_is_accounted_and_a_fault_names_it() {
        let s = Scenario { producers: vocabulary::Producers::new(2).unwrap(), ..scenario(Pattern::Stream) };
        let p = placed(None);
        let run = |first: u64, second: u64, second_lost: u64| {
            let sender = |n: u64| SideReport {
                messages: n,
                integrity: Integrity { sent: n, ..Default::default() },
                ..Default::default()
            };
            let got = |n: u64, lost: u64| Integrity { received: n - lost, lost, ..Default::default() };
            let per_producer = vec![got(first, 0), got(second, second_lost)];
            let received = first + second - second_lost;
            RunReport {
                producers: vec![sender(first), sender(second)],
                consumer: SideReport {
                    messages: received,
                    elapsed_ns: 1_000_000,
                    integrity: Integrity { received, lost: second_lost, ..Default::default() },
                    per_producer,
                    ..Default::default()
                },
            }
        };
        let mailbox =
            || MailboxSummary { producer_cores: vec![0, 0], shared_cores: None, per_producer: vec![], fairness: None };
        let with_mailbox = || ScenarioResult { mailbox: Some(mailbox()), ..frame(&s, &p) };
        let runs = [run(300, 100, 0), run(200, 200, 0), run(300, 100, 0)];
        let r = summarise(with_mailbox(), &s, &p, trials(&s, &runs, None), &[]);
        assert_eq!(r.status, Status::Ok, "{:?}", r.reason);
        let m = r.mailbox.unwrap();
        assert_eq!(m.per_producer.len(), 2);
        assert_eq!(m.per_producer[0].integrity, clean(800));
        assert_eq!(m.per_producer[1].integrity, clean(400));
        assert!((m.per_producer[0].share - 800.0 / 1200.0).abs() < 1e-9);
        assert_eq!(m.fairness, Some(1.0 / 3.0), "the median of 1/3, 1, 1/3");
        assert_eq!(r.integrity, clean(1200));

        let runs = [run(300, 100, 0), run(200, 200, 7), run(300, 100, 0)];
        let r = summarise(with_mailbox(), &s, &p, trials(&s, &runs, None), &[]);
        assert_eq!(r.status, Status::Failed);
        let reason = r.reason.unwrap();
        assert!(reason.contains("producer 2: 7 lost"), "{reason}");
        assert!(!reason.contains("producer 1"), "{reason}");
    }
}
