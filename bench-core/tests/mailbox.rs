//! The shared-memory mailbox (`bench_core::mailbox`) between threads and
//! between real processes: senders are this test binary re-executed
//! through `bench_core::child` to run only `child_process_entry`, as in
//! `tests/cross_process.rs`.
//!
//! Every message carries its sender's index and its sequence number in
//! its first bytes and a filler derived from both after them; the receiver
//! checks, per sender, that nothing is lost, duplicated, reordered or
//! corrupted, and that the stream ends cleanly. Both designs, `bounded:1`,
//! `bounded:64` and `rendezvous`, with 1, 2 and 4 senders. A rendezvous
//! send is checked to return only after the receiver took its message (a
//! flag set inside `recv_with`, and a send still blocked after 200 ms with
//! nobody receiving, which can only fail if it is broken). `kill -9` of a
//! sender mid-stream gives the receiver `SenderDied`, and of the receiver
//! gives a sender `ReceiverDied`, never a hang: a watchdog aborts the
//! binary after two minutes. No test asserts a duration, and none leaves a
//! name in `/dev/shm`.

#![cfg(not(loom))]

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bench_core::child::{self, Child, Launch};
use bench_core::mailbox::{
    Capacity, Design, MAX_SENDERS, MailboxConfig, MailboxError, Receiver, RecvError, SendError, SharedMailbox,
    WaitStrategy, local,
};
use common::Watchdog;
use serde::{Deserialize, Serialize};

/// Bytes per message: index, sequence, filler.
const MSG_LEN: usize = 32;
/// Messages each sender sends in a stream.
const PER_SENDER: u64 = 2_000;
/// How long a child may take to attach and report ready.
const READY_WITHIN: Duration = Duration::from_secs(60);
/// How long a sending child may take to report.
const RESULT_WITHIN: Duration = Duration::from_secs(120);
/// Every mailbox's own deadline for one wait: long enough never to pass
/// in a healthy run, short enough that a broken one fails, not hangs.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Process tests run one at a time: the machine may have two cores.
static SERIAL: Mutex<()> = Mutex::new(());

/// Message `seq` of sender `index`.
fn message(index: u64, seq: u64) -> [u8; MSG_LEN] {
    let mut m = [0u8; MSG_LEN];
    m[..8].copy_from_slice(&index.to_le_bytes());
    m[8..16].copy_from_slice(&seq.to_le_bytes());
    for (k, b) in m[16..].iter_mut().enumerate() {
        *b = (index.wrapping_mul(31).wrapping_add(seq.wrapping_mul(7)).wrapping_add(k as u64)) as u8;
    }
    m
}

/// The receiver's check of every sender's stream.
struct Streams {
    /// The next sequence number expected from each sender.
    next: Vec<u64>,
}

impl Streams {
    fn new(senders: usize) -> Self {
        Self { next: vec![0; senders] }
    }

    /// Check one message: a known sender, its next number, intact.
    fn check(&mut self, msg: &[u8], what: &str) {
        assert_eq!(msg.len(), MSG_LEN, "{what}: a message of {} bytes", msg.len());
        let index = u64::from_le_bytes(msg[..8].try_into().unwrap());
        let seq = u64::from_le_bytes(msg[8..16].try_into().unwrap());
        let next = self.next.get_mut(index as usize).unwrap_or_else(|| panic!("{what}: from unknown sender {index}"));
        assert_eq!(
            seq, *next,
            "{what}: sender {index} sent {seq} where {next} was due (lost, duplicated or reordered)"
        );
        assert_eq!(msg, message(index, seq), "{what}: sender {index}'s message {seq} is corrupted");
        *next += 1;
    }

    fn assert_all(&self, per_sender: u64, what: &str) {
        for (index, &next) in self.next.iter().enumerate() {
            assert_eq!(next, per_sender, "{what}: sender {index} delivered {next} of {per_sender}");
        }
    }
}

/// Receive until the stream ends; the end.
fn drain(receiver: &mut Receiver, streams: &mut Streams, what: &str) -> RecvError {
    loop {
        match receiver.recv_with(|m| streams.check(m, what)) {
            Ok(()) => {}
            Err(end) => return end,
        }
    }
}

/// Names of this mailbox left in /dev/shm (there must be none).
fn leftovers(name: &str) -> Vec<String> {
    std::fs::read_dir("/dev/shm")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(name))
                .collect()
        })
        .unwrap_or_default()
}

fn assert_no_leftovers(name: &str, what: &str) {
    assert!(leftovers(name).is_empty(), "{what}: left in /dev/shm: {:?}", leftovers(name));
}

fn config(design: Design, capacity: Capacity, wait: WaitStrategy) -> MailboxConfig {
    MailboxConfig::new(capacity).design(design).wait(wait).slot_size(MSG_LEN).timeout(TIMEOUT)
}

const CAPACITIES: [Capacity; 3] = [Capacity::Bounded(1), Capacity::Bounded(64), Capacity::Rendezvous];
const SENDER_COUNTS: [usize; 3] = [1, 2, 4];

// ---------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------

/// What a child does with the mailbox.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Role {
    /// Send `count` messages as sender `index`, close, report what was sent.
    Send { index: u64, count: u64 },
    /// Report ready, then send as sender `index` until killed (or an error).
    SendUntilKilled { index: u64 },
    /// Take the receiving end, report ready, then receive slowly until killed.
    ReceiveUntilKilled,
}

/// A child's job: its role on the mailbox named `mailbox`.
#[derive(Debug, Serialize, Deserialize)]
struct Job {
    role: Role,
    mailbox: String,
}

/// What a sending child reports.
#[derive(Debug, Serialize, Deserialize)]
struct Sent {
    sent: u64,
}

/// Entry point of the child process; a no-op when run as an ordinary test.
#[test]
fn child_process_entry() {
    let Some(job) = child::job::<Job>() else { return };
    let mailbox = SharedMailbox::attach(&job.mailbox).expect("child attach").with_timeout(TIMEOUT);
    let code = match job.role {
        Role::Send { index, count } => {
            let mut sender = mailbox.into_sender().expect("child sender");
            for seq in 0..count {
                if let Err(e) = sender.send(&message(index, seq)) {
                    eprintln!("sender {index}: send {seq}: {e}");
                    std::process::exit(2);
                }
            }
            let sent = sender.stats().sent;
            drop(sender); // deregisters: the clean end
            child::report(&Sent { sent }).expect("report");
            0
        }
        Role::SendUntilKilled { index } => {
            let mut sender = mailbox.into_sender().expect("child sender");
            child::ready().expect("report ready");
            let mut seq = 0;
            loop {
                if let Err(e) = sender.send(&message(index, seq)) {
                    eprintln!("sender {index}: send {seq}: {e}");
                    break 3;
                }
                seq += 1;
            }
        }
        Role::ReceiveUntilKilled => {
            let mut receiver = mailbox.into_receiver().expect("child receiver");
            child::ready().expect("report ready");
            loop {
                if let Err(e) = receiver.recv_with(|_| ()) {
                    eprintln!("receiver: {e}");
                    break 4;
                }
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    };
    std::process::exit(code);
}

/// Start a child playing `role` on the mailbox `name`.
fn spawn_child(role: Role, name: &str) -> Child {
    let job = Job { role, mailbox: name.to_owned() };
    let launch = Launch::new(format!("{role:?} child"), &job).expect("a job").in_test("child_process_entry");
    launch.spawn().expect("spawn child process")
}

// ---------------------------------------------------------------------------
// Streams between threads
// ---------------------------------------------------------------------------

/// `senders` threads each send [`PER_SENDER`] messages; the receiver
/// checks every stream and the clean end.
fn stream_between_threads(cfg: &MailboxConfig, senders: usize, per_sender: u64) {
    let what = format!("threads: {} {} {} x{senders}", cfg.design, cfg.capacity, cfg.wait);
    let _watchdog = Watchdog::new(what.clone(), 120);
    let (ends, mut receiver) = local(cfg, senders).unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut streams = Streams::new(senders);
    let end = std::thread::scope(|scope| {
        for (index, mut sender) in ends.into_iter().enumerate() {
            let what = &what;
            scope.spawn(move || {
                for seq in 0..per_sender {
                    sender.send(&message(index as u64, seq)).unwrap_or_else(|e| panic!("{what}: send {seq}: {e}"));
                }
                assert_eq!(sender.stats().sent, per_sender, "{what}");
            });
        }
        drain(&mut receiver, &mut streams, &what)
    });
    assert!(matches!(end, RecvError::Disconnected), "{what}: the stream ended with {end:?}");
    streams.assert_all(per_sender, &what);
    assert_eq!(receiver.stats().received, per_sender * senders as u64, "{what}");
}

#[test]
fn every_design_and_capacity_arrives_intact_between_threads() {
    for design in Design::ALL {
        for capacity in CAPACITIES {
            for senders in SENDER_COUNTS {
                for wait in [WaitStrategy::Yield, WaitStrategy::Block] {
                    if design == Design::Mutex && wait != WaitStrategy::Block {
                        continue; // the mutex design always blocks
                    }
                    stream_between_threads(&config(design, capacity, wait), senders, PER_SENDER);
                }
            }
        }
    }
}

#[test]
fn spinning_senders_and_receiver_arrive_intact() {
    for capacity in CAPACITIES {
        stream_between_threads(&config(Design::LockFree, capacity, WaitStrategy::Spin), 2, PER_SENDER / 4);
    }
}

/// A rendezvous send returns only once the receiver has taken that
/// message: the receiver sets the sender's flag inside `recv_with`, before
/// the message is handed back, and the sender finds it set after `send`.
#[test]
fn a_rendezvous_send_returns_only_after_its_message_was_taken() {
    for design in Design::ALL {
        for wait in [WaitStrategy::Yield, WaitStrategy::Block] {
            let what = format!("{design} rendezvous {wait}");
            let _watchdog = Watchdog::new(what.clone(), 120);
            let senders = 2;
            let (ends, mut receiver) = local(&config(design, Capacity::Rendezvous, wait), senders).unwrap();
            let taken: Vec<AtomicU64> = (0..senders).map(|_| AtomicU64::new(0)).collect();
            let mut streams = Streams::new(senders);
            std::thread::scope(|scope| {
                for (index, mut sender) in ends.into_iter().enumerate() {
                    let (taken, what) = (&taken, &what);
                    scope.spawn(move || {
                        for seq in 0..PER_SENDER / 4 {
                            sender.send(&message(index as u64, seq)).unwrap();
                            let got = taken[index].load(Ordering::SeqCst);
                            assert_eq!(got, seq + 1, "{what}: sender {index}'s send {seq} returned before its take");
                        }
                    });
                }
                let end = loop {
                    let outcome = receiver.recv_with(|m| {
                        streams.check(m, &what);
                        let index = u64::from_le_bytes(m[..8].try_into().unwrap()) as usize;
                        taken[index].fetch_add(1, Ordering::SeqCst);
                    });
                    if let Err(end) = outcome {
                        break end;
                    }
                };
                assert!(matches!(end, RecvError::Disconnected), "{what}: {end:?}");
            });
            streams.assert_all(PER_SENDER / 4, &what);
        }
    }
}

/// With nobody receiving, a rendezvous send is still blocked after 200 ms
/// (a check that can only fail if the send returns without a receipt),
/// and returns once the message is taken.
#[test]
fn a_rendezvous_send_waits_while_nobody_receives() {
    for design in Design::ALL {
        let what = format!("{design} rendezvous");
        let _watchdog = Watchdog::new(what.clone(), 120);
        let (mut ends, mut receiver) = local(&config(design, Capacity::Rendezvous, WaitStrategy::Block), 1).unwrap();
        let mut sender = ends.pop().unwrap();
        let returned = AtomicBool::new(false);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                sender.send(&message(0, 0)).unwrap();
                returned.store(true, Ordering::SeqCst);
            });
            std::thread::sleep(Duration::from_millis(200));
            assert!(!returned.load(Ordering::SeqCst), "{what}: the send returned with nobody receiving");
            let mut buf = [0u8; MSG_LEN];
            assert_eq!(receiver.recv(&mut buf).unwrap(), MSG_LEN);
        });
        assert!(returned.load(Ordering::SeqCst), "{what}");
        assert_eq!(sender.stats().receipt_waits, 1, "{what}");
    }
}

// ---------------------------------------------------------------------------
// How a stream ends, and what is refused
// ---------------------------------------------------------------------------

#[test]
fn the_stream_ends_cleanly_only_once_every_sender_closed() {
    for design in Design::ALL {
        let cfg = config(design, Capacity::Bounded(4), WaitStrategy::Block).timeout(Duration::from_millis(100));
        let (mut ends, mut receiver) = local(&cfg, 2).unwrap();
        let mut buf = [0u8; MSG_LEN];
        ends[0].send(&message(0, 0)).unwrap();
        drop(ends.remove(0));
        assert_eq!(receiver.recv(&mut buf).unwrap(), MSG_LEN);
        // One sender is still open: no end yet, only this side's deadline.
        let open = receiver.recv(&mut buf);
        assert!(matches!(open, Err(RecvError::Timeout { .. })), "{design}: {open:?}");
        drop(ends);
        let end = receiver.recv(&mut buf);
        assert!(matches!(end, Err(RecvError::Disconnected)), "{design}: {end:?}");
    }
}

#[test]
fn an_abandoned_sender_ends_the_stream_abandoned_after_draining() {
    for design in Design::ALL {
        let (mut ends, mut receiver) = local(&config(design, Capacity::Bounded(4), WaitStrategy::Block), 2).unwrap();
        let mut buf = [0u8; MSG_LEN];
        ends[1].send(&message(1, 0)).unwrap();
        ends.pop().unwrap().abandon();
        drop(ends);
        assert_eq!(receiver.recv(&mut buf).unwrap(), MSG_LEN, "{design}: the message before the abandon");
        let end = receiver.recv(&mut buf);
        assert!(matches!(end, Err(RecvError::Abandoned)), "{design}: {end:?}");
    }
}

#[test]
fn try_send_reports_a_full_mailbox_and_refuses_rendezvous() {
    for design in Design::ALL {
        let (mut ends, mut receiver) = local(&config(design, Capacity::Bounded(2), WaitStrategy::Block), 1).unwrap();
        let sender = &mut ends[0];
        assert!(sender.try_send(&message(0, 0)).unwrap());
        assert!(sender.try_send(&message(0, 1)).unwrap());
        assert!(!sender.try_send(&message(0, 2)).unwrap(), "{design}: a third message fit in two slots");
        let mut buf = [0u8; MSG_LEN];
        receiver.recv(&mut buf).unwrap();
        assert!(sender.try_send(&message(0, 2)).unwrap());
        let too_large = sender.send(&[0u8; MSG_LEN + 1]);
        assert!(matches!(too_large, Err(SendError::TooLarge { .. })), "{design}: {too_large:?}");
        let mut small = [0u8; 4];
        let small_buffer = receiver.recv(&mut small);
        assert!(matches!(small_buffer, Err(RecvError::BufferTooSmall { .. })), "{design}: {small_buffer:?}");
        assert_eq!(receiver.recv(&mut buf).unwrap(), MSG_LEN, "the message stayed queued");
        drop(ends);
        let (mut ends, _receiver) = local(&config(design, Capacity::Rendezvous, WaitStrategy::Block), 1).unwrap();
        assert!(matches!(ends[0].try_send(b"x"), Err(SendError::NotBounded)));
    }
}

#[test]
fn unbounded_a_second_receiver_and_too_many_senders_are_refused() {
    let unbounded = SharedMailbox::create(&MailboxConfig::new(Capacity::Unbounded));
    assert!(matches!(unbounded, Err(MailboxError::Unbounded)), "{:?}", unbounded.err());
    for design in Design::ALL {
        let mailbox = SharedMailbox::create(&config(design, Capacity::Bounded(4), WaitStrategy::Block)).unwrap();
        let name = mailbox.name().to_owned();
        let receiver = mailbox.into_receiver().unwrap();
        let second = SharedMailbox::attach(&name).unwrap().into_receiver();
        assert!(matches!(second, Err(MailboxError::ReceiverTaken { .. })), "{design}: {:?}", second.err());
        let senders: Vec<_> =
            (0..MAX_SENDERS).map(|_| SharedMailbox::attach(&name).unwrap().into_sender().unwrap()).collect();
        let one_more = SharedMailbox::attach(&name).unwrap().into_sender();
        assert!(
            matches!(one_more, Err(MailboxError::TooManySenders { max: MAX_SENDERS, .. })),
            "{design}: {:?}",
            one_more.err()
        );
        drop(senders);
        // A closed sender's entry is free again.
        drop(SharedMailbox::attach(&name).unwrap().into_sender().unwrap());
        drop(receiver);
        assert_no_leftovers(&name, &format!("{design}"));
    }
}

/// A header another process scribbled on is refused on attach.
#[test]
fn a_scribbled_header_is_refused() {
    use std::os::unix::fs::FileExt;
    let mailbox = SharedMailbox::create(&config(Design::LockFree, Capacity::Bounded(4), WaitStrategy::Spin)).unwrap();
    let name = mailbox.name().to_owned();
    let file = std::fs::OpenOptions::new().read(true).write(true).open(format!("/dev/shm/{name}")).unwrap();
    // The slot count (offset 40): in range alone, but not what the geometry hash says.
    file.write_all_at(&5u64.to_le_bytes(), 40).unwrap();
    let attached = SharedMailbox::attach(&name);
    assert!(matches!(attached, Err(MailboxError::Incompatible { .. })), "{:?}", attached.err());
    // The magic.
    file.write_all_at(b"NOTRINGS", 0).unwrap();
    let attached = SharedMailbox::attach(&name);
    assert!(matches!(attached, Err(MailboxError::Incompatible { .. })), "{:?}", attached.err());
    drop(mailbox);
    assert_no_leftovers(&name, "scribbled header");
}

// ---------------------------------------------------------------------------
// Streams between processes
// ---------------------------------------------------------------------------

/// `senders` child processes each send [`PER_SENDER`] messages to this
/// process's receiver, which checks every stream and the clean end.
fn stream_between_processes(cfg: &MailboxConfig, senders: usize) {
    let what = format!("processes: {} {} {} x{senders}", cfg.design, cfg.capacity, cfg.wait);
    let _watchdog = Watchdog::new(what.clone(), 120);
    let mailbox = SharedMailbox::create(&cfg.clone().expected_senders(senders)).unwrap();
    let name = mailbox.name().to_owned();
    let mut receiver = mailbox.into_receiver().unwrap();
    let children: Vec<Child> =
        (0..senders).map(|index| spawn_child(Role::Send { index: index as u64, count: PER_SENDER }, &name)).collect();
    let mut streams = Streams::new(senders);
    let end = drain(&mut receiver, &mut streams, &what);
    assert!(matches!(end, RecvError::Disconnected), "{what}: the stream ended with {end:?}");
    streams.assert_all(PER_SENDER, &what);
    for child in children {
        let sent: Sent = child.finish(RESULT_WITHIN).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(sent.sent, PER_SENDER, "{what}");
    }
    // Every sender registered: the name went then, before the receiver's drop.
    assert_no_leftovers(&name, &what);
    drop(receiver);
    assert_no_leftovers(&name, &what);
}

#[test]
fn every_design_and_capacity_arrives_intact_between_processes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for design in Design::ALL {
        for capacity in CAPACITIES {
            for senders in SENDER_COUNTS {
                stream_between_processes(&config(design, capacity, WaitStrategy::Block), senders);
            }
        }
    }
    stream_between_processes(&config(Design::LockFree, Capacity::Bounded(64), WaitStrategy::Yield), 2);
}

/// `kill -9` of one of two sender processes mid-stream: the receiver,
/// once it runs out of what it can take, fails with the dead one's pid
/// instead of waiting forever (for a hole the dead one may have left
/// between claiming a position and publishing it, or for its close).
#[test]
fn the_receiver_sees_a_killed_sender() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for design in Design::ALL {
        for capacity in [Capacity::Bounded(64), Capacity::Rendezvous] {
            let what = format!("{design} {capacity}");
            let _watchdog = Watchdog::new(what.clone(), 120);
            let cfg = config(design, capacity, WaitStrategy::Block).expected_senders(2);
            let mailbox = SharedMailbox::create(&cfg).unwrap();
            let name = mailbox.name().to_owned();
            let mut receiver = mailbox.into_receiver().unwrap();
            let mut victim = spawn_child(Role::SendUntilKilled { index: 0 }, &name);
            victim.wait_ready(READY_WITHIN).expect("the victim attaches");
            let survivor = spawn_child(Role::Send { index: 1, count: PER_SENDER }, &name);
            let mut streams = Streams::new(2);
            let mut killed = false;
            let end = loop {
                if !killed && streams.next[0] >= 300 {
                    victim.kill(); // SIGKILL, mid-stream; reaped at the end
                    killed = true;
                }
                if let Err(end) = receiver.recv_with(|m| streams.check(m, &what)) {
                    break end;
                }
            };
            assert!(killed, "{what}: the stream ended before the kill: {end:?}");
            let pid = victim.pid();
            assert!(
                matches!(end, RecvError::SenderDied { pid: p } if p == pid),
                "{what}: expected SenderDied {{ pid: {pid} }}, got {end:?}"
            );
            // What the survivor sent after a hole the victim left stays
            // unread (the check above saw its stream in order up to there);
            // once the receiver closes, a survivor still sending ends.
            drop(receiver);
            drop(survivor);
            victim.wait().unwrap();
            assert_no_leftovers(&name, &what);
        }
    }
}

/// `kill -9` of the receiver process: a sender waiting for room (or for
/// its receipt) fails with the receiver's pid.
#[test]
fn a_sender_sees_a_killed_receiver() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for design in Design::ALL {
        for capacity in [Capacity::Bounded(4), Capacity::Rendezvous] {
            let what = format!("{design} {capacity}");
            let _watchdog = Watchdog::new(what.clone(), 120);
            let mailbox = SharedMailbox::create(&config(design, capacity, WaitStrategy::Block)).unwrap();
            let name = mailbox.name().to_owned();
            // The creator's end owns the name: it is removed when the sender drops.
            let mut sender = mailbox.into_sender().unwrap();
            let mut receiver = spawn_child(Role::ReceiveUntilKilled, &name);
            receiver.wait_ready(READY_WITHIN).expect("the receiver attaches");
            let pid = receiver.pid();
            let mut seq = 0;
            let err = loop {
                if seq == 100 {
                    receiver.kill();
                }
                match sender.send(&message(0, seq)) {
                    Ok(()) => seq += 1,
                    Err(e) => break e,
                }
            };
            assert!(seq >= 100, "{what}: failed before the kill: {err}");
            assert!(
                matches!(err, SendError::ReceiverDied { pid: p } if p == pid),
                "{what}: expected ReceiverDied {{ pid: {pid} }}, got {err:?}"
            );
            drop(sender);
            receiver.wait().unwrap();
            assert_no_leftovers(&name, &what);
        }
    }
}
