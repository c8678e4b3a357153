//! A scenario's headline figure as every table, chart and the verdict show
//! it: the figure of the trials used, marked when those trials are not one
//! population (the results' `unstable`, with its reason), or the status in
//! its place when there is no figure (`few-trials`); a percentile the
//! samples do not support (the results' `PERCENTILE_RULE`) is a dash with
//! the reason, never a number. Every section calls this module, so a
//! figure is marked the same way everywhere.

use scenarios::results::{Estimate, Percentiles, ScenarioResult, Status, Trial, percentile_absent, percentile_name};

use crate::format;
use crate::html::Noted;

/// The mark before an unstable figure in a table cell.
pub const UNSTABLE: &str = "~";

/// What a table shows for a percentile the samples do not support.
pub const ABSENT: &str = "—";

/// A headline figure of a scenario: what a bar or a table cell shows, and
/// each trial's own value of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Stream messages per second.
    Throughput,
    /// Latency p50: median over the used trials of each trial's p50.
    P50,
}

impl Figure {
    /// The scenario's figure, over its used trials.
    pub fn estimate(self, s: &ScenarioResult) -> Option<Estimate> {
        match self {
            Figure::Throughput => s.msgs_per_s,
            Figure::P50 => s.latency.as_ref().map(|l| l.p50),
        }
    }

    /// One trial's own value of the figure.
    pub fn of_trial(self, t: &Trial) -> Option<f64> {
        match self {
            Figure::Throughput => t.msgs_per_s,
            Figure::P50 => t.latency.and_then(|l| l.p50),
        }
    }
}

/// What sets a scenario's figures apart, as short tags: `unstable`, and
/// the status when it is not `ok` (`few-trials`, `unsustained`, ...).
pub fn tags(s: &ScenarioResult) -> Vec<&'static str> {
    let mut tags = Vec::new();
    if s.unstable.is_some() {
        tags.push("unstable");
    }
    if s.status != Status::Ok {
        tags.push(s.status.name());
    }
    tags
}

/// `name`, followed by the scenario's [`tags`] in parentheses when it has
/// any: a chart label or a verdict entry (`pipe (unstable)`).
pub fn label(name: &str, s: &ScenarioResult) -> String {
    let tags = tags(s);
    if tags.is_empty() { name.to_owned() } else { format!("{name} ({})", tags.join(", ")) }
}

/// `used/total`: the trials behind a scenario's figures.
pub fn trials(s: &ScenarioResult) -> String {
    format!("{}/{}", s.selection.used, s.selection.used + s.selection.set_aside)
}

/// "n/a" and why, for a figure that is missing.
pub fn na(why: &str) -> String {
    format!("n/a ({why})")
}

/// A scenario's figure as a table cell: `figure` (its text, or why there
/// is none), marked [`UNSTABLE`] with the reason as the cell's note; a
/// few-trials scenario shows its status and the trials used instead.
pub fn cell(s: &ScenarioResult, figure: Result<String, String>) -> Noted {
    if s.status == Status::FewTrials {
        return Noted {
            text: format!("{} ({} trials used)", s.status.name(), trials(s)),
            note: Some(s.reason.clone().unwrap_or_else(|| "too few trials in the reference state".to_owned())),
        };
    }
    match (figure, &s.unstable) {
        (Ok(text), Some(why)) => Noted { text: format!("{UNSTABLE}{text}"), note: Some(format!("unstable: {why}")) },
        (Ok(text), None) => Noted::plain(text),
        (Err(why), _) => Noted::plain(na(&why)),
    }
}

/// The cell of a scenario that was not measured (refused, failed,
/// unavailable): its status, with its reason as the cell's note.
pub fn unmeasured_cell(s: &ScenarioResult) -> Noted {
    Noted {
        text: s.status.name().to_owned(),
        note: Some(s.reason.clone().unwrap_or_else(|| "no reason recorded".to_owned())),
    }
}

/// As [`cell`], with the trials used after the figure (`… (5/6)`): for
/// tables with one cell per scenario.
pub fn cell_with_trials(s: &ScenarioResult, figure: Result<String, String>) -> Noted {
    let mut c = cell(s, figure);
    if s.status != Status::FewTrials && !s.trials.is_empty() {
        c.text = format!("{} ({})", c.text, trials(s));
    }
    c
}

/// Percentile `q` of `p`, or why the samples do not support it.
pub fn percentile(p: &Percentiles, q: f64) -> Result<f64, String> {
    let value = p.quantiles().into_iter().find(|(at, _)| (at - q).abs() < 1e-12).and_then(|(_, v)| v);
    match (value, percentile_absent(q, p.count)) {
        (_, Some(why)) => Err(why),
        (Some(v), None) => Ok(v),
        (None, None) => Err(format!("p{} not recorded", percentile_name(q))),
    }
}

/// Percentile `q` of `p` as a table cell: the value in ns, or [`ABSENT`]
/// with the reason as its note.
pub fn percentile_cell(p: &Percentiles, q: f64) -> Noted {
    match percentile(p, q) {
        Ok(v) => Noted::plain(format::ns(v)),
        Err(why) => Noted { text: ABSENT.to_owned(), note: Some(why) },
    }
}

/// The scenario's p99 estimate (median over the used trials of each
/// trial's p99), or why there is none.
pub fn p99(s: &ScenarioResult) -> Result<Estimate, String> {
    let l = s.latency.as_ref().ok_or_else(|| "no latency".to_owned())?;
    l.p99.ok_or_else(|| {
        let largest = s.used_trials().filter_map(|t| t.latency.map(|p| p.count)).max().unwrap_or(0);
        percentile_absent(0.99, largest)
            .map(|why| format!("{why} in the largest trial"))
            .unwrap_or_else(|| "no trial's p99 recorded".to_owned())
    })
}

/// One footnote per marked scenario of `scenarios`: why it is unstable, or
/// why it has too few trials for a figure.
pub fn notes(scenarios: &[&ScenarioResult]) -> Vec<String> {
    let mut out = Vec::new();
    for s in scenarios {
        if let Some(why) = &s.unstable {
            out.push(format!("{UNSTABLE} {} is unstable: {why}.", s.id));
        }
        if s.status == Status::FewTrials {
            let why = s.reason.as_deref().unwrap_or("too few trials in the reference state");
            out.push(format!("{} has too few trials for a figure: {why}.", s.id));
        }
    }
    out
}

/// The footnote explaining [`ABSENT`], when any of `percentiles` lacks one
/// of `quantiles`.
pub fn absent_note<'a>(percentiles: impl IntoIterator<Item = &'a Percentiles>, quantiles: &[f64]) -> Option<String> {
    let any = percentiles.into_iter().any(|p| quantiles.iter().any(|q| percentile(p, *q).is_err()));
    any.then(|| {
        format!(
            "{ABSENT}: a percentile p is given only from at least 10/(1-p) samples (p99.9: 10000, p99.99: \
             100000); the cell's note gives the count."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percentile_without_its_samples_is_a_dash_with_the_reason() {
        let p = Percentiles {
            count: 3000,
            p50: Some(100.0),
            p90: Some(200.0),
            p99: Some(900.0),
            p999: None,
            p9999: None,
            max: 5000.0,
            mean: 150.0,
        };
        assert_eq!(percentile(&p, 0.99), Ok(900.0));
        assert_eq!(percentile(&p, 0.999), Err("p99.9 needs 10000 samples, 3000 taken".to_owned()));
        let cell = percentile_cell(&p, 0.999);
        assert_eq!(cell.text, ABSENT);
        assert_eq!(cell.note.as_deref(), Some("p99.9 needs 10000 samples, 3000 taken"));
        // A value the rule does not support is not shown even if present.
        let odd = Percentiles { p9999: Some(4000.0), ..p };
        assert!(percentile(&odd, 0.9999).is_err());
        assert!(absent_note([&p], &[0.5, 0.99]).is_none());
        assert!(absent_note([&p], &[0.999]).is_some());
    }
}
