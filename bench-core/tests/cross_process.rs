//! The ring between two real processes: the test process produces, a child
//! process (this same test binary, re-executed with `--exact
//! child_process_entry`) consumes, each pinned to its own core.
//!
//! Every message carries a sequence number and a checksum of it; the child
//! counts lost, duplicated, reordered and corrupted messages and reports
//! them on stdout. Producer statistics prove the capacity semantics: never
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

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use bench_core::pin::{available_cores, pin_current};
use bench_core::ring::{Capacity, ProducerStats, RecvError, RingConfig, SendError, SharedRing, Variant, WaitStrategy};
use bench_core::shm::SHRUNK_SEGMENT_EXIT_STATUS;

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

const ROLE: &str = "RINGSIDE_TEST_CHILD_ROLE";
const RING: &str = "RINGSIDE_TEST_RING";
const CORE: &str = "RINGSIDE_TEST_CORE";
const LAG_MS: &str = "RINGSIDE_TEST_LAG_MS";
const COUNT: &str = "RINGSIDE_TEST_COUNT";

fn checksum(seq: u64) -> u64 {
    // splitmix64: every bit of the sequence number affects every bit here.
    let mut z = seq.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn message(seq: u64) -> [u8; MSG_LEN] {
    let mut m = [0u8; MSG_LEN];
    m[..8].copy_from_slice(&seq.to_le_bytes());
    m[8..].copy_from_slice(&checksum(seq).to_le_bytes());
    m
}

/// What the consuming side saw.
#[derive(Debug, Default, PartialEq, Eq)]
struct Integrity {
    received: u64,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    corrupted: u64,
    segments_released: u64,
}

impl Integrity {
    fn check(&mut self, expected: &mut u64, msg: &[u8]) {
        self.received += 1;
        if msg.len() != MSG_LEN {
            self.corrupted += 1;
            return;
        }
        let seq = u64::from_le_bytes(msg[..8].try_into().unwrap());
        let sum = u64::from_le_bytes(msg[8..].try_into().unwrap());
        if sum != checksum(seq) {
            self.corrupted += 1;
        } else if seq == *expected {
            *expected += 1;
        } else if seq > *expected {
            self.lost += seq - *expected;
            *expected = seq + 1;
        } else if seq + 1 == *expected {
            self.duplicated += 1;
        } else {
            self.reordered += 1;
        }
    }

    fn line(&self) -> String {
        format!(
            "RINGSIDE-CHILD received={} lost={} duplicated={} reordered={} corrupted={} segments_released={}",
            self.received, self.lost, self.duplicated, self.reordered, self.corrupted, self.segments_released
        )
    }

    fn parse(line: &str) -> Option<Self> {
        let rest = line.strip_prefix("RINGSIDE-CHILD ")?;
        let mut it = Self::default();
        for kv in rest.split_whitespace() {
            let (k, v) = kv.split_once('=')?;
            let v: u64 = v.parse().ok()?;
            match k {
                "received" => it.received = v,
                "lost" => it.lost = v,
                "duplicated" => it.duplicated = v,
                "reordered" => it.reordered = v,
                "corrupted" => it.corrupted = v,
                "segments_released" => it.segments_released = v,
                _ => return None,
            }
        }
        Some(it)
    }
}

/// Entry point of the child process; a no-op when run as an ordinary test.
#[test]
fn child_process_entry() {
    let Ok(role) = std::env::var(ROLE) else { return };
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| panic!("child needs {k}"));
    if let Ok(core) = std::env::var(CORE) {
        pin_current(core.parse().unwrap()).expect("child pin");
    }
    let ring = SharedRing::attach(&env(RING)).expect("child attach");
    let lag = Duration::from_millis(std::env::var(LAG_MS).ok().and_then(|v| v.parse().ok()).unwrap_or(0));
    let code = match role.as_str() {
        // Receive until the producer closes; report integrity.
        "consumer" => {
            let mut consumer = ring.into_consumer().expect("child consumer");
            std::thread::sleep(lag);
            let (mut seen, mut expected) = (Integrity::default(), 0u64);
            let end = loop {
                match consumer.recv_with(|m| seen.check(&mut expected, m)) {
                    Ok(()) => {}
                    Err(e) => break e,
                }
            };
            seen.segments_released = consumer.stats().segments_released;
            println!("{}", seen.line());
            if matches!(end, RecvError::Disconnected) { 0 } else { 3 }
        }
        // Receive forever (until killed), slowly enough to be killed mid-stream.
        "stalling-consumer" => {
            let mut consumer = ring.into_consumer().expect("child consumer");
            println!("RINGSIDE-CHILD-READY");
            loop {
                if consumer.recv_with(|_| ()).is_err() {
                    break 4;
                }
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        // Produce forever (until killed).
        "producer" => {
            let mut producer = ring.into_producer().expect("child producer");
            println!("RINGSIDE-CHILD-READY");
            let count: u64 = env(COUNT).parse().unwrap();
            for seq in 0..count {
                if producer.send(&message(seq)).is_err() {
                    std::process::exit(5);
                }
            }
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        // Wait for the parent's word, then touch the ring: the parent has
        // truncated the segment meanwhile, so the touch must stop this
        // process with one line and SHRUNK_SEGMENT_EXIT_STATUS.
        "shrunk-consumer" => {
            let mut consumer = ring.into_consumer().expect("child consumer");
            println!("RINGSIDE-CHILD-READY");
            let mut go = String::new();
            std::io::stdin().read_line(&mut go).expect("the parent's go");
            let outcome = consumer.recv_with(|m| m.len());
            println!("RINGSIDE-CHILD-TOUCHED {outcome:?}");
            6
        }
        other => panic!("unknown child role {other}"),
    };
    std::process::exit(code);
}

fn spawn_child(role: &str, ring: &str, core: Option<usize>, extra: &[(&str, String)]) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1", "-q"])
        .env(ROLE, role)
        .env(RING, ring)
        .stdout(Stdio::piped());
    if let Some(c) = core {
        cmd.env(CORE, c.to_string());
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child process")
}

/// Read the child's stdout until a line with `prefix`.
fn wait_line(child: &mut Child, prefix: &str) -> String {
    let out = child.stdout.as_mut().unwrap();
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        if line.starts_with(prefix) {
            return line;
        }
    }
    panic!("child exited without printing {prefix}");
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
    consumer: Integrity,
}

/// Stream `count` messages from this process to a child consumer.
fn stream(config: &RingConfig, count: u64, consumer_lag_ms: u64) -> StreamRun {
    let (core_p, core_c) = placement();
    let ring = SharedRing::create(config).expect("create ring");
    let name = ring.name().to_owned();
    let mut producer = ring.into_producer().expect("producer");
    let mut child = spawn_child("consumer", &name, Some(core_c), &[(LAG_MS, consumer_lag_ms.to_string())]);
    pin_current(core_p).expect("pin producer");
    for seq in 0..count {
        producer.send(&message(seq)).unwrap_or_else(|e| panic!("send {seq} of {config:?}: {e}"));
    }
    let stats = producer.stats();
    drop(producer);
    let report = wait_line(&mut child, "RINGSIDE-CHILD ");
    let status = child.wait().unwrap();
    assert!(status.success(), "consumer child failed ({status}) for {config:?}");
    assert!(leftovers(&name).is_empty(), "left in /dev/shm: {:?}", leftovers(&name));
    StreamRun { producer: stats, consumer: Integrity::parse(&report).expect("child report") }
}

fn assert_intact(run: &StreamRun, count: u64, what: &str) {
    let want = Integrity { received: count, segments_released: run.consumer.segments_released, ..Integrity::default() };
    assert_eq!(run.consumer, want, "{what}: messages lost, duplicated, reordered or corrupted");
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
            let mut child = spawn_child("stalling-consumer", &name, Some(core_c), &[]);
            wait_line(&mut child, "RINGSIDE-CHILD-READY");
            pin_current(core_p).unwrap();
            let pid = child.id();
            let mut seq = 0u64;
            let err = loop {
                if seq == 1000 {
                    child.kill().unwrap(); // SIGKILL, mid-stream; not reaped until the end
                }
                match producer.send(&message(seq)) {
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
        let mut child = spawn_child("producer", &name, Some(core_p), &[(COUNT, sent.to_string())]);
        wait_line(&mut child, "RINGSIDE-CHILD-READY");
        pin_current(core_c).unwrap();
        let (mut seen, mut expected) = (Integrity::default(), 0u64);
        while seen.received < sent {
            consumer.recv_with(|m| seen.check(&mut expected, m)).unwrap();
        }
        child.kill().unwrap();
        let pid = child.id();
        let err = consumer.recv_with(|_| ()).unwrap_err();
        assert!(
            matches!(err, RecvError::PeerDied { pid: p } if p == pid),
            "{wait}: expected PeerDied {{ pid: {pid} }}, got {err:?}"
        );
        assert_eq!(seen, Integrity { received: sent, ..Integrity::default() }, "{wait}");
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
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_process_entry", "--nocapture", "--test-threads=1", "-q"])
        .env(ROLE, "shrunk-consumer")
        .env(RING, &name)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child process");
    wait_line(&mut child, "RINGSIDE-CHILD-READY");
    drop(ring);
    file.set_len(0).expect("truncate the segment");
    child.stdin.take().unwrap().write_all(b"go\n").expect("tell the child to go on");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(SHRUNK_SEGMENT_EXIT_STATUS),
        "child ended with {} (signal {:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status,
        out.status.signal()
    );
    let line =
        format!("ringside: shared segment /dev/shm/{name} shrank under this process (truncated by another): stopping");
    assert!(stderr.lines().any(|l| l == line), "stderr lacks {line:?}:\n{stderr}");
    assert!(leftovers(&name).is_empty(), "left in /dev/shm: {:?}", leftovers(&name));
}
