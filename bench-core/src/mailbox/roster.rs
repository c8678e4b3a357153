//! Who sends: registering a sender in the header's table, its clean or
//! abandoned end, and the receiver's watch over the registered processes.
//!
//! A sender takes a free entry of the table by compare-and-swap of its
//! word to its pid and "open" (threads of one process each take their
//! own), and counts itself in the census word (`registered << 32 | open`,
//! one word so the receiver reads both at one instant). On a clean close
//! it marks the abandoned flag first if it abandons the stream, then counts
//! itself out with a Release decrement, then frees its entry. The stream
//! has ended once some sender registered, none is open, and the queue is
//! drained: the receiver reads the census (Acquire, which makes every
//! message the closed senders published visible), then finds the queue
//! empty.
//!
//! A sender that dies keeps its entry and its count: the receiver, while
//! waiting, asks (`crate::liveness`) whether the process of each open
//! entry has exited, and fails with its pid if one has.

use super::config::MAX_SENDERS;
use super::error::MailboxError;
use super::layout::{CENSUS_OPEN, CENSUS_REGISTERED, ENTRY_FREE, Region, census_registered, entry_open, entry_pid};
use crate::ring::wait::WaitFailure;
use crate::sync::Ordering;

/// Register a new sender: its entry's index in the table.
pub(crate) fn register(region: &Region) -> Result<usize, MailboxError> {
    let lines = region.lines();
    for (index, entry) in lines.table.entries.iter().enumerate() {
        let mine = entry_open(std::process::id());
        // Relaxed: the entry only names a process to watch; no data travels with it.
        if entry.word.compare_exchange(ENTRY_FREE, mine, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            // SeqCst: pairs with the receiver's SeqCst claim of its pid word
            // and its SeqCst load of the census in `unlink_once_all_attached`
            // (a receiver that has not seen this registration yet ended, or
            // waits, before it, which is a correct order too).
            lines.senders.census.fetch_add(CENSUS_REGISTERED + CENSUS_OPEN, Ordering::SeqCst);
            unlink_once_all_attached(region);
            return Ok(index);
        }
    }
    Err(MailboxError::TooManySenders { name: region.name().to_owned(), max: MAX_SENDERS })
}

/// Once as many senders registered as the creator said would and the
/// receiver has claimed its end, nobody needs the name any more: remove
/// it, so a crash leaves nothing behind. Called by each sender after it
/// registers and by the receiver after it claims; the last of them to
/// arrive removes it (the name may already be gone: removing it twice is
/// harmless). The two sides each make their change, then read the other's,
/// all `SeqCst`: in the one order of those operations at least one side
/// reads the other's change, so the name is never left behind by a race.
/// (The receiver's drop removes it in any case.)
pub(crate) fn unlink_once_all_attached(region: &Region) {
    let expected = region.geometry().expected_senders;
    if expected == 0 {
        return;
    }
    let lines = region.lines();
    // SeqCst: pairs with a sender's SeqCst increment of the census in `register`.
    let registered = census_registered(lines.senders.census.load(Ordering::SeqCst));
    // SeqCst: pairs with the receiver's SeqCst claim in `SharedMailbox::into_receiver`.
    let claimed = lines.receiver.pid.load(Ordering::SeqCst) != 0;
    if registered >= expected && claimed {
        #[cfg(not(loom))]
        let _ = crate::shm::unlink(region.name());
    }
}

/// Count out the sender of entry `index`: a clean end, or an abandoned one.
pub(crate) fn deregister(region: &Region, index: usize, abandoned: bool) {
    let lines = region.lines();
    if abandoned {
        // Relaxed: ordered before the receiver's read by the Release decrement below.
        lines.senders.abandoned.store(1, Ordering::Relaxed);
    }
    // Release: pairs with the receiver's Acquire load of the census in its
    // end-of-stream check: every message this sender published, and the
    // abandoned flag, are visible once it sees the sender gone.
    lines.senders.census.fetch_sub(CENSUS_OPEN, Ordering::Release);
    if let Some(entry) = lines.table.entries.get(index) {
        entry.word.store(ENTRY_FREE, Ordering::Relaxed);
    }
}

/// The receiver's watch over the registered senders' processes.
#[derive(Default)]
pub(crate) struct SenderWatch {
    /// One watch per table entry, opened when the entry's pid is first
    /// seen and again whenever it changes.
    #[cfg(not(loom))]
    processes: Vec<Option<crate::liveness::Liveness>>,
}

impl SenderWatch {
    /// `Err(PeerDied(pid))` if the process of an open entry has exited.
    #[cfg(not(loom))]
    pub(crate) fn check(&mut self, region: &Region) -> Result<(), WaitFailure> {
        let entries = &region.lines().table.entries;
        self.processes.resize_with(entries.len(), || None);
        for (entry, watched) in entries.iter().zip(self.processes.iter_mut()) {
            let Some(pid) = entry_pid(entry.word.load(Ordering::Relaxed)) else {
                *watched = None;
                continue;
            };
            let process = match watched {
                Some(process) if process.pid() == pid => process,
                slot => slot.insert(crate::liveness::Liveness::of(pid)),
            };
            if process.has_exited() {
                return Err(WaitFailure::PeerDied(pid));
            }
        }
        Ok(())
    }

    /// No processes under loom: a sender never dies.
    #[cfg(loom)]
    pub(crate) fn check(&mut self, _region: &Region) -> Result<(), WaitFailure> {
        Ok(())
    }
}
