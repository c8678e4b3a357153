//! The two clocks ringside reads, which figures each one times, and what
//! one read of each costs. Every timestamp in ringside comes from here.
//!
//! | clock | read as | times | why this one |
//! | --- | --- | --- | --- |
//! | [`Clock::Monotonic`] | `CLOCK_MONOTONIC` through the vDSO ([`now_ns`]) | one-way latencies (the rate pattern: a message's due time in the producer, its receipt in the consumer), a stream's duration, the start time the supervisor hands both workers | one clock for every process and core, so a time taken in one process can be subtracted from one taken in another |
//! | [`Clock::Cycles`] | the time-stamp counter through `quanta` ([`Cycles`]), scaled to ns | round trips (pingpong), the floor's cache-line round trips and the probes around each trial | started and ended by one thread on one core, where a counter read costs a fraction of a `clock_gettime` that would otherwise be a visible share of a shared-memory round trip |
//!
//! `quanta` reads the counter only where it is invariant and `rdtscp`
//! exists (what `/proc/cpuinfo` lists as `nonstop_tsc` and `rdtscp`);
//! elsewhere it reads the operating system's monotonic clock itself, and
//! [`Clock::describe`] says which. The cost of a read of each is measured
//! in every run and recorded per latency kind ([`Clock::for_latency`]):
//! latencies within a few reads of it are mostly clock.

use std::hint::black_box;

use rustix::time::{ClockId, clock_gettime};
use vocabulary::LatencyKind;

/// One of the two clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `CLOCK_MONOTONIC`: one clock across processes and cores.
    Monotonic,
    /// The time-stamp counter through `quanta`: one thread's intervals.
    Cycles,
}

impl Clock {
    /// Both clocks.
    pub const ALL: [Clock; 2] = [Clock::Monotonic, Clock::Cycles];

    /// The clock latencies of `kind` are timed with.
    pub fn for_latency(kind: LatencyKind) -> Clock {
        match kind {
            LatencyKind::RoundTrip => Clock::Cycles,
            LatencyKind::OneWay => Clock::Monotonic,
        }
    }

    /// What this clock is on this machine, in words.
    pub fn describe(self) -> String {
        match self {
            Clock::Monotonic => "CLOCK_MONOTONIC (vDSO clock_gettime), one clock for every process and core".to_owned(),
            Clock::Cycles if counter_is_usable() => {
                "the time-stamp counter (invariant, rdtscp) through quanta, scaled to ns; one thread's intervals"
                    .to_owned()
            }
            Clock::Cycles => "quanta without a usable time-stamp counter here (it is not invariant, or rdtscp is \
                              missing), so CLOCK_MONOTONIC; one thread's intervals"
                .to_owned(),
        }
    }

    /// Nanoseconds one read costs here: the median over batches of reads.
    pub fn read_cost_ns(self) -> f64 {
        const BATCHES: usize = 15;
        const READS: u64 = 20_000;
        let cycles = Cycles::new();
        let mut per_read: Vec<f64> = (0..BATCHES)
            .map(|_| {
                let start = now_ns();
                match self {
                    Clock::Monotonic => (0..READS).for_each(|_| {
                        black_box(now_ns());
                    }),
                    Clock::Cycles => (0..READS).for_each(|_| {
                        black_box(cycles.raw());
                    }),
                }
                (now_ns() - start) as f64 / READS as f64
            })
            .collect();
        per_read.sort_by(f64::total_cmp);
        per_read[per_read.len() / 2]
    }
}

/// Whether `quanta` reads the time-stamp counter here: invariant
/// (`nonstop_tsc`) and readable with `rdtscp`, as its own detection asks.
fn counter_is_usable() -> bool {
    let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") else { return false };
    let Some(flags) = cpuinfo.lines().find(|l| l.starts_with("flags")) else { return false };
    let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
    cfg!(target_arch = "x86_64") && has("nonstop_tsc") && has("rdtscp")
}

/// Nanoseconds on `CLOCK_MONOTONIC` ([`Clock::Monotonic`]).
#[inline]
pub fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// The time-stamp counter ([`Clock::Cycles`]): raw reads, and intervals
/// between two of them in nanoseconds. Calibrated once, when made.
#[derive(Debug, Clone)]
pub struct Cycles(quanta::Clock);

impl Cycles {
    /// A calibrated counter.
    pub fn new() -> Self {
        Cycles(quanta::Clock::new())
    }

    /// One raw read: only [`nanos_between`](Self::nanos_between) gives it meaning.
    #[inline]
    pub fn raw(&self) -> u64 {
        self.0.raw()
    }

    /// Nanoseconds from raw read `start` to raw read `end`.
    #[inline]
    pub fn nanos_between(&self, start: u64, end: u64) -> u64 {
        self.0.delta_as_nanos(start, end)
    }
}

impl Default for Cycles {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_latency_kind_names_its_clock() {
        assert_eq!(Clock::for_latency(LatencyKind::RoundTrip), Clock::Cycles);
        assert_eq!(Clock::for_latency(LatencyKind::OneWay), Clock::Monotonic);
        for clock in Clock::ALL {
            assert!(!clock.describe().is_empty());
            let cost = clock.read_cost_ns();
            assert!(cost.is_finite() && cost > 0.0, "{clock:?}: {cost}");
        }
    }

    #[test]
    fn both_clocks_move_forward_and_agree_on_an_interval() {
        let cycles = Cycles::new();
        let (m0, c0) = (now_ns(), cycles.raw());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (c1, m1) = (cycles.raw(), now_ns());
        let (mono, counted) = (m1 - m0, cycles.nanos_between(c0, c1));
        // The counter's interval lies inside the monotonic one that brackets it.
        assert!(mono >= 20_000_000 && counted >= 20_000_000, "monotonic {mono} ns, counter {counted} ns");
        assert!(counted <= mono + mono / 10, "monotonic {mono} ns, counter {counted} ns");
    }
}
