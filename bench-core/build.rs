//! Records the compiler and the optimisation level the measuring code is
//! built with, for `environment::Environment` (a result measured with an
//! unoptimised build is refused). The git commit is the harness's to
//! record (`harness/build.rs`): it is the crate that every source edit
//! rebuilds anyway.

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
}
