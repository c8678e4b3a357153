//! Each subcommand, from parsed arguments to printed output. Bad input is
//! returned as [`BadInput`] (exit status 2); otherwise the [`Outcome`]
//! says how it went (exit status 0, 1 or 3).

use crate::terminal::say;
use std::path::PathBuf;

use anyhow::{Context, Result};
use bench_core::clock::Clock;
use bench_core::ring::Capacity;
use bench_core::topology::Topology;
use bench_core::transport::objects::sweep_leftovers;
use bench_core::transport::{Channel, ChannelSpec, TransportKind};
use scenarios::load::Budget;
use scenarios::load_sweeps::RUN_LOAD_ROUNDS;
use scenarios::results::{ResultsFile, Status, TrialLengths};
use scenarios::{Filter, LoadSweep, LoadSweeps, PlacementSpec, Scenario, Suite, Wait};
use vocabulary::{Pattern, Placement, PlacementLabel};

use crate::cli::{Command, FilterArgs, GateArgs, PatternRequest, RunArgs};
use crate::error::BadInput;
use crate::gate::{self, RunGate};
use crate::placement::{self, check_cores_exist, resolve};
use crate::plan::{Plan, Planned};
use crate::{floor, paths, report, suite_run, writers};
use reports::format::{ns as duration_ns, si};

/// How a command ended, beyond bad input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done (exit status 0).
    Done,
    /// A measured scenario failed (exit status 1).
    ScenarioFailed,
    /// The regression gate failed: a regression, or a scenario that failed
    /// in the new run only (exit status 3).
    Regressed,
}

impl Outcome {
    fn of(ok: bool) -> Outcome {
        if ok { Outcome::Done } else { Outcome::ScenarioFailed }
    }
}

/// Run `command`.
pub fn run(command: Command) -> Result<Outcome> {
    // Settings from the environment are input too: refused here, once.
    crate::supervisor::deadline_base_from_env().map_err(BadInput)?;
    match command {
        Command::All { quick, out, filters, wait, trials, gate, p99_budget } => {
            let topology = Topology::detect();
            let available = placement::available(&topology);
            let mut suite = if quick { Suite::quick(&available) } else { Suite::all(&available) };
            suite.load.budget = p99_budget.unwrap_or(suite.load.budget);
            suite.set_wait(wait);
            narrow(&mut suite, &filters)?;
            suite.trials = trials.trials.unwrap_or(suite.trials);
            gated(&suite, topology, out, trials.seed, &gate)
        }
        Command::Suite { file, out, filters, wait, trials, gate } => {
            let topology = Topology::detect();
            let mut suite =
                Suite::from_toml(&file, &placement::available(&topology)).map_err(|e| BadInput(e.to_string()))?;
            suite.set_wait(wait);
            narrow(&mut suite, &filters)?;
            suite.trials = trials.trials.unwrap_or(suite.trials);
            gated(&suite, topology, out, trials.seed, &gate)
        }
        Command::Run(args) => run_one(args).map(Outcome::of),
        Command::Report { files, out } => report(&files, out).map(Outcome::of),
        Command::Compare(args) => Ok(if gate::compare(&args)? { Outcome::Done } else { Outcome::Regressed }),
        Command::List { quick, suite, filters, wait } => {
            let available = placement::available(&Topology::detect());
            let mut suite = match suite {
                Some(file) => Suite::from_toml(&file, &available).map_err(|e| BadInput(e.to_string()))?,
                None if quick => Suite::quick(&available),
                None => Suite::all(&available),
            };
            suite.set_wait(wait);
            narrow(&mut suite, &filters)?;
            list(&suite);
            Ok(Outcome::Done)
        }
        Command::Floor { cores, placement } => floor(cores, placement).map(Outcome::of),
        Command::Transports { capacity, size } => {
            transports(capacity, size as usize);
            Ok(Outcome::Done)
        }
        Command::Clean { dry_run } => clean(dry_run).map(Outcome::of),
    }
}

/// Run a suite on `topology` with its gate: checked before, applied after.
fn gated(
    suite: &Suite,
    topology: Topology,
    out: Option<PathBuf>,
    seed: Option<u64>,
    args: &GateArgs,
) -> Result<Outcome> {
    let gate = RunGate::prepare(args)?;
    // Planned before a default folder is made for a run that cannot start.
    let plan = Plan::new(suite, topology)?;
    let out = paths::out_dir(out, &suite.name)?;
    let file = suite_run::run(&plan, &out, seed)?;
    let written = writers::write(&file, &out)?;
    let passes = gate.finish(&out, written)?;
    Ok(match (passes, no_failure(&file)) {
        (false, _) => Outcome::Regressed,
        (true, ok) => Outcome::of(ok),
    })
}

/// No scenario of `file` failed.
fn no_failure(file: &ResultsFile) -> bool {
    !file.scenarios.iter().any(|r| r.status == Status::Failed)
}

/// Narrow `suite` by the filters. A pattern filter keeps the load sweeps
/// only when it lists `load` (which keeps the streams that set their
/// rates, too); the other dimensions narrow the sweeps as they narrow the
/// scenarios.
fn narrow(suite: &mut Suite, f: &FilterArgs) -> Result<()> {
    let some = |v: bool| v.then_some(());
    let wants_load = f.patterns.contains(&PatternRequest::Load);
    let mut patterns: Vec<Pattern> = f
        .patterns
        .iter()
        .filter_map(|p| match p {
            PatternRequest::One(p) => Some(*p),
            PatternRequest::Load => None,
        })
        .collect();
    if wants_load {
        patterns.push(Pattern::Stream);
    }
    let filter = Filter {
        transports: some(!f.transports.is_empty()).map(|_| f.transports.clone()),
        capacities: some(!f.capacities.is_empty()).map(|_| f.capacities.clone()),
        sizes: some(!f.sizes.is_empty()).map(|_| f.sizes.clone()),
        patterns: some(!patterns.is_empty()).map(|_| patterns),
        placements: some(!f.placements.is_empty())
            .map(|_| f.placements.iter().map(|p| PlacementSpec::Named(*p)).collect()),
    };
    filter.apply(suite).map_err(|e| BadInput(e.to_string()))?;
    if !f.patterns.is_empty() && !wants_load {
        suite.load.curves.clear();
    }
    suite.load.curves.retain(|sweep| filter.matches(&sweep.stream()));
    suite.add_load_sources();
    Ok(())
}

/// `harness run`: one scenario, refused input rejected before anything starts.
fn run_one(args: RunArgs) -> Result<bool> {
    check_wait(args.wait, args.transport)?;
    let topology = Topology::detect();
    let placement = match (args.cores, args.placement) {
        (Some([a, b]), _) => PlacementSpec::Cores(a, b),
        (None, Some(p)) => PlacementSpec::Named(p),
        (None, None) => PlacementSpec::Named(scenarios::primary_placement(&placement::available(&topology))),
    };
    // A load sweep runs the stream first: its throughput sets the rates.
    let pattern = match args.pattern {
        PatternRequest::One(pattern) => pattern,
        PatternRequest::Load => Pattern::Stream,
    };
    let scenario = Scenario {
        transport: args.transport,
        capacity: args.capacity,
        size: args.size,
        pattern,
        placement,
        producers: args.producers,
        wait: args.wait,
    };
    let load = match (args.pattern, args.p99_budget) {
        (PatternRequest::Load, budget) => LoadSweeps {
            budget: budget.unwrap_or(Budget::DEFAULT),
            // Fewer when fewer trials were asked for (a quick look).
            ..LoadSweeps::new([LoadSweep::of(&scenario)], RUN_LOAD_ROUNDS.min(args.trials))
        },
        (PatternRequest::One(_), Some(budget)) => {
            return Err(BadInput(format!(
                "--p99-budget {budget} places the knee of a load sweep; give it with --pattern load"
            ))
            .into());
        }
        (PatternRequest::One(_), None) => LoadSweeps::default(),
    };
    let suite = Suite::new(
        "run",
        [scenario],
        args.trials,
        args.warmup_trials,
        TrialLengths::all(args.duration.as_millis() as u64),
    )
    .with_load(load);
    let plan = Plan::new(&suite, topology)?;
    match &plan.scenarios[0].1 {
        Planned::Unavailable(why) => return Err(BadInput(format!("{}: {why}", scenario.placement)).into()),
        Planned::Refused { why, .. } => {
            return Err(BadInput(format!("{} cannot run {}: {why}", scenario.transport, scenario.id())).into());
        }
        Planned::Runnable { .. } => {}
    }
    let out = paths::out_dir(args.out, &suite.name)?;
    let file = suite_run::run(&plan, &out, args.seed)?;
    writers::write(&file, &out)?;
    Ok(no_failure(&file))
}

/// An explicit `--wait` for a transport that does not wait in user space is
/// bad input: it would change nothing, and the id would claim it did.
fn check_wait(wait: Wait, transport: TransportKind) -> Result<(), BadInput> {
    if wait == Wait::Auto || transport.waits_in_user_space() {
        return Ok(());
    }
    let takers: Vec<&str> =
        TransportKind::ALL.into_iter().filter(|k| k.waits_in_user_space()).map(TransportKind::name).collect();
    Err(BadInput(format!(
        "--wait {wait}: {transport} waits {}, so no wait strategy applies; --wait takes effect on {} (or give \
         --wait auto)",
        transport.where_it_waits(),
        takers.join(", ")
    )))
}

/// `harness report`: render saved results; prints the report's path.
fn report(files: &[PathBuf], out: Option<PathBuf>) -> Result<bool> {
    let inputs = reports::load_inputs(files).map_err(|e| BadInput(e.to_string()))?;
    let path = out.unwrap_or_else(|| report::default_path(&files[0]));
    report::write(&inputs, &path)?;
    say!("{}", path.display());
    Ok(true)
}

fn list(suite: &Suite) {
    let topology = Topology::detect();
    say!("placements on this machine:");
    for (p, pair) in topology.placements() {
        match pair {
            Ok((a, b)) => say!("  {:<13} cores {a},{b}", p.name()),
            Err(why) => say!("  {:<13} unavailable: {why}", p.name()),
        }
    }
    let ms = suite.trial_ms;
    say!(
        "\nsuite {}: {} scenarios, {} rounds of one trial each ({} ms stream, {} ms pingpong, {} ms rate) after {} \
         warm-up",
        suite.name,
        suite.scenarios.len(),
        suite.trials,
        ms.stream,
        ms.pingpong,
        ms.rate,
        suite.warmup_trials
    );
    for s in &suite.scenarios {
        say!("  {}", s.id());
    }
    if !suite.load.is_empty() {
        say!(
            "\nload sweeps: {} curves, {} trial(s) a step, p99 budget {} (rates from each curve's stream above)",
            suite.load.curves.len(),
            suite.load.rounds,
            suite.load.budget
        );
        for sweep in &suite.load.curves {
            say!("  {}", sweep.id());
        }
    }
}

fn floor(cores: Option<[usize; 2]>, placement: Option<Placement>) -> Result<bool> {
    let topology = Topology::detect();
    let mut pairs: Vec<(PlacementLabel, [usize; 2])> = Vec::new();
    match (cores, placement) {
        (Some(c), _) => {
            check_cores_exist(&c)?;
            pairs.push((PlacementLabel::Cores, c));
        }
        (None, Some(p)) => {
            let c = resolve(&topology, &PlacementSpec::Named(p)).map_err(|why| BadInput(format!("{p}: {why}")))?;
            pairs.push((p.into(), c));
        }
        (None, None) => {
            for (p, pair) in topology.placements() {
                match pair {
                    Ok((a, b)) => pairs.push((p.into(), [a, b])),
                    Err(why) => say!("{:<13} unavailable: {why}", p.name()),
                }
            }
        }
    }
    say!("clock read (CLOCK_MONOTONIC)      {:.1} ns", Clock::Monotonic.read_cost_ns());
    say!("clock read (time-stamp counter)   {:.1} ns", Clock::Cycles.read_cost_ns());
    for (name, c) in pairs {
        let f = floor::measure(name, c).context("measuring the floor")?;
        let rel = topology.relation(c[0], c[1]).map_or("?", |p| p.name());
        match f.cache_line_rtt {
            Some(e) => say!(
                "{name:<13} cores {},{} ({rel}): cache-line round trip p50 {} [95% {} - {}], copy {}B/s",
                c[0],
                c[1],
                duration_ns(e.median),
                duration_ns(e.low),
                duration_ns(e.high),
                si(f.copy_bytes_per_s)
            ),
            None => say!(
                "{name:<13} cores {},{} ({rel}): one core, no cache-line transfer; copy {}B/s",
                c[0],
                c[1],
                si(f.copy_bytes_per_s)
            ),
        }
    }
    Ok(true)
}

/// One line per transport: its link, its copies per message, and what the
/// capacity asked for becomes.
fn transports(capacity: Capacity, size: usize) {
    say!("{capacity}, {size}-byte messages");
    say!("{:<18} {:<9} {:<10} {:<8} {:>6} {:>9}  how", "transport", "link", "ends", "senders", "copies", "realised");
    for kind in TransportKind::ALL {
        let ends = if kind.is_threads() { "threads" } else { "processes" };
        let senders = if kind.many_senders().is_ok() { "many" } else { "one" };
        let (realised, how) = match Channel::create(&ChannelSpec::new(kind, capacity, size)) {
            Ok(chan) => {
                let r = chan.realised();
                (r.messages.map_or("-".to_owned(), |m| m.to_string()), r.detail)
            }
            Err(e) => ("refused".to_owned(), e.to_string()),
        };
        let copies = kind.copies(capacity).count;
        say!(
            "{:<18} {:<9} {:<10} {:<8} {:>6} {:>9}  {how}",
            kind.name(),
            kind.link().to_string(),
            ends,
            senders,
            copies,
            realised
        );
    }
    say!(
        "\ncopies: of each message, beyond composing and checking it (0: loans, composed and checked in shared memory)"
    );
    for kind in TransportKind::ALL {
        say!("  {:<18} {}", kind.name(), kind.copies(capacity).how);
    }
    say!("\none sender only (--producers 1):");
    for kind in TransportKind::ALL {
        if let Err(why) = kind.many_senders() {
            say!("  {:<18} {why}", kind.name());
        }
    }
}

/// Remove (or list) the leftovers of dead runs, and name those it cannot judge.
fn clean(dry_run: bool) -> Result<bool> {
    let sweep = sweep_leftovers(dry_run);
    if sweep.leftovers.is_empty() {
        say!("no leftovers of dead ringside runs");
    }
    for object in &sweep.left_alone {
        say!(
            "left alone {object}: named by an older ringside, without its pid namespace (remove it by hand once no run uses it)"
        );
    }
    let mut failed = 0;
    for (object, result) in &sweep.leftovers {
        match (dry_run, result) {
            (true, _) => say!("would remove {object}"),
            (false, Ok(())) => say!("removed {object}"),
            (false, Err(e)) => {
                failed += 1;
                say!("could not remove {object}: {e}");
            }
        }
    }
    anyhow::ensure!(failed == 0, "{failed} leftovers could not be removed");
    Ok(true)
}
