//! The harness's figures against hand-written C measuring the same thing on
//! the same two cores: the check that `harness run` adds nothing of its own
//! to what it reports (issue 4, "done when").
//!
//! Nine comparisons, each a C program and a `harness run` of one scenario.
//! Seven are checks, the same algorithm on both sides:
//!
//! | measurement | C | harness |
//! |---|---|---|
//! | shm-ring stream, msgs/s | `ring stream A B 200 1024 stamped` | `--transport shm-ring --capacity bounded:1024 --size 8 --pattern stream --duration 200ms` |
//! | shm-ring pingpong, p50/p99 | `ring pingpong A B 100000 10000 1024 stamped` | `--transport shm-ring --capacity bounded:1024 --size 8 --pattern pingpong --duration 200ms` |
//! | shm-ring:textbook stream, msgs/s | `ring stream A B 200 1024 textbook` | `--transport shm-ring:textbook --capacity bounded:1023 --size 8 --pattern stream --duration 200ms` |
//! | shm-ring:textbook pingpong, p50/p99 | `ring pingpong A B 100000 10000 1024 textbook` | `--transport shm-ring:textbook --capacity bounded:1023 --size 8 --pattern pingpong --duration 200ms` |
//! | sysv-mq, posix-mq, pipe pingpong, p50/p99 | `pingpong MECH A B 2000 20000 16` | `--transport MECH --capacity bounded:1 --size 16 --pattern pingpong --duration 300ms` |
//!
//! The harness's scenarios carry fixed-size messages, and for those
//! ringside's ring packs small slots seven to a 64-byte line beside one
//! stamp word (`bench_core::ring::layout`), streamed through its burst API;
//! the C `stamped` design is the one-word-per-slot layout ringside uses for
//! variable-length messages. So the two `shm-ring` rows against it are now
//! design comparisons too (the textbook rows and the kernel rows remain
//! checks of the measurement).
//!
//! The rest compare ringside's ring with the fastest references there are,
//! and three of them are the ring's targets (issue 16), judged "at least
//! 1.00x" on the median of the paired ratios (the faster is better):
//!
//! | measurement | reference | harness | target |
//! |---|---|---|---|
//! | shm-ring stream, msgs/s | C `ring stream A B 200 1024 cached` (rigtorp's cached indices, 8-byte slots) | `--transport shm-ring --capacity bounded:1024 --size 8 --pattern stream --duration 200ms` | ring/C >= 1.00 |
//! | shm-ring stream, msgs/s | `rtrb::RingBuffer<u64>` of 1024 between two threads pinned to A and B, every value checked against its sequence number, timed first to last at the consumer | as above | ring/rtrb >= 1.00 |
//! | shm-ring pingpong, p50 | the two-line round trip on A and B (`bench_core::floor::two_line_round_trip`: median of 20,000, spread over 32 line pairs) | `--transport shm-ring --capacity bounded:1024 --size 8 --pattern pingpong --duration 200ms` | ring/floor <= 1.10 |
//! | shm-ring pingpong, p50 | as above | `--capacity bounded:1`, otherwise as above | none: bound 1 makes the producer read the consumer's position before every send, one more line per round trip |
//! | shm-ring pingpong, p50/p99 | C `ring pingpong A B 100000 10000 1024 cached` | `--transport shm-ring --capacity bounded:1024 --size 8 --pattern pingpong --duration 200ms` | none |
//!
//! `ring` is `bench-core/benches/c/ring.c`: an SPSC ring of 8-byte messages
//! in a `MAP_SHARED` mapping between two forked, pinned processes, spinning
//! with the pause hint. Its `stamped` design is ringside's own ring written
//! again in C: 16-byte slots of a `len << 32 | stamp` word and the message,
//! the consumer polling the word, publishing its position every
//! `clamp(slots / 8, 1, 64)` messages and before it waits, the producer
//! reloading that position only at its cached limit. Its `textbook` design is ringside's
//! `shm-ring:textbook` algorithm: `in` and `out` side by side on one line,
//! full when `(in + 1) % BUFFER_SIZE == out` (one slot wasted), the peer's
//! index loaded on every operation. ringside allocates `N + 1` slots for
//! `bounded:N` in that variant, so `bounded:1023` is the C ring's 1024
//! slots, and its slot is ringside's too: an 8-byte length word, then the
//! message (a C ring of bare 8-byte slots streamed about 1.4x faster here:
//! twice the messages per cache line). Its `cached` design keeps head and tail on lines of
//! their own, each side caching the other's index. Its ping-pong times each
//! round trip with the TSC, calibrated against `CLOCK_MONOTONIC` over the
//! run, as the harness's clock does; its stream reads `CLOCK_MONOTONIC`
//! twice per run. `pingpong` is `bench-core/benches/c/pingpong.c` (the
//! reference of bench-core's `kernel_vs_c`): one kernel object per
//! direction, 16-byte messages; for `sysv-mq` and `posix-mq` with its
//! `watchdog` option, a second thread per process sleeping in 50 ms slices,
//! as ringside's queue ends have (a second, sleeping thread alone made
//! cross-core wake-ups about 10% faster on this VM, pipe included). Both are compiled here with `gcc -O2` into
//! the target directory; without gcc the bench says so and stops. The
//! harness is this package's binary (`CARGO_BIN_EXE_harness`), run with
//! `--cores A,B --trials 6 --out <temporary directory>` (six: a figure needs
//! three trials in the machine's reference state, which must survive the
//! state flips of a shared VM); its figures are
//! read back from `results.json` (stream: `msgs_per_s.median`; pingpong:
//! `latency.merged.p50`/`p99`, round trips), and a scenario whose status is
//! not `ok` fails the bench, except `few-trials` (the VM changed state
//! during the run), which leaves that repeat without a pair and is listed.
//!
//! Cores: the last two this process may use (A sends or initiates, B
//! receives or echoes); on a one-core machine the bench says so and stops.
//! The host moves this VM's virtual CPUs between physical placements from
//! run to run, so every ratio is paired: the C program and the harness run
//! back to back within one repeat, C first on even repeats and the harness
//! first on odd ones, and each table shows the median of the per-repeat
//! harness/C ratios with their range. The verdict calls a figure "within
//! noise" when that range includes 1.00x or the median is within 10% of it;
//! the last line lists the checks' figures outside noise (the design
//! comparison is never among them).
//!
//! Run: `cargo bench -p harness --bench harness_vs_c`; `RINGSIDE_REPEATS`
//! sets the repeats (default 8, the fewest the ring's targets are judged on). The bench exits with status 1 if any run
//! failed, design comparison included (after printing every table).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use bench_core::floor::LINE_PAIRS;
use bench_core::pin::available_cores;
use bench_core::transport::TransportKind;
use scenarios::results::{ResultsFile, Status};
use vocabulary::stats::median;
use vocabulary::{Capacity, Pattern, Variant};

/// Slots of the shared-memory ring: the C ring's, and what ringside allocates.
const RING_SLOTS: usize = 1024;
/// `bounded:N` that makes ringside's `shm-ring:textbook` allocate [`RING_SLOTS`]
/// slots: it allocates `N + 1`, one always left empty by the full test.
const TEXTBOOK_BOUND: usize = RING_SLOTS - 1;
/// How long the C stream producer sends, ms (the harness's `--duration`).
const STREAM_MS: u64 = 200;
/// Timed round trips of the C ring ping-pong (about 20 ms cross-core)...
const RING_SAMPLES: usize = 100_000;
/// ...after this many untimed ones.
const RING_WARMUP: usize = 10_000;
/// Timed round trips of the C kernel ping-pong (as bench-core's `kernel_vs_c`)...
const KERNEL_SAMPLES: usize = 20_000;
/// ...after this many untimed ones.
const KERNEL_WARMUP: usize = 2_000;
/// Message size of the kernel ping-pongs, bytes.
const KERNEL_SIZE: usize = 16;
/// How a repeat without a figure (too few trials in the machine's
/// reference state) is listed: shown under its table, not a failure.
const NO_FIGURE: &str = "no figure this repeat:";

/// Round trips of the two-line floor (after a tenth as many untimed).
const FLOOR_SAMPLES: usize = 20_000;
/// Within this fraction of 1.00x a median ratio counts as noise.
const NOISE: f64 = 0.10;

fn main() {
    let cores = available_cores();
    let (a, b) = match cores.as_slice() {
        [] | [_] => {
            println!("harness_vs_c: this machine offers one core; the comparison needs two. Skipped.");
            return;
        }
        [.., a, b] => (*a, *b),
    };
    let programs = match build_c_programs() {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            eprintln!("harness_vs_c: {e}");
            std::process::exit(1);
        }
    };
    let repeats = std::env::var("RINGSIDE_REPEATS").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(8).max(1);
    println!(
        "harness_vs_c: core {a} -> core {b}, {repeats} repeats; C: {}, {}; harness: {}",
        programs.ring.display(),
        programs.pingpong.display(),
        env!("CARGO_BIN_EXE_harness")
    );

    let cases = [
        Case::RingStream(Pair::Stamped),
        Case::RingPingpong(Pair::Stamped),
        Case::RingStream(Pair::Textbook),
        Case::RingPingpong(Pair::Textbook),
        Case::KernelPingpong(TransportKind::SysvMq),
        Case::KernelPingpong(TransportKind::PosixMq),
        Case::KernelPingpong(TransportKind::Pipe),
        Case::RingStream(Pair::Designs),
        Case::RtrbStream,
        Case::RingPingpongFloor(RING_SLOTS),
        Case::RingPingpongFloor(1),
        Case::RingPingpong(Pair::Designs),
    ];
    let mut tallies: Vec<Tally> = cases.iter().map(|c| Tally::new(c.metrics(), c.judged())).collect();
    for repeat in 0..repeats {
        for (case, tally) in cases.iter().zip(&mut tallies) {
            let run_c = || case.run_c(&programs, a, b);
            let run_harness = || case.run_harness(a, b);
            let (c, harness) = if repeat % 2 == 0 {
                let c = run_c();
                (c, run_harness())
            } else {
                let harness = run_harness();
                (run_c(), harness)
            };
            tally.record(c, harness);
        }
        eprintln!("harness_vs_c: repeat {} of {repeats} done", repeat + 1);
    }

    let mut failed = 0;
    let mut outside = Vec::new();
    let mut missed = Vec::new();
    for (case, tally) in cases.iter().zip(&tallies) {
        println!("\n{}", case.title(a, b));
        tally.print();
        failed += tally.errors.iter().filter(|e| !e.starts_with(NO_FIGURE)).count();
        outside.extend(tally.outside_noise().into_iter().map(|metric| format!("{} {metric}", case.name())));
        missed.extend(tally.targets_missed().into_iter().map(|metric| format!("{} {metric}", case.name())));
    }
    println!(
        "\nratios are harness/C, paired per repeat: median (min-max). \"within noise\": the range includes 1.00x \
         or the median is within {:.0}% of it.",
        NOISE * 100.0
    );
    if outside.is_empty() {
        println!("checks: every figure with paired runs is within noise (the design comparison is not a check).");
    } else {
        println!("checks: outside noise: {} (the design comparison is not a check).", outside.join(", "));
    }
    if missed.is_empty() {
        println!("targets: the ring meets every target it was measured against.");
    } else {
        println!("targets: MISSED: {}", missed.join(", "));
    }
    if failed > 0 {
        eprintln!("harness_vs_c: {failed} distinct failures (listed under their tables)");
        std::process::exit(1);
    }
}

/// Which shared-memory rings a ring case puts side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pair {
    /// ringside's `shm-ring` against the C ring's `stamped` design, ringside's
    /// one-word-per-slot layout written in C (the harness's fixed-size
    /// messages are packed instead): a design comparison.
    Stamped,
    /// ringside's `shm-ring:textbook` against the C ring's `textbook`
    /// design: one algorithm, so a check of the measurement.
    Textbook,
    /// ringside's `shm-ring` (stamped slots) against the C ring's `cached`
    /// design: different designs, so no check.
    Designs,
}

impl Pair {
    /// The harness's `--transport`.
    fn transport(self) -> TransportKind {
        match self {
            Pair::Textbook => TransportKind::ShmRing(Variant::Textbook),
            Pair::Stamped | Pair::Designs => TransportKind::ShmRing(Variant::Ring),
        }
    }

    /// The harness's `--capacity`, for as many slots as the C ring's [`RING_SLOTS`].
    fn capacity(self) -> Capacity {
        match self {
            Pair::Textbook => Capacity::Bounded(TEXTBOOK_BOUND),
            Pair::Stamped | Pair::Designs => Capacity::Bounded(RING_SLOTS),
        }
    }

    /// The C ring's DESIGN argument.
    fn c_design(self) -> &'static str {
        match self {
            Pair::Textbook => "textbook",
            Pair::Stamped => "stamped",
            Pair::Designs => "cached",
        }
    }

    /// How the table title names the pair and the slots.
    fn describe(self) -> String {
        match self {
            Pair::Textbook => format!(
                "C textbook ring, {RING_SLOTS} slots; harness bounded:{TEXTBOOK_BOUND} = {RING_SLOTS} slots, \
                 one left empty by the full test"
            ),
            Pair::Stamped => {
                format!("C stamped ring (ringside's algorithm), {RING_SLOTS} slots; harness bounded:{RING_SLOTS}")
            }
            Pair::Designs => format!(
                "different designs: ringside's stamped ring vs a cached-index C ring; not a measurement check; \
                 {RING_SLOTS} slots, harness bounded:{RING_SLOTS}"
            ),
        }
    }
}

/// ringside's own ring (stamped slots), as the harness names it.
const RING: TransportKind = TransportKind::ShmRing(Variant::Ring);

/// One comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// A shared-memory ring, stream, 8-byte messages.
    RingStream(Pair),
    /// A shared-memory ring, pingpong, 8-byte messages.
    RingPingpong(Pair),
    /// A kernel transport (`sysv-mq`, `posix-mq`, `pipe`), pingpong, 16-byte messages.
    KernelPingpong(TransportKind),
    /// `shm-ring` stream against rtrb between two pinned threads.
    RtrbStream,
    /// `shm-ring` pingpong, bounded:N, against the two-line round trip.
    RingPingpongFloor(usize),
}

/// How a case's paired ratios are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Judged {
    /// The same thing measured twice: the ratio must be noise.
    Check,
    /// A target of the ring: the median ratio must be at least 1.00x in
    /// its favour (rates) or at most `limit` (latencies).
    Target { limit: f64 },
    /// Designs side by side: shown, not judged.
    Shown,
}

/// One figure a case yields.
#[derive(Debug, Clone, Copy)]
struct Metric {
    name: &'static str,
    /// Messages per second (true) or a latency in ns (false).
    higher_is_better: bool,
}

const MSGS_PER_S: Metric = Metric { name: "msgs/s", higher_is_better: true };
const P50: Metric = Metric { name: "p50 rtt", higher_is_better: false };
const P99: Metric = Metric { name: "p99 rtt", higher_is_better: false };

/// One run's figures, in the order of [`Case::metrics`].
type Figures = Vec<f64>;

impl Case {
    fn metrics(self) -> &'static [Metric] {
        match self {
            Case::RingStream(_) | Case::RtrbStream => &[MSGS_PER_S],
            Case::RingPingpongFloor(_) => &[P50],
            Case::RingPingpong(_) | Case::KernelPingpong(_) => &[P50, P99],
        }
    }

    /// How the case is judged.
    fn judged(self) -> Judged {
        match self {
            Case::RingStream(Pair::Designs) | Case::RtrbStream => Judged::Target { limit: 1.0 },
            Case::RingPingpongFloor(RING_SLOTS) => Judged::Target { limit: 1.1 },
            Case::RingPingpongFloor(_) => Judged::Shown,
            Case::RingStream(Pair::Stamped) | Case::RingPingpong(Pair::Stamped | Pair::Designs) => Judged::Shown,
            _ => Judged::Check,
        }
    }

    /// Short name for the closing summary.
    fn name(self) -> String {
        match self {
            Case::RingStream(p) => format!("{} stream", p.transport()),
            Case::RingPingpong(p) => format!("{} pingpong", p.transport()),
            Case::KernelPingpong(t) => format!("{t} pingpong"),
            Case::RtrbStream => format!("{RING} stream vs rtrb"),
            Case::RingPingpongFloor(bound) => format!("{RING} bounded:{bound} pingpong vs the two-line floor"),
        }
    }

    fn title(self, a: usize, b: usize) -> String {
        match self {
            Case::RingStream(p) => format!(
                "{} stream: core {a} -> core {b}, 8-byte messages, {STREAM_MS} ms ({})",
                p.transport(),
                p.describe()
            ),
            Case::RingPingpong(p) => format!(
                "{} pingpong: core {a} <-> core {b}, 8-byte messages ({}; C: {RING_SAMPLES} round trips after \
                 {RING_WARMUP}, TSC-timed; harness: 200 ms)",
                p.transport(),
                p.describe()
            ),
            Case::KernelPingpong(t) => format!(
                "{t} pingpong: core {a} <-> core {b}, {KERNEL_SIZE}-byte messages, bounded:1 \
                 (C: {KERNEL_SAMPLES} round trips after {KERNEL_WARMUP}; harness: 300 ms)"
            ),
            Case::RtrbStream => format!(
                "shm-ring stream against rtrb: core {a} -> core {b}, 8-byte messages, {STREAM_MS} ms (the \"C\" \
                 column: rtrb::RingBuffer<u64> of {RING_SLOTS} between two pinned threads, every value checked; \
                 harness bounded:{RING_SLOTS})"
            ),
            Case::RingPingpongFloor(bound) => format!(
                "shm-ring pingpong against the floor: core {a} <-> core {b}, 8-byte messages, bounded:{bound} (the \
                 \"C\" column: the two-line round trip, median of {FLOOR_SAMPLES} over {LINE_PAIRS} line pairs; harness: 200 ms)"
            ),
        }
    }

    fn run_c(self, programs: &CPrograms, a: usize, b: usize) -> Result<Figures, String> {
        let (program, args) = match self {
            Case::RtrbStream => return rtrb_stream(a, b).map(|rate| vec![rate]),
            Case::RingPingpongFloor(_) => {
                let mut samples = bench_core::floor::two_line_round_trip(a, b, FLOOR_SAMPLES / 10, FLOOR_SAMPLES)
                    .map_err(|e| format!("floor: {e}"))?;
                samples.sort_unstable();
                return Ok(vec![samples[samples.len() / 2] as f64]);
            }
            Case::RingStream(p) => (
                &programs.ring,
                vec!["stream".to_owned(), n(a), n(b), n(STREAM_MS), n(RING_SLOTS), p.c_design().to_owned()],
            ),
            Case::RingPingpong(p) => (
                &programs.ring,
                vec![
                    "pingpong".to_owned(),
                    n(a),
                    n(b),
                    n(RING_SAMPLES),
                    n(RING_WARMUP),
                    n(RING_SLOTS),
                    p.c_design().to_owned(),
                ],
            ),
            Case::KernelPingpong(t) => (&programs.pingpong, {
                let mut args = vec![t.to_string(), n(a), n(b), n(KERNEL_WARMUP), n(KERNEL_SAMPLES), n(KERNEL_SIZE)];
                // ringside's queue ends run a watchdog thread; so does the C program.
                if t.has_watchdog_thread() {
                    args.push("watchdog".to_owned());
                }
                args
            }),
        };
        let out = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("C: running {}: {e}", program.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "C: {} {} exited with {}: {}",
                program.display(),
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let keys: &[&str] = match self {
            Case::RingStream(_) => &["msgs_per_s"],
            _ => &["p50_ns", "p99_ns"],
        };
        keys.iter()
            .map(|k| field(&stdout, k).ok_or_else(|| format!("C: no {k} in the output {:?}", stdout.trim())))
            .collect()
    }

    fn run_harness(self, a: usize, b: usize) -> Result<Figures, String> {
        let (transport, capacity, size, pattern, duration) = match self {
            Case::RingStream(p) => (p.transport(), p.capacity(), 8, Pattern::Stream, "200ms"),
            Case::RtrbStream => (RING, Capacity::Bounded(RING_SLOTS), 8, Pattern::Stream, "200ms"),
            Case::RingPingpongFloor(bound) => (RING, Capacity::Bounded(bound), 8, Pattern::PingPong, "200ms"),
            Case::RingPingpong(p) => (p.transport(), p.capacity(), 8, Pattern::PingPong, "200ms"),
            Case::KernelPingpong(t) => (t, Capacity::Bounded(1), KERNEL_SIZE, Pattern::PingPong, "300ms"),
        };
        let dir = tempfile::tempdir().map_err(|e| format!("harness: a temporary directory: {e}"))?;
        let exe = env!("CARGO_BIN_EXE_harness");
        let args = [
            "run".to_owned(),
            "--transport".to_owned(),
            transport.to_string(),
            "--capacity".to_owned(),
            capacity.to_string(),
            "--size".to_owned(),
            n(size),
            "--pattern".to_owned(),
            pattern.to_string(),
            "--cores".to_owned(),
            format!("{a},{b}"),
            "--trials".to_owned(),
            "6".to_owned(),
            "--duration".to_owned(),
            duration.to_owned(),
            "--out".to_owned(),
            dir.path().display().to_string(),
        ];
        let out = Command::new(exe)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("harness: running {exe}: {e}"))?;
        // The command as shown in a failure, without the temporary directory
        // (so the same failure on every repeat is listed once).
        let shown = format!("`harness {} <tmp>`", args[..args.len() - 1].join(" "));
        let path = dir.path().join("results.json");
        // A failed scenario still leaves a results file that says why; read it first.
        let file = match ResultsFile::read(&path) {
            Ok(file) => file,
            Err(e) if out.status.success() => return Err(format!("harness: {shown}: {e}")),
            Err(_) => {
                return Err(format!(
                    "harness: {shown} exited with {}: {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        };
        let scenario =
            file.scenarios.first().ok_or_else(|| format!("harness: {shown}: results.json lists no scenario"))?;
        if scenario.status == Status::FewTrials {
            // The VM changed state during the run: this repeat has no
            // figure to pair, which is not a failure of the harness.
            return Err(format!(
                "{NO_FIGURE} {shown}: {}",
                scenario.reason.as_deref().unwrap_or("too few trials in the reference state")
            ));
        }
        if scenario.status != Status::Ok {
            return Err(format!(
                "harness: {shown}: scenario {} ended {}: {}",
                scenario.id,
                scenario.status.name(),
                scenario.reason.as_deref().unwrap_or("no reason given")
            ));
        }
        if !out.status.success() {
            return Err(format!(
                "harness: {shown} exited with {} although its scenario is ok: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        match self {
            Case::RingStream(_) | Case::RtrbStream => {
                let rate = scenario.msgs_per_s.ok_or_else(|| format!("harness: {} has no msgs_per_s", scenario.id))?;
                Ok(vec![rate.median])
            }
            _ => {
                let latency =
                    scenario.latency.as_ref().ok_or_else(|| format!("harness: {} has no latency", scenario.id))?;
                let (p50, p99) = (latency.merged.p50, latency.merged.p99);
                let missing = |q| format!("harness: {} has too few samples for {q}", scenario.id);
                let p50 = p50.ok_or_else(|| missing("p50"))?;
                if matches!(self, Case::RingPingpongFloor(_)) {
                    return Ok(vec![p50]);
                }
                Ok(vec![p50, p99.ok_or_else(|| missing("p99"))?])
            }
        }
    }
}

fn n(v: impl ToString) -> String {
    v.to_string()
}

/// The number after `key` in the C output: `key value` (ring.c) or `key=value` (pingpong.c).
fn field(stdout: &str, key: &str) -> Option<f64> {
    let mut tokens = stdout.split_whitespace();
    while let Some(token) = tokens.next() {
        if token == key {
            return tokens.next()?.parse().ok();
        }
        if let Some(value) = token.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')) {
            return value.parse().ok();
        }
    }
    None
}

/// One case's runs over all repeats.
struct Tally {
    metrics: &'static [Metric],
    judged: Judged,
    /// Per repeat where that side succeeded: its figures.
    c: Vec<Figures>,
    harness: Vec<Figures>,
    /// Per metric: harness/C of each repeat where both succeeded.
    ratios: Vec<Vec<f64>>,
    /// Distinct failure messages.
    errors: Vec<String>,
}

impl Tally {
    fn new(metrics: &'static [Metric], judged: Judged) -> Self {
        Self {
            metrics,
            judged,
            c: Vec::new(),
            harness: Vec::new(),
            ratios: vec![Vec::new(); metrics.len()],
            errors: Vec::new(),
        }
    }

    fn record(&mut self, c: Result<Figures, String>, harness: Result<Figures, String>) {
        if let (Ok(c), Ok(h)) = (&c, &harness) {
            for ((ratios, c), h) in self.ratios.iter_mut().zip(c).zip(h) {
                ratios.push(h / c);
            }
        }
        for (result, list) in [(c, &mut self.c), (harness, &mut self.harness)] {
            match result {
                Ok(figures) => list.push(figures),
                Err(e) if !self.errors.contains(&e) => self.errors.push(e),
                Err(_) => {}
            }
        }
    }

    fn print(&self) {
        println!("  {:<10} {:>14} {:>14} {:>24}   verdict", "figure", "C", "harness", "harness/C (range)");
        for (i, metric) in self.metrics.iter().enumerate() {
            let side = |runs: &[Figures]| {
                if runs.is_empty() {
                    "n/a".to_owned()
                } else {
                    show(metric, median(&runs.iter().map(|f| f[i]).collect::<Vec<_>>()))
                }
            };
            println!(
                "  {:<10} {:>14} {:>14} {:>24}   {}",
                metric.name,
                side(&self.c),
                side(&self.harness),
                ratio(&self.ratios[i]),
                match self.judged {
                    Judged::Check => verdict(metric, &self.ratios[i]),
                    Judged::Target { limit } => target_verdict(metric, &self.ratios[i], limit),
                    Judged::Shown => "none: a design comparison".to_owned(),
                }
            );
        }
        for (metric, ratios) in self.metrics.iter().zip(&self.ratios).filter(|(_, r)| !r.is_empty()) {
            let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
            println!("  (per-repeat {}: {})", metric.name, each.join(" "));
        }
        for e in &self.errors {
            if e.starts_with(NO_FIGURE) {
                println!("  {e}");
            } else {
                println!("  FAILED: {e}");
            }
        }
    }

    /// The names of this check's figures outside noise; none for a design comparison.
    fn outside_noise(&self) -> Vec<&'static str> {
        if self.judged != Judged::Check {
            return Vec::new();
        }
        self.metrics
            .iter()
            .zip(&self.ratios)
            .filter(|(_, ratios)| !ratios.is_empty() && !within_noise(ratios))
            .map(|(metric, _)| metric.name)
            .collect()
    }

    /// The names of this target's figures whose median ratio misses it.
    fn targets_missed(&self) -> Vec<&'static str> {
        let Judged::Target { limit } = self.judged else { return Vec::new() };
        self.metrics
            .iter()
            .zip(&self.ratios)
            .filter(|(metric, ratios)| ratios.is_empty() || !meets(metric, ratios, limit))
            .map(|(metric, _)| metric.name)
            .collect()
    }
}

/// Whether the median of paired harness/reference ratios meets a target:
/// at least `limit` for a rate, at most `limit` for a latency.
fn meets(metric: &Metric, ratios: &[f64], limit: f64) -> bool {
    let m = median(ratios);
    if metric.higher_is_better { m >= limit } else { m <= limit }
}

fn target_verdict(metric: &Metric, ratios: &[f64], limit: f64) -> String {
    if ratios.is_empty() {
        return "no paired runs".to_owned();
    }
    let want = if metric.higher_is_better { format!(">= {limit:.2}x") } else { format!("<= {limit:.2}x") };
    let met = if meets(metric, ratios, limit) { "met" } else { "MISSED" };
    format!("target {want}: {met} (median of {} repeats)", ratios.len())
}

/// rtrb between two threads pinned to `a` and `b`: the producer pushes the
/// sequence numbers for [`STREAM_MS`] (reading the clock every 4,096), then
/// `u64::MAX`; the consumer checks every value against the one expected and
/// times its first message to the stop value. Messages per second.
fn rtrb_stream(a: usize, b: usize) -> Result<f64, String> {
    use std::hint::spin_loop;
    use std::time::{Duration, Instant};
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(RING_SLOTS);
    std::thread::scope(|s| {
        let producer = s.spawn(move || -> Result<(), String> {
            bench_core::pin::pin_current(a).map_err(|e| format!("rtrb: pin to core {a}: {e}"))?;
            let end = Instant::now() + Duration::from_millis(STREAM_MS);
            let mut seq = 0u64;
            loop {
                for _ in 0..4096 {
                    while tx.push(seq).is_err() {
                        spin_loop();
                    }
                    seq += 1;
                }
                if Instant::now() >= end {
                    break;
                }
            }
            while tx.push(u64::MAX).is_err() {
                spin_loop();
            }
            Ok(())
        });
        let consumer = s.spawn(move || -> Result<f64, String> {
            bench_core::pin::pin_current(b).map_err(|e| format!("rtrb: pin to core {b}: {e}"))?;
            let (mut expected, mut first) = (0u64, None);
            loop {
                match rx.pop() {
                    Ok(u64::MAX) => break,
                    Ok(v) if v == expected => {
                        first.get_or_insert_with(Instant::now);
                        expected += 1;
                    }
                    Ok(v) => return Err(format!("rtrb: received {v}, expected {expected}")),
                    Err(_) => spin_loop(),
                }
            }
            let elapsed = first.map(|t| t.elapsed().as_secs_f64()).unwrap_or(0.0);
            Ok(if elapsed > 0.0 { (expected - 1) as f64 / elapsed } else { 0.0 })
        });
        producer.join().map_err(|_| "rtrb: the producer panicked".to_owned())??;
        consumer.join().map_err(|_| "rtrb: the consumer panicked".to_owned())?
    })
}

fn show(metric: &Metric, v: f64) -> String {
    if metric.higher_is_better { format!("{:.1} M/s", v / 1e6) } else { format!("{v:.0} ns") }
}

fn ratio(v: &[f64]) -> String {
    match range(v) {
        None => "n/a".to_owned(),
        Some((lo, hi)) => format!("{:.2}x ({lo:.2}-{hi:.2})", median(v)),
    }
}

fn range(v: &[f64]) -> Option<(f64, f64)> {
    (!v.is_empty()).then(|| v.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x))))
}

/// "within noise" when the paired ratios span 1.0 or their median is within
/// [`NOISE`] of it; otherwise by how much the harness is slower or faster.
fn verdict(metric: &Metric, ratios: &[f64]) -> String {
    let Some((lo, hi)) = range(ratios) else { return "no paired runs".to_owned() };
    if lo <= 1.0 && 1.0 <= hi {
        return "within noise (the range includes 1.00x)".to_owned();
    }
    if within_noise(ratios) {
        return format!("within noise (median within {:.0}%)", NOISE * 100.0);
    }
    let m = median(ratios);
    // For a rate a ratio below 1 is the harness slower; for a latency, above 1.
    let slower = (m < 1.0) == metric.higher_is_better;
    let by = if metric.higher_is_better { (1.0 / m - 1.0).abs() } else { (m - 1.0).abs() };
    let rel = if slower { "slower" } else { "faster" };
    format!("OUTSIDE noise: harness {:.0}% {rel} than C on every repeat", by * 100.0)
}

/// Whether paired ratios are noise: their range includes 1.0 or their
/// median is within [`NOISE`] of it (false when there are none).
fn within_noise(ratios: &[f64]) -> bool {
    range(ratios).is_some_and(|(lo, hi)| (lo <= 1.0 && 1.0 <= hi) || (median(ratios) - 1.0).abs() <= NOISE)
}

/// The compiled C references.
struct CPrograms {
    ring: PathBuf,
    pingpong: PathBuf,
}

/// Compile `ring.c` and `pingpong.c` next to this bench's binary; `None`
/// (with a message) when there is no gcc.
fn build_c_programs() -> Result<Option<CPrograms>, String> {
    let Some(ring) = compile("ring", &[])? else { return Ok(None) };
    let Some(pingpong) = compile("pingpong", &["-lrt", "-lpthread"])? else { return Ok(None) };
    Ok(Some(CPrograms { ring, pingpong }))
}

/// `bench-core/benches/c/<name>.c` compiled to `target/<profile>/harness_vs_c-<name>`.
fn compile(name: &str, libs: &[&str]) -> Result<Option<PathBuf>, String> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../bench-core/benches/c/{name}.c"));
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    // target/<profile>/deps/harness_vs_c-<hash> -> target/<profile>/
    let dir = exe.parent().and_then(Path::parent).unwrap_or_else(|| Path::new("."));
    let out = dir.join(format!("harness_vs_c-{name}"));
    let result = Command::new("gcc").args(["-O2", "-Wall", "-Wextra", "-o"]).arg(&out).arg(&source).args(libs).output();
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("harness_vs_c: gcc not found; the C references cannot be built. Skipped.");
            Ok(None)
        }
        Err(e) => Err(format!("running gcc: {e}")),
        Ok(o) if !o.status.success() => {
            Err(format!("gcc failed to build {}:\n{}", source.display(), String::from_utf8_lossy(&o.stderr)))
        }
        Ok(_) => Ok(Some(out)),
    }
}
