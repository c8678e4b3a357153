//! The three patterns, one function per side, generic over the ends.
//!
//! - **stream**: the producer sends for the run's duration as fast as the
//!   capacity mode lets it; the consumer times from the first message to
//!   the clean end (which follows the last message at once), so a buffer
//!   that accepts faster than it delivers does not flatter the figure.
//! - **pingpong**: the initiator sends message `seq`, the echo sends it
//!   back, the initiator checks it is `seq` and records the round trip.
//! - **rate:R**: open loop. Message `seq` is due at `start + seq / R`; the
//!   producer sends it then, or as soon after as it can, never skipping
//!   one; the consumer records now minus the *due* time. A producer held up
//!   by a full channel therefore cannot hide the wait (coordinated
//!   omission): every late message carries its lateness.
//!
//! Times that two processes compare (the rate pattern's due times) are
//! [`now_ns`] (`CLOCK_MONOTONIC`); a round trip, started and ended by one
//! thread, is timed with the time-stamp counter ([`Cycles`]); see
//! [`crate::clock`] for why each. Every side checks every message
//! ([`MessageChecker`]) and measures its own CPU time ([`usage`]) over its
//! loop only, not its setup. Each side notes how far it has got
//! ([`progress`]) where it passes anyway, for a supervisor that watches.

use std::time::Duration;

use super::endpoint::{MessageSink, MessageSource};
use super::histogram;
use super::lane::{self, Lane};
use super::mailbox::MailboxChecker;
use super::message::{Integrity, MessageChecker, MessageWriter};
use super::progress;
use super::report::SideReport;
use super::usage::{Who, since, usage};
use crate::clock::{Cycles, now_ns};
use crate::transport::TransportError;

/// Round trips not recorded at the start of each run (first-touch page
/// faults, lazy connection set-up), or fewer if they take more than a
/// tenth of the run.
pub const PINGPONG_UNRECORDED: u64 = 100;

/// A pingpong runs past its duration until it has recorded this many round
/// trips, so that one run supports its p99 (1,000 samples) and ten collect
/// more than a p99.9 needs (10,000); at most until [`PINGPONG_MAX_STRETCH`]
/// times its duration.
pub const PINGPONG_MIN_RECORDED: u64 = 1_500;

/// How far past its duration a pingpong may run for
/// [`PINGPONG_MIN_RECORDED`]: a slow transport stops at this many times
/// its duration with what it has.
pub const PINGPONG_MAX_STRETCH: u64 = 4;

/// Clock reads in the stream producer are spaced so they cost under ~1%:
/// the stride (messages between reads) doubles while a stride takes less
/// than this.
const STRIDE_TARGET_NS: u64 = 20_000;
const MAX_STRIDE: u64 = 1 << 16;

/// Stream: send for `run`, then finish.
pub fn stream_produce(
    tx: impl MessageSink,
    size: usize,
    run: Duration,
    who: Who,
) -> Result<SideReport, TransportError> {
    stream_produce_as(tx, size, run, who, Lane::SOLE)
}

/// Stream from producer `lane` of a mailbox: send its tagged messages for
/// `run`, then finish. The loop is the single producer's: the tags are its
/// sequence numbers offset by the producer's bits, so nothing is added per
/// message.
pub fn stream_produce_as(
    mut tx: impl MessageSink,
    size: usize,
    run: Duration,
    who: Who,
    lane: Lane,
) -> Result<SideReport, TransportError> {
    let mut writer = MessageWriter::new(size);
    let progress = progress::line();
    let cpu0 = usage(who);
    let start = now_ns();
    let end = start + run.as_nanos() as u64;
    // `seq` runs through this producer's tags; `first` is its message 0.
    let first = lane.tag(0);
    let (mut seq, mut stride, mut next_check, mut last_check) = (first, 1u64, first + 1, start);
    loop {
        seq += tx.send_messages(&mut writer, seq, next_check - seq)?;
        if seq == next_check {
            progress.sent.note(seq - first);
            let now = now_ns();
            if now >= end {
                break;
            }
            if now - last_check < STRIDE_TARGET_NS && stride < MAX_STRIDE {
                stride *= 2;
            } else if now - last_check > 8 * STRIDE_TARGET_NS && stride > 1 {
                stride /= 2;
            }
            last_check = now;
            next_check = seq + stride;
        }
    }
    let spilled = tx.finish()?;
    let elapsed_ns = now_ns() - start;
    let cpu = since(&cpu0, &usage(who));
    let messages = seq - first;
    Ok(SideReport { messages, elapsed_ns, cpu, spilled, integrity: sent(messages), ..Default::default() })
}

/// Stream: receive and check until the clean end.
pub fn stream_consume(rx: &mut impl MessageSource, size: usize, who: Who) -> Result<SideReport, TransportError> {
    stream_consume_with(rx, MessageChecker::new(size), who)
}

/// Stream into a mailbox that `producers` producers send to: receive until
/// the clean end, checking each producer's stream on its own.
pub fn stream_consume_mailbox(
    rx: &mut impl MessageSource,
    size: usize,
    producers: u16,
    who: Who,
) -> Result<SideReport, TransportError> {
    stream_consume_with(rx, MailboxChecker::new(size, usize::from(producers)), who)
}

/// Stream: receive and check with `checker` until the clean end.
fn stream_consume_with(
    rx: &mut impl MessageSource,
    mut checker: impl Check,
    who: Who,
) -> Result<SideReport, TransportError> {
    let progress = progress::line();
    let cpu0 = usage(who);
    // The first message is waited for outside the timed span.
    let Some(_) = rx.recv_with(|m| checker.slot_of(m))? else {
        return Ok(SideReport {
            integrity: checker.counts(),
            per_producer: checker.per_producer(),
            ..Default::default()
        });
    };
    let first = now_ns();
    let mut taken = 1u64;
    while let Some(n) = rx.recv_many(|m| {
        checker.slot_of(m);
    })? {
        taken += n;
        progress.received.note(taken);
    }
    let last = now_ns();
    let counts = checker.counts();
    let cpu = since(&cpu0, &usage(who));
    Ok(SideReport {
        messages: counts.received,
        elapsed_ns: last - first,
        cpu,
        integrity: counts,
        per_producer: checker.per_producer(),
        ..Default::default()
    })
}

/// The check a receiving side runs on every message: one producer's
/// stream ([`MessageChecker`]) or a mailbox's many ([`MailboxChecker`]).
/// Each pattern loop is compiled once per checker, so a single stream's
/// path is exactly what it was without mailboxes.
trait Check {
    /// Check `msg`; its slot in the rate schedule ([`lane`](super::lane))
    /// if it was intact.
    fn slot_of(&mut self, msg: &[u8]) -> Option<u64>;
    /// Everything counted, `sent` left 0.
    fn counts(&self) -> Integrity;
    /// Counts per producer; empty for a single stream.
    fn per_producer(&self) -> Vec<Integrity>;
}

impl Check for MessageChecker {
    #[inline(always)]
    fn slot_of(&mut self, msg: &[u8]) -> Option<u64> {
        self.check(msg)
    }

    fn counts(&self) -> Integrity {
        MessageChecker::counts(self)
    }

    fn per_producer(&self) -> Vec<Integrity> {
        Vec::new()
    }
}

impl Check for MailboxChecker {
    #[inline(always)]
    fn slot_of(&mut self, msg: &[u8]) -> Option<u64> {
        let producers = self.producers() as u16;
        self.check(msg).map(|a| lane::slot(a.producer, producers, a.seq))
    }

    fn counts(&self) -> Integrity {
        self.total()
    }

    fn per_producer(&self) -> Vec<Integrity> {
        MailboxChecker::per_producer(self)
    }
}

/// Pingpong, initiating side: round trips for `run` (and on until
/// [`PINGPONG_MIN_RECORDED`] are recorded, at most [`PINGPONG_MAX_STRETCH`]
/// times `run`), each recorded after the first [`PINGPONG_UNRECORDED`].
pub fn pingpong_initiate(
    mut tx: impl MessageSink,
    rx: &mut impl MessageSource,
    size: usize,
    run: Duration,
    who: Who,
) -> Result<SideReport, TransportError> {
    let mut writer = MessageWriter::new(size);
    let mut checker = MessageChecker::new(size);
    let mut hist = histogram::new();
    let progress = progress::line();
    // Round trips start and end in this process, on this core: the
    // counter's clock (see `crate::clock`).
    let clock = Cycles::new();
    let cpu0 = usage(who);
    let start = clock.raw();
    let (run_ns, warm_ns) = (run.as_nanos() as u64, run.as_nanos() as u64 / 10);
    let cap_ns = PINGPONG_MAX_STRETCH * run_ns;
    let mut seq = 0u64;
    loop {
        let t0 = clock.raw();
        tx.send_message(&mut writer, seq)?;
        // The round trip ends once the reply is in hand and checked; giving
        // its slot or buffer back comes after the clock is read.
        let back = rx.recv_with(|m| (checker.check(m), clock.raw()))?;
        seq += 1;
        progress.sent.note(seq);
        let t1 = match back {
            Some((Some(s), t1)) if s == seq - 1 => t1,
            Some(_) => break, // counted by the checker; the harness fails the run
            None => return Err(TransportError::PeerGone("the echo ended the stream mid-run".into())),
        };
        let since_start = clock.nanos_between(start, t1);
        // The first round trips warm up; a slow transport (large messages)
        // records from a tenth of the run on even if that is fewer.
        if seq > PINGPONG_UNRECORDED || since_start >= warm_ns {
            histogram::record(&mut hist, clock.nanos_between(t0, t1));
        }
        if since_start >= run_ns && (hist.len() >= PINGPONG_MIN_RECORDED || since_start >= cap_ns) {
            break;
        }
    }
    tx.finish()?;
    // The echo finishes its side once it sees ours end.
    while rx.recv_with(|m| checker.check(m))?.is_some() {}
    let elapsed_ns = clock.nanos_between(start, clock.raw());
    let cpu = since(&cpu0, &usage(who));
    let mut integrity = checker.counts();
    integrity.sent = seq;
    Ok(SideReport {
        messages: seq,
        elapsed_ns,
        cpu,
        integrity,
        histogram: Some(histogram::encode(&hist)),
        ..Default::default()
    })
}

/// Pingpong, echoing side: send every message back until the clean end.
pub fn pingpong_echo(
    rx: &mut impl MessageSource,
    mut tx: impl MessageSink,
    size: usize,
    who: Who,
) -> Result<SideReport, TransportError> {
    let mut checker = MessageChecker::new(size);
    let progress = progress::line();
    let cpu0 = usage(who);
    let start = now_ns();
    let mut echoed = 0u64;
    if tx.waits_for_receipt() {
        // Rendezvous: the reply's send returns once the initiator has taken
        // it, while the initiator's own send waits for the echo to take
        // the request. So the request is copied out and let go of first;
        // answering it from where it arrived would leave each side waiting
        // for the other.
        let mut reply = vec![0u8; size];
        while let Some(len) = rx.recv_with(|m| {
            let len = m.len().min(reply.len());
            reply[..len].copy_from_slice(&m[..len]);
            checker.check(m);
            len
        })? {
            tx.send(&reply[..len])?;
            echoed += 1;
            progress.received.note(echoed);
        }
    } else {
        // Sent back from where it arrived (the ring's slot, or the
        // receiving buffer): one copy fewer on the round trip's critical
        // path. Checked right after, while the reply travels: every message
        // is still checked, and a fault still fails the run, but the check
        // is not part of the latency the initiator measures.
        while let Some(sent) = rx.recv_with(|m| {
            let sent = tx.send(m);
            checker.check(m);
            sent
        })? {
            sent?;
            echoed += 1;
            progress.received.note(echoed);
        }
    }
    tx.finish()?;
    let cpu = since(&cpu0, &usage(who));
    let mut integrity = checker.counts();
    integrity.sent = echoed;
    Ok(SideReport { messages: echoed, elapsed_ns: now_ns() - start, cpu, integrity, ..Default::default() })
}

/// The due time of message `seq` at `rate` per second from `start_ns`.
#[inline]
pub fn due_ns(start_ns: u64, rate: u64, seq: u64) -> u64 {
    start_ns + (u128::from(seq) * 1_000_000_000 / u128::from(rate)) as u64
}

/// Rate, producing side: message `seq` at [`due_ns`] until `start_ns + run`.
/// `share_core`: the consumer runs on this core too, so waiting yields
/// instead of spinning.
pub fn rate_produce(
    tx: impl MessageSink,
    size: usize,
    rate: u64,
    start_ns: u64,
    run: Duration,
    share_core: bool,
    who: Who,
) -> Result<SideReport, TransportError> {
    rate_produce_as(tx, size, rate, start_ns, run, share_core, who, Lane::SOLE)
}

/// Rate from producer `lane` of a mailbox whose producers together offer
/// `rate`: its message `seq` is due at the schedule slot
/// [`Lane::slot`]`(seq)`.
#[allow(clippy::too_many_arguments)]
pub fn rate_produce_as(
    mut tx: impl MessageSink,
    size: usize,
    rate: u64,
    start_ns: u64,
    run: Duration,
    share_core: bool,
    who: Who,
    lane: Lane,
) -> Result<SideReport, TransportError> {
    let mut writer = MessageWriter::new(size);
    // Sleeps end when asked, not up to 50 µs later (the default slack).
    let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
    let end = start_ns + run.as_nanos() as u64;
    let progress = progress::line();
    let cpu0 = usage(who);
    let (mut seq, mut max_lag) = (0u64, 0u64);
    loop {
        let due = due_ns(start_ns, rate, lane.slot(seq));
        if due >= end {
            break;
        }
        let now = wait_until(due, share_core);
        max_lag = max_lag.max(now.saturating_sub(due));
        tx.send_message(&mut writer, lane.tag(seq))?;
        seq += 1;
        progress.sent.note(seq);
    }
    let done = now_ns();
    tx.finish()?;
    let cpu = since(&cpu0, &usage(who));
    let span = done.saturating_sub(start_ns).max(1);
    Ok(SideReport {
        messages: seq,
        elapsed_ns: span,
        cpu,
        integrity: sent(seq),
        max_send_lag_ns: Some(max_lag),
        send_rate: Some(seq as f64 * 1e9 / span as f64),
        ..Default::default()
    })
}

/// Rate, consuming side: one-way latency of every message from its due time.
pub fn rate_consume(
    rx: &mut impl MessageSource,
    size: usize,
    rate: u64,
    start_ns: u64,
    who: Who,
) -> Result<SideReport, TransportError> {
    rate_consume_with(rx, MessageChecker::new(size), rate, start_ns, who)
}

/// Rate into a mailbox that `producers` producers send to, together at
/// `rate`: each message's latency from its own producer's due time.
pub fn rate_consume_mailbox(
    rx: &mut impl MessageSource,
    size: usize,
    producers: u16,
    rate: u64,
    start_ns: u64,
    who: Who,
) -> Result<SideReport, TransportError> {
    rate_consume_with(rx, MailboxChecker::new(size, usize::from(producers)), rate, start_ns, who)
}

fn rate_consume_with(
    rx: &mut impl MessageSource,
    mut checker: impl Check,
    rate: u64,
    start_ns: u64,
    who: Who,
) -> Result<SideReport, TransportError> {
    let mut hist = histogram::new();
    let progress = progress::line();
    let cpu0 = usage(who);
    let mut taken = 0u64;
    while let Some(slot) = rx.recv_with(|m| checker.slot_of(m))? {
        let now = now_ns();
        taken += 1;
        progress.received.note(taken);
        if let Some(slot) = slot {
            histogram::record(&mut hist, now.saturating_sub(due_ns(start_ns, rate, slot)));
        }
    }
    let counts = checker.counts();
    let cpu = since(&cpu0, &usage(who));
    Ok(SideReport {
        messages: counts.received,
        elapsed_ns: now_ns().saturating_sub(start_ns),
        cpu,
        integrity: counts,
        histogram: Some(histogram::encode(&hist)),
        per_producer: checker.per_producer(),
        ..Default::default()
    })
}

/// Sleep only while the next send is further away than this: a sleeping
/// thread wakes tens of microseconds late on a virtual machine, and that
/// lateness would count as latency of the transport.
const SLEEP_IF_AHEAD_NS: u64 = 500_000;
/// Wake this long before the due time and spin (or yield) the rest.
const WAKE_EARLY_NS: u64 = 300_000;

/// Wait until `due` (ns): sleep while far, then yield (one shared core) or
/// spin; the time waited to. The producer's CPU time in a rate run is
/// therefore mostly pacing, not transport.
fn wait_until(due: u64, share_core: bool) -> u64 {
    loop {
        let now = now_ns();
        if now >= due {
            return now;
        }
        let left = due - now;
        if left > SLEEP_IF_AHEAD_NS {
            std::thread::sleep(Duration::from_nanos(left - WAKE_EARLY_NS));
        } else if share_core {
            std::thread::yield_now();
        } else {
            std::hint::spin_loop();
        }
    }
}

fn sent(n: u64) -> super::message::Integrity {
    super::message::Integrity { sent: n, ..Default::default() }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{pingpong_echo, pingpong_initiate};
    use crate::ring::{self, Capacity, RingConfig, Variant, WaitStrategy};
    use crate::workload::Who;

    /// A pingpong over two rings completes, checked, in every capacity mode
    /// and design: in particular a rendezvous echo, whose send waits for the
    /// initiator's acknowledgement while the initiator's own send waits for
    /// the echo's, must let go of the request before it answers.
    #[test]
    fn a_ring_pingpong_completes_in_every_capacity_mode_and_design() {
        let capacities = [Capacity::Rendezvous, Capacity::Bounded(1), Capacity::Bounded(8), Capacity::Unbounded];
        for capacity in capacities {
            for variant in [Variant::Textbook, Variant::Padded, Variant::Ring] {
                for (size, fixed) in [(8, true), (64, false)] {
                    let what = format!("{capacity:?} {variant:?} {size} B");
                    // Yield: on one core or two; a deadlock fails at the timeout.
                    let config = RingConfig::new(capacity)
                        .variant(variant)
                        .wait(WaitStrategy::Yield)
                        .slot_size(size)
                        .fixed_size(fixed)
                        .timeout(Duration::from_secs(2));
                    let (request_tx, mut request_rx) = ring::pair(&config).expect("request ring");
                    let (reply_tx, mut reply_rx) = ring::pair(&config).expect("reply ring");
                    let echo = std::thread::spawn(move || pingpong_echo(&mut request_rx, reply_tx, size, Who::Thread));
                    let initiator =
                        pingpong_initiate(request_tx, &mut reply_rx, size, Duration::from_millis(5), Who::Thread)
                            .unwrap_or_else(|e| panic!("{what}: initiator: {e}"));
                    let echoed = echo.join().expect("echo thread").unwrap_or_else(|e| panic!("{what}: echo: {e}"));
                    assert!(
                        initiator.messages > 0 && initiator.integrity.is_clean(),
                        "{what}: {:?}",
                        initiator.integrity
                    );
                    assert_eq!(echoed.messages, initiator.messages, "{what}");
                    assert!(echoed.integrity.is_clean(), "{what}: {:?}", echoed.integrity);
                }
            }
        }
    }
}
