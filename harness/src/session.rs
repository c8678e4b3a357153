//! Running a suite: place every scenario on this machine's cores, measure
//! the floor of each pair used, run the trials in rounds (see
//! `scheduler.rs`), keep every finished trial on disk and the results up to
//! date after every round, so an interrupted run keeps what it measured. A
//! finished run also writes `report.html` (see `report.rs`) and prints the
//! verdict.

use crate::terminal::{say, say_part, tell};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use bench_core::clock::Clock;
use bench_core::environment::{CpuTimes, Environment};
use bench_core::floor::{cache_line_round_trip, copy_bandwidth};
use bench_core::pin::available_cores;
use bench_core::topology::Topology;
use scenarios::results::{
    Estimate, Floor, INTERVAL_METHOD, MachineStates, Method, PERCENTILE_RULE, ResultsFile, SCHEMA_VERSION,
    ScenarioResult, Status,
};
use scenarios::{PlacementSpec, ResultsWriter, Scenario, Suite, selection, stability};
use vocabulary::stats::quantile_ns;
use vocabulary::{Placement, PlacementLabel};

use crate::measurement::{self, Placed};
use crate::progress::Progress;
use crate::report;
use crate::scheduler::{self, Measured, Observer, Schedule};
use crate::supervisor::{self, RunSpec};

/// Cache-line round trips per floor measurement (after a tenth as many untimed).
const FLOOR_SAMPLES: usize = 50_000;
/// Floor measurements per core pair.
const FLOOR_REPEATS: usize = 3;

/// Bad input found before anything runs (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Where a placement puts the two sides on this machine, or why it cannot.
pub fn resolve(topology: &Topology, spec: &PlacementSpec) -> Result<[usize; 2], String> {
    match spec {
        PlacementSpec::Named(p) => {
            topology.pair(*p).map(|(a, b)| [a, b]).ok_or_else(|| unavailable_reason(topology, *p))
        }
        PlacementSpec::Cores(a, b) => Ok([*a, *b]),
    }
}

fn unavailable_reason(topology: &Topology, p: Placement) -> String {
    topology
        .placements()
        .into_iter()
        .find(|(q, _)| *q == p)
        .and_then(|(_, r)| r.err())
        .unwrap_or_else(|| format!("this machine offers no {p} pair"))
}

/// Check explicit cores exist; bad ones are bad input.
pub fn check_cores(suite: &Suite) -> Result<(), BadInput> {
    for s in &suite.scenarios {
        if let PlacementSpec::Cores(a, b) = s.placement {
            check_cores_exist(&[a, b])?;
        }
    }
    Ok(())
}

/// Every one of `cores` is one this process may run on.
pub fn check_cores_exist(cores: &[usize]) -> Result<(), BadInput> {
    let available = available_cores();
    match cores.iter().find(|c| !available.contains(c)) {
        Some(c) => Err(BadInput(format!(
            "core {c} does not exist or is not allowed; this process may use cores {}",
            list(&available)
        ))),
        None => Ok(()),
    }
}

fn list(cores: &[usize]) -> String {
    cores.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// Cargo's target folder: `$CARGO_TARGET_DIR`, else the one this binary
/// was built into, else `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // The binary lives in target/<profile>/.
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// `--out` as given: refused as bad input when it, or the nearest part of
/// its path that exists, is not a directory (checked before anything is
/// measured, not when the first result is written).
pub fn check_out_dir(out: &Path) -> Result<(), BadInput> {
    match out.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists()) {
        Some(existing) if !existing.is_dir() => {
            Err(BadInput(format!("--out {}: {} exists and is not a directory", out.display(), existing.display())))
        }
        _ => Ok(()),
    }
}

/// The default results directory, created empty and this run's alone:
/// `target/ringside/<suite>-<unix time>`, or `<suite>-<unix time>-2`, `-3`,
/// ... when another run started in the same second already has that name.
pub fn default_out_dir(suite: &str) -> Result<PathBuf> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let safe: String = suite.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let runs = target_dir().join("ringside");
    fs::create_dir_all(&runs).with_context(|| format!("{}: cannot create the results folder", runs.display()))?;
    create_unique_dir(&runs, &format!("{safe}-{stamp}"))
}

/// How many names [`create_unique_dir`] tries.
const UNIQUE_DIR_ATTEMPTS: u32 = 1000;

/// Create `parent/stem`, or `parent/stem-2`, `-3`, ... the first of them
/// no one has, and return it. `create_dir` fails on a name that exists
/// (a folder, a file or a symlink, which it never follows), so the folder
/// is this caller's alone even when another process asks at the same time.
fn create_unique_dir(parent: &Path, stem: &str) -> Result<PathBuf> {
    for n in 1..=UNIQUE_DIR_ATTEMPTS {
        let dir = if n == 1 { parent.join(stem) } else { parent.join(format!("{stem}-{n}")) };
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("{}: cannot create", dir.display()))),
        }
    }
    anyhow::bail!("{}: {stem} and {UNIQUE_DIR_ATTEMPTS} variants of it already exist", parent.display())
}

/// Measure the floor between two cores.
pub fn measure_floor(placement: PlacementLabel, cores: [usize; 2]) -> Result<Floor> {
    let [a, b] = cores;
    let mut rtts = Vec::new();
    if a != b {
        for _ in 0..FLOOR_REPEATS {
            let samples =
                cache_line_round_trip(a, b, FLOOR_SAMPLES / 10, FLOOR_SAMPLES).context("cache-line round trip")?;
            rtts.push(quantile_ns(&samples, 0.5));
        }
    }
    Ok(Floor {
        placement,
        cores,
        cache_line_rtt: Estimate::of(&rtts),
        cache_line_rtt_ns: rtts,
        copy_bytes_per_s: copy_bandwidth(1 << 20, 3, Duration::from_millis(50)),
    })
}

/// Run `suite`, writing results under `out`, its rounds' orders drawn
/// from `seed` (a fresh one when `None`); true when no scenario failed.
pub fn run_suite(suite: &Suite, out: &Path, seed: Option<u64>) -> Result<bool> {
    check_cores(suite)?;
    let topology = Topology::detect();
    let mut environment = Environment::capture();
    environment.git_commit = built_from();
    let cpu_before = CpuTimes::read();
    let started_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let schedule = Schedule {
        rounds: suite.trials,
        warmup_trials: suite.warmup_trials,
        trial_ms: suite.trial_ms,
        seed: seed.unwrap_or_else(scheduler::fresh_seed),
    };

    // Place every scenario.
    let placed: Vec<(&Scenario, Result<[usize; 2], String>)> =
        suite.scenarios.iter().map(|s| (s, resolve(&topology, &s.placement))).collect();

    // The floor of every pair of cores used.
    let mut floors: BTreeMap<[usize; 2], Floor> = BTreeMap::new();
    for (s, cores) in &placed {
        if let Ok(cores) = cores {
            if !floors.contains_key(cores) {
                tell!("measuring the floor on cores {} and {} ...", cores[0], cores[1]);
                floors.insert(*cores, measure_floor(s.placement.label(), *cores)?);
            }
        }
    }

    let placement_warnings: Vec<String> = topology
        .placements()
        .into_iter()
        .filter_map(|(p, pair)| pair.err().map(|why| format!("placement {p} unavailable on this machine: {why}")))
        .collect();
    let file = ResultsFile {
        schema_version: SCHEMA_VERSION,
        tool: format!("ringside {}", env!("CARGO_PKG_VERSION")),
        suite: suite.name.clone(),
        started_unix,
        finished_unix: None,
        valid: environment.is_optimised(),
        warnings: [environment.warnings(), placement_warnings.clone()].concat(),
        environment: environment.clone(),
        method: Method {
            rounds: schedule.rounds,
            warmup_trials: schedule.warmup_trials,
            trial_ms: schedule.trial_ms,
            seed: schedule.seed,
            order: scheduler::ORDER.into(),
            probe: probe_method(),
            selection: selection::RULE.into(),
            stability: stability::RULE.into(),
            percentiles: PERCENTILE_RULE.into(),
            clock: Clock::Monotonic.describe(),
            clock_read_ns: Clock::Monotonic.read_cost_ns(),
            clocks: scenarios::results::clocks_in_use(),
            interval: INTERVAL_METHOD.into(),
        },
        floors: floors.values().cloned().collect(),
        machine: Vec::new(),
        scenarios: Vec::new(),
    };
    let writer = ResultsWriter::create(out, file).with_context(|| format!("writing results to {}", out.display()))?;
    bench_core::transport::objects::set_interrupt_note(Some(format!(
        "harness: interrupted; every finished trial is in {} (whole rounds also in {})",
        out.join(TRIALS_NAME).display(),
        out.join("results.json").display()
    )));

    // What is not measured is known now; the rest is measured in rounds.
    let mut slots = Vec::new();
    let mut measured = Vec::new();
    for (scenario, cores) in &placed {
        let slot = match cores {
            Err(why) => {
                Slot::Fixed(Box::new(measurement::not_measured(scenario, None, Status::Unavailable, why.clone())))
            }
            Ok(cores) => {
                let relation = topology.relation(cores[0], cores[1]);
                let here = Placed { cores: *cores, relation, floor: floors.get(cores).cloned() };
                let spec = RunSpec::of(scenario, *cores, Duration::from_millis(schedule.trial_ms.of(scenario.pattern)));
                match supervisor::probe(&spec) {
                    Err(e) => Slot::Fixed(Box::new(measurement::not_measured(
                        scenario,
                        Some(&here),
                        Status::Refused,
                        e.to_string(),
                    ))),
                    Ok(realised) => {
                        let mut frame = measurement::not_measured(scenario, Some(&here), Status::Ok, String::new());
                        frame.realised_capacity = realised.messages;
                        frame.realised_detail = realised.detail;
                        measured.push(Measured::new(**scenario, here, spec, frame));
                        Slot::Measured(measured.len() - 1)
                    }
                }
            }
        };
        slots.push(slot);
    }

    let trials_path = out.join(TRIALS_NAME);
    // Replaced, never opened at its name: a symlink there is not followed.
    let trials_log = scenarios::files::replace_with_empty(&trials_path).context("cannot start the trial log")?;
    let mut observer = SuiteObserver {
        writer,
        slots,
        trials_log: BufWriter::new(trials_log),
        trials_path,
        progress: Progress::new(suite, &schedule, &measured),
    };
    scheduler::run(&mut measured, &schedule, &mut observer)?;
    observer.progress.done();
    let machine = scheduler::machine_states(&measured);
    let results = observer.results(&measured, &machine);
    let any_failed = results.iter().any(|r| r.status == Status::Failed);
    let mut writer = observer.writer;

    environment.record_end(cpu_before.as_ref());
    {
        let file = writer.file_mut();
        file.warnings = [environment.warnings(), placement_warnings].concat();
        file.environment = environment;
        file.machine = machine;
        file.scenarios = results;
    }
    let file = writer.finish().with_context(|| format!("writing results to {}", out.display()))?;
    bench_core::transport::objects::set_interrupt_note(None);
    say_part!("{}", reports::summary::text(&file));
    // The report is rendered from results.json as written, exactly as
    // `harness report` would; the results are safe on disk whatever happens here.
    let json = out.join("results.json");
    let report_path = out.join(report::FILE_NAME);
    let report = reports::load_inputs(std::slice::from_ref(&json)).map_err(anyhow::Error::new).and_then(|inputs| {
        say!("\n{}", reports::verdict_table(&inputs).trim_end());
        report::write(&inputs, &report_path)
    });
    say!("\nresults: {}", json.display());
    say!("         {}", out.join("results.csv").display());
    match report {
        Ok(()) => say!("report:  {}", report_path.display()),
        Err(e) => return Err(e.context(format!("the report was not written (results kept in {})", out.display()))),
    }
    Ok(!any_failed)
}

/// The file every finished trial is appended to, one JSON line each
/// (`{"scenario": id, "trial": {...}}`), so an interrupted run keeps them all.
pub const TRIALS_NAME: &str = "trials.jsonl";

/// What a machine-state probe is, in words.
fn probe_method() -> String {
    format!(
        "right before and right after every trial, the median of {} cache-line round trips between the trial's \
         two cores (on a same-core trial, its core and the next allowed one, lower first); about 0.1 ms at 50 ns \
         a round trip, 1.3 ms at 600 ns",
        bench_core::floor::PROBE_ROUND_TRIPS
    )
}

/// A scenario of the suite, in its order: known already, or being measured.
enum Slot {
    /// Not measured (unavailable, refused): its result is final.
    Fixed(Box<ScenarioResult>),
    /// Index into the measured scenarios.
    Measured(usize),
}

/// Keeps the results on disk and the user informed while the rounds run.
struct SuiteObserver {
    writer: ResultsWriter,
    slots: Vec<Slot>,
    trials_log: BufWriter<File>,
    trials_path: PathBuf,
    progress: Progress,
}

impl SuiteObserver {
    /// Every scenario's result in the suite's order, judged by `machine`.
    fn results(&self, measured: &[Measured], machine: &[MachineStates]) -> Vec<ScenarioResult> {
        self.slots
            .iter()
            .map(|slot| match slot {
                Slot::Fixed(r) => (**r).clone(),
                Slot::Measured(i) => measured[*i].result(machine),
            })
            .collect()
    }
}

impl Observer for SuiteObserver {
    fn round(&mut self, round: u32, rounds: u32) {
        self.progress.round(round, rounds);
    }

    fn trial(&mut self, measured: &[Measured], index: usize) -> Result<()> {
        let m = &measured[index];
        if let Some(trial) = m.trials.last() {
            let line = serde_json::json!({ "scenario": m.frame.id, "trial": trial });
            writeln!(self.trials_log, "{line}")
                .and_then(|()| self.trials_log.flush())
                .with_context(|| format!("writing {}", self.trials_path.display()))?;
        }
        self.progress.trial(m);
        Ok(())
    }

    fn round_done(&mut self, measured: &[Measured]) -> Result<()> {
        let machine = scheduler::machine_states(measured);
        let results = self.results(measured, &machine);
        self.progress.round_done(&machine);
        self.writer.file_mut().machine = machine;
        self.writer
            .set_scenarios(results)
            .with_context(|| format!("writing results to {}", self.writer.dir().display()))
    }
}

/// The commit this binary was built from (`build.rs`), `-dirty` when its
/// sources differed from it; not whatever checkout it runs in.
fn built_from() -> Option<String> {
    let commit = env!("RINGSIDE_GIT_COMMIT");
    (!commit.is_empty()).then(|| commit.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs started in the same second get folders of their own.
    #[test]
    fn default_folders_asked_for_in_the_same_second_are_distinct() {
        let first = default_out_dir("same-second-test").unwrap();
        let second = default_out_dir("same-second-test").unwrap();
        assert_ne!(first, second);
        for dir in [&first, &second] {
            assert!(dir.is_dir(), "{} was not created", dir.display());
            let name = dir.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with("same-second-test-"), "{name}");
            std::fs::remove_dir(dir).unwrap();
        }
    }

    #[test]
    fn a_taken_name_gets_the_next_suffix_and_a_symlink_counts_as_taken() {
        let parent = tempfile::tempdir().unwrap();
        let victim = parent.path().join("victim");
        std::os::unix::fs::symlink(&victim, parent.path().join("all-7-2")).unwrap();
        let dirs: Vec<PathBuf> = (0..3).map(|_| create_unique_dir(parent.path(), "all-7").unwrap()).collect();
        let names: Vec<&str> = dirs.iter().map(|d| d.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["all-7", "all-7-3", "all-7-4"]);
        assert!(dirs.iter().all(|d| d.is_dir()));
        assert!(!victim.exists());
        let err = create_unique_dir(&parent.path().join("missing"), "x").unwrap_err();
        assert!(format!("{err:#}").contains("missing/x: cannot create"), "{err:#}");
    }
}
