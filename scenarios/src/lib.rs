//! The scenario matrix: which transport, capacity mode, message size,
//! pattern, core placement and wait strategy each measurement uses
//! ([`Scenario`]; the dimensions are the `vocabulary` crate's types), the
//! named suites (`all`, `quick`, user TOML) built from it ([`Suite`]), the
//! command-line [`Filter`]s that narrow them, and the results file every
//! run writes ([`results`], kept up to date by [`ResultsWriter`], with its
//! spreadsheet form in [`csv`]), and the rules that make a headline figure
//! of a scenario's trials ([`selection`], [`stability`]); the analysis of a
//! load sweep, latency against offered load ([`load`]), and which sweeps
//! a suite runs ([`load_sweeps`]) and what they found ([`load_curves`]); and how every
//! output file of ringside is put in place without following a link
//! ([`files`]).

pub mod csv;
pub mod files;
pub mod filter;
pub mod load;
pub mod load_curves;
pub mod load_sweeps;
pub mod results;
pub mod scenario;
pub mod selection;
pub mod stability;
pub mod suite;
pub mod writer;

pub use filter::{Filter, FilterError};
pub use load_sweeps::{LoadSweep, LoadSweeps};
pub use results::{
    Estimate, INTERVAL_METHOD, Percentiles, ReadError, ResultsFile, SCHEMA_VERSION, ScenarioResult, Status,
};
pub use scenario::Scenario;
pub use suite::{Suite, SuiteError, TableError, primary_placement};
pub use vocabulary::{PlacementSpec, Wait};
pub use writer::ResultsWriter;
