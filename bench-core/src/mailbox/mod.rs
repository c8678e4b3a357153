//! A multi-producer, single-consumer mailbox in shared memory: any number
//! of sender processes (or threads) send to one receiver through one
//! `/dev/shm` segment, in two designs and two capacity modes.
//!
//! ```no_run
//! use bench_core::mailbox::{Capacity, MailboxConfig, SharedMailbox};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The receiving process creates the mailbox and passes its name on.
//! let mailbox = SharedMailbox::create(&MailboxConfig::new(Capacity::Bounded(64)).slot_size(64))?;
//! let name = mailbox.name().to_owned();
//! let mut receiver = mailbox.into_receiver()?;
//! // Each sending process:
//! let mut sender = SharedMailbox::attach(&name)?.into_sender()?;
//! sender.send(b"hello")?;
//! let mut buf = [0u8; 64];
//! let n = receiver.recv(&mut buf)?;
//! assert_eq!(&buf[..n], b"hello");
//! # Ok(()) }
//! ```
//!
//! # Designs ([`Design`])
//! - `LockFree` (the default): Vyukov's bounded queue (`lockfree`): a
//!   sender claims a position by compare-and-swap of the shared tail,
//!   writes its slot and publishes it with a Release store of the slot's
//!   sequence word; the receiver reads in position order. No lock on any
//!   path; waiting by the side's [`WaitStrategy`]: spin, yield, or block
//!   on futex words (the receiver alone on its word, the senders together
//!   on a `Crowd`: `ring::wait`), every wait with the side's own deadline.
//! - `Mutex`: the textbook ablation (`locked`): a process-shared robust
//!   mutex and two condition variables around a circular buffer. It always
//!   blocks, and loom cannot model it.
//!
//! # Capacity modes
//! - `Bounded(n)`: n slots; a sender waits while all n hold messages.
//! - `Rendezvous`: one slot, and a send returns only once the receiver
//!   has taken *that* message (the receiver's published count of taken
//!   positions has passed it). One slot, because a rendezvous mailbox
//!   never holds more than one message a sender is not still waiting
//!   for; senders queue for it one at a time.
//! - `Unbounded` is refused ([`MailboxError::Unbounded`]): a segment of
//!   fixed size cannot grow for many writers without a lock. The transport
//!   layer builds unbounded from bounded sends plus a sender-side spill
//!   queue, as it does for the kernel queues.
//!
//! # Parts
//! - `config`, `error`: what is asked, what goes wrong;
//! - `layout`: the bytes of a segment and the validated view of them;
//! - `lockfree`, `locked`: the two designs' slot protocols;
//! - `roster`: sender registration, clean and abandoned ends, liveness;
//! - `sender`, `receiver`: the ends, their waits and their drops.
//!
//! # Ends, and how a stream ends
//! The receiving end is claimed once, by compare-and-swap of the
//! claimer's pid, like the ring's roles. Sending ends are taken any number
//! of times, from any process: each registers in a table of
//! [`MAX_SENDERS`] entries in the header (more at once is
//! [`MailboxError::TooManySenders`]). A sender that drops its end
//! deregisters; once every sender that ever registered has closed (and at
//! least [`MailboxConfig::expected_senders`] have registered, if set) and
//! the mailbox is drained, the receiver gets [`RecvError::Disconnected`], or
//! [`RecvError::Abandoned`] if any of them was dropped while panicking or
//! by [`Sender::abandon`]. A sender process that dies keeps its entry: the
//! receiver, when it runs out of messages (perhaps at a position the dead
//! sender claimed and never published), finds the process gone and fails
//! with [`RecvError::SenderDied`] rather than wait forever. Senders watch
//! the receiver's process likewise ([`SendError::ReceiverDied`]).
//!
//! # Names and their removal
//! The creator makes `/dev/shm/ringside-<pid>-...` through [`crate::shm`]
//! (`O_EXCL`, mode 0600). Senders may attach at any time, so attaching
//! does not remove the name (as the ring's does); it is removed when the
//! receiving end drops, when the creator's handle or the end it became
//! drops, on any failure while creating, and, as soon as possible, once
//! [`MailboxConfig::expected_senders`] senders have registered and the
//! receiver has claimed its end (whichever comes last: a receiver in
//! another process may attach after the senders): from then on no crash
//! can leave it behind. `harness clean` finds what a `kill -9`
//! before then leaves, by prefix and pid.
//!
//! # Shared memory is not trusted
//! An attached header is checked field by field (magic, version, layout
//! and geometry hashes, sizes against the mapping); every slot index is a
//! position reduced modulo the validated slot count, every length read
//! from a slot is bounded by the slot size, every table index is ours
//! (`layout` says what a peer that breaks the protocol can still do).

pub mod config;
pub mod error;
mod layout;
#[cfg(not(loom))]
mod locked;
mod lockfree;
mod receiver;
mod roster;
mod sender;

pub use config::{Capacity, Design, MAX_SENDERS, MailboxConfig, WaitStrategy};
pub use error::{MailboxError, RecvError, SendError};
pub use receiver::{Receiver, ReceiverStats};
pub use sender::{Sender, SenderStats};

use layout::{Geometry, Region};

use crate::ring::NameGuard;
use crate::sync::Ordering;

/// A mailbox segment this process has created or attached, before it takes an end.
pub struct SharedMailbox {
    region: Region,
    /// The creator's ownership of the name; `None` for an attached handle.
    owned_name: Option<NameGuard>,
    /// This side's deadline for a single wait: its own, never the segment's.
    timeout: std::time::Duration,
}

impl SharedMailbox {
    /// Create a new mailbox under a fresh unique name in `/dev/shm`.
    #[cfg(not(loom))]
    pub fn create(config: &MailboxConfig) -> Result<Self, MailboxError> {
        let g = Geometry::for_config(config)?;
        let region = Region::create(&g)?;
        let owned_name = Some(NameGuard::new(Some(region.name().to_owned())));
        Ok(Self { region, owned_name, timeout: config.timeout })
    }

    /// Attach to a mailbox another process (or thread) created, checking
    /// its header. The name stays: more senders may attach after this one.
    #[cfg(not(loom))]
    pub fn attach(name: &str) -> Result<Self, MailboxError> {
        let region = Region::attach(name)?;
        Ok(Self { region, owned_name: None, timeout: MailboxConfig::default().timeout })
    }

    /// Set how long a single wait of the end this handle becomes may last
    /// (at least a nanosecond). An attached mailbox starts from
    /// [`MailboxConfig::default`]'s; the creator's is not in the segment.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout.max(std::time::Duration::from_nanos(1));
        self
    }

    /// The mailbox's name in `/dev/shm` (what senders pass to [`attach`](Self::attach)).
    pub fn name(&self) -> &str {
        self.region.name()
    }

    /// The mailbox's configuration: its shape as created (read from the
    /// header when attached), with this side's own timeout.
    pub fn config(&self) -> MailboxConfig {
        let g = self.region.geometry();
        MailboxConfig {
            design: g.design,
            capacity: g.capacity,
            wait: g.wait,
            slot_size: g.slot_size,
            timeout: self.timeout,
            expected_senders: (g.expected_senders != 0).then_some(g.expected_senders as usize),
        }
    }

    /// Take a sending end (any number of times, from any process).
    pub fn into_sender(self) -> Result<Sender, MailboxError> {
        Sender::new(self.region, self.owned_name, self.timeout)
    }

    /// Take the receiving end: once per mailbox.
    pub fn into_receiver(self) -> Result<Receiver, MailboxError> {
        let pid_word = &self.region.lines().receiver.pid;
        let me = std::process::id();
        // SeqCst/Acquire: pairs with a competing claim (the winner's pid is
        // what the senders watch for liveness), and, SeqCst, with the
        // senders' SeqCst registrations in `roster::unlink_once_all_attached`.
        if let Err(pid) = pid_word.compare_exchange(0, me, Ordering::SeqCst, Ordering::Acquire) {
            return Err(MailboxError::ReceiverTaken { name: self.name().to_owned(), pid });
        }
        roster::unlink_once_all_attached(&self.region);
        #[cfg(not(loom))]
        let name = self.owned_name.unwrap_or_else(|| NameGuard::new(Some(self.region.name().to_owned())));
        #[cfg(loom)]
        let name = self.owned_name.unwrap_or_else(|| NameGuard::new(None));
        Ok(Receiver::new(self.region, name, self.timeout))
    }
}

/// A new mailbox with `senders` sending ends and the receiving end, all in
/// this process, for threads (tests, benches); the name is already removed.
#[cfg(not(loom))]
pub fn local(config: &MailboxConfig, senders: usize) -> Result<(Vec<Sender>, Receiver), MailboxError> {
    let mailbox = SharedMailbox::create(config)?;
    let name = mailbox.name().to_owned();
    let ends = (0..senders)
        .map(|_| SharedMailbox::attach(&name).map(|m| m.with_timeout(config.timeout)).and_then(|m| m.into_sender()))
        .collect::<Result<Vec<_>, _>>()?;
    let receiver = mailbox.into_receiver()?;
    let _ = crate::shm::unlink(&name);
    Ok((ends, receiver))
}

/// A new heap-backed mailbox with `senders` sending ends and the receiving
/// end, for loom models (the same protocol code; the lock-free design only).
#[cfg(loom)]
pub fn local(config: &MailboxConfig, senders: usize) -> Result<(Vec<Sender>, Receiver), MailboxError> {
    if config.design == Design::Mutex {
        return Err(MailboxError::Config("loom cannot model the mutex design's pthread objects".into()));
    }
    let region = Region::heap(&Geometry::for_config(config)?);
    let handle = |region| SharedMailbox { region, owned_name: None, timeout: config.timeout };
    let ends = (0..senders).map(|_| handle(region.clone()).into_sender()).collect::<Result<Vec<_>, _>>()?;
    Ok((ends, handle(region).into_receiver()?))
}
