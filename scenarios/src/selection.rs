//! Which trials make a scenario's headline figure: the machine's states,
//! read off the probes taken around every trial, and the rule that keeps
//! the trials that ran in the prevailing one.
//!
//! On a shared VM the hardware under two cores changes while a suite runs
//! (a cache-line round trip of about 50 ns one moment, 600 the next), and a
//! transport's figures change with it. A figure mixing both says nothing
//! reproducible; so each trial is framed by two short probes of the
//! cache-line round trip on its cores, the probes of a run are grouped into
//! states, and a headline figure comes from the trials whose two probes lie
//! in the state the machine spent the most probes in. The other trials are
//! kept in the results, each with the reason it was set aside.

use vocabulary::stats::median_of_sorted;

use crate::results::{MachineState, MachineStates, Probe};

/// The selection rule in words: the text a results file's
/// `method.selection` carries.
pub const RULE: &str = "every trial is framed by two probes of the cache-line round trip on its cores; the run's \
     probes of a pair of cores are split into states where their logarithms fall into well-separated groups \
     (Otsu's threshold, kept when it explains at least 80% of the variance and the groups' medians differ by at \
     least 1.5x; applied again within each group); the reference state is the one holding the most probes (the \
     faster on a tie); a trial is used when both its probes lie in the reference state, and set aside, with \
     the reason, otherwise; a scenario needs 3 used trials for a figure, else its status is few-trials. On a \
     one-core machine nothing is probed and every trial is used";

/// The fewest used trials that give a headline figure.
pub const MIN_TRIALS: u32 = 3;

/// A split must explain at least this share of the variance of the logs.
const SEPARATION: f64 = 0.8;
/// And the two groups' medians must differ by at least this ratio.
const STATE_RATIO: f64 = 1.5;
/// At most this many states (splitting stops there).
const MAX_STATES: usize = 4;

/// The states of `probes` (round trips in ns, any order, each > 0): groups
/// of values, fastest first, that together hold every probe. An empty
/// input gives no state.
pub fn states(probes: &[f64]) -> Vec<MachineState> {
    let mut values: Vec<f64> = probes.iter().copied().filter(|v| *v > 0.0 && v.is_finite()).collect();
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return Vec::new();
    }
    // The bounds are the probes themselves (exp(ln(x)) need not be x).
    let logs: Vec<f64> = values.iter().map(|v| v.ln()).collect();
    let mut groups: Vec<&[f64]> = vec![&logs];
    // Split the group that splits best, while one does.
    while groups.len() < MAX_STATES {
        let best = groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| split(g).map(|(at, eta)| (i, at, eta)))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let Some((i, at, _)) = best else { break };
        let (low, high) = groups[i].split_at(at);
        groups.splice(i..=i, [low, high]);
    }
    let mut start = 0;
    groups
        .into_iter()
        .map(|g| {
            let state = MachineState { low_ns: values[start], high_ns: values[start + g.len() - 1], probes: g.len() };
            start += g.len();
            state
        })
        .collect()
}

/// Otsu's split of sorted `logs`: the index where the upper group starts
/// and the share of variance the split explains, when the split is
/// clean enough to call two states.
fn split(logs: &[f64]) -> Option<(usize, f64)> {
    let n = logs.len();
    if n < 2 {
        return None;
    }
    let mean = logs.iter().sum::<f64>() / n as f64;
    let total: f64 = logs.iter().map(|v| (v - mean).powi(2)).sum();
    if total <= 0.0 {
        return None;
    }
    let mut best: Option<(usize, f64)> = None;
    let mut low_sum = 0.0;
    for at in 1..n {
        low_sum += logs[at - 1];
        let (w0, w1) = (at as f64, (n - at) as f64);
        let (m0, m1) = (low_sum / w0, (mean * n as f64 - low_sum) / w1);
        let between = w0 * w1 / n as f64 * (m1 - m0).powi(2);
        if best.is_none_or(|(_, b)| between > b) {
            best = Some((at, between));
        }
    }
    let (at, between) = best?;
    let eta = between / total;
    let ratio = (median_of_sorted(&logs[at..]) - median_of_sorted(&logs[..at])).exp();
    (eta >= SEPARATION && ratio >= STATE_RATIO).then_some((at, eta))
}

/// The states of one pair of cores and the reference among them, or
/// `None` when there is no probe.
pub fn machine_states(cores: [usize; 2], probes: &[f64]) -> Option<MachineStates> {
    let states = states(probes);
    let reference = reference(&states)?;
    Some(MachineStates { cores, states, reference })
}

/// The index of the state holding the most probes (the faster on a tie).
pub fn reference(states: &[MachineState]) -> Option<usize> {
    // `max_by_key` keeps the last of equals; states are fastest first.
    states.iter().enumerate().rev().max_by_key(|(_, s)| s.probes).map(|(i, _)| i)
}

/// Whether a trial with `probe` is used, given the states of its cores
/// (`Err` says why not). A trial without a probe (one-core machine), or
/// whose cores were not probed, is used.
pub fn judge(probe: Option<&Probe>, machine: &[MachineStates]) -> Result<(), String> {
    let Some(probe) = probe else { return Ok(()) };
    let Some(m) = machine.iter().find(|m| m.cores == probe.cores) else { return Ok(()) };
    let reference = &m.states[m.reference];
    let state_of = |ns: f64| m.states.iter().position(|s| s.holds(ns));
    let (before, after) = (state_of(probe.before_ns), state_of(probe.after_ns));
    if before == Some(m.reference) && after == Some(m.reference) {
        return Ok(());
    }
    Err(if before != after {
        format!(
            "the machine changed state during the trial (probes {:.0} ns before, {:.0} ns after; reference {})",
            probe.before_ns,
            probe.after_ns,
            reference.label()
        )
    } else {
        let label = before.map_or_else(|| "an unknown state".to_owned(), |i| m.states[i].label());
        format!("ran in {label}, not the reference {}", reference.label())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(before_ns: f64, after_ns: f64) -> Probe {
        Probe { cores: [0, 1], before_ns, after_ns }
    }

    /// Values spread evenly (multiplicatively) between `low` and `high`.
    fn spread(low: f64, high: f64, n: usize) -> Vec<f64> {
        (0..n).map(|i| low * (high / low).powf(i as f64 / (n - 1) as f64)).collect()
    }

    #[test]
    fn one_steady_state_is_one_state_and_every_trial_is_used() {
        let probes = spread(50.0, 62.0, 40);
        let m = machine_states([0, 1], &probes).unwrap();
        assert_eq!(m.states.len(), 1);
        assert_eq!((m.states[0].probes, m.reference), (40, 0));
        assert_eq!(m.states[0].label(), "floor 50-62 ns");
        assert_eq!(judge(Some(&probe(51.0, 61.0)), std::slice::from_ref(&m)), Ok(()));
    }

    #[test]
    fn two_states_are_found_and_the_prevailing_one_is_the_reference() {
        // 30 probes near 55 ns, 50 near 600 ns: the slow state prevails.
        let probes = [spread(51.0, 60.0, 30), spread(510.0, 640.0, 50)].concat();
        let m = machine_states([0, 1], &probes).unwrap();
        assert_eq!(m.states.len(), 2, "{:?}", m.states);
        assert_eq!((m.states[0].probes, m.states[1].probes), (30, 50));
        assert_eq!((m.states[0].low_ns, m.states[1].high_ns), (51.0, 640.0), "the probes themselves bound a state");
        assert_eq!(m.reference, 1);
        let ms = std::slice::from_ref(&m);
        assert_eq!(judge(Some(&probe(520.0, 600.0)), ms), Ok(()));
        let fast = judge(Some(&probe(52.0, 55.0)), ms).unwrap_err();
        assert!(fast.contains("floor 51-60 ns") && fast.contains("reference floor 510-640 ns"), "{fast}");
        let changed = judge(Some(&probe(52.0, 600.0)), ms).unwrap_err();
        assert!(changed.contains("changed state"), "{changed}");
    }

    #[test]
    fn a_tie_makes_the_faster_state_the_reference() {
        let probes = [spread(51.0, 60.0, 20), spread(510.0, 640.0, 20)].concat();
        assert_eq!(machine_states([0, 1], &probes).unwrap().reference, 0);
    }

    #[test]
    fn an_outlying_probe_is_a_state_of_its_own_and_its_trial_is_set_aside() {
        let mut probes = spread(50.0, 60.0, 60);
        probes.push(5_000.0);
        let m = machine_states([0, 1], &probes).unwrap();
        assert_eq!(m.states.len(), 2);
        assert_eq!((m.reference, m.states[1].probes), (0, 1));
        assert!(judge(Some(&probe(55.0, 5_000.0)), &[m]).is_err());
    }

    #[test]
    fn a_gradual_spread_is_not_split() {
        // 50 to 200 ns without a gap: one state, however wide.
        let m = machine_states([0, 1], &spread(50.0, 200.0, 100)).unwrap();
        assert_eq!(m.states.len(), 1, "{:?}", m.states);
    }

    #[test]
    fn no_probe_means_the_trial_is_used_and_no_probes_no_states() {
        assert_eq!(judge(None, &[]), Ok(()));
        assert_eq!(judge(Some(&probe(50.0, 50.0)), &[]), Ok(()));
        assert!(machine_states([0, 1], &[]).is_none());
        assert!(states(&[]).is_empty());
    }
}
