//! The two ends of a channel's iceoryx2 service, generic over iceoryx2's
//! service flavour (the single-threaded `ipc` for the loans the harness
//! drives, the `Send` `ipc_threadsafe` behind the contract): a publisher
//! that loans, composes in place and sends, waiting while the subscriber's
//! buffer is full, and a subscriber that polls and hands each sample over
//! in place.

use std::mem::MaybeUninit;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use iceoryx2::port::publisher::Publisher;
use iceoryx2::port::subscriber::Subscriber;
use iceoryx2::port::update_connections::UpdateConnections;
use iceoryx2::port::{BackpressureAction, BackpressureInfo};
use iceoryx2::prelude::{BackpressureStrategy, Node, PortFactory as _};
use iceoryx2::service::Service;
use iceoryx2::service::port_factory::publish_subscribe::PortFactory;

use super::world::{Place, service};
use crate::liveness::Liveness;
use crate::transport::TransportError;
use crate::transport::backend::{OneWaySpec, OpenOptions};
use crate::transport::peer::PeerWatch;

/// Polls of an empty subscriber that spin; every later poll of the same wait yields first.
const SPINS: u64 = 64;

/// How often (in polls or retries) a waiting end looks at its peer and its deadline.
const CHECK_EVERY: u64 = 256;

/// Why the publisher's backpressure handler gave a send up.
#[derive(Default)]
struct GiveUp {
    /// Set by [`Publishing::try_send_with`]: give up at once on a full buffer.
    at_once: AtomicBool,
    /// What the handler saw when it gave up: [`FULL`], [`TIMED_OUT`], [`PEER_EXITED`].
    why: AtomicU8,
}

const FULL: u8 = 1;
const TIMED_OUT: u8 = 2;
const PEER_EXITED: u8 = 3;

/// The sending end: the publisher, then (dropped after it) the service
/// and the node that hold the channel's world open in this process.
pub(super) struct Publishing<S: Service> {
    publisher: Publisher<S, [u8], ()>,
    service: PortFactory<S, [u8], ()>,
    _node: Node<S>,
    give_up: Arc<GiveUp>,
    peer: Option<Arc<Liveness>>,
    timeout: Duration,
    /// Whether the subscriber has been seen and connected.
    connected: bool,
}

impl<S: Service> Publishing<S> {
    /// Join the world at `place` and open its publisher for messages of up to `spec.message_size` bytes.
    pub(super) fn open(place: &Place, spec: &OneWaySpec, opts: &OpenOptions) -> Result<Self, TransportError> {
        let node = place.node::<S>()?;
        let service = service(&node, spec, false)?;
        let give_up = Arc::new(GiveUp::default());
        let peer = opts.peer.map(|pid| Arc::new(Liveness::of(pid)));
        let (handler_give_up, handler_peer, timeout) = (give_up.clone(), peer.clone(), opts.timeout);
        // The handler runs inside `send`, on the sending thread: the flags
        // it reads and sets are this end's alone, so Relaxed orders enough.
        let handler = move |info: &BackpressureInfo| {
            let why = if handler_give_up.at_once.load(Ordering::Relaxed) {
                FULL
            } else if info.elapsed_time > timeout {
                TIMED_OUT
            } else if info.retries % CHECK_EVERY == CHECK_EVERY - 1
                && handler_peer.as_ref().is_some_and(|p| p.has_exited())
            {
                PEER_EXITED
            } else {
                return BackpressureAction::Retry;
            };
            handler_give_up.why.store(why, Ordering::Relaxed);
            BackpressureAction::DiscardDataAndFail
        };
        let publisher = service
            .publisher_builder()
            .initial_max_slice_len(spec.message_size)
            .max_loaned_samples(1)
            .backpressure_strategy(BackpressureStrategy::RetryUntilDelivered)
            .set_backpressure_handler(handler)
            .create()
            .map_err(|e| TransportError::Protocol(format!("iceoryx2 publisher: {e:?}")))?;
        Ok(Self { publisher, service, _node: node, give_up, peer, timeout: opts.timeout, connected: false })
    }

    /// Wait until the subscriber exists and connect to it: a sample sent
    /// before would reach no one. Done by the first send at the latest;
    /// earlier, the first send pays no set-up.
    pub(super) fn connect(&mut self) -> Result<(), TransportError> {
        let service = &self.service;
        await_peer(
            || service.dynamic_config().number_of_subscribers(),
            self.peer.as_deref(),
            self.timeout,
            "subscribed",
        )?;
        self.publisher
            .update_connections()
            .map_err(|e| TransportError::Protocol(format!("iceoryx2 connecting to the subscriber: {e:?}")))?;
        self.connected = true;
        Ok(())
    }

    /// Loan a sample of `len` bytes, let `write` fill all of it, and send
    /// it, waiting while the subscriber's buffer is full.
    #[inline]
    pub(super) fn send_with(
        &mut self,
        len: usize,
        write: impl FnMut(&mut [MaybeUninit<u8>]) -> &mut [u8],
    ) -> Result<(), TransportError> {
        self.give_up.at_once.store(false, Ordering::Relaxed);
        match self.send_inner(len, write)? {
            true => Ok(()),
            false => Err(TransportError::Protocol("the subscriber's buffer refused a blocking send".into())),
        }
    }

    /// As [`send_with`](Self::send_with), but `Ok(false)` at once if the
    /// subscriber's buffer is full (the sample is discarded).
    pub(super) fn try_send_with(
        &mut self,
        len: usize,
        write: impl FnMut(&mut [MaybeUninit<u8>]) -> &mut [u8],
    ) -> Result<bool, TransportError> {
        self.give_up.at_once.store(true, Ordering::Relaxed);
        self.send_inner(len, write)
    }

    #[inline]
    fn send_inner(
        &mut self,
        len: usize,
        mut write: impl FnMut(&mut [MaybeUninit<u8>]) -> &mut [u8],
    ) -> Result<bool, TransportError> {
        if !self.connected {
            self.connect()?;
        }
        let mut waiting = None;
        loop {
            let mut sample = self
                .publisher
                .loan_slice_uninit(len)
                .map_err(|e| TransportError::Protocol(format!("iceoryx2 loan: {e:?}")))?;
            let written = write(sample.payload_mut()).len();
            if written != len {
                return Err(TransportError::Protocol(format!("{written} of a {len}-byte sample written")));
            }
            // SAFETY: `write` returned the payload as initialised bytes, all
            // `len` of them (checked just above): it wrote every byte.
            let sample = unsafe { sample.assume_init() };
            self.give_up.why.store(0, Ordering::Relaxed);
            match sample.send() {
                Ok(0) if self.service.dynamic_config().number_of_subscribers() == 0 => {
                    return Err(TransportError::PeerGone("the subscriber is gone".into()));
                }
                // Full, and the subscriber not yet attached: for a `try_send`, full.
                Ok(0) if self.give_up.at_once.load(Ordering::Relaxed) => return Ok(false),
                Ok(0) => {
                    // A subscriber not yet attached (it attaches its side
                    // of the connection when it polls; until then a full
                    // buffer turns a sample away): compose it again and
                    // resend, until the peer dies or the deadline passes.
                    let timeout = self.timeout;
                    waiting.get_or_insert_with(|| Stall::new(self.peer.as_deref(), timeout)).check("attached")?;
                    std::thread::yield_now();
                }
                Ok(_) => return Ok(true),
                Err(e) => {
                    return match self.give_up.why.load(Ordering::Relaxed) {
                        FULL => Ok(false),
                        TIMED_OUT => Err(TransportError::Timeout(self.timeout)),
                        PEER_EXITED => Err(TransportError::PeerGone(format!(
                            "process {} exited",
                            self.peer.as_ref().map_or(0, |p| p.pid())
                        ))),
                        _ => Err(TransportError::Protocol(format!("iceoryx2 send: {e:?}"))),
                    };
                }
            }
        }
    }

    /// Send the end of the stream: a sample of no bytes.
    pub(super) fn close(&mut self) -> Result<(), TransportError> {
        self.send_with(0, empty)
    }
}

/// Wait until `count()` (the service's ports of the other kind) is at
/// least one: polled, yielding for the first millisecond, then every 100
/// µs, until the peer's process exits or `timeout` passes.
fn await_peer(
    count: impl Fn() -> usize,
    peer: Option<&Liveness>,
    timeout: Duration,
    what: &str,
) -> Result<(), TransportError> {
    let mut stall = Stall::new(peer, timeout);
    let started = Instant::now();
    let mut polls = 0u64;
    while count() == 0 {
        polls += 1;
        if polls % CHECK_EVERY == 0 {
            stall.check(what)?;
        }
        if started.elapsed() > Duration::from_millis(1) {
            std::thread::sleep(Duration::from_micros(100));
        } else {
            std::thread::yield_now();
        }
    }
    Ok(())
}

/// A wait that ends in an error when the peer's process exits (watched by
/// the [`Liveness`] the backpressure handler shares) or its deadline passes.
struct Stall<'a> {
    deadline: PeerWatch,
    peer: Option<&'a Liveness>,
}

impl<'a> Stall<'a> {
    fn new(peer: Option<&'a Liveness>, timeout: Duration) -> Self {
        Self { deadline: PeerWatch::new(None, timeout), peer }
    }

    /// `Err` if the peer exited before it `what` (`subscribed`,
    /// `attached`...), or the wait has run out of time.
    fn check(&mut self, what: &str) -> Result<(), TransportError> {
        if self.peer.is_some_and(Liveness::has_exited) {
            return Err(TransportError::PeerGone(format!("the peer's process exited before it {what}")));
        }
        self.deadline.check()
    }
}

/// An empty payload as initialised bytes.
fn empty(payload: &mut [MaybeUninit<u8>]) -> &mut [u8] {
    debug_assert!(payload.is_empty());
    &mut []
}

/// `src` copied into `payload`, which must be as long.
pub(super) fn copy_into<'a>(payload: &'a mut [MaybeUninit<u8>], src: &[u8]) -> &'a mut [u8] {
    assert_eq!(payload.len(), src.len(), "a sample loaned for another length");
    // SAFETY: `payload` and `src` are `src.len()` bytes each, and cannot
    // overlap: one is borrowed mutably, the other shared.
    unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), payload.as_mut_ptr().cast::<u8>(), src.len()) };
    // SAFETY: every byte of `payload` was written just above.
    unsafe { &mut *(std::ptr::from_mut::<[MaybeUninit<u8>]>(payload) as *mut [u8]) }
}

/// The receiving end: the subscriber, then the service and the node.
pub(super) struct Subscribing<S: Service> {
    subscriber: Subscriber<S, [u8], ()>,
    service: PortFactory<S, [u8], ()>,
    _node: Node<S>,
    watch: PeerWatch,
    peer: Option<Liveness>,
    timeout: Duration,
    finished: bool,
}

impl<S: Service> Subscribing<S> {
    /// Join the world at `place` and open its subscriber.
    pub(super) fn open(place: &Place, spec: &OneWaySpec, opts: &OpenOptions) -> Result<Self, TransportError> {
        let node = place.node::<S>()?;
        let service = service(&node, spec, false)?;
        let subscriber = service
            .subscriber_builder()
            .create()
            .map_err(|e| TransportError::Protocol(format!("iceoryx2 subscriber: {e:?}")))?;
        let watch = PeerWatch::new(opts.peer, opts.timeout);
        let peer = opts.peer.map(Liveness::of);
        Ok(Self { subscriber, service, _node: node, watch, peer, timeout: opts.timeout, finished: false })
    }

    /// Wait until the publisher exists and attach this side of the
    /// connection, which the first receive does otherwise (mapping the
    /// publisher's samples): then the first receive pays no set-up.
    pub(super) fn connect(&mut self) -> Result<(), TransportError> {
        let service = &self.service;
        await_peer(|| service.dynamic_config().number_of_publishers(), self.peer.as_ref(), self.timeout, "published")?;
        self.subscriber
            .update_connections()
            .map_err(|e| TransportError::Protocol(format!("iceoryx2 connecting to the publisher: {e:?}")))
    }

    /// Wait for the next sample and hand its bytes to `f` in place;
    /// [`TransportError::Disconnected`] at the end of the stream.
    #[inline]
    pub(super) fn recv_with<R>(&mut self, f: impl FnOnce(&[u8]) -> R) -> Result<R, TransportError> {
        if self.finished {
            return Err(TransportError::Disconnected);
        }
        let mut polls = 0u64;
        loop {
            match self.subscriber.receive() {
                Ok(Some(sample)) => {
                    self.watch.progressed();
                    let payload = sample.payload();
                    if payload.is_empty() {
                        self.finished = true;
                        return Err(TransportError::Disconnected);
                    }
                    return Ok(f(payload));
                }
                Ok(None) => {}
                Err(e) => return Err(TransportError::Protocol(format!("iceoryx2 receive: {e:?}"))),
            }
            polls += 1;
            if polls < SPINS {
                std::hint::spin_loop();
                continue;
            }
            if polls % CHECK_EVERY == 0 {
                // One more look before giving up: a peer that sent its last
                // message and died leaves that message here to be taken.
                if let Err(e) = self.watch.check()
                    && !self.subscriber.has_samples().unwrap_or(false)
                {
                    return Err(e);
                }
            }
            std::thread::yield_now();
        }
    }
}
