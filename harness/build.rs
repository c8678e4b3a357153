//! Records the git commit the harness is built from, for the results'
//! `environment.git_commit`: a result names the source it was measured
//! with, wherever the binary runs from. This is the crate that any edit of
//! the workspace's sources rebuilds, so watching them here costs no
//! rebuild that would not happen anyway.

use std::env;
use std::path::Path;
use std::process::Command;

/// The workspace's members: their `src` and manifests make the binary.
const MEMBERS: [&str; 5] = ["bench-core", "harness", "scenarios", "reports", "ci"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-env=RINGSIDE_GIT_COMMIT={}", git_commit().unwrap_or_default());
}

/// `git rev-parse HEAD` of the checkout this crate is built from, with
/// `-dirty` when a source of the binary (a member's `src`, a manifest, the
/// lock file) differs from it; `None` outside a checkout. Rebuilt when
/// HEAD moves, its branch moves, the index changes, or a source is edited.
fn git_commit() -> Option<String> {
    let dir = env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = |args: &[&str]| {
        let out = Command::new("git").arg("-C").arg(&dir).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "HEAD"])?;
    let root = git(&["rev-parse", "--show-toplevel"])?;
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?, git(&["rev-parse", "--git-path", "index"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch])?);
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"])?);
    }
    for path in watched {
        let path = if Path::new(&path).is_absolute() { path } else { format!("{dir}/{path}") };
        println!("cargo::rerun-if-changed={path}");
    }
    // The binary's sources: an edit to one makes the build dirty without
    // touching the index, so each is watched (cargo scans a directory).
    let mut sources = vec!["Cargo.toml".to_owned(), "Cargo.lock".to_owned()];
    for member in MEMBERS {
        sources.extend(["src", "Cargo.toml", "build.rs"].map(|part| format!("{member}/{part}")));
    }
    sources.retain(|s| Path::new(&root).join(s).exists());
    for source in &sources {
        println!("cargo::rerun-if-changed={root}/{source}");
    }
    let mut status = vec!["-C", &root, "status", "--porcelain", "--untracked-files=no", "--"];
    status.extend(sources.iter().map(String::as_str));
    let out = Command::new("git").args(&status).output().ok()?;
    let dirty = !out.status.success() || !out.stdout.is_empty();
    Some(if dirty { format!("{head}-dirty") } else { head })
}
