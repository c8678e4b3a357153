//! Worker lifecycle, end to end through the binary: every pattern writes a
//! results file in the documented schema with clean integrity; a worker
//! killed, or hung past its deadline, fails its scenario with the reason
//! and leaves no process or IPC object behind; Ctrl-C keeps what was
//! finished. No timing is asserted: deadlines here only stop a broken
//! harness from hanging the test run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use scenarios::results::{ResultsFile, Status};
use vocabulary::Capacity;

/// The tests of this file run one at a time: each checks that no System V
/// queue of ringside's is left, which another test's live run would have.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn harness() -> Command {
    Command::new(env!("CARGO_BIN_EXE_harness"))
}

/// Start `harness ARGS --out OUT` with `env` set, its output discarded (the
/// test reads `results.json`), for a test that signals it while it runs.
fn spawn_harness(args: &[&str], out: &Path, env: &[(&str, &str)]) -> Child {
    harness()
        .args(args)
        .arg("--out")
        .arg(out)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start harness")
}

fn out_dir(tag: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new().prefix(&format!("ringside-test-{tag}-")).tempdir().expect("temp dir");
    let out = dir.path().join("out");
    (dir, out)
}

fn read(out: &Path) -> ResultsFile {
    ResultsFile::read(&out.join("results.json")).expect("a readable results file")
}

/// Wait for `child` to exit, killing it (and failing) after `limit`.
fn wait_bounded(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > until {
            child.kill().ok();
            panic!("the harness did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pids of `pid`'s children whose job is `role`.
fn workers(pid: u32, role: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return found };
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()) {
            let environ = std::fs::read(format!("/proc/{child}/environ")).unwrap_or_default();
            if String::from_utf8_lossy(&environ).contains(&format!("\"role\":\"{role}\"")) {
                found.push(child);
            }
        }
    }
    found
}

fn wait_for_worker(pid: u32, role: &str) -> u32 {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(&w) = workers(pid, role).first() {
            return w;
        }
        assert!(Instant::now() < until, "no {role} worker appeared");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status().expect("kill").success();
    assert!(ok, "kill -{sig} {pid}");
}

/// IPC objects whose names carry `pid`, or System V queues it created.
fn leftovers(pid: u32) -> Vec<String> {
    let prefix = format!("ringside-{pid}-");
    let mut left = Vec::new();
    for dir in ["/dev/shm", "/dev/mqueue", "/tmp"] {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(&prefix) {
                left.push(format!("{dir}/{name}"));
            }
        }
    }
    if let Ok(runtime) = std::env::var("XDG_RUNTIME_DIR") {
        for e in std::fs::read_dir(runtime).into_iter().flatten().flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                left.push(e.path().display().to_string());
            }
        }
    }
    // /proc/sysvipc/msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid ... (cpid is not listed;
    // ringside's keys start 0x5253 and a queue whose last pids are this run's is this run's).
    let msg = std::fs::read_to_string("/proc/sysvipc/msg").unwrap_or_default();
    for line in msg.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let ours = f
            .first()
            .and_then(|k| k.parse::<i64>().ok())
            .is_some_and(|k| format!("{:08x}", k as u32).starts_with("5253"));
        if ours {
            left.push(format!("sysv queue {}", f.get(1).unwrap_or(&"?")));
        }
    }
    left
}

fn gone(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        // A zombie still has a /proc entry; its state is Z.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(s) if s.rsplit(')').next().is_some_and(|rest| rest.trim_start().starts_with('Z')) => return true,
            Ok(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    false
}

#[test]
fn every_pattern_writes_schema_results_with_clean_integrity() {
    let _serial = serial();
    let cases = [
        ("pipe", "bounded:16", "stream", 64),
        ("shm-ring", "bounded:64", "pingpong", 8),
        // Each side's rendezvous send waits for the other to take its message.
        ("shm-ring", "rendezvous", "pingpong", 64),
        ("pipe", "rendezvous", "pingpong", 64),
        ("sysv-mq", "bounded:8", "rate:2000", 128),
        ("crossbeam", "unbounded", "stream", 64),
        ("unix-stream", "rendezvous", "stream", 4096),
        ("shm-ring:textbook", "unbounded", "rate:5000", 64),
    ];
    for (transport, capacity, pattern, size) in cases {
        let (_dir, out) = out_dir(transport);
        let size = size.to_string();
        let output = harness()
            .args(["run", "--transport", transport, "--capacity", capacity, "--size", &size, "--pattern", pattern])
            .args(["--trials", "4", "--duration", "30ms", "--out"])
            .arg(&out)
            .output()
            .expect("run harness");
        let what = format!("{transport} {capacity} {pattern}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{what}");
        let file = read(&out);
        assert!(file.finished_unix.is_some(), "{what}");
        let [s] = file.scenarios.as_slice() else { panic!("one scenario expected: {what}") };
        // Keeping a rate is a matter of timing on a shared machine, so
        // `unsustained` with its reason is a correct outcome for a rate run
        // too (its figures are still all there); anything else is not.
        let rate_missed = pattern.starts_with("rate:")
            && s.status == Status::Unsustained
            && s.reason.as_deref().is_some_and(|r| r.contains("asked for"));
        // So is a machine that changed state under too many trials: the
        // status says so and every trial is kept.
        let few = s.status == Status::FewTrials && s.reason.as_deref().is_some_and(|r| r.contains("reference state"));
        assert!(s.status == Status::Ok || rate_missed || few, "{what}: {:?} {:?}", s.status, s.reason);
        assert!(s.integrity.is_clean() && s.integrity.sent > 0, "{what}: {:?}", s.integrity);
        assert_eq!(s.trials.len(), 4, "{what}");
        assert_eq!(s.selection.used + s.selection.set_aside, 4, "{what}");
        assert!(s.trials.iter().all(|t| t.probe.is_some() == (bench_core::pin::available_cores().len() > 1)));
        assert!(s.trials.iter().all(|t| t.used == t.set_aside.is_none()), "{what}: every set-aside trial says why");
        if few {
            continue;
        }
        assert!(s.cores.is_some() && s.relation.is_some(), "{what}");
        match pattern {
            "stream" => {
                let m = s.msgs_per_s.expect("throughput");
                assert!(m.low <= m.median && m.median <= m.high && m.median > 0.0, "{what}: {m:?}");
            }
            _ => {
                let l = s.latency.as_ref().expect("latency");
                let p50 = l.merged.p50.expect("p50 of thousands of samples");
                assert!(l.merged.count > 0 && p50 > 0.0 && l.merged.p90.is_none_or(|p90| p50 <= p90), "{what}");
                assert_eq!(Some(l.kind), s.pattern.latency_kind(), "{what}");
                let merged = bench_core::workload::histogram::decode(&l.histogram).expect("histogram decodes");
                let per_trial: u64 = s
                    .used_trials()
                    .map(|t| bench_core::workload::histogram::decode(t.histogram.as_ref().unwrap()).unwrap().len())
                    .sum();
                assert_eq!(merged.len(), per_trial, "{what}: merged histogram holds every used trial's samples");
            }
        }
        let cpu = s.cpu.expect("cpu");
        assert!(cpu.producer.total_s() + cpu.consumer.total_s() > 0.0, "{what}");
        let csv = std::fs::read_to_string(out.join("results.csv")).expect("results.csv");
        assert_eq!(csv.lines().count(), 2, "{what}: {csv}");
    }
}

#[test]
fn the_wait_strategy_is_recorded_in_the_results_and_the_csv() {
    let _serial = serial();
    let two_cores = bench_core::pin::available_cores().len() > 1;
    // An explicit block, and the harness's own choice (spin on two cores, block on one).
    for (wait, used, suffix) in
        [("block", "block", "/wait:block"), ("auto", if two_cores { "spin" } else { "block" }, "")]
    {
        let (_dir, out) = out_dir(&format!("wait-{wait}"));
        let output = harness()
            .args(["run", "--transport", "shm-ring", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"])
            .args(["--wait", wait, "--trials", "3", "--duration", "20ms", "--out"])
            .arg(&out)
            .output()
            .expect("run harness");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let what = format!("--wait {wait}: {stdout}{}", String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "{what}");
        let value: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
        let s = &value["scenarios"][0];
        let placement = s["placement"].as_str().unwrap();
        assert_eq!(s["id"], format!("shm-ring/bounded:8/64B/stream/{placement}{suffix}"), "{what}");
        assert_eq!((s["wait_asked"].as_str(), s["wait"].as_str()), (Some(wait), Some(used)), "{what}");
        let csv = std::fs::read_to_string(out.join("results.csv")).expect("results.csv");
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0].split(',').next_back(), Some("wait"), "{csv}");
        assert_eq!(lines[1].split(',').next_back(), Some(used), "{csv}");
        // The terminal detail says it on a line of its own.
        let line = stdout.lines().find(|l| l.trim_start().starts_with("wait ")).unwrap_or_else(|| panic!("{what}"));
        assert!(line.contains(used), "{line}");
    }
    // A kernel transport records none.
    let (_dir, out) = out_dir("wait-pipe");
    let output = harness()
        .args(["run", "--transport", "pipe", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"])
        .args(["--trials", "3", "--duration", "20ms", "--out"])
        .arg(&out)
        .output()
        .expect("run harness");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let file = read(&out);
    assert_eq!((file.scenarios[0].wait, file.scenarios[0].wait_asked), (None, scenarios::Wait::Auto));
    assert!(String::from_utf8_lossy(&output.stdout).contains("in the kernel"));
}

#[test]
fn results_json_has_exactly_the_documented_fields() {
    let _serial = serial();
    let (_dir, out) = out_dir("schema");
    // A scenario with a figure has every field; on a machine that changes
    // state, too few of its trials may make one (status few-trials): then
    // it is measured again, at most five times.
    let mut value = serde_json::Value::Null;
    for _ in 0..5 {
        let status = harness()
            .args(["run", "--transport", "pipe", "--capacity", "bounded:4", "--size", "16", "--pattern", "pingpong"])
            .args(["--trials", "5", "--duration", "20ms", "--out"])
            .arg(&out)
            .output()
            .expect("run harness");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        value = serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
        if value["scenarios"][0]["status"] == "ok" {
            break;
        }
    }
    assert_eq!(value["scenarios"][0]["status"], "ok", "{}", value["scenarios"][0]["reason"]);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
        k.sort();
        k
    };
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/results-schema.md"))
        .expect("docs/results-schema.md");
    // Every field written is documented (as `name`).
    let scenario = &value["scenarios"][0];
    for (what, v) in [
        ("top level", &value),
        ("environment", &value["environment"]),
        ("method", &value["method"]),
        ("floor", &value["floors"][0]),
        ("scenario", scenario),
        ("latency", &scenario["latency"]),
        ("percentiles", &scenario["latency"]["merged"]),
        ("cpu", &scenario["cpu"]),
        ("integrity", &scenario["integrity"]),
        ("selection", &scenario["selection"]),
        ("trial", &scenario["trials"][0]),
        ("probe", &scenario["trials"][0]["probe"]),
        ("machine", &value["machine"][0]),
        ("state", &value["machine"][0]["states"][0]),
    ] {
        if v.is_null() && matches!(what, "probe" | "machine" | "state") && bench_core::pin::available_cores().len() < 2
        {
            continue; // nothing is probed on one core
        }
        for k in keys(v) {
            assert!(doc.contains(&format!("`{k}`")), "{what} field `{k}` is not documented in docs/results-schema.md");
        }
    }
    assert_eq!(value["schema_version"], scenarios::results::SCHEMA_VERSION);
}

#[test]
fn a_killed_worker_fails_its_scenario_and_leaves_nothing_behind() {
    let _serial = serial();
    let (_dir, out) = out_dir("kill");
    let run = ["run", "--transport", "sysv-mq", "--capacity", "bounded:64", "--size", "64", "--pattern", "stream"];
    let mut child =
        spawn_harness(&[&run[..], &["--trials", "1", "--warmup-trials", "0", "--duration", "60s"]].concat(), &out, &[]);
    let pid = child.id();
    let consumer = wait_for_worker(pid, "consumer");
    let producer = wait_for_worker(pid, "producer");
    std::thread::sleep(Duration::from_millis(200));
    signal(consumer, "KILL");
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(1));
    let file = read(&out);
    let s = &file.scenarios[0];
    assert_eq!(s.status, Status::Failed);
    let reason = s.reason.as_deref().unwrap_or("");
    assert!(reason.contains("consumer") && reason.contains("signal 9"), "{reason}");
    assert!(gone(producer), "the producer worker outlived the run");
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

#[test]
fn a_hung_worker_is_killed_at_its_deadline() {
    let _serial = serial();
    let (_dir, out) = out_dir("hang");
    let run = ["run", "--transport", "fifo", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"];
    let args = [&run[..], &["--trials", "1", "--warmup-trials", "0", "--duration", "100ms"]].concat();
    let mut child = spawn_harness(&args, &out, &[("RINGSIDE_DEADLINE_BASE_S", "2")]);
    let pid = child.id();
    let consumer = wait_for_worker(pid, "consumer");
    let producer = wait_for_worker(pid, "producer");
    signal(consumer, "STOP");
    let status = wait_bounded(&mut child, Duration::from_secs(120));
    assert_eq!(status.code(), Some(1));
    let s = &read(&out).scenarios[0];
    assert_eq!(s.status, Status::Failed);
    let reason = s.reason.as_deref().unwrap_or("");
    assert!(reason.contains("killed"), "{reason}");
    assert!(gone(consumer) && gone(producer), "a worker outlived the run");
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

/// A worker that stops in the middle of a long run is found by its lack of
/// progress, not at the run's deadline: here that deadline is hours away
/// (20 s + 40 x 10 min), so only the progress watch can end the run within
/// the test's bound.
#[test]
fn a_stopped_worker_is_found_by_its_lack_of_progress_whatever_the_run_length() {
    let _serial = serial();
    for (transport, role) in [("pipe", "consumer"), ("shm-ring", "producer")] {
        let (_dir, out) = out_dir("stall");
        let run = ["run", "--transport", transport, "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"];
        let args = [&run[..], &["--trials", "1", "--warmup-trials", "0", "--duration", "600s"]].concat();
        let mut child = spawn_harness(&args, &out, &[]);
        let pid = child.id();
        let stopped = wait_for_worker(pid, role);
        let other = wait_for_worker(pid, if role == "consumer" { "producer" } else { "consumer" });
        std::thread::sleep(Duration::from_millis(300));
        signal(stopped, "STOP");
        let status = wait_bounded(&mut child, Duration::from_secs(90));
        assert_eq!(status.code(), Some(1), "{transport}");
        let s = &read(&out).scenarios[0];
        assert_eq!(s.status, Status::Failed, "{transport}");
        let reason = s.reason.as_deref().unwrap_or("");
        assert!(reason.contains("no message moved") && reason.contains("killed"), "{transport}: {reason}");
        assert!(gone(stopped) && gone(other), "{transport}: a worker outlived the run");
        assert_eq!(leftovers(pid), Vec::<String>::new(), "{transport}");
    }
}

#[test]
fn ctrl_c_keeps_finished_results_and_removes_every_object() {
    let _serial = serial();
    let (_dir, out) = out_dir("interrupt");
    let mut child = spawn_harness(&["all", "--quick", "--transport", "posix-mq,fifo,shm-ring,sysv-mq"], &out, &[]);
    let pid = child.id();
    // Interrupt once the first round is written, in the middle of a later trial.
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let finished = ResultsFile::read(&out.join("results.json")).map(|f| f.scenarios.len()).unwrap_or(0);
        if finished >= 1 && !workers(pid, "producer").is_empty() {
            break;
        }
        assert!(Instant::now() < until, "no scenario finished");
        assert!(child.try_wait().unwrap().is_none(), "the harness ended before it could be interrupted");
        std::thread::sleep(Duration::from_millis(5));
    }
    let running: Vec<u32> = [workers(pid, "producer"), workers(pid, "consumer")].concat();
    signal(pid, "INT");
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    assert_eq!(status.code(), Some(130));
    let file = read(&out);
    assert!(!file.scenarios.is_empty());
    assert!(file.finished_unix.is_none(), "an interrupted run must not claim to have finished");
    // Every finished trial is kept, those of the unfinished round too: one
    // line each in trials.jsonl, at least as many as results.json holds.
    let log = std::fs::read_to_string(out.join("trials.jsonl")).expect("trials.jsonl");
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let in_results: usize = file.scenarios.iter().map(|s| s.trials.len()).sum();
    assert!(lines.len() >= in_results && in_results > 0, "{} lines, {in_results} trials in results.json", lines.len());
    assert!(lines.iter().all(|l| l["scenario"].is_string() && l["trial"]["round"].is_u64()));
    for w in running {
        assert!(gone(w), "worker {w} outlived the interrupted harness");
    }
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

#[test]
fn all_quick_measures_every_transport_in_every_capacity_mode() {
    let _serial = serial();
    let (_dir, out) = out_dir("quick");
    let output = harness().args(["all", "--quick", "--out"]).arg(&out).output().expect("run harness");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let file = read(&out);
    assert!(file.finished_unix.is_some() && file.valid);
    for kind in bench_core::transport::TransportKind::ALL {
        for mode in [Capacity::Rendezvous, Capacity::Bounded(1), Capacity::Unbounded] {
            let same_mode = |c: Capacity| std::mem::discriminant(&c) == std::mem::discriminant(&mode);
            // Measured: `few-trials` says only that the machine's state
            // moved under the trials (a noisy host), not the transport.
            let measured = file.scenarios.iter().any(|s| {
                s.transport == kind && same_mode(s.capacity) && matches!(s.status, Status::Ok | Status::FewTrials)
            });
            assert!(measured, "{kind} {mode} was not measured cleanly:\n{stdout}");
        }
    }
    for s in &file.scenarios {
        assert!(s.integrity.is_clean(), "{}: {:?}", s.id, s.integrity);
    }
    // The summary names every transport.
    for kind in bench_core::transport::TransportKind::ALL {
        assert!(stdout.lines().any(|l| l.starts_with(kind.name())), "{kind} missing from the summary:\n{stdout}");
    }
    assert!(stdout.contains(&out.join("results.json").display().to_string()), "the results path is printed");
}

/// Inside a new pid namespace with no init of its own (as `docker run`
/// without `--init` gives), the harness is pid 1 and a worker's parent is
/// pid 1: that must not read as "the supervisor is gone".
#[test]
fn a_run_in_a_new_pid_namespace_measures_normally() {
    let _serial = serial();
    let probe = Command::new("unshare").args(["-Urpf", "--mount-proc", "true"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        println!("skipped: `unshare -Urpf --mount-proc` is not available here ({probe:?})");
        return;
    }
    let (_dir, out) = out_dir("pidns");
    let output = Command::new("unshare")
        .args(["-Urpf", "--mount-proc", env!("CARGO_BIN_EXE_harness")])
        .args(["run", "--transport", "pipe", "--capacity", "bounded:8", "--size", "8", "--pattern", "stream"])
        .args(["--trials", "3", "--duration", "20ms", "--out"])
        .arg(&out)
        .output()
        .expect("run harness in a pid namespace");
    let what = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{what}");
    let file = read(&out);
    let [s] = file.scenarios.as_slice() else { panic!("one scenario expected: {what}") };
    assert!(matches!(s.status, Status::Ok | Status::FewTrials), "{:?} {:?}", s.status, s.reason);
    assert!(s.integrity.is_clean() && s.integrity.sent > 0, "{:?}", s.integrity);
}

/// Started under `nohup` (SIGHUP ignored), a hang-up does not end the run:
/// it finishes, with its results, and leaves nothing behind.
#[test]
fn a_run_started_with_sighup_ignored_survives_a_hang_up() {
    let _serial = serial();
    let (_dir, out) = out_dir("nohup");
    let mut child = Command::new("nohup")
        .arg(env!("CARGO_BIN_EXE_harness"))
        .args(["run", "--transport", "pipe", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"])
        .args(["--trials", "6", "--duration", "50ms", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nohup harness");
    let pid = child.id();
    wait_for_worker(pid, "producer");
    signal(pid, "HUP");
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    assert!(status.success(), "{status:?}");
    let file = read(&out);
    assert!(file.finished_unix.is_some(), "the run finished");
    assert_eq!(file.scenarios.len(), 1);
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

/// Output cut short by the reader (`| head -1`) or refused by a full
/// device (`>/dev/full`) is not a crash: the command finishes, status 0,
/// and says nothing of a panic.
#[test]
fn a_closed_or_full_stdout_is_not_a_crash() {
    let _serial = serial();
    // A pipe whose reader is gone before the first write (as a `head`
    // that has read all it wants).
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let done = harness().args(["list"]).stdout(writer).output().expect("harness list | (gone)");
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success() && !err.contains("panicked"), "{:?}: {err}", done.status);

    let full = std::fs::File::create("/dev/full").expect("/dev/full");
    let done = harness().args(["list"]).stdout(full).output().expect("harness list >/dev/full");
    let err = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success() && !err.contains("panicked"), "{:?}: {err}", done.status);
}

/// Workers are started from the running image, not from its path: a
/// harness whose binary is removed (or rebuilt) while it runs still starts
/// every trial's workers and finishes cleanly.
#[test]
fn a_run_survives_its_binary_being_removed() {
    let _serial = serial();
    let (dir, out) = out_dir("removed");
    let copy = dir.path().join("harness-copy");
    std::fs::copy(env!("CARGO_BIN_EXE_harness"), &copy).expect("copy the harness");
    let mut child = Command::new(&copy)
        .args(["run", "--transport", "pipe", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"])
        .args(["--trials", "3", "--warmup-trials", "0", "--duration", "20ms", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the copy");
    // `spawn` returns once the copy is executing; no worker has started yet
    // (the floor is measured first), so every one starts after the removal.
    std::fs::remove_file(&copy).expect("remove the copy");
    let status = wait_bounded(&mut child, Duration::from_secs(120));
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).ok();
    assert!(status.success(), "{status}: {stderr}");
    let file = read(&out);
    let [s] = file.scenarios.as_slice() else { panic!("one scenario expected") };
    assert_ne!(s.status, Status::Failed, "{:?}", s.reason);
    assert_eq!(s.trials.len(), 3);
}

/// Many producers, end to end: the shared-memory mailbox in every capacity
/// mode and a kernel queue, with 1, 2 and 4 producer processes, each
/// producer's stream checked on its own; the kernel queue's rendezvous,
/// which acknowledges each send to its one sender, is refused with a reason.
#[test]
fn many_producers_send_to_one_mailbox_each_checked_on_its_own() {
    let _serial = serial();
    let (dir, out) = out_dir("producers");
    let suite = dir.path().join("mailboxes.toml");
    std::fs::write(
        &suite,
        "trials = 3\nwarmup_trials = 0\ntrial_ms = 20\n[[scenarios]]\ntransports = [\"shm-mailbox\", \
         \"posix-mq\"]\ncapacities = [\"rendezvous\", \"bounded:8\", \"unbounded\"]\nproducers = [1, 2, 4]\n",
    )
    .unwrap();
    let mut child = harness().arg("suite").arg(&suite).arg("--out").arg(&out).stdout(Stdio::null()).spawn().unwrap();
    let pid = child.id();
    let status = wait_bounded(&mut child, Duration::from_secs(300));
    let file = read(&out);
    assert_eq!(file.scenarios.len(), 18, "2 transports x 3 modes x 3 counts");
    for s in &file.scenarios {
        let refused = s.transport == bench_core::transport::TransportKind::PosixMq
            && s.capacity == Capacity::Rendezvous
            && s.producers.many();
        if refused {
            assert_eq!(s.status, Status::Refused, "{}", s.id);
            continue;
        }
        // Measured: `few-trials` only says the machine's state moved.
        assert!(matches!(s.status, Status::Ok | Status::FewTrials), "{}: {:?}", s.id, s.reason);
        assert!(s.integrity.is_clean() && s.integrity.sent > 0, "{}: {:?}", s.id, s.integrity);
        let Some(mailbox) = &s.mailbox else {
            assert!(!s.producers.many() && !s.id.contains("producers"), "{}", s.id);
            continue;
        };
        assert!(s.id.ends_with(&format!("/producers:{}", s.producers)), "{}", s.id);
        assert_eq!(mailbox.per_producer.len(), s.producers.count(), "{}", s.id);
        assert_eq!(mailbox.producer_cores.len(), s.producers.count(), "{}", s.id);
        for p in &mailbox.per_producer {
            assert!(p.integrity.is_clean() && p.integrity.received > 0, "{}: producer {}: {:?}", s.id, p.producer, p);
        }
        let sent: u64 = mailbox.per_producer.iter().map(|p| p.integrity.sent).sum();
        assert_eq!(sent, s.integrity.sent, "{}: the producers' counts add up", s.id);
        assert!(mailbox.fairness.is_none_or(|f| (0.0..=1.0).contains(&f)), "{}", s.id);
    }
    assert_eq!(status.code(), Some(0));
    assert_eq!(leftovers(pid), Vec::<String>::new());
}

/// A producer killed in the middle of a run with others still sending is
/// an error for that scenario, named, not a hang; nothing is left behind.
#[test]
fn a_killed_producer_among_many_fails_its_scenario_and_leaves_nothing_behind() {
    let _serial = serial();
    for transport in ["shm-mailbox", "posix-mq"] {
        let (_dir, out) = out_dir("kill-producer");
        let run = ["run", "--transport", transport, "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"];
        let rest = ["--producers", "3", "--trials", "1", "--warmup-trials", "0", "--duration", "60s"];
        let mut child = spawn_harness(&[&run[..], &rest[..]].concat(), &out, &[]);
        let pid = child.id();
        let consumer = wait_for_worker(pid, "consumer");
        let until = Instant::now() + Duration::from_secs(60);
        let producers = loop {
            let found = workers(pid, "producer");
            if found.len() == 3 {
                break found;
            }
            assert!(Instant::now() < until, "{transport}: three producer workers did not appear");
            std::thread::sleep(Duration::from_millis(10));
        };
        std::thread::sleep(Duration::from_millis(300));
        signal(producers[1], "KILL");
        let status = wait_bounded(&mut child, Duration::from_secs(60));
        assert_eq!(status.code(), Some(1), "{transport}");
        let s = &read(&out).scenarios[0];
        assert_eq!(s.status, Status::Failed, "{transport}");
        let reason = s.reason.as_deref().unwrap_or("");
        assert!(reason.contains("producer") && reason.contains("signal 9"), "{transport}: {reason}");
        assert!(gone(consumer) && producers.iter().all(|&p| gone(p)), "{transport}: a worker outlived the run");
        assert_eq!(leftovers(pid), Vec::<String>::new(), "{transport}");
    }
}
