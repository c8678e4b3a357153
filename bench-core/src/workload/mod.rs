//! What runs inside a measurement worker: the message format that proves
//! integrity ([`message`]) and its check for a mailbox many producers send
//! to ([`mailbox`]), which producer a sending side is ([`lane`]), CPU accounting
//! ([`usage`]), latency histograms ([`histogram`]), the three patterns
//! ([`patterns`]) over generic ends ([`endpoint`]), what each side
//! reports ([`SideReport`]), and the counts a supervisor watches for
//! progress ([`progress`]).

pub mod endpoint;
pub mod histogram;
pub mod lane;
pub mod mailbox;
pub mod message;
pub mod patterns;
pub mod progress;
mod report;
pub mod usage;

pub use lane::Lane;
pub use mailbox::{Arrival, MailboxChecker};
pub use message::{Integrity, MIN_SIZE, MessageChecker, MessageWriter, ProducerWriter};
pub use report::SideReport;
pub use usage::{SideCpu, Who};
pub use vocabulary::Pattern;
