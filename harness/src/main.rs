//! `harness`: the ringside command. Parses the command line, runs the
//! requested measurement, prints the result; errors are reported once, here.
//!
//! The binary doubles as its own measurement worker: when started with
//! `RINGSIDE_WORKER` set it serves that role and exits (see
//! `bench_core::measure`).

mod cli;
mod run;

use clap::Parser;

fn main() {
    bench_core::measure::serve_worker_if_requested();
    let cli = cli::Cli::parse();
    if let Err(e) = run::run(&cli) {
        eprintln!("harness: {e:#}");
        std::process::exit(1);
    }
}
