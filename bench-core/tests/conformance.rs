//! The conformance suite: every transport, in every capacity mode, between
//! two real processes (threads for `crossbeam`, which is threads by design).
//!
//! For each transport (one module per transport below, so
//! `cargo test --test conformance -- unix_stream::` runs one):
//! - `integrity_{rendezvous,bounded,unbounded}`: a million messages of
//!   varying length (8 to 64 bytes), in the format every measured message
//!   has; the receiving child checks them with the checker every measured
//!   stream uses (`workload::MessageChecker`, at the length each message's
//!   number says), which counts lost, duplicated, reordered and corrupted
//!   ones (all must be zero), and must then see the clean end of the stream.
//! - `bounded_blocks_at_n`: with the receiver stalled, `try_send` takes
//!   exactly the realised capacity (retried after a refusal until it has:
//!   loopback TCP frees room in steps) and refuses the next; a blocking
//!   send then stays blocked until the receiver is released.
//! - `unbounded_never_blocks`: with the receiver stalled, many times any
//!   kernel buffer's worth of sends all return; everything arrives after.
//! - `rendezvous_waits_for_receipt`: with the receiver stalled, a send does
//!   not return; once the receiver is released, it does.
//! - `largest_message`: a message of exactly the channel's size arrives
//!   intact, one byte more is refused, and a size the kernel cannot carry is
//!   refused at creation with a message that names the limit.
//! - `receiver_death`, `sender_death`: `kill -9` of the peer surfaces as an
//!   error (never a hang, never a clean end).
//! - `abandoned_stream`: a sender that drops its end without `finish`, with
//!   no process watched, leaves the receiver every message it sent and then
//!   an error (peer gone or timeout), never the clean end.
//! - `sender_never_opens`: a receiver whose sender never comes times out.
//! - `many_senders`: on a transport that takes several senders
//!   ([`TransportKind::many_senders`]), in every capacity mode it accepts
//!   with three, three sender processes open the sending end from the
//!   address and send [`PER_SENDER`] tagged messages each
//!   (`workload::ProducerWriter`); the receiver checks each producer's
//!   stream (`workload::MailboxChecker`): all arrive, none lost, duplicated,
//!   reordered or corrupted, then the clean end, only after all three
//!   finished. A mode it refuses with several senders is refused with a
//!   reason; a transport that takes one sender refuses two, saying why.
//! - `many_senders_one_killed`: `kill -9` of one of three senders mid-stream
//!   is an error at the receiver (peer gone or timeout), never a hang or a
//!   clean end.
//! - every test checks afterwards that each IPC object the channel created
//!   is gone (`/dev/shm`, `/dev/mqueue`, `/proc/sysvipc/msg`, paths).
//!
//! "Stays blocked" is checked by a send on another thread that must not
//! have returned 200 ms later: a broken transport fails that check at once,
//! a slow machine can only make it pass. No other wait decides an outcome
//! (waits for progress are bounded by the watchdog alone), so no timing can
//! make a test flaky.
//! Tests are serialised (two pairs of busy processes on a two-core machine
//! measure nothing and test nothing better), and a watchdog turns a hang
//! into a failure.

#![cfg(not(loom))]

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bench_core::child::{self, Child, Launch};
use bench_core::pin::{available_cores, pin_current};
use bench_core::ring::{Capacity, Variant};
use bench_core::transport::objects::IpcObject;
use bench_core::transport::{
    Address, Channel, ChannelSpec, OpenOptions, Receiver, Role, Sender, TransportError, TransportKind,
};
use bench_core::workload::{Integrity, MailboxChecker, MessageChecker, MessageWriter, ProducerWriter};
use common::Watchdog;
use serde::{Deserialize, Serialize};
use vocabulary::MailboxDesign;

/// Messages per integrity test (`RINGSIDE_CONFORMANCE_MESSAGES` overrides).
const MESSAGES: u64 = 1_000_000;
/// Largest message of the integrity tests; lengths vary from 16 to this.
const SIZE: usize = 64;
/// The bound the capacity tests ask for (within every kernel's default limits).
const BOUND: usize = 8;
/// Where a child peer finds its end of the channel.
const ADDRESS: &str = "RINGSIDE_CONFORMANCE_ADDRESS";
/// How long a child peer may take to open its end; the watchdogs bound the rest.
const READY_WITHIN: Duration = Duration::from_secs(60);

static SERIAL: Mutex<()> = Mutex::new(());

fn messages() -> u64 {
    std::env::var("RINGSIDE_CONFORMANCE_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(MESSAGES)
}

/// What a receiver saw.
#[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Received {
    /// Received, lost, duplicated, reordered and corrupted messages, by
    /// the checker every measured stream uses (`sent` is left at 0).
    counts: Integrity,
    /// How the stream ended: "disconnected" (clean) or the error.
    end: String,
}

impl Received {
    /// Receive until the stream ends.
    fn drain(rx: &mut Receiver, size: usize, lengths: Lengths) -> Self {
        let mut checker = match lengths {
            Lengths::Varying => MessageChecker::varying(size),
            Lengths::Full => MessageChecker::new(size),
        };
        let mut buf = vec![0u8; size];
        let end = loop {
            match rx.recv(&mut buf) {
                Ok(n) => {
                    checker.check(&buf[..n]);
                }
                Err(e) if e.is_disconnected() => break "disconnected".to_owned(),
                Err(e) => break format!("error: {e}"),
            }
        };
        Received { counts: checker.counts(), end }
    }

    fn assert_all(&self, count: u64, what: &str) {
        let perfect =
            Received { counts: Integrity { received: count, ..Integrity::default() }, end: "disconnected".into() };
        assert_eq!(self, &perfect, "{what}: {}", self.counts.problems());
    }
}

/// What the peer on the other side of a test does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum PeerRole {
    /// Receive everything, report integrity.
    Receiver,
    /// The same, after the test's go.
    StalledReceiver,
    /// Send until killed.
    EndlessSender,
    /// Send [`ABANDONED_AFTER`] messages, then drop the sender without
    /// `finish` and exit.
    AbandoningSender,
    /// One of several senders: send `count` messages of `producer`'s tagged
    /// stream (`None`: until killed), then finish.
    TaggedSender {
        /// This sender's producer index.
        producer: u16,
        /// Messages to send, or `None` to send until killed.
        count: Option<u64>,
    },
}

/// Messages each sender of the many-senders tests sends.
const PER_SENDER: u64 = 2000;
/// Senders of the many-senders tests.
const SENDERS: usize = 3;
/// Message size of the many-senders tests (every message exactly this).
const TAGGED_SIZE: usize = 64;

/// Messages an abandoning sender sends before it drops its end.
const ABANDONED_AFTER: u64 = 100;

/// How long the messages of a test are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Lengths {
    /// From 8 bytes to the channel's size, as [`MessageWriter::varying_message`] composes them.
    Varying,
    /// All of the channel's size: for the capacity tests, whose bound counts
    /// messages of that size (shorter ones may fit more).
    Full,
}

/// A child peer's job.
#[derive(Debug, Serialize, Deserialize)]
struct PeerJob {
    role: PeerRole,
    lengths: Lengths,
    /// The core to pin to, if any.
    core: Option<usize>,
}

/// Entry point of the child process; a no-op when run as an ordinary test.
#[test]
fn child_entry() {
    let Some(job) = child::job::<PeerJob>() else { return };
    if let Some(core) = job.core {
        pin_current(core).expect("child pin");
    }
    let address: Address = std::env::var(ADDRESS).expect("address").parse().expect("an address");
    let opts = OpenOptions { peer: Some(std::os::unix::process::parent_id()), timeout: Duration::from_secs(20) };
    let size = address.spec().message_size;
    let code = match job.role {
        PeerRole::Receiver | PeerRole::StalledReceiver => {
            let mut rx = address.open::<Receiver>(&opts).expect("child open receiver");
            child::ready().expect("report ready");
            if job.role == PeerRole::StalledReceiver {
                child::wait_for_go::<()>().expect("the test's go");
            }
            child::report(&Received::drain(&mut rx, size, job.lengths)).expect("report");
            0
        }
        PeerRole::EndlessSender => {
            let mut tx = address.open::<Sender>(&opts).expect("child open sender");
            child::ready().expect("report ready");
            let (writer, mut out) = (MessageWriter::new(size), Vec::new());
            for seq in 0.. {
                if tx.send(writer.varying_message(seq, &mut out)).is_err() {
                    std::process::exit(5);
                }
            }
            0
        }
        PeerRole::AbandoningSender => {
            let mut tx = address.open::<Sender>(&opts).expect("child open sender");
            child::ready().expect("report ready");
            let (writer, mut out) = (MessageWriter::new(size), Vec::new());
            for seq in 0..ABANDONED_AFTER {
                tx.send(writer.varying_message(seq, &mut out)).expect("send before abandoning");
            }
            drop(tx);
            0
        }
        PeerRole::TaggedSender { producer, count } => {
            let mut tx = address.open::<Sender>(&opts).expect("child open sender");
            child::ready().expect("report ready");
            let mut writer = ProducerWriter::new(size, producer);
            for seq in 0..count.unwrap_or(u64::MAX) {
                if let Err(e) = tx.send(writer.message(seq)) {
                    eprintln!("sender {producer}: send {seq}: {e}");
                    std::process::exit(5);
                }
            }
            match tx.finish() {
                Ok(_) => 0,
                Err(e) => {
                    eprintln!("sender {producer}: finish: {e}");
                    6
                }
            }
        }
    };
    std::process::exit(code);
}

/// The other side of a test: a child process, or a thread for `crossbeam`.
enum Peer {
    Process(Child),
    Thread(std::thread::JoinHandle<Received>, std::sync::mpsc::Sender<()>),
}

impl Peer {
    /// Spawn the peer that opens `role` of `chan` as `peer`; stalled receivers wait for [`go`](Self::go).
    fn spawn(chan: &mut Channel, role: Role, peer: PeerRole, lengths: Lengths, core: Option<usize>) -> Peer {
        if chan.spec().kind.is_threads() {
            assert_eq!(role, Role::Receiver, "thread peers receive only");
            let mut rx = chan.open_receiver(&OpenOptions::default()).expect("open receiver");
            let size = chan.spec().message_size;
            let (go_tx, go_rx) = std::sync::mpsc::channel();
            let stalled = peer == PeerRole::StalledReceiver;
            let handle = std::thread::spawn(move || {
                if let Some(c) = core {
                    pin_current(c).unwrap();
                }
                if stalled {
                    let _ = go_rx.recv();
                }
                Received::drain(&mut rx, size, lengths)
            });
            return Peer::Thread(handle, go_tx);
        }
        let job = PeerJob { role: peer, lengths, core };
        let mut launch = Launch::new(format!("{peer:?} peer"), &job).expect("a job").in_test("child_entry");
        chan.configure_child(role, &mut launch, ADDRESS);
        let mut child = launch.spawn().expect("spawn child");
        chan.handed_over(role);
        child.wait_ready(READY_WITHIN).expect("the peer opens its end");
        Peer::Process(child)
    }

    fn pid(&self) -> Option<u32> {
        match self {
            Peer::Process(child) => Some(child.pid()),
            Peer::Thread(..) => None,
        }
    }

    /// Release a stalled receiver.
    fn go(&mut self) {
        match self {
            Peer::Process(child) => child.go(&()).expect("the go"),
            Peer::Thread(_, go) => go.send(()).unwrap(),
        }
    }

    /// The receiver's report, once it has seen the end of the stream (and exited cleanly).
    fn result(self) -> Received {
        match self {
            Peer::Process(child) => child.finish(Duration::from_secs(600)).expect("the receiver's report"),
            Peer::Thread(handle, _) => handle.join().unwrap(),
        }
    }

    /// Kill a process peer (`SIGKILL`); it is reaped when dropped.
    fn kill(&mut self) {
        let Peer::Process(child) = self else { panic!("threads cannot be killed") };
        child.kill();
    }
}

fn create(kind: TransportKind, capacity: Capacity, size: usize) -> Channel {
    Channel::create(&ChannelSpec::new(kind, capacity, size).timeout(Duration::from_secs(20)))
        .unwrap_or_else(|e| panic!("{kind} {capacity}: {e}"))
}

fn assert_removed(objects: &[IpcObject], what: &str) {
    let left: Vec<String> = objects.iter().filter(|o| o.exists()).map(|o| o.to_string()).collect();
    assert!(left.is_empty(), "{what}: left behind {left:?}");
}

/// Open the sender in this process, watching `peer`.
fn sender(chan: &mut Channel, peer: &Peer) -> Sender {
    chan.open_sender(&OpenOptions { peer: peer.pid(), timeout: Duration::from_secs(20) }).expect("open sender")
}

fn integrity(kind: TransportKind, capacity: Capacity) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let count = messages();
    let what = format!("{kind} {capacity}, {count} messages");
    let _dog = Watchdog::new(what.clone(), 600);
    // Rendezvous costs a wake-up per message; on one core it is a few
    // microseconds, across the cores of a VM tens: pin both to one core.
    // Not a transport that polls: on one core each message would wait for
    // the other side's time slice (iceoryx2 took 67-97 s here, pinned).
    let core = (capacity == Capacity::Rendezvous && !kind.polls()).then(|| *available_cores().last().unwrap());
    let mut chan = create(kind, capacity, SIZE);
    let objects = chan.objects();
    let peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::Receiver, Lengths::Varying, core);
    let mut tx = sender(&mut chan, &peer);
    // Sent from a thread of its own, so pinning it leaves the test runner's threads alone.
    let stats = std::thread::scope(|s| {
        s.spawn(|| {
            if let Some(c) = core {
                pin_current(c).unwrap();
            }
            let (writer, mut out) = (MessageWriter::new(SIZE), Vec::new());
            for seq in 0..count {
                tx.send(writer.varying_message(seq, &mut out)).unwrap_or_else(|e| panic!("{what}: send {seq}: {e}"));
            }
            tx.finish().unwrap_or_else(|e| panic!("{what}: finish: {e}"))
        })
        .join()
        .unwrap()
    });
    assert_eq!(stats.sent, count);
    if capacity == Capacity::Rendezvous && kind.is_kernel() {
        assert_eq!(stats.acks, count, "{what}: every rendezvous send waited for its acknowledgement");
    }
    peer.result().assert_all(count, &what);
    drop(chan);
    assert_removed(&objects, &what);
}

/// Whether `send` on another thread is still blocked 200 ms after it began.
/// Returns the thread to join once the receiver is released.
fn blocked_send(mut tx: Sender, msg: Vec<u8>) -> (bool, std::thread::JoinHandle<Sender>) {
    let returned = std::sync::Arc::new(AtomicBool::new(false));
    let flag = returned.clone();
    let handle = std::thread::spawn(move || {
        tx.send(&msg).expect("blocked send");
        flag.store(true, Ordering::SeqCst);
        tx
    });
    std::thread::sleep(Duration::from_millis(200));
    (!returned.load(Ordering::SeqCst), handle)
}

fn bounded_blocks_at_n(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} bounded:{BOUND}");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Bounded(BOUND), 16);
    let objects = chan.objects();
    let realised = chan.realised().messages.expect("a bounded channel has a realised capacity");
    assert!(realised >= BOUND as u64, "{what}: realised {realised} is less than asked");
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, Lengths::Full, None);
    let mut tx = sender(&mut chan, &peer);
    let mut writer = MessageWriter::new(16);
    // Fill until the channel has taken its realised capacity, waiting
    // between refusals: loopback TCP frees room in steps as delayed
    // acknowledgements arrive, so its first refusal can come early. A
    // channel that never takes that much fails by the watchdog; a slow
    // machine only makes this wait longer.
    let mut taken = 0;
    while taken < realised {
        if tx.try_send(writer.message(taken)).unwrap() {
            taken += 1;
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert!(!tx.try_send(writer.message(taken)).unwrap(), "{what}: took more than the realised {realised}");
    let (blocked, handle) = blocked_send(tx, writer.message(taken).to_vec());
    assert!(blocked, "{what}: a send into a full channel returned while nobody received");
    peer.go();
    let tx = handle.join().unwrap();
    tx.finish().unwrap();
    peer.result().assert_all(realised + 1, &what);
    drop(chan);
    assert_removed(&objects, &what);
}

fn unbounded_never_blocks(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} unbounded");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Unbounded, SIZE);
    let objects = chan.objects();
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, Lengths::Varying, None);
    let mut tx = sender(&mut chan, &peer);
    // 200k messages of up to 64 bytes: far beyond any default kernel buffer.
    let count = 200_000;
    let (writer, mut out) = (MessageWriter::new(SIZE), Vec::new());
    for seq in 0..count {
        tx.send(writer.varying_message(seq, &mut out)).unwrap_or_else(|e| panic!("{what}: send {seq}: {e}"));
    }
    // Every send returned while the receiver read nothing.
    if kind.is_kernel() || matches!(kind, TransportKind::EventfdShm | TransportKind::ShmMailbox(_)) {
        assert!(tx.stats().spilled > 0, "{what}: the kernel took 200k messages without spilling?");
    }
    peer.go();
    tx.finish().unwrap();
    peer.result().assert_all(count, &what);
    drop(chan);
    assert_removed(&objects, &what);
}

fn rendezvous_waits_for_receipt(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} rendezvous");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Rendezvous, 16);
    let objects = chan.objects();
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, Lengths::Varying, None);
    let tx = sender(&mut chan, &peer);
    let (writer, mut out) = (MessageWriter::new(16), Vec::new());
    let (blocked, handle) = blocked_send(tx, writer.varying_message(0, &mut out).to_vec());
    assert!(blocked, "{what}: send returned before the receiver took the message");
    peer.go();
    let mut tx = handle.join().unwrap();
    for seq in 1..100 {
        tx.send(writer.varying_message(seq, &mut out)).unwrap();
    }
    tx.finish().unwrap();
    peer.result().assert_all(100, &what);
    drop(chan);
    assert_removed(&objects, &what);
}

fn largest_message(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} largest message");
    let _dog = Watchdog::new(what.clone(), 120);
    // 8 KiB, two of them: within every kernel's default limits (SysV msgmax
    // and POSIX msgsize_max are 8192, SysV msgmnb 16384 bytes per queue).
    let size = 8192;
    let mut chan = create(kind, Capacity::Bounded(2), size);
    let objects = chan.objects();
    let peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::Receiver, Lengths::Varying, None);
    let mut tx = sender(&mut chan, &peer);
    // Message 0 is exactly the channel's size; the next two are shorter.
    let (writer, mut out) = (MessageWriter::new(size), Vec::new());
    for seq in 0..3 {
        tx.send(writer.varying_message(seq, &mut out)).unwrap();
    }
    match tx.send(&vec![0u8; size + 1]) {
        Err(TransportError::TooLarge { max, .. }) => assert_eq!(max, size),
        other => panic!("{what}: a message one byte too large gave {other:?}"),
    }
    assert!(matches!(tx.send(&[]), Err(TransportError::Empty)));
    tx.finish().unwrap();
    peer.result().assert_all(3, &what);
    drop(chan);
    assert_removed(&objects, &what);
    // A size no kernel queue carries is refused at creation, naming the limit.
    let huge = 64 << 20;
    match Channel::create(&ChannelSpec::new(kind, Capacity::Bounded(1), huge)) {
        Ok(chan) => drop(chan), // crossbeam carries any size in memory
        Err(e) => {
            let text = e.to_string();
            assert!(
                ["max", "limit", "/proc", "range"].iter().any(|w| text.contains(w)),
                "{what}: refusal of {huge} bytes does not name the limit: {text}"
            );
        }
    }
}

fn receiver_death(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} receiver killed");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Bounded(BOUND), 16);
    let objects = chan.objects();
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, Lengths::Varying, None);
    let mut tx = sender(&mut chan, &peer);
    peer.kill();
    let (writer, mut out) = (MessageWriter::new(16), Vec::new());
    let mut result = Ok(());
    for seq in 0..100_000 {
        result = tx.send(writer.varying_message(seq, &mut out));
        if result.is_err() {
            break;
        }
    }
    let result = result.and_then(|()| tx.finish().map(|_| ()));
    match result {
        Err(TransportError::PeerGone(_) | TransportError::Timeout(_)) => {}
        other => panic!("{what}: sending to a dead receiver gave {other:?}"),
    }
    drop(peer);
    drop(chan);
    assert_removed(&objects, &what);
}

fn sender_death(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} sender killed");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Bounded(BOUND), 16);
    let objects = chan.objects();
    let mut peer = Peer::spawn(&mut chan, Role::Sender, PeerRole::EndlessSender, Lengths::Varying, None);
    let mut rx =
        chan.open_receiver(&OpenOptions { peer: peer.pid(), timeout: Duration::from_secs(20) }).expect("open receiver");
    let mut buf = [0u8; 16];
    for _ in 0..100 {
        rx.recv(&mut buf).unwrap_or_else(|e| panic!("{what}: receiving from a live sender: {e}"));
    }
    peer.kill();
    let end = loop {
        if let Err(e) = rx.recv(&mut buf) {
            break e;
        }
    };
    assert!(
        matches!(end, TransportError::PeerGone(_) | TransportError::Timeout(_)),
        "{what}: a killed sender read as {end:?}"
    );
    drop(peer);
    drop(chan);
    assert_removed(&objects, &what);
}

/// A sender that drops its end without `finish`, with no process watched
/// (so only the transport can tell): the receiver gets every message it
/// sent, then an error, never the clean end of a finished stream.
fn abandoned_stream(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} sender dropped without finish");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Bounded(BOUND), 16);
    let objects = chan.objects();
    let opts = OpenOptions { peer: None, timeout: Duration::from_secs(2) };
    let (mut rx, peer) = if kind.is_threads() {
        let rx = chan.open_receiver(&opts).expect("open receiver");
        let mut tx = chan.open_sender(&opts).expect("open sender");
        // A thread of its own, as a process would be: the bound is smaller than the count.
        std::thread::spawn(move || {
            let (writer, mut out) = (MessageWriter::new(16), Vec::new());
            for seq in 0..ABANDONED_AFTER {
                tx.send(writer.varying_message(seq, &mut out)).expect("send before abandoning");
            }
        });
        (rx, None)
    } else {
        let peer = Peer::spawn(&mut chan, Role::Sender, PeerRole::AbandoningSender, Lengths::Varying, None);
        (chan.open_receiver(&opts).expect("open receiver"), Some(peer))
    };
    let (mut checker, mut buf) = (MessageChecker::varying(16), [0u8; 16]);
    let end = loop {
        match rx.recv(&mut buf) {
            Ok(n) => {
                checker.check(&buf[..n]);
            }
            Err(e) => break e,
        }
    };
    assert_eq!(checker.counts(), Integrity { received: ABANDONED_AFTER, ..Integrity::default() }, "{what}");
    assert!(
        matches!(end, TransportError::PeerGone(_) | TransportError::Timeout(_)),
        "{what}: the stream ended as {end:?}, not as a peer gone or a timeout"
    );
    drop((rx, peer));
    drop(chan);
    assert_removed(&objects, &what);
}

/// A receiver whose sender never opens: a timeout, at open or at the
/// first receive, never a hang or a clean end.
fn sender_never_opens(kind: TransportKind) {
    if kind == TransportKind::Pipe {
        // The write end exists from creation (this process holds it until it
        // is handed over), and the receive is one blocking read(2), the
        // fastest wait a pipe has: it cannot time out (see the contract in
        // `transport`); in a run the supervisor's stall check kills both sides.
        return;
    }
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} sender never opens");
    let _dog = Watchdog::new(what.clone(), 120);
    let mut chan = create(kind, Capacity::Bounded(BOUND), 16);
    let objects = chan.objects();
    let opts = OpenOptions { peer: None, timeout: Duration::from_millis(300) };
    let mut buf = [0u8; 16];
    let result = chan.open_receiver(&opts).and_then(|mut rx| rx.recv(&mut buf));
    assert!(matches!(result, Err(TransportError::Timeout(_))), "{what}: gave {result:?}");
    drop(chan);
    assert_removed(&objects, &what);
}

/// Spawn the sender processes of a many-senders test, each opening the
/// sending end of `chan` from its address; `count(producer)` says how many
/// messages each sends (`None`: until killed).
fn spawn_senders(chan: &mut Channel, count: impl Fn(u16) -> Option<u64>) -> Vec<Child> {
    let mut children = Vec::new();
    for producer in 0..SENDERS as u16 {
        let job = PeerJob {
            role: PeerRole::TaggedSender { producer, count: count(producer) },
            lengths: Lengths::Full,
            core: None,
        };
        let mut launch = Launch::new(format!("sender {producer}"), &job).expect("a job").in_test("child_entry");
        chan.configure_child(Role::Sender, &mut launch, ADDRESS);
        children.push(launch.spawn().expect("spawn sender"));
    }
    chan.handed_over(Role::Sender);
    for child in &mut children {
        child.wait_ready(READY_WITHIN).expect("the sender opens its end");
    }
    children
}

/// Receive from several tagged senders until the stream ends: each
/// producer's counts, the messages no producer's tag named, and the end.
fn drain_tagged(rx: &mut Receiver) -> (Vec<Integrity>, u64, Result<(), TransportError>) {
    let mut checker = MailboxChecker::new(TAGGED_SIZE, SENDERS);
    let mut buf = [0u8; TAGGED_SIZE];
    let end = loop {
        match rx.recv(&mut buf) {
            Ok(n) => {
                checker.check(&buf[..n]);
            }
            Err(e) if e.is_disconnected() => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    (checker.per_producer(), checker.unattributed(), end)
}

/// Three sender processes, one receiver, every capacity mode the transport
/// accepts with three senders; or, on a transport that takes one sender,
/// the refusal of two.
fn many_senders(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let _dog = Watchdog::new(format!("{kind} with {SENDERS} senders"), 300);
    if let Err(why) = kind.many_senders() {
        let spec = ChannelSpec::new(kind, Capacity::Bounded(BOUND), 16).senders(2);
        match Channel::create(&spec) {
            Err(TransportError::Refused(text)) => assert!(text.contains(why), "{kind}: refused for {text}"),
            Err(e) => panic!("{kind} with 2 senders: expected a refusal, got {e}"),
            Ok(_) => panic!("{kind} with 2 senders: expected a refusal, got a channel"),
        }
        return;
    }
    for capacity in [Capacity::Bounded(BOUND), Capacity::Unbounded, Capacity::Rendezvous] {
        let what = format!("{kind} {capacity} with {SENDERS} senders");
        let spec = ChannelSpec::new(kind, capacity, TAGGED_SIZE).timeout(Duration::from_secs(20)).senders(SENDERS);
        let mut chan = match Channel::create(&spec) {
            Ok(chan) => chan,
            Err(TransportError::Refused(why)) => {
                // Only a kernel rendezvous (acknowledged to its one sender) is refused.
                assert!(capacity == Capacity::Rendezvous && kind.is_kernel(), "{what}: refused: {why}");
                assert!(why.contains("senders"), "{what}: the refusal does not say why: {why}");
                continue;
            }
            Err(e) => panic!("{what}: {e}"),
        };
        let objects = chan.objects();
        let opts = OpenOptions { peer: None, timeout: Duration::from_secs(20) };
        let mut rx = chan.open_receiver(&opts).unwrap_or_else(|e| panic!("{what}: open receiver: {e}"));
        let children = spawn_senders(&mut chan, |_| Some(PER_SENDER));
        let (per_producer, unattributed, end) = drain_tagged(&mut rx);
        let perfect = Integrity { received: PER_SENDER, ..Integrity::default() };
        for (producer, counts) in per_producer.iter().enumerate() {
            assert_eq!(counts, &perfect, "{what}: producer {producer}: {}", counts.problems());
        }
        assert_eq!(unattributed, 0, "{what}: messages no producer sent");
        assert!(end.is_ok(), "{what}: the stream ended as {end:?}");
        assert_eq!(rx.finished_senders(), SENDERS, "{what}");
        for mut child in children {
            let status = child.wait().unwrap_or_else(|e| panic!("{what}: waiting for a sender: {e}"));
            assert!(status.success(), "{what}: a sender failed ({status}): {:?}", child.stderr_tail());
        }
        drop((rx, chan));
        assert_removed(&objects, &what);
    }
}

/// `kill -9` of one of three senders mid-stream: the receiver gets an
/// error (the peer gone, or its timeout), never the clean end, never a hang.
fn many_senders_one_killed(kind: TransportKind) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let what = format!("{kind} with one of {SENDERS} senders killed");
    let _dog = Watchdog::new(what.clone(), 120);
    let spec =
        ChannelSpec::new(kind, Capacity::Bounded(BOUND), TAGGED_SIZE).timeout(Duration::from_secs(2)).senders(SENDERS);
    let mut chan = Channel::create(&spec).unwrap_or_else(|e| panic!("{what}: {e}"));
    let objects = chan.objects();
    let opts = OpenOptions { peer: None, timeout: Duration::from_secs(2) };
    let mut rx = chan.open_receiver(&opts).unwrap_or_else(|e| panic!("{what}: open receiver: {e}"));
    // Sender 0 sends until killed; the others finish.
    let mut children = spawn_senders(&mut chan, |producer| (producer != 0).then_some(PER_SENDER));
    let (mut checker, mut buf) = (MailboxChecker::new(TAGGED_SIZE, SENDERS), [0u8; TAGGED_SIZE]);
    let mut from_victim = 0;
    let end = loop {
        match rx.recv(&mut buf) {
            Ok(n) => {
                if let Some(arrival) = checker.check(&buf[..n])
                    && arrival.producer == 0
                {
                    from_victim += 1;
                    if from_victim == 100 {
                        children[0].kill();
                    }
                }
            }
            Err(e) => break e,
        }
    };
    assert!(from_victim >= 100, "{what}: the stream ended before the victim sent 100 messages: {end:?}");
    assert!(
        matches!(end, TransportError::PeerGone(_) | TransportError::Timeout(_)),
        "{what}: the stream ended as {end:?}, not as a peer gone or a timeout"
    );
    drop((rx, children));
    drop(chan);
    assert_removed(&objects, &what);
}

macro_rules! conformance {
    ($($module:ident => $kind:expr),+ $(,)?) => {$(
        mod $module {
            use super::*;

            #[test]
            fn integrity_rendezvous() {
                integrity($kind, Capacity::Rendezvous);
            }

            #[test]
            fn integrity_bounded() {
                integrity($kind, Capacity::Bounded(BOUND));
            }

            #[test]
            fn integrity_unbounded() {
                integrity($kind, Capacity::Unbounded);
            }

            #[test]
            fn bounded_blocks_at_n() {
                super::bounded_blocks_at_n($kind);
            }

            #[test]
            fn unbounded_never_blocks() {
                super::unbounded_never_blocks($kind);
            }

            #[test]
            fn rendezvous_waits_for_receipt() {
                super::rendezvous_waits_for_receipt($kind);
            }

            #[test]
            fn largest_message() {
                super::largest_message($kind);
            }

            #[test]
            fn receiver_death() {
                if !$kind.is_threads() {
                    super::receiver_death($kind);
                }
            }

            #[test]
            fn sender_death() {
                if !$kind.is_threads() {
                    super::sender_death($kind);
                }
            }

            #[test]
            fn abandoned_stream() {
                super::abandoned_stream($kind);
            }

            #[test]
            fn sender_never_opens() {
                super::sender_never_opens($kind);
            }

            #[test]
            fn many_senders() {
                super::many_senders($kind);
            }

            #[test]
            fn many_senders_one_killed() {
                if $kind.many_senders().is_ok() {
                    super::many_senders_one_killed($kind);
                }
            }
        }
    )+};
}

conformance! {
    shm_ring => TransportKind::ShmRing(Variant::Ring),
    shm_ring_padded => TransportKind::ShmRing(Variant::Padded),
    shm_ring_textbook => TransportKind::ShmRing(Variant::Textbook),
    pipe => TransportKind::Pipe,
    fifo => TransportKind::Fifo,
    unix_stream => TransportKind::UnixStream,
    unix_dgram => TransportKind::UnixDgram,
    unix_seqpacket => TransportKind::UnixSeqpacket,
    tcp => TransportKind::Tcp,
    posix_mq => TransportKind::PosixMq,
    sysv_mq => TransportKind::SysvMq,
    eventfd_shm => TransportKind::EventfdShm,
    shm_mailbox => TransportKind::ShmMailbox(MailboxDesign::LockFree),
    shm_mailbox_mutex => TransportKind::ShmMailbox(MailboxDesign::Mutex),
    iceoryx2 => TransportKind::Iceoryx2,
    crossbeam => TransportKind::Crossbeam,
}

/// Every transport has a module above.
#[test]
fn every_transport_is_covered() {
    let source = include_str!("conformance.rs");
    for kind in TransportKind::ALL {
        let module = kind.name().replace(['-', ':'], "_");
        assert!(source.contains(&format!("    {module} => TransportKind::")), "no conformance module for {kind}");
    }
}
