//! The clock every side of a scenario reads: `CLOCK_MONOTONIC`, one
//! system-wide clock, so a timestamp taken in the producer process on one
//! core can be subtracted from one taken in the consumer process on another
//! (which a per-process calibrated TSC reading cannot promise). Read through
//! the vDSO: no system call. Its cost per read is measured and reported.

use rustix::time::{ClockId, clock_gettime};

/// Nanoseconds on `CLOCK_MONOTONIC`.
#[inline]
pub fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::Monotonic);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

/// Cost of one [`now_ns`], in ns: the median over 7 batches of 100,000 reads.
pub fn read_cost_ns() -> f64 {
    let mut batches: Vec<f64> = (0..7)
        .map(|_| {
            const READS: u64 = 100_000;
            let start = now_ns();
            let mut sink = 0u64;
            for _ in 0..READS {
                sink = sink.wrapping_add(std::hint::black_box(now_ns()));
            }
            std::hint::black_box(sink);
            (now_ns() - start) as f64 / READS as f64
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[batches.len() / 2]
}
