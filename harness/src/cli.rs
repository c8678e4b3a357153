//! The command line (clap). These names are the contract users script
//! against. Bad input exits with status 2 and one line naming the valid
//! choices (see `main.rs`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use bench_core::ring::Capacity;
use bench_core::topology::Placement;
use bench_core::transport::TransportKind;
use bench_core::workload::Pattern;
use clap::{Args, Parser, Subcommand};
use scenarios::Wait;
use scenarios::load::Budget;
use vocabulary::Producers;

use crate::error::BadInput;

/// Measure inter-process communication on this machine.
#[derive(Debug, Parser)]
#[command(name = "harness", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// This process's command line. Bad input is one line: clap's first line
/// says what is wrong, indented lines under it name what (a missing
/// argument); hints and usage follow a blank line and are dropped.
/// `--help` and `--version` print and exit here.
pub fn parse() -> Result<Cli, BadInput> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) if e.use_stderr() => {
            let text = e.render().to_string();
            let what: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            let line = if what.is_empty() { "bad arguments".to_owned() } else { what.join(" ") };
            Err(BadInput(line.trim_start_matches("error: ").to_owned()))
        }
        Err(e) => e.exit(),
    }
}

/// What `--pattern` asks for: one pattern, or a load sweep (`load`: not a
/// pattern but a second phase of the run, `scenarios::load_sweeps`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternRequest {
    /// `stream`, `pingpong` or `rate:R`.
    One(Pattern),
    /// `load`: latency against offered load.
    Load,
}

impl FromStr for PatternRequest {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "load" => Ok(PatternRequest::Load),
            _ => s.parse().map(PatternRequest::One).map_err(|_| {
                format!(
                    "unknown pattern '{s}'; choose from stream, pingpong, rate:R (R >= 1 messages per second), load \
                     (latency against offered load)"
                )
            }),
        }
    }
}

impl fmt::Display for PatternRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternRequest::One(p) => p.fmt(f),
            PatternRequest::Load => f.pad("load"),
        }
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole comparison: every transport x capacity mode x size x
    /// pattern x placement this machine offers, with the floor.
    All {
        /// CI's suite: every transport x capacity mode once, in under a minute.
        #[arg(long)]
        quick: bool,
        /// Where results go (default: target/ringside/SUITE-TIME).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Narrow the suite.
        #[command(flatten)]
        filters: FilterArgs,
        /// spin, yield or block: how every scenario of a transport that waits
        /// in user space (the shm-ring designs, eventfd-shm) waits; auto
        /// (the default) keeps the suite's own.
        #[arg(long, default_value_t = Wait::Auto)]
        wait: Wait,
        /// How many trials, in which order.
        #[command(flatten)]
        trials: TrialArgs,
        /// Baselines, the regression gate and exports.
        #[command(flatten)]
        gate: GateArgs,
        /// The p99 budget that places each load curve's knee: a multiple of
        /// the lowest step's p99 (`10x`, the default) or a latency (`50us`).
        #[arg(long, value_parser = parse_budget)]
        p99_budget: Option<Budget>,
    },
    /// Run a suite described in a TOML file (see scenarios/examples/suite.toml).
    Suite {
        /// The suite file.
        file: PathBuf,
        /// Where results go.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Narrow the suite.
        #[command(flatten)]
        filters: FilterArgs,
        /// spin, yield or block: how every scenario of a transport that waits
        /// in user space (the shm-ring designs, eventfd-shm) waits; auto
        /// (the default) keeps the file's own `waits`.
        #[arg(long, default_value_t = Wait::Auto)]
        wait: Wait,
        /// How many trials, in which order.
        #[command(flatten)]
        trials: TrialArgs,
        /// Baselines, the regression gate and exports.
        #[command(flatten)]
        gate: GateArgs,
    },
    /// Measure one scenario.
    Run(RunArgs),
    /// Render the HTML report again from saved results; several files
    /// (other machines, other commits) render side by side.
    Report {
        /// Results files (`results.json` of `harness all`, `suite` or `run`).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Where the report goes (default: report.html beside the first results file).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Compare two results (or folders of them, pooled) scenario by scenario:
    /// improved, regressed, unchanged or inconclusive. Exit status 3 when
    /// something regressed or failed in NEW, 0 otherwise, 2 on bad input.
    Compare(CompareArgs),
    /// List the scenarios of a suite, the placements this machine offers and the transports.
    List {
        /// List the quick suite instead of the full one.
        #[arg(long)]
        quick: bool,
        /// List a TOML suite instead.
        #[arg(long, conflicts_with = "quick")]
        suite: Option<PathBuf>,
        /// Narrow the suite.
        #[command(flatten)]
        filters: FilterArgs,
        /// List the suite as `--wait` would run it (see `harness all --help`).
        #[arg(long, default_value_t = Wait::Auto)]
        wait: Wait,
    },
    /// Measure only the floor: cache-line round trip and copy bandwidth.
    Floor {
        /// The two cores (default: every placement this machine offers).
        #[arg(long, value_parser = parse_cores, conflicts_with = "placement")]
        cores: Option<[usize; 2]>,
        /// A named placement.
        #[arg(long)]
        placement: Option<Placement>,
    },
    /// List every transport, how it links the two sides, and the capacity it
    /// realises for a capacity mode and message size (or why it refuses).
    Transports {
        /// Capacity mode: rendezvous, bounded:N or unbounded.
        #[arg(long, default_value = "bounded:64", value_parser = parse_capacity)]
        capacity: Capacity,
        /// Message size in bytes.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
        size: u32,
    },
    /// Remove IPC objects left by ringside runs that were killed outright
    /// (`/dev/shm`, `/dev/mqueue`, FIFO and socket directories, System V queues).
    Clean {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

/// `harness run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Transport.
    #[arg(long)]
    pub transport: TransportKind,
    /// Capacity mode: rendezvous, bounded:N or unbounded.
    #[arg(long, value_parser = parse_capacity)]
    pub capacity: Capacity,
    /// Message size in bytes (at least 8: every message carries its sequence number).
    #[arg(long, value_parser = parse_size)]
    pub size: usize,
    /// stream, pingpong, rate:R (R messages per second), or load: the
    /// stream first (its throughput is the saturation), then an open-loop
    /// sweep of rates from 1/64 of it to twice it, and the curve's knee.
    #[arg(long)]
    pub pattern: PatternRequest,
    /// With --pattern load: the p99 budget that places the knee, a multiple
    /// of the lowest step's p99 (`10x`, the default) or a latency (`50us`).
    #[arg(long, value_parser = parse_budget)]
    pub p99_budget: Option<Budget>,
    /// Producer and consumer cores, `A,B`.
    #[arg(long, value_parser = parse_cores, conflicts_with = "placement")]
    pub cores: Option<[usize; 2]>,
    /// A named placement (default: cross-core where the machine has it).
    #[arg(long)]
    pub placement: Option<Placement>,
    /// How a waiting side waits, for the transports that wait in user space
    /// (the shm-ring designs, eventfd-shm): spin, yield, block, or auto (the
    /// harness's choice: a ring spins on two cores and blocks on one,
    /// eventfd-shm blocks).
    #[arg(long, default_value_t = Wait::Auto)]
    pub wait: Wait,
    /// Producer processes sending to the one consumer through one mailbox
    /// (1 to 64), for the transports that take many senders (posix-mq,
    /// sysv-mq, unix-dgram, fifo, the shm-mailbox designs; `harness
    /// transports` says which). The first producer runs where the placement
    /// puts the producer; each next one on the next core that is not the
    /// consumer's, sharing cores round-robin once there are no more.
    #[arg(long, default_value_t = Producers::ONE)]
    pub producers: Producers,
    /// Trials: separate runs between fresh processes, each framed by
    /// machine-state probes (a figure needs 3 in the machine's reference
    /// state); with --pattern load, of the stream, and of each step up to 3.
    #[arg(long, alias = "repeat", default_value_t = scenarios::suite::DEFAULT_TRIALS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(scenarios::suite::MAX_TRIALS)))]
    pub trials: u32,
    /// How long the producer sends in each trial (`100ms`, `2s`).
    #[arg(long, default_value = "100ms", value_parser = parse_duration)]
    pub duration: Duration,
    /// Discarded warm-up trials (10 ms each) before the first measured one.
    #[arg(long, default_value_t = scenarios::suite::DEFAULT_WARMUP_TRIALS,
          value_parser = clap::value_parser!(u32).range(0..=i64::from(scenarios::suite::MAX_WARMUP_TRIALS)))]
    pub warmup_trials: u32,
    /// The seed of the trials' order (default: a fresh one, recorded).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Where results go.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `harness compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The base: a results.json, or a folder whose results.json files pool into one side.
    pub base: PathBuf,
    /// The new side: likewise.
    pub new: PathBuf,
    /// BASE and NEW are runs of the same code: measure this machine's
    /// noise per scenario (nothing can regress; see --save-noise).
    #[arg(long, conflicts_with = "noise")]
    pub aa: bool,
    /// With --aa: write the noise measured, for later comparisons' --noise.
    #[arg(long, requires = "aa")]
    pub save_noise: Option<PathBuf>,
    /// How to judge, and what to write.
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// List every metric compared, unchanged ones too.
    #[arg(long)]
    pub all_rows: bool,
    /// Write the comparison as an HTML page.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Export NEW's figures: `github-action-benchmark FILE` or `bencher FILE` (repeatable).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"], action = clap::ArgAction::Append)]
    pub export: Vec<String>,
}

/// How a comparison judges, and the summary it writes.
#[derive(Debug, Clone, Default, Args)]
pub struct JudgeArgs {
    /// The smallest change that counts, in percent (default 5); each
    /// metric's is raised to its noise when --noise gives one.
    #[arg(long, value_name = "PCT", value_parser = parse_threshold)]
    pub threshold: Option<f64>,
    /// A noise profile from `compare --aa --save-noise`: no metric's
    /// threshold is below the noise measured for it.
    #[arg(long, value_name = "FILE")]
    pub noise: Option<PathBuf>,
    /// Write a markdown summary (for a pull-request comment or job summary).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Pass the gate although the new side lost scenarios (did not run
    /// them, or ran them to refused, unavailable or unsustained where the
    /// base measured them) or did not finish; they are still listed.
    #[arg(long)]
    pub accept_losses: bool,
}

/// How many trials a suite runs, and the seed of their order.
#[derive(Debug, Clone, Default, Args)]
pub struct TrialArgs {
    /// Trials per scenario (rounds), instead of the suite's own count.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(scenarios::suite::MAX_TRIALS)))]
    pub trials: Option<u32>,
    /// The seed of every round's order (default: a fresh one, recorded in
    /// the results): the same seed runs the same order again.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Named baselines, the gate against one, and exports of a run.
#[derive(Debug, Clone, Default, Args)]
pub struct GateArgs {
    /// Compare this run with the baseline saved under NAME; exit status 3
    /// when something regressed. Writes comparison.html beside the results.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Save this run as baseline NAME (after comparing with --baseline, if given).
    #[arg(long, value_name = "NAME")]
    pub save_baseline: Option<String>,
    /// How to judge against --baseline.
    #[command(flatten)]
    pub judge: JudgeArgs,
    /// Export this run's figures: `github-action-benchmark FILE` or `bencher FILE` (repeatable).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "FILE"], action = clap::ArgAction::Append)]
    pub export: Vec<String>,
}

/// Filters that narrow any suite: comma-separated lists.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Only these transports.
    #[arg(long = "transport", value_delimiter = ',')]
    pub transports: Vec<TransportKind>,
    /// Only these capacity modes.
    #[arg(long = "capacity", value_delimiter = ',', value_parser = parse_capacity)]
    pub capacities: Vec<Capacity>,
    /// Only these message sizes.
    #[arg(long = "size", value_delimiter = ',', value_parser = parse_size)]
    pub sizes: Vec<usize>,
    /// Only these patterns (`load`: the load sweeps, with the streams that set their rates).
    #[arg(long = "pattern", value_delimiter = ',')]
    pub patterns: Vec<PatternRequest>,
    /// Only these placements.
    #[arg(long = "placement", value_delimiter = ',')]
    pub placements: Vec<Placement>,
}

fn parse_threshold(s: &str) -> Result<f64, String> {
    let bad = || format!("threshold '{s}' must be a percentage between 0 and 100, e.g. 5 or 5%");
    let pct: f64 = s.trim().trim_end_matches('%').parse().map_err(|_| bad())?;
    if !(0.0..100.0).contains(&pct) {
        return Err(bad());
    }
    Ok(pct / 100.0)
}

fn parse_budget(s: &str) -> Result<Budget, String> {
    s.parse().map_err(|e: scenarios::load::BudgetError| e.to_string())
}

fn parse_capacity(s: &str) -> Result<Capacity, String> {
    s.parse().map_err(|e: vocabulary::UnknownName| e.to_string())
}

fn parse_size(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("size '{s}' is not a number of bytes"))?;
    if n < bench_core::workload::MIN_SIZE {
        return Err(format!(
            "size {n} is below {} bytes: every message carries its 64-bit sequence number",
            bench_core::workload::MIN_SIZE
        ));
    }
    Ok(n)
}

fn parse_cores(s: &str) -> Result<[usize; 2], String> {
    let bad = || format!("cores '{s}' must be two CPU numbers, `A,B` (the same twice for one core)");
    let (a, b) = s.split_once(',').ok_or_else(bad)?;
    Ok([a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?])
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || format!("duration '{s}' must be a number with ms or s, e.g. 200ms or 2s");
    let (number, scale) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return Err(bad());
    };
    let secs = number.trim().parse::<f64>().map_err(|_| bad())? * scale;
    let longest = scenarios::suite::MAX_TRIAL_MS as f64 / 1e3;
    if !(0.001..=longest).contains(&secs) {
        return Err(format!("duration '{s}' must be between 1ms and {longest}s"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        // Clap checks its own definitions (conflicts, requires, value names)
        // only in debug builds; the dev profile has no debug assertions.
        <Cli as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn durations_cores_and_sizes_parse_or_say_why() {
        assert_eq!(parse_duration("200ms").unwrap(), Duration::from_millis(200));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5").unwrap_err().contains("200ms"));
        assert!(parse_duration("0ms").is_err());
        assert_eq!(parse_cores("0,1").unwrap(), [0, 1]);
        assert!(parse_cores("0").unwrap_err().contains("A,B"));
        assert!(parse_size("0").unwrap_err().contains("sequence number"));
        assert_eq!(parse_size("65536").unwrap(), 65536);
        assert_eq!(parse_threshold("5").unwrap(), 0.05);
        assert_eq!(parse_threshold("12.5%").unwrap(), 0.125);
        assert!(parse_threshold("100").unwrap_err().contains("between 0 and 100"));
        assert!(parse_threshold("-1").is_err() && parse_threshold("five").is_err());
    }

    #[test]
    fn load_is_a_request_not_a_pattern() {
        assert_eq!("load".parse(), Ok(PatternRequest::Load));
        assert_eq!("rate:500".parse(), Ok(PatternRequest::One(Pattern::Rate(500))));
        assert!("loads".parse::<PatternRequest>().unwrap_err().contains("load (latency against offered load)"));
        assert_eq!(PatternRequest::Load.to_string(), "load");
        assert_eq!(parse_budget("50us"), Ok(Budget::Absolute(50_000)));
        assert!(parse_budget("0.5x").unwrap_err().contains("at least 1x"));
    }
}
