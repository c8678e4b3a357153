//! The worker role: the harness binary re-executed to be one side of a
//! measured run (see `supervisor.rs` for the other end), a child of
//! `bench_core::child`'s protocol.
//!
//! A worker gets its [`Job`] (dying with its supervisor from then on),
//! pins itself to its core, opens its ends of the channels the supervisor
//! created (addresses in [`FORWARD_ENV`] and [`BACKWARD_ENV`]), reports
//! ready, waits for the go, whose payload is the time to start at (ns),
//! runs its side of the pattern, and reports its [`WorkerResult`]. Any
//! error is one line on stderr and exit status 1.
//!
//! The in-process baseline (`crossbeam`) runs both sides as two pinned
//! threads of one worker ([`Role::Threads`]).

use std::time::Duration;

use anyhow::{Context, Result, bail};
use bench_core::child;
use bench_core::pin::{available_cores, pin_child, pin_current};
use bench_core::ring::Capacity;
use bench_core::transport::{Address, Channel, ChannelSpec, OpenOptions, Receiver, Sender, TransportKind};
use bench_core::workload::endpoint::{BufferedReceiver, MessageSink, MessageSource};
use bench_core::workload::patterns::{
    pingpong_echo, pingpong_initiate, rate_consume, rate_consume_mailbox, rate_produce, rate_produce_as,
    stream_consume, stream_consume_mailbox, stream_produce, stream_produce_as,
};
use bench_core::workload::{Lane, Pattern, SideReport, Who};
use serde::{Deserialize, Serialize};

/// Address of the channel from the producer (initiator) to the consumer (echo).
pub const FORWARD_ENV: &str = "RINGSIDE_FORWARD";
/// Address of the channel back (pingpong only).
pub const BACKWARD_ENV: &str = "RINGSIDE_BACKWARD";

/// Which side(s) a worker plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Sends (stream, rate) or initiates (pingpong).
    Producer,
    /// Receives (stream, rate) or echoes (pingpong).
    Consumer,
    /// Both, as two threads (the in-process baseline).
    Threads,
}

/// What a worker is asked to do.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// Its side.
    pub role: Role,
    /// The transport.
    pub transport: TransportKind,
    /// Capacity mode (used by [`Role::Threads`], which creates its channels).
    pub capacity: Capacity,
    /// Message size in bytes.
    pub size: usize,
    /// The pattern.
    pub pattern: Pattern,
    /// How long the producer sends, ms.
    pub run_ms: u64,
    /// This worker's producer's core (its own, unless it is the consumer)
    /// and the consumer's core.
    pub cores: [usize; 2],
    /// This worker's core holds another process of the run (the peer of a
    /// same-core placement, or a producer beside it): it waits by yielding,
    /// never by spinning, and is pinned to that core alone.
    pub crowded: bool,
    /// Which producer this worker is (0 for the consumer and a sole producer).
    pub producer: u16,
    /// How many producers send (1 for a link).
    pub producers: u16,
    /// The cores the supervisor may use (a worker starts with them).
    pub allowed: Vec<usize>,
    /// Deadline for any single wait inside a transport, ms.
    pub timeout_ms: u64,
}

/// What a worker prints at the end: one report per side it played
/// (producer first).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerResult {
    /// Producer (initiator) side, if this worker played it.
    pub producer: Option<SideReport>,
    /// Consumer (echo) side, if this worker played it.
    pub consumer: Option<SideReport>,
}

/// If this process was started as a worker, serve and exit.
pub fn serve_if_requested() {
    child::serve(serve);
}

fn serve(job: Job) -> Result<WorkerResult> {
    // Where the patterns note their progress for the supervisor to watch.
    bench_core::workload::progress::join_board().context("joining the supervisor's progress board")?;
    let (kind, pattern) = (job.transport, job.pattern);
    let share_core = job.crowded;
    let my_core = match job.role {
        Role::Consumer => job.cores[1],
        _ => job.cores[0],
    };
    // A worker starts with the mask of whichever thread spawned it; start
    // from the supervisor's cores. When its core holds another process of
    // the run, this process may use only that core, and the waiters (which
    // ask) then back off at once instead of spinning against their peer.
    if share_core {
        pin_current(my_core)?;
        available_cores();
    } else {
        pin_child(&job.allowed, my_core)?;
    }
    let opts = OpenOptions { peer: None, timeout: Duration::from_millis(job.timeout_ms) };
    match job.role {
        Role::Threads => threads(&job, kind, pattern, &opts),
        role => {
            let forward: Address = std::env::var(FORWARD_ENV).context("no channel address")?.parse()?;
            let backward: Option<Address> = std::env::var(BACKWARD_ENV).ok().map(|a| a.parse()).transpose()?;
            let side = Side { job: &job, pattern, share_core, role };
            let report = match kind {
                TransportKind::ShmRing(_) => side.run_ring(&forward, backward.as_ref())?,
                #[cfg(feature = "iceoryx2")]
                TransportKind::Iceoryx2 if kind.lends_slots(job.capacity) => {
                    side.run_loans(&forward, backward.as_ref(), &opts)?
                }
                _ => side.run_contract(&forward, backward.as_ref(), &opts)?,
            };
            Ok(match role {
                Role::Producer => WorkerResult { producer: Some(report), consumer: None },
                _ => WorkerResult { producer: None, consumer: Some(report) },
            })
        }
    }
}

/// One side in its own process.
struct Side<'a> {
    job: &'a Job,
    pattern: Pattern,
    share_core: bool,
    role: Role,
}

impl Side<'_> {
    /// The ring through its own API (static dispatch).
    fn run_ring(&self, forward: &Address, backward: Option<&Address>) -> Result<SideReport> {
        match (self.role, self.pattern) {
            (Role::Producer, Pattern::PingPong) => {
                let tx = forward.ring_producer()?;
                let mut rx = backward.context("no return channel")?.ring_consumer()?;
                self.go(tx, Some(&mut rx))
            }
            (Role::Producer, _) => self.go(forward.ring_producer()?, None::<&mut bench_core::ring::Consumer>),
            (_, Pattern::PingPong) => {
                let mut rx = forward.ring_consumer()?;
                let tx = backward.context("no return channel")?.ring_producer()?;
                self.go(tx, Some(&mut rx))
            }
            (_, _) => self.go(NoSink, Some(&mut forward.ring_consumer()?)),
        }
    }

    /// iceoryx2 through its loans (static dispatch, no copies), where it
    /// realises the capacity mode itself.
    #[cfg(feature = "iceoryx2")]
    fn run_loans(&self, forward: &Address, backward: Option<&Address>, opts: &OpenOptions) -> Result<SideReport> {
        use bench_core::transport::iceoryx2::{LoanPublisher, LoanSubscriber};
        // Each end connects before the side reports ready, so no trial
        // times iceoryx2 setting its connection up.
        let publisher = |address: &Address| -> Result<LoanPublisher> {
            let mut tx = address.iceoryx2_publisher(opts)?;
            tx.connect()?;
            Ok(tx)
        };
        let subscriber = |address: &Address| -> Result<LoanSubscriber> {
            let mut rx = address.iceoryx2_subscriber(opts)?;
            rx.connect()?;
            Ok(rx)
        };
        match (self.role, self.pattern) {
            (Role::Producer, Pattern::PingPong) => {
                let tx = publisher(forward)?;
                let mut rx = subscriber(backward.context("no return channel")?)?;
                self.go(tx, Some(&mut rx))
            }
            (Role::Producer, _) => self.go(publisher(forward)?, None::<&mut LoanSubscriber>),
            (_, Pattern::PingPong) => {
                let mut rx = subscriber(forward)?;
                let tx = publisher(backward.context("no return channel")?)?;
                self.go(tx, Some(&mut rx))
            }
            (_, _) => self.go(NoSink, Some(&mut subscriber(forward)?)),
        }
    }

    /// Every other transport through the contract.
    fn run_contract(&self, forward: &Address, backward: Option<&Address>, opts: &OpenOptions) -> Result<SideReport> {
        let size = self.job.size;
        match (self.role, self.pattern) {
            (Role::Producer, Pattern::PingPong) => {
                let tx = forward.open::<Sender>(opts)?;
                let back = backward.context("no return channel")?;
                let mut rx = BufferedReceiver::new(back.open::<Receiver>(opts)?, size);
                self.go(tx, Some(&mut rx))
            }
            (Role::Producer, _) => self.go(forward.open::<Sender>(opts)?, None::<&mut BufferedReceiver>),
            (_, Pattern::PingPong) => {
                let mut rx = BufferedReceiver::new(forward.open::<Receiver>(opts)?, size);
                let tx = backward.context("no return channel")?.open::<Sender>(opts)?;
                self.go(tx, Some(&mut rx))
            }
            (_, _) => self.go(NoSink, Some(&mut BufferedReceiver::new(forward.open::<Receiver>(opts)?, size))),
        }
    }

    /// Report ready, wait for the start, run.
    fn go<S: MessageSink, R: MessageSource>(&self, tx: S, rx: Option<&mut R>) -> Result<SideReport> {
        let start_ns = ready_then_wait_for_go()?;
        let job = self.job;
        let run = Duration::from_millis(job.run_ms);
        let who = Who::Process;
        let lane = Lane::new(job.producer, job.producers).context("a producer index past the producers")?;
        let many = job.producers > 1;
        let report = match (self.role, self.pattern, rx) {
            (Role::Producer, Pattern::Stream, _) => stream_produce_as(tx, job.size, run, who, lane)?,
            (Role::Producer, Pattern::Rate(r), _) => {
                rate_produce_as(tx, job.size, r, start_ns, run, self.share_core, who, lane)?
            }
            (Role::Producer, Pattern::PingPong, Some(rx)) => pingpong_initiate(tx, rx, job.size, run, who)?,
            (_, Pattern::Stream, Some(rx)) if many => stream_consume_mailbox(rx, job.size, job.producers, who)?,
            (_, Pattern::Stream, Some(rx)) => stream_consume(rx, job.size, who)?,
            (_, Pattern::Rate(r), Some(rx)) if many => {
                rate_consume_mailbox(rx, job.size, job.producers, r, start_ns, who)?
            }
            (_, Pattern::Rate(r), Some(rx)) => rate_consume(rx, job.size, r, start_ns, who)?,
            (_, Pattern::PingPong, Some(rx)) => pingpong_echo(rx, tx, job.size, who)?,
            _ => bail!("no receiving end for this side"),
        };
        Ok(report)
    }
}

/// The sink of a side that only receives.
struct NoSink;

impl MessageSink for NoSink {
    fn send(&mut self, _: &[u8]) -> Result<(), bench_core::transport::TransportError> {
        Err(bench_core::transport::TransportError::Protocol("this side only receives".into()))
    }
    fn finish(self) -> Result<u64, bench_core::transport::TransportError> {
        Ok(0)
    }
}

/// Report ready; block until the supervisor's go, and return the time to start at (ns).
fn ready_then_wait_for_go() -> Result<u64> {
    child::ready().context("reporting ready")?;
    Ok(child::wait_for_go()?)
}

/// Both sides as two pinned threads of this process (crossbeam).
fn threads(job: &Job, kind: TransportKind, pattern: Pattern, opts: &OpenOptions) -> Result<WorkerResult> {
    let capacity = job.capacity;
    let spec = ChannelSpec::new(kind, capacity, job.size).timeout(Duration::from_millis(job.timeout_ms));
    let mut forward = Channel::create(&spec)?;
    let (tx, rx) = (forward.open_sender(opts)?, forward.open_receiver(opts)?);
    let back = match pattern {
        Pattern::PingPong => {
            let mut back = Channel::create(&spec)?;
            Some((back.open_sender(opts)?, back.open_receiver(opts)?))
        }
        _ => None,
    };
    let start_ns = ready_then_wait_for_go()?;
    let run = Duration::from_millis(job.run_ms);
    let (size, share_core, who) = (job.size, job.cores[0] == job.cores[1], Who::Thread);
    let [p_core, c_core] = job.cores;
    std::thread::scope(|s| {
        let (back_tx, back_rx) = back.map_or((None, None), |(t, r)| (Some(t), Some(r)));
        let consumer = s.spawn(move || -> Result<SideReport> {
            pin_current(c_core)?;
            let mut rx = BufferedReceiver::new(rx, size);
            Ok(match pattern {
                Pattern::Stream => stream_consume(&mut rx, size, who)?,
                Pattern::Rate(r) => rate_consume(&mut rx, size, r, start_ns, who)?,
                Pattern::PingPong => pingpong_echo(&mut rx, back_tx.context("no return channel")?, size, who)?,
            })
        });
        let producer = s.spawn(move || -> Result<SideReport> {
            pin_current(p_core)?;
            Ok(match pattern {
                Pattern::Stream => stream_produce(tx, size, run, who)?,
                Pattern::Rate(r) => rate_produce(tx, size, r, start_ns, run, share_core, who)?,
                Pattern::PingPong => {
                    let mut rx = BufferedReceiver::new(back_rx.context("no return channel")?, size);
                    pingpong_initiate(tx, &mut rx, size, run, who)?
                }
            })
        });
        let producer = producer.join().map_err(|_| anyhow::anyhow!("the producer thread panicked"))??;
        let consumer = consumer.join().map_err(|_| anyhow::anyhow!("the consumer thread panicked"))??;
        Ok(WorkerResult { producer: Some(producer), consumer: Some(consumer) })
    })
}
