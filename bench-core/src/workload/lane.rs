//! Which of a mailbox's producers a sending side is ([`Lane`]): the tags
//! its messages carry, and, in an open-loop rate shared by all producers,
//! the slots of the common schedule that are its own.
//!
//! Producer `k` of `n` numbers its messages `0, 1, 2, …` and writes them
//! as [`tag`]`(k, seq)`; in a `rate:R` run its message `seq` takes slot
//! `seq * n + k` of the schedule (slot `i` is due at `start + i / R`), so
//! the producers interleave evenly and together offer `R`. The sole
//! producer of a link is lane 0 of 1: its tags are its sequence numbers
//! and its slots are its sequence numbers, exactly a single stream.

use super::message::tag;

/// Producer `producer` of `producers` sending to one mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lane {
    producer: u16,
    producers: u16,
}

impl Lane {
    /// The one producer of a link.
    pub const SOLE: Lane = Lane { producer: 0, producers: 1 };

    /// Producer `producer` (from 0) of `producers`; `None` unless
    /// `producer < producers`.
    pub fn new(producer: u16, producers: u16) -> Option<Lane> {
        (producer < producers).then_some(Lane { producer, producers })
    }

    /// This producer's index.
    pub fn producer(self) -> u16 {
        self.producer
    }

    /// How many producers share the mailbox.
    pub fn producers(self) -> u16 {
        self.producers
    }

    /// The tag of this producer's message `seq` (what its head carries).
    #[inline]
    pub fn tag(self, seq: u64) -> u64 {
        tag(self.producer, seq)
    }

    /// The schedule slot of this producer's message `seq`.
    #[inline]
    pub fn slot(self, seq: u64) -> u64 {
        slot(self.producer, self.producers, seq)
    }
}

/// The schedule slot of message `seq` of producer `producer` of `producers`.
#[inline]
pub fn slot(producer: u16, producers: u16, seq: u64) -> u64 {
    seq * u64::from(producers) + u64::from(producer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sole_lane_is_a_single_stream_and_lanes_interleave_the_schedule() {
        for seq in [0, 1, 77] {
            assert_eq!(Lane::SOLE.tag(seq), seq);
            assert_eq!(Lane::SOLE.slot(seq), seq);
        }
        let lanes: Vec<Lane> = (0..3).map(|k| Lane::new(k, 3).unwrap()).collect();
        let mut slots: Vec<u64> = lanes.iter().flat_map(|l| (0..4).map(|s| l.slot(s))).collect();
        slots.sort_unstable();
        assert_eq!(slots, (0..12).collect::<Vec<_>>(), "every slot once");
        assert_eq!(lanes[2].tag(5), 2 << 48 | 5);
        assert_eq!(Lane::new(3, 3), None);
    }
}
