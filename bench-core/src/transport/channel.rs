//! A channel: one direction of messages between two processes (or, for
//! `crossbeam`, two threads), in one capacity mode, over one transport.
//!
//! A coordinating process [`Channel::create`]s it, hands the
//! [`Address`] (and, for direct links, the descriptors:
//! [`Channel::configure_child`]) to the processes that open its ends
//! ([`Address::open`]), and keeps it until the run ends: dropping it
//! removes every kernel object the channel made. Either end may also be
//! opened in the creating process itself ([`Channel::open`]). Both opens
//! are one mechanism, [`End::open`]: the data direction in the end's role,
//! and for a kernel rendezvous the acknowledgement direction in the other.
//!
//! # Capacity modes, the same meaning for every transport
//! | mode | ring, crossbeam | shm-mailbox | kernel transports |
//! | --- | --- | --- | --- |
//! | `rendezvous` | native | native | a one-message kernel queue, and after each send the sender waits for the receiver's acknowledgement on a second channel of the same transport, reversed |
//! | `bounded:N` | native | native | N realised in the kernel object; the realised count in messages is recorded beside N |
//! | `unbounded` | native | as the kernel transports | non-blocking sends; what the kernel will not take waits in a sender-side queue, drained as space frees; spills are counted |
//!
//! Which modes a backend realises itself is its [`Backend::native`](super::backend::Backend::native).
//!
//! # Many senders
//! With [`ChannelSpec::senders`] above one (a transport whose
//! [`TransportKind::many_senders`] allows it), each sender process opens
//! the sending end from the address, and each has its own spill queue
//! (unbounded). `bounded:N` is the one kernel object's (or mailbox's) N,
//! shared by all senders. A kernel rendezvous is refused: its
//! acknowledgements travel on one channel back to one sender, and the
//! receiver cannot address the sender whose message it took; the mailbox's
//! native rendezvous serves any number. Every sender's `finish` sends its
//! own end marker; the [`Receiver`] counts them and returns
//! `Disconnected` after the last (a backend that counts its senders
//! itself, the mailbox, says so: [`RawReceiver::counts_senders`]).

use std::collections::{BTreeMap, VecDeque};
use std::os::fd::AsFd;
use std::time::Duration;

use super::backend::{Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source};
use super::{TransportError, TransportKind, backends};
use crate::child::Launch;
use crate::ring::{Capacity, Variant, WaitStrategy};
use vocabulary::MailboxDesign;

/// Everything needed to create a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelSpec {
    /// The transport.
    pub kind: TransportKind,
    /// The capacity mode.
    pub capacity: Capacity,
    /// The largest message (messages carry 1..=this many bytes).
    pub message_size: usize,
    /// Every message is exactly `message_size` bytes: a send of another
    /// length is refused, and the shared-memory ring keeps no length per
    /// message (it packs small ones several to a stamp word).
    pub fixed_size: bool,
    /// How the shared-memory transports wait (`shm-ring`, `eventfd-shm` use it).
    pub wait: WaitStrategy,
    /// How long a blocked side waits without progress before it fails.
    pub timeout: Duration,
    /// How many sender processes open the sending end, each from the
    /// channel's [`Address`] (default 1). More than one only on a transport
    /// whose [`TransportKind::many_senders`] allows it; the receiver gets
    /// [`TransportError::Disconnected`] once every one of them finished.
    pub senders: usize,
}

impl ChannelSpec {
    /// A channel of `kind` in `capacity` mode for messages of up to
    /// `message_size` bytes; shared-memory sides block when they must wait.
    pub fn new(kind: TransportKind, capacity: Capacity, message_size: usize) -> Self {
        Self {
            kind,
            capacity,
            message_size,
            fixed_size: false,
            wait: WaitStrategy::Block,
            timeout: Duration::from_secs(30),
            senders: 1,
        }
    }

    /// Declare every message exactly `message_size` bytes (see [`fixed_size`](Self::fixed_size)).
    pub fn fixed_size(mut self, fixed: bool) -> Self {
        self.fixed_size = fixed;
        self
    }

    /// Set the wait strategy of the shared-memory transports.
    pub fn wait(mut self, wait: WaitStrategy) -> Self {
        self.wait = wait;
        self
    }

    /// Set the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Set how many sender processes open the sending end (see [`senders`](Self::senders)).
    pub fn senders(mut self, n: usize) -> Self {
        self.senders = n;
        self
    }

    fn variant(&self) -> Variant {
        match self.kind {
            TransportKind::ShmRing(v) => v,
            _ => Variant::Ring,
        }
    }

    fn design(&self) -> MailboxDesign {
        match self.kind {
            TransportKind::ShmMailbox(d) => d,
            _ => MailboxDesign::LockFree,
        }
    }

    /// Whether the backend realises the capacity mode asked for itself.
    fn native(&self) -> bool {
        (backends::of(self.kind).native)(self.capacity)
    }

    /// The one-way spec of the data direction.
    fn data(&self) -> OneWaySpec {
        let capacity = match self.capacity {
            Capacity::Rendezvous if !self.native() => Capacity::Bounded(1),
            other => other,
        };
        OneWaySpec {
            capacity,
            message_size: self.message_size,
            fixed_size: self.fixed_size,
            wait: self.wait,
            variant: self.variant(),
            design: self.design(),
            timeout: self.timeout,
            senders: self.senders,
        }
    }

    /// The acknowledgement direction of a kernel rendezvous: 8-byte counts.
    fn ack(&self) -> Option<OneWaySpec> {
        (self.capacity == Capacity::Rendezvous && !self.native()).then(|| OneWaySpec {
            capacity: Capacity::Bounded(1),
            message_size: ACK_SIZE,
            ..self.data()
        })
    }
}

const ACK_SIZE: usize = 8;

/// The capacity a channel actually has, beside the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Realised {
    /// What was asked for.
    pub requested: Capacity,
    /// Messages of `message_size` bytes the channel holds before a sender
    /// blocks: `Some(0)` for rendezvous, `None` for unbounded.
    pub messages: Option<u64>,
    /// How the kernel object was configured to get there.
    pub detail: String,
}

/// One direction of messages; owns the kernel objects it created.
pub struct Channel {
    spec: ChannelSpec,
    data: Created,
    ack: Option<Created>,
}

impl Channel {
    /// Create the kernel objects. Fails with a clear reason when the kernel
    /// refuses the capacity or the message size.
    pub fn create(spec: &ChannelSpec) -> Result<Self, TransportError> {
        if spec.message_size == 0 {
            return Err(TransportError::Refused("message size must be at least 1 byte".into()));
        }
        if let Capacity::Bounded(0) = spec.capacity {
            return Err(TransportError::Refused("bounded:N needs N >= 1 (zero capacity is `rendezvous`)".into()));
        }
        check_senders(spec)?;
        let backend = backends::of(spec.kind);
        let data = (backend.create)(&spec.data())?;
        let ack = spec.ack().map(|a| (backend.create)(&a)).transpose()?;
        Ok(Self { spec: spec.clone(), data, ack })
    }

    /// What the channel was created from.
    pub fn spec(&self) -> &ChannelSpec {
        &self.spec
    }

    /// The capacity realised, beside the one asked for.
    pub fn realised(&self) -> Realised {
        let (messages, detail) = match self.spec.capacity {
            Capacity::Rendezvous if self.ack.is_some() => {
                (Some(0), format!("{}; each send waits for the receiver's acknowledgement", self.data.detail))
            }
            Capacity::Rendezvous => (Some(0), self.data.detail.clone()),
            Capacity::Bounded(_) => (self.data.realised, self.data.detail.clone()),
            Capacity::Unbounded => (None, self.data.detail.clone()),
        };
        Realised { requested: self.spec.capacity, messages, detail }
    }

    /// Every kernel object this channel created (removed when it drops).
    pub fn objects(&self) -> Vec<super::objects::IpcObject> {
        let mut all = self.data.objects.objects();
        if let Some(ack) = &self.ack {
            all.extend(ack.objects.objects());
        }
        all
    }

    /// What a process opens either end by ([`Address::open`]): the spec,
    /// and what each direction's backend handed back (names, paths, ports,
    /// the numbers of inherited descriptors).
    pub fn address(&self) -> Address {
        let mut address = Address { spec: self.spec.clone(), data: BTreeMap::new(), ack: BTreeMap::new() };
        for (params, created) in [(&mut address.data, Some(&self.data)), (&mut address.ack, self.ack.as_ref())] {
            let Some(created) = created else { continue };
            params.extend(created.params.iter().map(|(k, v)| (k.clone(), v.clone())));
            for (role, key, fd) in &created.fds {
                use std::os::fd::AsRawFd;
                // Keyed by role too: both ends may name a descriptor alike.
                params.insert(super::backend::fd_key(key, *role), fd.as_raw_fd().to_string());
            }
        }
        address
    }

    /// Prepare the child `launch` starts to open the `role` end: the
    /// address in `env_key`, and the descriptors that end needs inherited.
    /// Call [`handed_over`](Self::handed_over) after spawning.
    pub fn configure_child<'a>(&'a self, role: Role, launch: &mut Launch<'a>, env_key: &str) {
        launch.env(env_key, self.address().to_string());
        for fd in self.fds_of(role) {
            launch.inherit(fd.as_fd());
        }
    }

    /// The `role` end now lives in a spawned process: close this process's
    /// copies of its descriptors (else a pipe would never see end-of-file).
    pub fn handed_over(&mut self, role: Role) {
        self.data.fds.retain(|(r, _, _)| *r != role);
        if let Some(ack) = &mut self.ack {
            ack.fds.retain(|(r, _, _)| *r != flip(role));
        }
    }

    /// Open either end in this process: `channel.open::<Sender>(&opts)`.
    pub fn open<E: End>(&mut self, opts: &OpenOptions) -> Result<E, TransportError> {
        let (role, spec) = (E::ROLE, &self.spec);
        let mut data =
            Source { params: &self.data.params, fds: Some(&mut self.data.fds), made: self.data.made.as_mut(), role };
        let mut ack = self.ack.as_mut().map(|created| Source {
            params: &created.params,
            fds: Some(&mut created.fds),
            made: created.made.as_mut(),
            role: flip(role),
        });
        E::open(spec, &mut data, ack.as_mut(), opts)
    }

    /// Open the sending end in this process (`open::<Sender>`).
    pub fn open_sender(&mut self, opts: &OpenOptions) -> Result<Sender, TransportError> {
        self.open(opts)
    }

    /// Open the receiving end in this process (`open::<Receiver>`).
    pub fn open_receiver(&mut self, opts: &OpenOptions) -> Result<Receiver, TransportError> {
        self.open(opts)
    }

    fn fds_of(&self, role: Role) -> impl Iterator<Item = &std::os::fd::OwnedFd> {
        let data = self.data.fds.iter().filter(move |(r, _, _)| *r == role);
        let ack = self.ack.iter().flat_map(|a| a.fds.iter()).filter(move |(r, _, _)| *r == flip(role));
        data.chain(ack).map(|(_, _, fd)| fd)
    }
}

/// Refuse a number of senders the transport or the capacity mode cannot
/// serve: none at all, several on a transport that takes one
/// ([`TransportKind::many_senders`]), or several on a rendezvous the
/// channel builds with acknowledgements.
fn check_senders(spec: &ChannelSpec) -> Result<(), TransportError> {
    let kind = spec.kind;
    match spec.senders {
        0 => Err(TransportError::Refused("a channel needs at least one sender".into())),
        1 => Ok(()),
        n => {
            kind.many_senders()
                .map_err(|why| TransportError::Refused(format!("{kind} takes one sender, not {n}: {why}")))?;
            if spec.ack().is_some() {
                return Err(TransportError::Refused(format!(
                    "{kind} rendezvous with {n} senders: rendezvous over a kernel queue acknowledges each send on \
                     a channel back to its one sender, and with {n} senders the receiver cannot address the one \
                     whose message it took; use bounded:1, or shm-mailbox, whose rendezvous is native"
                )));
            }
            Ok(())
        }
    }
}

fn flip(role: Role) -> Role {
    match role {
        Role::Sender => Role::Receiver,
        Role::Receiver => Role::Sender,
    }
}

/// Where the ends of a channel are: its spec, and per direction what its
/// backend handed back at creation. Its text form ([`Display`](std::fmt::Display),
/// [`FromStr`](std::str::FromStr)), `k=v` pairs joined by `;`, is what a child
/// process gets in its environment ([`Channel::configure_child`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    spec: ChannelSpec,
    data: BTreeMap<String, String>,
    ack: BTreeMap<String, String>,
}

impl Address {
    /// What the channel was created from.
    pub fn spec(&self) -> &ChannelSpec {
        &self.spec
    }

    /// Parameter `key` of the data direction (a name, path, id or port its
    /// backend handed back at creation).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.data.get(key).map(String::as_str)
    }

    /// Parameter `key` of each direction that has it: the data direction's,
    /// then the acknowledgement direction's (a kernel rendezvous).
    pub fn params<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        [&self.data, &self.ack].into_iter().filter_map(move |params| params.get(key).map(String::as_str))
    }

    /// Open either end, in a process prepared with [`Channel::configure_child`]
    /// (or any process, for transports opened by name):
    /// `address.open::<Receiver>(&opts)`.
    pub fn open<E: End>(&self, opts: &OpenOptions) -> Result<E, TransportError> {
        let role = E::ROLE;
        let mut data = Source { params: &self.data, fds: None, made: None, role };
        let mut ack = self.spec.ack().map(|_| Source { params: &self.ack, fds: None, made: None, role: flip(role) });
        E::open(&self.spec, &mut data, ack.as_mut(), opts)
    }

    /// The ring's own producer for a `shm-ring*` channel: the same ring
    /// [`open`](Self::open) would wrap, without the contract's dynamic
    /// dispatch, for measurements that call it once per message. It waits
    /// by the timeout the address names (this run's own), not the segment's.
    pub fn ring_producer(&self) -> Result<crate::ring::Producer, TransportError> {
        Ok(self.attach_ring()?.into_producer()?)
    }

    /// The ring's own consumer for a `shm-ring*` channel (see [`ring_producer`](Self::ring_producer)).
    pub fn ring_consumer(&self) -> Result<crate::ring::Consumer, TransportError> {
        Ok(self.attach_ring()?.into_consumer()?)
    }

    /// The loaning publisher of an `iceoryx2` channel in a mode iceoryx2
    /// realises itself ([`TransportKind::lends_slots`]): the measurement's
    /// loans, as [`ring_producer`](Self::ring_producer) is the ring's.
    #[cfg(feature = "iceoryx2")]
    pub fn iceoryx2_publisher(&self, opts: &OpenOptions) -> Result<super::iceoryx2::LoanPublisher, TransportError> {
        let place = self.iceoryx2_place(Role::Sender)?;
        super::iceoryx2::LoanPublisher::open(&place, &self.spec.data(), opts)
    }

    /// The subscriber of an `iceoryx2` channel, reading in place (see
    /// [`iceoryx2_publisher`](Self::iceoryx2_publisher)).
    #[cfg(feature = "iceoryx2")]
    pub fn iceoryx2_subscriber(&self, opts: &OpenOptions) -> Result<super::iceoryx2::LoanSubscriber, TransportError> {
        let place = self.iceoryx2_place(Role::Receiver)?;
        super::iceoryx2::LoanSubscriber::open(&place, &self.spec.data(), opts)
    }

    #[cfg(feature = "iceoryx2")]
    fn iceoryx2_place(&self, role: Role) -> Result<backends::iceoryx2::Place, TransportError> {
        if !(self.spec.kind == TransportKind::Iceoryx2 && self.spec.kind.lends_slots(self.spec.capacity)) {
            return Err(TransportError::Protocol(format!(
                "{} in {} lends no samples",
                self.spec.kind, self.spec.capacity
            )));
        }
        backends::iceoryx2::Place::from_source(&Source { params: &self.data, fds: None, made: None, role })
    }

    fn attach_ring(&self) -> Result<crate::ring::SharedRing, TransportError> {
        let TransportKind::ShmRing(_) = self.spec.kind else {
            return Err(TransportError::Protocol(format!("{} is not a shared-memory ring", self.spec.kind)));
        };
        let name = self
            .data
            .get("name")
            .ok_or_else(|| TransportError::Protocol("the ring's address names no segment".into()))?;
        Ok(crate::ring::SharedRing::attach_shared(name)?.with_timeout(self.spec.timeout))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = &self.spec;
        write!(
            f,
            "kind={};cap={};size={};fixed={};wait={};timeout_ms={};senders={}",
            s.kind,
            s.capacity,
            s.message_size,
            u8::from(s.fixed_size),
            s.wait,
            s.timeout.as_millis(),
            s.senders
        )?;
        for (prefix, params) in [("data", &self.data), ("ack", &self.ack)] {
            for (k, v) in params {
                write!(f, ";{prefix}.{k}={v}")?;
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for Address {
    type Err = TransportError;

    fn from_str(address: &str) -> Result<Self, TransportError> {
        let bad = |what: &str| TransportError::Protocol(format!("address {address:?}: {what}"));
        let mut top = BTreeMap::new();
        let (mut data, mut ack) = (BTreeMap::new(), BTreeMap::new());
        for part in address.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| bad("a part without '='"))?;
            if let Some(k) = k.strip_prefix("data.") {
                data.insert(k.to_owned(), v.to_owned());
            } else if let Some(k) = k.strip_prefix("ack.") {
                ack.insert(k.to_owned(), v.to_owned());
            } else {
                top.insert(k, v);
            }
        }
        let get = |k: &str| top.get(k).copied().ok_or_else(|| bad(&format!("no {k}")));
        let kind: TransportKind = get("kind")?.parse().map_err(|e| bad(&format!("{e}")))?;
        let capacity: Capacity = get("cap")?.parse().map_err(|_| bad("bad cap"))?;
        let message_size: usize = get("size")?.parse().map_err(|_| bad("bad size"))?;
        let fixed_size = match get("fixed")? {
            "0" => false,
            "1" => true,
            _ => return Err(bad("bad fixed")),
        };
        let wait: WaitStrategy = get("wait")?.parse().map_err(|_| bad("bad wait"))?;
        let timeout_ms: u64 = get("timeout_ms")?.parse().map_err(|_| bad("bad timeout_ms"))?;
        let senders: usize = get("senders")?.parse().map_err(|_| bad("bad senders"))?;
        let timeout = Duration::from_millis(timeout_ms);
        let spec = ChannelSpec { kind, capacity, message_size, fixed_size, wait, timeout, senders };
        Ok(Address { spec, data, ack })
    }
}

/// Either end of a channel, [`Sender`] or [`Receiver`], opened the one way
/// every transport is: its role of the data direction, and for a kernel
/// rendezvous the other role of the acknowledgement direction.
pub trait End: Sized + sealed::Sealed {
    /// Which end of the data direction this is.
    const ROLE: Role;

    /// Open this end from its sources (`ack`: for a kernel rendezvous).
    #[doc(hidden)]
    fn open(
        spec: &ChannelSpec,
        data: &mut Source<'_>,
        ack: Option<&mut Source<'_>>,
        opts: &OpenOptions,
    ) -> Result<Self, TransportError>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Sender {}
    impl Sealed for super::Receiver {}
}

impl End for Sender {
    const ROLE: Role = Role::Sender;

    fn open(
        spec: &ChannelSpec,
        data: &mut Source<'_>,
        ack: Option<&mut Source<'_>>,
        opts: &OpenOptions,
    ) -> Result<Self, TransportError> {
        let backend = backends::of(spec.kind);
        open_end(spec, (data, backend.open_sender), ack.map(|src| (src, backend.open_receiver)), opts, Sender::new)
    }
}

impl End for Receiver {
    const ROLE: Role = Role::Receiver;

    fn open(
        spec: &ChannelSpec,
        data: &mut Source<'_>,
        ack: Option<&mut Source<'_>>,
        opts: &OpenOptions,
    ) -> Result<Self, TransportError> {
        let backend = backends::of(spec.kind);
        open_end(spec, (data, backend.open_receiver), ack.map(|src| (src, backend.open_sender)), opts, Receiver::new)
    }
}

/// A backend's opener for one end of one direction: `Box<dyn RawSender>`
/// or `Box<dyn RawReceiver>` from its source.
type Opener<T> = fn(&OneWaySpec, &mut Source<'_>, &OpenOptions) -> Result<T, TransportError>;

/// Open one end: its end of the data direction, and, where the channel has
/// an acknowledgement direction (a kernel rendezvous) and a source for it,
/// the opposite end of that one; `new` puts them together.
fn open_end<D, A, E>(
    spec: &ChannelSpec,
    (data, open_data): (&mut Source<'_>, Opener<D>),
    ack: Option<(&mut Source<'_>, Opener<A>)>,
    opts: &OpenOptions,
    new: fn(&ChannelSpec, D, Option<A>) -> E,
) -> Result<E, TransportError> {
    let raw = open_data(&spec.data(), data, opts)?;
    let ack = match (ack, spec.ack()) {
        (Some((src, open_ack)), Some(ack_spec)) => Some(open_ack(&ack_spec, src, opts)?),
        _ => None,
    };
    Ok(new(spec, raw, ack))
}

/// What a sender observed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendStats {
    /// Messages handed to `send` (or accepted by `try_send`).
    pub sent: u64,
    /// Unbounded: messages the kernel would not take at once, kept in the sender's queue.
    pub spilled: u64,
    /// Unbounded: the longest the sender's queue got.
    pub spill_peak: u64,
    /// `try_send` calls refused because the channel was full.
    pub refused: u64,
    /// Rendezvous over a kernel transport: acknowledgements received.
    pub acks: u64,
}

enum Mode {
    /// The backend does what the mode needs (bounded kernel objects, native modes).
    Direct,
    /// Unbounded over a kernel object: non-blocking sends plus a spill queue.
    Spill(VecDeque<Box<[u8]>>),
    /// Rendezvous over a kernel object: each send waits for its acknowledgement.
    Rendezvous(Box<dyn RawReceiver>),
}

/// The sending end of a channel.
pub struct Sender {
    raw: Box<dyn RawSender>,
    mode: Mode,
    max: usize,
    /// Every message is exactly `max` bytes.
    fixed: bool,
    /// The capacity mode asked for (rendezvous, whether by the kernel
    /// object itself or by acknowledgements).
    capacity: Capacity,
    stats: SendStats,
}

impl Sender {
    fn new(spec: &ChannelSpec, raw: Box<dyn RawSender>, ack: Option<Box<dyn RawReceiver>>) -> Self {
        let mode = match (ack, spec.capacity) {
            (Some(ack), _) => Mode::Rendezvous(ack),
            (None, Capacity::Unbounded) if !spec.native() => Mode::Spill(VecDeque::new()),
            _ => Mode::Direct,
        };
        Self {
            raw,
            mode,
            max: spec.message_size,
            fixed: spec.fixed_size,
            capacity: spec.capacity,
            stats: SendStats::default(),
        }
    }

    /// Whether [`send`](Self::send) returns only once the receiver has
    /// taken the message (the rendezvous capacity mode).
    pub fn waits_for_receipt(&self) -> bool {
        self.capacity == Capacity::Rendezvous
    }

    /// Send one message as the capacity mode says: wait while a bounded
    /// channel is full, wait for receipt in rendezvous, never wait in unbounded.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        self.check(msg)?;
        match &mut self.mode {
            Mode::Direct => self.raw.send(msg)?,
            Mode::Spill(queue) => {
                while let Some(front) = queue.front() {
                    if !self.raw.try_send(front)? {
                        break;
                    }
                    queue.pop_front();
                }
                if !(queue.is_empty() && self.raw.try_send(msg)?) {
                    queue.push_back(msg.into());
                    self.stats.spilled += 1;
                    self.stats.spill_peak = self.stats.spill_peak.max(queue.len() as u64);
                }
            }
            Mode::Rendezvous(ack) => {
                self.raw.send(msg)?;
                let mut buf = [0u8; ACK_SIZE];
                let n = ack.recv(&mut buf).map_err(|e| match e {
                    e if e.is_disconnected() => {
                        TransportError::PeerGone("the receiver closed before acknowledging".into())
                    }
                    e => e,
                })?;
                let count = (n == ACK_SIZE).then(|| u64::from_le_bytes(buf));
                if count != Some(self.stats.sent + 1) {
                    return Err(TransportError::Protocol(format!(
                        "acknowledgement {count:?} for message {}",
                        self.stats.sent + 1
                    )));
                }
                self.stats.acks += 1;
            }
        }
        self.stats.sent += 1;
        Ok(())
    }

    /// Send one message only if that does not wait: `Ok(false)` when the
    /// channel is full. Bounded channels only (a rendezvous send always
    /// waits; an unbounded one never does).
    pub fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        self.check(msg)?;
        if !(matches!(self.capacity, Capacity::Bounded(_)) && matches!(self.mode, Mode::Direct)) {
            return Err(TransportError::Refused("try_send is for bounded channels".into()));
        }
        let sent = self.raw.try_send(msg)?;
        if sent {
            self.stats.sent += 1;
        } else {
            self.stats.refused += 1;
        }
        Ok(sent)
    }

    /// Deliver everything still queued (unbounded), then mark the clean end
    /// of the stream; the receiver then gets [`TransportError::Disconnected`].
    pub fn finish(mut self) -> Result<SendStats, TransportError> {
        if let Mode::Spill(queue) = &mut self.mode {
            while let Some(front) = queue.front() {
                if self.raw.try_send(front)? {
                    queue.pop_front();
                } else {
                    self.raw.wait_writable()?;
                }
            }
        }
        self.raw.close()?;
        Ok(self.stats)
    }

    /// What happened so far.
    pub fn stats(&self) -> SendStats {
        self.stats
    }

    /// Messages waiting in the sender's own queue (unbounded only).
    pub fn queued(&self) -> usize {
        match &self.mode {
            Mode::Spill(queue) => queue.len(),
            _ => 0,
        }
    }

    fn check(&self, msg: &[u8]) -> Result<(), TransportError> {
        if msg.is_empty() {
            return Err(TransportError::Empty);
        }
        if msg.len() > self.max {
            return Err(TransportError::TooLarge {
                len: msg.len(),
                max: self.max,
                limit: "the channel's message size".into(),
            });
        }
        if self.fixed && msg.len() != self.max {
            return Err(TransportError::WrongSize { len: msg.len(), size: self.max });
        }
        Ok(())
    }
}

/// The receiving end of a channel.
pub struct Receiver {
    raw: Box<dyn RawReceiver>,
    ack: Option<Box<dyn RawSender>>,
    received: u64,
    max: usize,
    /// Senders the channel has ([`ChannelSpec::senders`]).
    senders: usize,
    /// Senders whose clean end has arrived: in `0..=senders`; the stream
    /// has ended once it reaches `senders`.
    finished: usize,
}

impl Receiver {
    fn new(spec: &ChannelSpec, raw: Box<dyn RawReceiver>, ack: Option<Box<dyn RawSender>>) -> Self {
        Self { raw, ack, received: 0, max: spec.message_size, senders: spec.senders, finished: 0 }
    }

    /// The next message into `buf` (which must hold the channel's message
    /// size); [`TransportError::Disconnected`] once every sender finished
    /// and everything they sent was received (and on every call after).
    /// With several senders, one sender's end marker is counted and the
    /// messages of the others keep coming.
    pub fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        if buf.len() < self.max {
            return Err(TransportError::TooLarge {
                len: self.max,
                max: buf.len(),
                limit: "the receive buffer (it must hold the channel's message size)".into(),
            });
        }
        let n = loop {
            if self.finished == self.senders {
                return Err(TransportError::Disconnected);
            }
            match self.raw.recv(buf) {
                Err(e) if e.is_disconnected() => {
                    self.finished = if self.raw.counts_senders() { self.senders } else { self.finished + 1 };
                }
                other => break other?,
            }
        };
        self.received += 1;
        if let Some(ack) = &mut self.ack {
            ack.send(&self.received.to_le_bytes())?;
        }
        Ok(n)
    }

    /// Messages received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Senders whose clean end has arrived so far.
    pub fn finished_senders(&self) -> usize {
        self.finished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(spec: &ChannelSpec) -> String {
        match Channel::create(spec) {
            Err(TransportError::Refused(why)) => why,
            Err(e) => panic!("{}: expected a refusal, got {e}", spec.kind),
            Ok(_) => panic!("{}: expected a refusal, got a channel", spec.kind),
        }
    }

    /// No senders, several on a transport that takes one, and several on a
    /// rendezvous acknowledged to one sender are refused, each saying why.
    #[test]
    fn sender_counts_a_channel_cannot_serve_are_refused() {
        let bounded = |kind| ChannelSpec::new(kind, Capacity::Bounded(4), 16);
        assert!(refusal(&bounded(TransportKind::PosixMq).senders(0)).contains("at least one sender"));
        for kind in TransportKind::ALL {
            if let Err(why) = kind.many_senders() {
                assert!(refusal(&bounded(kind).senders(2)).contains(why), "{kind}");
            }
        }
        for kind in [TransportKind::PosixMq, TransportKind::SysvMq, TransportKind::UnixDgram, TransportKind::Fifo] {
            let why = refusal(&ChannelSpec::new(kind, Capacity::Rendezvous, 16).senders(3));
            assert!(why.contains("acknowledges each send") && why.contains("3 senders"), "{kind}: {why}");
        }
    }

    /// The address carries the number of senders, so each sender process
    /// opens the same channel the coordinator created.
    #[test]
    fn the_address_carries_the_senders() {
        let chan = Channel::create(&ChannelSpec::new(TransportKind::PosixMq, Capacity::Bounded(4), 16).senders(3))
            .expect("create");
        let address: Address = chan.address().to_string().parse().expect("parse");
        assert_eq!(address.spec().senders, 3);
        assert_eq!(address, chan.address());
    }
}
