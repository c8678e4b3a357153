//! `shm-mailbox` and `shm-mailbox:mutex`: the shared-memory multi-producer
//! mailbox of [`crate::mailbox`] behind the transport contract, one
//! transport per [`MailboxDesign`].
//!
//! The creating process makes the segment (`SharedMailbox::create`, named
//! `ringside-<pid>-ns<pidns>-...` in `/dev/shm`), registers it with
//! [`crate::transport::objects`] so that it is removed when the channel
//! drops, on failure or interrupt, and by `harness clean` after a `kill -9`,
//! and keeps its handle ([`Created::keep`]) so the name lives until the
//! ends attach. The address carries the name (`name`); every end attaches
//! by it, in the creating process too: the receiver once, each of the
//! channel's `senders` sending processes once. The mailbox is told how many
//! senders will attach (`expected_senders`), so it removes its name as
//! soon as the last one has, and its stream cannot end before all of them
//! have registered (a sender that finishes before another attaches does
//! not end it). Each end waits by the timeout of its own [`OpenOptions`].
//!
//! # Capacity modes
//! - `bounded:N`: N slots, native.
//! - `rendezvous`: native (one slot; a send returns once the receiver took
//!   that message), for any number of senders.
//! - `unbounded`: the mailbox is bounded by design, so the channel builds it
//!   as for the kernel queues: non-blocking sends into a mailbox of
//!   [`UNBOUNDED_SLOTS`] slots (fewer for large messages, see
//!   [`unbounded_slots`]), what does not fit kept in the sender's own queue.
//!   The mailbox has no wait for room without sending, so the one wait the
//!   spill makes (in `finish`, draining the queue) polls in pauses of
//!   [`SPILL_PAUSE`], watching the peer and the timeout.
//!
//! # End of stream
//! The mailbox counts its senders itself: a sender's `close` drops its end
//! (a clean end), one dropped without `close` abandons the stream, and the
//! receiver gets `Disconnected` once every expected sender closed and the
//! mailbox is drained ([`RawReceiver::counts_senders`]), `PeerGone` if any
//! abandoned it or a sender process died.

use std::time::Duration;

use vocabulary::MailboxDesign;

use crate::mailbox::{MailboxConfig, MailboxError, RecvError, SendError, SharedMailbox};
use crate::ring::Capacity;
use crate::transport::backend::{Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Source};
use crate::transport::backends::check_buffer_memory;
use crate::transport::objects::IpcObject;
use crate::transport::peer::PeerWatch;
use crate::transport::{TransportError, TransportKind};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native };

/// Bounded and rendezvous are the mailbox's own; unbounded is the channel's spill.
fn native(capacity: Capacity) -> bool {
    !matches!(capacity, Capacity::Unbounded)
}

/// The pause between a full mailbox's polls while an unbounded sender drains its queue.
const SPILL_PAUSE: Duration = Duration::from_micros(200);
/// Slots of the mailbox under an unbounded channel, for small messages.
pub(crate) const UNBOUNDED_SLOTS: usize = 1024;
/// The most slot bytes an unbounded channel's mailbox takes (64 MiB).
const UNBOUNDED_BYTES: usize = 64 << 20;

/// Slots of the mailbox under an unbounded channel of `message_size`-byte
/// messages: [`UNBOUNDED_SLOTS`], fewer where they would take more than
/// 64 MiB, at least one.
fn unbounded_slots(message_size: usize) -> usize {
    (UNBOUNDED_BYTES / message_size.max(1)).clamp(1, UNBOUNDED_SLOTS)
}

/// The transport's name in errors.
fn what(spec: &OneWaySpec) -> &'static str {
    TransportKind::ShmMailbox(spec.design).name()
}

/// The mailbox a one-way spec asks for.
fn config(spec: &OneWaySpec) -> MailboxConfig {
    let capacity = match spec.capacity {
        Capacity::Unbounded => Capacity::Bounded(unbounded_slots(spec.message_size)),
        other => other,
    };
    MailboxConfig::new(capacity)
        .design(spec.design)
        .wait(spec.wait)
        .slot_size(spec.message_size)
        .timeout(spec.timeout)
        .expected_senders(spec.senders)
}

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let config = config(spec);
    let what = what(spec);
    config.validate().map_err(|e| mailbox_error(what, e))?;
    let slots = config.slot_count().map_err(|e| mailbox_error(what, e))?;
    let bytes = (slots as u128) * (spec.message_size.next_multiple_of(8) as u128);
    check_buffer_memory(&format!("{what} {} of {}-byte messages", spec.capacity, spec.message_size), bytes)?;
    let mailbox = SharedMailbox::create(&config).map_err(|e| mailbox_error(what, e))?;
    let mut created = Created::default();
    created.objects.add(IpcObject::ShmName(mailbox.name().to_owned()));
    created.params.insert("name".into(), mailbox.name().to_owned());
    let waits = match spec.design {
        MailboxDesign::LockFree => format!("{} waits", spec.wait),
        MailboxDesign::Mutex => "blocks on its condition variables".to_owned(),
    };
    let senders = match spec.senders {
        1 => "1 sender".to_owned(),
        n => format!("{n} senders"),
    };
    (created.realised, created.detail) = match spec.capacity {
        Capacity::Bounded(n) => {
            (Some(n as u64), format!("{} design, {n} slots of {} bytes", spec.design, spec.message_size))
        }
        Capacity::Rendezvous => (Some(0), format!("{} design, one slot; a send waits for its receipt", spec.design)),
        Capacity::Unbounded => (
            None,
            format!(
                "{} design, {slots} slots of {} bytes; each sender keeps what does not fit",
                spec.design, spec.message_size
            ),
        ),
    };
    created.detail = format!("{}, {senders}, {waits}", created.detail);
    created.keep = Some(Box::new(mailbox));
    Ok(created)
}

/// The mailbox, attached by name (in the creating process too), waiting
/// by this end's own timeout.
fn attach(spec: &OneWaySpec, src: &mut Source<'_>, opts: &OpenOptions) -> Result<SharedMailbox, TransportError> {
    let mailbox = SharedMailbox::attach(src.param("name")?).map_err(|e| mailbox_error(what(spec), e))?;
    Ok(mailbox.with_timeout(opts.timeout))
}

fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    let sender = attach(spec, src, opts)?.into_sender().map_err(|e| mailbox_error(what(spec), e))?;
    Ok(Box::new(MailboxSender { end: Some(sender), watch: PeerWatch::new(opts.peer, opts.timeout), what: what(spec) }))
}

fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let receiver = attach(spec, src, opts)?.into_receiver().map_err(|e| mailbox_error(what(spec), e))?;
    Ok(Box::new(MailboxReceiver { end: receiver, what: what(spec) }))
}

/// A mailbox error while setting up: a configuration the mailbox refuses
/// is a refusal with its reason; the rest keep their type.
fn mailbox_error(what: &str, e: MailboxError) -> TransportError {
    match e {
        MailboxError::Config(why) => TransportError::Refused(format!("{what}: {why}")),
        e @ (MailboxError::Unbounded | MailboxError::TooManySenders { .. }) => {
            TransportError::Refused(format!("{what}: {e}"))
        }
        e => TransportError::Mailbox(e),
    }
}

/// The sending end; `None` once closed (`finish`: dropping the mailbox's
/// end is its clean end). Dropped without `close`, it abandons the stream.
struct MailboxSender {
    end: Option<crate::mailbox::Sender>,
    /// The receiver's process and the deadline, for the spill's wait for room.
    watch: PeerWatch,
    what: &'static str,
}

impl Drop for MailboxSender {
    fn drop(&mut self) {
        if let Some(end) = self.end.take() {
            end.abandon();
        }
    }
}

impl MailboxSender {
    fn end(&mut self) -> Result<&mut crate::mailbox::Sender, TransportError> {
        self.end.as_mut().ok_or_else(|| TransportError::Protocol(format!("{}: send after close", self.what)))
    }

    fn send_error(&self, e: SendError) -> TransportError {
        let what = self.what;
        match e {
            SendError::TooLarge { len, max } => {
                TransportError::TooLarge { len, max, limit: format!("the {what} slot size") }
            }
            SendError::Disconnected => TransportError::PeerGone(format!("{what}: the receiver closed the mailbox")),
            SendError::ReceiverDied { pid } => {
                TransportError::PeerGone(format!("{what}: receiver process {pid} exited"))
            }
            SendError::SenderDied { pid } => {
                TransportError::PeerGone(format!("{what}: sender process {pid} died holding the mailbox's lock"))
            }
            SendError::Timeout { waited } => TransportError::Timeout(waited),
            SendError::NotBounded => TransportError::Refused(format!("{what}: {e}")),
        }
    }
}

impl RawSender for MailboxSender {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        let sent = self.end()?.send(msg);
        sent.map_err(|e| self.send_error(e))
    }

    #[inline]
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        let sent = self.end()?.try_send(msg).map_err(|e| self.send_error(e))?;
        if sent {
            self.watch.progressed();
        }
        Ok(sent)
    }

    /// The mailbox has no wait for room that does not send: check the
    /// receiver's process and the deadline, then pause. Only the unbounded
    /// spill's drain in `finish` waits here.
    fn wait_writable(&mut self) -> Result<(), TransportError> {
        self.watch.check()?;
        std::thread::sleep(SPILL_PAUSE);
        Ok(())
    }

    fn close(&mut self) -> Result<(), TransportError> {
        self.end()?;
        self.end = None;
        Ok(())
    }
}

/// The receiving end.
struct MailboxReceiver {
    end: crate::mailbox::Receiver,
    what: &'static str,
}

impl RawReceiver for MailboxReceiver {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        let what = self.what;
        self.end.recv(buf).map_err(|e| match e {
            RecvError::Disconnected => TransportError::Disconnected,
            RecvError::Abandoned => {
                TransportError::PeerGone(format!("{what}: a sender dropped its end without finishing"))
            }
            RecvError::SenderDied { pid } => TransportError::PeerGone(format!("{what}: sender process {pid} died")),
            RecvError::Timeout { waited } => TransportError::Timeout(waited),
            RecvError::BufferTooSmall { len, capacity } => TransportError::TooLarge {
                len,
                max: capacity,
                limit: "the receive buffer (it must hold the channel's message size)".into(),
            },
            RecvError::Corrupt(why) => TransportError::Protocol(format!("{what}: corrupt mailbox: {why}")),
        })
    }

    /// The mailbox's `Disconnected` comes once every sender has closed.
    fn counts_senders(&self) -> bool {
        true
    }
}
