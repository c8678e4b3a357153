//! The IPC objects a run creates, their removal, and the sweep for leftovers.
//!
//! Every named object carries the prefix `ringside-<pid>-` (the pid of the
//! process that created it): `/dev/shm/ringside-...` segments, POSIX queues
//! `/ringside-...`, and a private directory `ringside-<pid>-<n>` under the
//! runtime directory for FIFOs and socket paths. System V queues have no
//! names; their keys start with the bytes `RS` (see the `sysv-mq` backend).
//!
//! An [`ObjectGuard`] removes its objects when dropped (also while unwinding
//! from a panic) and, while alive, is listed in a process-wide registry that
//! [`install_interrupt_cleanup`] empties on SIGINT, SIGTERM or SIGHUP before
//! the process exits. [`sweep_leftovers`] finds the objects of runs that
//! died by `kill -9`: names whose pid no longer runs (POSIX queues can only
//! be listed where the `mqueue` filesystem is mounted at `/dev/mqueue`).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// One kernel object a transport created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpcObject {
    /// A file under `/dev/shm` (a shared-memory segment), by its name without the directory.
    ShmName(String),
    /// An unbounded ring's chain: its root segment (by name, as
    /// [`ShmName`](Self::ShmName)) and every `<root>.<k>` segment its
    /// producer grew, which no one else registers: a producer killed
    /// outright leaves them for whoever removes the chain.
    ShmChain(String),
    /// A FIFO or a socket path.
    Path(PathBuf),
    /// A private directory that held FIFOs or socket paths.
    Dir(PathBuf),
    /// A POSIX message queue, by its name (with the leading `/`).
    PosixMq(String),
    /// A System V message queue, by its id.
    SysvMq(i32),
}

impl IpcObject {
    /// Remove the object; an object that is already gone counts as removed.
    pub fn remove(&self) -> io::Result<()> {
        let result = match self {
            IpcObject::ShmName(name) => crate::shm::unlink(name).map(|_| ()),
            IpcObject::ShmChain(root) => {
                // Every segment first: then a chain whose root is already
                // gone still loses its segments.
                for segment in chain_segments(root) {
                    match crate::shm::unlink(&segment) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                        _ => {}
                    }
                }
                crate::shm::unlink(root).map(|_| ())
            }
            IpcObject::Path(path) => std::fs::remove_file(path),
            IpcObject::Dir(path) => std::fs::remove_dir_all(path),
            IpcObject::PosixMq(name) => super::backends::posix_mq::unlink(name),
            IpcObject::SysvMq(id) => super::backends::sysv_mq::remove(*id),
        };
        match result {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

impl IpcObject {
    /// Whether the object still exists.
    pub fn exists(&self) -> bool {
        match self {
            IpcObject::ShmName(name) => Path::new(crate::shm::SHM_DIR).join(name).exists(),
            IpcObject::ShmChain(root) => {
                Path::new(crate::shm::SHM_DIR).join(root).exists() || !chain_segments(root).is_empty()
            }
            IpcObject::Path(path) | IpcObject::Dir(path) => path.symlink_metadata().is_ok(),
            IpcObject::PosixMq(name) => {
                use nix::mqueue::MQ_OFlag;
                use nix::sys::stat::Mode;
                // Opened, not looked up in /dev/mqueue: that is not always mounted.
                match nix::mqueue::mq_open(name.as_str(), MQ_OFlag::O_RDONLY, Mode::empty(), None) {
                    Ok(mq) => {
                        let _ = nix::mqueue::mq_close(mq);
                        true
                    }
                    Err(e) => e != nix::errno::Errno::ENOENT,
                }
            }
            IpcObject::SysvMq(id) => std::fs::read_to_string("/proc/sysvipc/msg")
                .map(|t| t.lines().skip(1).any(|l| l.split_whitespace().nth(1) == Some(&id.to_string())))
                .unwrap_or(false),
        }
    }
}

impl std::fmt::Display for IpcObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpcObject::ShmName(name) => write!(f, "shared memory {}/{name}", crate::shm::SHM_DIR),
            IpcObject::ShmChain(root) => write!(f, "shared memory {}/{root} and its segments", crate::shm::SHM_DIR),
            IpcObject::Path(path) => write!(f, "path {}", path.display()),
            IpcObject::Dir(path) => write!(f, "directory {}", path.display()),
            IpcObject::PosixMq(name) => write!(f, "POSIX queue {name}"),
            IpcObject::SysvMq(id) => write!(f, "System V queue id {id}"),
        }
    }
}

static REGISTRY: Mutex<BTreeMap<u64, IpcObject>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Objects removed when this guard drops, or when the process is interrupted.
#[derive(Debug, Default)]
pub struct ObjectGuard {
    ids: Vec<u64>,
}

impl ObjectGuard {
    /// An empty guard.
    pub fn new() -> Self {
        Self::default()
    }

    /// Take responsibility for removing `object`. Register an object right
    /// after creating it, before anything else can fail.
    pub fn add(&mut self, object: IpcObject) {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        REGISTRY.lock().unwrap_or_else(|p| p.into_inner()).insert(id, object);
        self.ids.push(id);
    }

    /// The objects this guard will remove.
    pub fn objects(&self) -> Vec<IpcObject> {
        let registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        self.ids.iter().filter_map(|id| registry.get(id).cloned()).collect()
    }

    /// Move every object of `other` into this guard.
    pub fn absorb(&mut self, mut other: ObjectGuard) {
        self.ids.append(&mut other.ids);
    }

    /// Remove every object now (last added first: files before their directory).
    pub fn remove_all(&mut self) {
        let mut registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
        for id in self.ids.drain(..).rev() {
            if let Some(object) = registry.remove(&id) {
                let _ = object.remove();
            }
        }
    }
}

impl Drop for ObjectGuard {
    fn drop(&mut self) {
        self.remove_all();
    }
}

/// Remove every registered object of this process (an interrupt handler's job).
pub fn remove_registered() {
    let mut registry = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    for (_, object) in std::mem::take(&mut *registry).into_iter().rev() {
        let _ = object.remove();
    }
}

static INTERRUPT_NOTE: Mutex<Option<String>> = Mutex::new(None);

/// The line the interrupt cleanup prints before exiting (where the results
/// so far are, say); `None` for none.
pub fn set_interrupt_note(note: Option<String>) {
    *INTERRUPT_NOTE.lock().unwrap_or_else(|p| p.into_inner()) = note;
}

/// On SIGINT, SIGTERM or SIGHUP: remove every registered object, then exit
/// with status 130. Call once, early in `main`; a second call does nothing.
/// A process started with SIGHUP ignored (`nohup`) keeps ignoring it: a
/// hang-up then does not end the run.
pub fn install_interrupt_cleanup() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let hang_up_ignored = sighup_ignored();
        // The handler runs on ctrlc's own thread, not in signal context, so
        // it may take the registry lock and make system calls.
        let _ = ctrlc::set_handler(|| {
            remove_registered();
            if let Some(note) = INTERRUPT_NOTE.lock().unwrap_or_else(|p| p.into_inner()).as_deref() {
                // Not `eprintln!`: a closed stderr must not stop the exit.
                let _ = writeln!(io::stderr(), "{note}");
            }
            std::process::exit(130);
        });
        if hang_up_ignored {
            ignore_sighup();
        }
    });
}

/// SIGHUP's disposition is "ignore" (as `nohup` leaves it).
fn sighup_ignored() -> bool {
    // SAFETY: an all-zero `sigaction` is a valid value to be overwritten,
    // and a null new action only queries the current one.
    unsafe {
        let mut current: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGHUP, std::ptr::null(), &mut current) == 0 && current.sa_sigaction == libc::SIG_IGN
    }
}

/// Set SIGHUP back to "ignore".
fn ignore_sighup() {
    // SAFETY: SIG_IGN installs no handler; nothing runs in signal context.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
}

/// A fresh name `ringside-<pid>-<n>-<tag>`, unique within this process.
pub fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{}{}-{}-{tag}", crate::shm::NAME_PREFIX, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// A private directory (mode 0700) for FIFOs and socket paths, under
/// `$XDG_RUNTIME_DIR` or `/tmp`; registered in `guard`. It holds an
/// [`OWNER_MARK`] file naming this process and its pid namespace, which is
/// what lets `sweep_leftovers` tell it from any directory that merely has a
/// ringside-like name.
pub fn private_dir(guard: &mut ObjectGuard) -> io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|p| p.is_dir());
    let dir = base.unwrap_or_else(std::env::temp_dir).join(unique_name("dir"));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    guard.add(IpcObject::Dir(dir.clone()));
    std::fs::write(dir.join(OWNER_MARK), owner_mark(std::process::id()))?;
    Ok(dir)
}

/// The file in every directory ringside creates that says it made it.
pub const OWNER_MARK: &str = ".ringside-owner";

/// What [`OWNER_MARK`] holds: the creating pid and its pid namespace.
fn owner_mark(pid: u32) -> String {
    format!("ringside pid {pid} pidns {}\n", pid_namespace().unwrap_or_default())
}

/// This process's pid namespace (`pid:[4026531836]`), where readable.
fn pid_namespace() -> Option<String> {
    Some(std::fs::read_link("/proc/self/ns/pid").ok()?.to_string_lossy().into_owned())
}

/// Whether `dir`, named for process `name_pid`, is a directory ringside
/// made and this process can judge: a real directory (not a link), this
/// user's, mode 0700, holding an [`OWNER_MARK`] that names the same pid and
/// this process's pid namespace (a pid from another namespace says nothing
/// about whether that run still lives).
fn is_ringside_dir(dir: &Path, name_pid: u32) -> bool {
    ringside_mark(dir, name_pid).is_some()
}

fn ringside_mark(dir: &Path, name_pid: u32) -> Option<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = dir.symlink_metadata().ok()?;
    if !meta.is_dir() || meta.uid() != rustix::process::geteuid().as_raw() || meta.mode() & 0o777 != 0o700 {
        return None;
    }
    let mark_path = dir.join(OWNER_MARK);
    if !mark_path.symlink_metadata().ok()?.is_file() {
        return None;
    }
    (std::fs::read_to_string(mark_path).ok()? == owner_mark(name_pid)).then_some(())
}

use std::os::unix::fs::DirBuilderExt;

/// The pid in a `ringside-<pid>-...` name, if it is one.
fn pid_of(name: &str) -> Option<u32> {
    name.trim_start_matches('/').strip_prefix(crate::shm::NAME_PREFIX)?.split('-').next()?.parse().ok()
}

fn running(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Objects left by ringside runs whose process no longer runs, removed
/// unless `dry_run`. Returns each object found and what removing it did.
pub fn sweep_leftovers(dry_run: bool) -> Vec<(IpcObject, io::Result<()>)> {
    let mut found = Vec::new();
    type Make = fn(String) -> IpcObject;
    let dirs: [(&str, Make); 2] =
        [(crate::shm::SHM_DIR, IpcObject::ShmName), ("/dev/mqueue", |n| IpcObject::PosixMq(format!("/{n}")))];
    for (dir, make) in dirs {
        for name in list(Path::new(dir)) {
            if pid_of(&name).is_some_and(|p| !running(p)) {
                found.push(make(name));
            }
        }
    }
    let base = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|p| p.is_dir());
    for root in base.into_iter().chain([std::env::temp_dir()]) {
        for name in list(&root) {
            let dir = root.join(&name);
            if pid_of(&name).is_some_and(|p| is_ringside_dir(&dir, p) && !running(p)) {
                found.push(IpcObject::Dir(dir));
            }
        }
    }
    found.extend(super::backends::sysv_mq::leftovers().into_iter().map(IpcObject::SysvMq));
    found
        .into_iter()
        .map(|object| {
            let result = if dry_run { Ok(()) } else { object.remove() };
            (object, result)
        })
        .collect()
}

/// The names of `root`'s chain segments now in `/dev/shm`: `<root>.<k>`.
fn chain_segments(root: &str) -> Vec<String> {
    let prefix = format!("{}.", root.trim_start_matches('/'));
    list(Path::new(crate::shm::SHM_DIR))
        .into_iter()
        .filter(|n| n.strip_prefix(&prefix).is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit())))
        .collect()
}

fn list(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(crate::shm::NAME_PREFIX))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_prefix_and_pid() {
        let name = unique_name("x");
        assert_eq!(pid_of(&name), Some(std::process::id()));
        assert_eq!(pid_of("/ringside-42-0-q"), Some(42));
        assert_eq!(pid_of("other-42"), None);
    }

    #[test]
    fn only_a_directory_ringside_made_counts_as_its_own() {
        let mut guard = ObjectGuard::new();
        let dir = private_dir(&mut guard).unwrap();
        let me = std::process::id();
        assert!(is_ringside_dir(&dir, me));
        // Named like one, but the mark names another pid.
        assert!(!is_ringside_dir(&dir, me + 1));
        // Named like one, without the mark: someone else's.
        let other = std::env::temp_dir().join(format!("ringside-{}-0-x", me));
        let _ = std::fs::remove_dir_all(&other);
        std::fs::DirBuilder::new().mode(0o700).create(&other).unwrap();
        assert!(!is_ringside_dir(&other, me));
        // With a mark from another pid namespace: not ours to judge.
        std::fs::write(other.join(OWNER_MARK), format!("ringside pid {me} pidns pid:[1]\n")).unwrap();
        assert!(!is_ringside_dir(&other, me));
        std::fs::remove_dir_all(&other).unwrap();
    }

    #[test]
    fn guard_removes_on_drop() {
        let mut guard = ObjectGuard::new();
        let dir = private_dir(&mut guard).unwrap();
        std::fs::write(dir.join("f"), b"x").unwrap();
        drop(guard);
        assert!(!dir.exists());
    }
}
