//! Suites: named lists of scenarios with how often and how long to run
//! each. Two are built in, `all` (the full comparison) and `quick` (CI's
//! pass); users write their own in TOML.
//!
//! A suite never holds a scenario twice: scenarios are deduplicated by
//! [`Scenario::id`], the first occurrence kept, the order otherwise kept.
//!
//! # Wait strategies
//! A wait other than `auto` is given only to scenarios whose transport
//! waits in user space (the ring designs and `eventfd-shm`,
//! [`TransportKind::waits_in_user_space`]); the others are kept at `auto`,
//! and the repeats that makes are dropped. `harness all --wait block` sets
//! every such scenario's wait ([`Suite::set_wait`]).
//!
//! # Placements
//! The built-in suites take the placements this machine offers. The
//! *primary* placement, where the sweeps run, is the first offered of
//! cross-core, smt-sibling, cross-ccx, cross-socket, same-core
//! ([`primary_placement`]): two cores that do not share a pipeline, when
//! there are any.
//!
//! # The TOML format
//! ```toml
//! name = "mine"          # optional; default: the file name without .toml
//! trials = 10            # optional, 1 to 1000; default 10: rounds, each one trial of every scenario
//! warmup_trials = 1      # optional, up to 100; default 1: discarded trials per scenario before them
//! trial_ms = 100         # optional, 1 to 3600000 (an hour); default 100: how long each trial sends
//!
//! [[scenarios]]          # each table is a cartesian product of its lists
//! transports = ["pipe", "shm-ring"]          # required; "all" = every transport
//! capacities = ["bounded:64", "unbounded"]   # optional; default ["bounded:64"]
//! sizes = [64, 4096]                         # optional, bytes >= 8; default [64]
//! patterns = ["stream", "pingpong", "rate:10000"]  # optional; default ["stream"]
//! placements = ["primary", "cores:0,1"]      # optional; default ["primary"]
//! waits = ["spin", "block"]                  # optional; default ["auto"]
//! producers = [1, 2, 4]                      # optional, 1 to 64; default [1]
//! ```
//! In `placements`, `primary` is this machine's primary placement and
//! `all` every placement it offers; a named placement the machine lacks is
//! kept, and the harness records it as unavailable. `waits` are `auto`,
//! `spin`, `yield` and `block`, part of the product for the transports that
//! wait in user space; the others get `auto` alone (their scenario once,
//! whatever `waits` lists), and an explicit wait ends the scenario's id
//! (`.../cross-core/wait:block`). `producers` counts the processes that
//! send to the one consumer; more than one runs only on the transports
//! that take many senders (the harness records the others as refused,
//! with the reason), and ends the id with `/producers:N`. Unknown keys are
//! errors. Every error is one line naming the file, the `[[scenarios]]`
//! table (counted from 1) and the valid choices.
//! `scenarios/examples/suite.toml` is a complete example.

use std::path::Path;

use serde::Deserialize;
use vocabulary::{Capacity, Pattern, Placement, PlacementSpec, Producers, TransportKind, UnknownName, Variant, Wait};

use crate::load_sweeps::{ALL_LOAD_ROUNDS, LoadSweep, LoadSweeps};
use crate::results::TrialLengths;
use crate::scenario::Scenario;

/// Trials per scenario (rounds) when a suite file does not say.
pub const DEFAULT_TRIALS: u32 = 10;
/// Discarded warm-up trials per scenario when a suite file does not say.
pub const DEFAULT_WARMUP_TRIALS: u32 = 1;
/// Milliseconds each trial sends when a suite file does not say.
pub const DEFAULT_TRIAL_MS: u64 = 100;
/// The most trials a suite (or the command line) may ask for per scenario.
pub const MAX_TRIALS: u32 = 1_000;
/// The most warm-up trials a suite (or the command line) may ask for.
pub const MAX_WARMUP_TRIALS: u32 = 100;
/// The longest trial a suite (or the command line) may ask for: an hour, in milliseconds.
pub const MAX_TRIAL_MS: u64 = 3_600_000;
/// Trials per scenario in `all`.
pub const ALL_TRIALS: u32 = 10;
/// Trial lengths in `all`.
pub const ALL_TRIAL_MS: TrialLengths = TrialLengths { stream: 20, pingpong: 50, rate: 160 };
/// The message sizes `all` sweeps (item 4), bytes: 8 B to 1 MiB, beside
/// the other items' [`DEFAULT_SIZE`].
pub const ALL_SIZES: [usize; 5] = [8, 512, 4096, 65536, 1 << 20];
/// Trials per scenario in `quick`.
pub const QUICK_TRIALS: u32 = 10;
/// Trial lengths in `quick`.
pub const QUICK_TRIAL_MS: TrialLengths = TrialLengths { stream: 25, pingpong: 50, rate: 100 };
/// Message size of the comparisons that are not size sweeps, bytes.
pub const DEFAULT_SIZE: usize = 64;
/// The capacity modes `all` sweeps load at (every transport, 64 B, the
/// primary placement): the comparison's bounded mode, which every
/// transport realises. One mode keeps the sweep within about two minutes
/// of `all`: on a busy 2-core VM the 13 bounded:8 curves sent for 95 s
/// (104 steps, the slow transports' low steps at the 2 s cap) plus about
/// 0.1 s a step to start its processes, and unbounded would add another
/// 66 s + 10 s. `harness run --pattern load` sweeps any mode.
pub const ALL_LOAD_CAPACITIES: [Capacity; 1] = [Capacity::Bounded(8)];
/// The transports `quick` sweeps load for (bounded:8, 64 B, primary
/// placement): the ring and a pipe, a user-space and a kernel transport,
/// both fast enough that their sweeps take a few seconds.
pub const QUICK_LOAD_TRANSPORTS: [TransportKind; 2] = [TransportKind::ShmRing(Variant::Ring), TransportKind::Pipe];

/// The order in which the primary placement is chosen.
pub const PRIMARY_ORDER: [Placement; 5] =
    [Placement::CrossCore, Placement::SmtSibling, Placement::CrossCcx, Placement::CrossSocket, Placement::SameCore];

/// The placement the sweeps run at: the first of [`PRIMARY_ORDER`] in
/// `available`; same-core when `available` is empty (every machine has one
/// core).
pub fn primary_placement(available: &[Placement]) -> Placement {
    PRIMARY_ORDER.into_iter().find(|p| available.contains(p)).unwrap_or(Placement::SameCore)
}

/// `available` without repeats, in its order; `[same-core]` when empty.
fn offered(available: &[Placement]) -> Vec<Placement> {
    let mut out: Vec<Placement> = Vec::new();
    for &p in available {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.is_empty() {
        out.push(Placement::SameCore);
    }
    out
}

/// A named list of scenarios and how to run each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suite {
    /// `all`, `quick`, a suite file's name, or what the caller chose.
    pub name: String,
    /// The scenarios, in the order they run; no two share an id.
    pub scenarios: Vec<Scenario>,
    /// Rounds, each measuring every scenario once: trials per scenario (>= 1).
    pub trials: u32,
    /// Discarded warm-up trials per scenario, before the first round.
    pub warmup_trials: u32,
    /// How long each trial sends, milliseconds (>= 1), per pattern.
    pub trial_ms: TrialLengths,
    /// The load sweeps run after the scenarios (none unless asked for);
    /// each one's stream scenario is among [`Suite::scenarios`]
    /// ([`Suite::with_load`]).
    pub load: LoadSweeps,
}

impl Suite {
    /// A suite of `scenarios`, deduplicated by id (the first kept).
    pub fn new(
        name: impl Into<String>,
        scenarios: impl IntoIterator<Item = Scenario>,
        trials: u32,
        warmup_trials: u32,
        trial_ms: TrialLengths,
    ) -> Suite {
        let mut suite = Suite {
            name: name.into(),
            scenarios: scenarios.into_iter().collect(),
            trials,
            warmup_trials,
            trial_ms,
            load: LoadSweeps::default(),
        };
        suite.dedup();
        suite
    }

    /// This suite with `load` swept after its scenarios, each sweep's
    /// stream scenario (its saturation) added where missing.
    pub fn with_load(mut self, load: LoadSweeps) -> Suite {
        self.load = load;
        self.add_load_sources();
        self
    }

    /// Add the stream scenario of every load sweep that lacks it (after a
    /// filter took it away, say), keeping the order.
    pub fn add_load_sources(&mut self) {
        let sources: Vec<Scenario> = self.load.curves.iter().map(LoadSweep::stream).collect();
        self.scenarios.extend(sources);
        self.dedup();
    }

    /// Drop every scenario whose id an earlier one has, keeping the order.
    pub fn dedup(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.scenarios.retain(|s| seen.insert(s.id()));
    }

    /// Every scenario whose transport waits in user space waits by `wait`
    /// (`harness all --wait W`); the others keep `auto`. Repeats this
    /// makes are dropped. `auto` changes nothing: explicit waits a suite
    /// lists stay as they are.
    pub fn set_wait(&mut self, wait: Wait) {
        if wait == Wait::Auto {
            return;
        }
        for s in &mut self.scenarios {
            if s.transport.waits_in_user_space() {
                s.wait = wait;
            }
        }
        let curves = self.load.curves.iter().map(|c| match c.transport.waits_in_user_space() {
            true => LoadSweep { wait, ..*c },
            false => *c,
        });
        self.load.curves = LoadSweeps::new(curves.collect::<Vec<_>>(), self.load.rounds).curves;
        self.dedup();
    }

    /// The full default comparison on a machine offering `available`
    /// placements (495 scenarios on a two-placement machine):
    ///
    /// 1. every transport x {rendezvous, bounded:8, unbounded} x 64 B x stream x every placement;
    /// 2. every transport x bounded:1 x 64 B x pingpong x every placement;
    /// 3. every transport x bounded:8 x 64 B x rate:10000 at the primary placement;
    /// 4. message sizes at the primary placement: every transport x {8, 512, 4096, 65536,
    ///    1048576} B x stream (bounded:8) and pingpong (bounded:1) (a transport that cannot
    ///    carry a size, such as the framed kernel transports above 64 KiB, refuses it with
    ///    the reason);
    /// 5. capacities: every transport x {bounded:1, bounded:64, bounded:1024} x 64 B x stream, and
    ///    x {rendezvous, bounded:1, bounded:64, bounded:1024, unbounded} x rate:10000 (latency
    ///    against N, with item 3's bounded:8), primary;
    /// 6. the ring ablation: shm-ring, shm-ring:padded, shm-ring:textbook x bounded:1024 x 8 B x
    ///    {stream, pingpong}, primary;
    /// 7. what waiting costs: shm-ring x {spin, yield, block} x 64 B x stream (bounded:8),
    ///    pingpong (bounded:1) and rate:10000 (bounded:8), primary: explicit waits, so ids of
    ///    their own beside items 1 to 3's `auto` scenarios of the same cells;
    /// 8. latency against offered load: a load sweep of every transport x
    ///    [`ALL_LOAD_CAPACITIES`] x 64 B at the primary placement, one trial
    ///    a step ([`ALL_LOAD_ROUNDS`]), its saturation from item 1's streams;
    /// 9. mailboxes with many senders: every transport that takes them x {rendezvous, bounded:8,
    ///    unbounded} x 64 B x stream, and x bounded:8 x rate:10000, x 1, 2 and 4 producers
    ///    ([`ALL_PRODUCERS`]), primary (on two cores, 2 and 4 producers share cores: the
    ///    results say so).
    ///
    /// bounded:8 is the comparison's bounded mode because every transport
    /// realises it under default kernel limits (POSIX queues allow 10
    /// messages, a Unix datagram socket queues 11); a ping-pong has one
    /// message in flight, so it runs at bounded:1. Ten rounds after one
    /// warm-up trial each ([`ALL_TRIALS`]): 20 ms trials for streams, 50 ms
    /// for pingpongs (which run on to 1,500 recorded round trips, so that
    /// each trial has its p99 for the gate and ten collect 15,000), 160 ms
    /// for rate runs, so that ten of them collect 16,000 one-way samples at
    /// 10,000 msgs/s (p99.9 needs 10,000 from the trials used).
    pub fn all(available: &[Placement]) -> Suite {
        let every = offered(available);
        let primary = [primary_placement(available)];
        let transports = TransportKind::ALL;
        let modes = [Capacity::Rendezvous, Capacity::Bounded(8), Capacity::Unbounded];
        let (bounded8, bounded1) = ([Capacity::Bounded(8)], [Capacity::Bounded(1)]);
        let size = [DEFAULT_SIZE];
        let sizes = ALL_SIZES;
        let both = [Pattern::Stream, Pattern::PingPong];
        let rings = Variant::ALL.iter().rev().map(|&v| TransportKind::ShmRing(v)).collect::<Vec<_>>();

        let mut scenarios = Vec::new();
        scenarios.extend(product(&transports, &modes, &size, &[Pattern::Stream], &every));
        scenarios.extend(product(&transports, &bounded1, &size, &[Pattern::PingPong], &every));
        scenarios.extend(product(&transports, &bounded8, &size, &[Pattern::Rate(10_000)], &primary));
        for &t in &transports {
            scenarios.extend(product(&[t], &bounded8, &sizes, &[Pattern::Stream], &primary));
            scenarios.extend(product(&[t], &bounded1, &sizes, &[Pattern::PingPong], &primary));
        }
        let sweep = [Capacity::Bounded(1), Capacity::Bounded(64), Capacity::Bounded(1024)];
        scenarios.extend(product(&transports, &sweep, &size, &[Pattern::Stream], &primary));
        let rate_sweep = [Capacity::Rendezvous, sweep[0], sweep[1], sweep[2], Capacity::Unbounded];
        scenarios.extend(product(&transports, &rate_sweep, &size, &[Pattern::Rate(10_000)], &primary));
        scenarios.extend(product(&rings, &[Capacity::Bounded(1024)], &[8], &both, &primary));
        let ring = [TransportKind::ShmRing(Variant::Ring)];
        let strategies = [Wait::Spin, Wait::Yield, Wait::Block];
        let waiting = [
            product(&ring, &bounded8, &size, &[Pattern::Stream], &primary),
            product(&ring, &bounded1, &size, &[Pattern::PingPong], &primary),
            product(&ring, &bounded8, &size, &[Pattern::Rate(10_000)], &primary),
        ];
        scenarios.extend(with_waits(waiting.concat(), &strategies));
        let counts: Vec<Producers> = ALL_PRODUCERS.iter().filter_map(|&n| Producers::new(n)).collect();
        let many = [
            product(&mailboxes(), &modes, &size, &[Pattern::Stream], &primary),
            product(&mailboxes(), &bounded8, &size, &[Pattern::Rate(10_000)], &primary),
        ];
        scenarios.extend(with_producers(many.concat(), &counts));
        let load = product(&transports, &ALL_LOAD_CAPACITIES, &size, &[Pattern::Stream], &primary);
        Suite::new("all", scenarios, ALL_TRIALS, 1, ALL_TRIAL_MS)
            .with_load(LoadSweeps::new(load.iter().map(LoadSweep::of), ALL_LOAD_ROUNDS))
    }

    /// CI's pass, within a minute: every transport x {rendezvous,
    /// bounded:8, unbounded} x 64 B x stream, and every transport x
    /// bounded:1 x 64 B x pingpong, all at the primary placement; ten
    /// rounds of 25 ms trials (50 ms for pingpongs, which run on to 1,500
    /// recorded round trips) after one warm-up trial each; a load
    /// sweep of [`QUICK_LOAD_TRANSPORTS`] at bounded:8, 64 B, one trial a
    /// step; and every transport that takes many senders x bounded:8 x
    /// 64 B x stream with two producers.
    pub fn quick(available: &[Placement]) -> Suite {
        let primary = [primary_placement(available)];
        let transports = TransportKind::ALL;
        let modes = [Capacity::Rendezvous, Capacity::Bounded(8), Capacity::Unbounded];
        let bounded8 = [Capacity::Bounded(8)];
        let mut scenarios = product(&transports, &modes, &[DEFAULT_SIZE], &[Pattern::Stream], &primary);
        scenarios.extend(product(
            &transports,
            &[Capacity::Bounded(1)],
            &[DEFAULT_SIZE],
            &[Pattern::PingPong],
            &primary,
        ));
        let two = [Producers::new(2).expect("2 producers")];
        let many = product(&mailboxes(), &[Capacity::Bounded(8)], &[DEFAULT_SIZE], &[Pattern::Stream], &primary);
        scenarios.extend(with_producers(many, &two));
        let load = product(&QUICK_LOAD_TRANSPORTS, &bounded8, &[DEFAULT_SIZE], &[Pattern::Stream], &primary);
        Suite::new("quick", scenarios, QUICK_TRIALS, 1, QUICK_TRIAL_MS)
            .with_load(LoadSweeps::new(load.iter().map(LoadSweep::of), ALL_LOAD_ROUNDS))
    }

    /// Read a user suite (the format is in this module's documentation);
    /// `primary` and `all` placements resolve against `available`. The
    /// name defaults to the file name without its extension.
    pub fn from_toml(path: &Path, available: &[Placement]) -> Result<Suite, SuiteError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| SuiteError::Io { path: origin.clone(), source })?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| origin.clone());
        parse(&origin, &stem, &text, available)
    }

    /// [`Suite::from_toml`] of text already read; `name` is the default
    /// suite name and what errors call the text.
    pub fn from_toml_str(name: &str, text: &str, available: &[Placement]) -> Result<Suite, SuiteError> {
        parse(name, name, text, available)
    }
}

/// Every combination, transport outermost and placement innermost.
fn product(
    transports: &[TransportKind],
    capacities: &[Capacity],
    sizes: &[usize],
    patterns: &[Pattern],
    placements: &[Placement],
) -> Vec<Scenario> {
    let placements: Vec<PlacementSpec> = placements.iter().map(|&p| PlacementSpec::Named(p)).collect();
    product_of_specs(transports, capacities, sizes, patterns, &placements)
}

fn product_of_specs(
    transports: &[TransportKind],
    capacities: &[Capacity],
    sizes: &[usize],
    patterns: &[Pattern],
    placements: &[PlacementSpec],
) -> Vec<Scenario> {
    let mut out = Vec::new();
    for &transport in transports {
        for &capacity in capacities {
            for &size in sizes {
                for &pattern in patterns {
                    for &placement in placements {
                        out.push(Scenario {
                            transport,
                            capacity,
                            size,
                            pattern,
                            placement,
                            producers: Producers::ONE,
                            wait: Wait::Auto,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Each scenario once per count of `producers`, the counts innermost. A
/// count above one is kept whatever the transport: the harness records it
/// as refused, with the transport's reason, where one sender is all it takes.
fn with_producers(scenarios: Vec<Scenario>, producers: &[Producers]) -> Vec<Scenario> {
    scenarios.into_iter().flat_map(|s| producers.iter().map(move |&producers| Scenario { producers, ..s })).collect()
}

/// The transports whose kernel object (or segment) takes many senders.
fn mailboxes() -> Vec<TransportKind> {
    TransportKind::ALL.into_iter().filter(|k| k.many_senders().is_ok()).collect()
}

/// The producer counts of `all`'s mailbox item.
pub const ALL_PRODUCERS: [u16; 3] = [1, 2, 4];

/// Each scenario once per wait of `waits` when its transport waits in user
/// space, and once at `auto` otherwise (the repeats that makes are dropped
/// by [`Suite::new`]); in order, the waits innermost.
fn with_waits(scenarios: Vec<Scenario>, waits: &[Wait]) -> Vec<Scenario> {
    let mut out = Vec::new();
    for s in scenarios {
        if s.transport.waits_in_user_space() {
            out.extend(waits.iter().map(|&wait| Scenario { wait, ..s }));
        } else {
            out.push(Scenario { wait: Wait::Auto, ..s });
        }
    }
    out
}

/// A suite file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("{origin}: line {line}{}: {message}", table.map(|t| format!(", [[scenarios]] table {t}")).unwrap_or_default())]
    Syntax {
        /// The file (or the name given to the text).
        origin: String,
        /// Line of the error, from 1.
        line: usize,
        /// The `[[scenarios]]` table it is in, from 1, if any.
        table: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A top-level value out of range.
    #[error("{origin}: {message}")]
    Value {
        /// The file.
        origin: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A value inside a `[[scenarios]]` table.
    #[error("{origin}: [[scenarios]] table {table}: {error}")]
    Table {
        /// The file.
        origin: String,
        /// The table, from 1.
        table: usize,
        /// What is wrong.
        error: TableError,
    },
}

/// A bad value inside one `[[scenarios]]` table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// Not a transport name.
    #[error("transports: {0}, or all")]
    Transport(UnknownName),
    /// Not a capacity mode.
    #[error("capacities: {0}")]
    Capacity(UnknownName),
    /// A message size below the sequence number every message carries.
    #[error(
        "sizes: {0} is below {min} bytes: every message carries its 64-bit sequence number",
        min = bench_core::workload::MIN_SIZE
    )]
    TooSmall(usize),
    /// Not a pattern.
    #[error("patterns: {0}")]
    Pattern(UnknownName),
    /// Not a placement.
    #[error("placements: {0}, primary (this machine's primary placement), all (every placement it offers)")]
    Placement(UnknownName),
    /// Not a wait.
    #[error("waits: {0}")]
    Wait(UnknownName),
    /// A producer count out of range.
    #[error("producers: {0}")]
    Producers(vocabulary::BadProducers),
    /// A list with nothing in it.
    #[error("{0} is an empty list; list at least one value")]
    Empty(&'static str),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SuiteFile {
    name: Option<String>,
    #[serde(alias = "repeats")]
    trials: Option<u32>,
    #[serde(alias = "warmup_runs")]
    warmup_trials: Option<u32>,
    #[serde(alias = "run_ms")]
    trial_ms: Option<u64>,
    #[serde(default)]
    scenarios: Vec<ScenarioTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioTable {
    transports: Vec<String>,
    capacities: Option<Vec<String>>,
    sizes: Option<Vec<usize>>,
    patterns: Option<Vec<String>>,
    placements: Option<Vec<String>>,
    waits: Option<Vec<String>>,
    producers: Option<Vec<u16>>,
}

fn parse(origin: &str, default_name: &str, text: &str, available: &[Placement]) -> Result<Suite, SuiteError> {
    let file: SuiteFile = toml::from_str(text).map_err(|e| syntax_error(origin, text, &e))?;
    let value_error = |message: String| SuiteError::Value { origin: origin.to_owned(), message };
    let name = file.name.unwrap_or_else(|| default_name.to_owned());
    if name.trim().is_empty() {
        return Err(value_error("name is empty; leave it out to use the file name".to_owned()));
    }
    let trials = file.trials.unwrap_or(DEFAULT_TRIALS);
    if trials < 1 {
        return Err(value_error("trials is 0; it must be at least 1".to_owned()));
    }
    if trials > MAX_TRIALS {
        return Err(value_error(format!("trials is {trials}; it must be at most {MAX_TRIALS}")));
    }
    let trial_ms = file.trial_ms.unwrap_or(DEFAULT_TRIAL_MS);
    if trial_ms < 1 {
        return Err(value_error("trial_ms is 0; it must be at least 1 (milliseconds)".to_owned()));
    }
    if trial_ms > MAX_TRIAL_MS {
        return Err(value_error(format!(
            "trial_ms is {trial_ms}; it must be at most {MAX_TRIAL_MS} (milliseconds: an hour)"
        )));
    }
    let warmup_trials = file.warmup_trials.unwrap_or(DEFAULT_WARMUP_TRIALS);
    if warmup_trials > MAX_WARMUP_TRIALS {
        return Err(value_error(format!("warmup_trials is {warmup_trials}; it must be at most {MAX_WARMUP_TRIALS}")));
    }
    if file.scenarios.is_empty() {
        return Err(value_error(
            "no [[scenarios]] table; each lists transports (and optionally capacities, sizes, patterns, placements, \
             waits, producers)"
                .to_owned(),
        ));
    }
    let mut scenarios = Vec::new();
    for (i, table) in file.scenarios.iter().enumerate() {
        let expanded = expand(table, available).map_err(|error| SuiteError::Table {
            origin: origin.to_owned(),
            table: i + 1,
            error,
        })?;
        scenarios.extend(expanded);
    }
    Ok(Suite::new(name, scenarios, trials, warmup_trials, TrialLengths::all(trial_ms)))
}

/// The scenarios of one table, in the order its lists give.
fn expand(table: &ScenarioTable, available: &[Placement]) -> Result<Vec<Scenario>, TableError> {
    fn non_empty<T: Clone>(what: &'static str, list: Option<&Vec<T>>, default: &[T]) -> Result<Vec<T>, TableError> {
        match list {
            Some(l) if l.is_empty() => Err(TableError::Empty(what)),
            Some(l) => Ok(l.clone()),
            None => Ok(default.to_vec()),
        }
    }
    let mut transports = Vec::new();
    for name in non_empty("transports", Some(&table.transports), &[])? {
        if name == "all" {
            transports.extend(TransportKind::ALL);
        } else {
            transports.push(name.parse().map_err(TableError::Transport)?);
        }
    }
    let capacities = non_empty("capacities", table.capacities.as_ref(), &["bounded:64".to_owned()])?
        .iter()
        .map(|c| c.parse::<Capacity>().map_err(TableError::Capacity))
        .collect::<Result<Vec<_>, _>>()?;
    let sizes = non_empty("sizes", table.sizes.as_ref(), &[DEFAULT_SIZE])?;
    if let Some(&small) = sizes.iter().find(|&&n| n < bench_core::workload::MIN_SIZE) {
        return Err(TableError::TooSmall(small));
    }
    let patterns = non_empty("patterns", table.patterns.as_ref(), &["stream".to_owned()])?
        .iter()
        .map(|p| p.parse::<Pattern>().map_err(TableError::Pattern))
        .collect::<Result<Vec<_>, _>>()?;
    let mut placements = Vec::new();
    for name in non_empty("placements", table.placements.as_ref(), &["primary".to_owned()])? {
        match name.as_str() {
            "primary" => placements.push(PlacementSpec::Named(primary_placement(available))),
            "all" => placements.extend(offered(available).into_iter().map(PlacementSpec::Named)),
            _ => placements.push(name.parse().map_err(TableError::Placement)?),
        }
    }
    let waits = non_empty("waits", table.waits.as_ref(), &["auto".to_owned()])?
        .iter()
        .map(|w| w.parse::<Wait>().map_err(TableError::Wait))
        .collect::<Result<Vec<_>, _>>()?;
    let producers = non_empty("producers", table.producers.as_ref(), &[1])?
        .iter()
        .map(|&n| Producers::new(n).ok_or_else(|| TableError::Producers(vocabulary::BadProducers(n.to_string()))))
        .collect::<Result<Vec<_>, _>>()?;
    let scenarios = product_of_specs(&transports, &capacities, &sizes, &patterns, &placements);
    Ok(with_waits(with_producers(scenarios, &producers), &waits))
}

/// A TOML error as one line, with its line number and, when inside one,
/// the `[[scenarios]]` table it is in.
fn syntax_error(origin: &str, text: &str, error: &toml::de::Error) -> SuiteError {
    let at = error.span().map(|s| s.start).unwrap_or(0).min(text.len());
    let line = text[..at].matches('\n').count() + 1;
    // Tables whose header starts at or before the error.
    let mut offset = 0;
    let mut table = 0;
    for l in text.split_inclusive('\n') {
        if offset > at {
            break;
        }
        if l.trim_start().starts_with("[[scenarios]]") {
            table += 1;
        }
        offset += l.len();
    }
    let message = error.message().split_whitespace().collect::<Vec<_>>().join(" ");
    SuiteError::Syntax { origin: origin.to_owned(), line, table: (table > 0).then_some(table), message }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: [Placement; 2] = [Placement::SameCore, Placement::CrossCore];

    fn ids(suite: &Suite) -> Vec<String> {
        suite.scenarios.iter().map(Scenario::id).collect()
    }

    /// Every transport appears with every capacity mode at `placement` in a
    /// 64 B stream.
    fn covers_every_transport_and_mode(suite: &Suite, placement: Placement) {
        for transport in TransportKind::ALL {
            for capacity in [Capacity::Rendezvous, Capacity::Bounded(8), Capacity::Unbounded] {
                let wanted = Scenario {
                    transport,
                    capacity,
                    size: 64,
                    pattern: Pattern::Stream,
                    placement: PlacementSpec::Named(placement),
                    producers: Producers::ONE,
                    wait: Wait::Auto,
                };
                assert!(suite.scenarios.contains(&wanted), "{} lacks {wanted}", suite.name);
            }
        }
    }

    #[test]
    fn all_sends_from_one_two_and_four_producers_to_every_mailbox_and_quick_from_two() {
        let all = Suite::all(&TWO);
        let many = mailboxes();
        assert!(many.len() >= 4, "{many:?}");
        let primary = PlacementSpec::Named(Placement::CrossCore);
        for &transport in &many {
            for capacity in [Capacity::Rendezvous, Capacity::Bounded(8), Capacity::Unbounded] {
                for n in ALL_PRODUCERS {
                    let wanted = Scenario {
                        transport,
                        capacity,
                        size: 64,
                        pattern: Pattern::Stream,
                        placement: primary,
                        producers: Producers::new(n).unwrap(),
                        wait: Wait::Auto,
                    };
                    assert!(all.scenarios.contains(&wanted), "all lacks {wanted}");
                }
            }
        }
        let crowded: Vec<&Scenario> = all.scenarios.iter().filter(|s| s.producers.many()).collect();
        assert!(crowded.iter().all(|s| many.contains(&s.transport) && s.placement == primary));
        assert_eq!(crowded.len(), many.len() * 4 * 2, "3 stream modes and one rate, at 2 and 4 producers");
        let quick = Suite::quick(&TWO);
        let two: Vec<&Scenario> = quick.scenarios.iter().filter(|s| s.producers.many()).collect();
        assert_eq!(two.len(), many.len());
        assert!(two.iter().all(|s| s.producers.get() == 2 && s.pattern == Pattern::Stream));
    }

    #[test]
    fn a_suite_file_lists_producer_counts_and_bad_ones_name_the_range() {
        let text = "[[scenarios]]\ntransports = [\"posix-mq\"]\nproducers = [1, 3]\n";
        let suite = Suite::from_toml_str("t", text, &TWO).unwrap();
        let ids = ids(&suite);
        assert_eq!(
            ids,
            ["posix-mq/bounded:64/64B/stream/cross-core", "posix-mq/bounded:64/64B/stream/cross-core/producers:3"]
        );
        for bad in ["producers = [0]", "producers = [65]", "producers = []"] {
            let text = format!("[[scenarios]]\ntransports = [\"posix-mq\"]\n{bad}\n");
            let message = Suite::from_toml_str("t", &text, &TWO).unwrap_err().to_string();
            assert!(message.contains("producers"), "{bad}: {message}");
        }
    }

    #[test]
    fn ids_are_unique_and_stable() {
        for suite in [Suite::all(&TWO), Suite::quick(&TWO), Suite::all(&Placement::ALL)] {
            let ids = ids(&suite);
            let unique: std::collections::HashSet<_> = ids.iter().collect();
            assert_eq!(unique.len(), ids.len(), "{} repeats an id", suite.name);
        }
        let all = Suite::all(&TWO);
        assert_eq!(all.scenarios[0].id(), "shm-ring/rendezvous/64B/stream/same-core");
        assert_eq!(all.scenarios[1].id(), "shm-ring/rendezvous/64B/stream/cross-core");
        assert_eq!(ids(&all), ids(&Suite::all(&TWO)));
    }

    #[test]
    fn all_covers_every_transport_and_capacity_mode_at_every_placement() {
        let all = Suite::all(&TWO);
        for placement in TWO {
            covers_every_transport_and_mode(&all, placement);
        }
        assert_eq!((all.trials, all.warmup_trials, all.trial_ms), (10, 1, ALL_TRIAL_MS));
        // The sweeps run at the primary placement only.
        let rates: Vec<_> = all.scenarios.iter().filter(|s| matches!(s.pattern, Pattern::Rate(_))).collect();
        // bounded:8, and the capacity sweep's five modes; the ring's three
        // explicit waits; and 2 and 4 producers of each mailbox.
        assert_eq!(rates.len(), 6 * TransportKind::ALL.len() + 3 + 2 * mailboxes().len());
        assert!(rates.iter().all(|s| s.placement == PlacementSpec::Named(Placement::CrossCore)));
        // The ring ablation.
        for variant in Variant::ALL {
            for pattern in [Pattern::Stream, Pattern::PingPong] {
                let wanted = Scenario {
                    transport: TransportKind::ShmRing(variant),
                    capacity: Capacity::Bounded(1024),
                    size: 8,
                    pattern,
                    placement: PlacementSpec::Named(Placement::CrossCore),
                    producers: Producers::ONE,
                    wait: Wait::Auto,
                };
                assert!(all.scenarios.contains(&wanted), "all lacks {wanted}");
            }
        }
        for size in ALL_SIZES {
            assert!(all.scenarios.iter().any(|s| s.size == size && s.capacity == Capacity::Bounded(8)));
        }
        assert!(all.scenarios.iter().any(|s| s.size == 1 << 20 && s.pattern == Pattern::PingPong));
        // On two placements, items 1 to 9 in turn: 16 x 3 x 2 streams, 16 x 2
        // pingpongs, 16 rates, 16 x 5 sizes x 2 patterns, 16 x 3 + 16 x 5
        // capacities, 6 ablation, 9 waits, 6 mailboxes x (3 + 1) x 2
        // producer counts; item 8's streams are item 1's.
        let t = TransportKind::ALL.len();
        assert_eq!(all.scenarios.len(), t * 6 + t * 2 + t + t * 10 + t * 8 + 6 + 9 + mailboxes().len() * 8);
        assert_eq!(all.scenarios.len(), 495);
    }

    #[test]
    fn all_measures_what_waiting_costs_on_the_ring_at_the_primary_placement() {
        for (available, primary) in [(&TWO[..], "cross-core"), (&[Placement::SameCore][..], "same-core")] {
            let all = Suite::all(available);
            let explicit: Vec<String> =
                all.scenarios.iter().filter(|s| s.wait != Wait::Auto).map(Scenario::id).collect();
            let mut wanted = Vec::new();
            for (capacity, pattern) in [("bounded:8", "stream"), ("bounded:1", "pingpong"), ("bounded:8", "rate:10000")]
            {
                for wait in ["spin", "yield", "block"] {
                    wanted.push(format!("shm-ring/{capacity}/64B/{pattern}/{primary}/wait:{wait}"));
                }
                // The auto scenario of the same cell is there too, under its own id.
                let auto = format!("shm-ring/{capacity}/64B/{pattern}/{primary}");
                assert!(ids(&all).contains(&auto), "all lacks {auto}");
            }
            assert_eq!(explicit, wanted);
        }
        assert!(Suite::quick(&TWO).scenarios.iter().all(|s| s.wait == Wait::Auto), "quick is unchanged");
    }

    #[test]
    fn set_wait_gives_the_user_space_waiters_one_wait_and_drops_the_repeats() {
        let mut all = Suite::all(&TWO);
        let count = all.scenarios.len();
        all.set_wait(Wait::Auto);
        assert_eq!(all.scenarios.len(), count, "auto changes nothing");
        all.set_wait(Wait::Block);
        for s in &all.scenarios {
            let expected = if s.transport.waits_in_user_space() { Wait::Block } else { Wait::Auto };
            assert_eq!(s.wait, expected, "{}", s.id());
        }
        // The three trade-off scenarios of each cell became its block one.
        assert_eq!(all.scenarios.len(), count - 9);
        let unique: std::collections::HashSet<String> = ids(&all).into_iter().collect();
        assert_eq!(unique.len(), all.scenarios.len());
        assert!(unique.contains("shm-ring/bounded:8/64B/stream/cross-core/wait:block"));
        assert!(unique.contains("eventfd-shm/bounded:8/64B/stream/cross-core/wait:block"));
        assert!(unique.contains("pipe/bounded:8/64B/stream/cross-core"));
    }

    #[test]
    fn quick_covers_every_transport_and_mode_at_the_primary_placement_only() {
        let quick = Suite::quick(&TWO);
        covers_every_transport_and_mode(&quick, Placement::CrossCore);
        assert!(quick.scenarios.iter().all(|s| s.placement == PlacementSpec::Named(Placement::CrossCore)));
        assert!(quick.scenarios.iter().any(|s| s.pattern == Pattern::PingPong));
        assert_eq!((quick.trials, quick.warmup_trials, quick.trial_ms), (10, 1, QUICK_TRIAL_MS));

        let one_core = Suite::quick(&[Placement::SameCore]);
        covers_every_transport_and_mode(&one_core, Placement::SameCore);
        assert!(one_core.scenarios.iter().all(|s| s.placement == PlacementSpec::Named(Placement::SameCore)));
    }

    #[test]
    fn the_built_in_suites_sweep_load_with_their_streams_in_the_suite() {
        let available = [Placement::SameCore, Placement::CrossCore];
        let all = Suite::all(&available);
        assert_eq!(all.load.curves.len(), TransportKind::ALL.len() * ALL_LOAD_CAPACITIES.len());
        assert_eq!(all.load.rounds, ALL_LOAD_ROUNDS);
        let quick = Suite::quick(&available);
        assert_eq!(quick.load.curves.len(), QUICK_LOAD_TRANSPORTS.len());
        for suite in [&all, &quick] {
            for sweep in &suite.load.curves {
                assert_eq!((sweep.size, sweep.placement), (DEFAULT_SIZE, PlacementSpec::Named(Placement::CrossCore)));
                assert!(suite.scenarios.contains(&sweep.stream()), "{}: no {}", suite.name, sweep.stream().id());
            }
        }
        // A suite that lacks a sweep's stream gains it.
        let bare = Suite::new("bare", [], 1, 0, TrialLengths::all(10)).with_load(all.load.clone());
        assert_eq!(bare.scenarios.len(), all.load.curves.len());
    }

    #[test]
    fn primary_placement_prefers_separate_cores() {
        assert_eq!(primary_placement(&TWO), Placement::CrossCore);
        assert_eq!(primary_placement(&[Placement::SameCore, Placement::SmtSibling]), Placement::SmtSibling);
        assert_eq!(primary_placement(&[Placement::SameCore]), Placement::SameCore);
        assert_eq!(primary_placement(&[]), Placement::SameCore);
        assert!(Suite::all(&[]).scenarios.iter().all(|s| s.placement == PlacementSpec::Named(Placement::SameCore)));
    }

    #[test]
    fn new_drops_repeated_ids_and_keeps_the_order() {
        let quick = Suite::quick(&TWO);
        let doubled = quick.scenarios.iter().chain(quick.scenarios.iter().rev()).copied();
        let suite = Suite::new("twice", doubled, 1, 0, TrialLengths::all(1));
        assert_eq!(suite.scenarios, quick.scenarios);
    }

    const GOOD: &str = r#"
        name = "mine"
        repeats = 5
        run_ms = 200

        [[scenarios]]
        transports = ["pipe", "shm-ring"]
        capacities = ["bounded:64", "unbounded"]
        sizes = [64, 4096]
        patterns = ["stream", "rate:10000"]
        placements = ["primary", "cores:0,1"]

        [[scenarios]]
        transports = ["all"]
        patterns = ["pingpong"]
        placements = ["all"]
    "#;

    #[test]
    fn a_suite_file_is_the_product_of_each_table() {
        let suite = Suite::from_toml_str("good.toml", GOOD, &TWO).unwrap();
        assert_eq!(suite.name, "mine");
        assert_eq!(
            (suite.trials, suite.warmup_trials, suite.trial_ms),
            (5, DEFAULT_WARMUP_TRIALS, TrialLengths::all(200))
        );
        assert_eq!(suite.scenarios.len(), 2 * 2 * 2 * 2 * 2 + TransportKind::ALL.len() * 2);
        assert_eq!(suite.scenarios[0].id(), "pipe/bounded:64/64B/stream/cross-core");
        assert_eq!(suite.scenarios[1].id(), "pipe/bounded:64/64B/stream/cores:0,1");
        assert!(suite.scenarios.iter().any(|s| s.id() == "crossbeam/bounded:64/64B/pingpong/same-core"));
        // Defaults: name from the caller, ten trials, 100 ms.
        let minimal = Suite::from_toml_str("min", "[[scenarios]]\ntransports = [\"tcp\"]\n", &TWO).unwrap();
        assert_eq!(minimal.name, "min");
        assert_eq!((minimal.trials, minimal.warmup_trials, minimal.trial_ms), (10, 1, TrialLengths::all(100)));
        assert_eq!(ids(&minimal), ["tcp/bounded:64/64B/stream/cross-core"]);
    }

    #[test]
    fn waits_multiply_only_the_transports_that_wait_in_user_space() {
        let text = "[[scenarios]]\ntransports = [\"pipe\", \"shm-ring\", \"eventfd-shm\", \"crossbeam\"]\n\
                    patterns = [\"stream\", \"pingpong\"]\nwaits = [\"spin\", \"block\", \"block\", \"auto\"]\n";
        let suite = Suite::from_toml_str("waits", text, &TWO).unwrap();
        assert_eq!(
            ids(&suite),
            [
                "pipe/bounded:64/64B/stream/cross-core",
                "pipe/bounded:64/64B/pingpong/cross-core",
                "shm-ring/bounded:64/64B/stream/cross-core/wait:spin",
                "shm-ring/bounded:64/64B/stream/cross-core/wait:block",
                "shm-ring/bounded:64/64B/stream/cross-core",
                "shm-ring/bounded:64/64B/pingpong/cross-core/wait:spin",
                "shm-ring/bounded:64/64B/pingpong/cross-core/wait:block",
                "shm-ring/bounded:64/64B/pingpong/cross-core",
                "eventfd-shm/bounded:64/64B/stream/cross-core/wait:spin",
                "eventfd-shm/bounded:64/64B/stream/cross-core/wait:block",
                "eventfd-shm/bounded:64/64B/stream/cross-core",
                "eventfd-shm/bounded:64/64B/pingpong/cross-core/wait:spin",
                "eventfd-shm/bounded:64/64B/pingpong/cross-core/wait:block",
                "eventfd-shm/bounded:64/64B/pingpong/cross-core",
                "crossbeam/bounded:64/64B/stream/cross-core",
                "crossbeam/bounded:64/64B/pingpong/cross-core",
            ]
        );
        // A kernel transport asked for explicit waits only is measured once, at auto.
        let kernel = "[[scenarios]]\ntransports = [\"tcp\"]\nwaits = [\"spin\", \"yield\"]\n";
        assert_eq!(ids(&Suite::from_toml_str("k", kernel, &TWO).unwrap()), ["tcp/bounded:64/64B/stream/cross-core"]);
        // Without the key, every scenario is auto.
        assert!(Suite::from_toml_str("good.toml", GOOD, &TWO).unwrap().scenarios.iter().all(|s| s.wait == Wait::Auto));
    }

    #[test]
    fn the_example_file_parses_and_takes_its_name_from_the_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/suite.toml");
        let suite = Suite::from_toml(&path, &TWO).unwrap();
        assert!(!suite.scenarios.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let unnamed = dir.path().join("nightly.toml");
        std::fs::write(&unnamed, "[[scenarios]]\ntransports = [\"pipe\"]\n").unwrap();
        assert_eq!(Suite::from_toml(&unnamed, &TWO).unwrap().name, "nightly");
    }

    fn error_of(text: &str) -> String {
        let message = Suite::from_toml_str("bad.toml", text, &TWO).unwrap_err().to_string();
        assert!(!message.contains('\n'), "not one line: {message}");
        assert!(message.starts_with("bad.toml: "), "{message}");
        message
    }

    #[test]
    fn bad_files_say_where_and_what_is_allowed() {
        let unknown_key = error_of("[[scenarios]]\ntransports = [\"pipe\"]\n\n[[scenarios]]\ntransport = [\"pipe\"]\n");
        assert!(unknown_key.contains("line 5") && unknown_key.contains("table 2"), "{unknown_key}");
        assert!(unknown_key.contains("transport") && unknown_key.contains("capacities"), "{unknown_key}");
        let top_key = error_of("repeat = 3\n[[scenarios]]\ntransports = [\"pipe\"]\n");
        assert!(top_key.contains("line 1") && top_key.contains("warmup_trials"), "{top_key}");

        let transport = error_of("[[scenarios]]\ntransports = [\"pipe\"]\n[[scenarios]]\ntransports = [\"carrier\"]\n");
        assert!(transport.contains("table 2") && transport.contains("carrier"), "{transport}");
        assert!(transport.contains("unix-seqpacket") && transport.contains("all"), "{transport}");

        let capacity = error_of("[[scenarios]]\ntransports = [\"pipe\"]\ncapacities = [\"bounded:0\"]\n");
        assert!(capacity.contains("table 1") && capacity.contains("rendezvous, bounded:N"), "{capacity}");
        let pattern = error_of("[[scenarios]]\ntransports = [\"pipe\"]\npatterns = [\"burst\"]\n");
        assert!(pattern.contains("stream, pingpong, rate:R"), "{pattern}");
        let placement = error_of("[[scenarios]]\ntransports = [\"pipe\"]\nplacements = [\"moon\"]\n");
        assert!(placement.contains("cross-core") && placement.contains("primary"), "{placement}");
        let wait = error_of("[[scenarios]]\ntransports = [\"shm-ring\"]\nwaits = [\"spin\", \"nap\"]\n");
        assert!(
            wait.contains("table 1") && wait.contains("'nap'") && wait.contains("auto, spin, yield, block"),
            "{wait}"
        );
        let no_waits = error_of("[[scenarios]]\ntransports = [\"shm-ring\"]\nwaits = []\n");
        assert!(no_waits.contains("waits is an empty list"), "{no_waits}");
        let size = error_of("[[scenarios]]\ntransports = [\"pipe\"]\nsizes = [64, 0]\n");
        assert!(
            error_of("[[scenarios]]\ntransports = [\"pipe\"]\nsizes = [4]\n").contains("sizes: 4 is below 8 bytes")
        );
        let huge = "trials = 1000\nrun_ms = 18446744073709551615\n[[scenarios]]\ntransports = [\"pipe\"]\n";
        assert!(error_of(huge).contains("trial_ms is 18446744073709551615; it must be at most 3600000"));
        assert!(error_of("trials = 1001\n[[scenarios]]\ntransports = [\"pipe\"]\n").contains("at most 1000"));
        assert!(
            error_of("warmup_trials = 4000000000\n[[scenarios]]\ntransports = [\"pipe\"]\n").contains("at most 100")
        );
        assert!(size.contains("sizes: 0 is below 8 bytes"), "{size}");
        let empty = error_of("[[scenarios]]\ntransports = []\n");
        assert!(empty.contains("transports is an empty list"), "{empty}");
        assert!(error_of("trials = 0\n[[scenarios]]\ntransports = [\"pipe\"]\n").contains("trials is 0"));
        assert!(error_of("repeats = 0\n[[scenarios]]\ntransports = [\"pipe\"]\n").contains("trials is 0"));
        assert!(error_of("trial_ms = 0\n[[scenarios]]\ntransports = [\"pipe\"]\n").contains("trial_ms is 0"));
        assert!(error_of("name = \"x\"\n").contains("no [[scenarios]] table"));
        assert!(error_of("[[scenarios]]\ntransports = \"pipe\"\n").contains("line 2"));
        let missing = error_of("[[scenarios]]\ntransports = [\"pipe\"]\n[[scenarios]]\nsizes = [8]\n");
        assert!(missing.contains("table 2") && missing.contains("transports"), "{missing}");
        assert!(error_of("[[scenarios]]\ntransports = [\"pipe\"]\nsizes = [-8]\n").contains("line 3"));
        assert!(error_of("[[scenarios]\ntransports = [\"pipe\"]\n").contains("line 1"));
        let missing = Suite::from_toml(Path::new("/nonexistent/suite.toml"), &TWO).unwrap_err().to_string();
        assert!(missing.starts_with("/nonexistent/suite.toml: "), "{missing}");
    }
}
