//! How a scenario ended, as results files and tables name it.

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Measured; every message arrived once, in order, intact.
    Ok,
    /// An open-loop rate the transport could not keep up with: measured,
    /// but the latencies are those of a backlog (see `reason`).
    Unsustained,
    /// The transport refused this capacity or size (see `reason`).
    Refused,
    /// This machine lacks the placement (see `reason`).
    Unavailable,
    /// Measured, but too few trials ran in the machine's reference state
    /// to give a figure (see `reason`; the trials are all kept).
    FewTrials,
    /// A worker crashed, hung, was killed or found broken integrity.
    Failed,
}

crate::names::named_enum!(
    Status, "status",
    Ok => "ok",
    Unsustained => "unsustained",
    Refused => "refused",
    Unavailable => "unavailable",
    FewTrials => "few-trials",
    Failed => "failed",
);
