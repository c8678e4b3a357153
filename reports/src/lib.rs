//! Rendering results for people: one self-contained HTML report with
//! `plotters` SVG charts, a terminal summary and CSV.
//!
//! The renderers arrive with issue 5; this crate holds their place in the workspace.
