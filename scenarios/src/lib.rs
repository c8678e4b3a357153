//! The scenario matrix: which transport, capacity mode, message size,
//! pattern and core placement each measurement uses, and the named suites
//! (`all`, `quick`, user TOML) built from it.
//!
//! The matrix arrives with the harness (issue 4); this crate holds its place
//! in the workspace so the layout shows the architecture from the start.
