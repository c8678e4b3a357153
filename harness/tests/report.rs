//! `harness report` as a user runs it, and the report as a person sees it.
//!
//! The real binary renders real (trimmed) results files; then headless
//! Chromium opens the page twice: once to dump the DOM of a copy that
//! carries a small measuring script (the report itself has none), which
//! proves every chart is laid out with a non-zero size, and once to take a
//! screenshot of the whole page, which must not be blank. The screenshots
//! stay in `target/report-screenshots/` for a person to look at.
//!
//! Without `chromium` or `chromium-browser` on PATH the browser test is
//! skipped and says so in one line on the terminal (how to install it and
//! run it), so `cargo test --workspace` passes on a fresh machine. With
//! `RINGSIDE_REQUIRE_BROWSER=1` a missing browser fails the test instead;
//! `.ci/run` installs Chromium when missing and sets it.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The quick suite's results from a real run (the reports crate's fixture).
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/tests/fixtures/quick.json");

/// A real `harness all` run (the reports crate's fixture): every section of
/// the report has something to draw.
const FULL_FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/tests/fixtures/all.json");

/// The flags every Chromium run starts with (plus a fresh `--user-data-dir`).
const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// Set to `1`, a missing browser fails the browser test instead of skipping it.
const REQUIRE_BROWSER: &str = "RINGSIDE_REQUIRE_BROWSER";

/// How to get the browser test to run, for the skip line and the failure.
const HOW_TO_RUN: &str = "apt-get install chromium, then cargo test -p harness --test report";

/// Generous: a run takes seconds even on a busy two-core machine.
const CHROMIUM_DEADLINE: Duration = Duration::from_secs(120);

/// Screenshot width, and the tallest screenshot taken (a longer page is
/// shown down to this height).
const SHOT_WIDTH: u32 = 1280;
const SHOT_MAX_HEIGHT: u32 = 30_000;

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness")).args(args).output().expect("run harness")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `harness report` on `results` into `out`; the path it printed.
fn render(results: &[&Path], out: Option<&Path>) -> PathBuf {
    let mut args: Vec<&str> = vec!["report"];
    args.extend(results.iter().map(|p| p.to_str().unwrap()));
    if let Some(out) = out {
        args.extend(["--out", out.to_str().unwrap()]);
    }
    let run = harness(&args);
    assert!(run.status.success(), "harness {args:?}: {}", text(&run.stderr));
    PathBuf::from(text(&run.stdout).trim())
}

/// A copy of the fixture as `dir/name/results.json` (the folder names it in the report).
fn fixture_in(dir: &Path, name: &str) -> PathBuf {
    let folder = dir.join(name);
    fs::create_dir_all(&folder).unwrap();
    let path = folder.join("results.json");
    fs::copy(FIXTURE, &path).unwrap();
    path
}

#[test]
fn report_writes_one_self_contained_page_and_prints_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.html");
    let printed = render(&[Path::new(FIXTURE)], Some(&out));
    assert_eq!(printed, out);
    let page = fs::read_to_string(&out).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{}", &page[..page.len().min(200)]);
    assert!(page.trim_end().ends_with("</html>"));
    check_page_contract(&page);
}

/// What the renderer promises: no script, nothing fetched, every section an
/// `id` and a heading, every chart a figure with one inline SVG.
fn check_page_contract(page: &str) {
    let lower = page.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "the report carries a script");
    for fetch in ["src=\"http", "href=\"http", "src='http", "href='http", "url(http", "@import"] {
        assert!(!lower.contains(fetch), "the report fetches from the network: {fetch}");
    }
    for section in lower.split("<section").skip(1) {
        let tag = &section[..section.find('>').unwrap()];
        assert!(tag.contains("id="), "a section without an id: <section{tag}>");
        let body = &section[..section.find("</section>").unwrap_or(section.len())];
        assert!(body.contains("<h2"), "section <section{tag}> has no <h2>");
    }
    for figure in page.split("<figure class=\"chart\"").skip(1) {
        let tag = &figure[..figure.find('>').unwrap()];
        assert!(tag.contains("id="), "a chart without an id: <figure{tag}>");
        let body = &figure[..figure.find("</figure>").expect("an unclosed figure")];
        assert_eq!(body.matches("<svg").count(), 1, "chart {tag} should hold one inline svg");
    }
}

#[test]
fn report_defaults_beside_the_first_file_and_labels_each_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = fixture_in(dir.path(), "machine-a");
    let b = fixture_in(dir.path(), "machine-b");
    let printed = render(&[&a, &b], None);
    assert_eq!(printed, dir.path().join("machine-a").join("report.html"));
    let page = fs::read_to_string(&printed).unwrap();
    for label in ["machine-a", "machine-b"] {
        assert!(page.contains(label), "the report does not name input {label}");
    }
    // Written atomically: nothing left beside it but the results and the report.
    let mut left: Vec<String> = fs::read_dir(dir.path().join("machine-a"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["report.html", "results.json"]);
}

/// `harness run` of one short pipe scenario into `out`.
fn run_one_scenario(out: &Path) -> Output {
    harness(&[
        "run",
        "--transport",
        "pipe",
        "--capacity",
        "bounded:8",
        "--size",
        "64",
        "--pattern",
        "stream",
        "--trials",
        "1",
        "--duration",
        "20ms",
        "--out",
        out.to_str().unwrap(),
    ])
}

#[test]
fn a_finished_run_writes_report_html_and_prints_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let run = run_one_scenario(&out);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    let report = out.join("report.html");
    assert!(stdout.lines().any(|l| l == format!("report:  {}", report.display())), "{stdout}");
    check_page_contract(&fs::read_to_string(&report).unwrap());
    // The verdict printed is the one of the results written.
    let inputs = reports::load_inputs(&[out.join("results.json")]).unwrap();
    let verdict = reports::verdict_table(&inputs);
    assert!(stdout.contains(verdict.trim_end()), "verdict missing from:\n{stdout}");
}

#[test]
fn a_report_that_cannot_be_written_keeps_the_results_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    fs::create_dir_all(out.join("report.html")).unwrap(); // a folder where the file should go
    let run = run_one_scenario(&out);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("harness: the report was not written") && last.contains("report.html"), "{err}");
    let results = scenarios::results::ResultsFile::read(&out.join("results.json")).unwrap();
    assert_eq!(results.scenarios.len(), 1);
    assert!(out.join("results.csv").is_file());
}

#[test]
fn bad_report_input_is_one_line_naming_the_file_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let not_json = dir.path().join("notes.json");
    fs::write(&not_json, "this is not json\n").unwrap();
    let other_version = dir.path().join("future.json");
    let mut value: serde_json::Value = serde_json::from_str(&fs::read_to_string(FIXTURE).unwrap()).unwrap();
    value["schema_version"] = serde_json::json!(999);
    fs::write(&other_version, value.to_string()).unwrap();
    let missing = dir.path().join("missing.json");
    let out = dir.path().join("never.html");

    let cases: [(&Path, &str); 3] =
        [(&missing, "No such file"), (&not_json, "not a ringside results file"), (&other_version, "999")];
    for (file, expect) in cases {
        let run = harness(&["report", file.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        let err = text(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{file:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{file:?}: {err}");
        assert!(err.starts_with("harness: "), "{err}");
        assert!(err.contains(file.to_str().unwrap()), "{err:?} should name the file");
        assert!(err.contains(expect), "{err:?} should mention {expect:?}");
        assert!(!out.exists(), "a report was written from bad input {file:?}");
    }

    let run = harness(&["report"]);
    let err = text(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("FILES"), "{err:?} should say the files are missing");
}

/// The load curves of a real `harness all --quick` run (ring and pipe at
/// bounded:8), grafted onto [`FULL_FIXTURE`], which predates them.
const LOAD_CURVES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../reports/tests/fixtures/load_curves.json");

/// [`FULL_FIXTURE`] with [`LOAD_CURVES`], as `dir/all/results.json`.
fn full_fixture_with_load_curves(dir: &Path) -> PathBuf {
    let mut results: serde_json::Value = serde_json::from_str(&fs::read_to_string(FULL_FIXTURE).unwrap()).unwrap();
    results["load_curves"] = serde_json::from_str(&fs::read_to_string(LOAD_CURVES).unwrap()).unwrap();
    let folder = dir.join("all");
    fs::create_dir_all(&folder).unwrap();
    let path = folder.join("results.json");
    fs::write(&path, serde_json::to_string(&results).unwrap()).unwrap();
    path
}

/// The section "Latency against offered load": its heading, a chart per
/// capacity mode, and the table of knees.
fn check_load_section(page: &str) {
    let start = page.find("<section id=\"load\">").expect("no load section");
    let section = &page[start..start + page[start..].find("</section>").unwrap()];
    assert!(section.contains("Latency against offered load</h2>"), "{}", &section[..200.min(section.len())]);
    assert!(section.contains("<figure class=\"chart\" id=\"load-0-0\">") && section.contains("<svg"));
    assert!(section.contains("<th>knee</th>") && section.contains("<td>pipe</td>"), "no table of knees");
}

#[test]
fn report_in_headless_chromium_is_not_blank_and_every_chart_has_a_size() {
    let Some(chromium) = chromium_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let fixture = full_fixture_with_load_curves(dir.path());
    let report = render(&[&fixture], Some(&dir.path().join("report.html")));
    check_load_section(&fs::read_to_string(&report).unwrap());

    // 1. Layout: a copy of the page that measures itself once loaded.
    let measured = dir.path().join("measured.html");
    let page = fs::read_to_string(&report).unwrap();
    let at = page.rfind("</body>").expect("the report has a </body>");
    fs::write(&measured, format!("{}{MEASURE_SCRIPT}{}", &page[..at], &page[at..])).unwrap();
    let dom = run_chromium(&chromium, &["--virtual-time-budget=5000", "--dump-dom"], &measured, dir.path());
    let layout = Layout::parse(&dom);
    assert!(!layout.charts.is_empty(), "the report has no <figure class=\"chart\">");
    assert!(layout.charts.iter().any(|c| c.id == "load-0-0"), "the load chart was not laid out");
    for chart in &layout.charts {
        assert!(chart.figure.0 > 0.0 && chart.figure.1 > 0.0, "chart {} is laid out {:?}", chart.id, chart.figure);
        let svg = chart.svg.unwrap_or_else(|| panic!("chart {} has no svg", chart.id));
        assert!(svg.0 > 0.0 && svg.1 > 0.0, "the svg of chart {} is laid out {svg:?}", chart.id);
    }

    // 2. Looks: the whole page (as tall as the layout run measured it) in one shot.
    let height = (layout.page_height.ceil() as u32).clamp(600, SHOT_MAX_HEIGHT);
    let shots = screenshot_dir();
    let shot = shots.join("report.png");
    let _ = fs::remove_file(&shot);
    run_chromium(
        &chromium,
        &[&format!("--screenshot={}", shot.display()), &format!("--window-size={SHOT_WIDTH},{height}")],
        &report,
        dir.path(),
    );
    println!("screenshot of the report: {}", shot.display());
    if layout.page_height > f64::from(SHOT_MAX_HEIGHT) {
        println!("(the page is {} px tall; the screenshot shows its top {SHOT_MAX_HEIGHT} px)", layout.page_height);
    }
    check_not_blank(&shot);
}

/// Injected into a copy of the report: once the page has loaded, one line
/// per `figure.chart` (`id figure-width figure-height svg-width svg-height`,
/// `-` for a missing svg) and the page's height, in `<pre id="sizes">`.
const MEASURE_SCRIPT: &str = r#"<script>
window.addEventListener("load", function () {
  var lines = ["page " + document.documentElement.scrollHeight];
  document.querySelectorAll("figure.chart").forEach(function (figure) {
    var f = figure.getBoundingClientRect();
    var svg = figure.querySelector("svg");
    var s = svg ? svg.getBoundingClientRect() : null;
    lines.push(["chart", figure.id || "(no-id)", f.width, f.height, s ? s.width : "-", s ? s.height : "-"].join(" "));
  });
  var out = document.createElement("pre");
  out.id = "sizes";
  out.textContent = lines.join("\n");
  document.body.appendChild(out);
});
</script>
"#;

/// A chart as Chromium laid it out: (width, height) in CSS pixels.
#[derive(Debug)]
struct ChartBox {
    id: String,
    figure: (f64, f64),
    svg: Option<(f64, f64)>,
}

/// What the measuring script wrote into the dumped DOM.
#[derive(Debug)]
struct Layout {
    page_height: f64,
    charts: Vec<ChartBox>,
}

impl Layout {
    fn parse(dom: &str) -> Layout {
        let start = dom.find("<pre id=\"sizes\">").unwrap_or_else(|| {
            panic!("the measuring script wrote nothing; dumped DOM ends:\n{}", &dom[dom.len().saturating_sub(2000)..])
        }) + "<pre id=\"sizes\">".len();
        let sizes = &dom[start..start + dom[start..].find("</pre>").expect("an unclosed <pre id=\"sizes\">")];
        let number = |s: &str| s.parse::<f64>().unwrap_or_else(|_| panic!("not a size: {s:?} in {sizes:?}"));
        let mut layout = Layout { page_height: 0.0, charts: Vec::new() };
        for line in sizes.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["page", h] => layout.page_height = number(h),
                ["chart", id, fw, fh, "-", "-"] => {
                    layout.charts.push(ChartBox { id: id.to_string(), figure: (number(fw), number(fh)), svg: None })
                }
                ["chart", id, fw, fh, sw, sh] => layout.charts.push(ChartBox {
                    id: id.to_string(),
                    figure: (number(fw), number(fh)),
                    svg: Some((number(sw), number(sh))),
                }),
                _ => panic!("unexpected line {line:?} in {sizes:?}"),
            }
        }
        layout
    }
}

/// A page with anything on it has many colours (text is anti-aliased,
/// charts are coloured) and many pixels unlike the background.
fn check_not_blank(png_path: &Path) {
    let decoder = png::Decoder::new(std::io::BufReader::new(File::open(png_path).unwrap()));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a PNG of sane size")];
    let frame = reader.next_frame(&mut pixels).expect("a decodable PNG");
    let channels = frame.color_type.samples();
    assert!(frame.bit_depth == png::BitDepth::Eight, "unexpected bit depth {:?}", frame.bit_depth);
    let pixels = &pixels[..frame.buffer_size()];
    let background = &pixels[..channels];
    let mut colours = std::collections::HashSet::new();
    let mut unlike_background = 0usize;
    for pixel in pixels.chunks_exact(channels) {
        colours.insert(pixel.to_vec());
        unlike_background += usize::from(pixel != background);
    }
    let total = pixels.len() / channels;
    println!(
        "screenshot {}x{}: {} distinct colours, {unlike_background} of {total} pixels unlike the background",
        frame.width,
        frame.height,
        colours.len()
    );
    assert!(colours.len() >= 16, "the screenshot is blank: {} colours", colours.len());
    assert!(unlike_background * 200 >= total, "the screenshot is nearly blank: {unlike_background} of {total} pixels");
}

/// `target/report-screenshots/`, created.
fn screenshot_dir() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("CARGO_TARGET_TMPDIR is target/tmp");
    let dir = target.join("report-screenshots");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `chromium` or `chromium-browser` on PATH.
fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    ["chromium", "chromium-browser"]
        .into_iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Chromium for the browser test; `None` (after one line on the terminal
/// saying the test was skipped and how to run it) when there is none. A
/// panic instead where [`REQUIRE_BROWSER`] is `1`.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = find_chromium();
    if found.is_none() {
        let required = std::env::var_os(REQUIRE_BROWSER).is_some_and(|v| v == "1");
        assert!(!required, "{REQUIRE_BROWSER}=1, and neither chromium nor chromium-browser is on PATH: {HOW_TO_RUN}");
        // Straight to stderr, not through `eprintln!`: libtest captures what
        // the print macros write in a test that passes, and this must show.
        let _ = writeln!(
            std::io::stderr(),
            "report browser test SKIPPED: neither chromium nor chromium-browser is on PATH; to run it: {HOW_TO_RUN}"
        );
    }
    found
}

/// Run Chromium on `page` with the required flags, `mode` and a fresh
/// profile; its stdout. Killed (with every process it started) if it runs
/// past the deadline.
fn run_chromium(chromium: &Path, mode: &[&str], page: &Path, work: &Path) -> String {
    let profile = tempfile::tempdir_in(work).unwrap();
    let stdout_path = work.join("chromium.stdout");
    let stderr_path = work.join("chromium.stderr");
    let mut child = Command::new(chromium)
        .args(CHROMIUM_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(mode)
        .arg(format!("file://{}", page.canonicalize().unwrap().display()))
        .stdin(Stdio::null())
        .stdout(File::create(&stdout_path).unwrap())
        .stderr(File::create(&stderr_path).unwrap())
        .process_group(0) // its renderer and helpers too, so a kill reaches them all
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot start: {e}", chromium.display()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > CHROMIUM_DEADLINE {
            let group = rustix::process::Pid::from_child(&child);
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            let _ = child.wait();
            panic!(
                "chromium {mode:?} still running after {CHROMIUM_DEADLINE:?}, killed; stderr ends:\n{}",
                tail(&stderr_path)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium {mode:?} failed ({status}); stderr ends:\n{}", tail(&stderr_path));
    fs::read_to_string(&stdout_path).unwrap()
}

/// The last lines of a log, for a failure message.
fn tail(path: &Path) -> String {
    let log = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
