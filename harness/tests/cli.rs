//! The `harness` binary as a user runs it: exit codes and output shapes.

use std::process::Command;

fn harness(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_harness")).args(args).output().expect("run harness")
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    for args in [&["bogus"][..], &["transports", "--capacity", "bounded:0"], &["all", "--repeat", "0"]] {
        let out = harness(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("harness: "), "{args:?}: {err}");
    }
}

#[test]
fn transports_lists_every_transport_with_its_link() {
    let out = harness(&["transports", "--capacity", "bounded:4", "--size", "32"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for kind in bench_core::transport::TransportKind::ALL {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(kind.name()))
            .unwrap_or_else(|| panic!("{kind} missing from:\n{text}"));
        assert!(line.contains(&kind.link().to_string()), "{line}");
        assert!(line.contains(if kind.is_threads() { "threads" } else { "processes" }), "{line}");
    }
}

#[test]
fn clean_dry_run_succeeds() {
    let out = harness(&["clean", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
