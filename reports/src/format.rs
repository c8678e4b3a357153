//! Numbers as people read them: rates and sizes with SI prefixes, times in
//! the unit that suits them, "n/a" for what is missing.

/// `value` with an SI prefix (k, M, G) and three significant digits.
pub fn si(value: f64) -> String {
    let (scaled, prefix) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "G"),
        v if v >= 1e6 => (value / 1e6, "M"),
        v if v >= 1e3 => (value / 1e3, "k"),
        _ => (value, ""),
    };
    format!("{}{prefix}", three_digits(scaled))
}

/// A time in nanoseconds, in ns, µs, ms or s.
pub fn ns(value: f64) -> String {
    let (scaled, unit) = match value.abs() {
        v if v >= 1e9 => (value / 1e9, "s"),
        v if v >= 1e6 => (value / 1e6, "ms"),
        v if v >= 1e3 => (value / 1e3, "µs"),
        _ => (value, "ns"),
    };
    format!("{} {unit}", three_digits(scaled))
}

/// A byte count: B, KiB, MiB.
pub fn bytes(value: f64) -> String {
    match value {
        v if v >= 1024.0 * 1024.0 => format!("{} MiB", three_digits(v / (1024.0 * 1024.0))),
        v if v >= 1024.0 => format!("{} KiB", three_digits(v / 1024.0)),
        v => format!("{} B", three_digits(v)),
    }
}

/// Three significant digits, no trailing zeros after the point.
pub fn three_digits(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}

/// `median [low, high]` of an estimate, each formatted by `f`.
pub fn estimate(e: &scenarios::Estimate, f: impl Fn(f64) -> String) -> String {
    format!("{} [{}, {}]", f(e.median), f(e.low), f(e.high))
}

/// A ratio with its 95% interval: `2.5x [2.25, 3]`.
pub fn ratio((ratio, low, high): (f64, f64, f64)) -> String {
    format!("{}x [{}, {}]", three_digits(ratio), three_digits(low), three_digits(high))
}

/// A change as a signed percentage: `-0.312` is `-31.2%`.
pub fn percent_change(change: f64) -> String {
    format!("{:+.1}%", change * 100.0)
}

/// A fraction as a percentage, three significant digits: `0.05` is `5%`.
pub fn percent(fraction: f64) -> String {
    format!("{}%", three_digits(fraction * 100.0))
}

/// Rows of cells as a text table: columns padded to their widest cell,
/// two spaces apart, each line indented by `indent`.
pub fn aligned(rows: &[Vec<String>], indent: &str) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        out.push_str(&format!("{indent}{}\n", cells.join("  ").trim_end()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_numbers() {
        assert_eq!(si(1_234_567.0), "1.23M");
        assert_eq!(si(950.0), "950");
        assert_eq!(ns(850.0), "850 ns");
        assert_eq!(ns(12_345.0), "12.3 µs");
        assert_eq!(bytes(65536.0), "64 KiB");
        assert_eq!(percent_change(-0.3124), "-31.2%");
        assert_eq!(percent_change(0.05), "+5.0%");
        assert_eq!(percent(0.05), "5%");
        assert_eq!(percent(0.1234), "12.3%");
        let table = aligned(&[vec!["a".into(), "bb".into()], vec!["ccc".into(), "d".into()]], "  ");
        assert_eq!(table, "  a    bb\n  ccc  d\n");
        assert_eq!(three_digits(2.5), "2.5");
        assert_eq!(ratio((2.5, 2.25, 3.0)), "2.5x [2.25, 3]");
        assert_eq!(bytes(1048576.0), "1 MiB");
    }
}
