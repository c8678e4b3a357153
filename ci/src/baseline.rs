//! Named baselines: results files kept under a name in one folder, so that
//! `harness all --save-baseline main` today and `harness all --baseline
//! main` tomorrow compare without anyone keeping paths.
//!
//! A baseline `NAME` is the folder `<store>/NAME/` holding the run's
//! `results.json` (a [`Side`] reads it like any results folder). The store
//! is `$RINGSIDE_BASELINES` when set, else `target/ringside/baselines`
//! (the harness decides; see [`Store::new`]). Saving replaces the file
//! atomically, never through a link at its name ([`scenarios::files`]).

use std::path::{Path, PathBuf};

use crate::side::{Side, SideError};

/// The environment variable that moves the store.
pub const STORE_VARIABLE: &str = "RINGSIDE_BASELINES";

/// The folder of named baselines.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// A baseline could not be named, saved or found.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// A name with characters other than letters, digits, `.`, `_` and `-`.
    #[error("baseline name '{0}' must be letters, digits, '.', '_' or '-' (and not start with '.')")]
    BadName(String),
    /// No baseline of that name.
    #[error("no baseline named '{name}' in {store} ({known}); save one with --save-baseline {name}")]
    Missing {
        /// The name asked for.
        name: String,
        /// The store.
        store: String,
        /// The names there are.
        known: String,
    },
    /// The baseline exists but cannot be read.
    #[error(transparent)]
    Read(#[from] SideError),
    /// Saving failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

impl Store {
    /// The store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Check `name` is one a baseline may have.
    pub fn check_name(name: &str) -> Result<(), BaselineError> {
        let ok = !name.is_empty()
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok { Ok(()) } else { Err(BaselineError::BadName(name.to_owned())) }
    }

    /// The results file of baseline `name` (which may not exist yet).
    pub fn results_path(&self, name: &str) -> Result<PathBuf, BaselineError> {
        Store::check_name(name)?;
        Ok(self.dir.join(name).join("results.json"))
    }

    /// The names saved, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().join("results.json").is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .collect();
        names.sort();
        names
    }

    /// Check baseline `name` exists, before a run that will compare with it.
    pub fn check_exists(&self, name: &str) -> Result<PathBuf, BaselineError> {
        let path = self.results_path(name)?;
        if path.is_file() {
            return Ok(path);
        }
        let names = self.names();
        Err(BaselineError::Missing {
            name: name.to_owned(),
            store: self.dir.display().to_string(),
            known: if names.is_empty() { "none saved yet".to_owned() } else { format!("saved: {}", names.join(", ")) },
        })
    }

    /// Read baseline `name` as a side labelled `baseline NAME`.
    pub fn load(&self, name: &str) -> Result<Side, BaselineError> {
        let path = self.check_exists(name)?;
        let mut side = Side::load(&path)?;
        side.label = format!("baseline {name}");
        Ok(side)
    }

    /// Save the results file `results` as baseline `name`, replacing it;
    /// returns where it went.
    pub fn save(&self, name: &str, results: &Path) -> Result<PathBuf, BaselineError> {
        let dest = self.results_path(name)?;
        let folder = dest.parent().expect("a baseline file has a folder");
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| BaselineError::Io { path, source }
        };
        std::fs::create_dir_all(folder).map_err(io(folder))?;
        let bytes = std::fs::read(results).map_err(io(results))?;
        // The error names the path already.
        scenarios::files::replace(&dest, &bytes)
            .map_err(|source| BaselineError::Io { path: format!("saving baseline {name}"), source })?;
        Ok(dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["main", "v1.2", "pr-17_a"] {
            assert!(Store::check_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".hidden", "a/b", "..", "x y", "ü"] {
            assert!(Store::check_name(bad).is_err(), "{bad}");
        }
    }

    /// A symlink planted in the store (at the baseline's name or the
    /// temporary's) is replaced, never written through.
    #[test]
    fn saving_writes_no_target_of_a_planted_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().join("store"));
        let folder = store.dir().join("main");
        std::fs::create_dir_all(&folder).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "victim\n").unwrap();
        for name in ["results.json", ".results.json.tmp"] {
            std::os::unix::fs::symlink(&victim, folder.join(name)).unwrap();
        }
        let source = dir.path().join("r.json");
        std::fs::write(&source, "{}").unwrap();
        let saved = store.save("main", &source).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "victim\n");
        assert!(std::fs::symlink_metadata(&saved).unwrap().is_file());
        assert_eq!(std::fs::read_to_string(&saved).unwrap(), "{}");
    }

    #[test]
    fn a_missing_baseline_names_the_saved_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let err = store.check_exists("main").unwrap_err().to_string();
        assert!(err.contains("none saved yet") && err.contains("--save-baseline main"), "{err}");
        let source = dir.path().join("r.json");
        std::fs::write(&source, "{}").unwrap();
        store.save("old", &source).unwrap();
        assert_eq!(store.names(), ["old"]);
        let err = store.check_exists("main").unwrap_err().to_string();
        assert!(err.contains("saved: old"), "{err}");
        assert!(store.check_exists("old").is_ok());
    }
}
