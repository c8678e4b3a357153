//! The ring between two real processes: the test process produces, a child
//! process (this same test binary, re-executed through `bench_core::child`
//! to run only `child_process_entry`) consumes, each pinned to its own core.
//!
//! Every message is in the format every measured message has, and the
//! child checks it with the checker every measured stream uses
//! (`workload::MessageChecker`), which counts lost, duplicated, reordered
//! and corrupted messages; the child reports the counts on stdout. Producer statistics prove the capacity semantics: never
//! blocked in `unbounded`, blocked at exactly n in `bounded(n)`. Peer-death
//! tests `kill -9` one side mid-stream and expect the other to return
//! `PeerDied`. No test leaves a name in `/dev/shm`.
//!
//! Tests here are serialised (a lock), so two pairs of spinning processes
//! never share the two cores of a small machine. On a one-core machine the
//! `spin` strategy is skipped with a message (a spinning waiter there burns
//! its whole time slice per hand-off, which says nothing about the ring),
//! and rendezvous streams are shorter, also with a message.

#![cfg(not(loom))]

use std::os::unix::process::ExitStatusExt;
use std::sync::Mutex;
use std::time::Duration;

use bench_core::child::{self, Child, Launch};
use bench_core::pin::{available_cores, pin_current};
use bench_core::ring::{Capacity, ProducerStats, RecvError, RingConfig, SendError, SharedRing, Variant, WaitStrategy};
use bench_core::shm::SHRUNK_SEGMENT_EXIT_STATUS;
use bench_core::workload::{Integrity, MessageChecker, MessageWriter};
use serde::{Deserialize, Serialize};

/// Messages per capacity mode x wait strategy, as the issue asks.
const STREAM_MESSAGES: u64 = 10_000_000;
/// Rendezvous messages per wait strategy on a one-core machine.
const SINGLE_CORE_RENDEZVOUS: u64 = 200_000;
/// Messages per ring variant in the smaller variant test.
const VARIANT_MESSAGES: u64 = 1_000_000;
/// A bound that is not a power of two: the slot array rounds up, the bound must not.
const BOUND: usize = 1000;
const MSG_LEN: usize = 16;

static SERIAL: Mutex<()> = Mutex::new(());

/// How long a child may take to attach and report ready.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long a consuming child may take to report (ten million rendezvous
/// hand-offs on a slow machine included).
const RESULT_WITHIN: Duration = Duration::from_secs(600);

/// What the consuming side saw.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Seen {
    /// Received, lost, duplicated, reordered and corrupted messages, by
    /// the checker every measured stream uses (`sent` is left at 0).
    counts: Integrity,
    segments_released: u64,
}

/// What a child does with the ring.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum ChildRole {
    /// Receive until the producer closes, `lag_ms` late; report integrity.
    Consumer { lag_ms: u64 },
    /// Receive forever (until killed), slowly enough to be killed mid-stream.
    StallingConsumer,
    /// Send `count` messages, then idle until killed.
    Producer { count: u64 },
    /// Wait for the test's go, then touch the ring: the test has truncated
    /// the segment meanwhile, so the touch must stop this process with one
    /// line and [`SHRUNK_SEGMENT_EXIT_STATUS`].
    ShrunkConsumer,
}

/// A child's job: its role on the ring named `ring`, pinned to `core`.
#[derive(Debug, Serialize, Deserialize)]
struct ChildJob {
    role: ChildRole,
    ring: String,
    core: Option<usize>,
}

/// Entry point of the child process; a no-op when run as an ordinary test.
#[test]
fn child_process_entry() {
    let Some(job) = child::job::<ChildJob>() else { return };
    if let Some(core) = job.core {
        pin_current(core).expect("child pin");
    }
    let ring = SharedRing::attach(&job.ring).expect("child attach");
    let code = match job.role {
        ChildRole::Consumer { lag_ms } => {
            let mut consumer = ring.into_consumer().expect("child consumer");
            std::thread::sleep(Duration::from_millis(lag_ms));
            let mut checker = MessageChecker::new(MSG_LEN);
            let end = loop {
                if let Err(e) = consumer.recv_with(|m| checker.check(m)) {
                    break e;
                }
            };
            let seen = Seen { counts: checker.counts(), segments_released: consumer.stats().segments_released };
            child::report(&seen).expect("report");
            if matches!(end, RecvError::Disconnected) { 0 } else { 3 }
        }
        ChildRole::StallingConsumer => {
            let mut consumer = ring.into_consumer().expect("child consumer");
            child::ready().expect("report ready");
            loop {
                if consumer.recv_with(|_| ()).is_err() {
                    break 4;
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        ChildRole::Producer { count } => {
            let mut producer = ring.into_producer().expect("child producer");
            child::ready().expect("report ready");
            let mut writer = MessageWriter::new(MSG_LEN);
            for seq in 0..count {
                if producer.send(writer.message(seq)).is_err() {
                    std::process::exit(5);
                }
            }
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        ChildRole::ShrunkConsumer => {
            let mut consumer = ring.into_consumer().expect("child consumer");
            child::ready().expect("report ready");
            child::wait_for_go::<()>().expect("the test's go");
            let outcome = consumer.recv_with(|m| m.len());
            eprintln!("the child touched the shrunk ring and went on: {outcome:?}");
            6
        }
    };
    std::process::exit(code);
}

/// Start a child playing `role` on `ring`, pinned to `core`.
fn spawn_child(role: ChildRole, ring: &str, core: Option<usize>) -> Child {
    let job = ChildJob { role, ring: ring.to_owned(), core };
    let launch = Launch::new(format!("{role:?} child"), &job).expect("a job").in_test("child_process_entry");
    launch.spawn().expect("spawn child process")
}

/// Cores for (producer, consumer): two different ones when the machine has them.
fn placement() -> (usize, usize) {
    let cores = available_cores();
    match cores.as_slice() {
        [] => (0, 0),
        [only] => (*only, *only),
        [.., a, b] => (*a, *b),
    }
}

fn single_core() -> bool {
    available_cores().len() < 2
}

/// Names this process's rings left in /dev/shm (there must be none).
fn leftovers(ring_name: &str) -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(ring_name))
                .collect()
        })
        .unwrap_or_default()
}

struct StreamRun {
    producer: ProducerStats,
    consumer: Seen,
}

/// Stream `count` messages from this process to a child consumer.
fn stream(config: &RingConfig, count: u64, consumer_lag_ms: u64) -> StreamRun {
    let (core_p, core_c) = placement();
    let ring = SharedRing::create(config).expect("create ring");
    let name = ring.name().to_owned();
    let mut producer = ring.into_producer().expect("producer");
    let child = spawn_child(ChildRole::Consumer { lag_ms: consumer_lag_ms }, &name, Some(core_c));
    pin_current(core_p).expect("pin producer");
    let mut writer = MessageWriter::new(MSG_LEN);
    for seq in 0..count {
        producer.send(writer.message(seq)).unwrap_or_else(|e| panic!("send {seq} of {config:?}: {e}"));
    }
    let stats = producer.stats();
    drop(producer);
    let report = child.finish(RESULT_WITHIN).unwrap_or_else(|e| panic!("consumer child for {config:?}: {e:?}"));
    assert!(leftovers(&name).is_empty(), "left in /dev/shm: {:?}", leftovers(&name));
    StreamRun { producer: stats, consumer: report }
}

fn assert_intact(run: &StreamRun, count: u64, what: &str) {
    let want = Seen {
        counts: Integrity { received: count, ..Integrity::default() },
        segments_released: run.consumer.segments_released,
    };
    assert_eq!(run.consumer, want, "{what}: {}", run.consumer.counts.problems());
    assert_eq!(run.producer.sent, count, "{what}");
}

fn stream_config(capacity: Capacity, wait: WaitStrategy) -> RingConfig {
    RingConfig::new(capacity).wait(wait).slot_size(MSG_LEN).timeout(Duration::from_secs(30))
}

fn skip_spin_on_one_core(wait: WaitStrategy) -> bool {
    if wait == WaitStrategy::Spin && single_core() {
        eprintln!("skipped: spin waits need two cores (this machine offers one)");
        return true;
    }
    false
}

#[test]
fn bounded_stream_blocks_at_exactly_n_and_arrives_intact() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for wait in WaitStrategy::ALL.iter().copied() {
        if skip_spin_on_one_core(wait) {
            continue;
        }
        // The consumer starts 50 ms late, so the producer must fill the ring.
        let run = stream(&stream_config(Capacity::Bounded(BOUND), wait), STREAM_MESSAGES, 50);
        let what = format!("bounded:{BOUND} {wait}");
        assert_intact(&run, STREAM_MESSAGES, &what);
        let p = run.producer;
        assert!(p.full_waits > 0, "{what}: the producer never found the ring full: {p:?}");
        assert_eq!(
            (p.in_flight_at_full_min, p.in_flight_at_full_max),
            (BOUND as u64, BOUND as u64),
            "{what}: the producer blocked at other than n in flight"
        );
    }
}

#[test]
fn unbounded_stream_never_blocks_and_gives_memory_back() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for wait in WaitStrategy::ALL.iter().copied() {
        if skip_spin_on_one_core(wait) {
            continue;
        }
        let config = stream_config(Capacity::Unbounded, wait).unbounded_initial_slots(1024);
        // The consumer lags 50 ms, so the chain has to grow.
        let run = stream(&config, STREAM_MESSAGES, 50);
        let what = format!("unbounded {wait}");
        assert_intact(&run, STREAM_MESSAGES, &what);
        let p = run.producer;
        assert_eq!(p.full_waits, 0, "{what}: an unbounded sender waited");
        assert!(p.segments_created > 0, "{what}: the lagging consumer did not make the ring grow");
        assert_eq!(
            run.consumer.segments_released, p.segments_created,
            "{what}: drained segments were not all given back"
        );
    }
}

#[test]
fn rendezvous_stream_waits_for_every_ack_and_arrives_intact() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for wait in WaitStrategy::ALL.iter().copied() {
        if skip_spin_on_one_core(wait) {
            continue;
        }
        // On one core every rendezvous hand-off is a context switch (microseconds).
        let count = if single_core() {
            eprintln!("one core: rendezvous {wait} streams {SINGLE_CORE_RENDEZVOUS} messages, not {STREAM_MESSAGES}");
            SINGLE_CORE_RENDEZVOUS
        } else {
            STREAM_MESSAGES
        };
        let run = stream(&stream_config(Capacity::Rendezvous, wait), count, 0);
        let what = format!("rendezvous {wait}");
        assert_intact(&run, count, &what);
        assert_eq!(run.producer.full_waits, 0, "{what}: a rendezvous ring filled up");
    }
}

#[test]
fn every_variant_streams_intact_across_processes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let wait = if single_core() { WaitStrategy::Yield } else { WaitStrategy::Spin };
    for variant in Variant::ALL.iter().copied() {
        for capacity in [Capacity::Bounded(BOUND), Capacity::Unbounded, Capacity::Rendezvous] {
            let count = match capacity {
                Capacity::Rendezvous if single_core() => SINGLE_CORE_RENDEZVOUS / 10,
                Capacity::Rendezvous => VARIANT_MESSAGES / 10,
                _ => VARIANT_MESSAGES,
            };
            let config = stream_config(capacity, wait).variant(variant);
            let run = stream(&config, count, 0);
            assert_intact(&run, count, &format!("{variant} {capacity} {wait}"));
        }
    }
}

#[test]
fn producer_sees_a_killed_consumer() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (core_p, core_c) = placement();
    for capacity in [Capacity::Bounded(64), Capacity::Rendezvous, Capacity::Unbounded] {
        for wait in WaitStrategy::ALL.iter().copied() {
            if skip_spin_on_one_core(wait) {
                continue;
            }
            let config = stream_config(capacity, wait).unbounded_initial_slots(64).timeout(Duration::from_secs(20));
            let ring = SharedRing::create(&config).unwrap();
            let name = ring.name().to_owned();
            let mut producer = ring.into_producer().unwrap();
            let mut child = spawn_child(ChildRole::StallingConsumer, &name, Some(core_c));
            child.wait_ready(READY_WITHIN).expect("the child attaches");
            pin_current(core_p).unwrap();
            let pid = child.pid();
            let mut seq = 0u64;
            let mut writer = MessageWriter::new(MSG_LEN);
            let err = loop {
                if seq == 1000 {
                    child.kill(); // SIGKILL, mid-stream; not reaped until the end
                }
                match producer.send(writer.message(seq)) {
                    Ok(()) => seq += 1,
                    Err(e) => break e,
                }
            };
            assert!(seq >= 1000, "{capacity} {wait}: failed before the kill: {err}");
            assert!(
                matches!(err, SendError::PeerDied { pid: p } if p == pid),
                "{capacity} {wait}: expected PeerDied {{ pid: {pid} }}, got {err:?}"
            );
            drop(producer);
            child.wait().unwrap();
            assert!(leftovers(&name).is_empty(), "{capacity} {wait}: left in /dev/shm: {:?}", leftovers(&name));
        }
    }
}

#[test]
fn consumer_sees_a_killed_producer_after_draining() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let (core_p, core_c) = placement();
    for wait in WaitStrategy::ALL.iter().copied() {
        if skip_spin_on_one_core(wait) {
            continue;
        }
        let config = stream_config(Capacity::Bounded(BOUND), wait);
        let ring = SharedRing::create(&config).unwrap();
        let name = ring.name().to_owned();
        let mut consumer = ring.into_consumer().unwrap();
        let sent = 500u64; // fits in the ring: the child sends it all, then idles
        let mut child = spawn_child(ChildRole::Producer { count: sent }, &name, Some(core_p));
        child.wait_ready(READY_WITHIN).expect("the child attaches");
        pin_current(core_c).unwrap();
        let mut checker = MessageChecker::new(MSG_LEN);
        while checker.counts().received < sent {
            consumer.recv_with(|m| checker.check(m)).unwrap();
        }
        child.kill();
        let pid = child.pid();
        let err = consumer.recv_with(|_| ()).unwrap_err();
        assert!(
            matches!(err, RecvError::PeerDied { pid: p } if p == pid),
            "{wait}: expected PeerDied {{ pid: {pid} }}, got {err:?}"
        );
        assert_eq!(checker.counts(), Integrity { received: sent, ..Integrity::default() }, "{wait}");
        drop(consumer);
        child.wait().unwrap();
        assert!(leftovers(&name).is_empty(), "{wait}: left in /dev/shm: {:?}", leftovers(&name));
    }
}

/// A segment truncated under a process that maps it: the process's next
/// touch stops it with one line on stderr and [`SHRUNK_SEGMENT_EXIT_STATUS`],
/// not with death by `SIGBUS`.
#[test]
fn a_segment_shrunk_under_a_process_stops_it_with_one_line() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let ring = SharedRing::create(&stream_config(Capacity::Bounded(64), WaitStrategy::Yield)).unwrap();
    let name = ring.name().to_owned();
    // Opened before the child attaches (which unlinks the name); it reaches the object after.
    let file = std::fs::OpenOptions::new().write(true).open(format!("/dev/shm/{name}")).expect("open the segment");
    let mut child = spawn_child(ChildRole::ShrunkConsumer, &name, None);
    child.wait_ready(READY_WITHIN).expect("the child attaches");
    drop(ring);
    file.set_len(0).expect("truncate the segment");
    child.go(&()).expect("tell the child to go on");
    let status = child.wait().expect("wait for the child");
    let stderr = child.stderr_tail().join("\n");
    assert_eq!(
        status.code(),
        Some(SHRUNK_SEGMENT_EXIT_STATUS),
        "child ended with {status} (signal {:?})\nstderr:\n{stderr}",
        status.signal()
    );
    let line =
        format!("ringside: shared segment /dev/shm/{name} shrank under this process (truncated by another): stopping");
    assert!(stderr.lines().any(|l| l == line), "stderr lacks {line:?}:\n{stderr}");
    assert!(leftovers(&name).is_empty(), "left in /dev/shm: {:?}", leftovers(&name));
}
