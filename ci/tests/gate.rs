//! The gate on synthetic results with known effects, drawn from fixed
//! seeds: it says unchanged when nothing changed, unchanged under 3% and 5%
//! noise, and regressed in exactly the one scenario slowed among many; it
//! judges only used trials, never judges a scenario unstable on a side,
//! lists what it could not compare (few trials among it) and breaks only
//! on a scenario that failed in new.

mod synthetic;

use ci::export::{Format, export};
use ci::{Comparison, Metric, NoiseProfile, Settings, Side, Verdict};
use scenarios::results::{MachineState, ResultsFile, ScenarioResult, Status, Trial};
use synthetic::{Draw, pingpong_id, side, stream_id};

/// A suite of 60 streams and 40 pingpongs (140 metrics), 5 trials a side.
fn draw(noise: f64, seed: u64) -> Draw {
    Draw { streams: 60, pingpongs: 40, trials: 5, noise, seed }
}

fn unchanged(_: &str) -> f64 {
    1.0
}

fn count(c: &Comparison, v: Verdict) -> usize {
    c.with(v).count()
}

/// The scenario `id` of `file`, to change.
fn scenario<'a>(file: &'a mut ResultsFile, id: &str) -> &'a mut ScenarioResult {
    file.scenarios.iter_mut().find(|s| s.id == id).unwrap_or_else(|| panic!("no scenario {id}"))
}

/// A copy of `trial` set aside for `why`, its figures replaced by `absurd`
/// (throughput, p50 and p99 alike).
fn set_aside(trial: &Trial, why: &str, absurd: f64) -> Trial {
    let mut t = trial.clone();
    t.used = false;
    t.set_aside = Some(why.to_owned());
    t.msgs_per_s = t.msgs_per_s.map(|_| absurd);
    if let Some(l) = &mut t.latency {
        l.p50 = Some(absurd);
        l.p99 = Some(absurd);
    }
    t
}

#[test]
fn no_change_is_unchanged_everywhere() {
    let base = side("base", &draw(0.005, 1), unchanged);
    let new = side("new", &draw(0.005, 2), unchanged);
    let c = Comparison::new(&base, &new, &Settings::default());
    assert_eq!(c.rows.len(), 140);
    assert_eq!(count(&c, Verdict::Unchanged), 140, "{c:#?}");
    assert!(c.skipped.is_empty() && c.differences.is_empty());
    assert!(c.passes());
}

#[test]
fn three_percent_noise_is_unchanged_everywhere() {
    let base = side("base", &draw(0.03, 11), unchanged);
    let new = side("new", &draw(0.03, 12), unchanged);
    let c = Comparison::new(&base, &new, &Settings::default());
    assert_eq!(
        count(&c, Verdict::Unchanged),
        140,
        "{:#?}",
        c.rows.iter().filter(|r| r.verdict != Verdict::Unchanged).collect::<Vec<_>>()
    );
    assert!(c.passes());
    // The noise is there to see: some ratios move by more than 3%.
    assert!(c.rows.iter().any(|r| r.change().abs() > 0.03));
}

#[test]
fn a_thirty_percent_slowdown_in_one_scenario_among_a_hundred_is_the_one_regression() {
    let slowed = stream_id(7);
    let base = side("base", &draw(0.03, 21), unchanged);
    let new = side("new", &draw(0.03, 22), |id| if id == slowed { 0.7 } else { 1.0 });
    let c = Comparison::new(&base, &new, &Settings::default());
    let regressed: Vec<_> = c.with(Verdict::Regressed).collect();
    assert_eq!(regressed.len(), 1, "{regressed:#?}");
    let r = regressed[0];
    assert_eq!((r.scenario.as_str(), r.metric), (slowed.as_str(), Metric::Throughput));
    assert!(r.low <= r.ratio && r.ratio <= r.high && r.high < 0.95, "{r:?}");
    assert!((r.ratio - 0.7).abs() < 0.05, "{r:?}");
    assert_eq!(count(&c, Verdict::Unchanged), 139);
    assert_eq!(count(&c, Verdict::Improved) + count(&c, Verdict::Inconclusive), 0);
    assert!(!c.passes());
    assert_eq!(c.discoveries, 1);
    // One discovery among 140: every interval at 1 - 0.05/140.
    assert!((c.level - (1.0 - 0.05 / 140.0)).abs() < 1e-12, "{}", c.level);
}

#[test]
fn latency_regresses_upwards_and_improves_downwards() {
    let slower = pingpong_id(3);
    let faster = pingpong_id(5);
    let base = side("base", &draw(0.03, 31), unchanged);
    let new = side("new", &draw(0.03, 32), |id| match id {
        id if id == slower => 1.4,
        id if id == faster => 0.6,
        _ => 1.0,
    });
    let c = Comparison::new(&base, &new, &Settings::default());
    let ids = |v| c.with(v).map(|r| (r.scenario.clone(), r.metric)).collect::<Vec<_>>();
    assert_eq!(ids(Verdict::Regressed), [(slower.clone(), Metric::LatencyP50), (slower, Metric::LatencyP99)]);
    assert_eq!(ids(Verdict::Improved), [(faster.clone(), Metric::LatencyP50), (faster, Metric::LatencyP99)]);
}

#[test]
fn the_same_inputs_give_the_same_verdicts_and_intervals() {
    let slowed = stream_id(2);
    let run = || {
        let base = side("base", &draw(0.03, 41), unchanged);
        let new = side("new", &draw(0.03, 42), |id| if id == slowed { 0.7 } else { 1.0 });
        serde_json::to_string(&Comparison::new(&base, &new, &Settings::default())).unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn aa_noise_sets_the_threshold_floor() {
    let a = side("a", &draw(0.03, 51), unchanged);
    let b = side("b", &draw(0.03, 52), unchanged);
    let (aa, profile) = Comparison::aa(&a, &b, &Settings::default());
    assert!(aa.aa && aa.passes());
    assert_eq!(profile.figures().len(), 140, "every metric has its noise");
    assert!(profile.figures().iter().all(|n| *n > 0.0 && *n < 0.2), "{:?}", profile.figures());
    for row in &aa.rows {
        let noise = profile.floor(&row.scenario, row.metric).unwrap();
        assert_eq!(row.noise, Some(noise));
        assert_eq!(row.threshold, noise.max(0.05), "the threshold is never below the noise");
    }

    // A machine whose A/A showed 40% noise on one scenario: a 30% slowdown
    // there is within its noise, not a regression.
    let slowed = stream_id(7);
    let mut noisy = profile.clone();
    noisy.noise.get_mut(&slowed).unwrap().insert("throughput".into(), 0.4);
    let base = side("base", &draw(0.03, 53), unchanged);
    let new = side("new", &draw(0.03, 54), |id| if id == slowed { 0.7 } else { 1.0 });
    let plain = Comparison::new(&base, &new, &Settings::default());
    assert_eq!(plain.with(Verdict::Regressed).count(), 1);
    let floored = Comparison::new(&base, &new, &Settings { noise: Some(noisy), ..Settings::default() });
    assert!(floored.passes(), "{:#?}", floored.with(Verdict::Regressed).collect::<Vec<_>>());
    let row = floored.rows.iter().find(|r| r.scenario == slowed).unwrap();
    assert_eq!((row.threshold, row.noise), (0.4, Some(0.4)));
    assert!(floored.noise_source.as_deref().unwrap().starts_with("A/A of a"));
}

#[test]
fn noise_profiles_round_trip_and_bad_ones_are_refused() {
    let a = side("a", &draw(0.03, 61), unchanged);
    let b = side("b", &draw(0.03, 62), unchanged);
    let profile = NoiseProfile::measure(&a, &b, 1000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("noise.json");
    profile.write(&path).unwrap();
    assert_eq!(NoiseProfile::read(&path).unwrap(), profile);
    std::fs::write(&path, "{\"format\": \"other\"}").unwrap();
    assert!(NoiseProfile::read(&path).unwrap_err().to_string().contains("not a ringside noise profile"));
    assert!(NoiseProfile::read(&dir.path().join("missing.json")).is_err());
}

#[test]
fn scenarios_not_compared_are_listed_and_a_new_failure_breaks_the_gate() {
    let base_file = synthetic::results(&draw(0.03, 71), unchanged);
    let mut new_file = synthetic::results(&draw(0.03, 72), unchanged);
    let mut base_file2 = base_file.clone();
    // Failed in new (ok in base): breaks the gate.
    let failed = stream_id(0);
    let s = new_file.scenarios.iter_mut().find(|s| s.id == failed).unwrap();
    s.status = Status::Failed;
    s.reason = Some("integrity: 3 messages lost".into());
    // Refused on both sides: listed, harmless.
    for file in [&mut base_file2, &mut new_file] {
        let s = file.scenarios.iter_mut().find(|s| s.id == stream_id(1)).unwrap();
        s.status = Status::Refused;
        s.reason = Some("kernel.msgmnb is 16384".into());
    }
    // Only in base, only in new.
    new_file.scenarios.retain(|s| s.id != stream_id(2));
    base_file2.scenarios.retain(|s| s.id != stream_id(3));
    // Another machine and build.
    new_file.environment.hostname = "elsewhere".into();
    new_file.environment.profile = "debug".into();
    // Another state of the machine under the same cores.
    new_file.machine[0].states = vec![MachineState { low_ns: 480.0, high_ns: 610.0, probes: 10 }];

    let c = Comparison::new(
        &Side::from_runs("base", vec![base_file2]),
        &Side::from_runs("new", vec![new_file]),
        &Settings::default(),
    );
    let why = |id: String| c.skipped.iter().find(|s| s.scenario == id).map(|s| (s.why.clone(), s.breaks_gate));
    let (text, breaks) = why(failed).unwrap();
    assert!(breaks && text.contains("FAILED in new") && text.contains("3 messages lost"), "{text}");
    let (text, breaks) = why(stream_id(1)).unwrap();
    assert!(!breaks && text.contains("refused on both sides") && text.contains("msgmnb"), "{text}");
    let (text, breaks) = why(stream_id(2)).unwrap();
    assert!(breaks && text.contains("LOST") && text.contains("only in base"), "{text}");
    let (text, breaks) = why(stream_id(3)).unwrap();
    assert!(!breaks && text.contains("only in new"), "{text}");
    assert_eq!(c.rows.len(), 140 - 4);
    assert!(!c.passes(), "a scenario that failed in new breaks the gate");
    assert_eq!(c.with(Verdict::Regressed).count(), 0);
    let differences = c.differences.join("\n");
    assert!(differences.contains("machine: synthetic / elsewhere"), "{differences}");
    assert!(differences.contains("build profile: release opt-level 3 / debug opt-level 3"), "{differences}");
    assert!(
        differences.contains("machine reference state on cores 0,1: floor 50-60 ns / floor 480-610 ns"),
        "{differences}"
    );
}

/// What new lost breaks the gate unless the caller accepts losses: a
/// scenario base measured that new refused, found unavailable or could not
/// sustain, one new did not run, and a new run that never finished.
#[test]
fn losses_in_new_break_the_gate_unless_accepted() {
    let base_file = synthetic::results(&draw(0.03, 81), unchanged);
    let mut new_file = synthetic::results(&draw(0.03, 82), unchanged);
    let statuses = [Status::Refused, Status::Unavailable, Status::Unsustained];
    for (i, status) in statuses.into_iter().enumerate() {
        let s = new_file.scenarios.iter_mut().find(|s| s.id == stream_id(i)).unwrap();
        s.status = status;
        s.reason = Some("the reason new gives".into());
    }
    new_file.scenarios.retain(|s| s.id != stream_id(3));
    new_file.finished_unix = None;
    let (base, new) = (Side::from_runs("base", vec![base_file]), Side::from_runs("new", vec![new_file]));

    let strict = Comparison::new(&base, &new, &Settings::default());
    assert!(!strict.passes(), "losses break the gate");
    let broken: Vec<&str> = strict.broken().map(|s| s.why.as_str()).collect();
    assert_eq!(broken.len(), 5, "{broken:#?}");
    for (i, status) in statuses.into_iter().enumerate() {
        let text = &strict.skipped.iter().find(|s| s.scenario == stream_id(i)).unwrap().why;
        assert!(text.contains(&format!("LOST: ok in base, {} in new: the reason new gives", status.name())), "{text}");
    }
    assert!(broken.iter().any(|w| w.contains("INTERRUPTED")), "{broken:#?}");

    let lenient = Comparison::new(&base, &new, &Settings { accept_losses: true, ..Settings::default() });
    assert!(lenient.passes(), "accepted losses pass: {:#?}", lenient.broken().collect::<Vec<_>>());
    assert_eq!(lenient.skipped.len(), strict.skipped.len(), "accepted losses are still listed");
}

#[test]
fn folders_pool_their_runs() {
    let dir = tempfile::tempdir().unwrap();
    for (k, seed) in [(1, 81), (2, 82)] {
        let run = dir.path().join(format!("round-{k}"));
        std::fs::create_dir_all(&run).unwrap();
        let file = synthetic::results(&draw(0.03, seed), unchanged);
        std::fs::write(run.join("results.json"), serde_json::to_string(&file).unwrap()).unwrap();
    }
    let pooled = Side::load(dir.path()).unwrap();
    assert_eq!(pooled.runs.len(), 2);
    let id = stream_id(4);
    assert_eq!(pooled.pooled(&id).unwrap().samples(Metric::Throughput).len(), 10);
    let single = Side::load(&dir.path().join("round-1/results.json")).unwrap();
    assert_eq!(single.label, "round-1");
    let c = Comparison::new(&single, &pooled, &Settings::default());
    let row = c.rows.iter().find(|r| r.scenario == id).unwrap();
    assert_eq!((row.base_trials, row.new_trials), (5, 10));

    let empty = tempfile::tempdir().unwrap();
    assert!(Side::load(empty.path()).unwrap_err().to_string().contains("no results.json"));
}

#[test]
fn exports_carry_every_metric_with_its_interval() {
    let mut file = synthetic::results(&draw(0.03, 91), unchanged);
    scenario(&mut file, &stream_id(0)).unstable = Some("scatter: spread 31%".into());
    let new = Side::from_runs("new", vec![file]);
    let dir = tempfile::tempdir().unwrap();

    let written = export(Format::GithubActionBenchmark, &new, &dir.path().join("bench.json")).unwrap();
    let names: Vec<String> = written.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["bench.bigger-is-better.json", "bench.smaller-is-better.json"]);
    let read = |p: &std::path::Path| -> Vec<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let bigger = read(&written[0]);
    let smaller = read(&written[1]);
    assert_eq!((bigger.len(), smaller.len()), (60, 80));
    for entry in bigger.iter().chain(&smaller) {
        assert!(entry["name"].is_string() && entry["unit"].is_string() && entry["value"].as_f64().unwrap() > 0.0);
        assert!(entry["range"].as_str().unwrap().starts_with("± "));
    }
    assert!(bigger.iter().all(|e| e["unit"] == "msgs/s") && smaller.iter().all(|e| e["unit"] == "ns"));
    for entry in bigger.iter().chain(&smaller) {
        let extra = entry["extra"].as_str().unwrap();
        assert!(extra.starts_with("median of 5 used trials; 95% interval ["), "{extra}");
        let shaky = entry["name"].as_str().unwrap().starts_with(&stream_id(0));
        assert_eq!(extra.ends_with("; unstable: scatter: spread 31%"), shaky, "{extra}");
    }

    let path = dir.path().join("bmf.json");
    assert_eq!(export(Format::Bencher, &new, &path).unwrap(), std::slice::from_ref(&path));
    let bmf: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let benchmarks = bmf.as_object().unwrap();
    assert_eq!(benchmarks.len(), 100);
    let measures: usize = benchmarks.values().map(|m| m.as_object().unwrap().len()).sum();
    assert_eq!(measures, 140);
    for measure in benchmarks.values().flat_map(|m| m.as_object().unwrap().values()) {
        let (l, v, u) = (
            measure["lower_value"].as_f64().unwrap(),
            measure["value"].as_f64().unwrap(),
            measure["upper_value"].as_f64().unwrap(),
        );
        assert!(l <= v && v <= u, "{measure}");
    }
    assert!(benchmarks[&pingpong_id(0)].get("latency-p99").is_some());
    assert!(benchmarks[&stream_id(0)].get("throughput").is_some());
    assert!("nope".parse::<Format>().unwrap_err().contains("github-action-benchmark, bencher"));
}

/// A suite of 24 streams and 20 pingpongs (44 scenarios, 64 metrics), 10
/// used trials a side, 5% lognormal noise.
fn draw44(seed: u64) -> Draw {
    Draw { streams: 24, pingpongs: 20, trials: 10, noise: 0.05, seed }
}

/// Rows that are not unchanged, to show when an assertion fails.
fn moved(c: &Comparison) -> Vec<&ci::Row> {
    c.rows.iter().filter(|r| r.verdict != Verdict::Unchanged).collect()
}

#[test]
fn aa_of_forty_four_scenarios_at_five_percent_noise_passes() {
    let base = side("base", &draw44(101), unchanged);
    let new = side("new", &draw44(102), unchanged);
    let c = Comparison::new(&base, &new, &Settings::default());
    assert_eq!(c.rows.len(), 24 + 2 * 20);
    assert_eq!(count(&c, Verdict::Regressed) + count(&c, Verdict::Improved), 0, "{:#?}", moved(&c));
    assert_eq!(count(&c, Verdict::Unchanged), c.rows.len(), "{:#?}", moved(&c));
    assert!(c.rows.iter().all(|r| (r.base_trials, r.new_trials) == (10, 10) && r.note.is_none()));
    assert!(c.skipped.is_empty() && c.passes());
}

#[test]
fn halved_throughput_in_one_scenario_is_the_one_regression() {
    let halved = stream_id(9);
    let base = side("base", &draw44(111), unchanged);
    let new = side("new", &draw44(112), |id| if id == halved { 0.5 } else { 1.0 });
    let c = Comparison::new(&base, &new, &Settings::default());
    let regressed: Vec<_> = c.with(Verdict::Regressed).map(|r| (r.scenario.as_str(), r.metric)).collect();
    assert_eq!(regressed, [(halved.as_str(), Metric::Throughput)]);
    assert_eq!(count(&c, Verdict::Improved) + count(&c, Verdict::Inconclusive), 0, "{:#?}", moved(&c));
    assert!(!c.passes());
}

#[test]
fn doubled_latency_in_one_scenario_regresses_both_its_percentiles() {
    let doubled = pingpong_id(4);
    let base = side("base", &draw44(121), unchanged);
    let new = side("new", &draw44(122), |id| if id == doubled { 2.0 } else { 1.0 });
    let c = Comparison::new(&base, &new, &Settings::default());
    let regressed: Vec<_> = c.with(Verdict::Regressed).map(|r| (r.scenario.clone(), r.metric)).collect();
    assert_eq!(regressed, [(doubled.clone(), Metric::LatencyP50), (doubled, Metric::LatencyP99)]);
    assert_eq!(count(&c, Verdict::Improved) + count(&c, Verdict::Inconclusive), 0, "{:#?}", moved(&c));
    assert!(!c.passes());
}

#[test]
fn an_unstable_scenario_is_inconclusive_even_when_twice_as_slow() {
    let shaky = stream_id(5);
    let why = "two modes: 5 trials near 1.0 M msgs/s, 5 near 1.5 M msgs/s";
    let mut base_file = synthetic::results(&draw44(131), unchanged);
    scenario(&mut base_file, &shaky).unstable = Some(why.into());
    let slower = synthetic::results(&draw44(132), |id| if id == shaky { 0.5 } else { 1.0 });
    let base = Side::from_runs("base", vec![base_file.clone()]);
    let c = Comparison::new(&base, &Side::from_runs("new", vec![slower.clone()]), &Settings::default());
    let row = c.rows.iter().find(|r| r.scenario == shaky).unwrap();
    assert_eq!(row.verdict, Verdict::Inconclusive);
    assert_eq!(row.note.as_deref(), Some(format!("unstable in base: {why}").as_str()));
    assert!((row.ratio - 0.5).abs() < 0.1, "still compared: {row:?}");
    // Still tested and counted among the metrics Benjamini-Hochberg corrects for.
    assert_eq!((c.rows.len(), c.discoveries), (64, 1));
    assert_eq!(count(&c, Verdict::Regressed) + count(&c, Verdict::Improved), 0);
    assert!(c.passes());
    // The note is in the serialised comparison.
    assert!(serde_json::to_string(&c).unwrap().contains(&format!("\"note\":\"unstable in base: {why}\"")));

    // Unstable in new, or on both sides: the same, said of that side.
    let mut new_file = slower;
    scenario(&mut new_file, &shaky).unstable = Some("drift: tau 0.8".into());
    let c = Comparison::new(&base, &Side::from_runs("new", vec![new_file.clone()]), &Settings::default());
    let row = c.rows.iter().find(|r| r.scenario == shaky).unwrap();
    assert_eq!(row.verdict, Verdict::Inconclusive);
    assert_eq!(row.note.as_deref(), Some(format!("unstable in base: {why}; unstable in new: drift: tau 0.8").as_str()));
    let stable_base = side("base", &draw44(131), unchanged);
    let c = Comparison::new(&stable_base, &Side::from_runs("new", vec![new_file]), &Settings::default());
    let row = c.rows.iter().find(|r| r.scenario == shaky).unwrap();
    assert_eq!((row.verdict, row.note.as_deref()), (Verdict::Inconclusive, Some("unstable in new: drift: tau 0.8")));
    assert!(c.passes());
}

#[test]
fn set_aside_trials_change_nothing() {
    let base = side("base", &draw44(141), unchanged);
    let clean = synthetic::results(&draw44(142), unchanged);
    let mut dirty = clean.clone();
    // Every scenario gains two set-aside trials, one absurdly fast, one absurdly slow.
    for s in &mut dirty.scenarios {
        let first = s.trials[0].clone();
        s.trials.push(set_aside(&first, "probe 600 ns before: outside the reference state", 1e15));
        s.trials.insert(0, set_aside(&first, "probe 580 ns after: outside the reference state", 1e-3));
        s.selection.set_aside = 2;
    }
    let id = stream_id(0);
    let dirty_side = Side::from_runs("new", vec![dirty]);
    assert_eq!(dirty_side.pooled(&id).unwrap().samples(Metric::Throughput).len(), 10);
    let compare = |new: &Side| serde_json::to_string(&Comparison::new(&base, new, &Settings::default())).unwrap();
    assert_eq!(compare(&dirty_side), compare(&Side::from_runs("new", vec![clean])));
    let c = Comparison::new(&base, &dirty_side, &Settings::default());
    assert!(c.passes() && c.with(Verdict::Unchanged).count() == c.rows.len(), "{:#?}", moved(&c));
}

#[test]
fn a_scenario_with_few_trials_is_skipped_and_the_gate_passes() {
    let few = stream_id(3);
    let why = "2 trials in the reference state (floor 50-60 ns), 3 needed";
    let base_file = synthetic::results(&draw44(151), unchanged);
    // Halved, too: never judged.
    let mut new_file = synthetic::results(&draw44(152), |id| if id == few { 0.5 } else { 1.0 });
    let s = scenario(&mut new_file, &few);
    s.status = Status::FewTrials;
    s.reason = Some(why.into());
    for t in s.trials.iter_mut().skip(2) {
        t.used = false;
        t.set_aside = Some("probe 600 ns before: outside the reference state".into());
    }
    let base = Side::from_runs("base", vec![base_file.clone()]);
    let c = Comparison::new(&base, &Side::from_runs("new", vec![new_file.clone()]), &Settings::default());
    let skipped: Vec<_> = c.skipped.iter().map(|s| (s.scenario.as_str(), s.why.as_str(), s.breaks_gate)).collect();
    assert_eq!(skipped, [(few.as_str(), format!("few-trials in new: {why}; ok in base").as_str(), false)]);
    assert!(c.rows.iter().all(|r| r.scenario != few));
    assert_eq!(c.rows.len(), 63);
    assert!(c.passes(), "{:#?}", moved(&c));

    // Few trials in base: skipped the same way; a failure in new still breaks the gate.
    let mut failed = base_file.clone();
    let s = scenario(&mut failed, &few);
    s.status = Status::Failed;
    s.reason = Some("integrity: 3 messages lost".into());
    let c = Comparison::new(&Side::from_runs("base", vec![new_file.clone()]), &base, &Settings::default());
    assert_eq!(c.skipped[0].why, format!("few-trials in base: {why}; ok in new"));
    assert!(c.passes());
    let c = Comparison::new(
        &Side::from_runs("base", vec![new_file]),
        &Side::from_runs("new", vec![failed]),
        &Settings::default(),
    );
    assert!(c.skipped[0].breaks_gate && c.skipped[0].why.starts_with("FAILED in new, few-trials in base"));
    assert!(!c.passes());
}

#[test]
fn a_run_with_few_trials_adds_nothing_to_a_pool() {
    let id = stream_id(2);
    let ok = synthetic::results(&draw44(161), unchanged);
    let mut few = synthetic::results(&draw44(162), unchanged);
    let s = scenario(&mut few, &id);
    s.status = Status::FewTrials;
    s.reason = Some("1 trial in the reference state, 3 needed".into());
    let pooled = Side::from_runs("pool", vec![ok, few.clone()]);
    let p = pooled.pooled(&id).unwrap();
    assert_eq!((p.status(), p.samples(Metric::Throughput).len()), (Status::Ok, 10));
    assert_eq!(pooled.pooled(&stream_id(1)).unwrap().samples(Metric::Throughput).len(), 20);
    let alone = Side::from_runs("alone", vec![few]);
    assert_eq!(alone.pooled(&id).unwrap().status(), Status::FewTrials);
}

#[test]
fn a_trial_without_a_percentile_gives_no_sample_of_it() {
    let id = pingpong_id(1);
    let base = side("base", &draw44(171), unchanged);
    let mut new_file = synthetic::results(&draw44(172), unchanged);
    // Three trials too short for a p99: seven p99 samples, ten p50.
    for t in scenario(&mut new_file, &id).trials.iter_mut().take(3) {
        t.latency.as_mut().unwrap().p99 = None;
    }
    let new = Side::from_runs("new", vec![new_file.clone()]);
    let c = Comparison::new(&base, &new, &Settings::default());
    let trials = |m| c.rows.iter().find(|r| r.scenario == id && r.metric == m).map(|r| r.new_trials);
    assert_eq!((trials(Metric::LatencyP50), trials(Metric::LatencyP99)), (Some(10), Some(7)));

    // No trial with a p99: p99 is not compared, and says why; p50 is.
    for t in &mut scenario(&mut new_file, &id).trials {
        t.latency.as_mut().unwrap().p99 = None;
    }
    let c = Comparison::new(&base, &Side::from_runs("new", vec![new_file]), &Settings::default());
    assert!(c.rows.iter().any(|r| r.scenario == id && r.metric == Metric::LatencyP50));
    assert!(c.rows.iter().all(|r| !(r.scenario == id && r.metric == Metric::LatencyP99)));
    let skipped: Vec<_> = c.skipped.iter().map(|s| (s.scenario.as_str(), s.why.as_str())).collect();
    assert_eq!(skipped, [(id.as_str(), "p99: no used trial in new has one (a p99 needs 1000 samples in the trial)")]);
    assert!(c.passes());
}
