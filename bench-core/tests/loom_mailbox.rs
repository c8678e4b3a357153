//! Loom models of the mailbox's lock-free protocol (`bench_core::mailbox`).
//!
//! Under `--cfg loom` the mailbox's atomics come from loom, every slot
//! payload access is recorded on a loom cell (so a read and a write of one
//! slot that the protocol does not order is reported as a data race), and
//! the futex words (the receiver's, and the senders' `Crowd`) are a loom
//! mutex + condition variable, so a lost wake-up shows up as a deadlock.
//! Each model runs two sender threads against the receiver on the model's
//! main thread, over a heap-backed mailbox built by `mailbox::local`, and
//! checks under every interleaving (up to a preemption bound) that:
//!
//! - bounded mailboxes of 1 and 2 slots deliver every message once, in
//!   each sender's order, with the bytes sent, and then report
//!   `Disconnected` once both senders are dropped (`Abandoned` if one
//!   abandons);
//! - `block` waiting never loses a wake-up: the receiver asleep on an empty
//!   mailbox, and senders asleep on a full one (on one `Crowd`);
//! - a rendezvous `send` returns only after the receiver has taken that
//!   message (its `recv_with` closure has run).
//!
//! The mutex design is not modelled: loom cannot model pthread objects
//! (`tests/mailbox.rs` tests it between threads and processes).
//!
//! Run with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p bench-core --test loom_mailbox --release`;
//! any other build compiles this file to nothing. (The `cfg` comes after this
//! doc because a crate-level `cfg` that is false strips the attributes after
//! it too, and a test crate without its doc trips the `missing_docs` lint.)
//!
//! The models run the production wait logic (`ring/wait.rs`), each spin
//! phase explored as one poll, or none with `RINGSIDE_LOOM_SPIN_POLLS=0`.
//!
//! Sizes. Three threads make loom's state space far larger than the
//! ring's two, so the models are kept small enough to finish in seconds
//! in `--release`: preemption bound 2 (the rendezvous model 1), one or two
//! messages per sender, and the stream models wait by `block` (which
//! sleeps after one poll). Models whose waits spin through full or empty
//! phases (a spinning rendezvous, a spinning `bounded:1` stream) ran past
//! a minute even at these bounds, as every poll of a spinning waiter is a
//! branch loom explores; the spinning and blocking paths run the same
//! claim/publish/take code, and the spin model that is here covers the
//! abandoned end.

#![cfg(loom)]

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering as StdOrdering};

use bench_core::mailbox::{Capacity, MailboxConfig, Receiver, RecvError, Sender, WaitStrategy, local};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

/// Every model uses 8-byte slots carrying `[sender, sequence]`.
const SLOT: usize = 8;

/// Preemptions per execution that loom explores (`tests/loom.rs` uses 3
/// for two threads; see the module doc for the sizes here).
const PREEMPTIONS: usize = 2;

/// Branches one execution may take: loom's default of 1,000 is too few
/// for three threads whose waits poll (each poll of a spinning wait is a
/// branch while its peers are descheduled).
const MAX_BRANCHES: usize = 20_000;

/// Explore `f` under every interleaving with at most [`PREEMPTIONS`] preemptions.
fn model(f: impl Fn() + Sync + Send + 'static) {
    model_bounded(PREEMPTIONS, f);
}

/// Explore `f` with at most `preemptions` preemptions per execution.
fn model_bounded(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    builder.max_branches = MAX_BRANCHES;
    builder.check(f);
}

/// A value whose `Drop` touches loom, dropped only on the normal path
/// (see `tests/loom.rs`: a drop while loom unwinds from a failure would
/// abort the binary and hide the report).
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

fn config(capacity: Capacity, wait: WaitStrategy) -> MailboxConfig {
    MailboxConfig::new(capacity).wait(wait).slot_size(SLOT)
}

/// Two senders and the receiver of a fresh heap-backed mailbox.
fn ends(cfg: &MailboxConfig) -> (LeakOnUnwind<Sender>, LeakOnUnwind<Sender>, LeakOnUnwind<Receiver>) {
    let (senders, receiver) = local(cfg, 2).unwrap();
    let [a, b]: [Sender; 2] = senders.try_into().ok().unwrap();
    (LeakOnUnwind::new(a), LeakOnUnwind::new(b), LeakOnUnwind::new(receiver))
}

/// How many explored executions saw a sender and the receiver wait.
#[derive(Default)]
struct Coverage {
    executions: StdAtomicUsize,
    sender_waited: StdAtomicUsize,
    receiver_waited: StdAtomicUsize,
}

impl Coverage {
    fn record(&self, sender_waited: bool, receiver_waited: bool) {
        self.executions.fetch_add(1, StdOrdering::Relaxed);
        if sender_waited {
            self.sender_waited.fetch_add(1, StdOrdering::Relaxed);
        }
        if receiver_waited {
            self.receiver_waited.fetch_add(1, StdOrdering::Relaxed);
        }
    }

    /// Both directions of waiting were explored at least once.
    fn assert_both_waited(&self) {
        let executions = self.executions.load(StdOrdering::Relaxed);
        let senders = self.sender_waited.load(StdOrdering::Relaxed);
        let receiver = self.receiver_waited.load(StdOrdering::Relaxed);
        assert!(
            senders > 0 && receiver > 0,
            "of {executions} executions, a sender waited in {senders} and the receiver in {receiver}"
        );
    }
}

/// Sender `s`'s message `i`.
fn msg(s: u8, i: u8) -> [u8; 2] {
    [s, i]
}

/// Sender 0 and sender 1 each send `1..=n` (sender 1 abandons after, if
/// `abandon`); the receiver gets every message once, in each sender's
/// order, then the end the senders made.
fn stream(cfg: MailboxConfig, n: u8, abandon: bool, coverage: &Coverage) {
    let (mut a, mut b, mut receiver) = ends(&cfg);
    let first = thread::spawn(move || {
        for i in 1..=n {
            a.send(&msg(0, i)).unwrap();
        }
        a.stats().full_waits
    });
    let second = thread::spawn(move || {
        for i in 1..=n {
            b.send(&msg(1, i)).unwrap();
        }
        let waits = b.stats().full_waits;
        if abandon {
            b.0.take().expect("not unwinding").abandon();
        }
        waits
    });
    let mut next = [1u8; 2];
    let mut buf = [0u8; SLOT];
    for _ in 0..2 * n {
        let len = receiver.recv(&mut buf).unwrap();
        assert_eq!(len, 2);
        let (s, i) = (buf[0] as usize, buf[1]);
        assert!(s < 2, "message from sender {s}");
        assert_eq!(i, next[s], "sender {s}: expected message {}, got {i}", next[s]);
        next[s] += 1;
    }
    let end = receiver.recv(&mut buf);
    let waits = first.join().unwrap() + second.join().unwrap();
    if abandon {
        assert!(matches!(end, Err(RecvError::Abandoned)), "{end:?}");
    } else {
        assert!(matches!(end, Err(RecvError::Disconnected)), "{end:?}");
    }
    assert_eq!(receiver.stats().received, 2 * u64::from(n));
    coverage.record(waits > 0, receiver.stats().empty_waits > 0);
}

fn stream_model(capacity: Capacity, wait: WaitStrategy, n: u8) {
    let coverage = std::sync::Arc::new(Coverage::default());
    let seen = coverage.clone();
    model(move || stream(config(capacity, wait), n, false, &seen));
    coverage.assert_both_waited();
}

/// Rendezvous: after sender `s`'s `send(i)` returns, the receiver has
/// already run the closure that took it.
fn rendezvous(wait: WaitStrategy) {
    let (a, b, mut receiver) = ends(&config(Capacity::Rendezvous, wait));
    let taken = LeakOnUnwind::new(Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]));
    let spawn = |mut sender: LeakOnUnwind<Sender>, s: u8| {
        let seen = LeakOnUnwind::new(Arc::clone(&taken));
        thread::spawn(move || {
            sender.send(&msg(s, 1)).unwrap();
            let got = seen[s as usize].load(SeqCst);
            assert_eq!(got, 1, "sender {s}'s send returned before the receiver took it");
        })
    };
    let (first, second) = (spawn(a, 0), spawn(b, 1));
    for _ in 0..2 {
        receiver
            .recv_with(|m| {
                assert_eq!(m.len(), 2);
                assert!(m[0] < 2 && m[1] == 1, "message {m:?}");
                taken[m[0] as usize].store(1, SeqCst);
            })
            .unwrap();
    }
    assert!(matches!(receiver.recv_with(|_| ()), Err(RecvError::Disconnected)));
    first.join().unwrap();
    second.join().unwrap();
}

// 1. Bounded: every message once, in each sender's order, and no lost
// wake-up (the receiver asleep on empty, the senders asleep on full).

#[test]
fn block_bounded_1_two_senders_in_order_no_lost_wakeup() {
    stream_model(Capacity::Bounded(1), WaitStrategy::Block, 1);
}

#[test]
fn block_bounded_2_two_senders_in_order_no_lost_wakeup() {
    stream_model(Capacity::Bounded(2), WaitStrategy::Block, 2);
}

#[test]
fn spin_bounded_2_one_message_each_then_abandoned() {
    let coverage = Coverage::default();
    model(move || stream(config(Capacity::Bounded(2), WaitStrategy::Spin), 1, true, &coverage));
}

// 2. Rendezvous: a send returns only after its message was taken.

#[test]
fn block_rendezvous_send_returns_after_take() {
    model_bounded(1, || rendezvous(WaitStrategy::Block));
}
