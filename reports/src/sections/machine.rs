//! Section 2, the machine during the run: for each pair of probed cores, a
//! timeline of every trial's two probes (the cache-line round trip right
//! before and right after it) over the run, the states the probes fell
//! into and the reference one whose trials make the figures; a caption
//! says in one sentence how many trials were set aside and why, and a
//! table lists the states.

use scenarios::results::{MachineStates, ResultsFile, Trial};

use super::{caption, per_input};
use crate::charts::{Timeline, TrialMark};
use crate::{Input, format, html};

/// Section 2.
pub fn timeline(inputs: &[Input]) -> String {
    per_input(inputs, |i, input| {
        let r = &input.results;
        if r.machine.is_empty() {
            return html::missing(
                "No machine-state probes in this file (a one-core machine): nothing was probed, and every trial is used.",
            );
        }
        let mut out = String::from(
            "<p>Every trial is framed by two probes of the cache-line round trip on its cores. Each trial is a \
             vertical stroke at its start, from its probe before to its probe after; the shaded bands are the \
             states the probes fell into, the blue one the reference state: only trials with both probes in it \
             make the figures.</p>\n",
        );
        for (k, m) in r.machine.iter().enumerate() {
            let trials = probed_trials(r, m);
            let chart = Timeline {
                states: m.states.clone(),
                reference: m.reference,
                trials: trials
                    .iter()
                    .filter_map(|t| {
                        let p = t.probe?;
                        Some(TrialMark {
                            start_s: t.started_ms / 1e3,
                            before_ns: p.before_ns,
                            after_ns: p.after_ns,
                            used: t.used,
                        })
                    })
                    .collect(),
            };
            out.push_str(&html::figure(
                &format!("machine-{i}-{k}"),
                &caption(inputs, input, &summary(m, &trials)),
                chart.svg(),
            ));
            let rows: Vec<Vec<String>> = m
                .states
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    let within = trials.iter().filter(|t| state_of(m, t) == (Some(j), Some(j))).count();
                    vec![
                        s.label(),
                        s.probes.to_string(),
                        within.to_string(),
                        if j == m.reference { "reference: its trials are used" } else { "other" }.to_owned(),
                    ]
                })
                .collect();
            out.push_str(&html::table(&["state", "probes", "trials with both probes in it", "role"], &rows));
        }
        out
    })
}

/// Every trial of the file probed on `m`'s cores, in the order run.
fn probed_trials<'a>(r: &'a ResultsFile, m: &MachineStates) -> Vec<&'a Trial> {
    let mut trials: Vec<&Trial> = r
        .scenarios
        .iter()
        .flat_map(|s| s.trials.iter())
        .filter(|t| t.probe.is_some_and(|p| p.cores == m.cores))
        .collect();
    trials.sort_by(|a, b| a.started_ms.total_cmp(&b.started_ms));
    trials
}

/// The states (indices in `m.states`) a trial's probes before and after lie in.
fn state_of(m: &MachineStates, t: &Trial) -> (Option<usize>, Option<usize>) {
    let at = |ns: f64| m.states.iter().position(|s| s.holds(ns));
    t.probe.map_or((None, None), |p| (at(p.before_ns), at(p.after_ns)))
}

/// The caption: one sentence of how many trials ran, how many were set
/// aside, and why, by kind (ran in another state, changed state during
/// the trial, anything else by its recorded reason).
fn summary(m: &MachineStates, trials: &[&Trial]) -> String {
    let span = trials.iter().map(|t| t.started_ms).fold(0.0, f64::max) / 1e3;
    let aside: Vec<&&Trial> = trials.iter().filter(|t| !t.used).collect();
    let mut why: Vec<(String, usize)> = Vec::new();
    for t in &aside {
        let kind = match state_of(m, t) {
            (before, after) if before != after => "changed state during the trial".to_owned(),
            (Some(s), _) if s != m.reference => format!("ran in {}", m.states[s].label()),
            _ => t.set_aside.clone().unwrap_or_else(|| "no reason recorded".to_owned()),
        };
        match why.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => why.push((kind, 1)),
        }
    }
    why.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let states = match m.states.len() {
        1 => "1 state".to_owned(),
        n => format!("{n} states"),
    };
    let reference = m.states.get(m.reference).map(|s| s.label()).unwrap_or_default();
    let used = trials.len() - aside.len();
    let aside_text = if aside.is_empty() {
        "none set aside".to_owned()
    } else {
        let reasons: Vec<String> = why.iter().map(|(k, n)| format!("{n} {k}")).collect();
        format!("{} set aside ({})", aside.len(), reasons.join(", "))
    };
    format!(
        "Cores {} and {}: {} trials over {} s in {states}, reference {reference}; {used} used, {aside_text}.",
        m.cores[0],
        m.cores[1],
        trials.len(),
        format::three_digits(span),
    )
}
