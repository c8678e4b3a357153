//! The transports ringside compares, by the names the command line shows,
//! how each one names its peer (a direct link or an indirect mailbox),
//! whether one channel of it may have many sender processes, the ring's
//! designs for the ablation textbook -> padded -> ring, and the shared-memory
//! mailbox's two designs (lock-free, and the mutex it is measured against),
//! and how many times each copies a message on its way ([`Copies`]).

use std::fmt;
use std::str::FromStr;

use crate::{Capacity, UnknownName};

/// One inter-process (or, for `crossbeam`, inter-thread) transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// The shared-memory ring (bench-core's `ring`), in one of its designs.
    ShmRing(Variant),
    /// Anonymous pipe, inherited by the other process.
    Pipe,
    /// Named pipe (`mkfifo`).
    Fifo,
    /// `AF_UNIX`, `SOCK_STREAM`, connected through a socket path.
    UnixStream,
    /// `AF_UNIX`, `SOCK_DGRAM`, sent to a bound socket path.
    UnixDgram,
    /// `AF_UNIX`, `SOCK_SEQPACKET`, connected through a socket path.
    UnixSeqpacket,
    /// TCP over loopback with `TCP_NODELAY`.
    Tcp,
    /// POSIX message queue (`mq_open`).
    PosixMq,
    /// System V message queue (`msgget`).
    SysvMq,
    /// A shared-memory slot array whose wake-ups go through `eventfd`.
    EventfdShm,
    /// bench-core's shared-memory multi-producer mailbox, in one of its designs.
    ShmMailbox(MailboxDesign),
    /// iceoryx2's zero-copy publish-subscribe over shared memory (the
    /// `iceoryx2` crate), one publisher and one subscriber process: the
    /// framework a Rust user would otherwise adopt. Built in by the cargo
    /// feature `iceoryx2` (on by default); without it, refused with the reason.
    Iceoryx2,
    /// `crossbeam-channel` between two **threads** of one process: the in-process baseline.
    Crossbeam,
}

/// How the two ends find each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    /// A link between two endpoints, made by one side and handed to the
    /// other (an inherited pipe, a connected socket).
    Direct,
    /// A named mailbox any process with the name can open (a FIFO, a message
    /// queue, a shared-memory segment).
    Indirect,
}

impl TransportKind {
    /// Every transport, in the order reports list them.
    pub const ALL: [TransportKind; 16] = [
        TransportKind::ShmRing(Variant::Ring),
        TransportKind::ShmRing(Variant::Padded),
        TransportKind::ShmRing(Variant::Textbook),
        TransportKind::Pipe,
        TransportKind::Fifo,
        TransportKind::UnixStream,
        TransportKind::UnixDgram,
        TransportKind::UnixSeqpacket,
        TransportKind::Tcp,
        TransportKind::PosixMq,
        TransportKind::SysvMq,
        TransportKind::EventfdShm,
        TransportKind::ShmMailbox(MailboxDesign::LockFree),
        TransportKind::ShmMailbox(MailboxDesign::Mutex),
        TransportKind::Iceoryx2,
        TransportKind::Crossbeam,
    ];

    /// The name the command line and the results use.
    pub fn name(self) -> &'static str {
        match self {
            TransportKind::ShmRing(Variant::Ring) => "shm-ring",
            TransportKind::ShmRing(Variant::Padded) => "shm-ring:padded",
            TransportKind::ShmRing(Variant::Textbook) => "shm-ring:textbook",
            TransportKind::Pipe => "pipe",
            TransportKind::Fifo => "fifo",
            TransportKind::UnixStream => "unix-stream",
            TransportKind::UnixDgram => "unix-dgram",
            TransportKind::UnixSeqpacket => "unix-seqpacket",
            TransportKind::Tcp => "tcp",
            TransportKind::PosixMq => "posix-mq",
            TransportKind::SysvMq => "sysv-mq",
            TransportKind::EventfdShm => "eventfd-shm",
            TransportKind::ShmMailbox(MailboxDesign::LockFree) => "shm-mailbox",
            TransportKind::ShmMailbox(MailboxDesign::Mutex) => "shm-mailbox:mutex",
            TransportKind::Iceoryx2 => "iceoryx2",
            TransportKind::Crossbeam => "crossbeam",
        }
    }

    /// Direct link or indirect mailbox.
    pub fn link(self) -> Link {
        match self {
            TransportKind::Pipe
            | TransportKind::UnixStream
            | TransportKind::UnixSeqpacket
            | TransportKind::Tcp
            | TransportKind::Crossbeam => Link::Direct,
            TransportKind::ShmRing(_)
            | TransportKind::Fifo
            | TransportKind::UnixDgram
            | TransportKind::PosixMq
            | TransportKind::SysvMq
            | TransportKind::EventfdShm
            | TransportKind::ShmMailbox(_)
            | TransportKind::Iceoryx2 => Link::Indirect,
        }
    }

    /// Whether one channel of this transport may have several sender
    /// processes, each opening the sending end from the same address, and
    /// if not, why not (one line). The named mailboxes may (`fifo`,
    /// `unix-dgram`, the message queues, `shm-mailbox*`); the direct links,
    /// the single-producer rings and `crossbeam` may not.
    pub fn many_senders(self) -> Result<(), &'static str> {
        match self {
            TransportKind::Fifo
            | TransportKind::UnixDgram
            | TransportKind::PosixMq
            | TransportKind::SysvMq
            | TransportKind::ShmMailbox(_) => Ok(()),
            TransportKind::Pipe | TransportKind::UnixStream | TransportKind::UnixSeqpacket | TransportKind::Tcp => {
                Err("a direct link: a connected pair of endpoints, one writer; N senders would be N links")
            }
            TransportKind::ShmRing(_) => Err("a single-producer ring: one writer per ring"),
            TransportKind::EventfdShm => Err("a single-producer slot array: one writer claims its slots"),
            TransportKind::Iceoryx2 => Err(
                "each publisher has its own subscriber buffer: bounded:N would be N per sender, not one N shared by all",
            ),
            TransportKind::Crossbeam => {
                Err("threads of one process, not processes; its ends are made once, at creation")
            }
        }
    }

    /// Whether the two ends are threads of one process (only `crossbeam`),
    /// not separate processes: every output labels it so.
    pub fn is_threads(self) -> bool {
        self == TransportKind::Crossbeam
    }

    /// Whether the kernel carries the messages (not shared memory or a
    /// user-space channel): the group the ring is compared against.
    pub fn is_kernel(self) -> bool {
        !matches!(
            self,
            TransportKind::ShmRing(_)
                | TransportKind::EventfdShm
                | TransportKind::ShmMailbox(_)
                | TransportKind::Iceoryx2
                | TransportKind::Crossbeam
        )
    }

    /// Whether a side that must wait (channel full, empty, or a rendezvous
    /// not yet acknowledged) waits in user space, by a wait strategy of its
    /// own (`spin`, `yield`, `block`, see [`crate::WaitStrategy`]):
    /// the three ring designs, `eventfd-shm` and the two mailbox designs.
    /// (`shm-mailbox:mutex` takes a strategy but always blocks on its
    /// condition variables whatever it is: the textbook design it stands
    /// for; [`crate::Wait::resolve`] gives it `block`.) The kernel transports
    /// wait in the kernel, and `crossbeam` inside `crossbeam-channel`; no
    /// strategy applies to them.
    pub fn waits_in_user_space(self) -> bool {
        matches!(self, TransportKind::ShmRing(_) | TransportKind::EventfdShm | TransportKind::ShmMailbox(_))
    }

    /// Whether a waiting side polls, with no wait strategy and no sleep it
    /// can be woken from (`iceoryx2`: its publisher retries a full buffer,
    /// its subscriber polls `receive`). Two such sides on one core hand
    /// the core to each other by yielding, a time slice at a time.
    pub fn polls(self) -> bool {
        self == TransportKind::Iceoryx2
    }

    /// Where a waiting side waits, in words that follow "waits": `in user
    /// space`, `in the kernel`, `inside crossbeam-channel (threads of one
    /// process)`, or for `iceoryx2` by polling in user space. Callers say
    /// that no wait strategy applies where this is not `in user space`.
    pub fn where_it_waits(self) -> &'static str {
        if self.waits_in_user_space() {
            "in user space"
        } else if self.polls() {
            "in user space, polling (its publisher retries a full buffer, its subscriber polls)"
        } else if self.is_threads() {
            "inside crossbeam-channel (threads of one process)"
        } else {
            "in the kernel"
        }
    }

    /// Whether each end runs a watchdog thread beside the caller's (the
    /// message queues' `StallWatch`, since a queue gives no end-of-file when
    /// its peer dies). A second thread changes how fast the kernel wakes the
    /// process on some machines, so a C reference of these ends runs one too.
    pub fn has_watchdog_thread(self) -> bool {
        matches!(self, TransportKind::PosixMq | TransportKind::SysvMq)
    }
}

impl TransportKind {
    /// Whether ringside drives this transport in `capacity` through loans
    /// (the producer composes each message in the memory the consumer
    /// reads it from, and the consumer checks it there, then releases it):
    /// the ring designs in every mode (each realises every mode itself),
    /// `iceoryx2` where it realises the mode itself (`bounded:N`: its
    /// samples are loaned, written in place, sent and read in place). Every
    /// other transport, and `iceoryx2` in the modes the channel layer
    /// builds on top of it, moves copies through the transport contract.
    pub fn lends_slots(self, capacity: Capacity) -> bool {
        match self {
            TransportKind::ShmRing(_) => true,
            TransportKind::Iceoryx2 => matches!(capacity, Capacity::Bounded(_)),
            _ => false,
        }
    }

    /// How many times a message's bytes are copied between the producer
    /// composing them and the consumer checking them, in `capacity`, as
    /// ringside drives this transport: composing and checking (one pass
    /// each, which every transport pays) are not counted.
    pub fn copies(self, capacity: Capacity) -> Copies {
        if self.lends_slots(capacity) {
            return Copies { count: 0, how: "none: composed in the shared slot, checked in place (loans)" };
        }
        let how = match self {
            TransportKind::ShmRing(_) => unreachable!("the ring always lends its slots"),
            TransportKind::Pipe | TransportKind::Fifo => "into the pipe buffer by write(2), out by read(2)",
            TransportKind::UnixStream | TransportKind::UnixDgram | TransportKind::UnixSeqpacket => {
                "into a socket buffer by send(2), out by recv(2)"
            }
            TransportKind::Tcp => "into the socket buffer by send(2), out by recv(2) (loopback: no wire)",
            TransportKind::PosixMq => "into the queue by mq_send(3), out by mq_receive(3)",
            TransportKind::SysvMq => "into the queue by msgsnd(2), out by msgrcv(2)",
            TransportKind::EventfdShm | TransportKind::ShmMailbox(_) => {
                "into a shared slot by send, out of it by recv (the transport contract copies)"
            }
            TransportKind::Iceoryx2 => {
                "into a loaned sample by send, out of the sample by recv (the transport contract copies)"
            }
            TransportKind::Crossbeam => "into a buffer sent through the channel, out of it by recv",
        };
        Copies { count: 2, how }
    }
}

/// How many times a message is copied on its way, and where
/// ([`TransportKind::copies`]). A message that waits in an unbounded
/// channel's sender-side spill queue is copied once more into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Copies {
    /// Copies of the whole message beyond composing and checking it.
    pub count: u8,
    /// Where they happen, in a few words.
    pub how: &'static str,
}

/// Ordered as [`TransportKind::ALL`] lists them: the report's order.
impl Ord for TransportKind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |k: &TransportKind| TransportKind::ALL.iter().position(|a| a == k);
        rank(self).cmp(&rank(other))
    }
}

impl PartialOrd for TransportKind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Link::Direct => "direct",
            Link::Indirect => "indirect",
        })
    }
}

/// A ring design, for the ablation textbook -> padded -> ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The classic algorithm: `in`/`out` indices side by side on one cache
    /// line, `(in + 1) % BUFFER_SIZE == out` as the full test (one slot
    /// wasted), the peer's index loaded on every operation.
    Textbook,
    /// The textbook algorithm with `in` and `out` on separate 128-byte lines.
    Padded,
    /// The full design: the consumer polls a sequence stamp beside the data,
    /// power-of-two mask, monotonic positions, cached peer index, padded lines.
    Ring,
}

crate::names::named_enum!(Variant, "ring variant", Textbook => "textbook", Padded => "padded", Ring => "ring");

/// A design of the shared-memory mailbox (bench-core's `mailbox`): how its
/// senders and its receiver share the slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MailboxDesign {
    /// Vyukov's bounded queue: per-slot sequence words, a sender claims a
    /// position by compare-and-swap of the shared tail; no lock anywhere.
    /// Waits by the side's wait strategy.
    #[default]
    LockFree,
    /// The textbook ablation: one process-shared robust `pthread_mutex_t`
    /// and two condition variables around a circular buffer. Always waits
    /// by blocking on its condition variables, whatever the wait strategy.
    Mutex,
}

crate::names::named_enum!(MailboxDesign, "mailbox design", LockFree => "lock-free", Mutex => "mutex");

impl FromStr for TransportKind {
    type Err = UnknownName;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TransportKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownName::new("transport", s, TransportKind::ALL.map(TransportKind::name).join(", ")))
    }
}

crate::names::named_serde!(TransportKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in TransportKind::ALL {
            assert_eq!(kind.name().parse::<TransportKind>(), Ok(kind));
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<TransportKind>(&format!("\"{kind}\"")).unwrap(), kind);
        }
        assert!("carrier-pigeon".parse::<TransportKind>().unwrap_err().to_string().contains("pipe"));
        assert!(serde_json::from_str::<TransportKind>("\"carrier-pigeon\"").is_err());
        for v in Variant::ALL {
            assert_eq!(v.name().parse::<Variant>().unwrap(), v);
        }
        assert!("fast".parse::<Variant>().unwrap_err().to_string().contains("textbook, padded, ring"));
        for d in MailboxDesign::ALL {
            assert_eq!(d.name().parse::<MailboxDesign>().unwrap(), d);
        }
        assert_eq!("shm-mailbox".parse(), Ok(TransportKind::ShmMailbox(MailboxDesign::LockFree)));
        assert_eq!("shm-mailbox:mutex".parse(), Ok(TransportKind::ShmMailbox(MailboxDesign::Mutex)));
    }

    #[test]
    fn only_the_named_mailboxes_take_many_senders() {
        let many: Vec<&str> =
            TransportKind::ALL.into_iter().filter(|k| k.many_senders().is_ok()).map(TransportKind::name).collect();
        assert_eq!(many, ["fifo", "unix-dgram", "posix-mq", "sysv-mq", "shm-mailbox", "shm-mailbox:mutex"]);
        for kind in TransportKind::ALL {
            if let Err(why) = kind.many_senders() {
                assert!(!why.is_empty() && !why.contains('\n'), "{kind}: {why}");
            }
            // Every transport that takes many senders is a named mailbox.
            if kind.many_senders().is_ok() {
                assert_eq!(kind.link(), Link::Indirect, "{kind}");
            }
        }
        assert!(TransportKind::Pipe.many_senders().unwrap_err().contains("direct link"));
        assert!(TransportKind::ShmRing(Variant::Ring).many_senders().unwrap_err().contains("single-producer"));
        assert!(TransportKind::Crossbeam.many_senders().unwrap_err().contains("threads"));
        assert!(TransportKind::Iceoryx2.many_senders().unwrap_err().contains("per sender"));
    }

    #[test]
    fn only_loans_copy_nothing() {
        for kind in TransportKind::ALL {
            for capacity in [Capacity::Rendezvous, Capacity::Bounded(8), Capacity::Unbounded] {
                let copies = kind.copies(capacity);
                assert_eq!(copies.count == 0, kind.lends_slots(capacity), "{kind} {capacity}");
                assert!(!copies.how.is_empty());
            }
        }
        assert_eq!(TransportKind::ShmRing(Variant::Textbook).copies(Capacity::Unbounded).count, 0);
        assert_eq!(TransportKind::Iceoryx2.copies(Capacity::Bounded(8)).count, 0);
        assert_eq!(TransportKind::Iceoryx2.copies(Capacity::Rendezvous).count, 2);
        assert_eq!(TransportKind::Pipe.copies(Capacity::Bounded(8)).count, 2);
    }

    #[test]
    fn only_the_shared_memory_transports_wait_in_user_space() {
        let waiting: Vec<&str> =
            TransportKind::ALL.into_iter().filter(|k| k.waits_in_user_space()).map(TransportKind::name).collect();
        assert_eq!(
            waiting,
            ["shm-ring", "shm-ring:padded", "shm-ring:textbook", "eventfd-shm", "shm-mailbox", "shm-mailbox:mutex"]
        );
        assert!(TransportKind::ALL.into_iter().filter(|k| k.is_kernel()).all(|k| !k.waits_in_user_space()));
        assert!(!TransportKind::Crossbeam.waits_in_user_space());
        assert_eq!(TransportKind::Pipe.where_it_waits(), "in the kernel");
        assert_eq!(TransportKind::EventfdShm.where_it_waits(), "in user space");
        assert!(TransportKind::Crossbeam.where_it_waits().contains("crossbeam-channel"));
        assert!(!TransportKind::Iceoryx2.where_it_waits().contains("wait strategy"), "its callers say that once");
        let polling: Vec<_> = TransportKind::ALL.into_iter().filter(|k| k.polls()).collect();
        assert_eq!(polling, [TransportKind::Iceoryx2]);
    }
}
