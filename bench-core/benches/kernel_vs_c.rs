//! Kernel transports through ringside's channels against a plain C ping-pong
//! of the same mechanism, on the same cores.
//!
//! A round trip over a pipe, a unix-stream socket or a message queue costs
//! two system calls per side and a wake-up each way; the Rust wrapper
//! (framing, capacity mode, peer checks) should add nothing measurable to
//! that. For each of `pipe`, `unix-stream`, `posix-mq` and `sysv-mq`, and
//! for each repeat, this runs back to back:
//!
//! - `benches/c/pingpong.c` (compiled here with `gcc -O2`): fork, parent on
//!   core A sends 16 bytes, child on core B echoes them, one kernel object
//!   per direction, streams framed as [`bench_core::transport::framing`]
//!   frames them; for the two message queues with its `watchdog` option (a
//!   second thread per process that sleeps in 50 ms slices), the shape of
//!   ringside's queue ends, whose watchdog threads park in 50 ms slices (on
//!   this VM a second, sleeping thread alone made cross-core wake-ups about
//!   10% faster, so a single-threaded C program is not the same thing);
//! - the same over two [`Channel`]s (`bounded:1`, 16-byte messages): this
//!   process opens the ping sender and the pong receiver, the echo is this
//!   binary re-executed as a child (`bench_core::child`) that opens the
//!   other two ends.
//!
//! Each run gives the p50 and p99 round trip (timed with `CLOCK_MONOTONIC`
//! on both sides: `clock_gettime` in C, `bench_core::clock::now_ns` in Rust). The host moves
//! this VM's cores around, so each ratio is paired: C and Rust measured back
//! to back within one repeat (C first on even repeats, Rust first on odd
//! ones), and the median of the per-repeat ratios is reported with their
//! range. Placements: cross-core (the last two available cores) and
//! same-core (both on the last core).
//!
//! `cargo bench -p bench-core --bench kernel_vs_c`; `RINGSIDE_REPEATS`
//! (default 5), `RINGSIDE_KVC_SAMPLES` (default 20000 timed round trips
//! per run, after a tenth as many untimed).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use bench_core::child::{self, Launch};
use bench_core::clock::now_ns;
use bench_core::pin::{available_cores, pin_child, pin_current};
use bench_core::ring::Capacity;
use bench_core::transport::objects::install_interrupt_cleanup;
use bench_core::transport::{
    Address, Channel, ChannelSpec, OpenOptions, Receiver, Role, Sender, TransportError, TransportKind,
};
use vocabulary::stats::{median, quantile_ns};

const KINDS: [TransportKind; 4] =
    [TransportKind::Pipe, TransportKind::UnixStream, TransportKind::PosixMq, TransportKind::SysvMq];
const MESSAGE_SIZE: usize = 16;
const TIMEOUT: Duration = Duration::from_secs(30);

/// Where the echo finds its end of the ping channel.
const PING_ENV: &str = "RINGSIDE_KVC_PING";
/// Where the echo finds its end of the pong channel.
const PONG_ENV: &str = "RINGSIDE_KVC_PONG";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The echo's job: its core, and the cores its parent may use.
#[derive(serde::Serialize, serde::Deserialize)]
struct Echo {
    core: usize,
    allowed: Vec<usize>,
}

fn main() {
    child::serve(echo_worker);
    install_interrupt_cleanup();

    let cores = available_cores();
    let (a, b) = match cores.as_slice() {
        [] | [_] => {
            println!("kernel_vs_c: this machine offers one core; the cross-core comparison needs two. Skipped.");
            return;
        }
        [.., a, b] => (*a, *b),
    };
    let Some(c_program) = build_c_program() else { return };
    let repeats: usize = env_number("RINGSIDE_REPEATS", 5).max(1);
    let samples: usize = env_number("RINGSIDE_KVC_SAMPLES", 20_000).max(1);
    let warmup = samples / 10;
    println!(
        "kernel_vs_c: {}-byte messages, {samples} timed round trips per run after {warmup} untimed, \
         {repeats} repeats; C: {}",
        MESSAGE_SIZE,
        c_program.display()
    );

    let placements = [("cross-core", a, b), ("same-core", b, b)];
    for (name, core_a, core_b) in placements {
        println!("\n{name}: initiator on core {core_a}, echo on core {core_b}");
        let mut rows: Vec<Row> = KINDS.iter().map(|_| Row::default()).collect();
        for repeat in 0..repeats {
            for (kind, row) in KINDS.iter().zip(&mut rows) {
                let run_c = || c_pingpong(&c_program, *kind, core_a, core_b, warmup, samples);
                let run_rust = || rust_pingpong(*kind, core_a, core_b, warmup, samples);
                let (c, rust) = if repeat % 2 == 0 {
                    let c = run_c();
                    (c, run_rust())
                } else {
                    let rust = run_rust();
                    (run_c(), rust)
                };
                row.record(c, rust);
            }
        }
        print_table(&rows);
    }
    println!(
        "\ntarget: Rust/C ~1.00x for p50 and p99 (a syscall-bound path; the wrapper should cost nothing measurable). \
         Ratios are paired per repeat: median (min-max)."
    );
}

/// p50 and p99 of one run, in nanoseconds.
#[derive(Debug, Clone, Copy)]
struct Quantiles {
    p50: f64,
    p99: f64,
}

/// One transport's runs in one placement.
#[derive(Default)]
struct Row {
    c: Vec<Quantiles>,
    rust: Vec<Quantiles>,
    ratio_p50: Vec<f64>,
    ratio_p99: Vec<f64>,
    errors: Vec<String>,
}

impl Row {
    fn record(&mut self, c: Result<Quantiles, BoxError>, rust: Result<Quantiles, BoxError>) {
        if let (Ok(c), Ok(r)) = (&c, &rust) {
            self.ratio_p50.push(r.p50 / c.p50);
            self.ratio_p99.push(r.p99 / c.p99);
        }
        for (side, result, list) in [("C", c, &mut self.c), ("Rust", rust, &mut self.rust)] {
            match result {
                Ok(q) => list.push(q),
                Err(e) => {
                    let e = format!("{side}: {e}");
                    if !self.errors.contains(&e) {
                        self.errors.push(e);
                    }
                }
            }
        }
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "{:<12} {:>10} {:>10} {:>22} {:>10} {:>10} {:>22}",
        "transport", "C p50", "Rust p50", "Rust/C p50 (range)", "C p99", "Rust p99", "Rust/C p99 (range)"
    );
    for (kind, row) in KINDS.iter().zip(rows) {
        let abs = |v: &[Quantiles], f: fn(&Quantiles) -> f64| {
            if v.is_empty() {
                "n/a".to_owned()
            } else {
                format!("{:.0} ns", median(&v.iter().map(f).collect::<Vec<_>>()))
            }
        };
        println!(
            "{:<12} {:>10} {:>10} {:>22} {:>10} {:>10} {:>22}",
            kind.name(),
            abs(&row.c, |q| q.p50),
            abs(&row.rust, |q| q.p50),
            ratio(&row.ratio_p50),
            abs(&row.c, |q| q.p99),
            abs(&row.rust, |q| q.p99),
            ratio(&row.ratio_p99),
        );
        for e in &row.errors {
            println!("    {}: {e}", kind.name());
        }
    }
    let per_repeat: Vec<String> = KINDS
        .iter()
        .zip(rows)
        .map(|(k, r)| {
            format!("{} {}", k.name(), r.ratio_p50.iter().map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(" "))
        })
        .collect();
    println!("(per-repeat Rust/C p50: {})", per_repeat.join("; "));
}

fn ratio(v: &[f64]) -> String {
    if v.is_empty() {
        return "n/a".to_owned();
    }
    let (lo, hi) = v.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    format!("{:.2}x ({:.2}-{:.2})", median(v), lo, hi)
}

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Compile `benches/c/pingpong.c` next to this bench's binary; `None` (with
/// a message) when there is no `gcc`.
fn build_c_program() -> Option<PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/c/pingpong.c");
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/kernel_vs_c-<hash> -> target/<profile>/kernel_vs_c-pingpong
    let dir = exe.parent().and_then(Path::parent).unwrap_or_else(|| Path::new("."));
    let out = dir.join("kernel_vs_c-pingpong");
    let result = Command::new("gcc")
        .arg("-O2")
        .arg("-Wall")
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .arg("-lrt")
        .arg("-lpthread")
        .output();
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("kernel_vs_c: gcc not found; the C reference cannot be built. Skipped.");
            None
        }
        Err(e) => panic!("running gcc: {e}"),
        Ok(o) if !o.status.success() => {
            panic!("gcc failed to build {}:\n{}", source.display(), String::from_utf8_lossy(&o.stderr))
        }
        Ok(_) => Some(out),
    }
}

/// One run of the C program.
fn c_pingpong(
    program: &Path,
    kind: TransportKind,
    a: usize,
    b: usize,
    warmup: usize,
    samples: usize,
) -> Result<Quantiles, BoxError> {
    let out = Command::new(program)
        .args([kind.name().to_owned(), a.to_string(), b.to_string(), warmup.to_string(), samples.to_string()])
        .arg(MESSAGE_SIZE.to_string())
        .args(kind.has_watchdog_thread().then_some("watchdog"))
        .stdin(Stdio::null())
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(
            format!("{} ({}): {}", out.status, stdout.trim(), String::from_utf8_lossy(&out.stderr).trim()).into()
        );
    }
    let field = |key: &str| -> Option<f64> {
        stdout.split_whitespace().find_map(|f| f.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
    };
    match (field("p50_ns"), field("p99_ns")) {
        (Some(p50), Some(p99)) => Ok(Quantiles { p50, p99 }),
        _ => Err(format!("unreadable output {stdout:?}").into()),
    }
}

/// One run over two channels: this process on core `a` sends and times,
/// the worker on core `b` echoes.
fn rust_pingpong(
    kind: TransportKind,
    a: usize,
    b: usize,
    warmup: usize,
    samples: usize,
) -> Result<Quantiles, BoxError> {
    let spec = ChannelSpec::new(kind, Capacity::Bounded(1), MESSAGE_SIZE).timeout(TIMEOUT);
    let mut ping = Channel::create(&spec)?;
    let mut pong = Channel::create(&spec)?;
    let mut launch = Launch::new("echo worker", &Echo { core: b, allowed: available_cores() })?;
    ping.configure_child(Role::Receiver, &mut launch, PING_ENV);
    pong.configure_child(Role::Sender, &mut launch, PONG_ENV);
    // Spawned from this (unpinned) thread; the timing runs on a pinned one.
    // Killed and reaped if this run fails.
    let worker = launch.spawn()?;
    ping.handed_over(Role::Receiver);
    pong.handed_over(Role::Sender);
    let pid = worker.pid();
    let opts = OpenOptions { peer: Some(pid), timeout: TIMEOUT };

    let times = std::thread::scope(|s| {
        s.spawn(|| -> Result<Vec<u64>, BoxError> {
            pin_current(a)?;
            let mut tx = ping.open_sender(&opts)?;
            let mut rx = pong.open_receiver(&opts)?;
            let mut msg = [0xabu8; MESSAGE_SIZE];
            let mut buf = [0u8; MESSAGE_SIZE];
            let mut times = vec![0u64; samples];
            for i in 0..warmup + samples {
                msg[..8].copy_from_slice(&(i as u64).to_le_bytes());
                let t0 = now_ns();
                tx.send(&msg)?;
                let n = rx.recv(&mut buf)?;
                let t1 = now_ns();
                if buf[..n] != msg {
                    return Err(format!("round trip {i}: echo of {n} bytes does not match").into());
                }
                if let Some(slot) = i.checked_sub(warmup) {
                    times[slot] = t1 - t0;
                }
            }
            tx.finish()?;
            match rx.recv(&mut buf) {
                Err(e) if e.is_disconnected() => Ok(times),
                Err(e) => Err(format!("after the last round trip: {e}").into()),
                Ok(n) => Err(format!("an unexpected {n}-byte message after the last round trip").into()),
            }
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;

    let echoed: usize = worker.finish(TIMEOUT)?;
    if echoed != warmup + samples {
        return Err(format!("the echo worker echoed {echoed} of {} messages", warmup + samples).into());
    }
    Ok(Quantiles { p50: quantile_ns(&times, 0.5), p99: quantile_ns(&times, 0.99) })
}

/// The worker: receive on the ping channel, send each message back on the
/// pong channel, until the initiator finishes; then finish the pong channel.
fn echo_worker(job: Echo) -> Result<usize, BoxError> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("{k} not set"));
    pin_child(&job.allowed, job.core)?;
    let opts = OpenOptions { peer: Some(std::os::unix::process::parent_id()), timeout: TIMEOUT };
    let ping: Address = var(PING_ENV)?.parse()?;
    let pong: Address = var(PONG_ENV)?.parse()?;
    let mut rx = ping.open::<Receiver>(&opts)?;
    let mut tx = pong.open::<Sender>(&opts)?;
    let mut buf = [0u8; MESSAGE_SIZE];
    let mut echoed = 0;
    loop {
        match rx.recv(&mut buf) {
            Ok(n) => tx.send(&buf[..n])?,
            Err(TransportError::Disconnected) => break,
            Err(e) => return Err(e.into()),
        }
        echoed += 1;
    }
    tx.finish()?;
    Ok(echoed)
}
