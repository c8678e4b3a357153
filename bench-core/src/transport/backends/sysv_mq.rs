//! `sysv-mq`: one direction over a System V message queue (`msgget(2)`), an
//! indirect link opened by its id.
//!
//! The creator makes the queue with `IPC_CREAT | IPC_EXCL`, mode 0600, under
//! a key whose top 16 bits are `RS` (`0x5253`) and whose low 16 bits are
//! random (another key is tried when one exists), registers its id at once,
//! and passes the id in the address (`id`). Messages are `msgsnd` / `msgrcv`
//! through libc (neither rustix nor nix has them): `mtype` 1 carries data,
//! `mtype` 2 (empty) is the end marker, and the receiver takes whatever
//! comes first (`msgtyp` 0), so the queue is FIFO.
//!
//! # Capacity modes
//! - `bounded:N` (and the one-message queue under `rendezvous`): `IPC_SET`
//!   `msg_qbytes = N * message_size`. Linux admits a message only while both
//!   the bytes and the message count stay within `msg_qbytes`, so the queue
//!   holds exactly N messages of `message_size` bytes (more, smaller ones).
//!   Without `CAP_SYS_RESOURCE`, `msg_qbytes` above `/proc/sys/kernel/msgmnb`
//!   is `EPERM`: refused, naming `kernel.msgmnb`. A message size above
//!   `/proc/sys/kernel/msgmax` is [`TransportError::TooLarge`].
//! - `unbounded`: the kernel's default `msg_qbytes` (`kernel.msgmnb`),
//!   raised to one message if a message is larger; `try_send` is `msgsnd`
//!   with `IPC_NOWAIT`, and `wait_writable` (the spill path only) reads the
//!   queue's fill with `IPC_STAT` in sleeps growing from 50 µs to 5 ms,
//!   since a System V queue has no descriptor to poll.
//!
//! # Waiting, and a peer that dies
//! `msgsnd` / `msgrcv` have no timeout and a queue gives no end-of-file, so
//! each end blocks in the plain call (one system call per message, woken by
//! the kernel like a C program's) and has a watchdog thread ([`StallWatch`])
//! that looks every slice: when the end has been inside one call for a
//! whole slice, the queue says it really must wait (empty for a receiver, non-empty for a
//! sender), and the peer process (`OpenOptions::peer`) has exited or the
//! channel's timeout has passed without progress, the watchdog removes the
//! queue (`IPC_RMID`). The blocked call then returns `EIDRM`, which the end
//! reports as [`TransportError::PeerGone`] or [`TransportError::Timeout`].
//! A sender that finished and exited leaves its messages and end marker
//! queued, and a receiver that still has messages to read is never cut off.
//!
//! # Many senders
//! Any number of processes may send to one queue by its id: each sender's
//! `close` queues its own end marker, which the receiver hands up as
//! `Disconnected` once per marker (the channel counts them). The
//! receiver's watchdog watches one process at most, so with several
//! senders it watches none (`OpenOptions::peer` is `None`) and a dead
//! sender is a timeout.

use std::io;
use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use libc::{c_int, c_long, c_void};
use nix::errno::Errno;

use crate::ring::Capacity;
use crate::sysctl::Sysctl;
use crate::transport::TransportError;
use crate::transport::backend::{
    Backend, Created, OneWaySpec, OpenOptions, RawReceiver, RawSender, Role, Source, bounded_only,
};
use crate::transport::objects::{IpcObject, ObjectGuard};
use crate::transport::peer::{PeerWatch, StallWatch};

pub(crate) static BACKEND: Backend = Backend { create, open_sender, open_receiver, native: bounded_only };

/// The top 16 bits of every key ringside uses: `RS`.
const KEY_PREFIX: u32 = 0x5253;
/// The largest message.
const MSGMAX: Sysctl = Sysctl::new("kernel.msgmax");
/// The most bytes a queue holds without `CAP_SYS_RESOURCE`, and a new queue's `msg_qbytes`.
const MSGMNB: Sysctl = Sysctl::new("kernel.msgmnb");
/// The most queues the system holds.
const MSGMNI: Sysctl = Sysctl::new("kernel.msgmni");
/// `mtype` of a data message.
const DATA: c_long = 1;
/// `mtype` of the end marker.
const END: c_long = 2;

fn create(spec: &OneWaySpec) -> Result<Created, TransportError> {
    let size = spec.message_size;
    if let Some(max) = MSGMAX.read()
        && size as u64 > max
    {
        return Err(TransportError::TooLarge {
            len: size,
            max: max as usize,
            limit: format!("{MSGMAX} (raise it with `sysctl kernel.msgmax={size}`)"),
        });
    }
    let mut objects = ObjectGuard::new();
    let id = new_queue()?;
    objects.add(IpcObject::SysvMq(id));
    let mut ds = stat(id).map_err(|e| TransportError::io(format!("msgctl IPC_STAT {id}"), e))?;
    let (qbytes, realised, detail) = match spec.capacity {
        Capacity::Bounded(n) => {
            let q = (n as u64).checked_mul(size as u64).ok_or_else(|| {
                TransportError::Refused(format!("sysv-mq: bounded:{n} of {size}-byte messages overflows msg_qbytes"))
            })?;
            let detail = format!(
                "msg_qbytes {q} bytes (IPC_SET): room for {n} x {size} bytes (Linux also caps the count at msg_qbytes)"
            );
            (q, Some(n as u64), detail)
        }
        Capacity::Unbounded => {
            let default = ulong(ds.msg_qbytes);
            let q = default.max(size as u64);
            let from = if q == default { format!("the default, {MSGMNB}") } else { "one message".to_owned() };
            (q, None, format!("msg_qbytes {q} bytes ({from}); the sender keeps what does not fit"))
        }
        Capacity::Rendezvous => {
            return Err(TransportError::Protocol("sysv-mq: rendezvous is built by the channel, not the queue".into()));
        }
    };
    if qbytes != ulong(ds.msg_qbytes) {
        ds.msg_qbytes = qbytes as libc::msglen_t;
        // SAFETY: `ds` is a valid `msqid_ds` filled by IPC_STAT; IPC_SET only reads it.
        let rc = unsafe { libc::msgctl(id, libc::IPC_SET, &mut ds) };
        match Errno::result(rc) {
            Ok(_) => {}
            Err(Errno::EPERM) => {
                let mnb = MSGMNB.read().map_or_else(|| "?".to_owned(), |m| m.to_string());
                return Err(TransportError::Refused(format!(
                    "sysv-mq: msg_qbytes {qbytes} ({}) is above {MSGMNB} ({mnb} bytes): raise it with \
                     `sysctl kernel.msgmnb={qbytes}`, or run with CAP_SYS_RESOURCE",
                    match realised {
                        Some(n) => format!("{n} messages of {size} bytes"),
                        None => format!("one {size}-byte message"),
                    }
                )));
            }
            Err(e) => return Err(TransportError::io(format!("msgctl IPC_SET {id} msg_qbytes {qbytes}"), e)),
        }
    }
    let mut created = Created { realised, detail, objects, ..Created::default() };
    created.params.insert("id".into(), id.to_string());
    Ok(created)
}

/// A fresh queue under an `RS` key not in use.
fn new_queue() -> Result<i32, TransportError> {
    for _ in 0..256 {
        let key = ((KEY_PREFIX << 16) | u32::from(random16())) as libc::key_t;
        // SAFETY: msgget takes no pointers.
        let id = unsafe { libc::msgget(key, libc::IPC_CREAT | libc::IPC_EXCL | 0o600) };
        match Errno::result(id) {
            Ok(id) => return Ok(id),
            Err(Errno::EEXIST) => continue,
            Err(Errno::ENOSPC) => {
                return Err(TransportError::Refused(format!(
                    "sysv-mq: the system has {} queues already ({MSGMNI}): raise it with `sysctl kernel.msgmni=N`",
                    MSGMNI.read().map_or_else(|| "too many".to_owned(), |m| m.to_string())
                )));
            }
            Err(Errno::ENOSYS) => {
                return Err(TransportError::Refused(
                    "sysv-mq: this kernel has no System V IPC (CONFIG_SYSVIPC)".into(),
                ));
            }
            Err(e) => return Err(TransportError::io(format!("msgget key {key:#x}"), e)),
        }
    }
    Err(TransportError::Refused("sysv-mq: 256 random RS keys were all taken; remove old queues (ipcrm)".into()))
}

/// 16 bits that differ between calls and processes (splitmix64 of the
/// time, the pid and a counter; keys need no more than that).
fn random16() -> u16 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos
        ^ (u64::from(std::process::id()) << 32)
        ^ COUNTER.fetch_add(1, Ordering::Relaxed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) as u16
}

/// A `msqid_ds` count (`unsigned long`) as `u64`.
#[allow(clippy::useless_conversion)] // c_ulong is u64 on 64-bit targets only
fn ulong(x: libc::c_ulong) -> u64 {
    u64::from(x)
}

/// `IPC_STAT` of queue `id`.
fn stat(id: i32) -> Result<libc::msqid_ds, Errno> {
    let mut ds = std::mem::MaybeUninit::<libc::msqid_ds>::zeroed();
    // SAFETY: `ds` is writable memory the size of a `msqid_ds`, which IPC_STAT fills.
    let rc = unsafe { libc::msgctl(id, libc::IPC_STAT, ds.as_mut_ptr()) };
    Errno::result(rc)?;
    // SAFETY: IPC_STAT succeeded, so the kernel filled `ds` (and it was zeroed before).
    Ok(unsafe { ds.assume_init() })
}

/// `IPC_RMID` of queue `id`.
fn rmid(id: i32) -> Result<(), Errno> {
    // SAFETY: IPC_RMID does not read the buffer argument, which may be null.
    let rc = unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
    Errno::result(rc).map(drop)
}

/// A message buffer: `mtype` then up to `message_size` bytes of text,
/// aligned as the kernel reads `struct msgbuf`.
struct MsgBuf {
    words: Box<[c_long]>,
}

impl MsgBuf {
    fn new(size: usize) -> Self {
        Self { words: vec![0; 1 + size.div_ceil(size_of::<c_long>())].into_boxed_slice() }
    }

    fn mtype(&self) -> c_long {
        self.words[0]
    }

    fn set_mtype(&mut self, mtype: c_long) {
        self.words[0] = mtype;
    }

    fn text(&self) -> &[u8] {
        let words = &self.words[1..];
        // SAFETY: the bytes of initialised `c_long`s are initialised `u8`s
        // (alignment 1), and the slice covers exactly `words`.
        unsafe { std::slice::from_raw_parts(words.as_ptr().cast::<u8>(), size_of_val(words)) }
    }

    fn text_mut(&mut self) -> &mut [u8] {
        let words = &mut self.words[1..];
        let len = size_of_val(words);
        // SAFETY: as in `text`; any byte pattern is a valid `c_long`, and
        // the slice borrows `words` mutably for its lifetime.
        unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr().cast::<u8>(), len) }
    }

    fn as_ptr(&self) -> *const c_void {
        self.words.as_ptr().cast()
    }

    fn as_mut_ptr(&mut self) -> *mut c_void {
        self.words.as_mut_ptr().cast()
    }
}

/// One end's queue, buffer and watchdog.
struct End {
    id: i32,
    buf: MsgBuf,
    stall: StallWatch,
    peer: Option<u32>,
    timeout: Duration,
}

impl End {
    fn open(spec: &OneWaySpec, src: &mut Source<'_>, opts: &OpenOptions, role: Role) -> Result<Self, TransportError> {
        let id: i32 = src.parse("id")?;
        stat(id).map_err(|e| TransportError::io(format!("msgctl IPC_STAT {id} (opening the queue)"), e))?;
        let watch = PeerWatch::new(opts.peer, opts.timeout);
        // Waiting for the peer: the queue is empty for a receiver, still
        // holds messages for a sender; `None` once the queue is gone.
        let must_wait = move || {
            stat(id).ok().map(|ds| match role {
                Role::Receiver => ds.msg_qnum == 0,
                Role::Sender => ds.msg_qnum > 0,
            })
        };
        let stall = StallWatch::spawn(format!("sysv-mq-watch-{id}"), watch, must_wait, move || {
            let _ = rmid(id);
        })?;
        Ok(Self { id, buf: MsgBuf::new(spec.message_size), stall, peer: opts.peer, timeout: opts.timeout })
    }

    /// The end enters a call that may block.
    #[inline]
    fn enter(&self) {
        self.stall.enter();
    }

    /// The end left that call.
    #[inline]
    fn leave(&mut self) {
        self.stall.leave();
    }

    /// The error for a failed call: the watchdog's verdict if it removed
    /// the queue, a removed queue, or the system error.
    #[cold]
    fn error(&self, op: &str, e: Errno) -> TransportError {
        match (e, self.stall.verdict(self.peer, self.timeout)) {
            (Errno::EIDRM | Errno::EINVAL, Some(verdict)) => verdict,
            // EINVAL also means a bad argument: only a queue that is gone was removed.
            (Errno::EIDRM, _) | (Errno::EINVAL, _) if stat(self.id).is_err() => {
                TransportError::PeerGone(format!("System V queue {} was removed", self.id))
            }
            (e, _) => TransportError::io(format!("{op} on System V queue {}", self.id), e),
        }
    }

    /// `msgsnd` of the buffer's first `len` text bytes under `mtype`.
    #[inline]
    fn send(&mut self, mtype: c_long, len: usize, flags: c_int) -> Result<(), Errno> {
        self.buf.set_mtype(mtype);
        loop {
            // SAFETY: the buffer holds an `mtype` followed by at least `len`
            // text bytes (len <= message_size, the buffer's text length).
            let rc = unsafe { libc::msgsnd(self.id, self.buf.as_ptr(), len, flags) };
            match Errno::result(rc) {
                Err(Errno::EINTR) => {}
                other => return other.map(drop),
            }
        }
    }
}

/// The sending end.
struct SysvSender {
    end: End,
    /// The length of the message `try_send` last refused, for `wait_writable`.
    refused_len: usize,
}

fn open_sender(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawSender>, TransportError> {
    Ok(Box::new(SysvSender { end: End::open(spec, src, opts, Role::Sender)?, refused_len: 1 }))
}

impl RawSender for SysvSender {
    #[inline]
    fn send(&mut self, msg: &[u8]) -> Result<(), TransportError> {
        let end = &mut self.end;
        end.buf.text_mut()[..msg.len()].copy_from_slice(msg);
        end.enter();
        let r = end.send(DATA, msg.len(), 0);
        end.leave();
        r.map_err(|e| end.error("msgsnd", e))
    }

    #[inline]
    fn try_send(&mut self, msg: &[u8]) -> Result<bool, TransportError> {
        let end = &mut self.end;
        end.buf.text_mut()[..msg.len()].copy_from_slice(msg);
        match end.send(DATA, msg.len(), libc::IPC_NOWAIT) {
            Ok(()) => Ok(true),
            Err(Errno::EAGAIN) => {
                self.refused_len = msg.len();
                Ok(false)
            }
            Err(e) => Err(end.error("msgsnd", e)),
        }
    }

    fn wait_writable(&mut self) -> Result<(), TransportError> {
        let len = self.refused_len as u64;
        let end = &mut self.end;
        let mut nap = Duration::from_micros(50);
        end.enter();
        let result = loop {
            match stat(end.id) {
                Ok(ds) => {
                    // The kernel's test (msg_fits_inqueue): bytes and count both within msg_qbytes.
                    let q = ulong(ds.msg_qbytes);
                    if ds.__msg_cbytes + len <= q && ulong(ds.msg_qnum) < q {
                        break Ok(());
                    }
                }
                Err(e) => break Err(end.error("msgctl IPC_STAT", e)),
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(5));
        };
        end.leave();
        result
    }

    fn close(&mut self) -> Result<(), TransportError> {
        let end = &mut self.end;
        end.enter();
        let r = end.send(END, 0, 0);
        end.leave();
        r.map_err(|e| end.error("msgsnd (end marker)", e))
    }
}

/// The receiving end.
struct SysvReceiver {
    end: End,
    size: usize,
}

fn open_receiver(
    spec: &OneWaySpec,
    src: &mut Source<'_>,
    opts: &OpenOptions,
) -> Result<Box<dyn RawReceiver>, TransportError> {
    let end = End::open(spec, src, opts, Role::Receiver)?;
    Ok(Box::new(SysvReceiver { end, size: spec.message_size }))
}

impl RawReceiver for SysvReceiver {
    #[inline]
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize, TransportError> {
        let end = &mut self.end;
        end.enter();
        let got = loop {
            // SAFETY: the buffer holds an `mtype` and `size` text bytes, as
            // many as msgrcv may write after the `mtype`.
            let rc = unsafe { libc::msgrcv(end.id, end.buf.as_mut_ptr(), self.size, 0, 0) };
            match Errno::result(rc) {
                Err(Errno::EINTR) => {}
                other => break other,
            }
        };
        end.leave();
        let n = got.map_err(|e| end.error("msgrcv", e))? as usize;
        if end.buf.mtype() == END {
            // One sender's end: the channel counts them (others may follow).
            return Err(TransportError::Disconnected);
        }
        buf[..n].copy_from_slice(&end.buf.text()[..n]);
        Ok(n)
    }
}

fn not_found(id: i32) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("System V queue {id} is gone"))
}

/// Remove the queue `id`. A queue already gone, or an id that now names a
/// queue without the `RS` key prefix (the id was reused), is `NotFound`.
pub(crate) fn remove(id: i32) -> io::Result<()> {
    match stat(id) {
        Ok(ds) if (ds.msg_perm.__key as u32) >> 16 == KEY_PREFIX => {}
        Ok(_) | Err(Errno::EINVAL | Errno::EIDRM) => return Err(not_found(id)),
        Err(e) => return Err(e.into()),
    }
    match rmid(id) {
        Ok(()) => Ok(()),
        Err(Errno::EINVAL | Errno::EIDRM) => Err(not_found(id)),
        Err(e) => Err(e.into()),
    }
}

/// Ids of queues left by dead runs: an `RS` key, last changed over 60 s
/// ago, and no end that still runs or that this pid namespace cannot see.
/// `/proc/sysvipc/msg` gives the last sender's and receiver's pids as this
/// process's pid namespace numbers them, and 0 both for "never" and for a
/// process out of its sight (a run in a parent or sibling namespace that
/// shares this IPC namespace); the send and receive times tell them apart.
/// A queue never sent to nor received from has no owner to judge: as before,
/// it is taken for a leftover once 60 s old, in every namespace alike.
pub(crate) fn leftovers() -> Vec<i32> {
    let Ok(table) = std::fs::read_to_string("/proc/sysvipc/msg") else { return Vec::new() };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    parse_leftovers(&table, now, crate::transport::objects::running)
}

/// [`leftovers`] over the text of `/proc/sysvipc/msg`.
fn parse_leftovers(table: &str, now: u64, running: impl Fn(u32) -> bool) -> Vec<i32> {
    let mut lines = table.lines();
    let Some(header) = lines.next() else { return Vec::new() };
    let column = |name: &str| header.split_whitespace().position(|c| c == name);
    let columns = [
        column("key"),
        column("msqid"),
        column("lspid"),
        column("lrpid"),
        column("stime"),
        column("rtime"),
        column("ctime"),
    ];
    let [Some(key), Some(id), Some(lspid), Some(lrpid), Some(stime), Some(rtime), Some(ctime)] = columns else {
        return Vec::new();
    };
    lines
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let num = |i: usize| fields.get(i)?.parse::<i64>().ok();
            // One end is gone if it never used the queue (pid and time 0)
            // or its pid, seen from here, no longer runs; a pid of 0 with a
            // time is an end out of sight, which may well be running.
            let gone = |pid: i64, time: i64| match pid {
                0 => time == 0,
                pid => u32::try_from(pid).is_ok_and(|pid| !running(pid)),
            };
            let ours = (num(key)? as u32) >> 16 == KEY_PREFIX;
            let idle = gone(num(lspid)?, num(stime)?) && gone(num(lrpid)?, num(rtime)?);
            let old = now.saturating_sub(num(ctime)? as u64) > 60;
            (ours && idle && old).then_some(num(id)? as i32)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::backends::testing::{message, short_lived};
    use crate::transport::{Channel, ChannelSpec, TransportKind};

    const KIND: TransportKind = TransportKind::SysvMq;

    /// The queue ids in a channel's address (data and acknowledgement).
    fn ids(chan: &Channel) -> Vec<i32> {
        chan.address().params("id").map(|id| id.parse().unwrap()).collect()
    }

    /// Whether `/proc/sysvipc/msg` lists queue `id`.
    fn listed(id: i32) -> bool {
        IpcObject::SysvMq(id).exists()
    }

    fn assert_gone(ids: &[i32]) {
        for &id in ids {
            assert!(stat(id).is_err(), "queue {id} still exists");
            assert!(!listed(id), "queue {id} still listed in /proc/sysvipc/msg");
        }
    }

    /// The queues each mode makes, found by the ids in the address (not by
    /// the channel's own list of objects): one, and a second for the
    /// rendezvous acknowledgements; each under an `RS` key, listed in
    /// `/proc/sysvipc/msg`, and removed with the channel.
    #[test]
    fn one_rs_queue_per_direction_removed_with_the_channel() {
        for capacity in [Capacity::Rendezvous, Capacity::Bounded(4), Capacity::Unbounded] {
            let chan = Channel::create(&ChannelSpec::new(KIND, capacity, 16)).unwrap();
            let objects = ids(&chan);
            assert_eq!(objects.len(), if capacity == Capacity::Rendezvous { 2 } else { 1 }, "{capacity}");
            for &id in &objects {
                let key = stat(id).unwrap().msg_perm.__key as u32;
                assert_eq!(key >> 16, 0x5253, "key {key:#x}");
                assert!(listed(id));
            }
            drop(chan);
            assert_gone(&objects);
        }
    }

    /// `msg_qbytes = N x message_size`: exactly N messages of that size fit.
    #[test]
    fn bounded_capacity_is_exact() {
        for n in [1usize, 64, 1024] {
            let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(n), 16)).unwrap();
            let realised = chan.realised();
            assert_eq!(realised.messages, Some(n as u64), "{}", realised.detail);
            let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
            let mut accepted = 0u64;
            while tx.try_send(&[7u8; 16]).unwrap() {
                accepted += 1;
                assert!(accepted <= n as u64 + 1, "more than {n} fit");
            }
            eprintln!("sysv-mq bounded:{n} x 16 B: {accepted} messages fit ({})", realised.detail);
            assert_eq!(accepted, n as u64);
            let objects = ids(&chan);
            drop((tx, chan));
            assert_gone(&objects);
        }
    }

    /// `kernel.msgmax` and `kernel.msgmnb` are refused naming themselves
    /// and how to raise them.
    #[test]
    fn kernel_limits_are_refused_by_name() {
        let msgmax = MSGMAX.read().unwrap() as usize;
        match Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(1), msgmax + 1)) {
            Err(TransportError::TooLarge { len, max, limit }) => {
                assert_eq!((len, max), (msgmax + 1, msgmax));
                assert!(limit.contains(&MSGMAX.to_string()) && limit.contains("sysctl kernel.msgmax"), "{limit}");
            }
            other => panic!("expected TooLarge, got {:?}", other.map(|c| c.realised())),
        }
        // Above kernel.msgmnb: refused without CAP_SYS_RESOURCE, realised with it.
        let mnb = MSGMNB.read().unwrap() as usize;
        match Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(mnb / 16 + 1), 16)) {
            Err(TransportError::Refused(why)) => {
                assert!(why.contains(&MSGMNB.to_string()) && why.contains("sysctl kernel.msgmnb"), "{why}")
            }
            Ok(chan) => assert_eq!(chan.realised().messages, Some(mnb as u64 / 16 + 1)),
            Err(e) => panic!("expected Refused, got {e}"),
        }
    }

    /// A sender that finished and exited left its messages and end marker
    /// queued: a receiver that reads them slowly (the watchdog ticking in
    /// between) gets them all, then the clean end; the queue is left alone.
    #[test]
    fn finished_sender_that_exited_is_drained() {
        let mut chan = Channel::create(&ChannelSpec::new(KIND, Capacity::Bounded(8), 16)).unwrap();
        let mut child = short_lived("0");
        let mut tx = chan.open_sender(&OpenOptions::default()).unwrap();
        for seq in 0..3 {
            tx.send(&message(seq, 16)).unwrap();
        }
        tx.finish().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let opts = OpenOptions { peer: Some(child.id()), timeout: Duration::from_secs(20) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let mut buf = [0u8; 16];
        for seq in 0..3 {
            // Slow reads: the watchdog ticks in between and must leave the queue alone.
            std::thread::sleep(crate::transport::peer::SLICE * 3);
            let n = rx.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &message(seq, 16)[..]);
        }
        assert!(rx.recv(&mut buf).unwrap_err().is_disconnected());
        child.wait().unwrap();
    }

    /// With no process to watch, the watchdog removes the queue under a
    /// receiver stuck at the deadline: it reports the timeout, and the other
    /// end then finds the queue gone.
    #[test]
    fn stuck_peer_times_out() {
        let spec = ChannelSpec::new(KIND, Capacity::Bounded(1), 16).timeout(Duration::from_millis(200));
        let mut chan = Channel::create(&spec).unwrap();
        let opts = OpenOptions { peer: None, timeout: Duration::from_millis(200) };
        let mut rx = chan.open_receiver(&opts).unwrap();
        let mut tx = chan.open_sender(&opts).unwrap();
        let mut buf = [0u8; 16];
        assert!(matches!(rx.recv(&mut buf), Err(TransportError::Timeout(_))));
        // The watchdog removed the queue to wake the call: the other end sees it gone.
        assert!(matches!(tx.send(&[1; 16]), Err(TransportError::PeerGone(_))));
        let objects = ids(&chan);
        drop((rx, tx, chan));
        assert_gone(&objects);
    }

    #[test]
    fn remove_twice_is_not_found() {
        let created = create(&OneWaySpec {
            capacity: Capacity::Bounded(1),
            message_size: 8,
            fixed_size: false,
            wait: crate::ring::WaitStrategy::Block,
            variant: crate::ring::Variant::Ring,
            design: vocabulary::MailboxDesign::LockFree,
            timeout: Duration::from_secs(1),
            senders: 1,
        })
        .unwrap();
        let id: i32 = created.params["id"].parse().unwrap();
        remove(id).unwrap();
        assert_eq!(remove(id).unwrap_err().kind(), io::ErrorKind::NotFound);
        drop(created);
        assert_gone(&[id]);
    }

    #[test]
    fn leftovers_are_old_idle_rs_queues() {
        let rs = 0x5253_1234u32 as i32;
        let table = format!(
            "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n\
             {rs:10} 1 600 0 0 0 0 0 0 0 0 0 0 1000\n\
             {rs:10} 2 600 0 0 0 0 0 0 0 0 0 0 1990\n\
             {rs:10} 3 600 0 0 42 0 0 0 0 0 0 0 1000\n\
             {rs:10} 4 600 0 0 43 0 0 0 0 0 0 0 1000\n\
             {:10} 5 600 0 0 0 0 0 0 0 0 0 0 1000\n",
            0x1234_5678
        );
        // 1: old and idle; 2: too recent; 3: its sender runs; 4: its sender is gone; 5: not ours.
        assert_eq!(parse_leftovers(&table, 2000, |pid| pid == 42), vec![1, 4]);
        assert!(parse_leftovers("", 2000, |_| false).is_empty());
    }

    /// A pid of 0 beside a send or receive time is a process this pid
    /// namespace cannot see, not a dead one: its queue is left alone.
    #[test]
    fn a_queue_used_from_an_unseen_pid_namespace_is_not_a_leftover() {
        let rs = 0x5253_1234u32 as i32;
        let table = format!(
            "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n\
             {rs:10} 1 600 0 0 0 0 0 0 0 0 1500 0 1000\n\
             {rs:10} 2 600 0 0 43 0 0 0 0 0 1500 1500 1000\n\
             {rs:10} 3 600 0 0 0 43 0 0 0 0 1500 1500 1000\n\
             {rs:10} 4 600 0 0 43 44 0 0 0 0 1500 1500 1000\n"
        );
        // 1: sent to from out of sight; 2: received from out of sight; 3: sent
        // to from out of sight; 4: both ends seen, both gone.
        assert_eq!(parse_leftovers(&table, 2000, |_| false), vec![4]);
    }

    /// The same on a real queue: sent to by this process, then read from a
    /// new pid namespace (where this process's pid reads 0), it is not a
    /// leftover there however old. Before, a clean run in a container
    /// sharing this IPC namespace removed the live run's queue after 60 s.
    #[test]
    fn a_queue_this_process_uses_is_no_leftover_seen_from_a_child_pid_namespace() {
        let table_from_child = |args: &[&str]| {
            std::process::Command::new("unshare")
                .args(args)
                .args(["cat", "/proc/sysvipc/msg"])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        if table_from_child(&["-pf", "--mount-proc"]).or_else(|| table_from_child(&["-Urpf", "--mount-proc"])).is_none()
        {
            println!("skipped: `unshare` cannot start a new pid namespace here");
            return;
        }
        let created = create(&OneWaySpec {
            capacity: Capacity::Bounded(4),
            message_size: 8,
            fixed_size: false,
            wait: crate::ring::WaitStrategy::Block,
            variant: crate::ring::Variant::Ring,
            design: vocabulary::MailboxDesign::LockFree,
            timeout: Duration::from_secs(1),
            senders: 1,
        })
        .unwrap();
        let id: i32 = created.params["id"].parse().unwrap();
        let mut buf = MsgBuf::new(8);
        buf.set_mtype(DATA);
        // SAFETY: `buf` holds an `mtype` and 8 text bytes, all that msgsnd reads.
        let rc = unsafe { libc::msgsnd(id, buf.as_ptr(), 8, libc::IPC_NOWAIT) };
        Errno::result(rc).unwrap();
        let table = table_from_child(&["-pf", "--mount-proc"])
            .or_else(|| table_from_child(&["-Urpf", "--mount-proc"]))
            .expect("/proc/sysvipc/msg from a new pid namespace");
        let row = table.lines().find(|l| l.split_whitespace().nth(1) == Some(&id.to_string()));
        let lspid = row.and_then(|r| r.split_whitespace().nth(5));
        assert_eq!(lspid, Some("0"), "this process should be out of sight there: {row:?}");
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let an_hour_later = now + 3600;
        let leftovers = parse_leftovers(&table, an_hour_later, |_| false);
        drop(created);
        assert!(
            !leftovers.contains(&id),
            "queue {id}, live and used, is a leftover from a child pid namespace: {row:?}"
        );
    }
}
