//! Records the compiler, the optimisation level and the git commit the
//! measuring code is built with, for `environment::Environment` (a result
//! measured with an unoptimised build is refused; a result names the source
//! it was measured with, wherever the binary runs from).

use std::env;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_else(|| format!("unknown ({rustc} --version failed)"));
    println!("cargo::rustc-env=RINGSIDE_RUSTC_VERSION={version}");
    println!("cargo::rustc-env=RINGSIDE_OPT_LEVEL={}", env::var("OPT_LEVEL").unwrap_or_default());
    println!("cargo::rustc-env=RINGSIDE_PROFILE={}", env::var("PROFILE").unwrap_or_default());
    println!("cargo::rustc-env=RINGSIDE_GIT_COMMIT={}", git_commit().unwrap_or_default());
}

/// `git rev-parse HEAD` of the checkout this crate is built from, with
/// `-dirty` when a tracked file differs from it; `None` outside a checkout.
/// Rebuilt when HEAD moves, its branch moves, or the index changes.
fn git_commit() -> Option<String> {
    let dir = env::var("CARGO_MANIFEST_DIR").ok()?;
    let git = |args: &[&str]| {
        let out = Command::new("git").arg("-C").arg(&dir).args(args).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "HEAD"])?;
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?, git(&["rev-parse", "--git-path", "index"])?];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch])?);
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"])?);
    }
    for path in watched {
        let path = if std::path::Path::new(&path).is_absolute() { path } else { format!("{dir}/{path}") };
        println!("cargo::rerun-if-changed={path}");
    }
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"])?.is_empty();
    Some(if dirty { format!("{head}-dirty") } else { head })
}
