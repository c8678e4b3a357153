//! The regression gate as a user runs it: `harness compare` on real results
//! (the quick suite's fixture) and on copies with a known change, its exit
//! statuses (0 pass, 3 regression, 2 bad input), the files it writes, and
//! `all --save-baseline` / `--baseline` end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn harness(args: &[&str], baselines: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_harness"));
    command.args(args);
    match baselines {
        Some(dir) => command.env("RINGSIDE_BASELINES", dir),
        None => command.env_remove("RINGSIDE_BASELINES"),
    };
    command.output().expect("run harness")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The quick suite's real results (10 trials per scenario).
fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/quick.json")
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Write `results` to `dir/name/results.json`.
fn write(dir: &Path, name: &str, results: &Value) -> PathBuf {
    let path = dir.join(name).join("results.json");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string(results).unwrap()).unwrap();
    path
}

/// Scenario `id` of `results`.
fn scenario<'a>(results: &'a mut Value, id: &str) -> &'a mut Value {
    results["scenarios"].as_array_mut().unwrap().iter_mut().find(|s| s["id"] == id).unwrap()
}

/// A copy of the fixture in `dir/name/results.json` with every trial's
/// throughput of scenario `id` multiplied by `factor`.
fn scaled(dir: &Path, name: &str, id: &str, factor: f64) -> PathBuf {
    let mut results = read(&fixture());
    for trial in scenario(&mut results, id)["trials"].as_array_mut().unwrap() {
        let v = trial["msgs_per_s"].as_f64().unwrap();
        trial["msgs_per_s"] = Value::from(v * factor);
    }
    write(dir, name, &results)
}

/// The fixture's stream scenario measured `ok` and stable whose used
/// trials agree best (some real ones differ a hundredfold between trials).
fn a_stream_id() -> String {
    let results = read(&fixture());
    let spread = |s: &Value| {
        let used = s["trials"].as_array().unwrap().iter().filter(|t| t["used"] == true);
        let v: Vec<f64> = used.map(|t| t["msgs_per_s"].as_f64().unwrap()).collect();
        v.iter().cloned().fold(f64::MIN, f64::max) / v.iter().cloned().fold(f64::MAX, f64::min)
    };
    let streams = results["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["pattern"] == "stream" && s["status"] == "ok" && s["unstable"].is_null());
    let best = streams.min_by(|a, b| spread(a).total_cmp(&spread(b))).unwrap();
    best["id"].as_str().unwrap().to_owned()
}

/// The fixture's pingpong scenario measured `ok` and stable with a p99 in
/// every used trial.
fn a_pingpong_id() -> String {
    let results = read(&fixture());
    let pingpongs = results["scenarios"].as_array().unwrap().iter().filter(|s| {
        s["pattern"] == "pingpong"
            && s["status"] == "ok"
            && s["unstable"].is_null()
            && s["trials"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|t| t["used"] == true)
                .all(|t| t["latency"]["p99"].is_f64())
    });
    pingpongs.map(|s| s["id"].as_str().unwrap().to_owned()).next().expect("a stable pingpong with p99s")
}

#[test]
fn a_scenario_twice_as_slow_fails_the_gate_and_an_unstable_one_never_does() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture();
    // Throughput halved.
    let id = a_stream_id();
    let halved = scaled(dir.path(), "halved", &id, 0.5);
    let out = harness(&["compare", f.to_str().unwrap(), halved.to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    let regressed = stdout.split("REGRESSED (1):").nth(1).unwrap_or_else(|| panic!("one regression:\n{stdout}"));
    assert!(regressed.lines().any(|l| l.contains(&id) && l.contains("-50.0%")), "{stdout}");

    // Latency doubled: p50 and p99 both regress.
    let ping = a_pingpong_id();
    let mut results = read(&f);
    for trial in scenario(&mut results, &ping)["trials"].as_array_mut().unwrap() {
        for q in ["p50", "p99"] {
            let v = trial["latency"][q].as_f64().unwrap();
            trial["latency"][q] = Value::from(v * 2.0);
        }
    }
    let doubled = write(dir.path(), "doubled", &results);
    let out = harness(&["compare", f.to_str().unwrap(), doubled.to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(stdout.contains("REGRESSED (2):") && stdout.matches(ping.as_str()).count() >= 2, "{stdout}");

    // The halved scenario marked unstable in new: inconclusive, with the reason; the gate passes.
    let mut results = read(&halved);
    scenario(&mut results, &id)["unstable"] = Value::from("two modes: 5 trials near 1, 5 near 2");
    let unstable = write(dir.path(), "unstable", &results);
    let out = harness(&["compare", f.to_str().unwrap(), unstable.to_str().unwrap()], None);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let line = stdout.lines().find(|l| l.contains(&id)).unwrap_or_else(|| panic!("{id} not listed:\n{stdout}"));
    assert!(line.contains("unstable in new: two modes"), "{line}");
    assert!(stdout.contains("0 regressed"), "{stdout}");
}

#[test]
fn a_file_against_itself_passes_with_every_stable_metric_unchanged() {
    let f = fixture();
    let out = harness(&["compare", f.to_str().unwrap(), f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    let counts = stdout.lines().find(|l| l.contains(" regressed, ")).unwrap_or_else(|| panic!("{stdout}"));
    assert!(counts.starts_with("0 regressed, 0 improved, "), "{counts}");
    // The only inconclusive metrics are those of the fixture's unstable scenarios.
    let inconclusive = counts.split(" inconclusive").next().and_then(|s| s.rsplit(' ').next()).unwrap();
    if inconclusive != "0" {
        assert!(counts.contains(&format!("({inconclusive} of unstable scenarios")), "{counts}");
    }
    assert!(stdout.trim_end().ends_with("no regression"), "{stdout}");
}

#[test]
fn a_slowed_scenario_fails_the_gate_and_is_named_with_its_change_and_interval() {
    let dir = tempfile::tempdir().unwrap();
    let id = a_stream_id();
    let new = scaled(dir.path(), "new", &id, 0.25);
    let md = dir.path().join("summary.md");
    let page = dir.path().join("comparison.html");
    let gab = dir.path().join("gab.json");
    let bmf = dir.path().join("bmf.json");
    let f = fixture();
    let out = harness(
        &[
            "compare",
            f.to_str().unwrap(),
            new.to_str().unwrap(),
            "--markdown",
            md.to_str().unwrap(),
            "--report",
            page.to_str().unwrap(),
            "--export",
            "github-action-benchmark",
            gab.to_str().unwrap(),
            "--export",
            "bencher",
            bmf.to_str().unwrap(),
        ],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}{}", text(&out.stderr));
    let regressed = stdout.split("REGRESSED (1):").nth(1).unwrap_or_else(|| panic!("no regression listed:\n{stdout}"));
    let line = regressed.lines().find(|l| l.contains(&id)).unwrap();
    assert!(line.contains("throughput") && line.contains("-75.0%") && line.contains('['), "{line}");
    assert!(text(&out.stderr).contains("regression gate failed"));

    let markdown = std::fs::read_to_string(&md).unwrap();
    assert!(markdown.starts_with("## ringside: 1 regression\n"), "{markdown}");
    assert!(markdown.contains(&format!("`{id}`")), "{markdown}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<!DOCTYPE html>") && html.contains(&id));
    let bigger = read(&dir.path().join("gab.bigger-is-better.json"));
    assert!(bigger.as_array().unwrap().iter().any(|e| e["name"].as_str().unwrap().starts_with(&id)));
    assert!(dir.path().join("gab.smaller-is-better.json").is_file());
    assert!(read(&bmf)[&id]["throughput"]["value"].as_f64().unwrap() > 0.0);
}

#[test]
fn aa_measures_noise_and_a_later_comparison_uses_it_as_its_floor() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture();
    let id = a_stream_id();
    // An "A/A" pair whose one scenario moved by half: that scenario's noise
    // is then at least 50%, so the same move later is within its noise.
    let moved = scaled(dir.path(), "moved", &id, 0.5);
    let noise = dir.path().join("noise.json");
    let out = harness(
        &["compare", "--aa", f.to_str().unwrap(), moved.to_str().unwrap(), "--save-noise", noise.to_str().unwrap()],
        None,
    );
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("noise over") && stdout.contains("A/A:"), "{stdout}");
    let profile = read(&noise);
    assert!(profile["noise"][&id]["throughput"].as_f64().unwrap() >= 0.5, "{profile}");

    let slowed = scaled(dir.path(), "slowed", &id, 0.5);
    let with_floor =
        harness(&["compare", f.to_str().unwrap(), slowed.to_str().unwrap(), "--noise", noise.to_str().unwrap()], None);
    let stdout = text(&with_floor.stdout);
    assert_eq!(with_floor.status.code(), Some(0), "within its noise: {stdout}");
    assert!(stdout.contains("raised per metric to its noise"), "{stdout}");
}

#[test]
fn bad_comparison_input_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture();
    let fixture = f.to_str().unwrap();
    let not_json = dir.path().join("not.json");
    std::fs::write(&not_json, "hello").unwrap();
    let mut other_version = read(&f);
    other_version["schema_version"] = Value::from(99);
    let v99 = dir.path().join("v99.json");
    std::fs::write(&v99, other_version.to_string()).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["compare", fixture, "/nonexistent/results.json"], "/nonexistent/results.json"),
        (vec!["compare", fixture, not_json.to_str().unwrap()], "not a ringside results file"),
        (vec!["compare", v99.to_str().unwrap(), fixture], "schema version 99"),
        (vec!["compare", fixture, empty.to_str().unwrap()], "no results.json"),
        (vec!["compare", fixture, fixture, "--threshold", "200"], "between 0 and 100"),
        (vec!["compare", fixture, fixture, "--export", "csv", "x.csv"], "github-action-benchmark, bencher"),
        (vec!["compare", fixture, fixture, "--noise", not_json.to_str().unwrap()], "not a ringside noise profile"),
        (vec!["compare", fixture, fixture, "--save-noise", "n.json"], "--aa"),
        (vec!["all", "--quick", "--baseline", "never-saved"], "no baseline named 'never-saved'"),
        (vec!["all", "--quick", "--save-baseline", "a/b"], "baseline name 'a/b'"),
        (vec!["all", "--quick", "--threshold", "10"], "--baseline"),
    ];
    for (args, needle) in cases {
        let out = harness(&args, Some(dir.path()));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

#[test]
fn a_run_saved_as_a_baseline_is_compared_with_the_next() {
    let store = tempfile::tempdir().unwrap();
    let runs = tempfile::tempdir().unwrap();
    let narrow = ["all", "--quick", "--transport", "pipe", "--capacity", "bounded:8"];
    let first = runs.path().join("first");
    let mut args = narrow.to_vec();
    args.extend(["--out", first.to_str().unwrap(), "--save-baseline", "main"]);
    let out = harness(&args, Some(store.path()));
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("baseline main saved"), "{}", text(&out.stdout));
    assert!(store.path().join("main/results.json").is_file());

    let second = runs.path().join("second");
    let bmf = runs.path().join("bmf.json");
    let mut args = narrow.to_vec();
    args.extend([
        "--out",
        second.to_str().unwrap(),
        "--baseline",
        "main",
        "--export",
        "bencher",
        bmf.to_str().unwrap(),
    ]);
    let out = harness(&args, Some(store.path()));
    let stdout = text(&out.stdout);
    // Whether a real run regressed against the one before is the machine's
    // business (timing); that it was compared, and how it says so, is ours.
    assert!(matches!(out.status.code(), Some(0 | 3)), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("base  baseline main (1 run, 10 trials per scenario"), "{stdout}");
    assert!(stdout.contains("pipe/bounded:8/"), "{stdout}");
    assert!(second.join("comparison.html").is_file());
    assert!(read(&bmf).as_object().unwrap().keys().any(|k| k.starts_with("pipe/bounded:8/")));
}
