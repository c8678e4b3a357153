//! The bytes of every message a scenario moves, and the consumer-side check
//! that each arrived once, in order, intact.
//!
//! A message of `size` bytes (at least [`MIN_SIZE`]) is its 64-bit
//! sequence number (little-endian) at the start, the same number again in
//! its last 8 bytes and at every [`STAMP_EVERY`]th byte between them, and
//! a fixed filler around those. The consumer compares the whole message:
//! the head says which message it is (so a gap is a loss, a repeat a
//! duplicate, a late one a reordering), the tail catches a message torn
//! between two sends, the stamps catch a middle that came from another
//! message (any foreign stretch that holds a whole stamp), and the filler
//! catches any other corrupted byte. The producer writes only the numbers
//! per message over a filler prepared once (one more 8-byte store per 64
//! bytes, none for messages of up to 72 bytes), so producing costs little
//! the transport would not pay anyway; checking costs one pass over the
//! message. Messages too short for a stamp take exactly the path they took
//! before stamps existed (one `memcmp`); longer ones compare their body
//! word by word, filler or stamp, in an out-of-line function, so the short
//! messages' hot loop is not reshaped by it.
//!
//! A measured stream is of one size. A stream of **varying lengths**, from
//! [`MIN_SIZE`] to a largest size, is for tests of framing (the
//! conformance suite): message `seq` is [`varying_len`] bytes long, composed
//! by [`MessageWriter::varying_message`] in the same format, and
//! [`MessageChecker::varying`] checks each message at the length its
//! sequence number says, so a truncated or padded message is corrupted
//! even where it ends on a stamp.
//!
//! Where many producers send to one mailbox, the 64-bit word at the head,
//! stamps and tail is a **tag**: the producer's index in its top 16 bits,
//! the sequence number in its low 48 ([`tag`], `producer << 48 | seq`),
//! written by [`ProducerWriter`]. Producer 0's tag is its
//! sequence number, so its messages are byte for byte those of a single
//! producer's stream ([`MessageWriter::new`], whose sequence numbers may
//! use all 64 bits); a tagged stream numbers at most [`SEQ_LIMIT`] (2^48)
//! messages per producer, beyond which the number would run into the
//! producer's bits. The receiver of a mailbox checks each producer's
//! stream on its own (`super::mailbox`), each with a checker of this
//! module set to expect that producer's tags: its `next` starts at the
//! producer's tag for message 0, so an intact message takes the same path,
//! with the same loads and branches, whatever its producer.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// Smallest message: the sequence number alone.
pub const MIN_SIZE: usize = 8;

/// The sequence number is repeated at every multiple of this many bytes
/// inside a message's body: one per cache line.
pub const STAMP_EVERY: usize = 64;

/// Bits of a tag that carry the sequence number: the low 48. The
/// producer's index takes the 16 above them.
pub const SEQ_BITS: u32 = 48;

/// How many messages one producer of a tagged stream can number: 2^48
/// (at a billion messages a second, over three days of sending).
pub const SEQ_LIMIT: u64 = 1 << SEQ_BITS;

/// How many producers a tag can name: 2^16, indices `0..=u16::MAX`.
pub const PRODUCERS_MAX: usize = 1 << (64 - SEQ_BITS);

/// The tag of message `seq` from producer `producer`: `producer << 48 |
/// seq`, with `seq`'s bits from the 48th up dropped (a tagged stream's
/// numbers stay below [`SEQ_LIMIT`]). Producer 0's tag is `seq` itself.
#[inline]
pub fn tag(producer: u16, seq: u64) -> u64 {
    tag_base(producer) | (seq & (SEQ_LIMIT - 1))
}

/// The producer index a tag names (its top 16 bits).
#[inline]
pub fn producer_of(tag: u64) -> u16 {
    (tag >> SEQ_BITS) as u16
}

/// The sequence number a tag carries (its low 48 bits).
#[inline]
pub fn seq_of(tag: u64) -> u64 {
    tag & (SEQ_LIMIT - 1)
}

/// The tag of producer `producer`'s message 0: what is added to each of
/// its sequence numbers.
#[inline]
fn tag_base(producer: u16) -> u64 {
    u64::from(producer) << SEQ_BITS
}

/// Where the stamps of a message whose body (after the head) ends at
/// `body_end` go: every multiple of [`STAMP_EVERY`] with room for 8 bytes
/// before the body ends.
fn stamps(body_end: usize) -> impl Iterator<Item = usize> {
    (STAMP_EVERY..body_end.saturating_sub(MIN_SIZE - 1)).step_by(STAMP_EVERY)
}

/// Whether a message of `size` bytes carries any stamp.
fn is_stamped(size: usize) -> bool {
    size >= 2 * MIN_SIZE && stamps(size - MIN_SIZE).next().is_some()
}

/// The length of message `seq` in a stream of varying lengths up to `max`
/// bytes (`max >= MIN_SIZE`): message 0 is exactly `max` bytes, and every
/// length from [`MIN_SIZE`] to `max` comes once in each run of
/// `max - MIN_SIZE + 1` messages, in a scattered order (a prime stride
/// larger than any span), so neighbours differ in length.
pub fn varying_len(seq: u64, max: usize) -> usize {
    /// 2^31 - 1, a prime: coprime with every span below it.
    const STRIDE: u64 = 0x7fff_ffff;
    let span = (max - MIN_SIZE + 1) as u64;
    max - (seq.wrapping_mul(STRIDE) % span) as usize
}

/// Most sequence numbers remembered as missing (beyond this, a late
/// arrival of a long-lost message counts as a duplicate, not a reordering).
const MISSING_REMEMBERED: usize = 1 << 16;

/// Did every message arrive once, in order, intact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Integrity {
    /// Messages the producer sent.
    pub sent: u64,
    /// Messages the consumer received.
    pub received: u64,
    /// Sequence numbers never seen.
    pub lost: u64,
    /// Sequence numbers seen more than once.
    pub duplicated: u64,
    /// Messages that arrived after a later one.
    pub reordered: u64,
    /// Messages whose bytes did not match what was sent.
    pub corrupted: u64,
}

impl Integrity {
    /// True when nothing was lost, duplicated, reordered or corrupted and
    /// everything sent was received.
    pub fn is_clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.reordered == 0
            && self.corrupted == 0
            && self.sent == self.received
    }

    /// Add another run's counts.
    pub fn add(&mut self, other: &Integrity) {
        self.sent += other.sent;
        self.received += other.received;
        self.lost += other.lost;
        self.duplicated += other.duplicated;
        self.reordered += other.reordered;
        self.corrupted += other.corrupted;
    }

    /// What went wrong, in words; empty when clean.
    pub fn problems(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.lost, "lost"),
            (self.duplicated, "duplicated"),
            (self.reordered, "reordered"),
            (self.corrupted, "corrupted"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if self.sent != self.received {
            parts.push(format!("{} sent but {} received", self.sent, self.received));
        }
        parts.join(", ")
    }
}

/// The filler byte at offset `i` of every message.
fn filler(i: usize) -> u8 {
    (i as u8).wrapping_mul(151).wrapping_add(7)
}

/// Writes message after message into one reusable buffer.
///
/// Its numbers are the words it writes at the head, stamps and tail: a
/// single producer's sequence numbers, or a mailbox producer's [`tag`]s
/// (see [`ProducerWriter`]). The writer itself adds nothing to them, so the
/// measured single-producer path is one store of the number per place.
#[derive(Debug, Clone)]
pub struct MessageWriter {
    buf: Vec<u8>,
    stamped: bool,
}

impl MessageWriter {
    /// Messages of `size` bytes (`size >= MIN_SIZE`).
    ///
    /// # Panics
    /// If `size < MIN_SIZE` (callers validate sizes at the command line).
    pub fn new(size: usize) -> Self {
        assert!(size >= MIN_SIZE, "messages carry a 64-bit sequence number");
        Self { buf: (0..size).map(filler).collect(), stamped: is_stamped(size) }
    }

    /// Bytes per message.
    #[inline]
    pub fn size(&self) -> usize {
        self.buf.len()
    }

    /// Write message `seq` into `dst`, which must be [`size`](Self::size)
    /// bytes long: for a transport that lets the message be composed where
    /// it is sent from (the shared-memory ring's slot), so it is stored
    /// once, not written here and copied there.
    ///
    /// # Panics
    /// If `dst.len() != self.size()`.
    // Always inlined, and kept small (the body and the length fault out of
    // line): it is the producer's whole per-message work for the ring, and
    // with the stamps' branch inline the compiler stopped inlining the
    // ring's burst closure around it (half the 8-byte stream's rate).
    #[inline(always)]
    pub fn write_into(&self, dst: &mut [u8], seq: u64) {
        let n = self.buf.len();
        if dst.len() != n {
            wrong_length(dst.len(), n);
        }
        let bytes = seq.to_le_bytes();
        dst[..MIN_SIZE].copy_from_slice(&bytes);
        if n > MIN_SIZE {
            self.write_body(dst, &bytes);
        }
    }

    /// Filler, stamps and tail of a message longer than its head.
    #[inline]
    fn write_body(&self, dst: &mut [u8], bytes: &[u8; MIN_SIZE]) {
        let n = self.buf.len();
        // The tail repeats the number only where it does not overlap the head.
        let body_end = if n >= 2 * MIN_SIZE { n - MIN_SIZE } else { n };
        dst[MIN_SIZE..body_end].copy_from_slice(&self.buf[MIN_SIZE..body_end]);
        if self.stamped {
            write_stamps(dst, body_end, bytes);
        }
        if body_end < n {
            dst[body_end..].copy_from_slice(bytes);
        }
    }

    /// The bytes of message `seq`.
    #[inline]
    pub fn message(&mut self, seq: u64) -> &[u8] {
        number(&mut self.buf, self.stamped, seq);
        &self.buf
    }

    /// Write message `seq` into `dst`, memory not yet written (a sample
    /// loaned from iceoryx2), which must be [`size`](Self::size) bytes
    /// long; it returned as the message's bytes. One pass of filler and
    /// the numbers over it, as [`write_into`](Self::write_into) costs.
    ///
    /// # Panics
    /// If `dst.len() != self.size()`.
    #[inline]
    pub fn write_into_uninit<'a>(&self, dst: &'a mut [std::mem::MaybeUninit<u8>], seq: u64) -> &'a mut [u8] {
        let n = self.buf.len();
        if dst.len() != n {
            wrong_length(dst.len(), n);
        }
        // SAFETY: `dst` and the filler are `n` bytes each (checked above)
        // and cannot overlap: one is borrowed mutably, the other shared.
        unsafe { std::ptr::copy_nonoverlapping(self.buf.as_ptr(), dst.as_mut_ptr().cast::<u8>(), n) };
        // SAFETY: all `n` bytes of `dst` were written just above.
        let dst = unsafe { &mut *(std::ptr::from_mut::<[std::mem::MaybeUninit<u8>]>(dst) as *mut [u8]) };
        number(dst, self.stamped, seq);
        dst
    }
}

impl MessageWriter {
    /// Message `seq` of a stream of varying lengths up to [`size`](Self::size)
    /// bytes ([`varying_len`]), composed in `out`. Its length follows the
    /// sequence number in the low 48 bits ([`seq_of`]), not a mailbox
    /// producer's bits above them, so every producer's stream takes the
    /// same lengths in the same order (a single stream's numbers stay far
    /// below 2^48 in the tests that use this). Not a measured path: it
    /// recomputes the filler each time.
    pub fn varying_message<'a>(&self, seq: u64, out: &'a mut Vec<u8>) -> &'a [u8] {
        let n = varying_len(seq_of(seq), self.size());
        out.clear();
        out.extend((0..n).map(filler));
        let bytes = seq.to_le_bytes();
        out[..MIN_SIZE].copy_from_slice(&bytes);
        if n >= 2 * MIN_SIZE {
            write_stamps(out, n - MIN_SIZE, &bytes);
            out[n - MIN_SIZE..].copy_from_slice(&bytes);
        }
        out
    }
}

/// A mailbox producer's writer: a [`MessageWriter`] fed that producer's
/// [`tag`]s instead of bare sequence numbers. Producer 0's tags are its
/// sequence numbers, so its messages are byte for byte a single
/// producer's. Sequence numbers stay below [`SEQ_LIMIT`] (2^48); a larger
/// one would spill into the producer's bits (not checked per message).
#[derive(Debug, Clone)]
pub struct ProducerWriter {
    writer: MessageWriter,
    producer: u16,
}

impl ProducerWriter {
    /// Messages of `size` bytes from producer `producer`.
    ///
    /// # Panics
    /// If `size < MIN_SIZE`.
    pub fn new(size: usize, producer: u16) -> Self {
        Self { writer: MessageWriter::new(size), producer }
    }

    /// The producer whose tags this writer writes.
    pub fn producer(&self) -> u16 {
        self.producer
    }

    /// The writer underneath, to be fed [`tag`]`(self.producer(), seq)`
    /// directly (an end that composes in place, as the ring's burst does).
    pub fn writer(&mut self) -> &mut MessageWriter {
        &mut self.writer
    }

    /// Message `seq` of this producer.
    #[inline]
    pub fn message(&mut self, seq: u64) -> &[u8] {
        self.writer.message(tag(self.producer, seq))
    }

    /// Message `seq` of this producer, written into `dst`.
    #[inline]
    pub fn write_into(&self, dst: &mut [u8], seq: u64) {
        self.writer.write_into(dst, tag(self.producer, seq));
    }

    /// Message `seq` of this producer's stream of varying lengths
    /// ([`MessageWriter::varying_message`]).
    pub fn varying_message<'a>(&self, seq: u64, out: &'a mut Vec<u8>) -> &'a [u8] {
        self.writer.varying_message(tag(self.producer, seq), out)
    }
}

/// Write `seq` at the head, the stamps and the tail of `buf`, which holds
/// a message's filler (or an earlier message: its numbers are overwritten).
#[inline]
fn number(buf: &mut [u8], stamped: bool, seq: u64) {
    let n = buf.len();
    let bytes = seq.to_le_bytes();
    buf[..MIN_SIZE].copy_from_slice(&bytes);
    if n >= 2 * MIN_SIZE {
        if stamped {
            write_stamps(buf, n - MIN_SIZE, &bytes);
        }
        buf[n - MIN_SIZE..].copy_from_slice(&bytes);
    }
}

/// A message composed into a buffer of the wrong length: a caller's bug.
#[cold]
#[inline(never)]
fn wrong_length(got: usize, n: usize) -> ! {
    panic!("a message is {n} bytes, not {got}");
}

/// The stamps of a message whose body ends at `body_end`, into `dst`.
#[inline(never)]
fn write_stamps(dst: &mut [u8], body_end: usize, bytes: &[u8; MIN_SIZE]) {
    for at in stamps(body_end) {
        dst[at..at + MIN_SIZE].copy_from_slice(bytes);
    }
}

/// Checks arriving messages against what was sent, counting every fault.
#[derive(Debug, Clone)]
pub struct MessageChecker {
    expected: Vec<u8>,
    /// Where the filler ends: the tail's start, or the end when the
    /// message is too short to repeat the number.
    body_end: usize,
    /// Whether messages carry stamps.
    stamped: bool,
    /// For messages with stamps: the body's whole 8-byte words as
    /// expected, with 0 where a stamp goes...
    body_words: Vec<u64>,
    /// ...and all ones there, 0 elsewhere: word `i` of the body must be
    /// `body_words[i] | (seq & stamp_words[i])`.
    stamp_words: Vec<u64>,
    /// Messages are of varying lengths ([`varying_len`]) up to `expected`'s.
    varying: bool,
    /// The tag of the expected producer's message 0 ([`tag_base`]); 0 for
    /// a single producer's stream. `next` starts here, so the path of an
    /// intact message is the same for every producer.
    tag_base: u64,
    /// The word expected at the next message's head: `tag_base` plus the
    /// next sequence number.
    next: u64,
    missing: BTreeSet<u64>,
    /// Every count but `received`, which [`counts`](Self::counts) derives,
    /// so the path of an intact message touches `next` alone.
    counts: Integrity,
}

impl MessageChecker {
    /// For messages of `size` bytes.
    pub fn new(size: usize) -> Self {
        let body_end = if size >= 2 * MIN_SIZE { size - MIN_SIZE } else { size };
        let expected = MessageWriter::new(size).buf;
        let stamped = is_stamped(size);
        let (mut body_words, mut stamp_words) = (Vec::new(), Vec::new());
        if stamped {
            let stamp_at: BTreeSet<usize> = stamps(body_end).collect();
            for (i, word) in expected[MIN_SIZE..body_end].chunks_exact(MIN_SIZE).enumerate() {
                let stamp = stamp_at.contains(&(MIN_SIZE + i * MIN_SIZE));
                body_words.push(if stamp { 0 } else { u64::from_le_bytes(word.try_into().expect("8 bytes")) });
                stamp_words.push(if stamp { u64::MAX } else { 0 });
            }
        }
        Self {
            expected,
            body_end,
            stamped,
            body_words,
            stamp_words,
            varying: false,
            tag_base: 0,
            next: 0,
            missing: BTreeSet::new(),
            counts: Integrity::default(),
        }
    }

    /// For a stream of varying lengths up to `max` bytes
    /// ([`MessageWriter::varying_message`]): each message must be as long
    /// as [`varying_len`] says for its sequence number.
    pub fn varying(max: usize) -> Self {
        Self { varying: true, ..Self::new(max) }
    }

    /// This checker, set to expect producer `producer`'s stream
    /// ([`ProducerWriter`]) from its message 0: what the
    /// mailbox's checker keeps for each producer. Its [`check`](Self::check)
    /// then answers with the message's tag, not its sequence number; its
    /// [`next`](Self::next) and [`counts`](Self::counts) are in sequence
    /// numbers. A message of another producer reaching it would count as a
    /// jump in sequence: the mailbox routes by producer first.
    pub(super) fn expecting_producer(self, producer: u16) -> Self {
        let base = tag_base(producer);
        Self { tag_base: base, next: base, ..self }
    }

    /// Check one arrived message; its sequence number if it was intact (its
    /// tag, for the checker a mailbox keeps for a producer other than 0).
    #[inline]
    pub fn check(&mut self, msg: &[u8]) -> Option<u64> {
        // The path every message of a healthy run takes: the next number, intact.
        if let Some(head) = msg.first_chunk::<MIN_SIZE>() {
            let seq = u64::from_le_bytes(*head);
            if seq == self.next && self.intact(msg, seq) {
                self.next += 1;
                return Some(seq);
            }
        }
        self.check_fault(msg)
    }

    /// Same length as sent; tail, stamps and filler as sent. A message
    /// without a body (up to 16 bytes) never reaches the stamps' branch.
    #[inline]
    fn intact(&self, msg: &[u8], seq: u64) -> bool {
        self.intact_at(msg, seq, self.expected.len(), self.body_end)
    }

    /// Message `seq` is `n` bytes long, its body ends at `body_end` (where
    /// its tail starts, or at `n` when it is too short to repeat the number).
    #[inline]
    fn intact_at(&self, msg: &[u8], seq: u64, n: usize, body_end: usize) -> bool {
        // The tail repeats the number only where it does not overlap the head.
        msg.len() == n
            && (body_end == n || msg[body_end..] == seq.to_le_bytes())
            && (body_end <= MIN_SIZE
                || if self.stamped {
                    self.stamped_body_intact(msg, seq, body_end)
                } else {
                    msg[MIN_SIZE..body_end] == self.expected[MIN_SIZE..body_end]
                })
    }

    /// The body, up to `body_end`, of a message with stamps (at most
    /// `expected`'s length): word by word, filler or stamp, then the bytes
    /// after the last whole word. A shorter message's whole words are a
    /// prefix of the longest one's, with stamps at the same places.
    #[inline(never)]
    fn stamped_body_intact(&self, msg: &[u8], seq: u64, body_end: usize) -> bool {
        let body = &msg[MIN_SIZE..body_end];
        let words = body.chunks_exact(MIN_SIZE);
        let rest = words.remainder();
        let mut differ = 0u64;
        for ((word, filler), stamp) in words.zip(&self.body_words).zip(&self.stamp_words) {
            differ |= u64::from_le_bytes(word.try_into().expect("8 bytes")) ^ (filler | (seq & stamp));
        }
        differ == 0 && *rest == self.expected[body_end - rest.len()..body_end]
    }

    /// A message of a varying-length stream, at the length its sequence
    /// number says.
    fn intact_varying(&self, msg: &[u8], seq: u64) -> bool {
        // The length follows the sequence number, not the producer's bits.
        let n = varying_len(seq.wrapping_sub(self.tag_base), self.expected.len());
        self.intact_at(msg, seq, n, if n >= 2 * MIN_SIZE { n - MIN_SIZE } else { n })
    }

    /// Anything but the next intact message of the longest length: count
    /// what it is. Every message of a varying-length stream but the longest
    /// comes here too (a test's stream, not a measured one).
    #[cold]
    fn check_fault(&mut self, msg: &[u8]) -> Option<u64> {
        let Some(head) = msg.first_chunk::<MIN_SIZE>() else {
            self.counts.corrupted += 1;
            return None;
        };
        let seq = u64::from_le_bytes(*head);
        let intact = if self.varying { self.intact_varying(msg, seq) } else { self.intact(msg, seq) };
        if !intact {
            self.counts.corrupted += 1;
            return None;
        }
        if seq == self.next {
            // Only a varying-length stream's shorter messages get here in order.
            self.next += 1;
        } else if seq > self.next {
            // A gap: those messages are lost unless they turn up later.
            for missing in self.next..seq {
                if self.missing.len() >= MISSING_REMEMBERED {
                    break;
                }
                self.missing.insert(missing);
            }
            self.counts.lost += seq - self.next;
            self.next = seq + 1;
        } else if self.missing.remove(&seq) {
            self.counts.lost -= 1;
            self.counts.reordered += 1;
        } else {
            self.counts.duplicated += 1;
        }
        Some(seq)
    }

    /// Messages expected next (one past the highest sequence number seen).
    pub fn next(&self) -> u64 {
        self.next - self.tag_base
    }

    /// The counts so far; `sent` is filled in by the caller, who learns it
    /// from the producer.
    pub fn counts(&self) -> Integrity {
        // Each message arrived either intact in order (`next` moved by one),
        // across a gap (`next` moved past the lost ones, counted in `lost`),
        // as a lost one turning up late (`lost` went down by one), or as a
        // duplicate or a corrupted message: so this is every arrival.
        let received = self.next() - self.counts.lost + self.counts.duplicated + self.counts.corrupted;
        Integrity { received, ..self.counts }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deliver(size: usize, seqs: &[u64]) -> Integrity {
        let mut w = MessageWriter::new(size);
        let mut c = MessageChecker::new(size);
        for &s in seqs {
            c.check(w.message(s));
        }
        c.counts()
    }

    #[test]
    fn in_order_is_clean() {
        for size in [8, 9, 15, 16, 64, 65536] {
            let counts = deliver(size, &[0, 1, 2, 3]);
            assert_eq!(Integrity { sent: 4, ..counts }.problems(), "", "size {size}");
        }
    }

    #[test]
    fn gaps_repeats_and_late_arrivals_are_counted() {
        let c = deliver(64, &[0, 2, 3, 1, 3, 7]);
        assert_eq!((c.lost, c.reordered, c.duplicated, c.received), (3, 1, 1, 6));
    }

    /// A message whose head and tail are its own but whose middle came from
    /// another message (a torn copy, a slot reused too early) is corrupt,
    /// wherever the foreign stretch lies if it holds a whole stamp, for
    /// messages composed in place and for ones from a buffer alike.
    #[test]
    fn a_middle_from_another_message_is_corruption() {
        for size in [80, 200, 4096, 65536] {
            let w = MessageWriter::new(size);
            let (mut mine, mut other) = (vec![0u8; size], vec![0u8; size]);
            w.write_into(&mut mine, 5);
            w.write_into(&mut other, 9);
            for (from, to) in [(64, 72), (60, size - 8), (STAMP_EVERY - 3, STAMP_EVERY + 9)] {
                let mut spliced = mine.clone();
                spliced[from..to].copy_from_slice(&other[from..to]);
                let mut c = MessageChecker::new(size);
                c.next = 5;
                assert_eq!(c.check(&spliced), None, "size {size}, bytes {from}..{to} of message 9");
                assert_eq!(c.counts().corrupted, 1);
            }
            // Intact, it passes; and both ways of composing give the same bytes.
            let mut c = MessageChecker::new(size);
            c.next = 5;
            assert_eq!(c.check(&mine), Some(5), "size {size}");
            assert_eq!(MessageWriter::new(size).message(5), &mine[..], "size {size}");
        }
        // Up to 72 bytes there is no room for a stamp: the path is unchanged.
        assert!(!is_stamped(72) && is_stamped(80));
    }

    #[test]
    fn any_changed_byte_is_corruption() {
        for size in [8, 16, 17, 64, 80, 4096] {
            let mut w = MessageWriter::new(size);
            for at in 0..size {
                let mut c = MessageChecker::new(size);
                let mut m = w.message(0).to_vec();
                m[at] ^= 0x20;
                c.check(&m);
                let counts = c.counts();
                assert!(counts.corrupted + counts.lost + counts.duplicated > 0, "size {size}, byte {at}");
            }
            let mut c = MessageChecker::new(size);
            c.check(&w.message(0)[..size - 1]);
            assert_eq!(c.counts().corrupted, 1);
        }
    }

    #[test]
    fn written_in_place_is_the_same_message() {
        for size in [8, 9, 15, 16, 17, 64, 79, 80, 4096] {
            let mut w = MessageWriter::new(size);
            let mut dst = vec![0xee; size];
            for seq in [0, 1, 0x0102_0304_0506_0708, u64::MAX] {
                w.write_into(&mut dst, seq);
                let mut loaned = vec![std::mem::MaybeUninit::new(0xee); size];
                let composed = w.write_into_uninit(&mut loaned, seq).to_vec();
                assert_eq!(dst, w.message(seq), "size {size}, seq {seq}");
                assert_eq!(composed, dst, "in a loan: size {size}, seq {seq}");
            }
        }
    }

    #[test]
    fn a_varying_stream_takes_every_length_and_checks_clean() {
        for max in [8, 9, 16, 17, 64, 80, 200, 4096] {
            let w = MessageWriter::new(max);
            let mut c = MessageChecker::varying(max);
            let span = (max - MIN_SIZE + 1) as u64;
            let mut lengths = BTreeSet::new();
            let mut out = Vec::new();
            assert_eq!(varying_len(0, max), max, "message 0 is the longest");
            for seq in 0..2 * span {
                let m = w.varying_message(seq, &mut out);
                lengths.insert(m.len());
                assert_eq!(c.check(m), Some(seq), "max {max}, message {seq} of {} bytes", m.len());
            }
            assert_eq!(lengths, (MIN_SIZE..=max).collect(), "max {max}: every length once a span");
            assert_eq!(Integrity { sent: 2 * span, ..c.counts() }.problems(), "", "max {max}");
        }
    }

    #[test]
    fn a_varying_stream_counts_gaps_repeats_and_late_arrivals() {
        let w = MessageWriter::new(200);
        let mut c = MessageChecker::varying(200);
        let mut out = Vec::new();
        for seq in [0, 2, 3, 1, 3, 7] {
            c.check(w.varying_message(seq, &mut out));
        }
        let counts = c.counts();
        assert_eq!((counts.lost, counts.reordered, counts.duplicated, counts.received), (3, 1, 1, 6));
    }

    /// Cut short, even to a length that ends on a stamp (whose last 8 bytes
    /// are the number, like a tail), or padded with a longer message's
    /// bytes, a message of a varying stream is corrupted.
    #[test]
    fn a_varying_message_cut_or_padded_is_corruption() {
        let max = 4096;
        let w = MessageWriter::new(max);
        let (mut out, mut longest) = (Vec::new(), Vec::new());
        let seq = (1..).find(|&s| varying_len(s, max) > 200).unwrap();
        let m = w.varying_message(seq, &mut out).to_vec();
        w.varying_message(0, &mut longest);
        for cut in [MIN_SIZE, 16, 72, 136, m.len() - 1] {
            let mut c = MessageChecker::varying(max);
            c.next = seq;
            assert_eq!(c.check(&m[..cut]), None, "message {seq} cut to {cut} bytes");
            assert_eq!(c.counts().corrupted, 1);
        }
        let mut padded = m.clone();
        padded.extend_from_slice(&longest[m.len()..]);
        let mut c = MessageChecker::varying(max);
        c.next = seq;
        assert_eq!(c.check(&padded), None, "message {seq} padded to {max} bytes");
        let mut c = MessageChecker::varying(max);
        c.next = seq;
        assert_eq!(c.check(&m), Some(seq));
    }

    /// Producer 0 of a mailbox sends exactly the bytes of a single
    /// producer's stream, however they are composed.
    #[test]
    fn producer_zero_writes_a_single_producers_bytes() {
        for size in [8, 16, 64, 72, 200, 4096] {
            let (mut single, mut zero) = (MessageWriter::new(size), ProducerWriter::new(size, 0));
            let (mut a, mut b) = (vec![0u8; size], vec![0xeeu8; size]);
            let (mut va, mut vb) = (Vec::new(), Vec::new());
            for seq in [0, 1, 63, 0x0102_0304_0506, SEQ_LIMIT - 1] {
                assert_eq!(single.message(seq), zero.message(seq), "size {size}, seq {seq}");
                single.write_into(&mut a, seq);
                zero.write_into(&mut b, seq);
                assert_eq!(a, b, "size {size}, seq {seq}, in place");
                assert_eq!(single.varying_message(seq, &mut va), zero.varying_message(seq, &mut vb));
            }
        }
    }

    /// Another producer's stream differs only in its tag, and a checker
    /// expecting that producer counts it as a single producer's checker
    /// counts a single stream.
    #[test]
    fn a_producers_stream_checks_like_a_single_one() {
        let order = [0, 2, 3, 1, 3, 7];
        for size in [8, 16, 64, 72, 200, 4096] {
            let mut w = ProducerWriter::new(size, 7);
            let mut c = MessageChecker::new(size).expecting_producer(7);
            for &seq in &order {
                assert_eq!(c.check(w.message(seq)), Some(tag(7, seq)), "size {size}");
            }
            assert_eq!(c.counts(), deliver(size, &order), "size {size}");
            assert_eq!(c.next(), 8);
            assert_eq!(&w.message(9)[..MIN_SIZE], tag(7, 9).to_le_bytes());
            assert_ne!(w.message(9), MessageWriter::new(size).message(9));
        }
        assert_eq!(tag(7, 9), 7 << 48 | 9);
        assert_eq!((producer_of(tag(7, 9)), seq_of(tag(7, 9))), (7, 9));
        assert_eq!(tag(0, 9), 9);
    }

    #[test]
    fn a_message_torn_between_two_sends_is_caught() {
        let mut w = MessageWriter::new(32);
        let mut torn = w.message(5)[..16].to_vec();
        torn.extend_from_slice(&w.message(6)[16..]);
        let mut c = MessageChecker::new(32);
        assert_eq!(c.check(&torn), None);
    }
}
