//! Where the harness writes: cargo's target folder (home of the default
//! results folders and the baseline store), and a run's results folder,
//! either `--out` as given (checked before anything is measured) or a
//! fresh one of its own under `target/ringside/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::error::BadInput;

/// Cargo's target folder: `$CARGO_TARGET_DIR`, else the one this binary
/// was built into, else `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            // The binary lives in target/<profile>/.
            let exe = std::env::current_exe().ok()?;
            Some(exe.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// The results folder of a run of `suite`: `given` (`--out`), checked by
/// [`check_out_dir`], or else a fresh one ([`default_out_dir`]).
pub fn out_dir(given: Option<PathBuf>, suite: &str) -> Result<PathBuf> {
    match given {
        Some(out) => {
            check_out_dir(&out)?;
            Ok(out)
        }
        None => default_out_dir(suite),
    }
}

/// `--out` as given: refused as bad input when it, or the nearest part of
/// its path that exists, is not a directory (checked before anything is
/// measured, not when the first result is written).
fn check_out_dir(out: &Path) -> Result<(), BadInput> {
    match out.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists()) {
        Some(existing) if !existing.is_dir() => {
            Err(BadInput(format!("--out {}: {} exists and is not a directory", out.display(), existing.display())))
        }
        _ => Ok(()),
    }
}

/// The default results directory, created empty and this run's alone:
/// `target/ringside/<suite>-<unix time>`, or `<suite>-<unix time>-2`, `-3`,
/// ... when another run started in the same second already has that name.
fn default_out_dir(suite: &str) -> Result<PathBuf> {
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let safe: String = suite.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let runs = target_dir().join("ringside");
    fs::create_dir_all(&runs).with_context(|| format!("{}: cannot create the results folder", runs.display()))?;
    create_unique_dir(&runs, &format!("{safe}-{stamp}"))
}

/// How many names [`create_unique_dir`] tries.
const UNIQUE_DIR_ATTEMPTS: u32 = 1000;

/// Create `parent/stem`, or `parent/stem-2`, `-3`, ... the first of them
/// no one has, and return it. `create_dir` fails on a name that exists
/// (a folder, a file or a symlink, which it never follows), so the folder
/// is this caller's alone even when another process asks at the same time.
fn create_unique_dir(parent: &Path, stem: &str) -> Result<PathBuf> {
    for n in 1..=UNIQUE_DIR_ATTEMPTS {
        let dir = if n == 1 { parent.join(stem) } else { parent.join(format!("{stem}-{n}")) };
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("{}: cannot create", dir.display()))),
        }
    }
    anyhow::bail!("{}: {stem} and {UNIQUE_DIR_ATTEMPTS} variants of it already exist", parent.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two runs started in the same second get folders of their own.
    #[test]
    fn default_folders_asked_for_in_the_same_second_are_distinct() {
        let first = default_out_dir("same-second-test").unwrap();
        let second = default_out_dir("same-second-test").unwrap();
        assert_ne!(first, second);
        for dir in [&first, &second] {
            assert!(dir.is_dir(), "{} was not created", dir.display());
            let name = dir.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with("same-second-test-"), "{name}");
            std::fs::remove_dir(dir).unwrap();
        }
    }

    #[test]
    fn a_taken_name_gets_the_next_suffix_and_a_symlink_counts_as_taken() {
        let parent = tempfile::tempdir().unwrap();
        let victim = parent.path().join("victim");
        std::os::unix::fs::symlink(&victim, parent.path().join("all-7-2")).unwrap();
        let dirs: Vec<PathBuf> = (0..3).map(|_| create_unique_dir(parent.path(), "all-7").unwrap()).collect();
        let names: Vec<&str> = dirs.iter().map(|d| d.file_name().unwrap().to_str().unwrap()).collect();
        assert_eq!(names, ["all-7", "all-7-3", "all-7-4"]);
        assert!(dirs.iter().all(|d| d.is_dir()));
        assert!(!victim.exists());
        let err = create_unique_dir(&parent.path().join("missing"), "x").unwrap_err();
        assert!(format!("{err:#}").contains("missing/x: cannot create"), "{err:#}");
    }
}
