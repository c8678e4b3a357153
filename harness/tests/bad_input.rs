//! Bad input of every kind the harness takes (command line, environment,
//! suite files, results and noise files) is answered with one line on
//! stderr, `harness: ...`, and exit status 2: never a panic, never a
//! measurement started. The list is the one the faults issue asked for;
//! other files test particular inputs' wording.

use std::path::Path;
use std::process::Command;

/// One bad input: the arguments, the environment, and what the line must say.
struct Case {
    args: Vec<String>,
    env: Vec<(&'static str, &'static str)>,
    says: &'static str,
}

fn case(args: &[&str], says: &'static str) -> Case {
    Case { args: args.iter().map(|a| (*a).to_owned()).collect(), env: Vec::new(), says }
}

/// `harness run` of one pipe scenario with `change` replacing or adding flags.
fn run(change: &[&str], says: &'static str) -> Case {
    let mut args = vec!["run"];
    let defaults = [("--transport", "pipe"), ("--capacity", "bounded:8"), ("--size", "8"), ("--pattern", "stream")];
    for (flag, value) in defaults {
        if !change.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    for (flag, value) in [("--trials", "1"), ("--duration", "20ms")] {
        if !change.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend_from_slice(change);
    case(&args, says)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn every_bad_input_is_one_line_and_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let garbage_toml = write(dir.path(), "garbage.toml", b"not [toml");
    let binary = write(dir.path(), "random.bin", &[0xff, 0xfe, 0x00, 0x80, 0x13, 0x37]);
    let owl = write(dir.path(), "owl.toml", b"[[scenarios]]\ntransports = [\"owl\"]\n");
    let tiny = write(dir.path(), "tiny.toml", b"[[scenarios]]\ntransports = [\"pipe\"]\nsizes = [4]\n");
    let endless = write(
        dir.path(),
        "endless.toml",
        b"repeats = 1000\nrun_ms = 18446744073709551615\n[[scenarios]]\ntransports = [\"pipe\"]\n",
    );
    let nothing = write(dir.path(), "nothing.toml", b"");
    let garbage_json = write(dir.path(), "garbage.json", b"{\"nope\": ");
    let future = write(dir.path(), "future.json", b"{\"schema_version\": 999}");
    let missing = dir.path().join("missing.json").to_str().unwrap().to_owned();

    let mut cases = vec![
        // The command line.
        case(&["bogus"], "unrecognized subcommand"),
        case(&["run"], "required arguments"),
        run(&["--transport", "carrier-pigeon"], "shm-ring"),
        run(&["--capacity", "bounded:0"], "bounded:N"),
        run(&["--capacity", "bounded:x"], "bounded:N"),
        run(&["--capacity", "unbounded:3"], "bounded:N"),
        run(&["--transport", "crossbeam", "--capacity", "bounded:18446744073709551615"], "memory"),
        run(&["--transport", "shm-ring", "--capacity", "bounded:100000000000"], "exceeds the limit"),
        run(&["--transport", "shm-ring", "--capacity", "bounded:1000000000", "--size", "4096"], "memory"),
        run(&["--size", "0"], "sequence number"),
        run(&["--size", "4"], "below 8 bytes"),
        run(&["--size", "-1"], "unexpected argument"),
        run(&["--size", "200000"], "65536"),
        run(&["--pattern", "rate:0"], "rate:R"),
        run(&["--pattern", "rate:99999999999999999999"], "rate:R"),
        run(&["--pattern", "burst"], "stream, pingpong"),
        run(&["--pattern", "loads"], "load (latency against offered load)"),
        run(&["--pattern", "load", "--p99-budget", "fast"], "p99 budget 'fast' must be a latency with its unit"),
        run(&["--pattern", "load", "--p99-budget", "0.5x"], "at least 1x"),
        run(&["--p99-budget", "50us"], "give it with --pattern load"),
        case(&["all", "--quick", "--p99-budget", "0ns"], "at least 1ns"),
        run(&["--placement", "next-door"], "same-core"),
        run(&["--cores", "0,4096"], "may use cores"),
        run(&["--cores", "0"], "two CPU numbers"),
        run(&["--wait", "sideways"], "auto, spin, yield, block"),
        run(&["--wait", "spin"], "kernel"),
        run(&["--producers", "0"], "1 to 64"),
        run(&["--producers", "65"], "1 to 64"),
        run(&["--producers", "2"], "direct link"),
        run(&["--producers", "2", "--transport", "shm-ring"], "one writer"),
        run(&["--producers", "2", "--transport", "posix-mq", "--pattern", "pingpong"], "one initiator"),
        run(&["--trials", "0"], "1..=1000"),
        run(&["--trials", "1001"], "1..=1000"),
        run(&["--warmup-trials", "101"], "0..=100"),
        run(&["--seed", "x"], "invalid digit"),
        run(&["--duration", "5"], "200ms"),
        run(&["--duration", "99999h"], "ms or s"),
        case(&["all", "--trials", "0"], "1..=1000"),
        case(&["all", "--quick", "--transport", "pipe", "--capacity", "bounded:3"], "no scenario"),
        case(&["all", "--quick", "--export", "nosuch", "x.json"], "github-action-benchmark"),
        case(&["all", "--quick", "--baseline", "../../etc"], "baseline name"),
        case(&["floor", "--cores", "0,9999"], "does not exist"),
        case(
            &["all", "--quick", "--transport", "pipe", "--capacity", "bounded:8", "--out", &binary],
            "not a directory",
        ),
        run(&["--out", &format!("{binary}/inside")], "not a directory"),
        case(&["transports", "--capacity", "bounded:0"], "bounded:N"),
        case(&["compare", "--threshold", "abc", "a", "b"], "percentage"),
        case(&["compare", "--threshold", "500", "a", "b"], "percentage"),
        // Files: suites, results, noise profiles.
        case(&["suite", &missing], "missing.json"),
        case(&["suite", &garbage_toml], "expected `=`"),
        case(&["suite", &binary], "UTF-8"),
        case(&["suite", &owl], "transport 'owl' is not one of"),
        case(&["suite", &tiny], "below 8 bytes"),
        case(&["suite", &endless], "trial_ms"),
        case(&["suite", &nothing], "scenarios"),
        case(&["list", "--suite", &garbage_toml], "expected `=`"),
        case(&["report", &missing], "No such file"),
        case(&["report", &garbage_json], "not a ringside results file"),
        case(&["report", &future], "schema version 999"),
        case(&["report", &binary], "UTF-8"),
        case(&["compare", &missing, &missing], "No such file"),
        case(&["compare", "--aa", &garbage_json, &garbage_json], "not a ringside results file"),
        case(&["compare", "--noise", &garbage_json, &garbage_json, &garbage_json], "noise profile"),
    ];
    // The environment.
    for value in ["-1", "abc", "nan", "0", "1e9"] {
        let mut c = run(&[], "RINGSIDE_DEADLINE_BASE_S");
        c.env.push(("RINGSIDE_DEADLINE_BASE_S", value));
        cases.push(c);
    }
    assert!(cases.len() >= 50, "the issue asks for at least 25 distinct bad inputs; {} here", cases.len());
    let mut wrong = Vec::new();
    for c in &cases {
        let out = Command::new(env!("CARGO_BIN_EXE_harness"))
            .args(&c.args)
            .envs(c.env.iter().copied())
            .current_dir(dir.path())
            .output()
            .expect("run harness");
        let err = String::from_utf8_lossy(&out.stderr);
        let one_line = err.lines().count() == 1 && err.starts_with("harness: ");
        if out.status.code() != Some(2) || !one_line || !err.contains(c.says) || err.contains("panicked") {
            wrong.push(format!(
                "{:?} {:?}: status {:?}, stderr {err:?} (should say {:?})",
                c.env,
                c.args,
                out.status.code(),
                c.says
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} bad inputs were not answered in one line with status 2:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
