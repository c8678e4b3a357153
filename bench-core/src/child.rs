//! The one way ringside runs a process of its own: the current executable
//! re-executed as a child with a typed job. The harness's workers, the
//! tests' peers and the benchmarks' echoes all go through here.
//!
//! # The protocol
//! 1. **Start.** The parent builds a [`Launch`] of its job (any
//!    `T: Serialize`): the job and the parent's pid travel as JSON in
//!    [`JOB_ENV`], stdin, stdout and stderr are piped, and descriptors the
//!    child needs are inherited ([`Launch::inherit`]: close-on-exec is
//!    cleared in the child only, between fork and exec). [`Launch::spawn`]
//!    gives a [`Child`].
//! 2. **Job.** The child's first act in `main` (in a libtest binary, in the
//!    test [`Launch::in_test`] names) is [`job`] (or [`serve`]): it asks the
//!    kernel for `SIGKILL` when its parent dies (`PR_SET_PDEATHSIG`), and
//!    only *then* checks that its parent is still the pid that started it.
//!    In that order there is no gap: a parent that died before the signal
//!    was set has left the child to another process, which the check sees.
//!    (Not "a parent other than 1": in a new pid namespace without an init
//!    the parent may itself be pid 1.) A child whose parent is gone, or
//!    whose job does not read, says so in one line on stderr and exits 1.
//! 3. **Ready, go.** The child prints [`READY`] once it is set up
//!    ([`ready`]); the parent waits for it with a deadline
//!    ([`Child::wait_ready`]). Where the two must start together the child
//!    then blocks on stdin ([`wait_for_go`]) until the parent's [`GO`] line
//!    ([`Child::go`]), which carries a typed payload (the harness sends the
//!    time to start at).
//! 4. **Result.** The child prints [`RESULT`] and its result as JSON
//!    ([`report`]) and exits 0; a failed child prints one line on stderr
//!    and exits non-zero. The parent reads it with a deadline
//!    ([`Child::result`], [`Child::finish`]).
//!
//! In the parent one thread per child reads its stdout and turns the
//! protocol's lines into [`Output`]s (other lines are ignored: a libtest
//! binary prints its own), and another keeps the last [`STDERR_TAIL`] lines
//! of its stderr, so a failure can say how the child ended and what it
//! said last ([`Child::ending`]). Several children are watched at once by
//! [`next_output`]. Every wait has a deadline.
//!
//! No child outlives its parent: a [`Child`] dropped before it was reaped
//! (a parent that returned early or panicked) is killed and reaped, and a
//! parent killed outright takes its children with it (the death signal).
//! Linux sends that signal when the *thread* that spawned the child ends,
//! so spawn from a thread that outlives the child (the harness and the
//! tests spawn from the thread that then waits for it).

use std::collections::VecDeque;
use std::ffi::OsStr;
use std::fmt::Display;
use std::io::{self, BufRead, BufReader, Write};
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::process::CommandExt;
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Select};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Environment variable carrying a child's job (and its parent's pid) as
/// JSON; its presence makes a process a child.
pub const JOB_ENV: &str = "RINGSIDE_JOB";
/// What a child is started from: the kernel's link to the running image,
/// which still executes after the file at the image's path was replaced
/// or removed (a rebuild while `harness all` runs).
const SELF_EXE: &str = "/proc/self/exe";
/// The line a child prints once it is ready.
pub const READY: &str = "RINGSIDE-READY";
/// Prefix of the parent's go line; the payload follows as JSON.
pub const GO: &str = "RINGSIDE-GO ";
/// Prefix of the line carrying a child's result as JSON.
pub const RESULT: &str = "RINGSIDE-RESULT ";
/// How many of a child's last stderr lines are kept.
pub const STDERR_TAIL: usize = 8;
/// How long [`Child::ending`] waits for a child whose output closed to exit.
const SETTLE: Duration = Duration::from_secs(1);

/// What [`JOB_ENV`] holds.
#[derive(Serialize, Deserialize)]
struct Envelope<J> {
    /// The pid of the process that started the child: its parent for as
    /// long as that lives.
    parent: u32,
    /// The job.
    job: J,
}

/// A child could not be started, did not keep to the protocol, or failed.
#[derive(Debug, thiserror::Error)]
pub enum ChildError {
    /// A system call on the child failed: `what` names it ("start", "wait for").
    #[error("cannot {what} the {name}: {source}")]
    Io {
        /// The child, as messages name it ("producer worker").
        name: String,
        /// What could not be done.
        what: &'static str,
        /// Why.
        source: io::Error,
    },
    /// The job or the go payload has no JSON form.
    #[error("cannot encode what the {name} is sent: {source}")]
    Encode {
        /// The child.
        name: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A deadline passed.
    #[error("the {name} did not {what} within {within:?}")]
    Timeout {
        /// The child.
        name: String,
        /// What it did not do ("report ready", "report its result").
        what: &'static str,
        /// The deadline's length.
        within: Duration,
    },
    /// The child's result line does not read as the result type.
    #[error("the {name} sent an unreadable result: {source}")]
    Unreadable {
        /// The child.
        name: String,
        /// Why.
        source: serde_json::Error,
    },
    /// The child ended (or closed its output) where the protocol wanted
    /// more of it, or ended in failure.
    #[error("{ending}")]
    Ended {
        /// How it ended and its last stderr line ([`Child::ending`]).
        ending: String,
        /// Its last stderr lines.
        stderr: Vec<String>,
    },
    /// In the child: the parent's go did not come.
    #[error("no go from the parent: {0}")]
    NoGo(String),
}

// ---------------------------------------------------------------------------
// The child's side
// ---------------------------------------------------------------------------

/// This process's job, if it was started as a child ([`JOB_ENV`] set);
/// `None` otherwise. Sets the parent-death signal, then checks the parent
/// (see the module doc). A job that does not read, or a parent already
/// gone, ends the process: one line on stderr, status 1.
pub fn job<T: DeserializeOwned>() -> Option<T> {
    let text = std::env::var_os(JOB_ENV)?;
    match adopt(&text) {
        Ok(job) => Some(job),
        Err(why) => {
            let _ = writeln!(io::stderr(), "{why}");
            std::process::exit(1);
        }
    }
}

fn adopt<T: DeserializeOwned>(text: &OsStr) -> Result<T, String> {
    // Die with the parent, even if it is killed outright.
    rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
        .map_err(|e| format!("cannot ask to die with the parent process: {e}"))?;
    let text = text.to_str().ok_or_else(|| format!("{JOB_ENV} is not UTF-8"))?;
    let envelope: Envelope<T> = serde_json::from_str(text).map_err(|e| format!("unreadable job in {JOB_ENV}: {e}"))?;
    // After the death signal: a parent that died before it was set has
    // left this process to another, which this catches.
    let parent = rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get() as u32);
    if parent != envelope.parent {
        return Err(format!("the process that started this one (pid {}) is gone", envelope.parent));
    }
    Ok(envelope.job)
}

/// The whole child side in one call, for a child that only works and
/// reports: if this process was started as a child, run `work` on its job,
/// [`report`] the result and exit 0, or print the error (`{:#}`) as one
/// line on stderr and exit 1. Returns only in a process that is no child.
pub fn serve<T: DeserializeOwned, R: Serialize, E: Display>(work: impl FnOnce(T) -> Result<R, E>) {
    let Some(job) = job::<T>() else { return };
    let code = match work(job) {
        Ok(result) => i32::from(report(&result).is_err()),
        Err(e) => {
            let _ = writeln!(io::stderr(), "{e:#}");
            1
        }
    };
    std::process::exit(code);
}

/// In the child: tell the parent this side is ready ([`READY`]).
pub fn ready() -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "{READY}")?;
    out.flush()
}

/// In the child: block until the parent's go, and return its payload.
pub fn wait_for_go<G: DeserializeOwned>() -> Result<G, ChildError> {
    let mut line = String::new();
    let read = io::stdin().lock().read_line(&mut line).map_err(|e| ChildError::NoGo(e.to_string()))?;
    if read == 0 {
        return Err(ChildError::NoGo("its end of stdin closed".into()));
    }
    let payload = line.trim_end().strip_prefix(GO).ok_or_else(|| ChildError::NoGo(format!("it sent {line:?}")))?;
    serde_json::from_str(payload).map_err(|e| ChildError::NoGo(format!("unreadable payload {payload:?}: {e}")))
}

/// In the child: print the result line ([`RESULT`] and `result` as JSON).
pub fn report<R: Serialize>(result: &R) -> io::Result<()> {
    let json = serde_json::to_string(result).map_err(io::Error::other)?;
    let mut out = io::stdout().lock();
    writeln!(out, "{RESULT}{json}")?;
    out.flush()
}

// ---------------------------------------------------------------------------
// The parent's side
// ---------------------------------------------------------------------------

/// A child about to be started: its job, and what else it is given.
/// Borrows the descriptors it will inherit until [`spawn`](Self::spawn),
/// so they are open when it forks.
#[derive(Debug)]
pub struct Launch<'a> {
    name: String,
    command: Command,
    inherited: Vec<BorrowedFd<'a>>,
}

impl<'a> Launch<'a> {
    /// The current executable as a child doing `job`; `name` is what
    /// messages call it ("producer worker").
    pub fn new<T: Serialize>(name: impl Into<String>, job: &T) -> Result<Self, ChildError> {
        let name = name.into();
        // Through /proc (see SELF_EXE); by its path only where /proc is not mounted.
        let path = std::env::current_exe().ok();
        let exe = match (std::path::Path::new(SELF_EXE).exists(), &path) {
            (true, _) => std::path::PathBuf::from(SELF_EXE),
            (false, Some(path)) => path.clone(),
            (false, None) => {
                let source = io::Error::new(io::ErrorKind::NotFound, "neither /proc/self/exe nor a path to it");
                return Err(ChildError::Io { name, what: "find the executable for", source });
            }
        };
        let envelope = match serde_json::to_string(&Envelope { parent: std::process::id(), job }) {
            Ok(json) => json,
            Err(source) => return Err(ChildError::Encode { name, source }),
        };
        let mut command = Command::new(exe);
        if let Some(path) = &path {
            // What `ps` shows: the program's name, not /proc/self/exe.
            command.arg0(path);
        }
        command.env(JOB_ENV, envelope);
        Ok(Self { name, command, inherited: Vec::new() })
    }

    /// The current executable is a libtest binary: run only the test
    /// `entry`, which calls [`job`] first, with its output uncaptured.
    pub fn in_test(mut self, entry: &str) -> Self {
        self.command.args(["--exact", entry, "--nocapture", "--test-threads=1", "-q"]);
        self
    }

    /// Set an environment variable of the child (a channel's address).
    pub fn env(&mut self, key: &str, value: impl AsRef<OsStr>) -> &mut Self {
        self.command.env(key, value);
        self
    }

    /// Let the child inherit `fd`, under the same number.
    pub fn inherit(&mut self, fd: BorrowedFd<'a>) -> &mut Self {
        self.inherited.push(fd);
        self
    }

    /// Start the child.
    pub fn spawn(mut self) -> Result<Child, ChildError> {
        let raw: Vec<i32> = self.inherited.iter().map(|fd| fd.as_raw_fd()).collect();
        if !raw.is_empty() {
            // SAFETY: the closure runs in the child between fork and exec,
            // where only async-signal-safe calls may be made: it makes
            // `fcntl` calls and nothing else (it allocates nothing; `raw`
            // was built here). Each number is open in the child, because
            // `self` borrows its descriptor until this spawn returns, and
            // is only borrowed for the call.
            unsafe {
                self.command.pre_exec(move || {
                    for &fd in &raw {
                        rustix::io::fcntl_setfd(BorrowedFd::borrow_raw(fd), rustix::io::FdFlags::empty())?;
                    }
                    Ok(())
                });
            }
        }
        self.command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let name = self.name;
        let mut process = match self.command.spawn() {
            Ok(process) => process,
            Err(source) => return Err(ChildError::Io { name, what: "start", source }),
        };
        let stdout = process.stdout.take().expect("stdout is piped");
        let stderr = process.stderr.take().expect("stderr is piped");
        let (lines, output) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let out = match line.strip_prefix(RESULT) {
                    Some(json) => Output::Result(json.to_owned()),
                    None if line == READY => Output::Ready,
                    None => continue,
                };
                if lines.send(out).is_err() {
                    return;
                }
            }
        });
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(STDERR_TAIL)));
        let keep = Arc::clone(&tail);
        let (done, stderr_done) = crossbeam_channel::bounded::<()>(0);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut lines = keep.lock().unwrap_or_else(|p| p.into_inner());
                if lines.len() == STDERR_TAIL {
                    lines.pop_front();
                }
                lines.push_back(line);
            }
            drop(done);
        });
        Ok(Child { name, stdin: process.stdin.take(), process, output, closed: false, stderr: tail, stderr_done })
    }
}

/// What a child said on stdout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// It is ready ([`READY`]).
    Ready,
    /// Its result, as JSON ([`Child::decode`] reads it).
    Result(String),
    /// Its stdout closed: it has ended, or is about to.
    Closed,
}

/// A running child. Killed and reaped when dropped unreaped.
#[derive(Debug)]
pub struct Child {
    /// What messages call it.
    name: String,
    process: std::process::Child,
    /// Its stdin, until [`wait`](Self::wait) closes it.
    stdin: Option<ChildStdin>,
    /// What its stdout reader saw; disconnected once stdout closed.
    output: Receiver<Output>,
    /// [`Output::Closed`] was handed out.
    closed: bool,
    /// Its last [`STDERR_TAIL`] stderr lines.
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Disconnected once its stderr closed (and `stderr` is complete).
    stderr_done: Receiver<()>,
}

impl Child {
    /// What messages call it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Whether its stdout has closed ([`Output::Closed`] was handed out).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// What it says next, by `by`; `None` if nothing by then.
    pub fn next(&mut self, by: Instant) -> Option<Output> {
        next_output([self], by).map(|(_, out)| out)
    }

    /// Wait up to `within` for it to be ready.
    pub fn wait_ready(&mut self, within: Duration) -> Result<(), ChildError> {
        let by = Instant::now() + within;
        loop {
            match self.next(by) {
                Some(Output::Ready) => return Ok(()),
                Some(Output::Result(_)) => {}
                Some(Output::Closed) => return Err(self.ended()),
                None => return Err(self.timeout("report ready", within)),
            }
        }
    }

    /// Send it the go, with `payload`.
    pub fn go<G: Serialize>(&mut self, payload: &G) -> Result<(), ChildError> {
        let json =
            serde_json::to_string(payload).map_err(|source| ChildError::Encode { name: self.name.clone(), source })?;
        let sent = match self.stdin.as_mut() {
            Some(stdin) => writeln!(stdin, "{GO}{json}").and_then(|()| stdin.flush()),
            None => Err(io::Error::new(io::ErrorKind::BrokenPipe, "its stdin is closed")),
        };
        sent.map_err(|source| ChildError::Io { name: self.name.clone(), what: "send the go to", source })
    }

    /// Wait up to `within` for its result.
    pub fn result<R: DeserializeOwned>(&mut self, within: Duration) -> Result<R, ChildError> {
        let by = Instant::now() + within;
        loop {
            match self.next(by) {
                Some(Output::Result(json)) => return self.decode(&json),
                Some(Output::Ready) => {}
                Some(Output::Closed) => return Err(self.ended()),
                None => return Err(self.timeout("report its result", within)),
            }
        }
    }

    /// Its result (within `within`), once it has also exited cleanly.
    pub fn finish<R: DeserializeOwned>(mut self, within: Duration) -> Result<R, ChildError> {
        let result = self.result(within)?;
        match self.wait() {
            Ok(status) if status.success() => Ok(result),
            Ok(_) => Err(self.ended()),
            Err(source) => Err(ChildError::Io { name: self.name.clone(), what: "wait for", source }),
        }
    }

    /// Read a result line's JSON ([`Output::Result`]) as `R`.
    pub fn decode<R: DeserializeOwned>(&self, json: &str) -> Result<R, ChildError> {
        serde_json::from_str(json).map_err(|source| ChildError::Unreadable { name: self.name.clone(), source })
    }

    /// Kill it (`SIGKILL`); it is reaped by [`wait`](Self::wait) or on drop.
    pub fn kill(&mut self) {
        let _ = self.process.kill();
    }

    /// Close its stdin and wait for it to exit; then (for up to a second,
    /// in case something it started holds its stderr) for its last stderr
    /// lines, so [`stderr_tail`](Self::stderr_tail) has them.
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        let status = self.process.wait()?;
        let _ = self.stderr_done.recv_timeout(SETTLE);
        Ok(status)
    }

    /// Its last stderr lines, oldest first.
    pub fn stderr_tail(&self) -> Vec<String> {
        self.stderr.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }

    /// How it ended, for a message: "the {name} exited with status 1: {its
    /// last stderr line}". Meant for a child whose output closed: waits up
    /// to a second for it to exit and for its last words on stderr.
    pub fn ending(&mut self) -> String {
        let until = Instant::now() + SETTLE;
        let status = loop {
            match self.process.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() < until => std::thread::sleep(Duration::from_millis(5)),
                _ => break None,
            }
        };
        if status.is_some() {
            // Its stderr closes as it exits (unless something it started holds it).
            let _ = self.stderr_done.recv_deadline(until.max(Instant::now() + Duration::from_millis(100)));
        }
        let how = status.map_or_else(|| "still running".to_owned(), describe_exit);
        match self.stderr_tail().last() {
            Some(line) => format!("the {} {how}: {line}", self.name),
            None => format!("the {} {how}", self.name),
        }
    }

    fn ended(&mut self) -> ChildError {
        ChildError::Ended { ending: self.ending(), stderr: self.stderr_tail() }
    }

    fn timeout(&self, what: &'static str, within: Duration) -> ChildError {
        ChildError::Timeout { name: self.name.clone(), what, within }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !matches!(self.process.try_wait(), Ok(Some(_))) {
            let _ = self.process.kill();
            let _ = self.process.wait();
        }
    }
}

/// What one of `children` says next, by `by`, with its position among
/// them; `None` if none says anything by then. A child's
/// [`Output::Closed`] comes once, after all it said; from then on it is
/// not watched.
pub fn next_output<'a>(children: impl IntoIterator<Item = &'a mut Child>, by: Instant) -> Option<(usize, Output)> {
    let mut open: Vec<(usize, &mut Child)> = children.into_iter().enumerate().filter(|(_, c)| !c.closed).collect();
    if open.is_empty() {
        std::thread::sleep(by.saturating_duration_since(Instant::now()));
        return None;
    }
    let (k, received) = {
        let mut select = Select::new();
        for (_, child) in &open {
            select.recv(&child.output);
        }
        let operation = select.select_deadline(by).ok()?;
        let k = operation.index();
        (k, operation.recv(&open[k].1.output))
    };
    let (index, child) = &mut open[k];
    match received {
        Ok(out) => Some((*index, out)),
        Err(_) => {
            child.closed = true;
            Some((*index, Output::Closed))
        }
    }
}

/// How a process ended, for a message: "exited with status 1", "was
/// killed by signal 9 (SIGKILL)".
pub fn describe_exit(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (_, Some(sig)) => format!("was killed by signal {sig}{}", if sig == 9 { " (SIGKILL)" } else { "" }),
        _ => format!("ended ({status})"),
    }
}
