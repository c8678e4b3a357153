//! Benjamini-Hochberg control of the false discovery rate (Benjamini &
//! Hochberg, 1995, *J. R. Statist. Soc. B* 57(1)): among `m` p-values,
//! sorted ascending `p(1) <= ... <= p(m)`, reject the `R` smallest where
//! `R` is the largest `k` with `p(k) <= k q / m`. The expected share of
//! false discoveries among the rejections is then at most `q` (under
//! independence or positive dependence, as the metrics of one suite run on
//! one machine have).

/// How many of `p_values` Benjamini-Hochberg rejects at false discovery
/// rate `q`: the rejected ones are the `R` smallest.
pub fn rejections(p_values: &[f64], q: f64) -> usize {
    let m = p_values.len();
    let mut sorted = p_values.to_vec();
    sorted.sort_by(f64::total_cmp);
    (1..=m).rev().find(|&k| sorted[k - 1] <= k as f64 * q / m as f64).unwrap_or(0)
}

/// The Benjamini-Hochberg adjusted p-values ("q-values"), in the order
/// given: `min over j >= rank of p(j) m / j`, capped at 1. A p-value is
/// rejected at rate `q` exactly when its adjusted value is at most `q`.
pub fn adjusted(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut out = vec![1.0; m];
    let mut running = 1.0_f64;
    for (rank0, &i) in order.iter().enumerate().rev() {
        running = running.min(p_values[i] * m as f64 / (rank0 + 1) as f64).min(1.0);
        out[i] = running;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_up_rejects_the_largest_rank_under_its_line() {
        // Lines at q = 0.05, m = 5: 0.01, 0.02, 0.03, 0.04, 0.05.
        assert_eq!(rejections(&[0.001, 0.03, 0.9, 0.025, 0.5], 0.05), 3);
        // Step-up: rank 2 is above its line (0.021 > 0.02), rank 3 is under.
        assert_eq!(rejections(&[0.005, 0.021, 0.029, 0.8, 0.9], 0.05), 3);
        assert_eq!(rejections(&[0.2, 0.3], 0.05), 0);
        assert_eq!(rejections(&[], 0.05), 0);
        // One test: the plain level.
        assert_eq!(rejections(&[0.049], 0.05), 1);
    }

    #[test]
    fn adjusted_values_agree_with_rejections() {
        let p = [0.001, 0.03, 0.9, 0.025, 0.5, 0.04, 0.012];
        let adj = adjusted(&p);
        for q in [0.01, 0.05, 0.1, 0.2] {
            assert_eq!(adj.iter().filter(|&&a| a <= q).count(), rejections(&p, q), "q = {q}");
        }
        assert!(adj.iter().zip(&p).all(|(a, p)| a >= p && *a <= 1.0));
        assert_eq!(adj[0], 0.001 * 7.0);
    }
}
