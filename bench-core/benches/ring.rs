//! Micro-benchmarks of the shared-memory SPSC ring between two threads,
//! beside `rtrb` and `crossbeam-channel`.
//!
//! Run with `cargo bench -p bench-core --bench ring` (one group:
//! `cargo bench -p bench-core --bench ring -- pingpong`).
//!
//! # Groups
//! - `push_pop`: streaming throughput of 8-byte messages (a `u64` sequence
//!   number each) from a producer thread to a consumer thread, bounded(1024):
//!   the ring's three variants (`textbook`, `padded`, `ring`), `ring-batch`
//!   (the `ring` variant written and read through `reserve` / `peek` batches
//!   of 64), `rtrb::RingBuffer::<u64>::new(1024)` and
//!   `crossbeam_channel::bounded::<u64>(1024)`. One criterion iteration is
//!   one message, so the throughput line reads in messages per second. The
//!   time of a sample runs from the moment both threads are pinned and
//!   running to the moment the consumer has received the last message.
//! - `pingpong`: round trip of one 8-byte message over two queues (ping and
//!   pong) between a pinned initiator and a pinned echo thread, for the three
//!   variants, `rtrb` and `crossbeam` (all of capacity 1), plus `cache-line`:
//!   the physical floor, the echo bouncing one `AtomicU64` on its own
//!   128-byte line (what `bench_core::floor::cache_line_round_trip` measures,
//!   in a criterion-friendly form). One iteration is one round trip.
//!
//! # Method
//! Both threads of a sample are spawned by `Bencher::iter_custom`, once per
//! sample batch, and pinned to the first two cores of
//! `bench_core::pin::available_cores()`; the criterion thread itself stays
//! unpinned (a thread spawned by a pinned thread inherits its affinity mask
//! and could not be pinned elsewhere). Each queue is created once per
//! benchmark and reused by every sample; the sequence numbers continue from
//! sample to sample, so a lost, repeated or stale message shows up as a
//! mismatch. Before anything is timed, every implementation is checked: a
//! single-threaded FIFO pass, then a two-thread run that wraps the queue
//! several times. During the timed runs every received value is compared
//! with the expected sequence number too (part of what each message must
//! prove); a mismatch panics with the implementation's name and both values.
//!
//! Read every entry against the `cache-line` floor of the same run. On a
//! virtual machine the host can move the two vCPUs between nearby and
//! distant physical cores from one run to the next, and the floor moves with
//! them (on one 2-vCPU EPYC guest it was about 70 ns in some runs and about
//! 340 ns in others).
//!
//! On a machine with a single core both threads share it, the bench ids get
//! a `-one-core` suffix, and every wait yields instead of spinning (the
//! figures then measure the scheduler, not the queues).

use std::fmt;
use std::hint::spin_loop;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::{self, ScopedJoinHandle};
use std::time::{Duration, Instant};

use bench_core::pin::{available_cores, pin_current};
use bench_core::ring::{self, Capacity, RingConfig, Variant, WaitStrategy};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};

/// Bound of the streaming queues.
const STREAM_CAPACITY: usize = 1024;
/// Messages per `reserve` / `peek` in `ring-batch`.
const BATCH: u64 = 64;
/// Messages of the two-thread correctness check of a streaming queue (wraps it ~10 times).
const STREAM_CHECK: u64 = 10 * STREAM_CAPACITY as u64 + 7;
/// Round trips of the correctness check of a ping-pong pair.
const PINGPONG_CHECK: u64 = 10_000;

// ---------------------------------------------------------------- cores ----

/// Where the two threads of every sample run.
#[derive(Debug, Clone, Copy)]
struct Cores {
    /// Producer / initiator.
    a: usize,
    /// Consumer / echo.
    b: usize,
    /// Only one core exists: both threads share it.
    shared: bool,
}

/// Set when both threads share one core: waits then yield instead of spinning.
static ONE_CORE: AtomicBool = AtomicBool::new(false);

fn cores() -> Cores {
    static CORES: OnceLock<Cores> = OnceLock::new();
    *CORES.get_or_init(|| {
        let all = available_cores();
        let cores = match all.as_slice() {
            [] => panic!("ring bench: this process may run on no core at all"),
            [only] => Cores { a: *only, b: *only, shared: true },
            [a, b, ..] => Cores { a: *a, b: *b, shared: false },
        };
        ONE_CORE.store(cores.shared, Ordering::Relaxed);
        if cores.shared {
            eprintln!("ring bench: only core {} is available; both threads share it (ids end in -one-core)", cores.a);
        } else {
            eprintln!(
                "ring bench: producer/initiator on core {}, consumer/echo on core {} (of {all:?})",
                cores.a, cores.b
            );
        }
        cores
    })
}

/// The bench id of an implementation, marked when both threads share a core.
fn id(name: &str) -> String {
    if cores().shared { format!("{name}-one-core") } else { name.to_owned() }
}

fn pin(core: usize) {
    pin_current(core).unwrap_or_else(|e| panic!("ring bench: {e}"));
}

/// One poll of a wait loop.
#[inline(always)]
fn relax() {
    if ONE_CORE.load(Ordering::Relaxed) {
        thread::yield_now();
    } else {
        spin_loop();
    }
}

/// Spin until the peer thread says it is pinned and polling (or died trying).
fn await_ready<T>(ready: &AtomicBool, peer: &ScopedJoinHandle<'_, T>) {
    while !ready.load(Ordering::Acquire) {
        if peer.is_finished() {
            return; // it panicked; joining it reports why
        }
        relax();
    }
}

/// Join a sample's peer thread, re-raising its panic (with its own message).
fn join<T>(peer: ScopedJoinHandle<'_, T>) -> T {
    peer.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

// ------------------------------------------------------------ endpoints ----

/// A received value that is not the next sequence number.
#[derive(Debug)]
struct Mismatch {
    want: u64,
    got: u64,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = if self.got < self.want { "a repeated or stale message" } else { "a message lost or reordered" };
        write!(f, "expected sequence number {}, received {} ({why})", self.want, self.got)
    }
}

#[cold]
#[inline(never)]
fn mismatch(name: &str, m: Mismatch) -> ! {
    panic!("{name}: messages out of order or corrupt: {m}")
}

/// The sending end of a queue of `u64` messages.
trait Tx: Send {
    /// Send `v`, waiting while the queue is full.
    fn put(&mut self, v: u64);

    /// Send `first..first + n` in order.
    #[inline]
    fn put_seq(&mut self, first: u64, n: u64) {
        for v in first..first + n {
            self.put(v);
        }
    }
}

/// The receiving end of a queue of `u64` messages.
trait Rx: Send {
    /// Receive the next value, waiting while the queue is empty.
    fn take(&mut self) -> u64;

    /// Receive `n` values, checking they are `first..first + n` in order.
    #[inline]
    fn take_seq(&mut self, first: u64, n: u64) -> Result<(), Mismatch> {
        for want in first..first + n {
            let got = self.take();
            if got != want {
                return Err(Mismatch { want, got });
            }
        }
        Ok(())
    }
}

/// A ring message as the sequence number it carries.
#[inline(always)]
fn decode(msg: &[u8]) -> u64 {
    match <[u8; 8]>::try_from(msg) {
        Ok(bytes) => u64::from_le_bytes(bytes),
        Err(_) => panic!("ring: a message of {} bytes, expected 8 (one u64 sequence number)", msg.len()),
    }
}

impl Tx for ring::Producer {
    #[inline]
    fn put(&mut self, v: u64) {
        self.send(&v.to_le_bytes()).unwrap_or_else(|e| panic!("ring send failed: {e}"));
    }
}

impl Rx for ring::Consumer {
    #[inline]
    fn take(&mut self) -> u64 {
        self.recv_with(decode).unwrap_or_else(|e| panic!("ring recv failed: {e}"))
    }
}

/// The ring written through `reserve` batches (`put_seq` only; `put` sends one).
struct BatchTx(ring::Producer);
/// The ring read through `peek` batches (`take_seq` only; `take` receives one).
struct BatchRx(ring::Consumer);

impl Tx for BatchTx {
    fn put(&mut self, v: u64) {
        self.0.put(v);
    }

    #[inline]
    fn put_seq(&mut self, first: u64, n: u64) {
        let end = first + n;
        let mut next = first;
        while next < end {
            let k = BATCH.min(end - next) as usize;
            let mut batch = self.0.reserve(k).unwrap_or_else(|e| panic!("ring reserve({k}) failed: {e}"));
            for i in 0..k {
                let bytes = (next + i as u64).to_le_bytes();
                batch.write(i, &bytes).unwrap_or_else(|e| panic!("ring batch write failed: {e}"));
            }
            batch.commit().unwrap_or_else(|e| panic!("ring batch commit failed: {e}"));
            next += k as u64;
        }
    }
}

impl Rx for BatchRx {
    fn take(&mut self) -> u64 {
        self.0.take()
    }

    #[inline]
    fn take_seq(&mut self, first: u64, n: u64) -> Result<(), Mismatch> {
        let end = first + n;
        let mut want = first;
        while want < end {
            let max = BATCH.min(end - want) as usize;
            let batch = self.0.peek(max).unwrap_or_else(|e| panic!("ring peek failed: {e}"));
            for i in 0..batch.len() {
                let got = decode(batch.message(i));
                if got != want {
                    return Err(Mismatch { want, got });
                }
                want += 1;
            }
            // Dropping the batch releases its slots.
        }
        Ok(())
    }
}

impl Tx for rtrb::Producer<u64> {
    #[inline]
    fn put(&mut self, v: u64) {
        while self.push(v).is_err() {
            if self.is_abandoned() {
                panic!("rtrb: the consumer is gone");
            }
            relax();
        }
    }
}

impl Rx for rtrb::Consumer<u64> {
    #[inline]
    fn take(&mut self) -> u64 {
        loop {
            if let Ok(v) = self.pop() {
                return v;
            }
            if self.is_abandoned() && self.is_empty() {
                panic!("rtrb: the producer is gone");
            }
            relax();
        }
    }
}

impl Tx for crossbeam_channel::Sender<u64> {
    #[inline]
    fn put(&mut self, v: u64) {
        self.send(v).unwrap_or_else(|_| panic!("crossbeam: the receiver is gone"));
    }
}

impl Rx for crossbeam_channel::Receiver<u64> {
    #[inline]
    fn take(&mut self) -> u64 {
        self.recv().unwrap_or_else(|_| panic!("crossbeam: the sender is gone"))
    }
}

fn ring_pair(variant: Variant, capacity: usize) -> (ring::Producer, ring::Consumer) {
    let wait = if cores().shared { WaitStrategy::Yield } else { WaitStrategy::Spin };
    let config = RingConfig::new(Capacity::Bounded(capacity)).variant(variant).slot_size(8).wait(wait);
    ring::pair(&config).unwrap_or_else(|e| panic!("cannot create a {variant} ring: {e}"))
}

// ------------------------------------------------------------- push_pop ----

/// Stream `first..first + n` from a producer thread to a consumer thread;
/// the ends go back to the caller with the time from start to the last
/// message received. A panic on either side drops that side's end, so the
/// other one sees a disconnection instead of waiting for ever.
fn stream_sample<T: Tx, R: Rx>(name: &str, tx: T, rx: R, first: u64, n: u64) -> (T, R, Duration) {
    let c = cores();
    let ready = &AtomicBool::new(false);
    thread::scope(|s| {
        let consumer = s.spawn(move || {
            let mut rx = rx;
            pin(c.b);
            ready.store(true, Ordering::Release);
            let checked = rx.take_seq(first, n);
            let stop = Instant::now();
            if let Err(m) = checked {
                mismatch(name, m);
            }
            (rx, stop)
        });
        let producer = s.spawn(move || {
            let mut tx = tx;
            pin(c.a);
            await_ready(ready, &consumer);
            let start = Instant::now();
            tx.put_seq(first, n);
            let (rx, stop) = join(consumer);
            (tx, rx, stop.saturating_duration_since(start))
        });
        join(producer)
    })
}

fn bench_stream<T: Tx, R: Rx>(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, (tx, rx): (T, R)) {
    let (mut tx, mut rx) = (tx, rx);
    // Single-threaded FIFO pass (fits in the queue: nothing waits).
    tx.put_seq(0, 100);
    if let Err(m) = rx.take_seq(0, 100) {
        mismatch(name, m);
    }
    let mut next = 100;
    // Two threads, wrapping the queue many times.
    let (tx, rx, _) = stream_sample(name, tx, rx, next, STREAM_CHECK);
    next += STREAM_CHECK;

    let mut ends = Some((tx, rx));
    group.bench_function(id(name), |b| {
        b.iter_custom(|iters| {
            let (tx, rx) = ends.take().expect("the queue was lost to an earlier panic");
            let (tx, rx, elapsed) = stream_sample(name, tx, rx, next, iters);
            next += iters;
            ends = Some((tx, rx));
            elapsed
        })
    });
}

fn push_pop(c: &mut Criterion) {
    let mut group = c.benchmark_group("push_pop");
    group.throughput(Throughput::Elements(1));
    for variant in Variant::ALL {
        bench_stream(&mut group, variant.name(), ring_pair(variant, STREAM_CAPACITY));
    }
    let (p, c) = ring_pair(Variant::Ring, STREAM_CAPACITY);
    bench_stream(&mut group, "ring-batch", (BatchTx(p), BatchRx(c)));
    bench_stream(&mut group, "rtrb", rtrb::RingBuffer::<u64>::new(STREAM_CAPACITY));
    bench_stream(&mut group, "crossbeam", crossbeam_channel::bounded::<u64>(STREAM_CAPACITY));
    group.finish();
}

// ------------------------------------------------------------- pingpong ----

/// One side of a ping-pong: what it sends on and what it receives from.
struct Side<T, R> {
    tx: T,
    rx: R,
}

/// `n` round trips of `first..first + n`, each value checked by both sides;
/// the sides go back with the time of all round trips.
fn pingpong_sample<T: Tx, R: Rx>(
    name: &str,
    initiator: Side<T, R>,
    echo: Side<T, R>,
    first: u64,
    n: u64,
) -> (Side<T, R>, Side<T, R>, Duration) {
    let c = cores();
    let ready = &AtomicBool::new(false);
    thread::scope(|s| {
        let echo = s.spawn(move || {
            let mut echo = echo;
            pin(c.b);
            ready.store(true, Ordering::Release);
            for want in first..first + n {
                let got = echo.rx.take();
                if got != want {
                    mismatch(name, Mismatch { want, got });
                }
                echo.tx.put(got);
            }
            echo
        });
        let initiator = s.spawn(move || {
            let mut me = initiator;
            pin(c.a);
            await_ready(ready, &echo);
            let start = Instant::now();
            for want in first..first + n {
                me.tx.put(want);
                let got = me.rx.take();
                if got != want {
                    mismatch(name, Mismatch { want, got });
                }
            }
            let elapsed = start.elapsed();
            (me, join(echo), elapsed)
        });
        join(initiator)
    })
}

fn bench_pingpong<T: Tx, R: Rx>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    mut make: impl FnMut() -> (T, R),
) {
    let (ping_tx, ping_rx) = make();
    let (pong_tx, pong_rx) = make();
    let initiator = Side { tx: ping_tx, rx: pong_rx };
    let echo = Side { tx: pong_tx, rx: ping_rx };
    let (initiator, echo, _) = pingpong_sample(name, initiator, echo, 0, PINGPONG_CHECK);
    let mut next = PINGPONG_CHECK;

    let mut sides = Some((initiator, echo));
    group.bench_function(id(name), |b| {
        b.iter_custom(|iters| {
            let (initiator, echo) = sides.take().expect("the queues were lost to an earlier panic");
            let (initiator, echo, elapsed) = pingpong_sample(name, initiator, echo, next, iters);
            next += iters;
            sides = Some((initiator, echo));
            elapsed
        })
    });
}

/// One value on its own 128-byte line (two 64-byte lines: adjacent-line prefetch).
#[repr(align(128))]
struct Line(AtomicU64);

/// What a side leaves on the line when it panics, so the other stops waiting.
const POISON: u64 = u64::MAX;

/// Stores [`POISON`] when dropped during a panic.
struct PoisonOnPanic<'a>(&'a AtomicU64);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.store(POISON, Ordering::Release);
        }
    }
}

/// Wait until `line` holds `want`; the only other value it may hold
/// meanwhile is `before` (the waiter's own last store).
#[inline(always)]
fn await_value(line: &AtomicU64, before: u64, want: u64) {
    loop {
        // Acquire / Release (the stores): a real hand-off, as in `floor`.
        let v = line.load(Ordering::Acquire);
        if v == want {
            return;
        }
        if v != before {
            wrong_value(v, before, want);
        }
        relax();
    }
}

#[cold]
#[inline(never)]
fn wrong_value(v: u64, before: u64, want: u64) -> ! {
    if v == POISON {
        panic!("cache-line: the other thread panicked");
    }
    panic!("cache-line: the line holds {v}, expected {before} or {want}")
}

/// `n` round trips of one cache line: the initiator stores `2i + 1`, the
/// echo answers `2i + 2`.
fn cache_line_sample(n: u64) -> Duration {
    let c = cores();
    let line = &Line(AtomicU64::new(0));
    let ready = &AtomicBool::new(false);
    thread::scope(|s| {
        let echo = s.spawn(move || {
            let _guard = PoisonOnPanic(&line.0);
            pin(c.b);
            ready.store(true, Ordering::Release);
            for i in 0..n {
                await_value(&line.0, 2 * i, 2 * i + 1);
                line.0.store(2 * i + 2, Ordering::Release);
            }
        });
        let initiator = s.spawn(move || {
            let _guard = PoisonOnPanic(&line.0);
            pin(c.a);
            await_ready(ready, &echo);
            let start = Instant::now();
            for i in 0..n {
                line.0.store(2 * i + 1, Ordering::Release);
                await_value(&line.0, 2 * i + 1, 2 * i + 2);
            }
            let elapsed = start.elapsed();
            join(echo);
            elapsed
        });
        join(initiator)
    })
}

fn pingpong(c: &mut Criterion) {
    let mut group = c.benchmark_group("pingpong");
    cache_line_sample(PINGPONG_CHECK);
    group.bench_function(id("cache-line"), |b| b.iter_custom(cache_line_sample));
    for variant in Variant::ALL {
        bench_pingpong(&mut group, variant.name(), || ring_pair(variant, 1));
    }
    bench_pingpong(&mut group, "rtrb", || rtrb::RingBuffer::<u64>::new(1));
    bench_pingpong(&mut group, "crossbeam", || crossbeam_channel::bounded::<u64>(1));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = push_pop, pingpong
}
criterion_main!(benches);
