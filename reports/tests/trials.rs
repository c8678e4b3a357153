//! The report on trials, from the quick fixture and synthetic files built
//! on it: the machine timeline counts the trials and names the states, an
//! unstable figure is marked wherever it appears, the fixture's few-trials
//! scenario shows its status instead of a figure, each trial is a dot
//! beside its bar, and a percentile without the samples it needs is never
//! printed.

mod support;

use reports::charts::{DOT_NAMES, TRIAL_NAMES};
use reports::{Input, render_html, verdict_table};
use scenarios::Status;
use scenarios::results::{MachineState, MachineStates, Probe, ResultsFile, ScenarioResult};
use support::{fixture, section, svg_texts, svgs, write_preview};
use vocabulary::{Capacity, Pattern};

fn quick() -> ResultsFile {
    ResultsFile::read(&fixture("quick.json")).unwrap()
}

fn page(results: ResultsFile) -> String {
    render_html(&[Input { label: "synthetic".into(), results }])
}

/// The `<figure>` with `id` in `html`, to its end.
fn figure<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("<figure class=\"chart\" id=\"{id}\">")).unwrap_or_else(|| panic!("no figure {id}"));
    &html[start..start + html[start..].find("</figure>").unwrap()]
}

fn scenario<'a>(r: &'a mut ResultsFile, id: &str) -> &'a mut ScenarioResult {
    r.scenarios.iter_mut().find(|s| s.id == id).unwrap_or_else(|| panic!("no scenario {id}"))
}

/// Whether `s` is in the throughput section: a 64 B stream at the primary
/// placement with a figure, or with too few trials for one.
fn in_throughput(results: &ResultsFile, s: &ScenarioResult) -> bool {
    s.pattern == Pattern::Stream
        && s.size == 64
        && s.placement == reports::select::primary_placement(results)
        && (s.msgs_per_s.is_some() || s.status == Status::FewTrials)
}

/// The id of the throughput chart of `capacity`: its place among the
/// section's capacities, rendezvous first, then bounded by size, then
/// unbounded.
fn throughput_figure(results: &ResultsFile, capacity: Capacity) -> String {
    let mut capacities: Vec<Capacity> = Vec::new();
    for s in results.scenarios.iter().filter(|s| in_throughput(results, s)) {
        if !capacities.contains(&s.capacity) {
            capacities.push(s.capacity);
        }
    }
    capacities.sort();
    let k = capacities.iter().position(|c| *c == capacity).unwrap_or_else(|| panic!("no chart of {capacity}"));
    format!("throughput-0-{k}")
}

/// How [`two_states`] split the trials.
struct Split {
    total: usize,
    slow: usize,
    changed: usize,
}

/// The fast (reference) state and the slow one of [`two_states`].
const FAST: (f64, f64) = (50.0, 60.0);
const SLOW: (f64, f64) = (500.0, 700.0);

/// `quick.json` probed as if the machine spent part of the run slow:
/// every fifth trial ran in the slow state (both probes slow), every
/// seventh other one changed state while it ran (fast before, slow after),
/// the rest ran in the fast reference state; each trial's use, reason and
/// each scenario's selection set as the selection rule would.
fn two_states() -> (ResultsFile, Split) {
    let mut r = quick();
    let mut split = Split { total: 0, slow: 0, changed: 0 };
    let (mut fast_probes, mut slow_probes) = (0, 0);
    let mut k = 0usize;
    for s in &mut r.scenarios {
        for t in &mut s.trials {
            let fast = FAST.0 + (k % 5) as f64;
            let slow = SLOW.0 + 10.0 * (k % 7) as f64;
            let (before_ns, after_ns) = if k % 5 == 0 {
                split.slow += 1;
                (slow, slow)
            } else if k % 7 == 0 {
                split.changed += 1;
                (fast, slow)
            } else {
                (fast, fast)
            };
            for ns in [before_ns, after_ns] {
                if ns < SLOW.0 { fast_probes += 1 } else { slow_probes += 1 }
            }
            t.probe = Some(Probe { cores: [0, 1], before_ns, after_ns });
            t.used = before_ns < SLOW.0 && after_ns < SLOW.0;
            t.set_aside = (!t.used).then(|| "set aside by the synthetic machine".to_owned());
            k += 1;
        }
        split.total += s.trials.len();
        s.selection.used = s.used_trials().count() as u32;
        s.selection.set_aside = s.trials.len() as u32 - s.selection.used;
    }
    r.machine = vec![MachineStates {
        cores: [0, 1],
        states: vec![
            MachineState { low_ns: FAST.0, high_ns: FAST.1, probes: fast_probes },
            MachineState { low_ns: SLOW.0, high_ns: SLOW.1, probes: slow_probes },
        ],
        reference: 0,
    }];
    (r, split)
}

#[test]
fn the_timeline_counts_the_trials_and_names_both_states() {
    let (results, split) = two_states();
    let states = results.machine[0].states.clone();
    let page = page(results);
    let machine = section(&page, "machine");
    let aside = split.slow + split.changed;
    assert!(machine.contains(&format!("Cores 0 and 1: {} trials over", split.total)), "{machine}");
    for text in [
        "in 2 states, reference floor 50-60 ns".to_owned(),
        format!("{} used, {aside} set aside", split.total - aside),
        format!("{} ran in floor 500-700 ns", split.slow),
        format!("{} changed state during the trial", split.changed),
    ] {
        assert!(machine.contains(&text), "{text} not in the caption: {machine}");
    }
    let chart = svgs(machine)[0];
    let texts = svg_texts(chart);
    let names = [
        format!("floor 50-60 ns: {} probes (reference)", states[0].probes),
        format!("floor 500-700 ns: {} probes", states[1].probes),
    ];
    for name in names.iter().map(String::as_str).chain(TRIAL_NAMES) {
        assert!(texts.iter().any(|t| t == name), "{name} not in {texts:?}");
    }
    // One path per class of trial, one move per trial.
    let doc = roxmltree::Document::parse(chart).unwrap();
    let moves: Vec<usize> = doc
        .descendants()
        .filter(|n| n.has_tag_name("path"))
        .filter_map(|n| n.attribute("d"))
        .map(|d| d.matches('M').count())
        .collect();
    assert_eq!(moves, [split.total - aside, aside]);
    // The states table: each state, its probes, its trials.
    assert!(
        machine.contains(&format!("<td>floor 500-700 ns</td><td>{}</td><td>{}</td>", states[1].probes, split.slow))
    );
    write_preview("report-preview-two-states.html", &page);
}

#[test]
fn no_probes_says_so() {
    let mut r = quick();
    r.machine.clear();
    assert!(section(&page(r), "machine").contains("No machine-state probes"));
}

const WHY: &str = "two modes: 2 trials near 1.2M msgs/s, 2 near 600k msgs/s";

#[test]
fn an_unstable_scenario_is_marked_wherever_its_figure_appears() {
    let mut r = quick();
    let id = "shm-ring/unbounded/64B/stream/cross-core";
    let s = scenario(&mut r, id);
    assert!(s.status == Status::Ok && s.unstable.is_none(), "{id} must be stable and ok in the fixture");
    s.unstable = Some(WHY.into());
    let (median, trials) = (s.msgs_per_s.unwrap().median, format!("{}/{}", s.selection.used, s.trials.len()));
    // The ring is the fastest stream at unbounded: the verdict names it.
    let fastest = r
        .scenarios
        .iter()
        .filter(|s| s.capacity == Capacity::Unbounded && in_throughput(&r, s))
        .max_by(|a, b| a.msgs_per_s.unwrap().median.total_cmp(&b.msgs_per_s.unwrap().median))
        .unwrap();
    assert_eq!(fastest.id, id);
    let unbounded = throughput_figure(&r, Capacity::Unbounded);
    let inputs = [Input { label: "synthetic".into(), results: r }];
    let page = render_html(&inputs);
    // The chart's label.
    let throughput = section(&page, "throughput");
    let unbounded = figure(throughput, &unbounded);
    assert!(svg_texts(svgs(unbounded)[0]).iter().any(|t| t == "shm-ring (unstable)"));
    // The table's cell, with the reason as its note, and the footnote.
    assert!(throughput.contains(&format!("<td title=\"unstable: {WHY}\">~")), "{throughput}");
    assert!(throughput.contains(&format!("<li>~ {id} is unstable: {WHY}.</li>")));
    // The verdict: the ring is the fastest at unbounded, and the ratio is its.
    let verdict = section(&page, "verdict");
    let named = format!("shm-ring ({} msgs/s; unstable)", reports::format::si(median));
    assert!(verdict.contains(&named), "{named} not in {verdict}");
    assert!(verdict.contains("(unstable: shm-ring)"));
    assert!(verdict_table(&inputs).contains(&format!("~ {id} is unstable: {WHY}.")));
    // The method section lists it.
    assert!(
        section(&page, "environment")
            .contains(&format!("<td>{id}</td><td>throughput</td><td>{trials}</td><td>{WHY}</td>"))
    );
}

#[test]
fn a_few_trials_scenario_shows_its_status_and_its_trials_not_a_figure() {
    let r = quick();
    let s = r
        .scenarios
        .iter()
        .find(|s| s.status == Status::FewTrials && in_throughput(&r, s))
        .expect("the quick fixture has a few-trials stream at 64 B")
        .clone();
    assert!(s.msgs_per_s.is_none(), "{}: a few-trials scenario has no figure", s.id);
    let reason = s.reason.clone().expect("a few-trials scenario says why");
    assert!(!reason.contains(['<', '>', '&', '"', '\'']), "the test compares {reason} unescaped");
    let (used, aside) = (s.trials.iter().filter(|t| t.used).count(), s.trials.iter().filter(|t| !t.used).count());
    assert!(used > 0 && aside > 0, "{used} used, {aside} set aside");
    let chart = throughput_figure(&r, s.capacity);
    let page = page(r);
    let throughput = section(&page, "throughput");
    let cell = format!("<td title=\"{reason}\">few-trials ({}/{} trials used)</td>", s.selection.used, s.trials.len());
    assert!(throughput.contains(&cell), "{cell} not in {throughput}");
    assert!(throughput.contains(&format!("<li>{} has too few trials for a figure: {reason}.</li>", s.id)));
    // The chart: its label, no bar, and every trial a dot (hollow when set aside).
    let svg = svgs(figure(throughput, &chart))[0];
    let label = format!("{} (few-trials)", s.transport);
    assert!(svg_texts(svg).contains(&label), "{label} not in the chart");
    let doc = roxmltree::Document::parse(svg).unwrap();
    let colour = reports::palette::hex(reports::palette::colour(s.transport));
    let coloured = |n: &roxmltree::Node| {
        [n.attribute("fill"), n.attribute("stroke")].into_iter().flatten().any(|c| c.eq_ignore_ascii_case(&colour))
    };
    assert!(!doc.descendants().any(|n| n.has_tag_name("rect") && coloured(&n)), "a bar for {}", s.id);
    let dots: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("3") && coloured(n))
        .collect();
    let hollow = dots.iter().filter(|n| n.attribute("fill") == Some("none")).count();
    assert_eq!((dots.len() - hollow, hollow), (used, aside));
    assert!(section(&page, "failures").contains(&reason));
}

#[test]
fn each_trial_is_a_dot_beside_its_bar_hollow_when_set_aside() {
    let (results, _) = two_states();
    // Every scenario of the rendezvous chart, a few-trials one's dots too.
    let bars: Vec<&ScenarioResult> =
        results.scenarios.iter().filter(|s| s.capacity == Capacity::Rendezvous && in_throughput(&results, s)).collect();
    let used = bars.iter().flat_map(|s| &s.trials).filter(|t| t.used).count();
    let aside = bars.iter().flat_map(|s| &s.trials).filter(|t| !t.used).count();
    assert!(used > 0 && aside > 0, "{used} {aside}");
    let rendezvous = throughput_figure(&results, Capacity::Rendezvous);
    let page = page(results);
    let chart = svgs(figure(section(&page, "throughput"), &rendezvous))[0];
    let texts = svg_texts(chart);
    for name in DOT_NAMES {
        assert!(texts.iter().any(|t| t == name), "{name} not in the legend");
    }
    // Trial dots have radius 3; the legend's two have radius 4.
    let doc = roxmltree::Document::parse(chart).unwrap();
    let dots: Vec<roxmltree::Node> =
        doc.descendants().filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some("3")).collect();
    let hollow = dots.iter().filter(|n| n.attribute("fill") == Some("none")).count();
    assert_eq!((dots.len() - hollow, hollow), (used, aside));
}

#[test]
fn a_percentile_without_the_samples_it_needs_is_not_printed() {
    let mut r = quick();
    let s = scenario(&mut r, "shm-ring/bounded:1/64B/pingpong/cross-core");
    let merged = &mut s.latency.as_mut().unwrap().merged;
    // As a file from 3000 samples would hold it; p99.9 left in, as a
    // careless writer might, must not be printed either.
    merged.count = 3000;
    let p999 = merged.p999.unwrap();
    let shown = reports::format::ns(p999);
    let spectrum = page(r);
    let spectrum = section(&spectrum, "spectrum");
    let row = &spectrum[spectrum.find("<tr><td>shm-ring</td>").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("<td title=\"p99.9 needs 10000 samples, 3000 taken\">—</td>"), "{row}");
    let p9999 = scenarios::results::percentile_absent(0.9999, 3000).unwrap();
    assert!(row.contains(&format!("<td title=\"{p9999}\">—</td>")), "{row}");
    assert!(!row.contains(&shown), "{shown} printed: {row}");
    assert!(spectrum.contains("a percentile p is given only from at least 10/(1-p) samples"));
}
