//! Load curves in the results file and the report: a file without them
//! (written before sweeps existed) reads as having none, and the report
//! says so in one line; the curves of a real `all --quick` run
//! (`fixtures/load_curves.json`) survive a write and a read, and render
//! as the section "Latency against offered load": a chart per capacity
//! mode with a line per transport and the knee marked, and the knees'
//! table.

#[allow(dead_code)] // this test uses part of the shared support
mod support;

use reports::{load_inputs, render_html};
use scenarios::load_curves::LoadCurveResult;
use support::{fixture, section, svg_texts, svgs};

fn curves() -> Vec<LoadCurveResult> {
    serde_json::from_str(&std::fs::read_to_string(fixture("load_curves.json")).unwrap()).unwrap()
}

#[test]
fn a_file_without_load_curves_reads_as_none_and_the_section_says_so() {
    let inputs = load_inputs(&[fixture("quick.json")]).unwrap();
    assert!(inputs[0].results.load_curves.is_empty());
    let page = render_html(&inputs);
    let body = section(&page, "load");
    assert!(body.contains("No load sweep in this run"), "{body}");
    assert!(svgs(body).is_empty());
}

#[test]
fn load_curves_round_trip_and_render_with_their_knees() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = load_inputs(&[fixture("quick.json")]).unwrap();
    inputs[0].results.load_curves = curves();
    let path = dir.path().join("results.json");
    std::fs::write(&path, serde_json::to_string(&inputs[0].results).unwrap()).unwrap();
    let read = load_inputs(&[path]).unwrap();
    assert_eq!(read[0].results.load_curves, curves());

    let page = render_html(&read);
    let body = section(&page, "load");
    assert!(body.contains("Latency against offered load"), "{body}");
    let charts = svgs(body);
    assert_eq!(charts.len(), 1, "one capacity mode swept, one chart");
    for c in curves() {
        assert!(charts[0].contains(&c.transport.to_string()), "{} missing from the chart", c.transport);
        assert!(body.contains(&format!("<td>{}</td>", c.transport)), "{} missing from the knees", c.transport);
    }
    let texts = svg_texts(charts[0]);
    assert!(texts.iter().any(|t| t == "knee"), "the legend says what the triangle is: {texts:?}");
    assert!(body.contains("<th>knee</th>"));
}
