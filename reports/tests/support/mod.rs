//! What the report's tests share: the real fixtures, and reading a page's
//! charts back (every `<svg>` must parse as XML; its text nodes are what a
//! reader sees).

use std::path::PathBuf;

/// A results file of `tests/fixtures`: trimmed real schema-2 runs on a
/// 2-vCPU VM. `all.json`: a full `harness all` run (10 rounds; the machine
/// in two states), every trial's histogram dropped, trials kept only for the
/// 64-byte cross-core streams and pingpongs at the comparison's capacities,
/// merged histograms only at 64 bytes. `quick.json`: a `harness all
/// --quick` run, trials' histograms dropped, and one scenario
/// (`shm-ring/bounded:8/64B/stream/cross-core`) marked failed by hand so
/// that the failure paths render.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Every `<svg>...</svg>` in the page.
pub fn svgs(page: &str) -> Vec<&str> {
    page.match_indices("<svg")
        .map(|(start, _)| &page[start..start + page[start..].find("</svg>").unwrap() + 6])
        .collect()
}

/// All text nodes of an SVG, after checking it parses as XML and is sized.
pub fn svg_texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("SVG does not parse: {e}\n{svg}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert!(root.attribute("width").is_some() || root.attribute("viewBox").is_some());
    doc.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Write `page` as `target/NAME` of the workspace, to open in a browser.
pub fn write_preview(name: &str, page: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target").join(name);
    std::fs::write(&path, page).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The `<section id="ID">` of a page, to its end.
#[allow(dead_code)] // not every test crate that includes this module reads sections
pub fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("<section id=\"{id}\">")).unwrap_or_else(|| panic!("no section {id}"));
    &page[start..start + page[start..].find("</section>").unwrap()]
}
