//! What more than one test binary of bench-core needs: the hang watchdog.
//! (A `common/mod.rs`, not `common.rs`, so cargo does not build it as a
//! test binary of its own.)

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Aborts the whole test binary if `what` takes longer than `secs`: a hang
/// becomes a failure with a message instead of a stuck CI job. Dropping
/// it (the test's end) disarms it.
pub struct Watchdog(Arc<AtomicBool>);

impl Watchdog {
    /// Arm for `what`, `secs` seconds.
    pub fn new(what: String, secs: u64) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        std::thread::spawn(move || {
            for _ in 0..secs * 10 {
                std::thread::sleep(Duration::from_millis(100));
                if flag.load(Ordering::Relaxed) {
                    return;
                }
            }
            eprintln!("{what} hung for {secs} s");
            std::process::abort();
        });
        Watchdog(done)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}
