//! What one side of one measured run reports to the harness.

use serde::{Deserialize, Serialize};

use super::message::Integrity;
use super::usage::SideCpu;

/// One side's account of a run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SideReport {
    /// Messages this side sent (producer, initiator, echo) or received (consumer).
    pub messages: u64,
    /// Consumer: first message to the clean end, ns. Producer: its sending time.
    pub elapsed_ns: u64,
    /// CPU used while measuring.
    pub cpu: SideCpu,
    /// What this side checked (receivers) or sent (`sent` only, senders).
    pub integrity: Integrity,
    /// Latencies this side recorded, HdrHistogram V2 base64 (initiator, rate consumer).
    pub histogram: Option<String>,
    /// Messages queued on the sender's own side (unbounded kernel transports).
    pub spilled: u64,
    /// Largest lag of a send behind its intended time, ns (rate producer).
    pub max_send_lag_ns: Option<u64>,
    /// Messages per second actually sent (rate producer).
    pub send_rate: Option<f64>,
    /// A mailbox consumer's counts per producer, at the producer's index
    /// (`sent` left 0); empty for a single producer.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_producer: Vec<Integrity>,
}
