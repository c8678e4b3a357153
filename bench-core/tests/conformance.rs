//! The conformance suite: every transport, in every capacity mode, between
//! two real processes (threads for `crossbeam`, which is threads by design).
//!
//! For each transport (one module per transport below, so
//! `cargo test --test conformance -- unix_stream::` runs one):
//! - `integrity_{rendezvous,bounded,unbounded}`: a million messages of
//!   varying length, each carrying its sequence number and a checksum; the
//!   receiving child counts lost, duplicated, reordered and corrupted ones
//!   (all must be zero) and must then see the clean end of the stream.
//! - `bounded_blocks_at_n`: with the receiver stalled, `try_send` takes
//!   exactly the realised capacity and refuses the next; a blocking send then
//!   stays blocked until the receiver is released.
//! - `unbounded_never_blocks`: with the receiver stalled, many times any
//!   kernel buffer's worth of sends all return; everything arrives after.
//! - `rendezvous_waits_for_receipt`: with the receiver stalled, a send does
//!   not return; once the receiver is released, it does.
//! - `largest_message`: a message of exactly the channel's size arrives
//!   intact, one byte more is refused, and a size the kernel cannot carry is
//!   refused at creation with a message that names the limit.
//! - `receiver_death`, `sender_death`: `kill -9` of the peer surfaces as an
//!   error (never a hang, never a clean end).
//! - every test checks afterwards that each IPC object the channel created
//!   is gone (`/dev/shm`, `/dev/mqueue`, `/proc/sysvipc/msg`, paths).
//!
//! "Stays blocked" is checked by a send on another thread that must not
//! have returned 200 ms later: a broken transport fails that check at once,
//! a slow machine can only make it pass, so no timing can make it flaky.
//! Tests are serialised (two pairs of busy processes on a two-core machine
//! measure nothing and test nothing better), and a watchdog turns a hang
//! into a failure.

#![cfg(not(loom))]

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bench_core::child::{self, Child, Launch};
use bench_core::pin::{available_cores, pin_current};
use bench_core::ring::{Capacity, Variant};
use bench_core::transport::objects::IpcObject;
use bench_core::transport::{
    Channel, ChannelSpec, OpenOptions, Receiver, Role, Sender, TransportError, TransportKind, open_receiver,
    open_sender,
};
use serde::{Deserialize, Serialize};

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

fn checksum(seq: u64, len: usize) -> u64 {
    // splitmix64 of the sequence number and the length.
    let mut z = (seq ^ ((len as u64) << 48)).wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn len_of(seq: u64, size: usize) -> usize {
    if size <= 16 { size } else { 16 + (seq as usize * 7) % (size - 15) }
}

/// Message `seq`: its sequence number, a checksum, then filler derived from both.
fn message(seq: u64, size: usize, buf: &mut [u8]) -> usize {
    let len = len_of(seq, size);
    buf[..8].copy_from_slice(&seq.to_le_bytes());
    buf[8..16].copy_from_slice(&checksum(seq, len).to_le_bytes());
    for (i, b) in buf[16..len].iter_mut().enumerate() {
        *b = (seq as u8).wrapping_add(i as u8);
    }
    len
}

/// What a receiver saw.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Integrity {
    received: u64,
    lost: u64,
    duplicated: u64,
    reordered: u64,
    corrupted: u64,
    /// How the stream ended: "disconnected" (clean) or the error.
    end: String,
}

impl Integrity {
    fn check(&mut self, expected: &mut u64, msg: &[u8]) {
        self.received += 1;
        if msg.len() < 16 {
            self.corrupted += 1;
            return;
        }
        let seq = u64::from_le_bytes(msg[..8].try_into().unwrap());
        let intact = u64::from_le_bytes(msg[8..16].try_into().unwrap()) == checksum(seq, msg.len())
            && msg[16..].iter().enumerate().all(|(i, &b)| b == (seq as u8).wrapping_add(i as u8));
        if !intact {
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

    /// Receive until the stream ends.
    fn drain(rx: &mut Receiver, size: usize) -> Self {
        let mut seen = Integrity::default();
        let mut expected = 0;
        let mut buf = vec![0u8; size];
        loop {
            match rx.recv(&mut buf) {
                Ok(n) => seen.check(&mut expected, &buf[..n]),
                Err(e) if e.is_disconnected() => {
                    seen.end = "disconnected".into();
                    break;
                }
                Err(e) => {
                    seen.end = format!("error: {e}");
                    break;
                }
            }
        }
        seen
    }

    fn assert_all(&self, count: u64, what: &str) {
        let perfect = Integrity { received: count, end: "disconnected".into(), ..Integrity::default() };
        assert_eq!(self, &perfect, "{what}");
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
}

/// A child peer's job.
#[derive(Debug, Serialize, Deserialize)]
struct PeerJob {
    role: PeerRole,
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
    let address = std::env::var(ADDRESS).expect("address");
    let opts = OpenOptions { peer: Some(std::os::unix::process::parent_id()), timeout: Duration::from_secs(20) };
    let size: usize = address.split(';').find_map(|p| p.strip_prefix("size=")).unwrap().parse().unwrap();
    let code = match job.role {
        PeerRole::Receiver | PeerRole::StalledReceiver => {
            let mut rx = open_receiver(&address, &opts).expect("child open receiver");
            child::ready().expect("report ready");
            if job.role == PeerRole::StalledReceiver {
                child::wait_for_go::<()>().expect("the test's go");
            }
            child::report(&Integrity::drain(&mut rx, size)).expect("report");
            0
        }
        PeerRole::EndlessSender => {
            let mut tx = open_sender(&address, &opts).expect("child open sender");
            child::ready().expect("report ready");
            let mut buf = vec![0u8; size];
            for seq in 0.. {
                let n = message(seq, size, &mut buf);
                if tx.send(&buf[..n]).is_err() {
                    std::process::exit(5);
                }
            }
            0
        }
    };
    std::process::exit(code);
}

/// The other side of a test: a child process, or a thread for `crossbeam`.
enum Peer {
    Process(Child),
    Thread(std::thread::JoinHandle<Integrity>, std::sync::mpsc::Sender<()>),
}

impl Peer {
    /// Spawn the peer that opens `role` of `chan` as `peer`; stalled receivers wait for [`go`](Self::go).
    fn spawn(chan: &mut Channel, role: Role, peer: PeerRole, core: Option<usize>) -> Peer {
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
                Integrity::drain(&mut rx, size)
            });
            return Peer::Thread(handle, go_tx);
        }
        let job = PeerJob { role: peer, core };
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
    fn result(self) -> Integrity {
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

/// Abort the whole test binary if `what` takes longer than `secs`: a hang
/// becomes a failure with a message instead of a stuck CI job.
struct Watchdog(std::sync::Arc<AtomicBool>);

impl Watchdog {
    fn new(what: String, secs: u64) -> Self {
        let done = std::sync::Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        std::thread::spawn(move || {
            for _ in 0..secs * 10 {
                std::thread::sleep(Duration::from_millis(100));
                if flag.load(Ordering::Relaxed) {
                    return;
                }
            }
            eprintln!("conformance: {what} hung for {secs} s");
            std::process::abort();
        });
        Watchdog(done)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
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
    let core = (capacity == Capacity::Rendezvous).then(|| *available_cores().last().unwrap());
    let mut chan = create(kind, capacity, SIZE);
    let objects = chan.objects();
    let peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::Receiver, core);
    let mut tx = sender(&mut chan, &peer);
    // Sent from a thread of its own, so pinning it leaves the test runner's threads alone.
    let stats = std::thread::scope(|s| {
        s.spawn(|| {
            if let Some(c) = core {
                pin_current(c).unwrap();
            }
            let mut buf = [0u8; SIZE];
            for seq in 0..count {
                let n = message(seq, SIZE, &mut buf);
                tx.send(&buf[..n]).unwrap_or_else(|e| panic!("{what}: send {seq}: {e}"));
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
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, None);
    let mut tx = sender(&mut chan, &peer);
    let mut buf = [0u8; 16];
    // Fill until the channel has refused every send for 400 ms: loopback TCP
    // frees room in steps as delayed acknowledgements arrive, so its first
    // refusal is not yet the capacity it settles at (and measured).
    let mut taken = 0;
    let mut refused_since = None;
    loop {
        let n = message(taken, 16, &mut buf);
        if tx.try_send(&buf[..n]).unwrap() {
            taken += 1;
            refused_since = None;
            assert!(taken <= realised, "{what}: took more than the realised {realised}");
        } else if refused_since.get_or_insert_with(std::time::Instant::now).elapsed() > Duration::from_millis(400) {
            break;
        } else {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    assert_eq!(taken, realised, "{what}: try_send refused before the realised capacity");
    let n = message(taken, 16, &mut buf);
    let (blocked, handle) = blocked_send(tx, buf[..n].to_vec());
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
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, None);
    let mut tx = sender(&mut chan, &peer);
    // 200k messages of up to 64 bytes: far beyond any default kernel buffer.
    let count = 200_000;
    let mut buf = [0u8; SIZE];
    for seq in 0..count {
        let n = message(seq, SIZE, &mut buf);
        tx.send(&buf[..n]).unwrap_or_else(|e| panic!("{what}: send {seq}: {e}"));
    }
    // Every send returned while the receiver read nothing.
    if kind.is_kernel() || kind == TransportKind::EventfdShm {
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
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, None);
    let tx = sender(&mut chan, &peer);
    let mut buf = [0u8; 16];
    let n = message(0, 16, &mut buf);
    let (blocked, handle) = blocked_send(tx, buf[..n].to_vec());
    assert!(blocked, "{what}: send returned before the receiver took the message");
    peer.go();
    let mut tx = handle.join().unwrap();
    for seq in 1..100 {
        let n = message(seq, 16, &mut buf);
        tx.send(&buf[..n]).unwrap();
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
    let peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::Receiver, None);
    let mut tx = sender(&mut chan, &peer);
    let mut buf = vec![0u8; size + 1];
    for seq in 0..3 {
        let n = message(seq, 16, &mut buf);
        tx.send(&buf[..n]).unwrap();
    }
    // Message 3 is exactly the channel's size.
    buf[..8].copy_from_slice(&3u64.to_le_bytes());
    buf[8..16].copy_from_slice(&checksum(3, size).to_le_bytes());
    for (i, b) in buf[16..size].iter_mut().enumerate() {
        *b = 3u8.wrapping_add(i as u8);
    }
    tx.send(&buf[..size]).unwrap();
    match tx.send(&buf[..size + 1]) {
        Err(TransportError::TooLarge { max, .. }) => assert_eq!(max, size),
        other => panic!("{what}: a message one byte too large gave {other:?}"),
    }
    assert!(matches!(tx.send(&[]), Err(TransportError::Empty)));
    tx.finish().unwrap();
    peer.result().assert_all(4, &what);
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
    let mut peer = Peer::spawn(&mut chan, Role::Receiver, PeerRole::StalledReceiver, None);
    let mut tx = sender(&mut chan, &peer);
    peer.kill();
    let mut buf = [0u8; 16];
    let mut result = Ok(());
    for seq in 0..100_000 {
        let n = message(seq, 16, &mut buf);
        result = tx.send(&buf[..n]);
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
    let mut peer = Peer::spawn(&mut chan, Role::Sender, PeerRole::EndlessSender, None);
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
