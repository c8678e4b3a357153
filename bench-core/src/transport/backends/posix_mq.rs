//! `posix-mq`: one direction over a POSIX message queue (`mq_open(3)`), an
//! indirect link opened by name.
//!
//! The creator makes the queue `/ringside-<pid>-<n>-mq` with
//! `O_CREAT | O_EXCL`, mode 0600, `mq_msgsize` = the channel's message size,
//! and registers it so that it is unlinked when the channel drops (a
//! descriptor opened before keeps working after the unlink). The ends open
//! it by the name in the address (`name`). Every message has priority 0, so
//! the queue is FIFO; a zero-length message is the end marker.
//!
//! # Capacity modes
//! - `bounded:N` (and the one-message queue under `rendezvous`):
//!   `mq_maxmsg = N`, which the kernel counts in messages, so the realised
//!   capacity is N exactly. Above `/proc/sys/fs/mqueue/msg_max` the kernel
//!   refuses (`EINVAL`) unless the process has `CAP_SYS_RESOURCE`, which may
//!   go up to the hard limit 65536; the per-user `RLIMIT_MSGQUEUE` byte
//!   budget (`ulimit -q`) can refuse too (`EMFILE`). Both are reported as
//!   [`TransportError::Refused`] naming the limit and how to raise it; a
//!   message size above `/proc/sys/fs/mqueue/msgsize_max` is
//!   [`TransportError::TooLarge`].
//! - `unbounded`: `mq_maxmsg` = the current `/proc/sys/fs/mqueue/msg_max`
//!   (halved while `RLIMIT_MSGQUEUE` refuses), recorded in the detail; the
//!   sender's descriptor is `O_NONBLOCK`, so `try_send` is one `mq_send`
//!   and `EAGAIN` means full; `wait_writable` polls the descriptor (queue
//!   descriptors are pollable on Linux) in slices.
//!
//! # Waiting
//! A queue gives no end-of-file when the peer dies, yet the blocking calls
//! are the plain `mq_send` / `mq_receive` a C program makes (one system
//! call per message, no timer armed per call: the timed variants cost 5% of
//! a same-core round trip, `benches/kernel_vs_c.rs`). A [`StallWatch`]
//! thread per blocking end watches instead: when the end has waited a whole
//! [`SLICE`](crate::transport::peer::SLICE) on an empty queue (receiver) or a full one (sender) and the
//! peer died or the channel's timeout passed, it wakes the call, the
//! receiver with a message of priority [`WAKE`] (data and the end marker
//! have priority 0, and the queue is empty, so nothing is overtaken), the
//! sender by taking one message out of the full queue, whose receiver is
//! gone; the end then reports the verdict. An unbounded sender uses an
//! `O_NONBLOCK` descriptor and polls it in slices with a [`PeerWatch`]; a
//! bounded sender opens the queue twice: blocking for `send`,
//! `O_NONBLOCK` for `try_send`.
//!
//! # Many senders
//! Any number of processes may open the queue by name and send: each
//! sender's `close` queues its own end marker, which the receiver hands up
//! as `Disconnected` once per marker (the channel counts them). The
//! receiver's watchdog watches one process at most, so with several
//! senders it watches none (`OpenOptions::peer` is `None`) and a dead
//! sender is a timeout.

use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};

use nix::errno::Errno;
use nix::mqueue::{MQ_OFlag, MqAttr, MqdT, mq_attr_member_t, mq_getattr, mq_open, mq_receive, mq_send, mq_unlink};
use nix::sys::stat::Mode;
use rustix::event::PollFlags;

use crate::ring::Capacity;
use crate::sysctl::Sysctl;
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source, bounded_only,
};
use crate::transport::objects::{IpcObject, ObjectGuard, unique_name};
use crate::transport::peer::{PeerWatch, StallWatch, wait_fd};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: bounded_only };

/// The most messages a queue may hold without `CAP_SYS_RESOURCE`.
const MSG_MAX: Sysctl = Sysctl::new("fs.mqueue.msg_max");
/// The largest message without `CAP_SYS_RESOURCE`.
const MSGSIZE_MAX: Sysctl = Sysctl::new("fs.mqueue.msgsize_max");
/// The most queues the system holds.
const QUEUES_MAX: Sysctl = Sysctl::new("fs.mqueue.queues_max");
/// The kernel's `HARD_MSGMAX`: the most messages even `CAP_SYS_RESOURCE` may ask for.
const HARD_MSGMAX: u64 = 65536;
/// The kernel's `HARD_MSGSIZEMAX`: the largest message even `CAP_SYS_RESOURCE` may ask for.
const HARD_MSGSIZEMAX: u64 = 16 * 1024 * 1024;
/// Kernel bookkeeping per queued message charged to `RLIMIT_MSGQUEUE`
/// (`struct msg_msg` plus `struct posix_msg_tree_node` on 64-bit), for estimates.
const OVERHEAD_PER_MSG: u64 = 96;

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let name = format!("/{}", unique_name("mq"));
    let size = spec.message_size;
    let mut objects = ObjectGuard::new();
    let (realised, detail) = match spec.capacity {
        Capacity::Bounded(n) => {
            let n = n as u64;
            make_queue(&name, n, size, &mut objects).map_err(|e| refusal(e, &name, n, size))?;
            (Some(n), format!("mq_maxmsg {n}, mq_msgsize {size} bytes"))
        }
        Capacity::Unbounded => {
            let msg_max = MSG_MAX.read().unwrap_or(10).clamp(1, HARD_MSGMAX);
            let mut n = msg_max;
            loop {
                match make_queue(&name, n, size, &mut objects) {
                    Ok(()) => break,
                    // The per-user byte budget: a shorter queue may fit.
                    Err(Errno::EMFILE | Errno::ENOMEM) if n > 1 => n /= 2,
                    Err(e) => return Err(refusal(e, &name, n, size)),
                }
            }
            let from = if n == msg_max {
                MSG_MAX.to_string()
            } else {
                format!("{MSG_MAX} ({msg_max}) halved until RLIMIT_MSGQUEUE allowed it")
            };
            (None, format!("mq_maxmsg {n} (from {from}), mq_msgsize {size} bytes; the sender keeps what does not fit"))
        }
        Capacity::Rendezvous => {
            return Err(TransportError::Protocol("posix-mq: rendezvous is built by the channel, not the queue".into()));
        }
    };
    let mut created = Created { realised, detail, objects, ..Created::default() };
    created.params.insert("name".into(), name);
    Ok(created)
}

/// Create the queue `name` for `maxmsg` messages of `size` bytes and
/// register it for removal.
fn make_queue(name: &str, maxmsg: u64, size: usize, objects: &mut ObjectGuard) -> Result<(), Errno> {
    let maxmsg = mq_attr_member_t::try_from(maxmsg).map_err(|_| Errno::EINVAL)?;
    let size = mq_attr_member_t::try_from(size).map_err(|_| Errno::EINVAL)?;
    let attr = MqAttr::new(0, maxmsg, size, 0);
    let flags = MQ_OFlag::O_CREAT | MQ_OFlag::O_EXCL | MQ_OFlag::O_RDWR | MQ_OFlag::O_CLOEXEC;
    let mqd = mq_open(name, flags, Mode::S_IRUSR | Mode::S_IWUSR, Some(&attr))?;
    objects.add(IpcObject::PosixMq(name.to_owned()));
    // The creator needs no descriptor: the ends open the queue by name.
    // SAFETY: `mqd` came from `mq_open` just now and nobody else owns it
    // (`MqdT` never closes); this `OwnedFd` closes it once, here.
    drop(unsafe { OwnedFd::from_raw_fd(mqd.into_raw_fd()) });
    Ok(())
}

/// Why the kernel refused to create `name` with `maxmsg` messages of
/// `size` bytes, naming the limit and how to raise it.
fn refusal(e: Errno, name: &str, maxmsg: u64, size: usize) -> TransportError {
    let too_many = |why: String| TransportError::Refused(format!("posix-mq: mq_maxmsg {maxmsg} {why}"));
    match e {
        Errno::EINVAL => {
            let size_max = MSGSIZE_MAX.read().unwrap_or(8192);
            let msg_max = MSG_MAX.read().unwrap_or(10);
            if size as u64 > HARD_MSGSIZEMAX {
                TransportError::TooLarge {
                    len: size,
                    max: HARD_MSGSIZEMAX as usize,
                    limit: format!(
                        "the kernel's hard limit on POSIX queue messages, HARD_MSGSIZEMAX (even with \
                         CAP_SYS_RESOURCE; without it, {MSGSIZE_MAX} = {size_max})"
                    ),
                }
            } else if size as u64 > size_max {
                TransportError::TooLarge {
                    len: size,
                    max: size_max as usize,
                    limit: format!(
                        "{MSGSIZE_MAX} (raise it with `sysctl fs.mqueue.msgsize_max={size}`; a process with \
                         CAP_SYS_RESOURCE may go up to {HARD_MSGSIZEMAX})"
                    ),
                }
            } else if maxmsg > HARD_MSGMAX {
                too_many(format!("is above the kernel's hard limit HARD_MSGMAX ({HARD_MSGMAX})"))
            } else if maxmsg > msg_max {
                too_many(format!(
                    "is above {MSG_MAX} ({msg_max}): raise it with `sysctl fs.mqueue.msg_max={maxmsg}`, or run \
                     with CAP_SYS_RESOURCE (up to {HARD_MSGMAX})"
                ))
            } else {
                TransportError::io(format!("mq_open {name} (mq_maxmsg {maxmsg}, mq_msgsize {size})"), e)
            }
        }
        Errno::EMFILE | Errno::ENOMEM => {
            let need = maxmsg.saturating_mul(size as u64 + OVERHEAD_PER_MSG);
            let limit = rustix::process::getrlimit(rustix::process::Resource::Msgqueue).current;
            let limit = limit.map_or_else(|| "unlimited".to_owned(), |l| format!("{l} bytes"));
            too_many(format!(
                "with mq_msgsize {size}: {e}: the queue needs about {need} bytes of the per-user RLIMIT_MSGQUEUE \
                 (now {limit}, shared by all this user's queues): raise it with `ulimit -q <bytes>` (or \
                 `msgqueue` in limits.conf); if the process is out of descriptors instead, `ulimit -n`"
            ))
        }
        Errno::ENOSPC => TransportError::Refused(format!(
            "posix-mq: {} queues exist already ({QUEUES_MAX}): raise it with `sysctl fs.mqueue.queues_max=N`",
            QUEUES_MAX.read().map_or_else(|| "too many".to_owned(), |q| q.to_string())
        )),
        Errno::ENOSYS => {
            TransportError::Refused("posix-mq: this kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE)".into())
        }
        e => TransportError::io(format!("mq_open {name}"), e),
    }
}

/// One open descriptor of a queue.
struct Queue {
    /// Owns (and closes) the descriptor.
    fd: OwnedFd,
    /// The same descriptor as nix's type, for its calls; never closes it.
    mqd: MqdT,
}

impl Queue {
    fn open(name: &str, flags: MQ_OFlag) -> Result<Self, TransportError> {
        let mqd = mq_open(name, flags | MQ_OFlag::O_CLOEXEC, Mode::empty(), None)
            .map_err(|e| TransportError::io(format!("mq_open {name}"), e))?;
        let raw = mqd.into_raw_fd();
        // SAFETY: `raw` is the descriptor `mq_open` just returned; this
        // `OwnedFd` is its only owner and closes it when the queue drops.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: `raw` is a message-queue descriptor (above). `MqdT` has no
        // `Drop`, so it never closes it, and it lives beside `fd` in this
        // struct, so it is never used after `fd` closed it.
        let mqd = unsafe { MqdT::from_raw_fd(raw) };
        Ok(Self { fd, mqd })
    }
}

/// Priority of the message a [`StallWatch`] sends to wake a receiver whose peer is gone.
const WAKE: u32 = 1;

/// Whether a queue holds `at_least` messages, through any descriptor of it
/// (`None`: the descriptor fails, the queue is unusable).
fn holds(q: &Queue, at_least: i64) -> Option<bool> {
    mq_getattr(&q.mqd).ok().map(|a| a.curmsgs() >= at_least)
}

/// The sending end.
struct MqSender {
    /// A blocking descriptor for `send` (bounded) and its watchdog; `None` when unbounded.
    blocking: Option<(Queue, StallWatch)>,
    /// An `O_NONBLOCK` descriptor for `try_send` and `wait_writable`.
    nonblocking: Queue,
    watch: PeerWatch,
    opts: OpenOptions,
}

fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let name = src.param("name")?;
    let blocking = match spec.capacity {
        Capacity::Unbounded => None,
        Capacity::Bounded(n) => {
            let queue = Queue::open(name, MQ_OFlag::O_WRONLY)?;
            // The watchdog's own descriptor: it reads the queue's fill and,
            // if the receiver is gone, takes one message to free the sender.
            let probe = std::sync::Arc::new(Queue::open(name, MQ_OFlag::O_RDONLY | MQ_OFlag::O_NONBLOCK)?);
            let (full, take) = (probe.clone(), probe);
            let size = spec.message_size;
            let stall = StallWatch::spawn(
                "posix-mq-send-watch".into(),
                PeerWatch::new(opts.peer, opts.timeout),
                move || holds(&full, n as i64),
                move || {
                    let mut buf = vec![0u8; size];
                    let _ = mq_receive(&take.mqd, &mut buf, &mut 0);
                },
            )?;
            Some((queue, stall))
        }
        Capacity::Rendezvous => {
            return Err(TransportError::Protocol("posix-mq: rendezvous reached the backend".into()));
        }
    };
    let nonblocking = Queue::open(name, MQ_OFlag::O_WRONLY | MQ_OFlag::O_NONBLOCK)?;
    Ok(Box::new(MqSender { blocking, nonblocking, watch: PeerWatch::new(opts.peer, opts.timeout), opts: opts.clone() }))
}

impl MqSender {
    /// Send `msg` (possibly empty: the end marker), waiting while the queue is full.
    fn send_any(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        let Some((q, stall)) = &mut self.blocking else {
            while !self.try_send(msg)? {
                self.wait_writable()?;
            }
            return Ok(());
        };
        stall.enter();
        let sent = loop {
            match mq_send(&q.mqd, msg, 0) {
                Err(Errno::EINTR) => {}
                other => break other,
            }
        };
        stall.leave();
        // Sent into the queue of a receiver the watchdog found gone: say so.
        if let Some(e) = stall.verdict(self.opts.peer, self.opts.timeout) {
            return Err(e);
        }
        sent.map_err(|e| TransportError::io("mq_send", e))
    }
}

impl RawSender for MqSender {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.send_any(msg)
    }

    #[inline]
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        loop {
            match mq_send(&self.nonblocking.mqd, msg, 0) {
                Ok(()) => {
                    self.watch.progressed();
                    return Ok(true);
                }
                Err(Errno::EAGAIN) => return Ok(false),
                Err(Errno::EINTR) => {}
                Err(e) => return Err(TransportError::io("mq_send", e)),
            }
        }
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        wait_fd(&self.nonblocking.fd, PollFlags::OUT, &mut self.watch)
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.send_any(&[])
    }
}

/// The receiving end.
struct MqReceiver {
    queue: Queue,
    stall: StallWatch,
    opts: OpenOptions,
}

fn open_receiver(
    _spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let name = src.param("name")?;
    let queue = Queue::open(name, MQ_OFlag::O_RDONLY)?;
    // The watchdog's own descriptor: it reads the queue's fill and, if the
    // sender is gone, sends the wake-up message.
    let probe = std::sync::Arc::new(Queue::open(name, MQ_OFlag::O_WRONLY | MQ_OFlag::O_NONBLOCK)?);
    let (empty, wake) = (probe.clone(), probe);
    let stall = StallWatch::spawn(
        "posix-mq-recv-watch".into(),
        PeerWatch::new(opts.peer, opts.timeout),
        move || holds(&empty, 1).map(|some| !some),
        move || {
            let _ = mq_send(&wake.mqd, &[], WAKE);
        },
    )?;
    Ok(Box::new(MqReceiver { queue, stall, opts: opts.clone() }))
}

impl RawReceiver for MqReceiver {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        let mut prio = 0u32;
        self.stall.enter();
        let got = loop {
            match mq_receive(&self.queue.mqd, buf, &mut prio) {
                Err(Errno::EINTR) => {}
                other => break other,
            }
        };
        self.stall.leave();
        match got {
            Ok(_) if prio == WAKE => Err(self
                .stall
                .verdict(self.opts.peer, self.opts.timeout)
                .unwrap_or_else(|| TransportError::PeerGone("woken by a watchdog".into()))),
            // One sender's end: the channel counts them (others may follow).
            Ok(0) => Err(TransportError::Disconnected),
            Ok(n) => Ok(n),
            Err(e) => Err(TransportError::io("mq_receive", e)),
        }
    }
}

/// Remove the queue `name` (with its leading `/`); a queue already gone is
/// an error of kind `NotFound`.
pub(crate) fn unlink(name: &str) -> std::io::Result<()> {
    mq_unlink(name).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::transport::backends::testing::{message, short_lived};
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    const KIND: TransportKind = TransportKind::PosixMq;

    /// The queue names in a channel's address (data and acknowledgement).
    fn names(chan: &Channel) -> Vec<String> {
        chan.address().params("name").map(str::to_owned).collect()
    }

    /// Each queue is gone: `mq_open` finds none, and neither does `/dev/mqueue` where mounted.
    fn assert_gone(names: &[String]) {
        for name in names {
            assert!(!IpcObject::PosixMq(name.clone()).exists(), "{name} still exists");
            assert!(!std::path::Path::new("/dev/mqueue").join(&name[1..]).exists());
        }
    }

    /// The queues each mode makes, found by the names in the address (not
    /// by the channel's own list of objects): one, and a second for the
    /// rendezvous acknowledgements; all unlinked with the channel.
    #[test]
    fn one_queue_per_direction_unlinked_with_the_channel() {
        for capacity in [Capacity::Rendezvous, Capacity::Bounded(4), Capacity::Unbounded] {
            let chan = Channel::create(&ChannelSpec::new(KIND, capacity, 16)).unwrap();
            let objects = names(&chan);
            assert_eq!(objects.len(), if capacity == Capacity::Rendezvous { 2 } else { 1 }, "{capacity}");
            drop(chan);
            assert_gone(&objects);
        }
    }

    /// `mq_maxmsg = N`: exactly N messages fit; above `fs.mqueue.msg_max`,
    /// a refusal that names it.
    #[test]
    fn bounded_capacity_is_exact() {
        let msg_max = MSG_MAX.read().unwrap();
        for n in [1usize, 64, 1024] {
            let created = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(n), 16));
            let mut chan = match created {
                // Without CAP_SYS_RESOURCE the kernel stops at msg_max.
                Err(TransportError::Refused(why)) if n as u64 > msg_max => {
                    assert!(why.contains(&MSG_MAX.to_string()) && why.contains("sysctl fs.mqueue.msg_max"), "{why}");
                    eprintln!("posix-mq bounded:{n} x 16 B: refused: {why}");
                    continue;
                }
                other => other.unwrap(),
            };
            let realised = chan.realised();
            assert_eq!(realised.messages, Some(n as u64), "{}", realised.detail);
            let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
            let mut accepted = 0u64;
            while tx.try_send(&[7u8; 16]).unwrap() {
                accepted += 1;
                assert!(accepted <= n as u64 + 1, "more than {n} fit");
            }
            eprintln!("posix-mq bounded:{n} x 16 B: {accepted} messages fit ({})", realised.detail);
            assert_eq!(accepted, n as u64);
            let objects = names(&chan);
            drop((tx, chan));
            assert_gone(&objects);
        }
    }

    /// Unbounded is a queue of `fs.mqueue.msg_max` messages, and says so.
    #[test]
    fn unbounded_is_a_queue_of_msg_max() {
        let chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Unbounded, 16)).unwrap();
        assert_eq!(chan.realised().messages, None);
        assert!(chan.realised().detail.contains(&MSG_MAX.to_string()), "{}", chan.realised().detail);
    }

    /// Each kernel limit is refused naming itself and how to raise it.
    #[test]
    fn kernel_limits_are_refused_by_name() {
        let too_big = HARD_MSGSIZEMAX as usize + 1;
        match Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(1), too_big)) {
            Err(TransportError::TooLarge { len, limit, .. }) => {
                assert_eq!(len, too_big);
                assert!(limit.contains("HARD_MSGSIZEMAX"), "{limit}");
            }
            other => panic!("expected TooLarge, got {:?}", other.map(|c| c.realised())),
        }
        match Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(HARD_MSGMAX as usize + 1), 16)) {
            Err(TransportError::Refused(why)) => assert!(why.contains("HARD_MSGMAX"), "{why}"),
            other => panic!("expected Refused, got {:?}", other.map(|c| c.realised())),
        }
        let msg_max = MSG_MAX.read().unwrap();
        let size_max = MSGSIZE_MAX.read().unwrap();
        // Refused without CAP_SYS_RESOURCE; allowed with it (up to the hard limits).
        match Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(msg_max as usize + 1), 16)) {
            Err(TransportError::Refused(why)) => assert!(why.contains("fs.mqueue.msg_max"), "{why}"),
            Ok(chan) => assert_eq!(chan.realised().messages, Some(msg_max + 1)),
            Err(e) => panic!("expected Refused, got {e}"),
        }
        match Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(1), size_max as usize + 1)) {
            Err(TransportError::TooLarge { limit, .. }) => assert!(limit.contains(&MSGSIZE_MAX.to_string()), "{limit}"),
            Ok(_) => {}
            Err(e) => panic!("expected TooLarge, got {e}"),
        }
        // The wording of the refusals the running user may not be able to provoke.
        let why = refusal(Errno::EINVAL, "/x", msg_max + 1, 16).to_string();
        assert!(why.contains(&MSG_MAX.to_string()) && why.contains("sysctl fs.mqueue.msg_max"), "{why}");
        let why = refusal(Errno::EINVAL, "/x", 1, size_max as usize + 1).to_string();
        assert!(why.contains(&MSGSIZE_MAX.to_string()) && why.contains("sysctl fs.mqueue.msgsize_max"), "{why}");
        let why = refusal(Errno::EMFILE, "/x", 1000, 8192).to_string();
        assert!(why.contains("RLIMIT_MSGQUEUE") && why.contains("ulimit -q"), "{why}");
    }

    /// A sender that finished and exited left its messages and end marker
    /// in the queue: the receiver watching it drains them all before it
    /// sees the clean end, never a peer gone.
    #[test]
    fn finished_sender_that_exited_is_drained() {
        let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(8), 16)).unwrap();
        let mut child = short_lived("0");
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        for seq in 0..3 {
            tx.send(&message(seq, 16)).unwrap();
        }
        tx.finish().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let opts = OpenOptions { peer: Some(child.id()), timeout: Duration::from_secs(20) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let mut buf = [0u8; 16];
        for seq in 0..3 {
            let n = rx.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &message(seq, 16)[..]);
        }
        assert!(rx.recv(&mut buf).unwrap_err().is_disconnected());
        child.wait().unwrap();
    }

    /// With no process to watch, the watchdog wakes a receiver stuck on an
    /// empty queue at the deadline (with a message of its own priority).
    #[test]
    fn stuck_peer_times_out() {
        let spec = ChannelSpec::new(KIND, Capacity::Bounded(1), 16).timeout(Duration::from_millis(200));
        let mut chan = Channel::create(&spec).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(200) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let _tx = chan.open_sender(&opts).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(rx.recv(&mut buf), Err(TransportError::Timeout(_))));
    }
}
