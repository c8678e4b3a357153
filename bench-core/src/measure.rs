//! Measurements of the ring between two pinned **processes**.
//!
//! The second process is the calling binary itself, re-executed with
//! [`WORKER_ENV`] set: every binary that measures (the harness, the
//! benchmarks) calls [`serve_worker_if_requested`] first thing in `main`.
//!
//! - [`ring_stream`]: the producer (this process) sends `count` 8-byte
//!   messages, each its own sequence number; the consumer (the worker)
//!   checks every one and times first to last message received, so the
//!   buffer does not flatter the figure.
//! - [`ring_pingpong`]: one message there and back over two rings; one
//!   sample per round trip, timed here with [`quanta`].

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::pin::{PinError, pin_current};
use crate::ring::{Capacity, RecvError, RingConfig, RingError, SendError, SharedRing, Variant, WaitStrategy};

/// Environment variable that turns a binary into a measurement worker.
pub const WORKER_ENV: &str = "RINGSIDE_WORKER";
const CORE_ENV: &str = "RINGSIDE_WORKER_CORE";
const RINGS_ENV: &str = "RINGSIDE_WORKER_RINGS";
const COUNT_ENV: &str = "RINGSIDE_WORKER_COUNT";
const ALLOWED_ENV: &str = "RINGSIDE_WORKER_ALLOWED_CORES";
const RESULT: &str = "RINGSIDE-RESULT ";

/// A measurement could not be taken, or its messages did not arrive intact.
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    /// Setting up a ring failed.
    #[error(transparent)]
    Ring(#[from] RingError),
    /// Sending failed.
    #[error(transparent)]
    Send(#[from] SendError),
    /// Receiving failed.
    #[error(transparent)]
    Recv(#[from] RecvError),
    /// Pinning failed.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// The worker process failed or reported broken integrity.
    #[error("worker process: {0}")]
    Worker(String),
}

/// The ring configuration both measurements use: 8-byte slots, spin waits.
pub fn bench_config(variant: Variant, capacity: Capacity) -> RingConfig {
    RingConfig::new(capacity).variant(variant).wait(WaitStrategy::Spin).slot_size(8).timeout(Duration::from_secs(30))
}

/// Stream `count` messages from this process (pinned to `producer_core`) to a
/// worker process (pinned to `consumer_core`); messages per second at the consumer.
pub fn ring_stream(
    config: &RingConfig,
    producer_core: usize,
    consumer_core: usize,
    count: u64,
) -> Result<f64, MeasureError> {
    let ring = SharedRing::create(config)?;
    let mut worker = spawn("stream-consumer", consumer_core, &[ring.name()], count)?;
    let sent = ring.into_producer().map_err(MeasureError::from).and_then(|mut producer| {
        pinned(producer_core, move || {
            for seq in 0..count {
                producer.send(&seq.to_le_bytes())?;
            }
            Ok(())
        })
    });
    if let Err(e) = sent {
        reap(&mut worker);
        return Err(e);
    }
    finish(worker)
}

/// Round trips of one 8-byte message between this process (initiator, on
/// `core_a`) and a worker echoing it (on `core_b`): one sample in ns each,
/// after `warmup` unrecorded ones.
pub fn ring_pingpong(
    config: &RingConfig,
    core_a: usize,
    core_b: usize,
    warmup: usize,
    samples: usize,
) -> Result<Vec<u64>, MeasureError> {
    let ping = SharedRing::create(config)?;
    let pong = SharedRing::create(config)?;
    let mut worker = spawn("echo", core_b, &[ping.name(), pong.name()], 0)?;
    let ends = ping.into_producer().and_then(|tx| Ok((tx, pong.into_consumer()?)));
    let (mut tx, mut rx) = match ends {
        Ok(ends) => ends,
        Err(e) => {
            reap(&mut worker);
            return Err(e.into());
        }
    };
    let out = pinned(core_a, move || {
        let clock = quanta::Clock::new();
        let mut out = Vec::with_capacity(samples);
        for seq in 0..(warmup + samples) as u64 {
            let t0 = clock.raw();
            tx.send(&seq.to_le_bytes())?;
            let back = rx.recv_with(decode)?;
            let t1 = clock.raw();
            if back != Some(seq) {
                return Err(MeasureError::Worker(format!("round trip {seq} came back as {back:?}")));
            }
            if seq >= warmup as u64 {
                out.push(clock.delta_as_nanos(t0, t1));
            }
        }
        Ok(out)
    });
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            reap(&mut worker);
            return Err(e);
        }
    };
    let echoed = finish(worker)?;
    if echoed as usize != warmup + samples {
        return Err(MeasureError::Worker(format!("echoed {echoed} of {} messages", warmup + samples)));
    }
    Ok(out)
}

/// Run `work` on a thread of its own pinned to `core`, so the caller's
/// thread stays unpinned: a worker spawned later inherits the affinity mask
/// of the thread that spawns it, and a worker that believed itself confined
/// to one core would never spin while it waits.
fn pinned<T: Send>(core: usize, work: impl FnOnce() -> Result<T, MeasureError> + Send) -> Result<T, MeasureError> {
    std::thread::scope(|s| {
        s.spawn(|| {
            pin_current(core)?;
            work()
        })
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// If this process was started as a worker, do the work and exit; otherwise return.
pub fn serve_worker_if_requested() {
    let Ok(role) = std::env::var(WORKER_ENV) else { return };
    let code = match serve(&role) {
        Ok(value) => {
            println!("{RESULT}{value}");
            0
        }
        Err(e) => {
            eprintln!("ringside worker ({role}): {e}");
            1
        }
    };
    std::process::exit(code);
}

fn serve(role: &str) -> Result<f64, MeasureError> {
    let var = |k: &str| std::env::var(k).map_err(|_| MeasureError::Worker(format!("{k} not set")));
    let core: usize = var(CORE_ENV)?.parse().map_err(|_| MeasureError::Worker("bad core".into()))?;
    // Start from the parent's cores, not the mask of whichever pinned thread
    // spawned us, and record them before pinning narrows the mask: the
    // ring's waiters ask whether this process has more than one core.
    let allowed: Vec<usize> = var(ALLOWED_ENV)?.split(',').filter_map(|c| c.parse().ok()).collect();
    crate::pin::allow_cores(&allowed)?;
    crate::pin::available_cores();
    pin_current(core)?;
    let names = var(RINGS_ENV)?;
    let names: Vec<&str> = names.split(',').collect();
    match (role, names.as_slice()) {
        ("stream-consumer", [ring]) => {
            let count: u64 = var(COUNT_ENV)?.parse().map_err(|_| MeasureError::Worker("bad count".into()))?;
            let mut rx = SharedRing::attach(ring)?.into_consumer()?;
            let clock = quanta::Clock::new();
            let (mut expected, mut first, mut last) = (0u64, 0u64, 0u64);
            loop {
                match rx.recv_with(decode) {
                    Ok(Some(seq)) if seq == expected => {
                        // Two clock reads per run, not per message: the
                        // clock would otherwise be the bottleneck.
                        if expected == 0 {
                            first = clock.raw();
                        }
                        expected += 1;
                        if expected == count {
                            last = clock.raw();
                        }
                    }
                    Ok(got) => {
                        return Err(MeasureError::Worker(format!("expected message {expected}, got {got:?}")));
                    }
                    Err(RecvError::Disconnected) => break,
                    Err(e) => return Err(e.into()),
                }
            }
            if expected != count || count < 2 {
                return Err(MeasureError::Worker(format!("received {expected} of {count} messages")));
            }
            Ok((count - 1) as f64 * 1e9 / clock.delta_as_nanos(first, last).max(1) as f64)
        }
        ("echo", [ping, pong]) => {
            let mut rx = SharedRing::attach(ping)?.into_consumer()?;
            let mut tx = SharedRing::attach(pong)?.into_producer()?;
            let mut buf = [0u8; 8];
            let mut n = 0u64;
            loop {
                match rx.recv(&mut buf) {
                    Ok(len) => tx.send(&buf[..len])?,
                    Err(RecvError::Disconnected) => break Ok(n as f64),
                    Err(e) => break Err(e.into()),
                }
                n += 1;
            }
        }
        _ => Err(MeasureError::Worker(format!("unknown role {role} for rings {names:?}"))),
    }
}

fn decode(msg: &[u8]) -> Option<u64> {
    msg.try_into().ok().map(u64::from_le_bytes)
}

fn spawn(role: &str, core: usize, rings: &[&str], count: u64) -> Result<Child, MeasureError> {
    let exe = std::env::current_exe().map_err(|e| MeasureError::Worker(format!("current_exe: {e}")))?;
    Command::new(exe)
        .env(WORKER_ENV, role)
        .env(CORE_ENV, core.to_string())
        .env(RINGS_ENV, rings.join(","))
        .env(COUNT_ENV, count.to_string())
        .env(ALLOWED_ENV, crate::pin::available_cores().iter().map(usize::to_string).collect::<Vec<_>>().join(","))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| MeasureError::Worker(format!("spawn: {e}")))
}

/// A measurement failed on this side: the worker is killed and reaped,
/// not left waiting on a ring nobody will touch again.
fn reap(worker: &mut Child) {
    let _ = worker.kill();
    let _ = worker.wait();
}

fn finish(mut worker: Child) -> Result<f64, MeasureError> {
    let out = worker.stdout.take().expect("stdout is piped");
    let line = BufReader::new(out).lines().map_while(Result::ok).find(|l| l.starts_with(RESULT));
    let status = worker.wait().map_err(|e| MeasureError::Worker(format!("wait: {e}")))?;
    match line {
        Some(l) if status.success() => {
            l[RESULT.len()..].trim().parse().map_err(|_| MeasureError::Worker(format!("unreadable result {l:?}")))
        }
        _ => Err(MeasureError::Worker(format!("exited with {status} and no result"))),
    }
}
