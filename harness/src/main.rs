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
    // Ctrl-C, SIGTERM or SIGHUP remove every IPC object this run created.
    bench_core::transport::objects::install_interrupt_cleanup();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // Bad input: one line, status 2 (clap adds a hint line; keep the first).
            let text = e.render().to_string();
            eprintln!("harness: {}", text.lines().next().unwrap_or("bad arguments").trim_start_matches("error: "));
            std::process::exit(2);
        }
        Err(e) => e.exit(), // --help, --version
    };
    if let Err(e) = run::run(&cli) {
        eprintln!("harness: {e:#}");
        std::process::exit(1);
    }
}
