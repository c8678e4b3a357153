//! The receiving side of a mailbox that many producers send to: each
//! arriving message is checked against the stream of the producer its tag
//! names, so that interleaving between producers is never a fault, and
//! losses, duplicates, reorderings and corruptions are counted for the
//! producer they happened to.
//!
//! Every producer writes its messages with
//! [`ProducerWriter`](super::ProducerWriter):
//! the word at the head, stamps and tail is a [`tag`](super::message::tag),
//! the producer's index above the sequence number. [`MailboxChecker::check`]
//! reads the head's tag and hands the message to that producer's own
//! [`MessageChecker`], set to expect that producer's tags; there is no
//! second copy of the checking here, only the routing. Order is checked
//! within each producer's stream alone.
//!
//! A message whose head cannot be read (shorter than [`MIN_SIZE`]), or
//! whose tag names a producer index at or past the number of producers,
//! belongs to no producer: it is counted as corrupted in
//! [`MailboxChecker::unattributed`] and in the [total](MailboxChecker::total),
//! in no producer's counts. A corrupted head cannot say whose message it
//! was: if the corruption lands in the producer's bits and still names a
//! producer in range, that producer's checker counts it (as corrupted, as
//! the tail no longer matches the head).
//!
//! Streams of varying lengths ([`MailboxChecker::varying`]) work the same
//! way: each producer's message `seq` is as long as
//! [`varying_len`](super::message::varying_len) says for `seq`.

use super::message::{Integrity, MIN_SIZE, MessageChecker, PRODUCERS_MAX, producer_of, seq_of};

/// Which producer an intact message came from, and its place in that
/// producer's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// The producer's index, `0..producers`.
    pub producer: u16,
    /// The message's sequence number in its producer's stream.
    pub seq: u64,
}

/// Checks the messages a mailbox's receiver gets from several producers,
/// counting every fault against the producer it happened to.
#[derive(Debug, Clone)]
pub struct MailboxChecker {
    /// One checker per producer, at the producer's index; never empty, at
    /// most [`PRODUCERS_MAX`] long.
    producers: Vec<MessageChecker>,
    /// Messages of no producer: too short for a head, or naming a producer
    /// index past the last.
    unattributed: u64,
}

impl MailboxChecker {
    /// For messages of `size` bytes from producers `0..producers`.
    ///
    /// # Panics
    /// If `producers` is 0 or above [`PRODUCERS_MAX`] (2^16).
    pub fn new(size: usize, producers: usize) -> Self {
        Self::of(producers, || MessageChecker::new(size))
    }

    /// For streams of varying lengths up to `max` bytes from producers
    /// `0..producers`, each producer's message `seq` as long as
    /// [`varying_len`](super::message::varying_len) says for `seq`.
    ///
    /// # Panics
    /// If `producers` is 0 or above [`PRODUCERS_MAX`].
    pub fn varying(max: usize, producers: usize) -> Self {
        Self::of(producers, || MessageChecker::varying(max))
    }

    /// A copy of `checker` per producer, each expecting its own tags. Each
    /// copy holds its own expected message (about twice the message's
    /// size), so that its path is exactly a single stream's.
    fn of(producers: usize, checker: impl FnOnce() -> MessageChecker) -> Self {
        assert!(
            (1..=PRODUCERS_MAX).contains(&producers),
            "a mailbox has 1 to {PRODUCERS_MAX} producers, not {producers}"
        );
        let checker = checker();
        let producers = (0..producers)
            .map(|p| checker.clone().expecting_producer(u16::try_from(p).expect("checked against PRODUCERS_MAX")))
            .collect();
        Self { producers, unattributed: 0 }
    }

    /// Check one arrived message: whose it was and its sequence number if
    /// it was intact, `None` if it was corrupted or of no producer. A
    /// duplicate or a late message is intact (and counted as such).
    #[inline]
    pub fn check(&mut self, msg: &[u8]) -> Option<Arrival> {
        let Some(head) = msg.first_chunk::<MIN_SIZE>() else {
            self.unattributed += 1;
            return None;
        };
        let producer = producer_of(u64::from_le_bytes(*head));
        let Some(checker) = self.producers.get_mut(usize::from(producer)) else {
            self.unattributed += 1;
            return None;
        };
        checker.check(msg).map(|tag| Arrival { producer, seq: seq_of(tag) })
    }

    /// How many producers this mailbox expects.
    pub fn producers(&self) -> usize {
        self.producers.len()
    }

    /// Each producer's counts, at its index; `sent` is left 0 for the
    /// caller to fill in from the producers, as for
    /// [`MessageChecker::counts`].
    pub fn per_producer(&self) -> Vec<Integrity> {
        self.producers.iter().map(MessageChecker::counts).collect()
    }

    /// Messages that belonged to no producer (no readable head, or a
    /// producer index out of range), all counted as corrupted.
    pub fn unattributed(&self) -> u64 {
        self.unattributed
    }

    /// Every producer's counts added up, with the
    /// [unattributed](Self::unattributed) messages as received and
    /// corrupted; `sent` is left 0 for the caller.
    pub fn total(&self) -> Integrity {
        let mut total = Integrity::default();
        for counts in self.per_producer() {
            total.add(&counts);
        }
        total.received += self.unattributed;
        total.corrupted += self.unattributed;
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::message::{MessageWriter, ProducerWriter, SEQ_LIMIT, tag};

    const SIZE: usize = 200;

    /// Deliver `(producer, seq)` messages of `SIZE` bytes, each producer's
    /// written by its own writer.
    fn deliver(producers: usize, order: &[(u16, u64)]) -> MailboxChecker {
        let mut writers: Vec<_> = (0..producers).map(|p| ProducerWriter::new(SIZE, p as u16)).collect();
        let mut checker = MailboxChecker::new(SIZE, producers);
        for &(p, seq) in order {
            checker.check(writers[usize::from(p)].message(seq));
        }
        checker
    }

    /// Three producers' streams of `n` (even) messages, interleaved
    /// unevenly: producer 1 sends two at a time every other round.
    fn interleaved(n: u64) -> Vec<(u16, u64)> {
        let mut order = Vec::new();
        for seq in 0..n {
            order.push((2, seq));
            order.push((0, seq));
            if seq % 2 == 0 {
                order.push((1, seq));
                order.push((1, seq + 1));
            }
        }
        order
    }

    fn with_sent(counts: Integrity, sent: u64) -> Integrity {
        Integrity { sent, ..counts }
    }

    #[test]
    fn three_interleaved_producers_are_clean() {
        let order = interleaved(10);
        let mut writers: Vec<_> = (0..3).map(|p| ProducerWriter::new(SIZE, p)).collect();
        let mut checker = MailboxChecker::new(SIZE, 3);
        for &(p, seq) in &order {
            let arrival = checker.check(writers[usize::from(p)].message(seq));
            assert_eq!(arrival, Some(Arrival { producer: p, seq }));
        }
        for (p, counts) in checker.per_producer().into_iter().enumerate() {
            assert_eq!(with_sent(counts, 10).problems(), "", "producer {p}");
        }
        assert_eq!(with_sent(checker.total(), 30).problems(), "");
        assert_eq!(checker.unattributed(), 0);
    }

    /// A loss, a duplicate and a reordering in producer 1's stream are
    /// counted for producer 1 alone.
    #[test]
    fn faults_in_one_producer_are_counted_for_it_alone() {
        // Producer 1 sends 0..10 but 3 never arrives, 5 arrives twice and
        // 7 arrives after 8.
        let faulty = [0, 1, 2, 4, 5, 5, 6, 8, 7, 9];
        let mut order = Vec::new();
        for (i, &seq) in faulty.iter().enumerate() {
            order.extend([(0, i as u64), (1, seq), (2, i as u64)]);
        }
        let checker = deliver(3, &order);
        let per = checker.per_producer();
        assert_eq!(with_sent(per[0], 10).problems(), "");
        assert_eq!(with_sent(per[2], 10).problems(), "");
        let one = per[1];
        assert_eq!((one.lost, one.duplicated, one.reordered, one.corrupted), (1, 1, 1, 0), "{one:?}");
        assert_eq!(one.received, 10);
        let total = checker.total();
        assert_eq!((total.lost, total.duplicated, total.reordered, total.received), (1, 1, 1, 30));
    }

    /// A changed byte in the middle of one of producer 2's messages: that
    /// message is corrupted (and, never arriving intact, lost), for
    /// producer 2 only.
    #[test]
    fn a_corrupted_byte_counts_for_its_producer() {
        let mut writers: Vec<_> = (0..3).map(|p| ProducerWriter::new(SIZE, p)).collect();
        let mut checker = MailboxChecker::new(SIZE, 3);
        for seq in 0..5 {
            for p in 0..3 {
                let mut m = writers[usize::from(p)].message(seq).to_vec();
                if (p, seq) == (2, 3) {
                    m[100] ^= 0x01;
                    assert_eq!(checker.check(&m), None);
                } else {
                    assert_eq!(checker.check(&m), Some(Arrival { producer: p, seq }));
                }
            }
        }
        let per = checker.per_producer();
        assert_eq!(with_sent(per[0], 5).problems(), "");
        assert_eq!(with_sent(per[1], 5).problems(), "");
        assert_eq!((per[2].corrupted, per[2].lost, per[2].received), (1, 1, 5), "{:?}", per[2]);
        assert_eq!(checker.unattributed(), 0);
    }

    /// A head corrupted in its producer's bits names another producer in
    /// range: that one counts it, as corrupted (its tail does not match).
    #[test]
    fn a_head_corrupted_into_another_producer_is_corrupted_there() {
        let mut checker = MailboxChecker::new(SIZE, 3);
        let mut m = ProducerWriter::new(SIZE, 0).message(0).to_vec();
        m[6] ^= 0x02; // bit 49: producer 2
        assert_eq!(checker.check(&m), None);
        let per = checker.per_producer();
        assert_eq!((per[0], per[2].corrupted, checker.unattributed()), (Integrity::default(), 1, 0));
    }

    /// A tag naming producer 3 of a mailbox of three, and a message too
    /// short for a head, belong to no producer.
    #[test]
    fn an_unknown_producer_or_no_head_is_corrupted_of_no_producer() {
        let mut checker = MailboxChecker::new(SIZE, 3);
        assert_eq!(checker.check(ProducerWriter::new(SIZE, 3).message(0)), None);
        assert_eq!(checker.check(ProducerWriter::new(SIZE, u16::MAX).message(0)), None);
        assert_eq!(checker.check(&[0u8; MIN_SIZE - 1]), None);
        assert_eq!(checker.unattributed(), 3);
        assert!(checker.per_producer().iter().all(|c| *c == Integrity::default()));
        let total = checker.total();
        assert_eq!((total.corrupted, total.received), (3, 3));
        // The others are still expected from their message 0.
        assert_eq!(checker.check(ProducerWriter::new(SIZE, 2).message(0)), Some(Arrival { producer: 2, seq: 0 }));
    }

    #[test]
    fn varying_lengths_from_interleaved_producers_are_clean() {
        for max in [8, 17, 80, 200] {
            let writers: Vec<_> = (0..3).map(|p| ProducerWriter::new(max, p)).collect();
            let mut checker = MailboxChecker::varying(max, 3);
            let mut out = Vec::new();
            let span = (max - MIN_SIZE + 1) as u64;
            for seq in 0..span {
                for p in [1u16, 0, 2] {
                    let m = writers[usize::from(p)].varying_message(seq, &mut out);
                    assert_eq!(checker.check(m), Some(Arrival { producer: p, seq }), "max {max}, {p}/{seq}");
                }
            }
            assert_eq!(with_sent(checker.total(), 3 * span).problems(), "", "max {max}");
        }
    }

    #[test]
    fn a_producers_messages_carry_its_tag_at_head_stamps_and_tail() {
        let mut w = ProducerWriter::new(SIZE, 5);
        assert_eq!(w.producer(), 5);
        let seq = SEQ_LIMIT - 1;
        let word = tag(5, seq).to_le_bytes();
        let m = w.message(seq).to_vec();
        assert_eq!(&m[..MIN_SIZE], word);
        assert_eq!(&m[64..72], word);
        assert_eq!(&m[SIZE - MIN_SIZE..], word);
        let mut dst = vec![0; SIZE];
        w.write_into(&mut dst, seq);
        assert_eq!(dst, m, "composed in place, the same bytes");
        assert_eq!((producer_of(tag(5, seq)), seq_of(tag(5, seq))), (5, seq));
    }

    /// A mailbox of one producer counts a single producer's stream
    /// ([`MessageWriter::new`]) as [`MessageChecker`] does.
    #[test]
    fn a_mailbox_of_one_counts_a_single_stream_as_the_single_checker_does() {
        let mut w = MessageWriter::new(SIZE);
        let (mut mailbox, mut single) = (MailboxChecker::new(SIZE, 1), MessageChecker::new(SIZE));
        for seq in [0, 2, 3, 1, 3, 7] {
            let m = w.message(seq);
            assert_eq!(mailbox.check(m).map(|a| a.seq), single.check(m));
        }
        assert_eq!(mailbox.per_producer(), [single.counts()]);
        assert_eq!(mailbox.total(), single.counts());
    }

    #[test]
    #[should_panic(expected = "1 to 65536 producers")]
    fn a_mailbox_of_no_producers_is_refused() {
        MailboxChecker::new(SIZE, 0);
    }
}
