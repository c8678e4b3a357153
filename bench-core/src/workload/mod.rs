//! What runs inside a measurement worker: the message format that proves
//! integrity, the three patterns, and what each side reports.

mod pattern;

pub use pattern::{Pattern, UnknownPattern};
