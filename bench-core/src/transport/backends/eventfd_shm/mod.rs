//! `eventfd-shm`: messages through a shared-memory slot array, wake-ups
//! through `eventfd`: the classic "kernel only for signalling" design.
//! This file creates a direction and opens its ends; the segment's layout
//! is in [`segment`], the ends and their protocol in [`ends`].
//!
//! # Objects
//! One direction is a POSIX shared-memory segment (`/dev/shm/ringside-...`,
//! removed by the channel's [`ObjectGuard`]) and two `eventfd`s (blocking,
//! close-on-exec), both inherited by both ends:
//!
//! - `data`: the sender writes 1 after each message it publishes (one
//!   system call per message: that is the point of this design); the
//!   receiver reads it only when it has to wait.
//! - `space`: the receiver writes 1 after freeing a slot, but only when the
//!   sender announced that it waits for space.
//!
//! # Capacity modes
//! - `bounded:N`: exactly N slots, so the realised capacity is N messages.
//! - `rendezvous`: reaches this backend as `bounded:1` (one slot) plus the
//!   channel layer's acknowledgement channel (another `eventfd-shm`
//!   direction of 8-byte messages, also one slot).
//! - `unbounded`: a fixed array of [`UNBOUNDED_SLOTS`](segment::UNBOUNDED_SLOTS) slots (fewer when that
//!   would take more than [`UNBOUNDED_BYTES`](segment::UNBOUNDED_BYTES) of
//!   `/dev/shm`); the channel's sender-side queue takes what does not fit.
//!
//! # Wait strategies
//! `block` (the default) sleeps in the kernel at once: no spinning, the
//! design as a plain C program would write it. `spin` and `yield` poll the
//! shared positions instead (with a spin hint or `sched_yield` between polls)
//! and never sleep on the eventfds; the sender still writes `data` after each
//! message.
//!
//! # Ends that go away
//! A sender dropped without `close` marks its state and writes `data`; a
//! receiver dropped marks its state and writes `space`: the peer then gets
//! [`TransportError::PeerGone`]. A peer killed outright is seen by the
//! [`PeerWatch`] between slices of waiting.

use std::os::fd::OwnedFd;

use rustix::event::{EventfdFlags, eventfd};

use self::ends::{EfdReceiver, EfdSender};
use self::segment::{attach, claim};
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source, bounded_only,
};
use crate::transport::objects::ObjectGuard;
use crate::transport::peer::PeerWatch;

mod ends;
mod segment;

/// `eventfd-shm`: a slot array in shared memory, eventfds to wake the other side.
pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: bounded_only };

/// Parameter: the segment's name.
const SHM: &str = "shm";
/// Descriptor keys, one per role: the address lists every descriptor of
/// both roles side by side, so the two copies of one eventfd need two keys.
const DATA_TX: &str = "data_tx";
const SPACE_TX: &str = "space_tx";
const DATA_RX: &str = "data_rx";
const SPACE_RX: &str = "space_rx";

/// A new eventfd (count 0, blocking, close-on-exec); `what` names it in errors.
fn new_eventfd(what: &str) -> Result<OwnedFd, TransportError> {
    eventfd(0, EventfdFlags::CLOEXEC).map_err(|e| TransportError::io(format!("eventfd ({what})"), e))
}

/// A second descriptor of the eventfd `fd`, for the other role.
fn dup(fd: &OwnedFd, what: &str) -> Result<OwnedFd, TransportError> {
    // `try_clone` is F_DUPFD_CLOEXEC: the copy is close-on-exec too.
    fd.try_clone().map_err(|e| TransportError::io(format!("dup eventfd ({what})"), e))
}

/// Create one direction: the segment, then the two eventfds.
fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let mut objects = ObjectGuard::new();
    let (map, realised, detail) = segment::create(spec, &mut objects)?;
    let data = new_eventfd("data")?;
    let space = new_eventfd("space")?;
    let fds = vec![
        (Role::Sender, DATA_TX.to_owned(), dup(&data, "data")?),
        (Role::Sender, SPACE_TX.to_owned(), dup(&space, "space")?),
        (Role::Receiver, DATA_RX.to_owned(), data),
        (Role::Receiver, SPACE_RX.to_owned(), space),
    ];
    let detail = format!("{detail} (/dev/shm); eventfd wake-ups");
    let params = [(SHM.to_owned(), map.name().to_owned())].into_iter().collect();
    Ok(Created { params, fds, made: None, realised, detail, objects, keep: None })
}

/// Open the sending end: attach, claim the sending side, resume from the shared positions.
fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let map = attach(src.param(SHM)?, spec)?;
    let data = src.take_fd(DATA_TX)?;
    let space = src.take_fd(SPACE_TX)?;
    claim(&map.header().tail.state, "sending", map.name())?;
    Ok(Box::new(EfdSender::open(map, data, space, spec.wait, PeerWatch::new(opts.peer, opts.timeout))))
}

/// Open the receiving end: attach, claim the receiving side, resume from the shared positions.
fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let map = attach(src.param(SHM)?, spec)?;
    let data = src.take_fd(DATA_RX)?;
    let space = src.take_fd(SPACE_RX)?;
    claim(&map.header().head.state, "receiving", map.name())?;
    Ok(Box::new(EfdReceiver::open(map, data, space, spec.wait, PeerWatch::new(opts.peer, opts.timeout))))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    use super::segment::UNBOUNDED_SLOTS;
    use super::*;
    use crate::ring::{Capacity, WaitStrategy};
    use crate::transport::backends::testing::round_trip_spec;
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    fn spec(capacity: Capacity, size: usize) -> ChannelSpec {
        ChannelSpec::new(TransportKind::EventfdShm, capacity, size)
    }

    pub(super) fn one_way(capacity: Capacity, size: usize) -> OneWaySpec {
        OneWaySpec {
            capacity,
            message_size: size,
            fixed_size: false,
            wait: WaitStrategy::Block,
            variant: crate::ring::Variant::Ring,
            design: vocabulary::MailboxDesign::LockFree,
            timeout: Duration::from_secs(5),
            senders: 1,
        }
    }

    /// The segment names in a channel's address.
    fn segments(chan: &Channel) -> Vec<String> {
        chan.address().params("shm").map(str::to_owned).collect()
    }

    /// The wait strategies that poll the shared positions instead of
    /// sleeping on the eventfds (the conformance suite runs `block`).
    #[test]
    fn spin_and_yield_round_trip() {
        let timeout = Duration::from_secs(10);
        round_trip_spec(&spec(Capacity::Bounded(2), 40).wait(WaitStrategy::Yield).timeout(timeout), 500);
        round_trip_spec(&spec(Capacity::Bounded(3), 40).wait(WaitStrategy::Spin).timeout(timeout), 500);
    }

    /// `bounded:N` is N slots: exactly N messages fit, for any N.
    #[test]
    fn try_send_refuses_after_exactly_realised() {
        for n in [1usize, 64, 1024] {
            let mut chan = Channel::create(&spec(Capacity::Bounded(n), 16)).unwrap();
            let realised = chan.realised();
            assert_eq!(realised.messages, Some(n as u64), "{}", realised.detail);
            let _rx = chan.open_receiver(&OpenOptions::default()).unwrap();
            let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
            let mut accepted = 0u64;
            while tx.try_send(&[7u8; 16]).unwrap() {
                accepted += 1;
                assert!(accepted <= n as u64);
            }
            assert_eq!(accepted, n as u64);
            assert!(!tx.try_send(&[7u8; 16]).unwrap());
        }
    }

    /// Unbounded is a fixed array of 4096 slots: the 4097th message spills.
    #[test]
    fn unbounded_spills_beyond_the_fixed_array() {
        let mut chan = Channel::create(&spec(Capacity::Unbounded, 16)).unwrap();
        assert_eq!(chan.realised().messages, None);
        assert!(chan.realised().detail.contains("4096 slots"), "{}", chan.realised().detail);
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let n = UNBOUNDED_SLOTS + 100;
        for seq in 0..n {
            tx.send(&seq.to_le_bytes()).unwrap();
        }
        assert_eq!(tx.stats().spilled, 100);
        let drain = std::thread::spawn(move || {
            let mut buf = [0u8; 16];
            let mut seq = 0u64;
            while let Ok(len) = rx.recv(&mut buf) {
                assert_eq!(buf[..len], seq.to_le_bytes());
                seq += 1;
            }
            seq
        });
        tx.finish().unwrap();
        assert_eq!(drain.join().unwrap(), n);
    }

    /// A sender dropped without `finish`, no process watched: its state
    /// word and a `data` signal tell the waiting receiver.
    #[test]
    fn sender_dropped_without_finishing_is_peer_gone() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(8), 16)).unwrap();
        let mut rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        let t = std::thread::spawn(move || {
            tx.send(b"last").unwrap();
            std::thread::sleep(Duration::from_millis(50));
            drop(tx);
        });
        let mut buf = [0u8; 16];
        assert_eq!(rx.recv(&mut buf).unwrap(), 4);
        assert!(matches!(rx.recv(&mut buf), Err(TransportError::PeerGone(_))));
        t.join().unwrap();
    }

    /// A receiver dropped, no process watched: its state word and a
    /// `space` signal wake the sender waiting for a slot.
    #[test]
    fn receiver_dropped_is_peer_gone_for_a_waiting_sender() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(1), 16)).unwrap();
        let rx = chan.open_receiver(&OpenOptions::default()).unwrap();
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        tx.send(b"fills").unwrap();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            drop(rx);
        });
        assert!(matches!(tx.send(b"blocks"), Err(TransportError::PeerGone(_))));
        t.join().unwrap();
    }

    /// An eventfd has no end-of-file: both sides' waits end at the deadline.
    #[test]
    fn waits_time_out() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(1), 16)).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(150) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let mut tx = chan.open_sender(&opts).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(rx.recv(&mut buf), Err(TransportError::Timeout(_))));
        tx.send(b"one").unwrap();
        assert!(matches!(tx.send(b"two"), Err(TransportError::Timeout(_))));
        assert_eq!(rx.recv(&mut buf).unwrap(), 3);
    }

    /// A receiver that claims to be ahead of the sender (a peer that
    /// breaks the protocol) costs the sender a wait that times out, not a
    /// panic on overflow.
    #[test]
    fn a_head_past_the_tail_is_a_timeout_not_a_panic() {
        let mut chan = Channel::create(&spec(Capacity::Bounded(2), 16)).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(100) };
        let _rx = chan.open_receiver(&opts).unwrap();
        let mut tx = chan.open_sender(&opts).unwrap();
        let map = attach(&segments(&chan)[0], &one_way(Capacity::Bounded(2), 16)).unwrap();
        map.header().head.head.store(1000, Ordering::Relaxed);
        tx.send(b"one").unwrap();
        tx.send(b"two").unwrap();
        assert!(matches!(tx.send(b"three"), Err(TransportError::Timeout(_))));
    }

    #[test]
    fn each_end_opens_once() {
        let mut created = create(&one_way(Capacity::Bounded(2), 8)).unwrap();
        let spec = one_way(Capacity::Bounded(2), 8);
        let params: BTreeMap<String, String> = created.params.clone();
        let mut src = Source { params: &params, fds: Some(&mut created.fds), made: None, role: Role::Sender };
        let _tx = open_sender(&spec, &mut src, &OpenOptions::default()).unwrap();
        let map = attach(&params[SHM], &spec).unwrap();
        let err = claim(&map.header().tail.state, "sending", map.name()).unwrap_err().to_string();
        assert!(err.contains("already opened"), "{err}");
        assert!(Path::new(&crate::shm::path_of(&params[SHM])).exists());
    }
}
