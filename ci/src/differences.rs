//! What differs between the two sides (or between the pooled runs of one)
//! that a reader must know before believing a verdict: another machine,
//! kernel or compiler, another build profile, another method (rounds,
//! trial lengths, warm-up, or the rules that select trials, mark a scenario
//! unstable, give a percentile or an interval), another reference state of
//! the machine (its cache-line round trip on the same cores, in ranges that
//! do not meet), or results marked invalid.

use scenarios::results::{MachineState, ResultsFile};

use crate::side::Side;

/// One line per difference found; empty when the sides match.
pub(crate) fn between(base: &Side, new: &Side) -> Vec<String> {
    let mut lines = Vec::new();
    for (name, side) in [("base", base), ("new", new)] {
        let first = &side.runs[0];
        for (i, run) in side.runs.iter().enumerate().skip(1) {
            for d in differ(first, run) {
                lines.push(format!("{name} pools runs that differ: run 1 vs run {}: {d}", i + 1));
            }
        }
        for run in side.runs.iter().filter(|r| !r.valid) {
            lines.push(format!(
                "{name} is marked invalid and must not be quoted: {}",
                if run.warnings.is_empty() { "no reason recorded".to_owned() } else { run.warnings.join("; ") }
            ));
        }
    }
    lines.extend(differ(&base.runs[0], &new.runs[0]).into_iter().map(|d| format!("base vs new: {d}")));
    lines.dedup();
    lines
}

/// What differs between two runs.
fn differ(a: &ResultsFile, b: &ResultsFile) -> Vec<String> {
    let (ea, eb) = (&a.environment, &b.environment);
    let mut out = Vec::new();
    let mut check = |what: &str, x: String, y: String| {
        if x != y {
            out.push(format!("{what}: {x} / {y}"));
        }
    };
    check("machine", ea.hostname.clone(), eb.hostname.clone());
    check("cpu", ea.cpu_model.clone(), eb.cpu_model.clone());
    check("cpus", ea.cpus.len().to_string(), eb.cpus.len().to_string());
    check("kernel", ea.kernel.clone(), eb.kernel.clone());
    check("virtualisation", ea.virtualisation.clone(), eb.virtualisation.clone());
    let build = |e: &bench_core::environment::Environment| {
        format!(
            "{} opt-level {}{}",
            e.profile,
            e.opt_level,
            if e.debug_assertions { " with debug assertions" } else { "" }
        )
    };
    check("build profile", build(ea), build(eb));
    check("compiler", ea.rustc.clone(), eb.rustc.clone());
    let method = |r: &ResultsFile| {
        let (m, ms) = (&r.method, &r.method.trial_ms);
        format!(
            "{} rounds of trials of {}/{}/{} ms (stream/pingpong/rate) after {} warm-up",
            m.rounds, ms.stream, ms.pingpong, ms.rate, m.warmup_trials
        )
    };
    check("method", method(a), method(b));
    check("suite", a.suite.clone(), b.suite.clone());
    let (ma, mb) = (&a.method, &b.method);
    for (what, field, x, y) in [
        ("trial selection rule", "selection", &ma.selection, &mb.selection),
        ("stability rule", "stability", &ma.stability, &mb.stability),
        ("percentile rule", "percentiles", &ma.percentiles, &mb.percentiles),
        ("interval method", "interval", &ma.interval, &mb.interval),
    ] {
        if x != y {
            out.push(format!("{what} differs (method.{field}); the figures mean different things"));
        }
    }
    for states in &a.machine {
        let Some(other) = b.machine.iter().find(|o| o.cores == states.cores) else { continue };
        let (Some(x), Some(y)) = (states.states.get(states.reference), other.states.get(other.reference)) else {
            continue;
        };
        if !meet(x, y) {
            let [c0, c1] = states.cores;
            out.push(format!("machine reference state on cores {c0},{c1}: {} / {}", x.label(), y.label()));
        }
    }
    out
}

/// True when two machine states' ranges of round trips overlap.
fn meet(a: &MachineState, b: &MachineState) -> bool {
    a.low_ns <= b.high_ns && b.low_ns <= a.high_ns
}
