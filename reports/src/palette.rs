//! One fixed colour per transport, the same in every chart: the ring
//! family in blues, eventfd, the mailboxes and crossbeam in greens,
//! iceoryx2 in black (the framework it is all measured against), the kernel transports
//! in warm and neutral hues. Also the colours of
//! the machine-state timeline (trials used and set aside, the reference
//! state and the others) and of the wait strategies (spinning hot,
//! yielding amber, blocking cool).

use plotters::style::RGBColor;
use vocabulary::{MailboxDesign, TransportKind, Variant, WaitStrategy};

/// The colour of a transport's bars, lines and points.
pub fn colour(transport: TransportKind) -> RGBColor {
    match transport {
        TransportKind::ShmRing(Variant::Ring) => RGBColor(0x1f, 0x4e, 0xb4),
        TransportKind::ShmRing(Variant::Padded) => RGBColor(0x4a, 0x90, 0xe2),
        TransportKind::ShmRing(Variant::Textbook) => RGBColor(0x8e, 0xc4, 0xf0),
        TransportKind::Pipe => RGBColor(0xd6, 0x27, 0x28),
        TransportKind::Fifo => RGBColor(0xff, 0x7f, 0x0e),
        TransportKind::UnixStream => RGBColor(0x94, 0x67, 0xbd),
        TransportKind::UnixDgram => RGBColor(0xc5, 0x8c, 0xd8),
        TransportKind::UnixSeqpacket => RGBColor(0x8c, 0x56, 0x4b),
        TransportKind::Tcp => RGBColor(0xe3, 0x77, 0xc2),
        TransportKind::PosixMq => RGBColor(0xbc, 0xbd, 0x22),
        TransportKind::SysvMq => RGBColor(0x7f, 0x6a, 0x00),
        TransportKind::EventfdShm => RGBColor(0x2c, 0xa0, 0x2c),
        TransportKind::ShmMailbox(MailboxDesign::LockFree) => RGBColor(0x0b, 0x6e, 0x4f),
        TransportKind::ShmMailbox(MailboxDesign::Mutex) => RGBColor(0x7b, 0xc8, 0x8f),
        TransportKind::Iceoryx2 => RGBColor(0x21, 0x21, 0x21),
        TransportKind::Crossbeam => RGBColor(0x17, 0xbe, 0xcf),
    }
}

/// The colour of a wait strategy's points, where one transport's
/// strategies are compared.
pub fn wait_colour(strategy: WaitStrategy) -> RGBColor {
    match strategy {
        WaitStrategy::Spin => RGBColor(0xc6, 0x28, 0x28),
        WaitStrategy::Yield => RGBColor(0xe0, 0x8e, 0x00),
        WaitStrategy::Block => RGBColor(0x00, 0x79, 0x8c),
    }
}

/// Colour of figures that belong to no transport (the physical floor).
pub const NEUTRAL: RGBColor = RGBColor(0x70, 0x70, 0x70);

/// A trial that makes the headline figures, on the machine timeline.
pub const USED: RGBColor = RGBColor(0x1b, 0x3a, 0x6b);

/// A trial set aside by the selection rule, on the machine timeline.
pub const SET_ASIDE: RGBColor = RGBColor(0xe0, 0x3c, 0x1f);

/// The band of the reference machine state (whose trials are used).
pub const REFERENCE_STATE: RGBColor = RGBColor(0xb9, 0xd7, 0xf2);

/// The band of any other machine state.
pub const OTHER_STATE: RGBColor = RGBColor(0xe2, 0xe2, 0xe2);

/// `#rrggbb` of a colour, for HTML swatches.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transport_has_its_own_colour() {
        let colours: Vec<String> = TransportKind::ALL.iter().map(|&k| hex(colour(k))).collect();
        for (i, c) in colours.iter().enumerate() {
            assert_ne!(*c, hex(NEUTRAL), "{} has the neutral colour", TransportKind::ALL[i]);
            assert_eq!(colours.iter().filter(|d| *d == c).count(), 1, "{c} used twice");
        }
    }
}
