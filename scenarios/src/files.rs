//! How ringside puts an output file in place (results, trial logs, reports,
//! exports, noise profiles, baselines) without ever writing through a link
//! someone else left at its name.
//!
//! An output folder may be shared or old (`--out /tmp/x`), so whatever sits
//! at an output file's name is not trusted: a symlink there (`results.csv
//! -> ~/.bashrc`) must not be followed, and neither may a hard link be
//! written through. So a file is never opened at its final name. Its
//! contents go into a fresh temporary in the same folder, opened with
//! `O_CREAT | O_EXCL` (`create_new`), which by POSIX fails on any existing
//! name, a symlink or a dangling one included, and never follows it; the
//! temporary is then renamed over the destination, and `rename(2)` replaces
//! whatever directory entry is there (a symlink is replaced, not followed)
//! in one step, so a reader sees the old file or the new one, never half.
//!
//! A temporary's name is `.<name>.<pid>-<n>.tmp`, unique to this process;
//! a name that exists anyway (left by a killed run whose pid was reused, or
//! planted) is skipped for the next `n`, never opened. The temporary is
//! removed when the write fails. Nothing is fsynced: the rename protects
//! against the process dying, not against power loss, so measuring is not
//! slowed by the disk.
//!
//! Only the last component of the path is guarded: the folders above it are
//! the caller's, followed as given.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The permissions of an output file before the umask: readable by all, as
/// a plain write under the usual umask makes it.
const MODE: u32 = 0o644;

/// How many existing temporary names are skipped before giving up.
const ATTEMPTS: u64 = 64;

/// The `n` of this process's next temporary name.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// Put a regular file holding `bytes` at `path`, replacing whatever is there
/// (a symlink or hard link is replaced, its target left alone), in one step.
/// An error starts with `path`.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (mut file, temporary) = create_temporary(path)?;
    let written = file.write_all(bytes).map_err(|e| with_path(path, e));
    drop(file);
    written.and_then(|()| rename_into_place(&temporary, path)).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}

/// Put a new empty regular file at `path`, replacing whatever is there as
/// [`replace`] does, and open it for writing: for a log appended to as a
/// run goes (`trials.jsonl`). An error starts with `path`.
pub fn replace_with_empty(path: &Path) -> io::Result<File> {
    let (file, temporary) = create_temporary(path)?;
    rename_into_place(&temporary, path).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })?;
    Ok(file)
}

/// A new regular file beside `path`, under a name no one else had, and that name.
fn create_temporary(path: &Path) -> io::Result<(File, PathBuf)> {
    let name = path
        .file_name()
        .ok_or_else(|| with_path(path, io::Error::new(io::ErrorKind::InvalidInput, "not a file name")))?;
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    for _ in 0..ATTEMPTS {
        // Relaxed: the counter only makes names distinct; nothing else is ordered by it.
        let n = NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed);
        let mut temporary_name = OsString::from(".");
        temporary_name.push(name);
        temporary_name.push(format!(".{}-{n}.tmp", std::process::id()));
        let temporary = folder.join(temporary_name);
        match OpenOptions::new().write(true).create_new(true).mode(MODE).open(&temporary) {
            Ok(file) => return Ok((file, temporary)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            // Named by the file asked for: the temporary is no name the user knows.
            Err(e) => return Err(with_path(path, e)),
        }
    }
    Err(with_path(
        path,
        io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{ATTEMPTS} names for a temporary file beside it already exist"),
        ),
    ))
}

fn rename_into_place(temporary: &Path, path: &Path) -> io::Result<()> {
    fs::rename(temporary, path).map_err(|e| with_path(path, e))
}

/// `e`, with the path that caused it at the front of its message.
fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    use super::*;

    /// A folder with a victim file, and `out/` beside it.
    fn setup() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "victim\n").unwrap();
        let out = dir.path().join("out");
        fs::create_dir(&out).unwrap();
        (dir, victim, out)
    }

    /// The names in `folder`, sorted.
    fn names(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(folder).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn a_symlink_at_the_name_is_replaced_and_its_target_left_alone() {
        let (_dir, victim, out) = setup();
        let dangling = out.join("nowhere");
        for (name, target) in [("results.csv", &victim), ("results.json", &dangling)] {
            symlink(target, out.join(name)).unwrap();
            replace(&out.join(name), b"ours\n").unwrap();
            let meta = fs::symlink_metadata(out.join(name)).unwrap();
            assert!(meta.is_file(), "{name}");
            assert_eq!(meta.permissions().mode() & 0o600, 0o600, "{name}: the owner reads and writes it");
            assert_eq!(fs::read_to_string(out.join(name)).unwrap(), "ours\n");
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim\n");
        assert!(!dangling.exists());
        assert_eq!(names(&out), ["results.csv", "results.json"], "no temporary left");
    }

    #[test]
    fn a_hard_link_at_the_name_is_replaced_and_its_other_name_left_alone() {
        let (_dir, victim, out) = setup();
        fs::hard_link(&victim, out.join("trials.jsonl")).unwrap();
        let mut log = replace_with_empty(&out.join("trials.jsonl")).unwrap();
        writeln!(log, "ours").unwrap();
        assert_eq!(fs::read_to_string(out.join("trials.jsonl")).unwrap(), "ours\n");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim\n");
        assert_eq!(fs::metadata(&victim).unwrap().nlink(), 1);
    }

    #[test]
    fn an_empty_log_replaces_a_symlink_and_the_file_handed_back_is_the_one_in_place() {
        let (_dir, victim, out) = setup();
        let log_path = out.join("trials.jsonl");
        symlink(&victim, &log_path).unwrap();
        let mut log = replace_with_empty(&log_path).unwrap();
        writeln!(log, "one").unwrap();
        writeln!(log, "two").unwrap();
        assert!(fs::symlink_metadata(&log_path).unwrap().is_file());
        assert_eq!(fs::read_to_string(&log_path).unwrap(), "one\ntwo\n");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim\n");
    }

    /// Symlinks planted at the next temporary names this process will try
    /// are skipped, not followed.
    #[test]
    fn symlinks_at_the_temporary_names_are_skipped_not_followed() {
        let (_dir, victim, out) = setup();
        let next = NEXT_TEMPORARY.load(Ordering::Relaxed);
        let pid = std::process::id();
        for n in next..next + ATTEMPTS / 2 {
            symlink(&victim, out.join(format!(".report.html.{pid}-{n}.tmp"))).unwrap();
        }
        replace(&out.join("report.html"), b"<html>").unwrap();
        assert_eq!(fs::read_to_string(out.join("report.html")).unwrap(), "<html>");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "victim\n");
    }

    #[test]
    fn a_folder_at_the_name_or_no_folder_is_an_error_naming_the_path() {
        let (_dir, _victim, out) = setup();
        fs::create_dir(out.join("results.json")).unwrap();
        let err = replace(&out.join("results.json"), b"{}").unwrap_err().to_string();
        assert!(err.starts_with(&out.join("results.json").display().to_string()), "{err}");
        assert_eq!(names(&out), ["results.json"], "the temporary is removed");
        let missing = out.join("missing/results.csv");
        let err = replace(&missing, b"").unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}: ", missing.display())), "{err}");
        let err = replace(Path::new("/"), b"").unwrap_err().to_string();
        assert!(err.contains("not a file name"), "{err}");
    }
}
