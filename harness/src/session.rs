//! Running a suite: place every scenario on this machine's cores, measure
//! the floor of each pair used, measure each scenario (see
//! `measurement.rs`), and write each result the moment it is known, so an
//! interrupted run keeps what it measured. A finished run also writes
//! `report.html` (see `report.rs`) and prints the verdict.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use bench_core::environment::{CpuTimes, Environment};
use bench_core::floor::{cache_line_round_trip, copy_bandwidth};
use bench_core::pin::available_cores;
use bench_core::stats::quantile_ns;
use bench_core::topology::{Placement, Topology};
use scenarios::results::{
    Estimate, Floor, INTERVAL_METHOD, Method, ResultsFile, SCHEMA_VERSION, ScenarioResult, Status,
};
use scenarios::{PlacementSpec, ResultsWriter, Scenario, Suite};

use crate::measurement::{self, Placed, Plan};
use crate::progress::Progress;
use crate::report;
use crate::summary;

/// Cache-line round trips per floor measurement (after a tenth as many untimed).
const FLOOR_SAMPLES: usize = 50_000;
/// Floor measurements per core pair.
const FLOOR_REPEATS: usize = 3;

/// Bad input found before anything runs (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Where a placement puts the two sides on this machine, or why it cannot.
pub fn resolve(topology: &Topology, spec: &PlacementSpec) -> Result<[usize; 2], String> {
    match spec {
        PlacementSpec::Named(p) => {
            topology.pair(*p).map(|(a, b)| [a, b]).ok_or_else(|| unavailable_reason(topology, *p))
        }
        PlacementSpec::Cores(a, b) => Ok([*a, *b]),
    }
}

fn unavailable_reason(topology: &Topology, p: Placement) -> String {
    topology
        .placements()
        .into_iter()
        .find(|(q, _)| *q == p)
        .and_then(|(_, r)| r.err())
        .unwrap_or_else(|| format!("this machine offers no {p} pair"))
}

/// Check explicit cores exist; bad ones are bad input.
pub fn check_cores(suite: &Suite) -> Result<(), BadInput> {
    for s in &suite.scenarios {
        if let PlacementSpec::Cores(a, b) = s.placement {
            check_cores_exist(&[a, b])?;
        }
    }
    Ok(())
}

/// Every one of `cores` is one this process may run on.
pub fn check_cores_exist(cores: &[usize]) -> Result<(), BadInput> {
    let available = available_cores();
    match cores.iter().find(|c| !available.contains(c)) {
        Some(c) => Err(BadInput(format!(
            "core {c} does not exist or is not allowed; this process may use cores {}",
            list(&available)
        ))),
        None => Ok(()),
    }
}

fn list(cores: &[usize]) -> String {
    cores.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

/// Cargo's target folder: `$CARGO_TARGET_DIR`, else the one this binary
/// was built into, else `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // The binary lives in target/<profile>/.
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The default results directory: `target/ringside/<suite>-<unix time>`.
pub fn default_out_dir(suite: &str) -> PathBuf {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let safe: String = suite.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    target_dir().join("ringside").join(format!("{safe}-{stamp}"))
}

/// Measure the floor between two cores.
pub fn measure_floor(placement: &str, cores: [usize; 2]) -> Result<Floor> {
    let [a, b] = cores;
    let mut rtts = Vec::new();
    if a != b {
        for _ in 0..FLOOR_REPEATS {
            let samples =
                cache_line_round_trip(a, b, FLOOR_SAMPLES / 10, FLOOR_SAMPLES).context("cache-line round trip")?;
            rtts.push(quantile_ns(&samples, 0.5));
        }
    }
    Ok(Floor {
        placement: placement.to_owned(),
        cores,
        cache_line_rtt: Estimate::of(&rtts),
        cache_line_rtt_ns: rtts,
        copy_bytes_per_s: copy_bandwidth(1 << 20, 3, Duration::from_millis(50)),
    })
}

/// Run `suite`, writing results under `out`; true when no scenario failed.
pub fn run_suite(suite: &Suite, out: &Path) -> Result<bool> {
    check_cores(suite)?;
    let topology = Topology::detect();
    let mut environment = Environment::capture();
    let cpu_before = CpuTimes::read();
    let started_unix = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());

    // Place every scenario.
    let placed: Vec<(&Scenario, Result<[usize; 2], String>)> =
        suite.scenarios.iter().map(|s| (s, resolve(&topology, &s.placement))).collect();

    // The floor of every pair of cores used.
    let mut floors: BTreeMap<[usize; 2], Floor> = BTreeMap::new();
    for (s, cores) in &placed {
        if let Ok(cores) = cores {
            if !floors.contains_key(cores) {
                eprintln!("measuring the floor on cores {} and {} ...", cores[0], cores[1]);
                floors.insert(*cores, measure_floor(&s.placement.to_string(), *cores)?);
            }
        }
    }

    let placement_warnings: Vec<String> = topology
        .placements()
        .into_iter()
        .filter_map(|(p, pair)| pair.err().map(|why| format!("placement {p} unavailable on this machine: {why}")))
        .collect();
    let file = ResultsFile {
        schema_version: SCHEMA_VERSION,
        tool: format!("ringside {}", env!("CARGO_PKG_VERSION")),
        suite: suite.name.clone(),
        started_unix,
        finished_unix: None,
        valid: environment.is_optimised(),
        warnings: [environment.warnings(), placement_warnings.clone()].concat(),
        environment: environment.clone(),
        method: Method {
            repeats: suite.repeats,
            warmup_runs: suite.warmup_runs,
            run_ms: suite.run_ms,
            clock: "CLOCK_MONOTONIC (vDSO clock_gettime), one clock for every process and core".into(),
            clock_read_ns: bench_core::workload::clock::read_cost_ns(),
            interval: INTERVAL_METHOD.into(),
        },
        floors: floors.values().cloned().collect(),
        scenarios: Vec::new(),
    };
    let mut writer =
        ResultsWriter::create(out, file).with_context(|| format!("writing results to {}", out.display()))?;
    bench_core::transport::objects::set_interrupt_note(Some(format!(
        "harness: interrupted; the scenarios finished so far are in {}",
        out.display()
    )));

    let plan =
        Plan { repeats: suite.repeats, warmup_runs: suite.warmup_runs, run: Duration::from_millis(suite.run_ms) };
    let mut progress = Progress::new(suite, &plan);
    let mut any_failed = false;
    for (scenario, cores) in &placed {
        progress.start(scenario);
        let result: ScenarioResult = match cores {
            Err(why) => measurement::not_measured(scenario, None, Status::Unavailable, why.clone()),
            Ok(cores) => {
                let relation = topology.relation(cores[0], cores[1]).map(|p| p.name().to_owned());
                let here = Placed { cores: *cores, relation, floor: floors.get(cores).cloned() };
                measurement::measure(scenario, &here, &plan)
            }
        };
        any_failed |= result.status == Status::Failed;
        progress.finish(&result);
        writer.push(result).with_context(|| format!("writing results to {}", out.display()))?;
    }
    progress.done();

    environment.record_end(cpu_before.as_ref());
    {
        let file = writer.file_mut();
        file.warnings = [environment.warnings(), placement_warnings].concat();
        file.environment = environment;
    }
    let file = writer.finish().with_context(|| format!("writing results to {}", out.display()))?;
    bench_core::transport::objects::set_interrupt_note(None);
    summary::print(&file);
    // The report is rendered from results.json as written, exactly as
    // `harness report` would; the results are safe on disk whatever happens here.
    let json = out.join("results.json");
    let report_path = out.join(report::FILE_NAME);
    let report = reports::load_inputs(std::slice::from_ref(&json)).map_err(anyhow::Error::new).and_then(|inputs| {
        println!("\n{}", reports::verdict_table(&inputs).trim_end());
        report::write(&inputs, &report_path)
    });
    println!("\nresults: {}", json.display());
    println!("         {}", out.join("results.csv").display());
    match report {
        Ok(()) => println!("report:  {}", report_path.display()),
        Err(e) => return Err(e.context(format!("the report was not written (results kept in {})", out.display()))),
    }
    Ok(!any_failed)
}
