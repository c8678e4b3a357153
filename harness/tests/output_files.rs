//! The files the `harness` binary writes never follow a symlink someone
//! planted where one of them goes: a run into an `--out` folder that holds
//! `results.csv -> ~/.bashrc` (or `trials.jsonl`, `results.json`,
//! `report.html`, or the name of a temporary beside them) replaces the link
//! with its own regular file and leaves the link's target as it was; so do
//! `compare`'s markdown, noise profile, exports and comparison page.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const VICTIM_TEXT: &str = "export PATH=/usr/bin # someone else's file\n";

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(args)
        .env_remove("RINGSIDE_BASELINES")
        .output()
        .expect("run harness")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Plant `at -> victims/<name of at>`, the victim holding [`VICTIM_TEXT`];
/// returns the victim.
fn plant(at: &Path, victims: &Path) -> PathBuf {
    let victim = victims.join(at.file_name().unwrap());
    fs::write(&victim, VICTIM_TEXT).unwrap();
    symlink(&victim, at).unwrap();
    victim
}

/// Every victim still holds what it held.
fn assert_untouched(planted: &[(PathBuf, PathBuf)]) {
    for (at, victim) in planted {
        assert_eq!(fs::read_to_string(victim).unwrap(), VICTIM_TEXT, "{} was written through", at.display());
    }
}

/// `path` is a regular file (not a symlink) with something in it.
fn assert_written(path: &Path) {
    let meta = fs::symlink_metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(meta.is_file(), "{} is not a regular file", path.display());
    assert!(meta.len() > 0, "{} is empty", path.display());
}

#[test]
fn a_run_into_a_folder_of_planted_symlinks_writes_none_of_their_targets() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victims) = (dir.path().join("out"), dir.path().join("victims"));
    fs::create_dir(&out).unwrap();
    fs::create_dir(&victims).unwrap();
    let names = ["results.json", "results.csv", "trials.jsonl", "report.html", "results.json.tmp", "results.csv.tmp"];
    let planted: Vec<(PathBuf, PathBuf)> = names.iter().map(|n| (out.join(n), plant(&out.join(n), &victims))).collect();

    let run = harness(&[
        "run",
        "--transport",
        "pipe",
        "--capacity",
        "bounded:8",
        "--size",
        "8",
        "--pattern",
        "stream",
        "--trials",
        "1",
        "--duration",
        "20ms",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(0), "{}{}", text(&run.stdout), text(&run.stderr));
    assert_untouched(&planted);
    for name in ["results.json", "results.csv", "trials.jsonl", "report.html"] {
        assert_written(&out.join(name));
    }
    assert!(fs::read_to_string(out.join("trials.jsonl")).unwrap().contains("pipe/bounded:8/"));
}

#[test]
fn compare_writes_none_of_the_targets_of_symlinks_planted_where_its_files_go() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victims) = (dir.path().join("out"), dir.path().join("victims"));
    fs::create_dir(&out).unwrap();
    fs::create_dir(&victims).unwrap();
    let names = [
        "summary.md",
        "noise.json",
        "comparison.html",
        "bmf.json",
        "gab.bigger-is-better.json",
        "gab.smaller-is-better.json",
    ];
    let planted: Vec<(PathBuf, PathBuf)> = names.iter().map(|n| (out.join(n), plant(&out.join(n), &victims))).collect();
    let path = |name: &str| out.join(name).to_str().unwrap().to_owned();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../reports/tests/fixtures/quick.json");
    let f = fixture.to_str().unwrap();

    let compare = harness(&[
        "compare",
        "--aa",
        f,
        f,
        "--save-noise",
        &path("noise.json"),
        "--markdown",
        &path("summary.md"),
        "--report",
        &path("comparison.html"),
        "--export",
        "bencher",
        &path("bmf.json"),
        "--export",
        "github-action-benchmark",
        &path("gab.json"),
    ]);
    assert_eq!(compare.status.code(), Some(0), "{}{}", text(&compare.stdout), text(&compare.stderr));
    assert_untouched(&planted);
    for name in names {
        assert_written(&out.join(name));
    }
}
