//! The load curves of a run as terminal text: for one curve (`harness run
//! --pattern load`) its table of steps and a line with its knee and
//! saturation; for several (`harness all`), one line per curve.

use scenarios::load_curves::{LoadCurveResult, LoadStepResult};
use scenarios::results::{ResultsFile, Status};

use crate::format::{aligned, ns, si};

/// The load curves of `file` as text; empty when it has none. One curve
/// is shown step by step, several one line each.
pub fn text(file: &ResultsFile) -> String {
    match file.load_curves.as_slice() {
        [] => String::new(),
        [one] => table(one),
        many => {
            let mut out = format!("latency against offered load ({} curves):\n", many.len());
            let rows: Vec<Vec<String>> = many.iter().map(|c| vec![c.id.clone(), knee_line(c)]).collect();
            out.push_str(&aligned(&rows, "  "));
            out
        }
    }
}

/// One curve: its steps, then its knee and saturation.
pub fn table(curve: &LoadCurveResult) -> String {
    let mut out = format!("latency against offered load: {}\n", curve.id);
    if curve.status != Status::Ok {
        out.push_str(&format!("  {}: {}\n", curve.status, curve.reason.as_deref().unwrap_or("")));
        return out;
    }
    let source = &curve.saturation_source;
    out.push_str(&format!(
        "  rates from {} at {} msgs/s; {} trial(s) a step, latency from each message's due time\n",
        source.scenario,
        source.msgs_per_s.map_or("-".into(), si),
        curve.rounds
    ));
    let mut rows =
        vec![["offered/s", "achieved/s", "p50", "p99", "p99.9", "max", "kept up"].map(String::from).to_vec()];
    rows.extend(curve.steps.iter().map(step_row));
    out.push_str(&aligned(&rows, "  "));
    out.push_str(&format!("  {}\n", knee_line(curve)));
    out
}

fn step_row(step: &LoadStepResult) -> Vec<String> {
    let latency = |v: Option<f64>| v.map_or("-".into(), ns);
    if step.status != Status::Ok {
        return vec![
            si(step.offered as f64),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
            format!("{}: {}", step.status, step.reason.as_deref().unwrap_or("")),
        ];
    }
    vec![
        si(step.offered as f64),
        si(step.achieved),
        latency(step.p50_ns),
        latency(step.p99_ns),
        latency(step.p999_ns),
        latency(step.max_ns),
        if step.kept_up { "yes".into() } else { "no".into() },
    ]
}

/// `knee 64k msgs/s (p99 within 10x = 120 µs); saturation 210k msgs/s`.
pub fn knee_line(curve: &LoadCurveResult) -> String {
    let limit = curve.limit_ns.map(|l| format!(" = {}", ns(l))).unwrap_or_default();
    let knee = match curve.knee {
        Some(k) => format!("knee {} msgs/s (p99 within {}{limit})", si(k as f64), curve.budget),
        None => format!("no knee: {}", curve.knee_reason.as_deref().unwrap_or("no step within budget")),
    };
    let saturation = curve.saturation.map_or("-".into(), |s| format!("{} msgs/s", si(s)));
    format!("{knee}; saturation {saturation}")
}
