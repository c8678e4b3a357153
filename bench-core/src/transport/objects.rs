//! The IPC objects a run creates, their removal, and the sweep for leftovers.
//!
//! Every named object starts with [`crate::shm::name_stem`],
//! `ringside-<pid>-ns<pidns>-`: the pid of the process that created it and
//! that process's pid namespace (the inode of `/proc/<pid>/ns/pid`).
//! `/dev/shm/ringside-...` segments, POSIX queues `/ringside-...`, and a
//! private directory `ringside-<pid>-ns<pidns>-<n>-dir` under the runtime
//! directory for FIFOs and socket paths. System V queues have no names;
//! their keys start with the bytes `RS` (see the `sysv-mq` backend).
//!
//! An [`ObjectGuard`] removes its objects when dropped (also while unwinding
//! from a panic) and, while alive, is listed in a process-wide registry that
//! [`install_interrupt_cleanup`] empties on SIGINT, SIGTERM or SIGHUP before
//! the process exits. [`sweep_leftovers`] finds the objects of runs that
//! died by `kill -9`: names from this process's pid namespace whose pid no
//! longer runs (POSIX queues can only be listed where the `mqueue`
//! filesystem is mounted at `/dev/mqueue`). A pid says nothing about a
//! process of another pid namespace (there it may be a live run's, or
//! nobody's), so names from other namespaces are never touched; nor are
//! segment and queue names in the format from before names carried the
//! namespace (`ringside-<pid>-<n>-...`), whose namespace cannot be told:
//! the sweep lists those as left alone, for removal by hand. (A directory
//! is judged by its owner mark, which has always named the namespace.)

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
    /// Every file under `/dev/shm` whose name starts with this prefix: the
    /// segments a library makes under a prefix ringside gave it (iceoryx2's).
    ShmPrefix(String),
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
                unlink_all(chain_segments(root))?;
                crate::shm::unlink(root).map(|_| ())
            }
            IpcObject::ShmPrefix(prefix) => unlink_all(prefixed(prefix)),
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
            IpcObject::ShmPrefix(prefix) => !prefixed(prefix).is_empty(),
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
            IpcObject::ShmPrefix(prefix) => write!(f, "shared memory {}/{prefix}*", crate::shm::SHM_DIR),
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

/// A fresh name `ringside-<pid>-ns<pidns>-<n>-<tag>` (see
/// [`crate::shm::name_stem`]), unique within this process.
pub fn unique_name(tag: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    format!("{}{}-{tag}", crate::shm::name_stem(), COUNTER.fetch_add(1, Ordering::Relaxed))
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

/// Who made a `ringside-...` name, as far as the name tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct NameOrigin {
    /// The creating process, as its own pid namespace numbers it.
    pid: u32,
    /// That namespace (`ns<inode>` in the name); `None` for a name in the
    /// format from before names carried it (`ringside-<pid>-<n>-...`).
    pid_namespace: Option<u64>,
}

/// The origin of a `ringside-<pid>-ns<pidns>-...` name (also of a chain
/// segment `<name>.<k>` and of a POSIX queue's `/<name>`), or of one in the
/// older `ringside-<pid>-<n>-...` format; `None` for any other name.
fn origin_of(name: &str) -> Option<NameOrigin> {
    let mut fields = name.trim_start_matches('/').strip_prefix(crate::shm::NAME_PREFIX)?.split('-');
    let pid = fields.next().filter(|p| is_decimal(p))?.parse().ok()?;
    let next = fields.next()?;
    let pid_namespace = match next.strip_prefix("ns") {
        Some(ns) => Some(ns.parse().ok().filter(|_| is_decimal(ns))?),
        None if is_decimal(next) => None,
        None => return None,
    };
    Some(NameOrigin { pid, pid_namespace })
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `pid` names a process in this process's pid namespace (the one
/// `kill` and the pids in names refer to, whichever namespace `/proc` was
/// mounted for). A process of another user counts (`EPERM`); so does an
/// unreaped zombie, and a pid no signal can be sent to (0).
pub(crate) fn running(pid: u32) -> bool {
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else { return true };
    rustix::process::test_kill_process(pid) != Err(rustix::io::Errno::SRCH)
}

/// What a sweep found.
#[derive(Debug)]
pub struct Sweep {
    /// Objects of dead runs from this pid namespace, and what removing each
    /// did (`Ok` without trying, on a dry run).
    pub leftovers: Vec<(IpcObject, io::Result<()>)>,
    /// Segments and queues named in the format from before names carried
    /// the pid namespace: which namespace their pid belongs to cannot be
    /// told, so they are never removed, only reported.
    pub left_alone: Vec<IpcObject>,
}

/// Objects left by ringside runs of this pid namespace whose process no
/// longer runs, removed unless `dry_run`. Names from another pid namespace
/// are skipped; names in the old format are listed in
/// [`Sweep::left_alone`]. Where this process's pid namespace cannot be read
/// (no `/proc`), no name is judged.
pub fn sweep_leftovers(dry_run: bool) -> Sweep {
    let here = Some(crate::shm::pid_namespace_id()).filter(|&ns| ns != 0);
    let mut found = Vec::new();
    let mut left_alone = Vec::new();
    type Make = fn(String) -> IpcObject;
    let dirs: [(&str, Make); 2] =
        [(crate::shm::SHM_DIR, IpcObject::ShmName), ("/dev/mqueue", |n| IpcObject::PosixMq(format!("/{n}")))];
    for (dir, make) in dirs {
        for name in list(Path::new(dir)) {
            match origin_of(&name) {
                Some(NameOrigin { pid, pid_namespace: Some(ns) }) if here == Some(ns) && !running(pid) => {
                    found.push(make(name));
                }
                Some(NameOrigin { pid_namespace: None, .. }) => left_alone.push(make(name)),
                _ => {}
            }
        }
    }
    // A directory is judged by its owner mark, which names the pid
    // namespace in both name formats; a name that says otherwise is not ours.
    let base = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from).filter(|p| p.is_dir());
    for root in base.into_iter().chain([std::env::temp_dir()]) {
        for name in list(&root) {
            let dir = root.join(&name);
            let Some(origin) = origin_of(&name) else { continue };
            if here.is_some()
                && origin.pid_namespace.is_none_or(|ns| here == Some(ns))
                && is_ringside_dir(&dir, origin.pid)
                && !running(origin.pid)
            {
                found.push(IpcObject::Dir(dir));
            }
        }
    }
    found.extend(super::backends::sysv_mq::leftovers().into_iter().map(IpcObject::SysvMq));
    let leftovers = found
        .into_iter()
        .map(|object| {
            let result = if dry_run { Ok(()) } else { object.remove() };
            (object, result)
        })
        .collect();
    Sweep { leftovers, left_alone }
}

/// Unlink each of `names` from `/dev/shm`; one already gone counts as removed.
fn unlink_all(names: Vec<String>) -> io::Result<()> {
    for name in names {
        match crate::shm::unlink(&name) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// The names now in `/dev/shm` that start with `prefix` (a `ringside-` name).
fn prefixed(prefix: &str) -> Vec<String> {
    list(Path::new(crate::shm::SHM_DIR)).into_iter().filter(|n| n.starts_with(prefix)).collect()
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
    fn names_carry_pid_and_pid_namespace() {
        let here = crate::shm::pid_namespace_id();
        assert_ne!(here, 0, "/proc/self/ns/pid unreadable");
        let me = NameOrigin { pid: std::process::id(), pid_namespace: Some(here) };
        let name = unique_name("x");
        assert!(name.starts_with(&format!("ringside-{}-ns{here}-", std::process::id())), "{name}");
        assert_eq!(origin_of(&name), Some(me));
        assert_eq!(origin_of(&format!("/{name}")), Some(me), "a POSIX queue's name");
        assert_eq!(origin_of(&format!("{name}.3")), Some(me), "a chain segment's name");
        let segment = crate::shm::Segment::create_unique(4096).unwrap();
        let _ = crate::shm::unlink(segment.name());
        assert_eq!(origin_of(segment.name()), Some(me), "{}", segment.name());
        assert_eq!(
            origin_of("/ringside-42-ns4026531836-0-q"),
            Some(NameOrigin { pid: 42, pid_namespace: Some(4_026_531_836) })
        );
    }

    #[test]
    fn names_in_the_old_format_have_no_pid_namespace() {
        let old = NameOrigin { pid: 42, pid_namespace: None };
        assert_eq!(origin_of("/ringside-42-0-q"), Some(old));
        assert_eq!(origin_of("ringside-42-7-0a1b2c3d"), Some(old));
        assert_eq!(origin_of("ringside-42-7-0a1b2c3d.2"), Some(old));
    }

    #[test]
    fn other_names_have_no_origin() {
        for name in [
            "other-42",
            "ringside-",
            "ringside-42",
            "ringside-test-42-tiny",
            "ringside-42-x",
            "ringside-42-ns-0-q",
            "ringside-42-nsx-0-q",
            "ringside-42-ns+5-0-q",
            "ringside-+42-0-q",
            "ringside-99999999999-0-q",
        ] {
            assert_eq!(origin_of(name), None, "{name}");
        }
    }

    #[test]
    fn a_pid_is_running_until_it_is_gone() {
        assert!(running(std::process::id()));
        assert!(running(1));
        assert!(running(0), "0 is no process, and nothing to judge by");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!running(pid) || pid_reused(pid));
        assert!(!running(9_999_999), "above any pid_max");
    }

    /// Whether `pid` went to another process since (rare, but possible).
    fn pid_reused(pid: u32) -> bool {
        Path::new("/proc").join(pid.to_string()).exists()
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
