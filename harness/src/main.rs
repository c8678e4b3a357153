//! `harness`: the ringside command. Parses the command line, runs the
//! requested subcommand (`commands.rs`), reports errors once, here.
//!
//! Exit status: 0 done; 1 a scenario failed or the run could not complete;
//! 2 bad input (one line naming the valid choices); 3 the regression gate
//! failed (`compare`, or `--baseline`: a regression, or a scenario that
//! failed only in the new run); 130 interrupted (every IPC object removed,
//! finished results kept).
//!
//! The binary doubles as its own measurement worker: started with
//! a job (`bench_core::child`, `RINGSIDE_JOB`) it plays one side of a run
//! (`worker.rs`) and exits.

mod cli;
mod commands;
mod gate;
mod measurement;
mod progress;
mod report;
mod scheduler;
mod session;
mod supervisor;
mod terminal;
mod worker;

use clap::Parser;
use terminal::tell;

fn main() {
    worker::serve_if_requested();
    // Ctrl-C, SIGTERM or SIGHUP remove every IPC object this run created.
    bench_core::transport::objects::install_interrupt_cleanup();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // Bad input: one line, status 2. Clap's first line says what is
            // wrong; indented lines under it name what (a missing argument);
            // hints and usage follow a blank line and are dropped.
            let text = e.render().to_string();
            let what: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            let line = if what.is_empty() { "bad arguments".to_owned() } else { what.join(" ") };
            tell!("harness: {}", line.trim_start_matches("error: "));
            std::process::exit(2);
        }
        Err(e) => e.exit(), // --help, --version
    };
    match commands::run(cli.command) {
        Ok(commands::Outcome::Done) => {}
        Ok(commands::Outcome::ScenarioFailed) => {
            tell!("harness: at least one scenario failed (see the table above)");
            std::process::exit(1);
        }
        Ok(commands::Outcome::Regressed) => {
            tell!("harness: the regression gate failed (see the regressions above)");
            std::process::exit(3);
        }
        Err(e) if e.downcast_ref::<session::BadInput>().is_some() => {
            tell!("harness: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            tell!("harness: {e:#}");
            std::process::exit(1);
        }
    }
}
