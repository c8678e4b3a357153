//! Kernel parameters (`sysctl`s), read from `/proc/sys`: the one place
//! ringside reads them, for the limits the transports size themselves by
//! and name when they refuse, and for the record of the machine a run was
//! on ([`crate::environment`]).
//!
//! A [`Sysctl`] is named as `sysctl(8)` names it, with dots
//! (`net.core.wmem_max`), and displays as its file under `/proc/sys`
//! (`/proc/sys/net/core/wmem_max`): the form refusals name, so that whoever
//! reads one can `cat` the limit. Nothing is cached: a limit raised with
//! `sysctl -w` counts from the next read.

use std::fmt;

/// Where the kernel shows its parameters.
const ROOT: &str = "/proc/sys";

/// One kernel parameter, by its dotted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sysctl(&'static str);

impl Sysctl {
    /// The parameter `name`, dotted as `sysctl(8)` writes it (`fs.pipe-max-size`).
    pub const fn new(name: &'static str) -> Self {
        Self(name)
    }

    /// Its dotted name, as `sysctl -w NAME=VALUE` takes it.
    pub fn name(self) -> &'static str {
        self.0
    }

    /// Its file under `/proc/sys`.
    pub fn path(self) -> String {
        format!("{ROOT}/{}", self.0.replace('.', "/"))
    }

    /// Its value as text, without surrounding whitespace; `None` where it
    /// cannot be read (no such parameter here, or `/proc` not mounted).
    pub fn read_text(self) -> Option<String> {
        std::fs::read_to_string(self.path()).ok().map(|text| text.trim().to_owned())
    }

    /// Its value as a number; `None` where it cannot be read or is not one
    /// number (`net.ipv4.tcp_wmem` holds three).
    pub fn read(self) -> Option<u64> {
        self.read_text()?.parse().ok()
    }
}

/// Its file under `/proc/sys`, as refusals name it.
impl fmt::Display for Sysctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dotted_name_reads_its_file_under_proc_sys() {
        let pipe_max = Sysctl::new("fs.pipe-max-size");
        assert_eq!(pipe_max.path(), "/proc/sys/fs/pipe-max-size");
        assert_eq!(pipe_max.to_string(), "/proc/sys/fs/pipe-max-size");
        assert_eq!(pipe_max.name(), "fs.pipe-max-size");
        let text = std::fs::read_to_string("/proc/sys/fs/pipe-max-size").unwrap();
        assert_eq!(pipe_max.read(), Some(text.trim().parse().unwrap()));
    }

    #[test]
    fn several_numbers_are_text_not_a_number() {
        let tcp_wmem = Sysctl::new("net.ipv4.tcp_wmem");
        let text = tcp_wmem.read_text().expect("net.ipv4.tcp_wmem");
        assert_eq!(text.split_whitespace().count(), 3, "{text}");
        assert_eq!(tcp_wmem.read(), None);
        assert_eq!(Sysctl::new("no.such.parameter").read_text(), None);
    }
}
