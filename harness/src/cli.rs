//! The command line (clap). Bad input exits with status 2 and one line.

use bench_core::ring::Capacity;
use clap::{Parser, Subcommand};

/// Measure inter-process communication on this machine.
#[derive(Debug, Parser)]
#[command(name = "harness", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole comparison available so far: the physical floor, then the
    /// shared-memory ring's three designs streaming and ping-ponging between
    /// two pinned processes.
    All {
        /// Fewer messages and repeats (seconds instead of a minute).
        #[arg(long)]
        quick: bool,
        /// Separate process runs per measurement; the median is shown.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
        repeat: u32,
    },
    /// Measure only the floor: cache-line round trip and copy bandwidth.
    Floor,
    /// List every transport, how it links the two sides, and the capacity it
    /// realises for a capacity mode and message size (or why it refuses).
    Transports {
        /// Capacity mode: rendezvous, bounded:N or unbounded.
        #[arg(long, default_value = "bounded:64", value_parser = parse_capacity)]
        capacity: Capacity,
        /// Message size in bytes.
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..))]
        size: u32,
    },
    /// Remove IPC objects left by ringside runs that were killed outright
    /// (`/dev/shm`, `/dev/mqueue`, FIFO and socket directories, System V queues).
    Clean {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

fn parse_capacity(s: &str) -> Result<Capacity, String> {
    s.parse().map_err(|e: bench_core::ring::ConfigError| e.0)
}
