//! The atomics and parking primitives the ring protocol is written against.
//!
//! Under `--cfg loom` every atomic comes from [`loom`] so the model checker can
//! explore all interleavings of the *same* protocol code, and the futex is
//! emulated with a loom mutex and condition variable that keep the kernel's
//! contract: `wait(word, expected)` sleeps only if `word == expected` at the
//! moment it is checked under the lock, and `wake` wakes every such sleeper.
//! Otherwise the atomics are `core`'s and the futex is the real, *shared*
//! (not `FUTEX_PRIVATE_FLAG`) futex, so it works across processes that map
//! the same page. This is the pattern of crossbeam-utils' `primitive` module.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};

/// Hint to the CPU (or to loom's scheduler) that this thread is spinning.
#[inline(always)]
pub(crate) fn spin_hint() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}

/// Give the rest of this time slice to another runnable thread.
pub(crate) fn yield_now() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::thread::yield_now();
}

/// The word a side sleeps on, with what loom needs to emulate the futex.
#[repr(C)]
#[derive(Default)]
pub(crate) struct FutexWord {
    /// 1 while the owning side announces that it is (about to be) asleep.
    pub(crate) word: AtomicU32,
    #[cfg(loom)]
    park: (loom::sync::Mutex<()>, loom::sync::Condvar),
}

#[cfg(not(loom))]
impl FutexWord {
    /// Sleep while `word == expected`, at most `timeout`. Spurious returns are allowed.
    pub(crate) fn wait(&self, expected: u32, timeout: std::time::Duration) {
        use rustix::thread::futex;
        let ts = rustix::time::Timespec {
            tv_sec: timeout.as_secs().try_into().unwrap_or(i64::MAX),
            tv_nsec: timeout.subsec_nanos().into(),
        };
        // EAGAIN (value changed), ETIMEDOUT and EINTR all mean "look again".
        let _ = futex::wait(&self.word, futex::Flags::empty(), expected, Some(&ts));
    }

    /// Wake every sleeper on this word, in any process that maps it.
    pub(crate) fn wake_all(&self) {
        use rustix::thread::futex;
        let _ = futex::wake(&self.word, futex::Flags::empty(), u32::MAX);
    }
}

#[cfg(loom)]
impl FutexWord {
    /// Loom model of `FUTEX_WAIT`: check-then-sleep is atomic under the lock.
    pub(crate) fn wait(&self, expected: u32, _timeout: std::time::Duration) {
        let guard = self.park.0.lock().unwrap();
        if self.word.load(Ordering::SeqCst) != expected {
            return;
        }
        drop(self.park.1.wait(guard).unwrap());
    }

    /// Loom model of `FUTEX_WAKE`.
    pub(crate) fn wake_all(&self) {
        let _guard = self.park.0.lock().unwrap();
        self.park.1.notify_all();
    }
}
