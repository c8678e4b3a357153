//! The scenario matrix: which transport, capacity mode, message size,
//! pattern and core placement each measurement uses, the named suites
//! (`all`, `quick`, user TOML) built from it, and the results file every
//! run writes.

pub mod results;
