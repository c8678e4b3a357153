//! The physical floor: what the hardware itself costs, measured in the same
//! run as the transports so every result can say how close it gets.
//!
//! - [`cache_line_round_trip`]: two threads pinned to two cores bounce one
//!   cache line (a bare atomic store, and a load loop with a spin hint, on
//!   each side). One round trip is two cache-line transfers: the least any
//!   request/response between those cores can cost.
//! - [`two_line_round_trip`]: the same with request and response on two
//!   lines, the floor of any ping-pong over two one-way queues, taken over
//!   many line pairs, as a ring's messages cross many lines.
//! - [`copy_bandwidth`]: single-core `memcpy` bandwidth for a buffer size.
//! - [`probe`]: a cache-line round trip short enough (about a millisecond)
//!   to take before and after every trial, to tell which state a shared
//!   machine was in.
//!
//! Timestamps come from the time-stamp counter ([`Cycles`], see
//! [`crate::clock`]), whose cost per read is part of every sample here and
//! in the round trips it is compared with.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::clock::Cycles;
use crate::pin::{PinError, pin_current};

/// One value on its own 128-byte line (see `ring::layout` on why 128).
#[repr(align(128))]
struct Line(AtomicU64);

/// Round trips of one cache line between `core_a` and `core_b` (the same
/// core is allowed: then it measures two threads taking turns on one core).
/// Returns one sample in nanoseconds per round trip, after `warmup` unrecorded
/// ones. Both sides run on threads of their own; the caller stays unpinned.
pub fn cache_line_round_trip(
    core_a: usize,
    core_b: usize,
    warmup: usize,
    samples: usize,
) -> Result<Vec<u64>, PinError> {
    bounce(core_a, core_b, warmup, samples, Lines::One)
}

/// Round trips a [`probe`] times (after a tenth as many untimed).
pub const PROBE_ROUND_TRIPS: usize = 2_000;

/// The machine's state between `core_a` and `core_b` now: the median of
/// [`PROBE_ROUND_TRIPS`] cache-line round trips, in ns. About 0.1 ms at
/// 50 ns a round trip, 1.3 ms at 600 ns.
pub fn probe(core_a: usize, core_b: usize) -> Result<f64, PinError> {
    let mut samples = cache_line_round_trip(core_a, core_b, PROBE_ROUND_TRIPS / 10, PROBE_ROUND_TRIPS)?;
    if samples.is_empty() {
        return Ok(0.0);
    }
    let mid = samples.len() / 2;
    let (_, median, _) = samples.select_nth_unstable(mid);
    Ok(*median as f64)
}

/// Like [`cache_line_round_trip`], but the request and the response travel
/// on two different lines, as they must between two one-way queues: the
/// least a ping-pong over two rings can cost. On hardware that hands a line
/// that was just read over exclusively (migratory sharing), one line
/// bouncing is cheaper than two lines each crossing once.
///
/// The round trips are spread over [`LINE_PAIRS`] pairs of lines, an equal
/// run on each: what one transfer costs depends on where the line's address
/// lands in the cache fabric (which slice of a mesh's L3 is its home), so one
/// pair is a draw from a spread. Measured on a 2-vCPU Xeon guest, 48 pairs
/// in one run had medians from 173 to 210 ns, the same pair repeating its
/// figure across runs. A ring's messages cross every line of its slots, so
/// its floor is the typical pair, not the one its stack happened to get.
pub fn two_line_round_trip(core_a: usize, core_b: usize, warmup: usize, samples: usize) -> Result<Vec<u64>, PinError> {
    bounce(core_a, core_b, warmup, samples, Lines::Two)
}

/// Line pairs a [`two_line_round_trip`] spreads its round trips over.
pub const LINE_PAIRS: usize = 32;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Two,
}

fn bounce(core_a: usize, core_b: usize, warmup: usize, samples: usize, lines: Lines) -> Result<Vec<u64>, PinError> {
    // One request line and one response line per pair (the same line for
    // `Lines::One`). The warm-up round trips go round every pair, then each
    // pair gets an equal run of the recorded ones; both sides compute the
    // pair from `i`, so they agree without talking. Every value stored is
    // new to its line, so a line's leftover from earlier is never mistaken.
    let pairs = if lines == Lines::Two { LINE_PAIRS } else { 1 };
    let line_set: Vec<Line> = (0..2 * pairs).map(|_| Line(AtomicU64::new(0))).collect();
    let (total, warm) = ((warmup + samples) as u64, warmup as u64);
    let per_pair = (samples as u64).div_ceil(pairs as u64).max(1);
    let pair_of = |i: u64| -> (&Line, &Line) {
        let p = if i < warm { i % pairs as u64 } else { (i - warm) / per_pair } as usize;
        match lines {
            Lines::One => (&line_set[0], &line_set[0]),
            Lines::Two => (&line_set[2 * p], &line_set[2 * p + 1]),
        }
    };
    // Set by a side that could not pin, so the other stops waiting for it.
    let abort = AtomicBool::new(false);
    let clock = Cycles::new();
    // Wait until the line holds `want`; false if the other side gave up.
    let await_value = |line: &Line, want: u64| {
        // Acquire: pairs with the other side's Release store; nothing else is
        // published, it only makes each bounce a real hand-off.
        while line.0.load(Ordering::Acquire) != want {
            if abort.load(Ordering::Relaxed) {
                return false;
            }
            std::hint::spin_loop();
        }
        true
    };
    let pinned = |core: usize| pin_current(core).inspect_err(|_| abort.store(true, Ordering::Relaxed));
    std::thread::scope(|s| {
        let echo = s.spawn(|| -> Result<(), PinError> {
            pinned(core_b)?;
            for i in 0..total {
                let (request, response) = pair_of(i);
                if !await_value(request, 2 * i + 1) {
                    break;
                }
                // Release: pairs with the initiator's Acquire in `await_value`.
                response.0.store(2 * i + 2, Ordering::Release);
            }
            Ok(())
        });
        let initiator = s.spawn(|| -> Result<Vec<u64>, PinError> {
            pinned(core_a)?;
            let mut out = Vec::with_capacity(samples);
            for i in 0..total {
                let (request, response) = pair_of(i);
                let t0 = clock.raw();
                // Release: pairs with the echo's Acquire in `await_value`.
                request.0.store(2 * i + 1, Ordering::Release);
                if !await_value(response, 2 * i + 2) {
                    break;
                }
                let t1 = clock.raw();
                if i >= warm {
                    out.push(clock.nanos_between(t0, t1));
                }
            }
            Ok(out)
        });
        let echoed = echo.join().expect("echo thread panicked");
        let measured = initiator.join().expect("initiator thread panicked");
        echoed.and(measured)
    })
}

/// Single-core copy bandwidth in bytes per second for `bytes`-sized buffers,
/// best of `repeats` timed passes of about `min_time` each.
pub fn copy_bandwidth(bytes: usize, repeats: usize, min_time: Duration) -> f64 {
    let src = vec![0x5au8; bytes.max(1)];
    let mut dst = vec![0u8; bytes.max(1)];
    let clock = Cycles::new();
    let mut best = 0.0f64;
    for _ in 0..repeats.max(1) {
        let mut copied = 0u64;
        let start = clock.raw();
        loop {
            dst.copy_from_slice(black_box(&src));
            black_box(&mut dst);
            copied += bytes as u64;
            let elapsed_ns = clock.nanos_between(start, clock.raw());
            if elapsed_ns >= min_time.as_nanos() as u64 {
                best = best.max(copied as f64 * 1e9 / elapsed_ns as f64);
                break;
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pin::available_cores;

    /// Two cores where there are, else the one (its threads take turns).
    fn two_cores() -> (usize, usize) {
        let cores = available_cores();
        (cores[0], *cores.get(1).unwrap_or(&cores[0]))
    }

    #[test]
    fn two_line_round_trip_records_every_sample_whatever_the_split_over_pairs() {
        let (a, b) = two_cores();
        // Fewer samples than pairs, an uneven split, and an even one.
        for samples in [5, LINE_PAIRS + 3, 4 * LINE_PAIRS] {
            let got = two_line_round_trip(a, b, 7, samples).expect("pinned");
            assert_eq!(got.len(), samples, "{samples} asked");
        }
    }

    #[test]
    fn cache_line_round_trip_records_every_sample() {
        let (a, b) = two_cores();
        assert_eq!(cache_line_round_trip(a, b, 3, 50).expect("pinned").len(), 50);
    }
}
