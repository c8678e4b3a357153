//! What each transport implements: create a one-way channel, open either
//! end of it, and move single messages. Capacity modes that a kernel
//! object cannot express itself (rendezvous, unbounded) are built on top of
//! this in [`super::channel`], the same way for every transport.

use std::collections::BTreeMap;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::TransportError;
use super::objects::ObjectGuard;
use crate::ring::{Capacity, Variant, WaitStrategy};
use vocabulary::MailboxDesign;

/// What a backend is asked to create: one direction of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneWaySpec {
    /// `Bounded(n)`: realise n in the kernel object. `Unbounded`: the
    /// kernel's default (or a generous) size, unless the backend realises
    /// it natively; the sender will only ever `try_send` and keep what does
    /// not fit. `Rendezvous` reaches only backends that realise it
    /// natively (see [`Backend::native`]); others get `Bounded(1)`.
    pub capacity: Capacity,
    /// The largest message this channel carries (messages are 1..=this).
    pub message_size: usize,
    /// Every message is exactly `message_size` bytes.
    pub fixed_size: bool,
    /// For the shared-memory transports: how a side waits.
    pub wait: WaitStrategy,
    /// For `shm-ring`: which design.
    pub variant: Variant,
    /// For `shm-mailbox`: which design.
    pub design: MailboxDesign,
    /// How long a blocked side waits without progress before giving up.
    pub timeout: Duration,
    /// How many sender processes will open the sending end (at least 1;
    /// more only where [`TransportKind::many_senders`](vocabulary::TransportKind::many_senders)
    /// allows). Each sends its own end marker; the channel's receiver counts them.
    pub senders: usize,
}

/// Options for opening an end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// The peer's process id, if known: transports without an end-of-file
    /// signal watch it while they wait, and report it gone once it exits.
    /// With several senders, a sender's `peer` is the receiver's process;
    /// the receiver's must be `None` or a process that outlives every
    /// sender (the coordinator): a sender that finished and exited while
    /// the others still send would otherwise read as the peer gone.
    pub peer: Option<u32>,
    /// How long a blocked operation waits without progress before it fails.
    pub timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self { peer: None, timeout: Duration::from_secs(30) }
    }
}

/// Which end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The sending end.
    Sender,
    /// The receiving end.
    Receiver,
}

/// What a backend's `create` hands back.
#[derive(Default)]
pub struct Created {
    /// What the other process needs to open an end (names, paths, ids, ports),
    /// as `key -> value`; values must not contain `;` or `=`.
    pub params: BTreeMap<String, String>,
    /// Descriptors an end needs, under a param key (`Source::take_fd(key)`):
    /// inherited by the process that opens that role.
    pub fds: Vec<(Role, String, OwnedFd)>,
    /// Ends made here and now, for a transport between threads of the
    /// creating process (`crossbeam`); taken by [`Source::take_made_sender`]
    /// and [`Source::take_made_receiver`].
    pub made: Option<MadeEnds>,
    /// The realised capacity in messages of `message_size` bytes (None: unbounded).
    pub realised: Option<u64>,
    /// How the capacity was realised, for the record (e.g. "F_SETPIPE_SZ 4096 bytes").
    pub detail: String,
    /// Kernel objects to remove when the run ends.
    pub objects: ObjectGuard,
    /// Held by the channel until it drops, never opened: what keeps a
    /// kernel object usable in the creating process (the ring's creator
    /// handle, which keeps its name until both ends are claimed).
    pub keep: Option<Box<dyn Send>>,
}

/// The ends of one direction a backend made when it created it, for a
/// transport whose ends exist only in the creating process: each is handed
/// out once, to whoever opens that end there.
#[derive(Default)]
pub struct MadeEnds {
    /// The sending end, until opened.
    pub sender: Option<Box<dyn RawSender>>,
    /// The receiving end, until opened.
    pub receiver: Option<Box<dyn RawReceiver>>,
}

/// Where an opening end finds its descriptors and the ends made at creation.
pub struct Source<'a> {
    pub(crate) params: &'a BTreeMap<String, String>,
    pub(crate) fds: Option<&'a mut Vec<(Role, String, OwnedFd)>>,
    /// `None` when opening from an address (in another process).
    pub(crate) made: Option<&'a mut MadeEnds>,
    pub(crate) role: Role,
}

impl Source<'_> {
    /// A string parameter.
    pub fn param(&self, key: &str) -> Result<&str, TransportError> {
        self.params.get(key).map(String::as_str).ok_or_else(|| TransportError::Protocol(format!("address lacks {key}")))
    }

    /// A parameter parsed as `T`.
    pub fn parse<T: std::str::FromStr>(&self, key: &str) -> Result<T, TransportError> {
        self.param(key)?.parse().map_err(|_| TransportError::Protocol(format!("address has a bad {key}")))
    }

    /// The descriptor registered under `key` for this role: moved out of the
    /// channel in the creating process, or adopted as inherited in a child.
    pub fn take_fd(&mut self, key: &str) -> Result<OwnedFd, TransportError> {
        let role = self.role;
        if let Some(fds) = self.fds.as_deref_mut() {
            let at = fds
                .iter()
                .position(|(r, k, _)| *r == role && k == key)
                .ok_or_else(|| TransportError::Protocol(format!("descriptor {key} already taken or never created")))?;
            return Ok(fds.swap_remove(at).2);
        }
        let raw: RawFd = self.parse(&fd_key(key, role))?;
        adopt_inherited(raw)
    }

    /// The sending end made at creation ([`Created::made`]).
    pub fn take_made_sender(&mut self) -> Result<Box<dyn RawSender>, TransportError> {
        self.made()?.sender.take().ok_or_else(already_open)
    }

    /// The receiving end made at creation ([`Created::made`]).
    pub fn take_made_receiver(&mut self) -> Result<Box<dyn RawReceiver>, TransportError> {
        self.made()?.receiver.take().ok_or_else(already_open)
    }

    fn made(&mut self) -> Result<&mut MadeEnds, TransportError> {
        self.made.as_deref_mut().ok_or_else(|| {
            TransportError::Refused("this transport's ends exist only in the process that created it".into())
        })
    }
}

fn already_open() -> TransportError {
    TransportError::Protocol("this end is already open".into())
}

/// How an address names descriptor `key` of `role`'s end.
pub(crate) fn fd_key(key: &str, role: Role) -> String {
    match role {
        Role::Sender => format!("{key}@sender"),
        Role::Receiver => format!("{key}@receiver"),
    }
}

/// Take ownership of a descriptor this process inherited, once.
fn adopt_inherited(raw: RawFd) -> Result<OwnedFd, TransportError> {
    use std::sync::Mutex;
    static ADOPTED: Mutex<Vec<RawFd>> = Mutex::new(Vec::new());
    let mut adopted = ADOPTED.lock().unwrap_or_else(|p| p.into_inner());
    if adopted.contains(&raw) {
        return Err(TransportError::Protocol(format!("inherited descriptor {raw} opened twice")));
    }
    // Check it is open before claiming it.
    // SAFETY: `raw` is only borrowed for the duration of this call.
    let borrowed = unsafe { std::os::fd::BorrowedFd::borrow_raw(raw) };
    rustix::io::fcntl_getfd(borrowed)
        .map_err(|e| TransportError::io(format!("inherited descriptor {raw} is not open"), e))?;
    adopted.push(raw);
    // SAFETY: the parent cleared close-on-exec on this descriptor for this
    // role only and named it in our address; the list above makes this the
    // one owner in this process.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// The sending end of one direction, as a backend implements it.
pub trait RawSender: Send {
    /// Send one message (1..=message_size bytes), blocking while the channel is full.
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError>;
    /// Send one message if that does not block; `Ok(false)` if the channel is full.
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError>;
    /// Block until a `try_send` may succeed (or the peer dies, or the timeout passes).
    fn wait_writable(&mut self) -> Result<(), TransportError>;
    /// Mark the clean end of the stream (an empty message, EOF, or the
    /// backend's own signal) after everything sent before.
    fn close(&mut self) -> Result<(), TransportError>;
}

/// The receiving end of one direction, as a backend implements it.
pub trait RawReceiver: Send {
    /// The next message into `buf` (at least `message_size` long);
    /// [`TransportError::Disconnected`] for each sender's end marker, as it
    /// arrives (messages of other senders may follow it), unless
    /// [`counts_senders`](Self::counts_senders). The channel's receiver
    /// counts the markers; a backend keeps no state past one.
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError>;

    /// Whether the backend counts its senders itself and returns
    /// [`TransportError::Disconnected`] only once all of them have closed
    /// (the shared-memory mailbox), rather than once per end marker.
    fn counts_senders(&self) -> bool {
        false
    }
}

/// Opens the sending end of one direction.
pub type OpenSender = fn(&OneWaySpec, &mut Source<'_>, &OpenOptions) -> Result<Box<dyn RawSender>, TransportError>;
/// Opens the receiving end of one direction.
pub type OpenReceiver = fn(&OneWaySpec, &mut Source<'_>, &OpenOptions) -> Result<Box<dyn RawReceiver>, TransportError>;

/// One transport's functions.
pub struct Backend {
    /// Create the kernel objects of one direction.
    pub create: fn(&OneWaySpec) -> Result<Created, TransportError>,
    /// Open the sending end.
    pub open_sender: OpenSender,
    /// Open the receiving end.
    pub open_receiver: OpenReceiver,
    /// Whether the backend realises a capacity mode itself (all three for
    /// the ring and crossbeam; bounded and rendezvous for the mailbox;
    /// bounded only for the kernel transports). A mode it does not is
    /// built on top, in [`super::channel`]: rendezvous as a one-message
    /// queue plus acknowledgements, unbounded as non-blocking sends plus a
    /// sender-side spill queue.
    pub native: fn(Capacity) -> bool,
}

/// [`Backend::native`] of a backend that realises every capacity mode itself.
pub fn every_mode(_: Capacity) -> bool {
    true
}

/// [`Backend::native`] of a backend that realises only `bounded:N` itself
/// (the kernel transports).
pub fn bounded_only(capacity: Capacity) -> bool {
    matches!(capacity, Capacity::Bounded(_))
}
