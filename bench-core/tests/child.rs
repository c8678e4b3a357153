//! The child-process protocol (`bench_core::child`) between this test
//! binary and copies of itself: a typed job in, ready, a typed go, a typed
//! result out; a failed child named with how it ended and its last stderr
//! line; a deadline that passes is an error, not a hang; a child dropped
//! unreaped is killed and reaped.
//!
//! The one deadline that passes here is a child that never reports ready
//! (so no timing can make it flaky); every other wait ends on the child's
//! own output.

#![cfg(not(loom))]

use std::time::Duration;

use bench_core::child::{self, ChildError, Launch};
use serde::{Deserialize, Serialize};

/// What a child of this file does.
#[derive(Debug, Serialize, Deserialize)]
enum Job {
    /// Report ready, wait for a go carrying a number, report `add` plus it.
    Add { add: u64 },
    /// Say `why` on stderr and exit with `status`, reporting nothing.
    Fail { why: String, status: i32 },
    /// Report ready, then sleep until killed.
    Sleep,
    /// Sleep until killed, never ready.
    Mute,
}

const WITHIN: Duration = Duration::from_secs(60);

/// Entry point of the child process; a no-op when run as an ordinary test.
#[test]
fn child_entry() {
    let Some(job) = child::job::<Job>() else { return };
    match job {
        Job::Add { add } => {
            child::ready().unwrap();
            let go: u64 = child::wait_for_go().unwrap();
            child::report(&(add + go)).unwrap();
        }
        Job::Fail { why, status } => {
            eprintln!("{why}");
            std::process::exit(status);
        }
        Job::Sleep => {
            child::ready().unwrap();
            loop {
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Job::Mute => loop {
            std::thread::sleep(Duration::from_secs(1));
        },
    }
    std::process::exit(0);
}

fn launch(name: &str, job: &Job) -> Launch<'static> {
    Launch::new(name, job).unwrap().in_test("child_entry")
}

#[test]
fn a_child_gets_its_job_and_its_go_and_reports_a_typed_result() {
    let mut child = launch("adding child", &Job::Add { add: 40 }).spawn().unwrap();
    child.wait_ready(WITHIN).unwrap();
    child.go(&2u64).unwrap();
    assert_eq!(child.finish::<u64>(WITHIN).unwrap(), 42);
}

#[test]
fn a_failed_child_is_named_with_how_it_ended_and_its_last_words() {
    let child = launch("failing child", &Job::Fail { why: "out of cheese".into(), status: 3 }).spawn().unwrap();
    match child.finish::<u64>(WITHIN) {
        Err(e @ ChildError::Ended { .. }) => {
            assert_eq!(e.to_string(), "the failing child exited with status 3: out of cheese");
        }
        other => panic!("a child that reported nothing gave {other:?}"),
    }
}

#[test]
fn a_result_of_another_type_is_unreadable() {
    let mut child = launch("adding child", &Job::Add { add: 1 }).spawn().unwrap();
    child.wait_ready(WITHIN).unwrap();
    child.go(&1u64).unwrap();
    let got = child.result::<String>(WITHIN);
    assert!(matches!(got, Err(ChildError::Unreadable { .. })), "{got:?}");
}

#[test]
fn a_deadline_that_passes_is_an_error() {
    let mut child = launch("mute child", &Job::Mute).spawn().unwrap();
    match child.wait_ready(Duration::from_millis(200)) {
        Err(e @ ChildError::Timeout { .. }) => {
            assert_eq!(e.to_string(), "the mute child did not report ready within 200ms");
        }
        other => panic!("a child that never reported ready gave {other:?}"),
    }
}

#[test]
fn a_child_dropped_unreaped_is_killed_and_reaped() {
    let mut child = launch("sleeping child", &Job::Sleep).spawn().unwrap();
    child.wait_ready(WITHIN).unwrap();
    let proc = format!("/proc/{}", child.pid());
    assert!(std::path::Path::new(&proc).exists());
    drop(child);
    // Reaped, not a zombie: the pid is gone from /proc at once.
    assert!(!std::path::Path::new(&proc).exists(), "{proc} outlived its handle");
}

#[test]
fn an_exit_is_described_by_status_or_signal() {
    use std::os::unix::process::ExitStatusExt;
    let exited = std::process::ExitStatus::from_raw(3 << 8);
    let killed = std::process::ExitStatus::from_raw(9);
    assert_eq!(child::describe_exit(exited), "exited with status 3");
    assert_eq!(child::describe_exit(killed), "was killed by signal 9 (SIGKILL)");
}
