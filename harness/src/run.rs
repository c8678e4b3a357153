//! Runs a parsed command and prints its table.

use anyhow::{Context, Result};
use bench_core::floor::{cache_line_round_trip, clock_read_cost_ns, copy_bandwidth};
use bench_core::measure::{bench_config, ring_pingpong, ring_stream};
use bench_core::pin::available_cores;
use bench_core::ring::{Capacity, Variant};
use bench_core::stats::{median, quantile_ns};
use bench_core::transport::objects::sweep_leftovers;
use bench_core::transport::{Channel, ChannelSpec, TransportKind};
use std::time::Duration;

use crate::cli::{Cli, Command};

/// Sizes of one run of `all`.
struct Budget {
    stream_messages: u64,
    pingpong_samples: usize,
    repeats: u32,
}

pub fn run(cli: &Cli) -> Result<()> {
    let cores = pick_cores();
    match &cli.command {
        Command::Floor => floor(cores, 5).map(|_| ()),
        Command::Transports { capacity, size } => {
            transports(*capacity, *size as usize);
            Ok(())
        }
        Command::Clean { dry_run } => clean(*dry_run),
        Command::All { quick, repeat } => {
            let budget = if *quick {
                Budget { stream_messages: 2_000_000, pingpong_samples: 20_000, repeats: 1 }
            } else {
                Budget { stream_messages: 20_000_000, pingpong_samples: 200_000, repeats: *repeat }
            };
            let floor_rtt = floor(cores, budget.repeats)?;
            ring_ablation(cores, floor_rtt, &budget)
        }
    }
}

/// One line per transport: its link, and what the capacity asked for becomes.
fn transports(capacity: Capacity, size: usize) {
    println!("{capacity}, {size}-byte messages");
    println!("{:<18} {:<9} {:<10} {:>9}  how", "transport", "link", "ends", "realised");
    for kind in TransportKind::ALL {
        let ends = if kind.is_threads() { "threads" } else { "processes" };
        let (realised, how) = match Channel::create(&ChannelSpec::new(kind, capacity, size)) {
            Ok(chan) => {
                let r = chan.realised();
                (r.messages.map_or("-".to_owned(), |m| m.to_string()), r.detail)
            }
            Err(e) => ("refused".to_owned(), e.to_string()),
        };
        println!("{:<18} {:<9} {:<10} {:>9}  {how}", kind.name(), kind.link().to_string(), ends, realised);
    }
}

/// Remove (or list) the leftovers of dead runs.
fn clean(dry_run: bool) -> Result<()> {
    let found = sweep_leftovers(dry_run);
    if found.is_empty() {
        println!("no leftovers of dead ringside runs");
    }
    let mut failed = 0;
    for (object, result) in &found {
        match (dry_run, result) {
            (true, _) => println!("would remove {object}"),
            (false, Ok(())) => println!("removed {object}"),
            (false, Err(e)) => {
                failed += 1;
                println!("could not remove {object}: {e}");
            }
        }
    }
    anyhow::ensure!(failed == 0, "{failed} leftovers could not be removed");
    Ok(())
}

/// Two different cores when the machine has them, else the one it has.
fn pick_cores() -> (usize, usize) {
    match available_cores().as_slice() {
        [] => (0, 0),
        [only] => (*only, *only),
        [.., a, b] => (*a, *b),
    }
}

fn placement((a, b): (usize, usize)) -> &'static str {
    if a == b { "same-core" } else { "cross-core" }
}

/// Print the floor; return the cache-line round-trip p50 in ns.
fn floor(cores: (usize, usize), repeats: u32) -> Result<f64> {
    println!("cores {} and {} ({})", cores.0, cores.1, placement(cores));
    println!("clock read cost            {:>10.1} ns", clock_read_cost_ns());
    let mut rtts = Vec::new();
    for _ in 0..repeats {
        let samples = cache_line_round_trip(cores.0, cores.1, 10_000, 100_000).context("cache-line round trip")?;
        rtts.push(quantile_ns(&samples, 0.5));
    }
    let rtt = median(&rtts);
    println!("cache-line round trip p50  {rtt:>10.0} ns");
    for bytes in [4 << 10, 1 << 20] {
        let bw = copy_bandwidth(bytes, 3, Duration::from_millis(100));
        println!("copy bandwidth {:>6} KiB   {:>10.1} GB/s", bytes >> 10, bw / 1e9);
    }
    Ok(rtt)
}

fn ring_ablation(cores: (usize, usize), floor_rtt: f64, budget: &Budget) -> Result<()> {
    if cores.0 == cores.1 {
        println!("\none core only: the ring's spin waits need two cores; ring measurements skipped");
        return Ok(());
    }
    println!("\nshared-memory ring, 8-byte messages, bounded:1024, spin, two processes, median of {}", budget.repeats);
    println!("{:<10} {:>18} {:>18} {:>10}", "variant", "stream", "pingpong p50", "vs floor");
    for variant in Variant::ALL.iter().copied() {
        let config = bench_config(variant, Capacity::Bounded(1024));
        let mut streams = Vec::new();
        let mut rtts = Vec::new();
        for _ in 0..budget.repeats {
            streams.push(ring_stream(&config, cores.0, cores.1, budget.stream_messages).context("ring stream")?);
            let samples =
                ring_pingpong(&config, cores.0, cores.1, 10_000, budget.pingpong_samples).context("ring pingpong")?;
            rtts.push(quantile_ns(&samples, 0.5));
        }
        let (stream, rtt) = (median(&streams), median(&rtts));
        println!(
            "{:<10} {:>18} {:>18} {:>9.2}x",
            variant.name(),
            format!("{:.1} M msgs/s", stream / 1e6),
            format!("{rtt:.0} ns"),
            rtt / floor_rtt
        );
    }
    println!("\nkernel transports, capacity sweeps, placements and the report arrive with the harness and report work");
    Ok(())
}
