//! What differs between the two sides (or between the pooled runs of one)
//! that a reader must know before believing a verdict: another machine,
//! kernel or compiler, another build profile, another method, or results
//! marked invalid.

use scenarios::results::ResultsFile;

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
        format!("{} repeats of {} ms after {} warm-up", r.method.repeats, r.method.run_ms, r.method.warmup_runs)
    };
    check("method", method(a), method(b));
    check("suite", a.suite.clone(), b.suite.clone());
    out
}
