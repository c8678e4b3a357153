//! Synthetic results files with known effects, drawn from fixed seeds: a
//! suite of stream scenarios (throughput) and pingpong scenarios (p50 and
//! p99 latency), each with its trials, every one used, each trial a true
//! value times `exp(noise * N(0, 1))` (lognormal noise of relative spread
//! about `noise`). Only the fields the gate reads carry meaning; the rest
//! are plausible. Tests change what they need (a status, a trial set
//! aside, a scenario marked unstable) on the file [`results`] returns.

use ci::Side;
use scenarios::results::ResultsFile;
use serde_json::{Value, json};

/// How to draw one side.
pub struct Draw {
    /// Stream scenarios (one metric each).
    pub streams: usize,
    /// Pingpong scenarios (two metrics each).
    pub pingpongs: usize,
    /// Trials per scenario, all used.
    pub trials: usize,
    /// Relative spread of each trial: the standard deviation of its log (0.03 = about 3%).
    pub noise: f64,
    /// The seed of this side's draws.
    pub seed: u64,
}

/// A standard normal deviate (Box-Muller).
fn normal(rng: &mut fastrand::Rng) -> f64 {
    let u1 = rng.f64().max(f64::MIN_POSITIVE);
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The id of stream scenario `i`.
pub fn stream_id(i: usize) -> String {
    format!("synthetic-{i}/bounded:8/64B/stream/cross-core")
}

/// The id of pingpong scenario `i`.
pub fn pingpong_id(i: usize) -> String {
    format!("synthetic-{i}/bounded:1/64B/pingpong/cross-core")
}

/// One side: `effect(id)` multiplies the true value of every metric of
/// scenario `id` (0.7 = throughput 30% lower; for latency, pass the factor
/// latency grows by).
pub fn side(label: &str, draw: &Draw, effect: impl Fn(&str) -> f64) -> Side {
    Side::from_runs(label, vec![results(draw, effect)])
}

/// One results file.
pub fn results(draw: &Draw, effect: impl Fn(&str) -> f64) -> ResultsFile {
    let mut rng = fastrand::Rng::with_seed(draw.seed);
    let mut noisy = |truth: f64| truth * (draw.noise * normal(&mut rng)).exp();
    let mut scenarios = Vec::new();
    for i in 0..draw.streams {
        let id = stream_id(i);
        // True throughputs spread over decades, as a real suite's do.
        let truth = 1e5 * 10f64.powf(i as f64 % 4.0) * effect(&id);
        let trials: Vec<Value> = (0..draw.trials).map(|k| trial(k, Some(noisy(truth)), None)).collect();
        scenarios.push(scenario_json(&id, "stream", trials));
    }
    for i in 0..draw.pingpongs {
        let id = pingpong_id(i);
        let (p50, p99) =
            (2_000.0 * (1.0 + i as f64 % 5.0) * effect(&id), 9_000.0 * (1.0 + i as f64 % 5.0) * effect(&id));
        let trials: Vec<Value> = (0..draw.trials).map(|k| trial(k, None, Some((noisy(p50), noisy(p99))))).collect();
        scenarios.push(scenario_json(&id, "pingpong", trials));
    }
    let file = json!({
        "schema_version": scenarios::results::SCHEMA_VERSION,
        "tool": "ringside synthetic",
        "suite": "synthetic",
        "started_unix": 0,
        "finished_unix": 1,
        "valid": true,
        "warnings": [],
        "environment": {
            "cpu_model": "synthetic cpu", "cpus": [0, 1], "topology": [], "kernel": "synthetic",
            "virtualisation": "none", "governor": null, "clocksource": null, "invariant_tsc": true,
            "rustc": "rustc synthetic", "profile": "release", "opt_level": "3", "debug_assertions": false,
            "git_commit": null, "ipc_limits": {}, "load_before": null, "load_after": null,
            "steal_fraction": null, "hostname": "synthetic"
        },
        "method": {
            "rounds": draw.trials, "warmup_trials": 1,
            "trial_ms": {"stream": 100, "pingpong": 100, "rate": 100}, "seed": 1,
            "order": "synthetic", "probe": "synthetic", "selection": "synthetic", "stability": "synthetic",
            "percentiles": "synthetic", "clock": "synthetic", "clock_read_ns": 20.0, "interval": "synthetic"
        },
        "floors": [],
        "machine": [{"cores": [0, 1], "states": [{"low_ns": 50.0, "high_ns": 60.0, "probes": 2 * draw.trials}],
                     "reference": 0}],
        "scenarios": scenarios,
    });
    serde_json::from_value(file).expect("a synthetic results file matches the schema")
}

fn scenario_json(id: &str, pattern: &str, trials: Vec<Value>) -> Value {
    // The id names a synthetic transport, so that each is unique; the
    // field must be one this build knows.
    let transport = "pipe";
    let zero_integrity = json!({"sent": 0, "received": 0, "lost": 0, "duplicated": 0, "reordered": 0, "corrupted": 0});
    json!({
        "id": id, "transport": transport, "capacity": "bounded:8", "realised_capacity": 8,
        "realised_detail": "", "size": 64, "pattern": pattern, "placement": "cross-core",
        "cores": [0, 1], "relation": "cross-core", "status": "ok", "reason": null,
        "selection": {"used": trials.len(), "set_aside": 0, "state": "floor 50-60 ns"}, "unstable": null,
        "msgs_per_s": null, "bytes_per_s": null, "latency": null, "cpu": null,
        "integrity": zero_integrity, "floor": null, "rate": null, "trials": trials,
    })
}

/// Trial `k` (round `k`): 1000 latency samples, enough for p50 and p99,
/// not for p99.9.
fn trial(k: usize, msgs_per_s: Option<f64>, latency: Option<(f64, f64)>) -> Value {
    let side = json!({"user_s": 0.0, "sys_s": 0.0, "voluntary_switches": 0, "involuntary_switches": 0});
    let percentiles = latency.map(|(p50, p99)| {
        json!({"count": 1000, "p50": p50, "p90": p50, "p99": p99, "p999": null, "p9999": null, "max": p99, "mean": p50})
    });
    json!({
        "round": k, "started_ms": 100.0 * k as f64,
        "probe": {"cores": [0, 1], "before_ns": 55.0, "after_ns": 55.0}, "used": true, "set_aside": null,
        "messages": 1000, "elapsed_ns": 1_000_000, "msgs_per_s": msgs_per_s,
        "bytes_per_s": msgs_per_s.map(|m| m * 64.0), "latency": percentiles, "histogram": null,
        "producer": side, "consumer": side,
        "integrity": {"sent": 1000, "received": 1000, "lost": 0, "duplicated": 0, "reordered": 0, "corrupted": 0},
        "spilled": 0, "send_rate": null, "max_send_lag_ns": null,
    })
}
