//! Running a planned suite (`plan.rs`): measure the floor of each pair of
//! cores used, write the results file's header (environment, method,
//! floors), run the trials in rounds (`scheduler.rs`), and keep every
//! finished trial on disk and the results up to date after every round, so
//! an interrupted run keeps what it measured. A suite with load sweeps
//! then runs their steps as a second phase (`load_phase.rs` plans and
//! judges them; they are scheduled here like the scenarios), its trials
//! logged too and its curves written once it ends. The finished results
//! go to the writers (`writers.rs`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use bench_core::environment::{CpuTimes, Environment};
use scenarios::load_curves::LoadCurveResult;
use scenarios::results::{
    INTERVAL_METHOD, MachineStates, MailboxSummary, Method, PERCENTILE_RULE, ResultsFile, SCHEMA_VERSION,
    ScenarioResult, Status,
};
use scenarios::writer::JSON_NAME;
use scenarios::{ResultsWriter, selection, stability};
use vocabulary::LatencyKind;

use crate::measurement::{self, Placed};
use crate::plan::{Plan, Planned};
use crate::progress::Progress;
use crate::scheduler::{self, Measured, Observer, Schedule};
use crate::{floor, load_phase, placement};

/// The file every finished trial is appended to, one JSON line each
/// (`{"scenario": id, "trial": {...}}`), so an interrupted run keeps them all.
pub const TRIALS_NAME: &str = "trials.jsonl";

/// Run `plan`, writing results under `out`, its rounds' orders drawn from
/// `seed` (a fresh one when `None`); the finished results, as written to
/// `out/results.json`.
pub fn run(plan: &Plan<'_>, out: &Path, seed: Option<u64>) -> Result<ResultsFile> {
    let suite = plan.suite;
    let topology = &plan.topology;
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

    // The floor of every pair of cores used.
    let floors = floor::measure_each(
        plan.scenarios.iter().filter_map(|(s, planned)| Some((s.placement.label(), planned.cores()?))),
    )?;

    let placement_warnings: Vec<String> = topology
        .placements()
        .into_iter()
        .filter_map(|(p, pair)| pair.err().map(|why| format!("placement {p} unavailable on this machine: {why}")))
        .collect();
    // Each clock's read cost is measured once; the one-way entry also fills
    // the older `clock`/`clock_read_ns` fields that schema-2 readers use.
    let clocks = scenarios::results::clocks_in_use();
    let one_way = clocks
        .iter()
        .find(|c| c.latency == LatencyKind::OneWay)
        .cloned()
        .context("the clock table names no one-way clock")?;
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
            clock: one_way.clock.clone(),
            clock_read_ns: one_way.read_ns,
            clocks,
            interval: INTERVAL_METHOD.into(),
        },
        floors: floors.values().cloned().collect(),
        machine: Vec::new(),
        scenarios: Vec::new(),
        load_curves: Vec::new(),
    };
    let writer = ResultsWriter::create(out, file).with_context(|| format!("writing results to {}", out.display()))?;
    bench_core::transport::objects::set_interrupt_note(Some(format!(
        "harness: interrupted; every finished trial is in {} (whole rounds also in {})",
        out.join(TRIALS_NAME).display(),
        out.join(JSON_NAME).display()
    )));

    // What is not measured is known from the plan; the rest is measured in rounds.
    let mut slots = Vec::new();
    let mut measured = Vec::new();
    let placed = |cores: [usize; 2]| Placed {
        cores,
        relation: topology.relation(cores[0], cores[1]),
        floor: floors.get(&cores).cloned(),
    };
    for (scenario, planned) in &plan.scenarios {
        let slot = match planned {
            Planned::Unavailable(why) => {
                Slot::Fixed(Box::new(measurement::not_measured(scenario, None, Status::Unavailable, why.clone())))
            }
            Planned::Refused { cores, why } => Slot::Fixed(Box::new(measurement::not_measured(
                scenario,
                Some(&placed(*cores)),
                Status::Refused,
                why.clone(),
            ))),
            Planned::Runnable { spec, realised } => {
                let here = placed(spec.cores);
                let mut frame = measurement::not_measured(scenario, Some(&here), Status::Ok, String::new());
                frame.realised_capacity = realised.messages;
                frame.realised_detail = realised.detail.clone();
                if spec.producers.many() {
                    frame.mailbox = Some(MailboxSummary {
                        producer_cores: spec.producer_cores.clone(),
                        shared_cores: placement::sharing(&spec.producer_cores, spec.cores[1]),
                        per_producer: Vec::new(),
                        fairness: None,
                    });
                }
                measured.push(Measured::new(**scenario, here, spec.clone(), frame));
                Slot::Measured(measured.len() - 1)
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
    let load_curves = if suite.load.is_empty() {
        Vec::new()
    } else {
        observer
            .writer
            .set_scenarios(results.clone())
            .with_context(|| format!("writing results to {}", out.display()))?;
        run_load_sweeps(plan, &results, &placed, &schedule, &mut observer)?
    };
    let mut writer = observer.writer;

    environment.record_end(cpu_before.as_ref());
    {
        let file = writer.file_mut();
        file.warnings = [environment.warnings(), placement_warnings].concat();
        file.environment = environment;
        file.machine = machine;
        file.scenarios = results;
        file.load_curves = load_curves;
    }
    let file = writer.finish().with_context(|| format!("writing results to {}", out.display()))?;
    bench_core::transport::objects::set_interrupt_note(None);
    Ok(file)
}

/// The run's second phase: its load sweeps' steps, planned from the
/// measured `results` (`load_phase.rs`), run in rounds of their own
/// (`suite.load.rounds`, no warm-up: the stream phase ran each transport
/// already) with every trial logged, then judged into curves.
fn run_load_sweeps(
    plan: &Plan<'_>,
    results: &[ScenarioResult],
    placed: &dyn Fn([usize; 2]) -> Placed,
    schedule: &Schedule,
    observer: &mut SuiteObserver,
) -> Result<Vec<LoadCurveResult>> {
    let mut steps = Vec::new();
    let curves = load_phase::plan(plan, results, placed, &mut steps);
    let sweep = Schedule { rounds: plan.suite.load.rounds, warmup_trials: 0, ..*schedule };
    let mut sweep_observer = SweepObserver {
        trials_log: &mut observer.trials_log,
        trials_path: &observer.trials_path,
        progress: Progress::sweep(curves.len(), &sweep, &steps),
    };
    scheduler::run(&mut steps, &sweep, &mut sweep_observer)?;
    sweep_observer.progress.done();
    Ok(load_phase::curves(curves, &steps))
}

/// Logs the sweep phase's trials (`{"load_step": id, "trial": {...}}`,
/// apart from the scenarios' own) and shows its progress.
struct SweepObserver<'a> {
    trials_log: &'a mut BufWriter<File>,
    trials_path: &'a Path,
    progress: Progress,
}

impl Observer for SweepObserver<'_> {
    fn round(&mut self, round: u32, rounds: u32) {
        self.progress.round(round, rounds);
    }

    fn trial(&mut self, measured: &[Measured], index: usize) -> Result<()> {
        let m = &measured[index];
        log_trial(self.trials_log, self.trials_path, "load_step", m)?;
        self.progress.trial(m);
        Ok(())
    }

    fn round_done(&mut self, measured: &[Measured]) -> Result<()> {
        self.progress.round_done(&scheduler::machine_states(measured));
        Ok(())
    }
}

/// Append `m`'s last trial to the trial log at `path`, one JSON line
/// naming it under `key` (`scenario`, or `load_step` for a sweep's step).
fn log_trial(log: &mut BufWriter<File>, path: &Path, key: &str, m: &Measured) -> Result<()> {
    let Some(trial) = m.trials.last() else { return Ok(()) };
    let line = serde_json::json!({ key: m.frame.id, "trial": trial });
    writeln!(log, "{line}").and_then(|()| log.flush()).with_context(|| format!("writing {}", path.display()))
}

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
        log_trial(&mut self.trials_log, &self.trials_path, "scenario", m)?;
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
