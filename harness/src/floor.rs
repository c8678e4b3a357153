//! The floor: what handing a cache line from one core to another and back
//! costs (the median of many round trips, `bench_core::floor`), and how fast
//! this machine copies memory. Measured on every pair of cores a suite
//! uses, before its trials, and by `harness floor`.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::time::Duration;

use anyhow::{Context, Result};
use bench_core::floor::{cache_line_round_trip, copy_bandwidth};
use scenarios::results::{Estimate, Floor};
use vocabulary::PlacementLabel;
use vocabulary::stats::quantile_ns;

use crate::terminal::tell;

/// Cache-line round trips per floor measurement (after a tenth as many untimed).
const FLOOR_SAMPLES: usize = 50_000;
/// Floor measurements per core pair.
const FLOOR_REPEATS: usize = 3;

/// Measure the floor between two cores.
pub fn measure(placement: PlacementLabel, cores: [usize; 2]) -> Result<Floor> {
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
        placement,
        cores,
        cache_line_rtt: Estimate::of(&rtts),
        cache_line_rtt_ns: rtts,
        copy_bytes_per_s: copy_bandwidth(1 << 20, 3, Duration::from_millis(50)),
    })
}

/// The floor of every pair of cores in `used`, each measured once, in the
/// order first used (saying so on stderr); labelled by the placement that
/// first used it.
pub fn measure_each(
    used: impl IntoIterator<Item = (PlacementLabel, [usize; 2])>,
) -> Result<BTreeMap<[usize; 2], Floor>> {
    let mut floors: BTreeMap<[usize; 2], Floor> = BTreeMap::new();
    for (placement, cores) in used {
        if let Entry::Vacant(floor) = floors.entry(cores) {
            tell!("measuring the floor on cores {} and {} ...", cores[0], cores[1]);
            floor.insert(measure(placement, cores)?);
        }
    }
    Ok(floors)
}
