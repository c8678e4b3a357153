//! Printing that never panics. `println!` panics when stdout is closed
//! (`harness list | head -1`) or full (`>/dev/full`); a run must then go
//! on, finish its work and remove what it created, just without printing.
//! The first failed write to a stream silences that stream for the rest
//! of the process. The results files, not the terminal, are the record.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once a write to stdout failed.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
/// Set once a write to stderr failed.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);

/// Write `args` to stdout, unless an earlier write failed; a failure now
/// silences stdout from here on.
pub fn out(args: std::fmt::Arguments<'_>) {
    write_to(&mut std::io::stdout().lock(), &STDOUT_GONE, args);
}

/// Write `args` to stderr, as [`out`] does to stdout.
pub fn err(args: std::fmt::Arguments<'_>) {
    write_to(&mut std::io::stderr().lock(), &STDERR_GONE, args);
}

fn write_to(stream: &mut impl Write, gone: &AtomicBool, args: std::fmt::Arguments<'_>) {
    // Relaxed, both: the flag only saves writes that would fail anyway.
    if gone.load(Ordering::Relaxed) {
        return;
    }
    if stream.write_fmt(args).and_then(|()| stream.flush()).is_err() {
        gone.store(true, Ordering::Relaxed);
    }
}

/// `println!` to stdout through [`out`].
macro_rules! say {
    () => { $crate::terminal::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::terminal::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` to stdout through [`out`].
macro_rules! say_part {
    ($($arg:tt)*) => { $crate::terminal::out(format_args!($($arg)*)) };
}

/// `eprintln!` to stderr through [`err`].
macro_rules! tell {
    () => { $crate::terminal::err(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::terminal::err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {say, say_part, tell};

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that fails every write, as a closed pipe or a full disk does.
    struct Broken(usize);

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            self.0 += 1;
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_silences_the_stream_without_panicking() {
        let gone = AtomicBool::new(false);
        let mut broken = Broken(0);
        write_to(&mut broken, &gone, format_args!("first {}", 1));
        assert!(gone.load(Ordering::Relaxed));
        let tried = broken.0;
        write_to(&mut broken, &gone, format_args!("second"));
        assert_eq!(broken.0, tried, "no write is tried once the stream is gone");

        let fine = AtomicBool::new(false);
        let mut buffer = Vec::new();
        write_to(&mut buffer, &fine, format_args!("{} {}\n", "a", 2));
        assert_eq!(buffer, b"a 2\n");
        assert!(!fine.load(Ordering::Relaxed));
    }
}
