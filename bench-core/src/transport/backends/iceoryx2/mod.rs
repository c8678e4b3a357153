//! `iceoryx2`: iceoryx2's publish-subscribe behind the transport contract.

mod unavailable;
pub(crate) use unavailable::BACKEND;
