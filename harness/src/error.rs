//! Bad input: what the user asked for cannot run, found before anything is
//! measured. `main.rs` reports it as one line and exit status 2; every
//! other error is exit status 1 there.

/// Bad input found before anything runs (exit status 2): a line naming
/// what is wrong and, where there is a choice, the valid ones.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);
