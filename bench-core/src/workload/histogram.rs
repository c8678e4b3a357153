//! Latency histograms (HdrHistogram, 3 significant digits, 1 ns to 100 s)
//! and their text form in results files: the V2 serialisation, base64, so
//! histograms of separate repeats merge exactly.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};

/// Highest latency recorded, ns (larger values are clamped to it).
pub const HIGHEST_NS: u64 = 100_000_000_000;

/// An empty latency histogram.
pub fn new() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_NS, 3).expect("valid bounds")
}

/// Record one latency in ns (0 counts as 1, above [`HIGHEST_NS`] as that).
#[inline]
pub fn record(h: &mut Histogram<u64>, ns: u64) {
    h.saturating_record(ns.max(1));
}

/// The histogram as base64 V2 text.
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    V2Serializer::new().serialize(h, &mut bytes).expect("serialising into memory");
    STANDARD.encode(bytes)
}

/// A histogram from [`encode`]'s text.
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    let bytes = STANDARD.decode(text).map_err(|e| format!("histogram is not base64: {e}"))?;
    Deserializer::new().deserialize(&mut bytes.as_slice()).map_err(|e| format!("histogram does not decode: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_merge_is_exact() {
        let (mut a, mut b) = (new(), new());
        for v in [100, 200, 300, 5_000_000] {
            record(&mut a, v);
        }
        record(&mut b, 42);
        record(&mut b, u64::MAX);
        let mut merged = decode(&encode(&a)).unwrap();
        merged.add(decode(&encode(&b)).unwrap()).unwrap();
        assert_eq!(merged.len(), 6);
        assert_eq!(merged.min(), 42);
        assert!(merged.max() >= HIGHEST_NS);
        assert!(decode("not base64!").is_err());
    }
}
