//! How often the gate errs, over many seeds: false regressions and
//! improvements under pure noise, and how often a 30% slowdown in one
//! scenario among 100 is found, by trials per side. Slow (about a minute
//! in release); run by hand:
//! `cargo test -p ci --release --test calibration -- --ignored --nocapture`.

mod synthetic;

use ci::{Comparison, Settings, Verdict};
use synthetic::{Draw, side, stream_id};

#[test]
#[ignore = "a minute of resampling; run by hand to see the gate's error rates"]
fn error_rates_by_trials() {
    const SEEDS: u64 = 20;
    for trials in [3, 5, 10] {
        let draw = |seed| Draw { streams: 60, pingpongs: 40, trials, noise: 0.03, seed };
        let (mut false_changes, mut inconclusive, mut found) = (0, 0, 0);
        for seed in 0..SEEDS {
            let base = side("base", &draw(seed * 3 + 1), |_| 1.0);
            let same = side("new", &draw(seed * 3 + 2), |_| 1.0);
            let c = Comparison::new(&base, &same, &Settings::default());
            false_changes += c.with(Verdict::Regressed).count() + c.with(Verdict::Improved).count();
            inconclusive += c.with(Verdict::Inconclusive).count();
            let slowed = stream_id(7);
            let slow = side("new", &draw(seed * 3 + 2), |id| if id == slowed { 0.7 } else { 1.0 });
            let c = Comparison::new(&base, &slow, &Settings::default());
            let regressed: Vec<_> = c.with(Verdict::Regressed).collect();
            found += usize::from(regressed.len() == 1 && regressed[0].scenario == slowed);
        }
        println!(
            "{trials:>2} trials a side, 3% noise, {SEEDS} suites of 140 metrics: {false_changes} false regressions or \
             improvements, {inconclusive} inconclusive; 30% slowdown found alone in {found} of {SEEDS}"
        );
        assert_eq!(false_changes, 0, "the gate cried wolf");
    }
}
