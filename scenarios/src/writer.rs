//! Writes a run's results as it goes: `results.json` and `results.csv` in
//! one output directory, brought up to date after every trial, so an
//! interrupted run keeps every trial it finished.
//!
//! `results.json` is replaced atomically each time ([`files::replace`]: the
//! whole file is written to a fresh temporary beside it and renamed over
//! it), so a reader (or a run killed mid-write) sees either the previous
//! complete file or the new one, never half of one, and a symlink left at
//! its name is replaced, never written through. `finished_unix` stays
//! `None` until [`ResultsWriter::finish`], which is how a reader tells an
//! interrupted run. `results.csv` is replaced the same way.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::csv;
use crate::files;
use crate::results::{ResultsFile, ScenarioResult};

/// The name of the JSON file in the output directory.
pub const JSON_NAME: &str = "results.json";
/// The name of the CSV file in the output directory.
pub const CSV_NAME: &str = "results.csv";

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The results of a run in progress, and the directory they are kept in.
#[derive(Debug)]
pub struct ResultsWriter {
    dir: PathBuf,
    file: ResultsFile,
}

impl ResultsWriter {
    /// Create `dir` (and its parents) and write `results.json` with `file`
    /// as it is, and `results.csv` with its header and a row for each
    /// scenario `file` already holds. Existing results files there are
    /// replaced (a symlink at their name too, its target left alone).
    pub fn create(dir: &Path, file: ResultsFile) -> io::Result<Self> {
        fs::create_dir_all(dir).map_err(|e| with_path(dir, e))?;
        let mut writer = ResultsWriter { dir: dir.to_owned(), file };
        writer.save()?;
        Ok(writer)
    }

    /// Add one scenario's result and bring both files up to date.
    pub fn push(&mut self, result: ScenarioResult) -> io::Result<()> {
        self.file.scenarios.push(result);
        self.save()
    }

    /// Replace every scenario's result (a round of trials changes them
    /// all) and bring both files up to date.
    pub fn set_scenarios(&mut self, results: Vec<ScenarioResult>) -> io::Result<()> {
        self.file.scenarios = results;
        self.save()
    }

    /// The results so far.
    pub fn file(&self) -> &ResultsFile {
        &self.file
    }

    /// The results so far, to update header fields (warnings, floors,
    /// environment); they reach `results.json` at the next
    /// [`push`](Self::push), [`save`](Self::save) or [`finish`](Self::finish).
    /// Add scenarios with `push`.
    pub fn file_mut(&mut self) -> &mut ResultsFile {
        &mut self.file
    }

    /// Rewrite `results.json` and `results.csv` now.
    pub fn save(&mut self) -> io::Result<()> {
        self.write_json()?;
        let mut text = csv::header();
        text.extend(self.file.scenarios.iter().map(csv::row));
        files::replace(&self.csv_path(), text.as_bytes())
    }

    /// Mark the run finished (`finished_unix` = now), write both files
    /// complete, and hand back the results.
    pub fn finish(mut self) -> io::Result<ResultsFile> {
        self.file.finished_unix = Some(now_unix());
        self.save()?;
        Ok(self.file)
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `dir/results.json`.
    pub fn json_path(&self) -> PathBuf {
        self.dir.join(JSON_NAME)
    }

    /// `dir/results.csv`.
    pub fn csv_path(&self) -> PathBuf {
        self.dir.join(CSV_NAME)
    }

    fn write_json(&self) -> io::Result<()> {
        let path = self.json_path();
        let mut text = serde_json::to_vec_pretty(&self.file).map_err(|e| with_path(&path, io::Error::other(e)))?;
        text.push(b'\n');
        files::replace(&path, &text)
    }
}

/// `e`, with the path that caused it at the front of its message.
fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use bench_core::environment::Environment;
    use serde_json::Value;

    use super::*;
    use vocabulary::{Capacity, LatencyKind, Pattern, Placement, TransportKind};

    use crate::results::{Estimate, Integrity, Latency, Method, Percentiles, ReadError, SCHEMA_VERSION, Status};

    fn header_only() -> ResultsFile {
        ResultsFile {
            schema_version: SCHEMA_VERSION,
            tool: "ringside test".to_owned(),
            suite: "test".to_owned(),
            started_unix: 1,
            finished_unix: None,
            valid: true,
            warnings: Vec::new(),
            environment: Environment::default(),
            method: Method {
                rounds: 3,
                warmup_trials: 1,
                trial_ms: crate::results::TrialLengths::all(100),
                seed: 7,
                order: crate::results::INTERVAL_METHOD.to_owned(),
                probe: String::new(),
                selection: crate::selection::RULE.to_owned(),
                stability: crate::stability::RULE.to_owned(),
                percentiles: crate::results::PERCENTILE_RULE.to_owned(),
                clock: "CLOCK_MONOTONIC".to_owned(),
                clock_read_ns: 20.0,
                clocks: Vec::new(),
                interval: crate::results::INTERVAL_METHOD.to_owned(),
            },
            floors: Vec::new(),
            machine: Vec::new(),
            scenarios: Vec::new(),
            load_curves: Vec::new(),
        }
    }

    fn result(id: &str, status: Status, reason: Option<&str>) -> ScenarioResult {
        ScenarioResult {
            id: id.to_owned(),
            transport: TransportKind::Pipe,
            capacity: Capacity::Bounded(64),
            realised_capacity: Some(64),
            realised_detail: String::new(),
            size: 64,
            pattern: Pattern::PingPong,
            placement: Placement::CrossCore.into(),
            cores: Some([0, 1]),
            relation: Some(Placement::CrossCore),
            wait_asked: crate::Wait::Auto,
            wait: None,
            producers: vocabulary::Producers::ONE,
            mailbox: None,
            status,
            reason: reason.map(str::to_owned),
            selection: crate::results::Selection::default(),
            unstable: None,
            msgs_per_s: Estimate::of(&[1.0e6, 1.1e6, 0.9e6]),
            bytes_per_s: None,
            latency: Some(Latency {
                kind: LatencyKind::RoundTrip,
                merged: Percentiles { count: 30, p50: Some(1500.0), ..Percentiles::default() },
                p50: Estimate { median: 1500.0, low: 1400.0, high: 1600.0 },
                p99: Some(Estimate { median: 3000.0, low: 2900.0, high: 3100.0 }),
                histogram: String::new(),
            }),
            cpu: None,
            integrity: Integrity { sent: 10, received: 10, ..Integrity::default() },
            floor: None,
            rate: None,
            trials: Vec::new(),
        }
    }

    /// RFC 4180 fields of one CSV text, rows split on line ends outside quotes.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\n') => {
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => field.push(c),
            }
        }
        rows
    }

    #[test]
    fn every_push_leaves_both_files_complete() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("nested/out");
        let mut writer = ResultsWriter::create(&out, header_only()).unwrap();
        assert!(ResultsFile::read(&writer.json_path()).unwrap().scenarios.is_empty());
        assert_eq!(parse_csv(&fs::read_to_string(writer.csv_path()).unwrap()), [csv::COLUMNS.map(String::from)]);

        writer.push(result("a", Status::Ok, None)).unwrap();
        writer.file_mut().warnings.push("loaded machine".to_owned());
        writer.push(result("b", Status::Failed, Some("consumer crashed"))).unwrap();
        let read = ResultsFile::read(&out.join(JSON_NAME)).unwrap();
        assert_eq!(read.scenarios.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(read.warnings, ["loaded machine"]);
        let rows = parse_csv(&fs::read_to_string(out.join(CSV_NAME)).unwrap());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2][0], "b");
        assert_eq!(rows[2][csv::COLUMNS.iter().position(|&c| c == "status").unwrap()], "failed");
        let mut names: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        assert_eq!(names, [CSV_NAME, JSON_NAME], "no temporary left behind");

        let finished = writer.finish().unwrap();
        let read = ResultsFile::read(&out.join(JSON_NAME)).unwrap();
        assert!(read.finished_unix.is_some());
        assert_eq!(read.finished_unix, finished.finished_unix);
        assert_eq!(parse_csv(&fs::read_to_string(out.join(CSV_NAME)).unwrap()).len(), 3);
    }

    /// Symlinks planted at the results' names, and at the names of the
    /// temporaries an older writer used, are replaced, never written through.
    #[test]
    fn symlinks_planted_in_the_output_directory_are_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (out, victims) = (dir.path().join("out"), dir.path().join("victims"));
        fs::create_dir(&out).unwrap();
        fs::create_dir(&victims).unwrap();
        let names = [JSON_NAME, CSV_NAME, "results.json.tmp", "results.csv.tmp"];
        for name in names {
            fs::write(victims.join(name), "victim\n").unwrap();
            std::os::unix::fs::symlink(victims.join(name), out.join(name)).unwrap();
        }
        let mut writer = ResultsWriter::create(&out, header_only()).unwrap();
        writer.push(result("a", Status::Ok, None)).unwrap();
        writer.finish().unwrap();
        for name in names {
            assert_eq!(fs::read_to_string(victims.join(name)).unwrap(), "victim\n", "{name} was written through");
        }
        for name in [JSON_NAME, CSV_NAME] {
            assert!(fs::symlink_metadata(out.join(name)).unwrap().is_file(), "{name} is not a regular file");
        }
        assert_eq!(ResultsFile::read(&out.join(JSON_NAME)).unwrap().scenarios.len(), 1);
    }

    #[test]
    fn an_interrupted_run_keeps_what_it_measured() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut writer = ResultsWriter::create(dir.path(), header_only()).unwrap();
            writer.push(result("first", Status::Ok, None)).unwrap();
            writer.push(result("second", Status::Refused, Some("too big"))).unwrap();
            // Dropped without finish, as when the run is interrupted.
        }
        let read = ResultsFile::read(&dir.path().join(JSON_NAME)).unwrap();
        assert_eq!(read.finished_unix, None);
        assert_eq!(read.scenarios.len(), 2);
        assert_eq!(read.scenarios[1].status, Status::Refused);
        assert_eq!(read.scenarios[0].msgs_per_s, Estimate::of(&[1.0e6, 1.1e6, 0.9e6]));
        assert_eq!(read.scenarios[0].latency.as_ref().unwrap().merged.p50, Some(1500.0));
        assert_eq!(parse_csv(&fs::read_to_string(dir.path().join(CSV_NAME)).unwrap()).len(), 3);
    }

    #[test]
    fn csv_quotes_reasons_with_commas_quotes_and_line_breaks() {
        let reason = "refused: size 70000 > \"msgsize_max\", 8192\nsee /proc";
        let line = csv::row(&result("x", Status::Refused, Some(reason)));
        assert!(line.contains("\"refused: size 70000 > \"\"msgsize_max\"\", 8192\nsee /proc\""), "{line}");
        let rows = parse_csv(&line);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].len(), csv::COLUMNS.len());
        assert_eq!(rows[0][csv::COLUMNS.iter().position(|&c| c == "reason").unwrap()], reason);
        assert_eq!(rows[0][csv::COLUMNS.iter().position(|&c| c == "p50_ns").unwrap()], "1500");
        assert_eq!(rows[0][csv::COLUMNS.iter().position(|&c| c == "bytes_per_s").unwrap()], "");
        assert_eq!(csv::quote("plain"), "plain");
        assert_eq!(rows[0][csv::COLUMNS.iter().position(|&c| c == "wait").unwrap()], "", "pipe waits in the kernel");
        let ring = ScenarioResult { wait: Some(vocabulary::WaitStrategy::Yield), ..result("y", Status::Ok, None) };
        let rows = parse_csv(&csv::row(&ring));
        assert_eq!(rows[0][csv::COLUMNS.iter().position(|&c| c == "wait").unwrap()], "yield");
    }

    #[test]
    fn the_wait_round_trips_and_a_file_written_before_it_reads_as_auto() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = ResultsWriter::create(dir.path(), header_only()).unwrap();
        let ring = ScenarioResult {
            wait_asked: crate::Wait::Block,
            wait: Some(vocabulary::WaitStrategy::Block),
            ..result("ring/wait:block", Status::Ok, None)
        };
        writer.push(ring).unwrap();
        writer.push(result("pipe", Status::Ok, None)).unwrap();
        let path = writer.json_path();
        let mut value: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(
            (&value["scenarios"][0]["wait_asked"], &value["scenarios"][0]["wait"]),
            (&"block".into(), &"block".into())
        );
        assert_eq!(value["scenarios"][1]["wait"], Value::Null);
        let read = ResultsFile::read(&path).unwrap();
        assert_eq!(read.scenarios[0].wait, Some(vocabulary::WaitStrategy::Block));
        assert_eq!(read.scenarios[0].wait_asked, crate::Wait::Block);
        for s in value["scenarios"].as_array_mut().unwrap() {
            let s = s.as_object_mut().unwrap();
            s.remove("wait");
            s.remove("wait_asked");
        }
        fs::write(&path, value.to_string()).unwrap();
        let old = ResultsFile::read(&path).unwrap();
        assert!(old.scenarios.iter().all(|s| s.wait.is_none() && s.wait_asked == crate::Wait::Auto));
    }

    #[test]
    fn a_file_of_another_schema_version_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let writer = ResultsWriter::create(dir.path(), header_only()).unwrap();
        let path = writer.json_path();
        let mut value: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        value["schema_version"] = Value::from(SCHEMA_VERSION + 1);
        fs::write(&path, value.to_string()).unwrap();
        match ResultsFile::read(&path) {
            Err(ReadError::Version { found, .. }) => assert_eq!(found, u64::from(SCHEMA_VERSION) + 1),
            other => panic!("expected a version error, got {other:?}"),
        }
    }
}
