//! The in-process round trip the backends' unit tests run where a case of
//! their own needs one (message sizes or wait strategies the conformance
//! suite, `tests/conformance.rs`, does not reach): numbered messages of
//! every length from 8 bytes to the channel's size, sent from one thread and
//! checked in another (once, in order, intact, then the clean end), and
//! every object the channel created gone once it drops; and the peer
//! process a test watches.

use crate::ring::Capacity;
use crate::transport::{Channel, ChannelSpec, OpenOptions, TransportKind};

/// The payload of message `seq`: its number, then bytes derived from
/// it, `len` bytes in all (at least 8).
fn fill(seq: u64, len: usize, out: &mut [u8]) {
    out[..8].copy_from_slice(&seq.to_le_bytes());
    for (i, b) in out[8..len].iter_mut().enumerate() {
        *b = (seq as usize).wrapping_mul(31).wrapping_add(i) as u8;
    }
}

/// The length of message `seq` on a channel of `size`-byte messages:
/// every length from 8 up to `size` comes round.
fn len_of(seq: u64, size: usize) -> usize {
    8 + (seq as usize) % (size - 7)
}

/// Send `count` numbered messages from one thread, receive them in
/// another, and check each arrived once, in order, intact, then
/// `Disconnected`.
pub(crate) fn round_trip(kind: TransportKind, capacity: Capacity, size: usize, count: u64) {
    round_trip_spec(&ChannelSpec::new(kind, capacity, size), count);
}

/// [`round_trip`] over a channel made to `spec` (a wait strategy, a timeout).
pub(crate) fn round_trip_spec(spec: &ChannelSpec, count: u64) {
    let (kind, capacity, size) = (spec.kind, spec.capacity, spec.message_size);
    assert!(size >= 8);
    let mut chan = Channel::create(spec).expect("create");
    let realised = chan.realised();
    eprintln!("{kind} {capacity} size {size}: {realised:?}");
    let opts = OpenOptions::default();
    let mut tx = chan.open_sender(&opts).expect("open sender");
    let mut rx = chan.open_receiver(&opts).expect("open receiver");
    let sender = std::thread::spawn(move || {
        let mut msg = vec![0u8; size];
        for seq in 0..count {
            let len = len_of(seq, size);
            fill(seq, len, &mut msg);
            tx.send(&msg[..len]).expect("send");
        }
        tx.finish().expect("finish")
    });
    let mut buf = vec![0u8; size];
    let mut want = vec![0u8; size];
    for seq in 0..count {
        let n = rx.recv(&mut buf).unwrap_or_else(|e| panic!("recv {seq}: {e}"));
        let len = len_of(seq, size);
        assert_eq!(n, len, "length of message {seq}");
        fill(seq, len, &mut want);
        assert_eq!(&buf[..n], &want[..len], "content of message {seq}");
    }
    match rx.recv(&mut buf) {
        Err(e) if e.is_disconnected() => {}
        other => panic!("after {count} messages: {other:?}"),
    }
    let stats = sender.join().expect("sender thread");
    assert_eq!(stats.sent, count);
    if capacity == Capacity::Rendezvous {
        assert_eq!(stats.acks, count);
    }
    let objects = chan.objects();
    drop((rx, chan));
    let left: Vec<String> = objects.iter().filter(|o| o.exists()).map(|o| o.to_string()).collect();
    assert!(left.is_empty(), "{kind} {capacity}: left behind {left:?}");
}

/// Message `seq` as the round trip sends it (`len_of` bytes), for tests that send by hand.
pub(crate) fn message(seq: u64, size: usize) -> Vec<u8> {
    let mut msg = vec![0u8; len_of(seq, size)];
    let len = msg.len();
    fill(seq, len, &mut msg);
    msg
}

/// A child process that exits after `secs` (as `sleep(1)` reads it), left
/// unreaped when it does: a peer to watch that dies as a zombie.
pub(crate) fn short_lived(secs: &str) -> std::process::Child {
    std::process::Command::new("sleep").arg(secs).spawn().expect("spawn sleep")
}
