//! The report's "What waiting costs" section, from the full fixture with
//! the ring's stream, pingpong and rate scenarios copied as explicit-wait
//! ones (spin, yield, block), as `all` now measures them: the section is
//! there with one chart of labelled points per cell, and the sections that
//! compare transports are exactly what they were, the copies never taking
//! the `auto` scenarios' places; without explicit waits there is no such
//! section.

mod support;

use reports::{Input, load_inputs, render_html};
use scenarios::Wait;
use scenarios::results::{ResultsFile, ScenarioResult};
use support::{fixture, section, svg_texts, svgs, write_preview};
use vocabulary::WaitStrategy;

/// The ring's auto scenarios the copies are made of.
const CELLS: [&str; 3] = [
    "shm-ring/bounded:8/64B/stream/cross-core",
    "shm-ring/bounded:1/64B/pingpong/cross-core",
    "shm-ring/bounded:8/64B/rate:10000/cross-core",
];

fn all() -> ResultsFile {
    ResultsFile::read(&fixture("all.json")).unwrap()
}

fn page(results: ResultsFile) -> String {
    render_html(&[Input { label: "all".into(), results }])
}

/// `s` as if run with `wait`: its id, choice and strategy set, its CPU
/// scaled by `cpu` and its latency (or time per message) by `latency`.
fn copy(s: &ScenarioResult, wait: WaitStrategy, cpu: f64, latency: f64) -> ScenarioResult {
    let mut c = s.clone();
    c.id = format!("{}/wait:{wait}", s.id);
    c.wait_asked = Wait::of(wait);
    c.wait = Some(wait);
    if let Some(cost) = &mut c.cpu {
        cost.producer_s_per_million *= cpu;
        cost.consumer_s_per_million *= cpu;
    }
    if let Some(m) = &mut c.msgs_per_s {
        m.median /= latency;
    }
    if let Some(l) = &mut c.latency {
        l.p50.median *= latency;
        if let Some(p99) = &mut l.p99 {
            p99.median *= latency;
        }
    }
    c
}

/// The fixture with `waits` copies of each of [`CELLS`] (each strategy
/// paying `cpu` and waiting `latency` times the original).
fn with_waits(waits: &[(WaitStrategy, f64, f64)]) -> ResultsFile {
    let mut results = all();
    for id in CELLS {
        let auto = results.scenarios.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("no {id}")).clone();
        for &(wait, cpu, latency) in waits {
            results.scenarios.push(copy(&auto, wait, cpu, latency));
        }
    }
    results
}

const EVERY_WAIT: [(WaitStrategy, f64, f64); 3] =
    [(WaitStrategy::Spin, 2.0, 1.0), (WaitStrategy::Yield, 1.5, 1.3), (WaitStrategy::Block, 0.4, 3.0)];

#[test]
fn explicit_waits_get_a_section_with_a_chart_per_pattern() {
    let page = page(with_waits(&EVERY_WAIT));
    assert!(page.contains("<a href=\"#waiting\">12. What waiting costs</a>"), "numbered after the ablation");
    assert!(page.contains("<a href=\"#floor\">13. The physical floor</a>"));
    let waiting = section(&page, "waiting");
    assert!(waiting.contains("burns a whole core") && waiting.contains("wake-up"), "the trade-off is said");
    let charts = svgs(waiting);
    assert_eq!(charts.len(), 3, "stream, pingpong, rate");
    for (k, (svg, pattern)) in charts.iter().zip(["stream", "pingpong", "rate:10000"]).enumerate() {
        assert!(waiting.contains(&format!("id=\"waiting-0-{k}\"")));
        let texts = svg_texts(svg);
        for label in ["spin", "yield", "block", "CPU-seconds per million messages (both sides)"] {
            assert!(texts.iter().any(|t| t == label), "{pattern}: {label} not in {texts:?}");
        }
        for wait in ["spin", "yield", "block"] {
            assert!(waiting.contains(&format!("<td>{}/wait:{wait}</td>", CELLS[k])), "{pattern} {wait}");
        }
    }
    // The table's numbers are the scenario's: both sides' CPU, and what a message waits.
    let results = with_waits(&EVERY_WAIT);
    let block = results.scenarios.iter().find(|s| s.id == format!("{}/wait:block", CELLS[1])).unwrap();
    let cpu = block.cpu.unwrap();
    assert!(waiting.contains(&reports::format::three_digits(cpu.producer_s_per_million + cpu.consumer_s_per_million)));
    let p50 = block.latency.as_ref().unwrap().p50.median;
    assert!(waiting.contains(&format!("{} (round-trip p50)", reports::format::ns(p50))), "{waiting}");
    write_preview("report-preview-waiting.html", &page);
}

#[test]
fn the_auto_scenario_joins_as_what_it_resolved_to_when_no_explicit_one_did() {
    let mut results = with_waits(&[(WaitStrategy::Block, 0.4, 3.0)]);
    for s in results.scenarios.iter_mut().filter(|s| CELLS.contains(&s.id.as_str())) {
        s.wait = Some(WaitStrategy::Spin);
    }
    let page = page(results);
    let waiting = section(&page, "waiting");
    let texts = svg_texts(svgs(waiting)[0]);
    assert!(texts.iter().any(|t| t == "block") && texts.iter().any(|t| t == "spin (auto)"), "{texts:?}");
    assert!(!texts.iter().any(|t| t == "yield"), "{texts:?}");
    assert!(waiting.contains(&format!("<td>{}</td>", CELLS[0])), "the auto scenario is in the table");
}

#[test]
fn without_explicit_waits_there_is_no_such_section() {
    let inputs = load_inputs(&[fixture("all.json"), fixture("quick.json")]).unwrap();
    for page in [render_html(&inputs[..1]), render_html(&inputs)] {
        assert!(!page.contains("id=\"waiting\""));
        assert!(!page.contains("What waiting costs"));
        assert!(page.contains("<a href=\"#floor\">12. The physical floor</a>"));
    }
}

#[test]
fn explicit_waits_never_take_an_auto_scenarios_place_in_the_comparisons() {
    let before = page(all());
    let after = page(with_waits(&EVERY_WAIT));
    // Everything but the floor's number, which the new section moves on by one.
    let body = |page: &str, id: &str| -> String {
        let s = section(page, id);
        s[s.find("</h2>").unwrap()..].to_owned()
    };
    for id in ["verdict", "throughput", "spectrum", "sizes", "capacity", "placement", "cpu", "ablation", "floor"] {
        assert!(body(&before, id) == body(&after, id), "section {id} changed");
    }
    // With several inputs, one without explicit waits says so in the section.
    let two = render_html(&[
        Input { label: "waits".into(), results: with_waits(&EVERY_WAIT) },
        Input { label: "plain".into(), results: all() },
    ]);
    assert!(section(&two, "waiting").contains("every one waited by auto"));
}
