//! The regression gate: compares two results files scenario by scenario,
//! from per-repeat samples, and says improved / regressed / unchanged /
//! inconclusive with a confidence interval and a noise threshold.
//!
//! The gate arrives with issue 6; this crate holds its place in the workspace.
