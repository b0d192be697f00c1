//! Writing results to standard output without panicking.
//!
//! `println!` panics when stdout is closed (`srl config | head -1`, a reader that went away).
//! [`say`] writes through a locked handle instead: a closed pipe (`BrokenPipe`) ends the
//! output quietly, any other write error is returned as a [`CliError`].

use crate::error::CliError;
use std::io::Write;

/// Writes `text` to stdout (no newline added); a closed pipe is not an error.
pub fn say(text: &str) -> Result<(), CliError> {
    write_to(&mut std::io::stdout().lock(), text)
}

/// Writes `text` and a newline to stdout; a closed pipe is not an error.
pub fn sayln(text: &str) -> Result<(), CliError> {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    say(&line)
}

/// [`say`] on any writer (separate for testing).
fn write_to(w: &mut dyn Write, text: &str) -> Result<(), CliError> {
    match w.write_all(text.as_bytes()).and_then(|()| w.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::io("write", "standard output", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(std::io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::new(self.0, "nope"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_quiet_and_other_errors_are_reported() {
        assert!(write_to(&mut Failing(std::io::ErrorKind::BrokenPipe), "x").is_ok());
        let e = write_to(&mut Failing(std::io::ErrorKind::StorageFull), "x").unwrap_err();
        assert!(e.one_line().contains("standard output"), "{}", e.one_line());
        let mut buf = Vec::new();
        write_to(&mut buf, "hello").unwrap();
        assert_eq!(buf, b"hello");
    }
}
