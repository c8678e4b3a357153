//! `harness clean` judges only names from its own pid namespace: the
//! objects of a live run survive a clean started in another pid namespace
//! (where the run's pid does not exist, or is somebody else's), and those of
//! a dead run from the clean's own namespace are removed. Real kernel
//! objects and the real binary; the cross-namespace test is skipped where
//! `unshare` cannot make a pid namespace.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Output};

use bench_core::ring::{Capacity, Variant};
use bench_core::transport::objects::IpcObject;
use bench_core::transport::{Channel, ChannelSpec, TransportKind};

/// `unshare` arguments that start a command in a new pid namespace with its
/// own `/proc`: plain as root, with a user namespace otherwise.
fn new_pid_namespace() -> Option<&'static [&'static str]> {
    let tries: [&'static [&'static str]; 2] = [&["-pf", "--mount-proc"], &["-Urpf", "--mount-proc"]];
    tries
        .into_iter()
        .find(|args| Command::new("unshare").args(*args).arg("true").output().is_ok_and(|o| o.status.success()))
}

/// `harness clean ARGS`, in a new pid namespace when `unshare` is given.
fn clean(unshare: Option<&[&str]>, args: &[&str]) -> Output {
    let harness = env!("CARGO_BIN_EXE_harness");
    let mut cmd = match unshare {
        Some(unshare) => {
            let mut cmd = Command::new("unshare");
            cmd.args(unshare).arg(harness);
            cmd
        }
        None => Command::new(harness),
    };
    cmd.arg("clean").args(args).output().expect("run harness clean")
}

/// What the sweep would print for `object`: its name or path.
fn name_of(object: &IpcObject) -> String {
    match object {
        IpcObject::ShmName(name)
        | IpcObject::ShmChain(name)
        | IpcObject::ShmPrefix(name)
        | IpcObject::PosixMq(name) => name.clone(),
        IpcObject::Path(path) | IpcObject::Dir(path) => path.display().to_string(),
        IpcObject::SysvMq(id) => format!("id {id}"),
    }
}

/// This process's pid namespace, as names carry it (`ns<inode>`).
fn pid_namespace() -> u64 {
    std::fs::metadata("/proc/self/ns/pid").expect("/proc/self/ns/pid").ino()
}

/// Channels the test process creates and keeps open stand for a live run;
/// `harness clean` in a new pid namespace, where the test's pid does not
/// exist, neither lists nor removes any of their objects. (Before names
/// carried the pid namespace, it listed and removed all of them.)
#[test]
fn a_live_runs_objects_survive_a_clean_from_another_pid_namespace() {
    let Some(unshare) = new_pid_namespace() else {
        println!("skipped: `unshare` cannot start a new pid namespace here");
        return;
    };
    let ring = TransportKind::ShmRing(Variant::Ring);
    let specs = [
        (ring, Capacity::Bounded(8)),
        (ring, Capacity::Unbounded),
        (TransportKind::EventfdShm, Capacity::Bounded(8)),
        (TransportKind::PosixMq, Capacity::Bounded(8)),
        (TransportKind::Fifo, Capacity::Bounded(8)),
        (TransportKind::UnixStream, Capacity::Bounded(8)),
        (TransportKind::Iceoryx2, Capacity::Bounded(8)),
    ];
    let mut channels = Vec::new();
    for (kind, capacity) in specs {
        match Channel::create(&ChannelSpec::new(kind, capacity, 8)) {
            Ok(chan) => channels.push(chan),
            Err(e) => println!("{} {capacity:?} not checked: {e}", kind.name()),
        }
    }
    let objects: Vec<IpcObject> = channels.iter().flat_map(Channel::objects).collect();
    assert!(!objects.is_empty());
    for object in &objects {
        assert!(object.exists(), "{object} missing before the clean");
    }
    // A dry run first: an unfixed clean would remove every live run's
    // objects on the machine, not only this test's.
    let dry = clean(Some(unshare), &["--dry-run"]);
    let listed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(dry.status.success(), "{}", String::from_utf8_lossy(&dry.stderr));
    for object in &objects {
        assert!(!listed.contains(&name_of(object)), "a clean from another pid namespace lists {object}:\n{listed}");
    }
    let out = clean(Some(unshare), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for object in &objects {
        assert!(object.exists(), "a clean from another pid namespace removed {object}");
    }
    drop(channels);
    for object in &objects {
        assert!(!object.exists(), "{object} left after its channel dropped");
    }
}

/// A name from this pid namespace whose pid no longer runs is removed; one
/// from another namespace, and one in the format from before names carried
/// the namespace (whose namespace cannot be told), are left alone.
#[test]
fn a_dead_runs_objects_from_this_pid_namespace_are_removed_and_no_others() {
    // Above any pid_max, so never a running process.
    let dead = 9_999_999u32;
    let ours = format!("ringside-{dead}-ns{}-0-clean-test", pid_namespace());
    let other_namespace = format!("ringside-{dead}-ns1-0-clean-test");
    let old_format = format!("ringside-{dead}-0-clean-test");
    // POSIX queues are listed only where the mqueue filesystem is mounted.
    let mut dirs = vec![bench_core::shm::SHM_DIR];
    if Path::new("/dev/mqueue").is_dir() {
        dirs.push("/dev/mqueue");
    } else {
        println!("POSIX queues not checked: no /dev/mqueue here");
    }
    let paths = |name: &str| dirs.iter().map(|d| Path::new(d).join(name)).collect::<Vec<_>>();
    for name in [&ours, &other_namespace, &old_format] {
        for path in paths(name) {
            // A file created in /dev/mqueue is an empty queue.
            std::fs::File::create(&path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
        }
    }
    let out = clean(None, &[]);
    let removed: Vec<bool> = paths(&ours).iter().map(|p| !p.exists()).collect();
    let kept: Vec<bool> = [&other_namespace, &old_format].iter().flat_map(|n| paths(n)).map(|p| p.exists()).collect();
    for name in [&ours, &other_namespace, &old_format] {
        for path in paths(name) {
            let _ = std::fs::remove_file(path);
        }
    }
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    assert!(removed.iter().all(|r| *r), "clean left a dead run's objects ({ours}): {said}");
    assert!(kept.iter().all(|k| *k), "clean removed a name from another pid namespace or the old format: {said}");
}

/// Pids in names are judged in the clean's own pid namespace, also where
/// `/proc` was mounted for another one (`unshare -pf` without
/// `--mount-proc`): there the test's pid is a live process of `/proc`'s
/// namespace but no process of the clean's, so a name from the clean's
/// namespace carrying it is a dead run's and is removed.
#[test]
fn pids_are_judged_in_the_cleans_pid_namespace_not_procs() {
    let probe = Command::new("unshare").args(["-pf", "true"]).output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        println!("skipped: `unshare -pf` is not available here ({probe:?})");
        return;
    }
    // The name is made inside the new namespace, which only it can name.
    let script = r#"set -e
name="ringside-$TEST_PID-ns$(stat -L -c %i /proc/self/ns/pid)-0-clean-test"
: > "/dev/shm/$name"
echo "$name"
"$HARNESS" clean
test ! -e "/dev/shm/$name""#;
    let out = Command::new("unshare")
        .args(["-pf", "sh", "-c", script])
        .env("TEST_PID", std::process::id().to_string())
        .env("HARNESS", env!("CARGO_BIN_EXE_harness"))
        .output()
        .expect("run sh in a new pid namespace");
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if let Some(name) = said.lines().next() {
        let _ = std::fs::remove_file(Path::new(bench_core::shm::SHM_DIR).join(name));
    }
    assert!(out.status.success(), "a dead run's name from the clean's namespace was kept: {said}");
}

/// A run measuring iceoryx2, killed outright with everything it started,
/// leaves iceoryx2's segments and files under its own names, and `harness
/// clean` removes every one of them.
#[cfg(feature = "iceoryx2")]
#[test]
fn a_killed_iceoryx2_run_is_cleaned_up() {
    use std::os::unix::process::CommandExt;
    let out = tempfile::tempdir().unwrap();
    let mut run = Command::new(env!("CARGO_BIN_EXE_harness"))
        .args(["run", "--transport", "iceoryx2", "--capacity", "bounded:8", "--size", "64", "--pattern", "stream"])
        .args(["--duration", "1000ms", "--trials", "50", "--out"])
        .arg(out.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start harness run");
    let stem = format!("ringside-{}-", run.id());
    let ours = |dir: &str| -> Vec<String> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .filter(|n| n.starts_with(&stem))
                    .collect()
            })
            .unwrap_or_default()
    };
    // Until its channel exists (a guard against a hang, not a timing).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !ours(bench_core::shm::SHM_DIR).iter().any(|n| n.contains("iox2")) {
        assert!(std::time::Instant::now() < deadline, "the run made no iceoryx2 segment");
        assert!(run.try_wait().unwrap().is_none(), "the run ended before it made its channel");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let group = rustix::process::Pid::from_raw(run.id() as i32).unwrap();
    rustix::process::kill_process_group(group, rustix::process::Signal::KILL).unwrap();
    run.wait().unwrap();
    // The workers, killed with it, go too; give the kernel their exits.
    while rustix::process::test_kill_process_group(group).is_ok() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!ours(bench_core::shm::SHM_DIR).is_empty(), "nothing left to clean: the test proves nothing");
    let out = clean(None, &[]);
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    let left: Vec<String> =
        ours(bench_core::shm::SHM_DIR).into_iter().chain(ours(&std::env::temp_dir().to_string_lossy())).collect();
    assert!(left.is_empty(), "left after harness clean: {left:?}\n{said}");
}
