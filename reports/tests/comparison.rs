//! The comparison page rendered from real results (the trimmed `harness
//! all` run in tests/fixtures): a regression and an improvement made by
//! scaling one stream scenario's trials each, an A/A comparison of the
//! file against itself, a new side where every scenario failed, and a
//! scenario unstable in base, whose note every rendering shows. The
//! fixture's own unstable scenarios are inconclusive, with their notes, in
//! every comparison of it. The page's charts parse, its banner and
//! highlights follow the verdicts, its text is escaped, and it fetches
//! nothing.

mod support;

use ci::{Comparison, Settings, Side, Verdict};
use scenarios::Status;
use scenarios::results::ResultsFile;
use vocabulary::Pattern;

fn fixture() -> ResultsFile {
    ResultsFile::read(&support::fixture("all.json")).unwrap()
}

/// Ids of the stable stream scenarios measured with at least two used
/// trials whose fastest is within 30% of their slowest: scaled by 0.6 or
/// 1.6, every used trial of new lands beyond every used trial of base.
fn steady_streams(results: &ResultsFile) -> Vec<String> {
    results
        .scenarios
        .iter()
        .filter(|s| s.pattern == Pattern::Stream && s.status == Status::Ok && s.unstable.is_none())
        .filter(|s| {
            let used = s.used_trials().count();
            let rates: Vec<f64> = s.used_trials().filter_map(|t| t.msgs_per_s).collect();
            let (lo, hi) = rates.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            used >= 2 && rates.len() == used && hi < 1.3 * lo
        })
        .map(|s| s.id.clone())
        .collect()
}

/// Ids of the scenarios the file marks unstable.
fn unstable_ids(results: &ResultsFile) -> Vec<&str> {
    results.scenarios.iter().filter(|s| s.unstable.is_some()).map(|s| s.id.as_str()).collect()
}

/// `results` with no scenario marked unstable: for a test about one
/// unstable scenario, or about metrics that are all judged.
fn without_unstable(mut results: ResultsFile) -> ResultsFile {
    for s in &mut results.scenarios {
        s.unstable = None;
    }
    results
}

/// How the chart labels a row.
fn chart_label(row: &ci::Row) -> String {
    format!("{} {}", row.scenario, row.metric)
}

/// The text nodes of `texts` that label one of the comparison's rows, sorted.
fn charted_labels(c: &Comparison, texts: &[String]) -> Vec<String> {
    let labels: Vec<String> = c.rows.iter().map(chart_label).collect();
    let mut charted: Vec<String> = texts.iter().filter(|t| labels.contains(t)).cloned().collect();
    charted.sort();
    charted
}

/// `results` with every trial of scenario `id` running at `factor` times its rate.
fn scaled(mut results: ResultsFile, id: &str, factor: f64) -> ResultsFile {
    let scenario = results.scenarios.iter_mut().find(|s| s.id == id).unwrap();
    for trial in &mut scenario.trials {
        trial.msgs_per_s = trial.msgs_per_s.map(|r| r * factor);
    }
    results
}

/// The text nodes of every chart in the page, each checked to parse as XML.
fn charts(page: &str) -> Vec<Vec<String>> {
    support::svgs(page).into_iter().map(support::svg_texts).collect()
}

/// The body of `<section id="id">`, if the page has it.
fn section<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let start = page.find(&format!("<section id=\"{id}\">"))?;
    Some(&page[start..start + page[start..].find("</section>").unwrap()])
}

/// The table rows (`<tr ...>...</tr>`) of some HTML.
fn table_rows(html: &str) -> Vec<&str> {
    html.match_indices("<tr").map(|(start, _)| &html[start..start + html[start..].find("</tr>").unwrap()]).collect()
}

fn fetches_nothing(page: &str) {
    let lower = page.to_lowercase();
    for banned in ["<script", "http", "@import", "url(", "=\"//"] {
        assert!(!lower.contains(banned), "page contains {banned}");
    }
}

#[test]
fn a_regression_is_highlighted_and_fails_the_banner() {
    let base = fixture();
    let steady = steady_streams(&base);
    assert!(steady.len() >= 2, "the fixture has {} steady stream scenarios", steady.len());
    let (slower, faster) = (&steady[0], &steady[1]);
    let new = scaled(scaled(base.clone(), slower, 0.6), faster, 1.6);
    let unstable = unstable_ids(&base);
    let c = Comparison::new(
        &Side::from_runs("base", vec![base.clone()]),
        &Side::from_runs("new", vec![new]),
        &Settings::default(),
    );
    let regressed: Vec<&str> = c.with(Verdict::Regressed).map(|r| r.scenario.as_str()).collect();
    let improved: Vec<&str> = c.with(Verdict::Improved).map(|r| r.scenario.as_str()).collect();
    assert_eq!((regressed, improved), (vec![slower.as_str()], vec![faster.as_str()]));
    // The fixture's own unstable scenarios are never judged: inconclusive,
    // with a note; every other metric is unchanged.
    let noted: Vec<&ci::Row> = c.rows.iter().filter(|r| r.note.is_some()).collect();
    assert!(noted.len() > 1, "the fixture compares {} metrics of unstable scenarios", noted.len());
    for row in &c.rows {
        let judged = row.scenario != *slower && row.scenario != *faster;
        match (unstable.contains(&row.scenario.as_str()), judged) {
            (true, _) => assert!(row.verdict == Verdict::Inconclusive && row.note.is_some(), "{row:?}"),
            (false, true) => assert!(row.verdict == Verdict::Unchanged && row.note.is_none(), "{row:?}"),
            (false, false) => assert!(row.note.is_none(), "{row:?}"),
        }
    }

    let page = reports::comparison::html(&c);
    fetches_nothing(&page);
    assert!(page.contains("<h1>ringside comparison</h1>"));
    assert!(page.contains("<div class=\"banner fail\">1 regression</div>"), "no failing banner");

    let regressions = section(&page, "regressed").expect("a regressions table");
    let rows = table_rows(regressions);
    let row = rows.iter().find(|r| r.contains(&format!("<td>{slower}</td>"))).expect("the regression's row");
    assert!(row.starts_with("<tr class=\"breaks-gate\">"), "{row}");
    // The change is the scaling, as the table prints it.
    assert!(row.contains("<td>-40.0%</td>"), "{row}");
    let improvements = section(&page, "improved").expect("an improvements table");
    let row = table_rows(improvements).into_iter().find(|r| r.contains(faster.as_str())).expect("improvement row");
    assert!(row.starts_with("<tr>") && row.contains("<td>+60.0%</td>"), "{row}");
    // Every metric is in the full table, the regression marked there too.
    let all = section(&page, "all-metrics").expect("the table of all metrics");
    assert_eq!(table_rows(all).len(), c.rows.len() + 1);
    assert_eq!(all.matches("<tr class=\"breaks-gate\"><td>regressed</td>").count(), 1);

    // The chart has the two that moved and the unstable scenarios'
    // inconclusive metrics, and nothing else.
    let texts = charts(&page);
    assert_eq!(texts.len(), 1);
    let mut expected = vec![format!("{slower} throughput"), format!("{faster} throughput")];
    expected.extend(noted.iter().map(|r| chart_label(r)));
    expected.sort();
    assert_eq!(charted_labels(&c, &texts[0]), expected);
    for verdict in ["regressed", "improved", "inconclusive", "unchanged"] {
        assert!(texts[0].iter().any(|t| t == verdict), "{verdict} not in the legend");
    }
    let svg_start = page.find("<svg").unwrap();
    assert!(page[svg_start..].contains("#C62828") || page[svg_start..].contains("#c62828"), "no red in the chart");
    assert!(page.contains("for throughput right is better, for latency left is better"));
    let unchanged = c.with(Verdict::Unchanged).count();
    assert_eq!(unchanged, c.rows.len() - 2 - noted.len());
    assert!(page.contains(&format!("the {unchanged} unchanged")));
    assert!(page.contains(&format!("{} charted metrics are of scenarios unstable on a side", noted.len())));

    // Only the tables with an unstable scenario's metric have a note column.
    assert!(!regressions.contains("<th>note</th>") && !improvements.contains("<th>note</th>"));
    let inconclusive = section(&page, "inconclusive").expect("an inconclusive table");
    assert!(inconclusive.contains("<th>note</th>"));
    assert_eq!(table_rows(inconclusive).len(), noted.len() + 1);
    for row in &noted {
        let note = reports_escape(row.note.as_deref().unwrap());
        assert!(inconclusive.contains(&format!("<td>{note}</td>")), "{} has no note", row.scenario);
    }

    // Scenarios without trials in the trimmed fixture are listed, not compared.
    let skipped = section(&page, "not-compared").expect("the not-compared table");
    assert_eq!(table_rows(skipped).len(), c.skipped.len() + 1);

    support::write_preview("comparison-preview.html", &page);
}

#[test]
fn an_aa_comparison_passes_and_charts_its_largest_changes() {
    let results = fixture();
    let unstable = unstable_ids(&results);
    let side = Side::from_runs("all", vec![results.clone()]);
    let (c, _) = Comparison::aa(&side, &side, &Settings::default());
    assert!(c.passes() && c.rows.len() > 30, "{} rows", c.rows.len());
    let page = reports::comparison::html(&c);
    fetches_nothing(&page);
    let banner = format!("<div class=\"banner pass\">A/A: {} metrics measured for noise", c.rows.len());
    assert!(page.contains(&banner), "no passing banner");
    assert!(!page.contains("breaks-gate\">"), "a highlighted row in a passing comparison");
    assert!(page.contains("noise over "), "no noise summary");
    // Identical sides: every ratio is 1, nothing moved; the fixture's
    // unstable scenarios are never judged, so inconclusive, and charted.
    assert!(c.rows.iter().all(|r| r.ratio == 1.0));
    let (noted, judged): (Vec<&ci::Row>, Vec<&ci::Row>) = c.rows.iter().partition(|r| r.note.is_some());
    assert!(!noted.is_empty() && !judged.is_empty());
    assert!(noted.iter().all(|r| unstable.contains(&r.scenario.as_str()) && r.verdict == Verdict::Inconclusive));
    assert!(judged.iter().all(|r| !unstable.contains(&r.scenario.as_str()) && r.verdict == Verdict::Unchanged));
    let texts = charts(&page);
    assert_eq!(texts.len(), 1);
    let mut expected: Vec<String> = noted.iter().map(|r| chart_label(r)).collect();
    expected.sort();
    assert_eq!(charted_labels(&c, &texts[0]), expected);
    assert!(page.contains(&format!("Charted: every regressed, improved or inconclusive metric ({})", noted.len())));

    // Without unstable scenarios nothing moved: the 30 largest changes are charted.
    let side = Side::from_runs("all", vec![without_unstable(results)]);
    let (c, _) = Comparison::aa(&side, &side, &Settings::default());
    assert!(c.passes() && c.rows.len() > 30, "{} rows", c.rows.len());
    assert!(c.rows.iter().all(|r| r.ratio == 1.0 && r.verdict == Verdict::Unchanged && r.note.is_none()));
    let page = reports::comparison::html(&c);
    let texts = charts(&page);
    assert_eq!(texts.len(), 1);
    assert_eq!(charted_labels(&c, &texts[0]).len(), 30);
    assert!(page.contains("No metric moved beyond its threshold: charted are the 30 with the largest change"));
    assert!(section(&page, "regressed").is_none() && section(&page, "all-metrics").is_some());

    let plain = Comparison::new(&side, &side, &Settings::default());
    assert!(reports::comparison::html(&plain).contains("<div class=\"banner pass\">no regression</div>"));
}

#[test]
fn a_new_side_that_failed_everywhere_lists_every_scenario_as_not_compared() {
    let base = fixture();
    let mut new = base.clone();
    for s in &mut new.scenarios {
        s.status = Status::Failed;
        s.reason = Some("consumer saw <lost> messages & gave up".into());
    }
    let c = Comparison::new(
        &Side::from_runs("base", vec![base.clone()]),
        &Side::from_runs("new", vec![new]),
        &Settings::default(),
    );
    assert!(c.rows.is_empty());
    let page = reports::comparison::html(&c);
    fetches_nothing(&page);
    let broken = c.broken().count();
    assert!(broken > 0);
    assert!(page.contains(&format!("<div class=\"banner fail\">{broken} scenarios failed in new</div>")));
    assert!(charts(&page).is_empty());
    assert!(page.contains("No ratio chart: no metric compared (every scenario was skipped)."));
    let skipped = section(&page, "not-compared").expect("the not-compared table");
    let rows = table_rows(skipped);
    assert_eq!(rows.len(), base.scenarios.len() + 1);
    for s in &base.scenarios {
        assert!(rows.iter().any(|r| r.contains(&format!("<td>{}</td>", s.id))), "{} not listed", s.id);
    }
    // What breaks the gate comes first, highlighted; the reason is escaped.
    let marked = rows.iter().filter(|r| r.starts_with("<tr class=\"breaks-gate\">")).count();
    assert_eq!(marked, broken);
    assert!(rows[1..=broken].iter().all(|r| r.contains("breaks the gate: FAILED in new")));
    assert!(page.contains("consumer saw &lt;lost&gt; messages &amp; gave up") && !page.contains("<lost>"));
}

#[test]
fn names_are_escaped_in_the_page_and_the_chart() {
    let mut base = fixture();
    let id = steady_streams(&base)[0].clone();
    let odd = format!("{id}<&>\"'");
    base.scenarios.iter_mut().find(|s| s.id == id).unwrap().id = odd.clone();
    let new = scaled(base.clone(), &odd, 0.5);
    let c = Comparison::new(
        &Side::from_runs("base <b>", vec![base]),
        &Side::from_runs("new", vec![new]),
        &Settings::default(),
    );
    assert_eq!(c.with(Verdict::Regressed).count(), 1);
    let page = reports::comparison::html(&c);
    assert!(!page.contains("<&>") && !page.contains("<b>"));
    assert!(page.contains("base &lt;b&gt;"));
    assert!(page.contains(&format!("<td>{}</td>", reports_escape(&odd))));
    let texts = charts(&page);
    assert!(texts[0].contains(&format!("{odd} throughput")), "the chart's label lost its characters");
}

#[test]
fn an_unstable_scenario_is_inconclusive_with_its_note_in_every_rendering() {
    // The fixture's own unstable scenarios left out: this one is the only one.
    let mut base = without_unstable(fixture());
    let id = steady_streams(&base)[0].clone();
    // Half the speed in new: a regression, were the scenario stable in base.
    let new = scaled(base.clone(), &id, 0.5);
    let why = "two modes: 2 trials near 1.2 M msgs/s, 1 near <2.0> M msgs/s";
    base.scenarios.iter_mut().find(|s| s.id == id).unwrap().unstable = Some(why.into());
    let c =
        Comparison::new(&Side::from_runs("base", vec![base]), &Side::from_runs("new", vec![new]), &Settings::default());
    let note = format!("unstable in base: {why}");
    let noted: Vec<_> = c.rows.iter().filter(|r| r.note.is_some()).collect();
    assert_eq!(noted.len(), 1);
    assert_eq!((noted[0].scenario.as_str(), noted[0].verdict), (id.as_str(), Verdict::Inconclusive));
    assert_eq!(noted[0].note.as_deref(), Some(note.as_str()));
    assert!(c.passes());

    let text = reports::comparison::terminal(&c, false);
    let inconclusive = &text[text.find("INCONCLUSIVE (").expect("an inconclusive table")..];
    let header = inconclusive.lines().nth(1).unwrap();
    assert!(header.trim_start().starts_with("scenario") && header.trim_end().ends_with("note"), "{header}");
    let line = inconclusive.lines().find(|l| l.contains(id.as_str())).unwrap();
    assert!(line.trim_end().ends_with(&note), "{line}");
    assert!(text.contains("inconclusive (1 of unstable scenarios, never judged)"), "{text}");
    assert!(text.ends_with("no regression\n"), "{text}");

    let markdown = reports::comparison::markdown(&c);
    assert!(markdown.contains("| scenario | metric | base | new | change | interval | threshold | note |"));
    let escaped = note.replace('<', "&lt;").replace('>', "&gt;");
    let line = markdown.lines().find(|l| l.starts_with(&format!("| `{id}`"))).unwrap();
    assert!(line.ends_with(&format!("| {escaped} |")), "{line}");

    let page = reports::comparison::html(&c);
    fetches_nothing(&page);
    assert!(page.contains("<div class=\"banner pass\">no regression</div>"));
    let inconclusive = section(&page, "inconclusive").expect("an inconclusive table");
    assert!(inconclusive.contains("<th>note</th>"));
    let row = table_rows(inconclusive).into_iter().find(|r| r.contains(&format!("<td>{id}</td>"))).unwrap();
    assert!(row.starts_with("<tr>") && row.contains(&format!("<td>{}</td>", reports_escape(&note))), "{row}");
    assert!(!page.contains(why), "the note is escaped");
    assert!(page.contains("One charted metric is of a scenario unstable on a side: never judged"));
    let all = section(&page, "all-metrics").expect("the table of all metrics");
    assert!(all.contains("<th>note</th>") && all.contains(&format!("<td>{}</td>", reports_escape(&note))));
}

/// HTML escaping as the page does it.
fn reports_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
