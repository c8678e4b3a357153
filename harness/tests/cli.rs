//! The `harness` binary as a user runs it: exit codes and output shapes.

use std::process::Command;

fn harness(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_harness")).args(args).output().expect("run harness")
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    for args in [&["bogus"][..], &["transports", "--capacity", "bounded:0"], &["all", "--trials", "0"]] {
        let out = harness(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("harness: "), "{args:?}: {err}");
    }
}

/// A setting from the environment is input like any other: a deadline
/// base that is not a number of seconds in range is refused in one line
/// (a negative one used to panic turning it into a duration).
#[test]
fn a_bad_deadline_base_in_the_environment_is_one_line_and_status_2() {
    for value in ["-1", "abc", "nan", "inf", "0", "1e9", ""] {
        let out = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(["run", "--transport", "pipe", "--capacity", "bounded:8", "--size", "8", "--pattern", "stream"])
            .env("RINGSIDE_DEADLINE_BASE_S", value)
            .output()
            .expect("run harness");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{value:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{value:?}: {err}");
        assert!(err.starts_with("harness: RINGSIDE_DEADLINE_BASE_S="), "{value:?}: {err}");
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
        let senders = line.split_whitespace().nth(3);
        assert_eq!(senders, Some(if kind.many_senders().is_ok() { "many" } else { "one" }), "{line}");
        if let Err(why) = kind.many_senders() {
            assert!(text.lines().any(|l| l.trim_start().starts_with(kind.name()) && l.ends_with(why)), "{kind}");
        }
    }
}

#[test]
fn clean_dry_run_succeeds() {
    let out = harness(&["clean", "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `harness run` with these arguments after the common ones.
fn run_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["run", "--trials", "1"];
    v.extend_from_slice(extra);
    v
}

#[test]
fn bad_run_input_names_the_valid_choices() {
    let base = ["--capacity", "bounded:8", "--size", "64", "--pattern", "stream", "--duration", "20ms"];
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--transport", "carrier-pigeon"], "shm-ring"),
        (vec!["--transport", "pipe", "--capacity", "bounded:x"], "rendezvous, bounded:N"),
        (vec!["--transport", "pipe", "--size", "0"], "sequence number"),
        (vec!["--transport", "pipe", "--size", "200000"], "65536"),
        (vec!["--transport", "posix-mq", "--capacity", "bounded:1", "--size", "100000"], "posix-mq"),
        (vec!["--transport", "pipe", "--pattern", "rate:0"], "stream, pingpong, rate:R"),
        (vec!["--transport", "pipe", "--placement", "next-door"], "same-core, smt-sibling"),
        (vec!["--transport", "pipe", "--cores", "0,4096"], "may use cores"),
        (vec!["--transport", "pipe", "--duration", "5"], "200ms"),
    ];
    for (args, expect) in cases {
        let mut all = run_args(&args);
        // Defaults for whatever the case did not set.
        for pair in base.chunks(2) {
            if !args.contains(&pair[0]) {
                all.extend_from_slice(pair);
            }
        }
        let out = harness(&all);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{all:?}: {err}");
        assert!(err.contains(expect), "{all:?}: {err:?} should mention {expect:?}");
    }
}

#[test]
fn a_bad_wait_is_one_line_naming_the_choices_and_status_2() {
    let run = ["run", "--transport", "shm-ring", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"];
    let cases: [&[&str]; 5] = [
        &[&run[..], &["--wait", "nap"]].concat(),
        &["all", "--wait", "Spin"],
        &["all", "--quick", "--wait", ""],
        &["suite", "/nonexistent/suite.toml", "--wait", "sleep"],
        &["list", "--wait", "busy"],
    ];
    for args in cases {
        let out = harness(args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("harness: ") && err.contains("auto, spin, yield, block"), "{args:?}: {err}");
    }
}

#[test]
fn a_wait_for_a_transport_that_waits_in_the_kernel_is_refused() {
    for (transport, where_) in [("pipe", "pipe waits in the kernel"), ("crossbeam", "crossbeam waits inside")] {
        let out = harness(&[
            "run",
            "--transport",
            transport,
            "--capacity",
            "bounded:8",
            "--size",
            "64",
            "--pattern",
            "stream",
            "--wait",
            "spin",
            "--duration",
            "20ms",
        ]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{transport}: {err}");
        assert_eq!(err.lines().count(), 1, "{transport}: {err}");
        assert!(err.contains(where_), "{err}");
        assert!(err.contains("shm-ring, shm-ring:padded, shm-ring:textbook, eventfd-shm"), "{err}");
    }
}

#[test]
fn spinning_on_one_shared_core_is_refused() {
    let out = harness(&[
        "run",
        "--transport",
        "shm-ring",
        "--capacity",
        "bounded:8",
        "--size",
        "64",
        "--pattern",
        "pingpong",
        "--cores",
        "0,0",
        "--wait",
        "spin",
        "--duration",
        "20ms",
    ]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("spin waits on one shared core make no progress"), "{err}");
}

#[test]
fn list_shows_explicit_waits_in_the_ids_and_wait_sets_them_where_they_apply() {
    let out = harness(&["list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    for pattern in ["stream", "pingpong", "rate:10000"] {
        for wait in ["spin", "yield", "block"] {
            let id = format!("/64B/{pattern}/");
            let suffix = format!("/wait:{wait}");
            assert!(
                text.lines().any(|l| l.trim().starts_with("shm-ring/") && l.contains(&id) && l.ends_with(&suffix)),
                "all lacks shm-ring {pattern} {wait}:\n{text}"
            );
        }
    }
    let out = harness(&["list", "--quick", "--wait", "block", "--transport", "shm-ring,pipe,eventfd-shm"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let ids: Vec<&str> = text.lines().map(str::trim).filter(|l| l.contains("B/")).collect();
    assert!(!ids.is_empty(), "{text}");
    for id in ids {
        let user_space = id.starts_with("shm-ring/") || id.starts_with("eventfd-shm/");
        assert_eq!(id.ends_with("/wait:block"), user_space, "{id}");
        assert!(!id.contains("wait:") || user_space, "{id}");
    }
}

#[test]
fn a_missing_suite_file_or_a_filter_matching_nothing_is_bad_input() {
    for args in [&["suite", "/nonexistent/suite.toml"][..], &["list", "--transport", "pipe", "--size", "12345"]] {
        let out = harness(args);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn list_shows_placements_and_every_transport_and_capacity_mode_of_quick() {
    let out = harness(&["list", "--quick"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("same-core"), "{text}");
    for kind in bench_core::transport::TransportKind::ALL {
        for cap in ["rendezvous", "bounded:", "unbounded"] {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(&format!("{}/{cap}", kind.name()))),
                "{kind} {cap} missing from:\n{text}"
            );
        }
    }
}

/// A capacity whose buffer the machine cannot hold is refused in one line
/// before anything is allocated (crossbeam's panicked on an overflow, or
/// aborted the harness allocating terabytes).
#[test]
fn a_capacity_the_machine_cannot_hold_is_one_line_and_status_2() {
    for (transport, capacity) in [
        ("crossbeam", "bounded:18446744073709551615"),
        ("crossbeam", "bounded:100000000000"),
        ("crossbeam", "bounded:1000000000"),
        ("shm-ring", "bounded:1000000000"),
        ("shm-ring", "bounded:18446744073709551615"),
    ] {
        let out =
            harness(&["run", "--transport", transport, "--capacity", capacity, "--size", "8", "--pattern", "stream"]);
        let err = String::from_utf8(out.stderr).unwrap();
        let what = format!("{transport} {capacity}: {err}");
        assert_eq!(out.status.code(), Some(2), "{what}");
        let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("warning:")).collect();
        assert_eq!(lines.len(), 1, "{what}");
        assert!(lines[0].starts_with("harness: ") && lines[0].contains("cannot run"), "{what}");
    }
}

/// `harness clean` removes a dead run's directory, which carries ringside's
/// owner mark, and leaves alone one that only looks like it: a directory
/// named `ringside-<dead pid>-...` without the mark is somebody else's.
#[test]
fn clean_removes_only_directories_ringside_made() {
    use std::os::unix::fs::DirBuilderExt;
    // Above any pid_max, so never a running process.
    let dead = 9_999_999u32;
    let tmp = std::env::temp_dir();
    let lookalike = tmp.join(format!("ringside-{dead}-x"));
    let stale = tmp.join(format!("ringside-{dead}-0-dir"));
    for dir in [&lookalike, &stale] {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::DirBuilder::new().mode(0o700).create(dir).unwrap();
    }
    std::fs::write(lookalike.join("data"), b"not ringside's").unwrap();
    let pidns = std::fs::read_link("/proc/self/ns/pid").unwrap();
    std::fs::write(stale.join(".ringside-owner"), format!("ringside pid {dead} pidns {}\n", pidns.display())).unwrap();

    let out = harness(&["clean"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let kept = lookalike.join("data").exists();
    let removed = !stale.exists();
    let _ = std::fs::remove_dir_all(&lookalike);
    let _ = std::fs::remove_dir_all(&stale);
    assert!(kept, "clean removed a directory it did not make");
    assert!(removed, "clean left a dead run's directory");
}

/// Suite files are input too: a message size too small for the sequence
/// number, or a trial length a `Duration` cannot hold, is refused in one
/// line with status 2 (the first was run and failed, the second panicked).
#[test]
fn a_suite_file_out_of_range_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, says) in [
        ("small.toml", "[[scenarios]]\ntransports = [\"pipe\"]\nsizes = [4]\n", "sizes: 4 is below 8 bytes"),
        (
            "long.toml",
            "repeats = 1000\nrun_ms = 18446744073709551615\n[[scenarios]]\ntransports = [\"pipe\"]\n",
            "trial_ms is 18446744073709551615",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = harness(&["suite", path.to_str().unwrap()]);
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
    }
}

/// `harness run --pattern load` measures the stream, then sweeps: the
/// printed table has a row per step and a knee line, and results.json a
/// load curve of the same steps (shapes only; the figures are the
/// machine's). Short: one trial each, 5 ms trials, a fast transport.
#[test]
fn a_load_sweep_prints_its_curve_and_records_it() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("load");
    let out = harness(&[
        "run",
        "--transport",
        "shm-ring",
        "--capacity",
        "bounded:8",
        "--size",
        "64",
        "--pattern",
        "load",
        "--p99-budget",
        "20x",
        "--trials",
        "1",
        "--warmup-trials",
        "0",
        "--duration",
        "5ms",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    let header = text.lines().position(|l| l.trim_start().starts_with("offered/s")).expect(&text);
    for column in ["achieved/s", "p50", "p99", "p99.9", "max", "kept up"] {
        assert!(text.lines().nth(header).unwrap().contains(column), "{text}");
    }
    let steps: Vec<&str> = text.lines().skip(header + 1).take_while(|l| !l.contains("knee")).collect();
    assert_eq!(steps.len(), scenarios::load::STEPS as usize, "{text}");
    let knee_line = text.lines().skip(header + 1).find(|l| l.contains("knee")).expect(&text);
    assert!(knee_line.contains("saturation"), "{knee_line}");

    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("results.json")).unwrap()).unwrap();
    let curves = json["load_curves"].as_array().unwrap();
    assert_eq!(curves.len(), 1);
    let curve = &curves[0];
    let stream_id = json["scenarios"][0]["id"].as_str().unwrap();
    assert!(stream_id.starts_with("shm-ring/bounded:8/64B/stream/"), "{stream_id}");
    assert_eq!(curve["id"].as_str().unwrap(), stream_id.replace("/stream/", "/load/"));
    assert_eq!(curve["budget"], "20x");
    assert_eq!(curve["saturation_source"]["scenario"], json["scenarios"][0]["id"]);
    let steps = curve["steps"].as_array().unwrap();
    assert_eq!(steps.len(), scenarios::load::STEPS as usize);
    let offered: Vec<u64> = steps.iter().map(|s| s["offered"].as_u64().unwrap()).collect();
    assert!(offered.windows(2).all(|w| w[0] < w[1]), "{offered:?}");
    for s in steps {
        for field in ["achieved", "p50_ns", "p99_ns", "p999_ns", "max_ns", "samples", "kept_up", "status", "trials"] {
            assert!(s.get(field).is_some(), "{field} missing: {s}");
        }
    }
    assert!(curve.get("knee").is_some() && curve.get("saturation").is_some());
    // The steps are not scenarios: the stream alone is.
    assert_eq!(json["scenarios"].as_array().unwrap().len(), 1);
}
