//! Loom models of the ring protocol (`bench_core::ring`).
//!
//! Under `--cfg loom` the ring's atomics come from loom, every slot payload
//! access is recorded on a loom cell (so a read and a write of one slot that
//! the protocol does not order is reported as a data race), and the futex is
//! a loom mutex + condition variable, so a lost wake-up shows up as a
//! deadlock. Each model runs one producer thread against the consumer on the
//! model's main thread, over a heap-backed ring built by `ring::pair`, and
//! checks under every interleaving (up to a preemption bound) that:
//!
//! - bounded rings of every variant (`ring`, `textbook`, `padded`) deliver
//!   every message once, in order, with the bytes sent, and then report
//!   `Disconnected` once the producer is dropped;
//! - a rendezvous `send` returns only after the consumer has taken the
//!   message (its `recv_with` closure has run);
//! - `block` waiting never loses a wake-up, whether the consumer sleeps on an
//!   empty ring, the producer sleeps on a full one or on a rendezvous
//!   acknowledgement, or a side sleeps while its peer closes;
//! - the batch API (`reserve`/`commit`, `peek`/`ReadBatch`) keeps order and
//!   never hands a slot to both sides at once;
//! - the full design with fixed-size messages, whose slots share a stamp
//!   word per block, keeps all of the above, also across a lap through a
//!   block and through the burst API (`send_burst`/`recv_burst`).
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p bench-core --test loom --release`;
//! any other build compiles this file to nothing. (The `cfg` comes after this
//! doc because a crate-level `cfg` that is false strips the attributes after
//! it too, and a test crate without its doc trips the `missing_docs` lint.)
//!
//! The models run the production wait logic and constants: the consumer's
//! inline and tight spins and the waiter's spins before backing off, each
//! phase explored as one poll, or as none with `RINGSIDE_LOOM_SPIN_POLLS=0`
//! (a failed poll only loads, so neither loses behaviour; each finds what
//! the other's loom cannot: `ring/wait.rs`, "Spin phases under loom").
//! `.ci/run` runs both.
//!
//! Settled finding (the futex word, `ring/wait.rs`). Earlier models, with
//! one extra poll-and-yield before the consumer's wait or with preemption
//! bound 4, reported a Block deadlock: a side asleep on its futex word
//! while its peer had published (or closed) and gone to sleep or exited.
//! The protocol was not at fault. In the traces the sleeper announced with
//! a plain `store(1)` after the waker's `swap(0)` had read the word; C++20
//! orders that swap before the store (a swap reads the write just before
//! it), so after both SeqCst fences the waker's load must see the 1. loom
//! keeps the modification order only as far as threads have seen each
//! other's writes, left the store and the swap unordered, and let the load
//! return the swap's stale 0. `loom_lets_a_load_skip_a_store_that_races_a_swap`
//! reproduces that in six lines. Every write of the word is now a swap, so
//! its modification order is a chain loom models exactly, and with the
//! production spins and preemption bound 4 no model reports anything.
//! (Real sleeps are sliced in 20 ms in any case, so even a lost wake-up
//! would have been late, never a hang.)

#![cfg(loom)]

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};

use bench_core::ring::{Capacity, Consumer, Producer, RecvError, RingConfig, SendError, Variant, WaitStrategy, pair};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use loom::thread;

/// Every model uses 8-byte slots carrying little-endian `u64`s.
const SLOT: usize = 8;

/// The ring designs the models cover: the three variants, and the full
/// design with fixed-size messages, whose slots share a stamp word per
/// block of eight (the layout the harness streams through).
#[derive(Debug, Clone, Copy)]
enum Design {
    Ring,
    Packed,
    Textbook,
    Padded,
}

fn config(capacity: Capacity, design: Design, wait: WaitStrategy) -> RingConfig {
    let (variant, fixed) = match design {
        Design::Ring => (Variant::Ring, false),
        Design::Packed => (Variant::Ring, true),
        Design::Textbook => (Variant::Textbook, false),
        Design::Padded => (Variant::Padded, false),
    };
    RingConfig::new(capacity).variant(variant).wait(wait).slot_size(SLOT).fixed_size(fixed)
}

fn msg(i: u64) -> [u8; SLOT] {
    i.to_le_bytes()
}

/// Preemptions per execution that loom explores. Every model still ends in
/// seconds (bound 4 passes too, in both forms, but takes ten times as long),
/// and each bug planted in the protocol to try the models (an Acquire or
/// Release weakened to Relaxed, a SeqCst fence weakened to AcqRel, a missing
/// wake or re-poll, an off-by-one in a full test or an acknowledgement)
/// makes at least one of them fail at this bound, in one form or both.
const PREEMPTIONS: usize = 3;

/// Explore `f` under every interleaving with at most [`PREEMPTIONS`] preemptions.
fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(PREEMPTIONS);
    builder.check(f);
}

/// A value whose `Drop` touches loom (the ring's ends, a loom `Arc`),
/// dropped only on the normal path.
///
/// When loom finds a failure (deadlock, data race, a failed assertion) it
/// panics, and the model's threads unwind outside its scheduler; a `Drop`
/// that touches loom there panics again, which aborts the whole test binary
/// and hides the report. While unwinding, the value is leaked instead.
struct LeakOnUnwind<T>(Option<T>);

impl<T> LeakOnUnwind<T> {
    fn new(value: T) -> Self {
        Self(Some(value))
    }
}

impl<T> Deref for LeakOnUnwind<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_ref().expect("only taken while unwinding")
    }
}

impl<T> DerefMut for LeakOnUnwind<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.0.as_mut().expect("only taken while unwinding")
    }
}

impl<T> Drop for LeakOnUnwind<T> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            std::mem::forget(self.0.take());
        }
    }
}

/// Both ends of a fresh heap-backed ring.
fn ends(cfg: &RingConfig) -> (LeakOnUnwind<Producer>, LeakOnUnwind<Consumer>) {
    let (producer, consumer) = pair(cfg).unwrap();
    (LeakOnUnwind::new(producer), LeakOnUnwind::new(consumer))
}

/// How many explored executions saw the producer and the consumer wait.
#[derive(Default)]
struct Coverage {
    executions: StdAtomicUsize,
    producer_waited: StdAtomicUsize,
    consumer_waited: StdAtomicUsize,
}

impl Coverage {
    fn record(&self, producer_waited: bool, consumer_waited: bool) {
        self.executions.fetch_add(1, StdOrdering::Relaxed);
        if producer_waited {
            self.producer_waited.fetch_add(1, StdOrdering::Relaxed);
        }
        if consumer_waited {
            self.consumer_waited.fetch_add(1, StdOrdering::Relaxed);
        }
    }

    /// Both directions of waiting were explored at least once.
    fn assert_both_waited(&self) {
        let executions = self.executions.load(StdOrdering::Relaxed);
        let producer = self.producer_waited.load(StdOrdering::Relaxed);
        let consumer = self.consumer_waited.load(StdOrdering::Relaxed);
        assert!(
            producer > 0 && consumer > 0,
            "of {executions} executions, the producer waited in {producer} and the consumer in {consumer}"
        );
    }
}

/// A producer thread sends `1..=n`; the consumer receives them in order with
/// identical bytes, then sees `Disconnected` once the producer is dropped.
fn stream(cfg: RingConfig, n: u64, coverage: &Coverage) {
    let (mut producer, mut consumer) = ends(&cfg);
    let sender = thread::spawn(move || {
        for i in 1..=n {
            producer.send(&msg(i)).unwrap();
        }
        producer.stats()
        // `producer` is dropped here: the ring is closed.
    });
    let mut buf = [0u8; 2 * SLOT];
    for i in 1..=n {
        let len = consumer.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], &msg(i), "message {i}");
    }
    assert!(matches!(consumer.recv(&mut buf), Err(RecvError::Disconnected)));
    let sent = sender.join().unwrap();
    assert_eq!(sent.sent, n);
    assert_eq!(consumer.stats().received, n);
    coverage.record(sent.full_waits + sent.ack_waits > 0, consumer.stats().empty_waits > 0);
}

fn stream_model(capacity: Capacity, design: Design, wait: WaitStrategy, n: u64) {
    let coverage = std::sync::Arc::new(Coverage::default());
    let seen = coverage.clone();
    model(move || stream(config(capacity, design, wait), n, &seen));
    coverage.assert_both_waited();
}

/// Rendezvous: after `send(i)` returns, the consumer has already run the
/// closure that took message `i` (the slot is released after it returns).
fn rendezvous(design: Design, wait: WaitStrategy, n: u64) {
    let (mut producer, mut consumer) = ends(&config(Capacity::Rendezvous, design, wait));
    let taken = LeakOnUnwind::new(Arc::new(AtomicUsize::new(0)));
    let seen = LeakOnUnwind::new(Arc::clone(&taken));
    let sender = thread::spawn(move || {
        for i in 1..=n {
            producer.send(&msg(i)).unwrap();
            let taken = seen.load(SeqCst);
            assert!(taken >= i as usize, "send({i}) returned before the consumer took it (taken: {taken})");
        }
    });
    for i in 1..=n {
        consumer
            .recv_with(|m| {
                assert_eq!(m, &msg(i), "message {i}");
                taken.store(i as usize, SeqCst);
            })
            .unwrap();
    }
    assert!(matches!(consumer.recv_with(|_| ()), Err(RecvError::Disconnected)));
    sender.join().unwrap();
}

/// Batches: the producer writes `1..=4` as two reserved batches of two; the
/// consumer drains them with `peek(2)`, however the batches split.
fn batches(design: Design, wait: WaitStrategy) {
    const N: u64 = 4;
    let (mut producer, mut consumer) = ends(&config(Capacity::Bounded(2), design, wait));
    let sender = thread::spawn(move || {
        for first in (1..=N).step_by(2) {
            let mut batch = producer.reserve(2).unwrap();
            assert_eq!(batch.len(), 2);
            batch.write(0, &msg(first)).unwrap();
            batch.write(1, &msg(first + 1)).unwrap();
            batch.commit().unwrap();
        }
    });
    let mut next = 1;
    while next <= N {
        let batch = consumer.peek(2).unwrap();
        assert!((1..=2).contains(&batch.len()), "peek(2) gave {} messages", batch.len());
        for k in 0..batch.len() {
            assert_eq!(batch.message(k), &msg(next), "message {next}");
            next += 1;
        }
        // Dropping the batch releases its slots.
    }
    assert!(matches!(consumer.peek(2), Err(RecvError::Disconnected)));
    sender.join().unwrap();
    assert_eq!(consumer.stats().received, N);
}

/// `peek(2)` over messages sent one by one: a batch may count a message
/// published after the one that ended the wait, which must be visible too.
fn peek_singles(design: Design) {
    const N: u64 = 3;
    let (mut producer, mut consumer) = ends(&config(Capacity::Bounded(2), design, WaitStrategy::Spin));
    let sender = thread::spawn(move || {
        for i in 1..=N {
            producer.send(&msg(i)).unwrap();
        }
    });
    let mut next = 1;
    while next <= N {
        let batch = consumer.peek(2).unwrap();
        assert!((1..=2).contains(&batch.len()), "peek(2) gave {} messages", batch.len());
        for k in 0..batch.len() {
            assert_eq!(batch.message(k), &msg(next), "message {next}");
            next += 1;
        }
    }
    assert!(matches!(consumer.peek(2), Err(RecvError::Disconnected)));
    sender.join().unwrap();
}

/// The consumer goes away while the producer waits (for room, or for a
/// rendezvous acknowledgement): the producer must be woken and told.
fn consumer_leaves(capacity: Capacity, design: Design) {
    let (mut producer, consumer) = ends(&config(capacity, design, WaitStrategy::Block));
    let receiver = thread::spawn(move || drop(consumer));
    let first = producer.send(&msg(1));
    if capacity == Capacity::Rendezvous {
        // Never taken: the only way out is the consumer's close.
        assert!(matches!(first, Err(SendError::Disconnected)), "{first:?}");
    } else {
        // A bound of one admits the first message; the second can only fail.
        first.unwrap();
        let second = producer.send(&msg(2));
        assert!(matches!(second, Err(SendError::Disconnected)), "{second:?}");
    }
    receiver.join().unwrap();
}

// 1. The stamped ring (`ring` variant), bounded.

#[test]
fn ring_bounded_1_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(1), Design::Ring, WaitStrategy::Spin, 3);
}

#[test]
fn ring_bounded_2_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(2), Design::Ring, WaitStrategy::Spin, 3);
}

/// A lap through a packed block: 28-byte messages pack two to a block, so
/// with bound 2 the ring is one block, and message 3 reuses its word while
/// the consumer may still be reading message 2 from the first lap.
#[test]
fn packed_bounded_2_in_order_across_a_lap() {
    const SIZE: usize = 28;
    const N: u8 = 3;
    model(|| {
        let cfg = RingConfig::new(Capacity::Bounded(2)).slot_size(SIZE).fixed_size(true);
        assert_eq!(cfg.per_block(), 2);
        let (mut producer, mut consumer) = ends(&cfg);
        let sender = thread::spawn(move || {
            for i in 1..=N {
                producer.send(&[i; SIZE]).unwrap();
            }
        });
        for i in 1..=N {
            consumer.recv_with(|m| assert_eq!(m, &[i; SIZE], "message {i}")).unwrap();
        }
        assert!(matches!(consumer.recv_with(|_| ()), Err(RecvError::Disconnected)));
        sender.join().unwrap();
    });
}

#[test]
fn packed_bounded_1_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(1), Design::Packed, WaitStrategy::Spin, 3);
}

/// The burst API the harness streams through (`send_burst`, `recv_burst`)
/// over a packed ring of 28-byte messages (two to a block, bound 2: one
/// block, so message 3 starts a second lap): in order, intact, then
/// `Disconnected`, however the bursts split.
fn bursts(wait: WaitStrategy) {
    const SIZE: usize = 28;
    const N: u64 = 3;
    let cfg = RingConfig::new(Capacity::Bounded(2)).slot_size(SIZE).fixed_size(true).wait(wait);
    assert_eq!(cfg.per_block(), 2);
    let (mut producer, mut consumer) = ends(&cfg);
    let sender = thread::spawn(move || {
        let mut next = 1;
        while next <= N {
            let sent = producer.send_burst((N + 1 - next) as usize, SIZE, |i, dst| dst.fill((next + i) as u8)).unwrap();
            assert!(sent >= 1);
            next += sent as u64;
        }
    });
    let mut next = 1u64;
    while next <= N {
        let got = consumer
            .recv_burst(2, |m| {
                assert_eq!(m, &[next as u8; SIZE], "message {next}");
                next += 1;
            })
            .unwrap();
        assert!((1..=2).contains(&got), "recv_burst(2) took {got}");
    }
    assert!(matches!(consumer.recv_burst(2, |_| ()), Err(RecvError::Disconnected)));
    sender.join().unwrap();
}

#[test]
fn packed_bursts_in_order_across_a_lap() {
    model(|| bursts(WaitStrategy::Spin));
}

#[test]
fn packed_block_bursts_no_lost_wakeup() {
    model(|| bursts(WaitStrategy::Block));
}

// 2. The classic variants, bounded.

#[test]
fn textbook_bounded_1_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(1), Design::Textbook, WaitStrategy::Spin, 3);
}

#[test]
fn textbook_bounded_2_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(2), Design::Textbook, WaitStrategy::Spin, 3);
}

#[test]
fn padded_bounded_1_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(1), Design::Padded, WaitStrategy::Spin, 3);
}

#[test]
fn padded_bounded_2_in_order_then_disconnected() {
    stream_model(Capacity::Bounded(2), Design::Padded, WaitStrategy::Spin, 3);
}

// 3. Rendezvous handshake.

#[test]
fn ring_rendezvous_send_returns_after_take() {
    model(|| rendezvous(Design::Ring, WaitStrategy::Spin, 2));
}

#[test]
fn packed_rendezvous_send_returns_after_take() {
    model(|| rendezvous(Design::Packed, WaitStrategy::Spin, 2));
}

#[test]
fn textbook_rendezvous_send_returns_after_take() {
    model(|| rendezvous(Design::Textbook, WaitStrategy::Spin, 2));
}

// 4. Sleeping on the futex without losing a wake-up.

#[test]
fn ring_block_bounded_1_no_lost_wakeup() {
    stream_model(Capacity::Bounded(1), Design::Ring, WaitStrategy::Block, 3);
}

#[test]
fn packed_block_bounded_1_no_lost_wakeup() {
    stream_model(Capacity::Bounded(1), Design::Packed, WaitStrategy::Block, 3);
}

#[test]
fn textbook_block_bounded_1_no_lost_wakeup() {
    stream_model(Capacity::Bounded(1), Design::Textbook, WaitStrategy::Block, 3);
}

#[test]
fn padded_block_bounded_1_no_lost_wakeup() {
    stream_model(Capacity::Bounded(1), Design::Padded, WaitStrategy::Block, 3);
}

#[test]
fn ring_block_rendezvous_no_lost_wakeup() {
    model(|| rendezvous(Design::Ring, WaitStrategy::Block, 2));
}

#[test]
fn textbook_block_rendezvous_no_lost_wakeup() {
    model(|| rendezvous(Design::Textbook, WaitStrategy::Block, 2));
}

#[test]
fn ring_block_producer_woken_by_consumer_close() {
    model(|| consumer_leaves(Capacity::Bounded(1), Design::Ring));
    model(|| consumer_leaves(Capacity::Rendezvous, Design::Ring));
}

#[test]
fn textbook_block_producer_woken_by_consumer_close() {
    model(|| consumer_leaves(Capacity::Bounded(1), Design::Textbook));
    model(|| consumer_leaves(Capacity::Rendezvous, Design::Textbook));
}

// 5. Batches.

#[test]
fn ring_batches_in_order() {
    model(|| batches(Design::Ring, WaitStrategy::Spin));
}

#[test]
fn textbook_batches_in_order() {
    model(|| batches(Design::Textbook, WaitStrategy::Spin));
}

#[test]
fn padded_batches_in_order() {
    model(|| batches(Design::Padded, WaitStrategy::Spin));
}

#[test]
fn ring_block_batches_in_order() {
    model(|| batches(Design::Ring, WaitStrategy::Block));
}

#[test]
fn packed_batches_in_order() {
    model(|| batches(Design::Packed, WaitStrategy::Spin));
}

#[test]
fn packed_peek_over_single_sends() {
    model(|| peek_singles(Design::Packed));
}

#[test]
fn ring_peek_over_single_sends() {
    model(|| peek_singles(Design::Ring));
}

#[test]
fn textbook_peek_over_single_sends() {
    model(|| peek_singles(Design::Textbook));
}

#[test]
fn padded_peek_over_single_sends() {
    model(|| peek_singles(Design::Padded));
}

// 6. The model checker's own limit, behind the futex word's swaps.

/// Why every write of a futex word is a swap (see the module doc): with a
/// plain store racing a swap, loom explores an outcome C++20 forbids.
///
/// sleeper `w.store(1); fence; r = p.load()`, waker `s = w.swap(0);
/// p.store(1); fence; l = w.load()`: `s == 0` puts the swap before the
/// store in `w`'s modification order, so whichever fence is first in the
/// SeqCst order, `r == 1` or `l == 1`. loom reaches `s == r == l == 0`,
/// and does not once the sleeper writes with a swap. Should loom stop
/// reaching it, this test fails, and the sleeper's swaps could be stores.
#[test]
fn loom_lets_a_load_skip_a_store_that_races_a_swap() {
    use loom::sync::atomic::{AtomicU32, fence};

    fn reaches_forbidden_outcome(sleeper_swaps: bool) -> bool {
        let reached = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = reached.clone();
        model(move || {
            let (word, published) = (Arc::new(AtomicU32::new(0)), Arc::new(AtomicU32::new(0)));
            let (w, p) = (word.clone(), published.clone());
            let sleeper = thread::spawn(move || {
                if sleeper_swaps {
                    w.swap(1, Relaxed);
                } else {
                    w.store(1, Relaxed);
                }
                // SeqCst fence: pairs with the waker's below (the Dekker pair of `wait.rs`).
                fence(SeqCst);
                p.load(Relaxed)
            });
            let s = word.swap(0, Relaxed);
            published.store(1, Relaxed);
            // SeqCst fence: pairs with the sleeper's above.
            fence(SeqCst);
            let l = word.load(Relaxed);
            let r = sleeper.join().unwrap();
            if (s, r, l) == (0, 0, 0) {
                seen.store(true, StdOrdering::Relaxed);
            }
        });
        reached.load(StdOrdering::Relaxed)
    }

    assert!(reaches_forbidden_outcome(false), "loom no longer reaches it: the sleeper may store again");
    assert!(!reaches_forbidden_outcome(true), "loom reaches the forbidden outcome with swaps too");
}
