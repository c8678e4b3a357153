//! In-process tests of the ring's public API: delivery semantics of every
//! variant x capacity x wait strategy, the producer's view of fullness, every
//! send / receive / attach error, the batch API, header validation, and that
//! nothing a test created is left under `/dev/shm` afterwards.
//!
//! Both ends live in one process here (threads); other test files cover two
//! processes. Nothing in this file asserts a duration: sleeps are only used to
//! *cause* a state (a consumer that starts late), never to measure one.
//!
//! Every test takes [`serial`], so the tests of this file run one at a time:
//! the spinning wait strategies need a core per side, and a test may then
//! compare the `/dev/shm` entries of this process before and after.

#![cfg(not(loom))]
#![forbid(unsafe_code)]

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use bench_core::child::{self, Launch};
use bench_core::ring::{
    self, Capacity, Consumer, Producer, ProducerStats, RecvError, RingConfig, RingError, SendError, SharedRing,
    Variant, WaitStrategy,
};
use bench_core::shm::{NAME_PREFIX, SHM_DIR, ShmError, path_of};

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

static SERIAL: Mutex<()> = Mutex::new(());

/// Wait strategies to run: all three, but not `spin` on a one-core machine,
/// where a spinning waiter burns its whole time slice per hand-off.
fn wait_strategies() -> Vec<WaitStrategy> {
    if bench_core::pin::available_cores().len() < 2 {
        eprintln!("skipped: spin waits need two cores (this machine offers one)");
        return vec![WaitStrategy::Yield, WaitStrategy::Block];
    }
    WaitStrategy::ALL.to_vec()
}

/// The wait strategy of tests about something else: `spin`, or `yield` on one core.
fn threaded_wait() -> WaitStrategy {
    if bench_core::pin::available_cores().len() < 2 { WaitStrategy::Yield } else { WaitStrategy::Spin }
}

/// Run the tests of this file one at a time (a failed test must not wedge the rest).
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The four capacities every variant and wait strategy is run with.
const CAPACITIES: [Capacity; 4] =
    [Capacity::Rendezvous, Capacity::Bounded(1), Capacity::Bounded(5), Capacity::Unbounded];

/// A config with an unbounded first segment small enough that chains grow.
fn config(capacity: Capacity, variant: Variant, wait: WaitStrategy, slot_size: usize) -> RingConfig {
    RingConfig::new(capacity).variant(variant).wait(wait).slot_size(slot_size).unbounded_initial_slots(4)
}

/// Both ends, through create + attach, and the ring's name for the cleanup check.
fn make_pair(cfg: &RingConfig) -> (Producer, Consumer, String) {
    let ring = SharedRing::create(cfg).unwrap_or_else(|e| panic!("create {cfg:?}: {e}"));
    let name = ring.name().to_owned();
    let other = SharedRing::attach(&name).unwrap_or_else(|e| panic!("attach {name}: {e}")).with_timeout(cfg.timeout);
    let producer = ring.into_producer().expect("producer role of a fresh ring");
    let consumer = other.into_consumer().expect("consumer role of a fresh ring");
    (producer, consumer, name)
}

/// Entries of `/dev/shm` that belong to ring `name`: the name itself and its
/// unbounded chain segments `<name>.<k>`.
fn leftovers(name: &str) -> Vec<String> {
    let chain = format!("{name}.");
    std::fs::read_dir(SHM_DIR)
        .expect("read /dev/shm")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f == name || f.starts_with(&chain))
        .collect()
}

/// Nothing of these rings may remain under `/dev/shm`.
fn assert_clean(names: &[String]) {
    for name in names {
        let left = leftovers(name);
        assert!(left.is_empty(), "left behind under {SHM_DIR}: {left:?}");
    }
}

/// All `/dev/shm` entries of this process (`ringside-<pid>-...`), sorted.
fn own_entries() -> Vec<String> {
    let prefix = format!("{NAME_PREFIX}{}-", std::process::id());
    let mut v: Vec<String> = std::fs::read_dir(SHM_DIR)
        .expect("read /dev/shm")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&prefix))
        .collect();
    v.sort();
    v
}

/// Removes a file this test created itself, also when the test fails.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

// The messages of these tests are not in the measured format
// (`workload::message`, checked by `MessageChecker` everywhere else): they
// test the ring's own API, which carries messages of 0 to 7 bytes too, too
// short for a sequence number; each is asserted where it arrives rather
// than counted.

/// Filler byte `k` (k >= 8) of message `seq`.
fn filler(seq: u64, k: usize) -> u8 {
    (seq.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(k as u32) as u8) ^ (k as u8)
}

/// Message `seq`: its length cycles through `0..=slot_size`; its bytes are the
/// little-endian sequence number followed by filler derived from it, cut to
/// that length (so messages shorter than 8 bytes carry a prefix of the number).
fn fill(seq: u64, out: &mut [u8]) -> usize {
    let len = (seq % (out.len() as u64 + 1)) as usize;
    let head = seq.to_le_bytes();
    for (k, b) in out[..len].iter_mut().enumerate() {
        *b = if k < 8 { head[k] } else { filler(seq, k) };
    }
    len
}

/// Check that `got` is exactly message `seq` of a ring with `slot_size`-byte slots.
fn check(seq: u64, got: &[u8], slot_size: usize, label: &str) {
    let len = (seq % (slot_size as u64 + 1)) as usize;
    assert_eq!(got.len(), len, "{label}: message {seq} has the wrong length (lost, repeated or reordered)");
    let head = seq.to_le_bytes();
    for (k, &b) in got.iter().enumerate() {
        let want = if k < 8 { head[k] } else { filler(seq, k) };
        assert_eq!(b, want, "{label}: message {seq}, byte {k} corrupted");
    }
}

fn bytes_u32(v: u32) -> [u8; 4] {
    v.to_le_bytes()
}

fn bytes_u64(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

// ---------------------------------------------------------------------------
// 1. Delivery: every variant x capacity x wait strategy
// ---------------------------------------------------------------------------

const SLOT: usize = 48;
const STREAM: u64 = 50_000;

/// A producer thread sends [`STREAM`] messages; this thread receives them with
/// `recv`, `recv_with` and `peek` in turn, checks each, then sees the end.
fn stream(capacity: Capacity) {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for wait in wait_strategies() {
            let label = format!("{variant}/{capacity}/{wait}");
            let cfg = config(capacity, variant, wait, SLOT);
            let (mut p, mut c, name) = make_pair(&cfg);
            names.push(name);

            let plabel = label.clone();
            let producer = thread::spawn(move || {
                let mut buf = [0u8; SLOT];
                for seq in 0..STREAM {
                    let n = fill(seq, &mut buf);
                    if let Err(e) = p.send(&buf[..n]) {
                        panic!("{plabel}: send {seq}: {e}");
                    }
                }
                p.stats()
            });

            let mut buf = [0u8; SLOT];
            let mut seq = 0;
            while seq < STREAM {
                match seq % 3 {
                    0 => {
                        let n = c.recv(&mut buf).unwrap_or_else(|e| panic!("{label}: recv {seq}: {e}"));
                        check(seq, &buf[..n], SLOT, &label);
                        seq += 1;
                    }
                    1 => {
                        c.recv_with(|m| check(seq, m, SLOT, &label))
                            .unwrap_or_else(|e| panic!("{label}: recv_with {seq}: {e}"));
                        seq += 1;
                    }
                    _ => {
                        let want = (STREAM - seq).min(8) as usize;
                        let batch = c.peek(want).unwrap_or_else(|e| panic!("{label}: peek at {seq}: {e}"));
                        assert!((1..=want).contains(&batch.len()), "{label}: peek({want}) gave {}", batch.len());
                        for i in 0..batch.len() {
                            check(seq + i as u64, batch.message(i), SLOT, &label);
                        }
                        seq += batch.len() as u64;
                    }
                }
            }
            let ps: ProducerStats = producer.join().expect("producer thread");
            match c.recv(&mut buf) {
                Err(RecvError::Disconnected) => {}
                other => {
                    panic!("{label}: after the last message expected Disconnected, got {other:?}")
                }
            }
            // Still disconnected (the end is sticky).
            assert!(matches!(c.recv_with(|_| ()), Err(RecvError::Disconnected)), "{label}");
            let cs = c.stats();
            assert_eq!(ps.sent, STREAM, "{label}: {ps:?}");
            assert_eq!(cs.received, STREAM, "{label}: {cs:?}");
            match capacity {
                Capacity::Rendezvous => {
                    // Each send waited for its acknowledgement, so the lane was never full.
                    assert_eq!(ps.full_waits, 0, "{label}: {ps:?}");
                }
                Capacity::Bounded(n) => {
                    if ps.full_waits > 0 {
                        assert_eq!(ps.in_flight_at_full_min, n as u64, "{label}: {ps:?}");
                        assert_eq!(ps.in_flight_at_full_max, n as u64, "{label}: {ps:?}");
                    }
                    assert_eq!(ps.segments_created, 0, "{label}: {ps:?}");
                }
                Capacity::Unbounded => {
                    assert_eq!(ps.full_waits, 0, "{label}: an unbounded sender never waits: {ps:?}");
                    assert_eq!(cs.segments_released, ps.segments_created, "{label}: {ps:?} {cs:?}");
                }
            }
            drop(c);
        }
    }
    assert_clean(&names);
}

#[test]
fn stream_rendezvous_every_variant_and_wait() {
    stream(Capacity::Rendezvous);
}

#[test]
fn stream_bounded_1_every_variant_and_wait() {
    stream(Capacity::Bounded(1));
}

#[test]
fn stream_bounded_5_every_variant_and_wait() {
    stream(Capacity::Bounded(5));
}

#[test]
fn stream_unbounded_every_variant_and_wait() {
    stream(Capacity::Unbounded);
}

#[test]
fn pair_leaves_no_name_and_carries_messages() {
    let _g = serial();
    let before = own_entries();
    let cfg = RingConfig::new(Capacity::Bounded(4)).slot_size(16);
    let (mut p, mut c) = ring::pair(&cfg).expect("pair");
    // Both ends are mapped, so no name exists that a crash could leave behind.
    assert_eq!(own_entries(), before);
    p.send(b"one").unwrap();
    p.send(b"two").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(c.recv(&mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"one");
    assert_eq!(c.recv_with(|m| m.to_vec()).unwrap(), b"two");
    assert_eq!(p.slot_size(), 16);
    assert_eq!(c.slot_size(), 16);
    assert_eq!(p.capacity(), Capacity::Bounded(4));
    drop(p);
    assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)));
    drop(c);
    assert_eq!(own_entries(), before);
}

/// A producer abandoned (or dropped while its thread panics) ends the
/// stream as `Abandoned` once drained, never as a clean `Disconnected`.
#[test]
fn abandoned_or_panicking_producer_is_not_a_clean_end() {
    let _g = serial();
    let cfg = RingConfig::new(Capacity::Bounded(4)).slot_size(16);
    let mut buf = [0u8; 16];
    let (mut p, mut c) = ring::pair(&cfg).expect("pair");
    p.send(b"kept").unwrap();
    p.abandon();
    assert_eq!(c.recv(&mut buf).unwrap(), 4, "a message sent before abandoning still arrives");
    assert!(matches!(c.recv(&mut buf), Err(RecvError::Abandoned)));

    let (mut p, mut c) = ring::pair(&cfg).expect("pair");
    let panicked = thread::spawn(move || {
        p.send(b"kept").unwrap();
        panic!("a producer that fails mid-stream (expected by this test)");
    })
    .join();
    assert!(panicked.is_err());
    assert_eq!(c.recv(&mut buf).unwrap(), 4);
    assert!(matches!(c.recv(&mut buf), Err(RecvError::Abandoned)));
}

#[test]
fn attached_config_matches_created_config() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for capacity in CAPACITIES {
            for wait in wait_strategies() {
                let cfg = config(capacity, variant, wait, 24).timeout(Duration::from_millis(1234));
                let ring = SharedRing::create(&cfg).expect("create");
                let name = ring.name().to_owned();
                assert!(name.starts_with(&format!("{NAME_PREFIX}{}-", std::process::id())), "{name}");
                assert!(path_of(&name).exists(), "the creator's name exists until someone attaches");
                let other = SharedRing::attach(&name).expect("attach");
                assert!(!path_of(&name).exists(), "attach unlinks the name");
                for got in [ring.config(), other.config()] {
                    assert_eq!(got.capacity, cfg.capacity);
                    assert_eq!(got.variant, cfg.variant);
                    assert_eq!(got.wait, cfg.wait);
                    assert_eq!(got.slot_size, cfg.slot_size);
                }
                // The timeout is each side's own: the segment does not carry it.
                assert_eq!(ring.config().timeout, cfg.timeout);
                assert_eq!(other.config().timeout, RingConfig::default().timeout);
                let bound = match capacity {
                    Capacity::Rendezvous => 1,
                    Capacity::Bounded(n) => n,
                    Capacity::Unbounded => 4,
                };
                assert_eq!(other.realised_bound(), bound, "{variant}/{capacity}");
                let slots = match variant {
                    Variant::Ring => bound.next_power_of_two(),
                    _ => bound + 1,
                };
                assert_eq!(other.slot_count(), slots, "{variant}/{capacity}");
                assert_eq!(other.name(), name);
                names.push(name);
            }
        }
    }
    assert_clean(&names);
}

// ---------------------------------------------------------------------------
// 2. What the producer observed: fullness and growth
// ---------------------------------------------------------------------------

const LATE: u64 = 500;

#[test]
fn bounded_sender_waits_only_at_exactly_n_in_flight() {
    let _g = serial();
    let mut names = Vec::new();
    for n in [1usize, 2, 5] {
        for variant in Variant::ALL {
            for wait in wait_strategies() {
                let label = format!("{variant}/bounded:{n}/{wait}");
                let cfg = config(Capacity::Bounded(n), variant, wait, 16);
                let (mut p, mut c, name) = make_pair(&cfg);
                names.push(name);
                let sent = Arc::new(AtomicU64::new(0));
                let producer = {
                    let sent = Arc::clone(&sent);
                    thread::spawn(move || {
                        for seq in 0..LATE {
                            p.send(&seq.to_le_bytes()).expect("send");
                            sent.store(seq + 1, Ordering::Release);
                        }
                        p.stats()
                    })
                };
                // Start late: only once the ring is full, and then a little
                // later still, so the producer's next send finds it full.
                while sent.load(Ordering::Acquire) < n as u64 {
                    thread::sleep(Duration::from_millis(1));
                }
                thread::sleep(Duration::from_millis(5));
                let mut buf = [0u8; 16];
                for seq in 0..LATE {
                    let len = c.recv(&mut buf).unwrap_or_else(|e| panic!("{label}: recv {seq}: {e}"));
                    assert_eq!(&buf[..len], &seq.to_le_bytes(), "{label}");
                    if seq % 100 == 99 {
                        thread::sleep(Duration::from_millis(1)); // let it fill up again
                    }
                }
                let ps = producer.join().expect("producer thread");
                assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)), "{label}");
                assert_eq!(ps.sent, LATE, "{label}");
                assert!(ps.full_waits > 0, "{label}: the consumer started late, yet the producer never waited: {ps:?}");
                assert_eq!(ps.in_flight_at_full_min, n as u64, "{label}: {ps:?}");
                assert_eq!(ps.in_flight_at_full_max, n as u64, "{label}: {ps:?}");
                assert_eq!(ps.ack_waits, 0, "{label}: {ps:?}");
                assert_eq!(ps.segments_created, 0, "{label}: {ps:?}");
            }
        }
    }
    assert_clean(&names);
}

#[test]
fn unbounded_sender_never_waits_and_chain_is_given_back() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for wait in wait_strategies() {
            let label = format!("{variant}/unbounded/{wait}");
            let cfg = config(Capacity::Unbounded, variant, wait, 16);
            let (mut p, mut c, name) = make_pair(&cfg);
            let sent = Arc::new(AtomicU64::new(0));
            let producer = {
                let sent = Arc::clone(&sent);
                thread::spawn(move || {
                    for seq in 0..LATE {
                        p.send(&seq.to_le_bytes()).expect("send");
                        sent.store(seq + 1, Ordering::Release);
                    }
                    p.stats()
                })
            };
            // Start late: 64 messages sent into a first segment of 4 slots
            // without a single read means the chain must have grown.
            while sent.load(Ordering::Acquire) < 64 {
                thread::sleep(Duration::from_millis(1));
            }
            let mut buf = [0u8; 16];
            for seq in 0..LATE {
                let len = c.recv(&mut buf).unwrap_or_else(|e| panic!("{label}: recv {seq}: {e}"));
                assert_eq!(&buf[..len], &seq.to_le_bytes(), "{label}");
            }
            let ps = producer.join().expect("producer thread");
            assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)), "{label}");
            let cs = c.stats();
            assert_eq!(ps.full_waits, 0, "{label}: {ps:?}");
            assert_eq!(ps.in_flight_at_full_max, 0, "{label}: {ps:?}");
            assert!(ps.segments_created > 0, "{label}: {ps:?}");
            assert_eq!(cs.segments_released, ps.segments_created, "{label}: {ps:?} {cs:?}");
            // Drained: every segment was unlinked as the consumer opened it.
            let left = leftovers(&name);
            assert!(left.is_empty(), "{label}: drained, consumer still open, yet left: {left:?}");
            drop(c);
            names.push(name);
        }
    }
    assert_clean(&names);
}

#[test]
fn unbounded_single_thread_grows_and_drains() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        let cfg = config(Capacity::Unbounded, variant, threaded_wait(), 8);
        let (mut p, mut c, name) = make_pair(&cfg);
        for seq in 0..1_000u64 {
            p.send(&seq.to_le_bytes()).expect("an unbounded send never waits");
        }
        let ps = p.stats();
        assert_eq!(ps.full_waits, 0);
        assert!(ps.segments_created > 0, "{variant}: {ps:?}");
        // The chain segments the consumer has not reached exist until it does.
        assert!(!leftovers(&name).is_empty(), "{variant}: no chain segment on disk");
        drop(p);
        let mut buf = [0u8; 8];
        for seq in 0..1_000u64 {
            assert_eq!(c.recv(&mut buf).expect("recv"), 8);
            assert_eq!(u64::from_le_bytes(buf), seq);
        }
        assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)));
        assert_eq!(c.stats().segments_released, ps.segments_created, "{variant}");
        assert!(leftovers(&name).is_empty(), "{variant}: {:?}", leftovers(&name));
        drop(c);
        names.push(name);
    }
    assert_clean(&names);
}

#[test]
fn unbounded_chain_is_removed_when_nobody_drains_it() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        // Consumer closes first, having read nothing; the producer then closes.
        let cfg = config(Capacity::Unbounded, variant, threaded_wait(), 8);
        let (mut p, c, name) = make_pair(&cfg);
        for seq in 0..200u64 {
            p.send(&seq.to_le_bytes()).unwrap();
        }
        assert!(p.stats().segments_created > 0);
        drop(c);
        assert!(leftovers(&name).is_empty(), "{variant}: consumer dropped, left {:?}", leftovers(&name));
        drop(p);
        names.push(name);

        // Producer closes first; the consumer then closes without draining.
        let (mut p, c, name) = make_pair(&cfg);
        for seq in 0..200u64 {
            p.send(&seq.to_le_bytes()).unwrap();
        }
        drop(p);
        drop(c);
        names.push(name);
    }
    assert_clean(&names);
}

// ---------------------------------------------------------------------------
// 3. Errors
// ---------------------------------------------------------------------------

#[test]
fn send_too_large_names_both_sizes() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for capacity in CAPACITIES {
            let cfg = config(capacity, variant, threaded_wait(), 32);
            let (mut p, mut c, name) = make_pair(&cfg);
            names.push(name);
            let err = p.send(&[7u8; 33]).expect_err("33 bytes into 32-byte slots");
            match err {
                SendError::TooLarge { len: 33, max: 32 } => {}
                ref other => panic!("expected TooLarge {{ 33, 32 }}, got {other:?}"),
            }
            let text = err.to_string();
            assert!(text.contains("33") && text.contains("32"), "{text}");
            // Nothing was published and the ring still works, up to exactly the slot size.
            assert_eq!(p.stats().sent, 0);
            if capacity != Capacity::Rendezvous {
                p.send(&[9u8; 32]).expect("a full-slot message");
                let mut buf = [0u8; 32];
                assert_eq!(c.recv(&mut buf).unwrap(), 32);
                assert_eq!(buf, [9u8; 32]);
            }
        }
    }
    assert_clean(&names);
}

#[test]
fn config_out_of_range_is_a_config_error() {
    let _g = serial();
    let before = own_entries();
    for cfg in [
        RingConfig::default().slot_size(0),
        RingConfig::new(Capacity::Bounded(0)),
        RingConfig::default().timeout(Duration::ZERO),
        RingConfig::new(Capacity::Unbounded).unbounded_initial_slots(0),
    ] {
        match SharedRing::create(&cfg) {
            Err(RingError::Config(e)) => assert!(!e.0.is_empty()),
            Err(other) => panic!("{cfg:?}: expected a Config error, got {other:?}"),
            Ok(r) => panic!("{cfg:?}: created {}", r.name()),
        }
        assert!(matches!(ring::pair(&cfg), Err(RingError::Config(_))), "{cfg:?}");
    }
    assert_eq!(own_entries(), before, "a rejected config must not create a segment");
}

#[test]
fn recv_into_small_buffer_keeps_the_message_queued() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for capacity in [Capacity::Bounded(1), Capacity::Bounded(5), Capacity::Unbounded] {
            let cfg = config(capacity, variant, threaded_wait(), 32);
            let (mut p, mut c, name) = make_pair(&cfg);
            names.push(name);
            p.send(b"twenty bytes of text").unwrap();
            let mut small = [0u8; 4];
            match c.recv(&mut small) {
                Err(RecvError::BufferTooSmall { len: 20, capacity: 4 }) => {}
                other => panic!("{variant}/{capacity}: expected BufferTooSmall {{ 20, 4 }}, got {other:?}"),
            }
            // Still too small: same answer, nothing consumed.
            assert!(matches!(c.recv(&mut small), Err(RecvError::BufferTooSmall { len: 20, capacity: 4 })));
            assert_eq!(c.stats().received, 0);
            let mut big = [0u8; 64];
            assert_eq!(c.recv(&mut big).unwrap(), 20);
            assert_eq!(&big[..20], b"twenty bytes of text");
            drop(p);
            assert!(matches!(c.recv(&mut big), Err(RecvError::Disconnected)));
        }
    }
    assert_clean(&names);
}

#[test]
fn reserve_beyond_bound_is_batch_too_large() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for (capacity, bound) in [(Capacity::Rendezvous, 1), (Capacity::Bounded(1), 1), (Capacity::Bounded(5), 5)] {
            let cfg = config(capacity, variant, threaded_wait(), 16);
            let (mut p, _c, name) = make_pair(&cfg);
            names.push(name);
            match p.reserve(bound + 1) {
                Err(SendError::BatchTooLarge { requested, bound: b }) => {
                    assert_eq!((requested, b), (bound + 1, bound), "{variant}/{capacity}");
                }
                Err(other) => panic!("{variant}/{capacity}: expected BatchTooLarge, got {other:?}"),
                Ok(b) => panic!("{variant}/{capacity}: reserved {} slots", b.len()),
            }
            // Exactly the bound is fine (dropped unused: publishes nothing).
            if capacity != Capacity::Rendezvous {
                assert_eq!(p.reserve(bound).expect("reserve(bound)").len(), bound);
            }
            assert_eq!(p.stats().sent, 0);
        }
        // An unbounded ring grows to fit a batch larger than its first segment.
        let cfg = config(Capacity::Unbounded, variant, threaded_wait(), 16);
        let (mut p, mut c, name) = make_pair(&cfg);
        names.push(name);
        let mut batch = p.reserve(10).expect("unbounded reserve(10)");
        for i in 0..10u8 {
            batch.write(usize::from(i), &[i; 3]).unwrap();
        }
        batch.commit().unwrap();
        assert!(p.stats().segments_created > 0);
        let mut buf = [0u8; 16];
        for i in 0..10u8 {
            assert_eq!(c.recv(&mut buf).unwrap(), 3);
            assert_eq!(&buf[..3], &[i; 3]);
        }
    }
    assert_clean(&names);
}

#[test]
fn dropping_the_consumer_ends_a_blocked_send() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for capacity in [Capacity::Rendezvous, Capacity::Bounded(2)] {
            for wait in wait_strategies() {
                let label = format!("{variant}/{capacity}/{wait}");
                let cfg = config(capacity, variant, wait, 16);
                let (mut p, c, name) = make_pair(&cfg);
                names.push(name);
                if let Capacity::Bounded(n) = capacity {
                    for i in 0..n as u64 {
                        p.send(&i.to_le_bytes()).unwrap();
                    }
                }
                let closer = thread::spawn(move || {
                    thread::sleep(Duration::from_millis(10)); // so the send below is likely waiting
                    drop(c);
                });
                // Bounded: the ring is full; rendezvous: the ack never comes.
                match p.send(b"blocked") {
                    Err(SendError::Disconnected) => {}
                    other => panic!("{label}: expected Disconnected, got {other:?}"),
                }
                closer.join().unwrap();
                // And it stays that way for a sender that has to wait.
                if capacity != Capacity::Rendezvous {
                    assert!(matches!(p.send(b"again"), Err(SendError::Disconnected)), "{label}");
                }
            }
        }
        // Unbounded: the sender never waits, but it stops when it would grow.
        let cfg = config(Capacity::Unbounded, variant, threaded_wait(), 16);
        let (mut p, c, name) = make_pair(&cfg);
        names.push(name.clone());
        drop(c);
        let mut outcome = Ok(());
        for i in 0..100u64 {
            outcome = p.send(&i.to_le_bytes());
            if outcome.is_err() {
                break;
            }
        }
        assert!(matches!(outcome, Err(SendError::Disconnected)), "{variant}/unbounded: {outcome:?}");
        assert!(leftovers(&name).is_empty(), "{:?}", leftovers(&name));
    }
    assert_clean(&names);
}

#[test]
fn second_claim_of_a_role_is_role_taken() {
    let _g = serial();
    let mut names = Vec::new();
    let me = std::process::id();
    for variant in Variant::ALL {
        let cfg = config(Capacity::Bounded(4), variant, threaded_wait(), 16);

        let ring = SharedRing::create(&cfg).unwrap();
        let name = ring.name().to_owned();
        names.push(name.clone());
        let other = SharedRing::attach(&name).unwrap();
        let _producer = ring.into_producer().expect("first producer claim");
        match other.into_producer() {
            Err(RingError::RoleTaken { role, name: n, pid }) => {
                assert_eq!((role, n.as_str(), pid), ("producer", name.as_str(), me));
            }
            Err(e) => panic!("expected RoleTaken, got {e}"),
            Ok(_) => panic!("{variant}: two producers on one ring"),
        }
        // The name is gone once attached: no third handle can be made.
        match SharedRing::attach(&name) {
            Err(RingError::Shm(ShmError::NotFound { path })) => assert_eq!(path, path_of(&name)),
            Err(e) => panic!("expected NotFound, got {e}"),
            Ok(_) => panic!("attached twice to {name}"),
        }

        let ring = SharedRing::create(&cfg).unwrap();
        let name = ring.name().to_owned();
        names.push(name.clone());
        let other = SharedRing::attach(&name).unwrap();
        let _consumer = other.into_consumer().expect("first consumer claim");
        match ring.into_consumer() {
            Err(e @ RingError::RoleTaken { .. }) => {
                let text = e.to_string();
                assert!(text.contains("consumer") && text.contains(&me.to_string()), "{text}");
                assert!(matches!(e, RingError::RoleTaken { role: "consumer", .. }));
            }
            Err(e) => panic!("expected RoleTaken, got {e}"),
            Ok(_) => panic!("{variant}: two consumers on one ring"),
        }
    }
    assert_clean(&names);
}

#[test]
fn waits_time_out_with_nobody_on_the_other_side() {
    let _g = serial();
    let mut names = Vec::new();
    let short = Duration::from_millis(50);
    for variant in Variant::ALL {
        for wait in wait_strategies() {
            let label = format!("{variant}/bounded:2/{wait}");
            let cfg = config(Capacity::Bounded(2), variant, wait, 16).timeout(short);
            let (mut p, mut c, name) = make_pair(&cfg);
            names.push(name);
            p.send(b"a").unwrap();
            p.send(b"b").unwrap();
            match p.send(b"c") {
                Err(SendError::Timeout { .. }) => {}
                other => {
                    panic!("{label}: full ring, nobody reading: expected Timeout, got {other:?}")
                }
            }
            // The wait happened at exactly the bound (deterministic: nobody read).
            let ps = p.stats();
            assert_eq!((ps.sent, ps.full_waits), (2, 1), "{label}: {ps:?}");
            assert_eq!((ps.in_flight_at_full_min, ps.in_flight_at_full_max), (2, 2), "{label}: {ps:?}");

            let mut buf = [0u8; 16];
            assert_eq!(c.recv(&mut buf).unwrap(), 1);
            assert_eq!(buf[0], b'a');
            assert_eq!(c.recv(&mut buf).unwrap(), 1);
            assert_eq!(buf[0], b'b', "{label}: the timed-out message must not have been published");
            match c.recv(&mut buf) {
                Err(RecvError::Timeout { .. }) => {}
                other => {
                    panic!("{label}: empty ring, producer open: expected Timeout, got {other:?}")
                }
            }
            if wait == WaitStrategy::Block {
                assert!(matches!(c.peek(4), Err(RecvError::Timeout { .. })), "{label}");
                assert!(matches!(c.recv_with(|_| ()), Err(RecvError::Timeout { .. })), "{label}");
            }
            // After the timeouts the ring still works.
            p.send(b"d").unwrap();
            assert_eq!(c.recv(&mut buf).unwrap(), 1);
            assert_eq!(buf[0], b'd');
        }
        // Rendezvous: the send publishes, then its wait for the ack times out.
        let cfg = config(Capacity::Rendezvous, variant, WaitStrategy::Block, 16).timeout(short);
        let (mut p, mut c, name) = make_pair(&cfg);
        names.push(name);
        assert!(matches!(p.send(b"x"), Err(SendError::Timeout { .. })), "{variant}/rendezvous");
        assert_eq!(p.stats().ack_waits, 1);
        let mut buf = [0u8; 16];
        assert!(matches!(c.recv(&mut buf), Ok(1)));
        assert!(matches!(c.recv(&mut buf), Err(RecvError::Timeout { .. })));
    }
    assert_clean(&names);
}

// ---------------------------------------------------------------------------
// 4. Batches
// ---------------------------------------------------------------------------

#[test]
fn batch_reserve_write_commit_peek() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        for capacity in [Capacity::Bounded(5), Capacity::Unbounded] {
            let label = format!("{variant}/{capacity}");
            let cfg = config(capacity, variant, threaded_wait(), 16).timeout(Duration::from_millis(50));
            let (mut p, mut c, name) = make_pair(&cfg);
            names.push(name);

            let mut batch = p.reserve(3).expect("reserve(3)");
            assert_eq!(batch.len(), 3);
            assert!(!batch.is_empty());
            batch.write(0, b"alpha").unwrap();
            let slot = batch.slot_mut(1);
            assert_eq!(slot.len(), 16, "slot_mut is the whole payload");
            slot[..4].copy_from_slice(b"beta");
            batch.set_len(1, 4).unwrap();
            batch.write(2, b"").unwrap();
            assert!(matches!(batch.set_len(0, 17), Err(SendError::TooLarge { len: 17, max: 16 })));
            assert!(matches!(batch.write(0, &[0; 17]), Err(SendError::TooLarge { len: 17, max: 16 })));
            batch.commit().expect("commit");
            assert_eq!(p.stats().sent, 3, "{label}");

            {
                let read = c.peek(10).expect("peek");
                assert_eq!(read.len(), 3, "{label}: peek returns every published message");
                assert!(!read.is_empty());
                assert_eq!(read.message(0), b"alpha");
                assert_eq!(read.message(1), b"beta");
                assert_eq!(read.message(2), b"");
            } // dropping the batch releases all three
            assert_eq!(c.stats().received, 3);

            // A batch dropped without commit publishes nothing...
            {
                let mut ghost = p.reserve(2).unwrap();
                ghost.write(0, b"ghost").unwrap();
                ghost.write(1, b"ghost").unwrap();
            } // dropped here, never committed
            assert_eq!(p.stats().sent, 3, "{label}");
            assert!(
                matches!(c.peek(10), Err(RecvError::Timeout { .. })),
                "{label}: an uncommitted batch was published"
            );
            // ...and its slots are simply reused.
            p.send(b"after").unwrap();
            let mut buf = [0u8; 16];
            assert_eq!(c.recv(&mut buf).unwrap(), 5);
            assert_eq!(&buf[..5], b"after");

            // Batches of every size up to the bound, wrapping around the slot array;
            // peek bounded by `max`, released partly by recv.
            let mut next = 0u64;
            let mut expect = 0u64;
            for round in 0..40usize {
                let k = round % 5 + 1;
                let mut batch = p.reserve(k).unwrap();
                for i in 0..k {
                    batch.write(i, &(next + i as u64).to_le_bytes()).unwrap();
                }
                batch.commit().unwrap();
                next += k as u64;
                while expect < next {
                    let max = (round % 3) + 1;
                    let read = c.peek(max).unwrap();
                    assert!((1..=max).contains(&read.len()), "{label}: peek({max}) gave {}", read.len());
                    for i in 0..read.len() {
                        assert_eq!(read.message(i), (expect + i as u64).to_le_bytes(), "{label}");
                    }
                    expect += read.len() as u64;
                }
            }
            assert_eq!(c.stats().received, 4 + next);
            drop(p);
            assert!(matches!(c.peek(10), Err(RecvError::Disconnected)), "{label}");
        }
    }
    assert_clean(&names);
}

#[test]
fn rendezvous_batch_commit_waits_for_the_consumer() {
    let _g = serial();
    let cfg = config(Capacity::Rendezvous, Variant::Ring, WaitStrategy::Block, 16);
    let (mut p, mut c, name) = make_pair(&cfg);
    let consumer = thread::spawn(move || {
        let mut got = Vec::new();
        loop {
            match c.recv_with(|m| m.to_vec()) {
                Ok(m) => got.push(m),
                Err(RecvError::Disconnected) => return got,
                Err(e) => panic!("recv: {e}"),
            }
        }
    });
    for i in 0..100u8 {
        let mut batch = p.reserve(1).unwrap();
        batch.write(0, &[i; 5]).unwrap();
        batch.commit().unwrap();
    }
    drop(p);
    let got = consumer.join().unwrap();
    assert_eq!(got, (0..100u8).map(|i| vec![i; 5]).collect::<Vec<_>>());
    assert_clean(&[name]);
}

// ---------------------------------------------------------------------------
// 5. Header validation
// ---------------------------------------------------------------------------

// Offsets of the header fields (`Header` is `repr(C)`, fields in this order).
const MAGIC_AT: u64 = 0;
const LAYOUT_HASH_AT: u64 = 8;
const VERSION_AT: u64 = 16;
const VARIANT_AT: u64 = 20;
const MODE_AT: u64 = 24;
const WAIT_AT: u64 = 28;
const BOUND_AT: u64 = 32;
const SLOT_COUNT_AT: u64 = 40;
const SLOT_SIZE_AT: u64 = 48;
const FIXED_SIZE_AT: u64 = 72;
const PER_BLOCK_AT: u64 = 76;
const INITIALISED_AT: u64 = 80;

/// Create a ring, overwrite bytes of its header through the file in
/// `/dev/shm`, and return what `attach` says (it must fail).
fn attach_after_patch(cfg: &RingConfig, patches: &[(u64, &[u8])], names: &mut Vec<String>) -> RingError {
    let ring = SharedRing::create(cfg).expect("create");
    let name = ring.name().to_owned();
    names.push(name.clone());
    let file = OpenOptions::new().write(true).open(path_of(&name)).expect("open the segment file");
    for (offset, bytes) in patches {
        file.write_all_at(bytes, *offset).expect("patch the header");
    }
    drop(file);
    match SharedRing::attach(&name) {
        Ok(_) => panic!("attach accepted a header patched at {:?}", patches.iter().map(|p| p.0).collect::<Vec<_>>()),
        Err(e) => e,
    }
}

/// `err` is `Incompatible` for `name`'s path, with `needle` in its reason.
fn assert_incompatible(err: RingError, needle: &str) {
    match &err {
        RingError::Incompatible { path, reason } => {
            assert!(path.starts_with(SHM_DIR), "{path:?}");
            assert!(reason.contains(needle), "reason {reason:?} does not mention {needle:?}");
            let text = err.to_string();
            assert!(text.contains(&*path.to_string_lossy()) && text.contains(reason.as_str()), "{text}");
        }
        other => panic!("expected Incompatible ({needle}), got {other:?}"),
    }
}

#[test]
fn attach_rejects_a_corrupted_header() {
    let _g = serial();
    let mut names = Vec::new();
    let ring5 = config(Capacity::Bounded(5), Variant::Ring, threaded_wait(), 16);
    let textbook5 = config(Capacity::Bounded(5), Variant::Textbook, threaded_wait(), 16);

    let e = attach_after_patch(&ring5, &[(MAGIC_AT, b"NOTARING")], &mut names);
    assert_incompatible(e, "magic");

    let e = attach_after_patch(&ring5, &[(VERSION_AT, &bytes_u32(2))], &mut names);
    assert_incompatible(e, "version 2");

    let e = attach_after_patch(&ring5, &[(FIXED_SIZE_AT, &bytes_u32(7))], &mut names);
    assert_incompatible(e, "fixed-size flag");

    // A ring of variable-length messages claiming packed slots.
    let e = attach_after_patch(&ring5, &[(PER_BLOCK_AT, &bytes_u32(3))], &mut names);
    assert_incompatible(e, "slots per block");

    // Flip bits of the stored layout hash, whatever its value.
    {
        let ring = SharedRing::create(&ring5).unwrap();
        let name = ring.name().to_owned();
        names.push(name.clone());
        let file = OpenOptions::new().read(true).write(true).open(path_of(&name)).unwrap();
        let mut hash = [0u8; 8];
        file.read_exact_at(&mut hash, LAYOUT_HASH_AT).unwrap();
        let flipped = u64::from_le_bytes(hash) ^ 0x8000_0000_0000_0001;
        file.write_all_at(&flipped.to_le_bytes(), LAYOUT_HASH_AT).unwrap();
        match SharedRing::attach(&name) {
            Err(e) => assert_incompatible(e, "layout hash"),
            Ok(_) => panic!("attach accepted a wrong layout hash"),
        }
    }

    let e = attach_after_patch(&ring5, &[(VARIANT_AT, &bytes_u32(9))], &mut names);
    assert_incompatible(e, "unknown variant code 9");
    let e = attach_after_patch(&ring5, &[(VARIANT_AT, &bytes_u32(0))], &mut names);
    assert_incompatible(e, "unknown variant code 0");

    let e = attach_after_patch(&ring5, &[(WAIT_AT, &bytes_u32(4))], &mut names);
    assert_incompatible(e, "unknown wait strategy code 4");

    let e = attach_after_patch(&ring5, &[(MODE_AT, &bytes_u32(7))], &mut names);
    assert_incompatible(e, "unknown capacity mode 7");

    // Slot count inconsistent with the bound, for each design's rule.
    // ring: bound 5 lives in 8 slots; 4 is too few, 16 is not what 5 rounds to.
    let e = attach_after_patch(&ring5, &[(SLOT_COUNT_AT, &bytes_u64(4))], &mut names);
    assert_incompatible(e, "bound 5 does not fit 4 slots");
    let e = attach_after_patch(&ring5, &[(SLOT_COUNT_AT, &bytes_u64(16))], &mut names);
    assert_incompatible(e, "bound 5 does not fit 16 slots");
    // textbook: bound + 1 slots exactly.
    let e = attach_after_patch(&textbook5, &[(SLOT_COUNT_AT, &bytes_u64(9))], &mut names);
    assert_incompatible(e, "bound 5 does not fit 9 slots");
    let e = attach_after_patch(&textbook5, &[(BOUND_AT, &bytes_u64(0))], &mut names);
    assert_incompatible(e, "bound 0 does not fit 6 slots");
    let e = attach_after_patch(&ring5, &[(SLOT_COUNT_AT, &bytes_u64(0))], &mut names);
    assert_incompatible(e, "slot count 0 out of range");

    let e = attach_after_patch(&ring5, &[(SLOT_SIZE_AT, &bytes_u64(0))], &mut names);
    assert_incompatible(e, "slot size 0 out of range");

    // A consistent header that describes more slots than the segment holds.
    let e = attach_after_patch(
        &textbook5,
        &[(BOUND_AT, &bytes_u64(100_000)), (SLOT_COUNT_AT, &bytes_u64(100_001))],
        &mut names,
    );
    assert_incompatible(e, "but its header needs");

    let e = attach_after_patch(&ring5, &[(INITIALISED_AT, &bytes_u32(0))], &mut names);
    assert_incompatible(e, "never fully initialised");

    assert_clean(&names);
}

#[test]
fn attach_rejects_foreign_and_missing_segments() {
    let _g = serial();
    let pid = std::process::id();

    // Smaller than a header.
    let tiny = format!("ringside-test-{pid}-tiny");
    let remove_tiny = RemoveOnDrop(path_of(&tiny));
    std::fs::write(path_of(&tiny), [0u8; 10]).expect("create the tiny file");
    match SharedRing::attach(&tiny) {
        Err(RingError::Shm(ShmError::TooSmall { path, actual, needed })) => {
            assert_eq!(path, path_of(&tiny));
            assert_eq!(actual, 10);
            assert!(needed > 10, "needed {needed}");
        }
        Err(e) => panic!("expected Shm(TooSmall), got {e:?}"),
        Ok(_) => panic!("attached to a 10-byte file"),
    }

    // Large enough, but all zero: not a ring at all.
    let zeros = format!("ringside-test-{pid}-zeros");
    let remove_zeros = RemoveOnDrop(path_of(&zeros));
    std::fs::write(path_of(&zeros), vec![0u8; 4096]).expect("create the zero file");
    match SharedRing::attach(&zeros) {
        Err(e) => assert_incompatible(e, "magic"),
        Ok(_) => panic!("attached to a zero-filled file"),
    }

    // No such name.
    let missing = format!("{NAME_PREFIX}{pid}-does-not-exist");
    match SharedRing::attach(&missing) {
        Err(e @ RingError::Shm(ShmError::NotFound { .. })) => {
            assert!(e.to_string().contains(&missing), "{e}");
        }
        Err(e) => panic!("expected Shm(NotFound), got {e:?}"),
        Ok(_) => panic!("attached to a name that does not exist"),
    }

    drop(remove_tiny);
    drop(remove_zeros);
    assert!(!path_of(&tiny).exists() && !path_of(&zeros).exists());
}

/// A chain segment `<name>.1` is not a ring: attaching to it must fail, and
/// the failed attempt must leave the ring working (the consumer still needs
/// that segment). (A regression test: an early version unlinked it.)
#[test]
fn attach_to_a_chain_segment_is_rejected_and_harmless() {
    let _g = serial();
    let cfg = config(Capacity::Unbounded, Variant::Ring, threaded_wait(), 8);
    let (mut p, mut c, name) = make_pair(&cfg);
    for seq in 0..6u64 {
        p.send(&seq.to_le_bytes()).unwrap();
    }
    assert_eq!(p.stats().segments_created, 1);
    let chain = format!("{name}.1");
    assert!(path_of(&chain).exists());
    match SharedRing::attach(&chain) {
        Err(e) => assert_incompatible(e, "later segment of an unbounded chain"),
        Ok(_) => panic!("attached to a chain segment as if it were a ring"),
    }
    let mut buf = [0u8; 8];
    for seq in 0..6u64 {
        let got = c.recv(&mut buf);
        assert!(matches!(got, Ok(8)), "message {seq} after a rejected attach of {chain}: {got:?}");
        assert_eq!(u64::from_le_bytes(buf), seq);
    }
    drop(p);
    assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)));
    drop(c);
    assert_clean(&[name]);
}

// ---------------------------------------------------------------------------
// 7. A full /dev/shm is a clear error (root only: needs a private tmpfs)
// ---------------------------------------------------------------------------

const SHM_TEST_NAME: &str = "full_dev_shm_is_a_clear_grow_error";
const SKIP_TEXT: &str = "skipped: needs root for a private /dev/shm";

/// The child's job: fill a private /dev/shm.
#[derive(serde::Serialize, serde::Deserialize)]
struct FillPrivateDevShm;

/// What the child found.
#[derive(serde::Serialize, serde::Deserialize)]
enum Filled {
    /// No private /dev/shm could be had (why).
    Skipped(String),
    /// Out of shared memory reported as this text.
    Reported(String),
}

#[test]
fn full_dev_shm_is_a_clear_grow_error() {
    child::serve(|FillPrivateDevShm| Ok::<_, std::convert::Infallible>(fill_private_dev_shm()));
    if !rustix::process::geteuid().is_root() {
        println!("{SKIP_TEXT}");
        return;
    }
    let _g = serial();
    let launch = Launch::new("/dev/shm filling child", &FillPrivateDevShm).expect("a job").in_test(SHM_TEST_NAME);
    let filled = launch.spawn().and_then(|c| c.finish(Duration::from_secs(300)));
    match filled {
        Ok(Filled::Skipped(why)) => println!("{SKIP_TEXT} ({why})"),
        Ok(Filled::Reported(text)) => println!("ring_api child: out of shared memory reported as: {text}"),
        Err(e) => panic!("the child failed: {e:?}"),
    }
}

/// In the child: a private mount namespace with a 2 MiB tmpfs on /dev/shm,
/// then an unbounded ring whose consumer never reads, until it cannot grow.
fn fill_private_dev_shm() -> Filled {
    use rustix::mount::{MountFlags, MountPropagationFlags, mount, mount_change};
    use rustix::thread::UnshareFlags;

    // `unshare` is deprecated for `unshare_unsafe` only because of
    // `UnshareFlags::FILES`, which can invalidate other threads' file
    // descriptors; `NEWNS` touches no descriptor table, so the safe call is
    // sound here and keeps this file free of `unsafe`.
    #[allow(deprecated)]
    let unshared = rustix::thread::unshare(UnshareFlags::NEWNS);
    match unshared {
        Err(rustix::io::Errno::PERM) => return Filled::Skipped("unshare: EPERM".into()),
        other => other.expect("unshare(CLONE_NEWNS)"),
    }
    mount_change("/", MountPropagationFlags::PRIVATE | MountPropagationFlags::REC).expect("make / private");
    mount("tmpfs", SHM_DIR, "tmpfs", MountFlags::NOSUID | MountFlags::NODEV, c"size=2m")
        .expect("mount a 2 MiB tmpfs on /dev/shm");
    assert!(own_entries().is_empty(), "the private /dev/shm starts empty");

    let cfg = RingConfig::new(Capacity::Unbounded).slot_size(4096).unbounded_initial_slots(4);
    let (mut p, mut c, name) = make_pair(&cfg);
    let msg = vec![0xA5u8; 4096];
    let mut sent = 0u64;
    let err = loop {
        match p.send(&msg) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        assert!(sent < 10_000, "2 MiB of /dev/shm never filled up");
    };
    let text = err.to_string();
    match &err {
        SendError::Grow(RingError::Shm(ShmError::OutOfSharedMemory { path, bytes })) => {
            assert!(path.starts_with(SHM_DIR), "{path:?}");
            assert!(*bytes > 0);
        }
        other => panic!("expected Grow(Shm(OutOfSharedMemory)), got {other:?}: {other}"),
    }
    assert!(text.contains(SHM_DIR), "the error does not point at {SHM_DIR}: {text}");
    assert!(sent > 0);

    // Everything sent before the failure is still delivered, then the end.
    drop(p);
    let mut buf = vec![0u8; 4096];
    for _ in 0..sent {
        assert_eq!(c.recv(&mut buf).expect("drain after the failed grow"), 4096);
        assert_eq!(buf, msg);
    }
    assert!(matches!(c.recv(&mut buf), Err(RecvError::Disconnected)));
    drop(c);
    assert_clean(&[name]);
    assert!(own_entries().is_empty(), "left in the private /dev/shm: {:?}", own_entries());
    Filled::Reported(format!("{text} (after {sent} messages)"))
}

// ---------------------------------------------------------------------------
// 6. Fixed-size messages: packed slots and the burst API
// ---------------------------------------------------------------------------

/// A fixed-size ring takes messages of its one size only, through every
/// way of sending, and says why it refuses the others.
#[test]
fn fixed_size_refuses_other_lengths() {
    let _serial = serial();
    let cfg = config(Capacity::Bounded(4), Variant::Ring, threaded_wait(), 8).fixed_size(true);
    let (mut p, mut c, name) = make_pair(&cfg);
    for bad in [&[1u8; 7][..], &[1u8; 9][..]] {
        let e = p.send(bad).unwrap_err();
        assert!(matches!(e, SendError::WrongSize { size: 8, .. } | SendError::TooLarge { max: 8, .. }), "{e:?}");
    }
    assert!(matches!(p.try_send(&[1; 4]), Err(SendError::WrongSize { len: 4, size: 8 })));
    assert!(matches!(p.send_burst(2, 3, |_, _| ()), Err(SendError::WrongSize { len: 3, size: 8 })));
    p.send(&7u64.to_le_bytes()).unwrap();
    let mut buf = [0u8; 8];
    assert_eq!(c.recv(&mut buf).unwrap(), 8);
    assert_eq!(u64::from_le_bytes(buf), 7);
    drop((p, c));
    assert_clean(&[name]);
}

/// Bursts of 8-byte messages packed seven to a stamp word, between two
/// threads, in every capacity mode and through many laps of the ring:
/// every message once, in order, intact; bursts never exceed what was asked.
#[test]
fn bursts_of_packed_messages_arrive_in_order() {
    let _serial = serial();
    const N: u64 = 200_000;
    for capacity in CAPACITIES {
        let cfg = config(capacity, Variant::Ring, threaded_wait(), 8).fixed_size(true);
        assert_eq!(cfg.per_block(), 7);
        let (mut p, mut c, name) = make_pair(&cfg);
        let n = if capacity == Capacity::Rendezvous { N / 100 } else { N };
        let consumer = std::thread::spawn(move || {
            let mut next = 0u64;
            loop {
                match c.recv_burst(100, |m| {
                    assert_eq!(m, &next.to_le_bytes(), "{capacity}: message {next}");
                    next += 1;
                }) {
                    Ok(got) => assert!((1..=100).contains(&got), "{capacity}: a burst of {got}"),
                    Err(RecvError::Disconnected) => return next,
                    Err(e) => panic!("{capacity}: recv_burst: {e}"),
                }
            }
        });
        let mut seq = 0u64;
        while seq < n {
            let want = ((n - seq) as usize).min(1 + (seq % 37) as usize);
            let sent = p.send_burst(want, 8, |i, dst| dst.copy_from_slice(&(seq + i).to_le_bytes())).unwrap();
            assert!((1..=want).contains(&sent), "{capacity}: sent {sent} of {want}");
            seq += sent as u64;
        }
        drop(p);
        assert_eq!(consumer.join().unwrap(), n, "{capacity}");
        assert_clean(&[name]);
    }
}

/// The classic designs stay naive under the burst API: a burst is one
/// message, with the peer's index loaded for it, as for every send.
#[test]
fn a_classic_ring_bursts_one_message_at_a_time() {
    let _serial = serial();
    for variant in [Variant::Textbook, Variant::Padded] {
        let cfg = config(Capacity::Bounded(8), variant, threaded_wait(), 8);
        let (mut p, mut c, name) = make_pair(&cfg);
        assert_eq!(p.send_burst(5, 8, |i, dst| dst.copy_from_slice(&i.to_le_bytes())).unwrap(), 1, "{variant}");
        let mut got = Vec::new();
        assert_eq!(c.recv_burst(5, |m| got.push(m.to_vec())).unwrap(), 1, "{variant}");
        assert_eq!(got, vec![0u64.to_le_bytes().to_vec()], "{variant}");
        drop((p, c));
        assert_clean(&[name]);
    }
}

// ---------------------------------------------------------------------------
// 8. A peer that breaks the protocol, and the cap on an unbounded chain
// ---------------------------------------------------------------------------

/// Offset of `segments_created` in the root segment: the producer's line
/// starts at 128; `position`, `textbook_out`, `sealed`, `closed`, `pid`, then
/// the counter at the next multiple of 8.
const SEGMENTS_CREATED_AT: u64 = 128 + 32;

/// Run `f` on a thread of its own and return what it returns; fail the test
/// if it has not returned after `guard` (a generous bound that only a hang
/// reaches: a guard against hanging the suite, not a timing).
fn finishes<T: Send + 'static>(what: &str, guard: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, outcome) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(f());
    });
    outcome.recv_timeout(guard).unwrap_or_else(|_| panic!("{what} had not finished after {guard:?}: it hangs"))
}

/// A peer that writes a huge `segments_created` into the shared line does
/// not make either end's drop loop (nearly) forever over chain names.
#[test]
fn a_hostile_chain_count_does_not_hang_either_drop() {
    let _g = serial();
    let mut names = Vec::new();
    for consumer_first in [true, false] {
        let cfg = config(Capacity::Unbounded, Variant::Ring, threaded_wait(), 8);
        let ring = SharedRing::create(&cfg).unwrap();
        let name = ring.name().to_owned();
        // Opened while the name exists; the handle still reaches the object after the unlink.
        let file = OpenOptions::new().write(true).open(path_of(&name)).expect("open the segment file");
        let other = SharedRing::attach(&name).unwrap();
        let (mut p, c) = (ring.into_producer().unwrap(), other.into_consumer().unwrap());
        for seq in 0..40u64 {
            p.send(&seq.to_le_bytes()).unwrap();
        }
        assert!(p.stats().segments_created > 0, "the chain grew");
        file.write_all_at(&u64::MAX.to_le_bytes(), SEGMENTS_CREATED_AT).expect("patch segments_created");
        finishes("dropping both ends", Duration::from_secs(30), move || {
            if consumer_first {
                drop(c);
                drop(p);
            } else {
                drop(p);
                drop(c);
            }
        });
        names.push(name);
    }
    assert_clean(&names);
}

/// An end that attaches waits by its own timeout, whatever the creator's.
#[test]
fn an_attached_end_waits_by_its_own_timeout_not_the_creators() {
    let _g = serial();
    let mut names = Vec::new();
    let hour = Duration::from_secs(3600);
    let short = Duration::from_millis(100);
    for wait in wait_strategies() {
        let cfg = config(Capacity::Bounded(1), Variant::Ring, wait, 8).timeout(hour);
        // Without a timeout of its own, an attached end takes the default, not the creator's hour.
        {
            let ring = SharedRing::create(&cfg).unwrap();
            names.push(ring.name().to_owned());
            let other = SharedRing::attach(ring.name()).unwrap();
            assert_eq!(other.config().timeout, RingConfig::default().timeout, "{wait}");
            assert_eq!(ring.config().timeout, hour, "{wait}");
        }
        // The attached consumer of an hour-long creator: an empty ring times out after its own 100 ms.
        let ring = SharedRing::create(&cfg).unwrap();
        names.push(ring.name().to_owned());
        let other = SharedRing::attach(ring.name()).unwrap().with_timeout(short);
        let (p, mut c) = (ring.into_producer().unwrap(), other.into_consumer().unwrap());
        let got = finishes("an attached consumer's wait", Duration::from_secs(30), move || {
            let mut buf = [0u8; 8];
            c.recv(&mut buf).map(|_| ())
        });
        assert!(matches!(got, Err(RecvError::Timeout { .. })), "{wait}: {got:?}");
        drop(p);
        // The attached producer of an hour-long creator: a full ring times out after its own 100 ms.
        let ring = SharedRing::create(&cfg).unwrap();
        names.push(ring.name().to_owned());
        let other = SharedRing::attach(ring.name()).unwrap().with_timeout(short);
        let (c, mut p) = (ring.into_consumer().unwrap(), other.into_producer().unwrap());
        let got = finishes("an attached producer's wait", Duration::from_secs(30), move || {
            p.send(b"fills").and_then(|()| p.send(b"waits"))
        });
        assert!(matches!(got, Err(SendError::Timeout { .. })), "{wait}: {got:?}");
        drop(c);
    }
    assert_clean(&names);
}

/// Bytes of a chain cap small enough for a test to reach.
const SMALL_CAP: u64 = 1 << 20;
/// 1 KiB messages: a thousand of them fill the small cap.
const KIB: usize = 1024;

/// A consumer that never reads: the producer's chain stops at the cap with
/// a clear error, makes nothing more, and nothing is left once both close.
#[test]
fn a_stalled_consumer_stops_the_chain_at_its_cap() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        let cfg = config(Capacity::Unbounded, variant, threaded_wait(), KIB).max_chain_bytes(SMALL_CAP);
        let (mut p, c, name) = make_pair(&cfg);
        let msg = [0x5Au8; KIB];
        let mut sent = 0u64;
        let err = loop {
            match p.send(&msg) {
                Ok(()) => sent += 1,
                Err(e) => break e,
            }
            assert!(sent < 64 * 1024, "{variant}: 64 MiB sent past a 1 MiB cap, never refused");
        };
        let text = err.to_string();
        match err {
            SendError::ChainFull { cap_bytes, segments } => {
                assert_eq!(cap_bytes, SMALL_CAP, "{variant}");
                assert_eq!(segments, p.stats().segments_created, "{variant}: nothing was drained");
            }
            other => panic!("{variant}: expected ChainFull, got {other:?}: {other}"),
        }
        assert!(text.contains("cap of 1 MiB") && text.contains("has not drained"), "{variant}: {text}");
        // What is alive fits the cap: the first segment's 4 slots, the chain's share of 1 MiB.
        assert!(sent * KIB as u64 <= SMALL_CAP + 4 * KIB as u64, "{variant}: {sent} messages alive");
        // Refused again, and nothing more is made.
        let on_disk = leftovers(&name);
        assert!(!on_disk.is_empty(), "{variant}: the undrained chain is on disk until someone closes");
        assert!(matches!(p.send(&msg), Err(SendError::ChainFull { .. })), "{variant}");
        assert_eq!(leftovers(&name), on_disk, "{variant}: a refused send made a segment");
        drop(c);
        drop(p);
        names.push(name);
    }
    assert_clean(&names);
}

/// The cap is on what is alive, not on the total: a consumer that keeps
/// draining lets twenty times the cap through.
#[test]
fn a_draining_consumer_lets_the_chain_carry_far_more_than_its_cap() {
    let _g = serial();
    let mut names = Vec::new();
    for variant in Variant::ALL {
        let cfg = config(Capacity::Unbounded, variant, threaded_wait(), KIB).max_chain_bytes(SMALL_CAP);
        let (mut p, mut c, name) = make_pair(&cfg);
        let (mut seq, mut next) = (0u64, 0u64);
        let mut buf = [0u8; KIB];
        let mut msg = [0u8; KIB];
        // Rounds of 600 KiB, more than a 512-slot segment holds: a chain
        // that doubled on past a quarter of the cap (to 1024 slots, more
        // than 1 MiB) would not fit beside the segment the consumer holds,
        // however promptly it drains.
        for round in 0..40 {
            for _ in 0..600 {
                msg[..8].copy_from_slice(&seq.to_le_bytes());
                p.send(&msg).unwrap_or_else(|e| panic!("{variant}: round {round}, message {seq}: {e}"));
                seq += 1;
            }
            while next < seq {
                let len = c.recv(&mut buf).unwrap_or_else(|e| panic!("{variant}: recv {next}: {e}"));
                assert_eq!((len, &buf[..8]), (KIB, &next.to_le_bytes()[..]), "{variant}");
                next += 1;
            }
        }
        assert!(seq * KIB as u64 >= 20 * SMALL_CAP);
        let (ps, cs) = (p.stats(), c.stats());
        assert!(ps.segments_created >= 20, "{variant}: {ps:?}");
        assert_eq!(cs.segments_released, ps.segments_created, "{variant}: {ps:?} {cs:?}");
        drop(p);
        drop(c);
        names.push(name);
    }
    assert_clean(&names);
}

/// A segment cut shorter than its header's geometry before anyone attaches
/// is refused with the sizes, or as too small for a header at all.
#[test]
fn attach_refuses_a_segment_shorter_than_its_geometry() {
    let _g = serial();
    let mut names = Vec::new();
    let cfg = config(Capacity::Bounded(1000), Variant::Ring, threaded_wait(), 64);
    let full = cfg.segment_bytes().unwrap() as u64;
    for len in [4096, 100] {
        let ring = SharedRing::create(&cfg).unwrap();
        let name = ring.name().to_owned();
        names.push(name.clone());
        OpenOptions::new().write(true).open(path_of(&name)).unwrap().set_len(len).unwrap();
        match SharedRing::attach(&name) {
            Err(RingError::Shm(ShmError::TooSmall { actual, .. })) => assert_eq!(actual, len),
            Err(e) => assert_incompatible(e, &format!("segment is {len} bytes but its header needs {full}")),
            Ok(_) => panic!("attached to a {len}-byte segment that needs {full}"),
        }
    }
    assert_clean(&names);
}
