//! `harness`: the ringside command. Parses the command line (`cli.rs`),
//! runs the requested subcommand (`commands.rs`), reports errors once,
//! here, as one line on stderr and the exit status.
//!
//! Exit status: 0 done; 1 a scenario failed or the run could not complete;
//! 2 bad input (one line naming the valid choices, [`error::BadInput`]);
//! 3 the regression gate failed (`compare`, or `--baseline`: a regression,
//! or a scenario that failed only in the new run); 130 interrupted (every
//! IPC object removed, finished results kept).
//!
//! The binary doubles as its own measurement worker: started with
//! a job (`bench_core::child`, `RINGSIDE_JOB`) it plays one side of a run
//! (`worker.rs`) and exits.
//!
//! A suite runs as: options (`commands.rs`) -> plan (`plan.rs`: placed,
//! probed) -> run (`suite_run.rs`, its trials scheduled by `scheduler.rs`)
//! -> writers (`writers.rs`, then the gate, `gate.rs`); a suite with load
//! sweeps runs their steps as a second phase (`load_phase.rs`).

mod cli;
mod commands;
mod error;
mod floor;
mod gate;
mod load_phase;
mod measurement;
mod paths;
mod placement;
mod plan;
mod progress;
mod report;
mod scheduler;
mod suite_run;
mod supervisor;
mod terminal;
mod worker;
mod writers;

use terminal::tell;

fn main() {
    worker::serve_if_requested();
    // Ctrl-C, SIGTERM or SIGHUP remove every IPC object this run created.
    bench_core::transport::objects::install_interrupt_cleanup();
    match cli::parse().map_err(anyhow::Error::from).and_then(|cli| commands::run(cli.command)) {
        Ok(commands::Outcome::Done) => {}
        Ok(commands::Outcome::ScenarioFailed) => {
            tell!("harness: at least one scenario failed (see the table above)");
            std::process::exit(1);
        }
        Ok(commands::Outcome::Regressed) => {
            tell!("harness: the regression gate failed (see the regressions above)");
            std::process::exit(3);
        }
        Err(e) if e.downcast_ref::<error::BadInput>().is_some() => {
            tell!("harness: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            tell!("harness: {e:#}");
            std::process::exit(1);
        }
    }
}
