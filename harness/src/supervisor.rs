//! One measured process run: create the channels, start the two workers
//! (the harness re-executed through `bench_core::child`, see `worker.rs`),
//! let them open their ends, start them together, and collect their
//! reports, within deadlines.
//!
//! The supervisor only coordinates: while the workers measure it sleeps in
//! a blocking receive, waking a few times a second to read how far each
//! worker has got (`workload::progress`). A worker that exits without a
//! result or is killed fails the run, and so does a run in which no
//! unfinished worker has moved a message for [`STALL_LIMIT`] (a stopped
//! process, a side blocked in a kernel call that never returns), however
//! long the run was meant to last: the other worker is
//! given a moment to report its own view, then killed, and the reason
//! names which side failed and how (exit status, signal, its last error
//! line). The channels, and so every kernel object of the run, are owned
//! here and removed when the run ends, whatever happened.

use std::time::{Duration, Instant};

use bench_core::child::{self, Child, Launch, Output};
use bench_core::clock::now_ns;
use bench_core::ring::{Capacity, WaitStrategy};
use bench_core::transport::{Channel, ChannelSpec, Realised, Role as End, TransportError, TransportKind};
use bench_core::workload::progress::{Progress, ProgressBoard};
use bench_core::workload::{Pattern, SideReport};
use scenarios::Scenario;
use vocabulary::Producers;

use crate::placement;

use crate::worker::{BACKWARD_ENV, FORWARD_ENV, Job, Role, WorkerResult};

/// How long the survivor may take to report after its peer failed.
const GRACE: Duration = Duration::from_secs(2);
/// Deadline for any single wait inside a transport.
const TRANSPORT_TIMEOUT: Duration = Duration::from_secs(20);
/// A run in which no unfinished worker moved a message for this long is
/// hung: its workers are killed. Every pattern notes its progress at
/// least once per message or per few microseconds of sending (see
/// `workload::progress`), so a healthy run is never this still; the
/// slowest pattern the harness accepts, `rate:1`, notes once a second.
/// `RINGSIDE_DEADLINE_BASE_S` lowers it when below it.
pub const STALL_LIMIT: Duration = Duration::from_secs(5);
/// How often the supervisor reads the workers' progress.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// What one run is.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Transport.
    pub kind: TransportKind,
    /// Capacity mode.
    pub capacity: Capacity,
    /// Message size.
    pub size: usize,
    /// Pattern.
    pub pattern: Pattern,
    /// Producer (initiator) core, consumer (echo) core; with many
    /// producers, the first producer's core.
    pub cores: [usize; 2],
    /// How many producer processes send.
    pub producers: Producers,
    /// Each producer's core (`cores[0]` first; `placement::producer_cores`).
    pub producer_cores: Vec<usize>,
    /// How a waiting side waits (the scenario's choice resolved,
    /// [`Scenario::wait_strategy`]); `None` for transports that do not wait
    /// in user space.
    pub wait: Option<WaitStrategy>,
    /// How long the producer sends.
    pub run: Duration,
}

impl RunSpec {
    /// One run of `scenario` on `cores`, the producers sending for `run`,
    /// placed among the cores this process may use.
    pub fn of(scenario: &Scenario, cores: [usize; 2], run: Duration) -> RunSpec {
        let producer_cores = placement::producer_cores(cores, scenario.producers, &bench_core::pin::available_cores());
        RunSpec {
            kind: scenario.transport,
            capacity: scenario.capacity,
            size: scenario.size,
            pattern: scenario.pattern,
            cores,
            producers: scenario.producers,
            producer_cores,
            wait: scenario.wait_strategy(),
            run,
        }
    }

    /// Whether the process on `core` shares it with another of the run.
    fn crowded(&self, core: usize) -> bool {
        self.producer_cores.iter().chain([&self.cores[1]]).filter(|&&c| c == core).count() > 1
    }

    /// The longest a run may take, sends and drain included: a sender in
    /// unbounded mode can queue far more than the receiver takes in the
    /// run's time, and draining that is part of the run. A backstop only:
    /// a hung run is found by its lack of progress ([`STALL_LIMIT`]) long
    /// before.
    ///
    /// `RINGSIDE_DEADLINE_BASE_S` replaces the fixed 20 s part (the tests
    /// use it to see a hung worker killed without waiting long).
    pub fn deadline(&self) -> Duration {
        deadline_base() + self.run * 40
    }
}

/// The fixed part of every deadline, also the time workers have to open
/// their ends: 20 s, or `RINGSIDE_DEADLINE_BASE_S` (checked at the start
/// of a command by [`deadline_base_from_env`]).
fn deadline_base() -> Duration {
    deadline_base_from_env().unwrap_or(DEFAULT_DEADLINE_BASE)
}

/// [`deadline_base`] when `RINGSIDE_DEADLINE_BASE_S` is unset.
const DEFAULT_DEADLINE_BASE: Duration = Duration::from_secs(20);
/// The range `RINGSIDE_DEADLINE_BASE_S` may take, seconds.
const DEADLINE_BASE_RANGE: std::ops::RangeInclusive<f64> = 0.1..=3600.0;

/// `RINGSIDE_DEADLINE_BASE_S`, or the default when unset; why not, when
/// it is set to anything but a number of seconds in [`DEADLINE_BASE_RANGE`].
pub fn deadline_base_from_env() -> Result<Duration, String> {
    let Some(value) = std::env::var_os("RINGSIDE_DEADLINE_BASE_S") else { return Ok(DEFAULT_DEADLINE_BASE) };
    let text = value.to_string_lossy();
    match text.trim().parse::<f64>() {
        Ok(secs) if DEADLINE_BASE_RANGE.contains(&secs) => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!(
            "RINGSIDE_DEADLINE_BASE_S={text:?}: must be a number of seconds from {} to {}",
            DEADLINE_BASE_RANGE.start(),
            DEADLINE_BASE_RANGE.end()
        )),
    }
}

/// Both sides' reports.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Each producer's (the initiator's), in producer order: one unless
    /// many producers sent.
    pub producers: Vec<SideReport>,
    /// Consumer (echo).
    pub consumer: SideReport,
}

/// Why a run produced no report.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunError {
    /// The transport refused the capacity or size.
    #[error("{0}")]
    Refused(String),
    /// A worker failed, hung or was killed.
    #[error("{0}")]
    Failed(String),
}

/// The capacity the transport realises for `spec`, or why it refuses (a
/// channel is created and dropped at once).
pub fn probe(spec: &RunSpec) -> Result<Realised, TransportError> {
    if spec.producers.many() {
        if let Some(why) = many_producers_refused(spec) {
            return Err(TransportError::Refused(why.into()));
        }
    }
    if spec.wait == Some(WaitStrategy::Spin) && spec.producer_cores.iter().any(|&c| spec.crowded(c)) {
        return Err(TransportError::Refused(
            "spin waits on one shared core make no progress: each side spins out its time slice before its \
             peer can run (use yield or block there)"
                .into(),
        ));
    }
    Ok(Channel::create(&channel_spec(spec))?.realised())
}

/// Why a run of `spec` cannot have many producers, if it cannot: its
/// pattern, or its transport's own reason ([`TransportKind::many_senders`]).
fn many_producers_refused(spec: &RunSpec) -> Option<&'static str> {
    match spec.pattern {
        Pattern::PingPong => Some(
            "a ping-pong has one initiator: an echo through one mailbox could not tell which sender to answer \
             (many producers run stream and rate:R)",
        ),
        _ => spec.kind.many_senders().err(),
    }
}

/// The channel for a run, waiting by the run's strategy where the
/// transport waits in user space (how a scenario's choice becomes one is
/// `scenarios::wait`).
fn channel_spec(spec: &RunSpec) -> ChannelSpec {
    // Every message of a scenario is exactly its size (`workload::message`).
    let base = ChannelSpec::new(spec.kind, spec.capacity, spec.size)
        .fixed_size(true)
        .timeout(TRANSPORT_TIMEOUT)
        .senders(spec.producers.count());
    match spec.wait {
        Some(wait) => base.wait(wait),
        None => base,
    }
}

/// Run once: create, start, measure, collect.
pub fn run(spec: &RunSpec) -> Result<RunReport, RunError> {
    let cspec = channel_spec(spec);
    let allowed = bench_core::pin::available_cores();
    let consumer_core = spec.cores[1];
    // Each worker is told its producer's core and the consumer's, and
    // whether its own core holds another process of the run.
    let job = |role, producer: u16| {
        let producer_core = spec.producer_cores[usize::from(producer)];
        let own = if role == Role::Consumer { consumer_core } else { producer_core };
        Job {
            role,
            transport: spec.kind,
            capacity: spec.capacity,
            size: spec.size,
            pattern: spec.pattern,
            run_ms: spec.run.as_millis() as u64,
            cores: [producer_core, consumer_core],
            crowded: spec.crowded(own),
            producer,
            producers: spec.producers.get(),
            allowed: allowed.clone(),
            timeout_ms: TRANSPORT_TIMEOUT.as_millis() as u64,
        }
    };
    let producers = spec.producers.count();
    let lines = if spec.kind.is_threads() { 1 } else { producers + 1 };
    let board = ProgressBoard::create(lines)
        .map_err(|e| RunError::Failed(format!("cannot create the workers' progress board: {e}")))?;
    if spec.kind.is_threads() {
        // The in-process baseline: one worker creates its channels and runs both sides.
        let mut threads = launch("threads", &job(Role::Threads, 0))?;
        board.configure_child(&mut threads, 0);
        let worker = Worker::spawn("threads".into(), threads)?;
        return supervise(vec![worker], spec, &board);
    }
    let mut forward = Channel::create(&cspec).map_err(|e| RunError::Refused(e.to_string()))?;
    let mut backward = match spec.pattern {
        Pattern::PingPong => Some(Channel::create(&cspec).map_err(|e| RunError::Refused(e.to_string()))?),
        _ => None,
    };
    let mut workers = Vec::with_capacity(producers + 1);
    for k in 0..producers {
        let name = producer_name(k, spec.producers);
        let mut producer = launch(&name, &job(Role::Producer, k as u16))?;
        forward.configure_child(End::Sender, &mut producer, FORWARD_ENV);
        if let Some(back) = &backward {
            back.configure_child(End::Receiver, &mut producer, BACKWARD_ENV);
        }
        board.configure_child(&mut producer, k);
        // One that fails to start takes those started before with it (dropped: killed and reaped).
        workers.push(Worker::spawn(name, producer)?);
    }
    forward.handed_over(End::Sender);
    if let Some(back) = &mut backward {
        back.handed_over(End::Receiver);
    }
    let mut consumer = launch("consumer", &job(Role::Consumer, 0))?;
    forward.configure_child(End::Receiver, &mut consumer, FORWARD_ENV);
    if let Some(back) = &backward {
        back.configure_child(End::Sender, &mut consumer, BACKWARD_ENV);
    }
    board.configure_child(&mut consumer, producers);
    workers.push(Worker::spawn("consumer".into(), consumer)?);
    forward.handed_over(End::Receiver);
    if let Some(back) = &mut backward {
        back.handed_over(End::Sender);
    }
    let result = supervise(workers, spec, &board);
    // The channels (and their kernel objects) go only now, after every worker is reaped.
    drop((forward, backward));
    result
}

/// What the supervisor calls producer `k`'s worker: "producer" when it is
/// the only one, "producer 1", "producer 2", … when there are many.
fn producer_name(k: usize, producers: Producers) -> String {
    if producers.many() { format!("producer {}", k + 1) } else { "producer".into() }
}

/// The `name` worker doing `job`, about to start.
fn launch<'a>(name: &str, job: &Job) -> Result<Launch<'a>, RunError> {
    Launch::new(format!("{name} worker"), job).map_err(|e| RunError::Failed(e.to_string()))
}

/// A running worker, and where it is in the run.
struct Worker {
    name: String,
    child: Child,
    ready: bool,
    result: Option<WorkerResult>,
}

impl Worker {
    fn spawn(name: String, launch: Launch<'_>) -> Result<Self, RunError> {
        let child = launch.spawn().map_err(|e| RunError::Failed(e.to_string()))?;
        Ok(Self { name, child, ready: false, result: None })
    }

    /// Still expected to say something: no result yet, output open.
    fn unfinished(&self) -> bool {
        self.result.is_none() && !self.child.is_closed()
    }
}

/// Handshake, start, collect; kill everything on any failure.
fn supervise(mut workers: Vec<Worker>, spec: &RunSpec, board: &ProgressBoard) -> Result<RunReport, RunError> {
    let outcome = collect(&mut workers, spec, board);
    if outcome.is_err() {
        // A survivor may still be running (or blocked on a dead peer).
        for w in &mut workers {
            w.child.kill();
        }
    }
    let mut failures = Vec::new();
    for w in &mut workers {
        // Reap; a worker that reported must also have exited cleanly.
        match w.child.wait() {
            Ok(s) if s.success() || outcome.is_err() => {}
            Ok(s) => failures.push(format!("the {} worker {}", w.name, child::describe_exit(s))),
            Err(e) => failures.push(format!("waiting for the {} worker: {e}", w.name)),
        }
    }
    let report = outcome?;
    if !failures.is_empty() {
        return Err(RunError::Failed(failures.join("; ")));
    }
    Ok(report)
}

fn collect(workers: &mut [Worker], spec: &RunSpec, board: &ProgressBoard) -> Result<RunReport, RunError> {
    // 1. Every worker opens its ends.
    let open_by = Instant::now() + deadline_base();
    while !workers.iter().all(|w| w.ready) {
        match next_output(workers, open_by) {
            Some((i, Output::Ready)) => workers[i].ready = true,
            Some((_, Output::Result(_))) => {}
            Some((i, Output::Closed)) => {
                let why = workers[i].child.ending();
                return Err(RunError::Failed(format!("before the start, {why}")));
            }
            None => {
                let slow: Vec<&str> = workers.iter().filter(|w| !w.ready).map(|w| w.name.as_str()).collect();
                return Err(RunError::Failed(format!(
                    "the {} worker did not open its ends within {:.0} s; killed",
                    slow.join(" and "),
                    deadline_base().as_secs_f64()
                )));
            }
        }
    }
    // 2. Start together (rate: the schedule starts 2 ms from now).
    let start_ns = now_ns() + 2_000_000;
    for w in workers.iter_mut() {
        if w.child.go(&start_ns).is_err() {
            let why = w.child.ending();
            return Err(RunError::Failed(format!("at the start, {why}")));
        }
    }
    // 3. Results, while the unfinished workers make progress, and within the deadline.
    let mut done_by = Instant::now() + spec.deadline();
    let mut first_failure: Option<String> = None;
    let mut watch = StallWatch::new(stall_limit());
    while workers.iter().any(Worker::unfinished) {
        let wake = done_by.min(Instant::now() + PROGRESS_EVERY);
        let event = next_output(workers, wake);
        if event.is_none() && Instant::now() < done_by {
            if first_failure.is_none() {
                let unfinished: Vec<(String, Progress)> = (workers.iter().enumerate())
                    .filter(|(_, w)| w.unfinished())
                    .map(|(i, w)| (w.name.clone(), board.read(i)))
                    .collect();
                if let Some(still) = watch.still_for(&unfinished) {
                    return Err(RunError::Failed(stalled(&unfinished, still)));
                }
            }
            continue;
        }
        match event {
            Some((i, Output::Result(json))) => {
                let parsed = workers[i].child.decode(&json).map_err(|e| RunError::Failed(e.to_string()))?;
                workers[i].result = Some(parsed);
            }
            Some((_, Output::Ready)) => {}
            Some((i, Output::Closed)) => {
                if workers[i].result.is_none() && first_failure.is_none() {
                    first_failure = Some(workers[i].child.ending());
                    // Let the survivor say what it saw, briefly.
                    done_by = done_by.min(Instant::now() + GRACE);
                }
            }
            None => {
                let waiting: Vec<&str> =
                    workers.iter().filter(|w| w.result.is_none()).map(|w| w.name.as_str()).collect();
                let why = first_failure.unwrap_or_else(|| {
                    format!(
                        "timed out: no result from the {} worker after {:.0} s; killed",
                        waiting.join(" and "),
                        spec.deadline().as_secs_f64()
                    )
                });
                return Err(RunError::Failed(why));
            }
        }
    }
    if let Some(why) = first_failure {
        return Err(RunError::Failed(why));
    }
    let mut producers = Vec::new();
    let mut consumer = None;
    for w in workers.iter_mut() {
        let r = w.result.take().expect("every worker reported");
        producers.extend(r.producer);
        consumer = consumer.or(r.consumer);
    }
    match consumer {
        Some(consumer) if producers.len() == spec.producers.count() => Ok(RunReport { producers, consumer }),
        _ => Err(RunError::Failed("a side reported nothing".into())),
    }
}

/// [`STALL_LIMIT`], or `RINGSIDE_DEADLINE_BASE_S` where that is shorter.
fn stall_limit() -> Duration {
    STALL_LIMIT.min(deadline_base())
}

/// Tells when the workers' progress has stood still for too long.
struct StallWatch {
    limit: Duration,
    last: Vec<(String, Progress)>,
    since: Instant,
}

impl StallWatch {
    fn new(limit: Duration) -> Self {
        Self { limit, last: Vec::new(), since: Instant::now() }
    }

    /// Given what the unfinished workers' lines say now: how long nothing
    /// has moved, once that is at least the limit.
    fn still_for(&mut self, now: &[(String, Progress)]) -> Option<Duration> {
        if now != self.last.as_slice() {
            self.last = now.to_vec();
            self.since = Instant::now();
            return None;
        }
        let still = self.since.elapsed();
        (still >= self.limit).then_some(still)
    }
}

/// Why a run that stood still for `still` fails, with where each unfinished worker stopped.
fn stalled(unfinished: &[(String, Progress)], still: Duration) -> String {
    let at: Vec<String> = unfinished
        .iter()
        .map(|(name, p)| format!("the {name} worker at {} sent, {} received", p.sent, p.received))
        .collect();
    format!(
        "hung: no message moved for {:.1} s ({}); killed (a stopped process, or a side blocked in a call that \
         never returns)",
        still.as_secs_f64(),
        at.join("; ")
    )
}

/// What one of the workers says next, by `by`.
fn next_output(workers: &mut [Worker], by: Instant) -> Option<(usize, Output)> {
    child::next_output(workers.iter_mut().map(|w| &mut w.child), by)
}
