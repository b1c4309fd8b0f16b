//! The host's log: one timestamped line per event on stdout, like the original MicroPython urest's
//! console, so a person can watch requests and ramp steps interleave.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::Duration;

use urest_http::{Observer, RequestInfo};

use crate::clock::HostClock;

/// Writes `[ seconds] message` lines to stdout, or nothing when quiet.
///
/// ```
/// use urest_host::{HostClock, Logger};
///
/// let logger = Logger::new(HostClock::new(), true);
/// logger.log(format_args!("not shown: the logger is quiet"));
/// assert!(logger.is_quiet());
/// ```
#[derive(Copy, Clone, Debug)]
pub struct Logger {
    clock: HostClock,
    quiet: bool,
}

impl Logger {
    /// A logger stamping lines with `clock`'s elapsed time; `quiet` drops
    /// every line.
    pub fn new(clock: HostClock, quiet: bool) -> Self {
        Logger { clock, quiet }
    }

    /// Whether lines are dropped.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// Write one line, stamped with the time since the host started.
    pub fn log(&self, message: fmt::Arguments<'_>) {
        if self.quiet {
            return;
        }
        let line = stamped(self.clock.elapsed(), message);
        // A closed stdout must not take the server down with it.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }
}

/// Logs each request and response the HTTP layer handles, in the original MicroPython urest's
/// words: `CLIENT URI :`, `CLIENT HEAD:`, `CLIENT BODY:`, then `SERVER:`
/// with the status and body sent back.
pub(crate) struct RequestLog {
    logger: Logger,
}

impl RequestLog {
    pub(crate) fn new(logger: Logger) -> Self {
        RequestLog { logger }
    }
}

impl Observer for RequestLog {
    fn request(&self, request: &RequestInfo<'_>) {
        let log = &self.logger;
        log.log(format_args!(
            "CLIENT URI : {} {} HTTP/1.{}",
            printable(request.method.as_bytes()),
            printable(request.path.as_bytes()),
            request.version
        ));
        let mut headers = String::new();
        for (index, header) in request.headers.iter().enumerate() {
            let separator = if index == 0 { "" } else { ", " };
            // Credentials never reach the log.
            let value = if is_secret(header.name) {
                REDACTED.to_owned()
            } else {
                printable(header.value)
            };
            let _ = write!(
                headers,
                "{separator}'{}': '{value}'",
                printable(header.name.as_bytes()),
            );
        }
        log.log(format_args!("CLIENT HEAD: {{{headers}}}"));
        if !request.body.is_empty() {
            log.log(format_args!("CLIENT BODY: {}", printable(request.body)));
        }
    }

    fn response(&self, status: u16, body: &[u8]) {
        self.logger
            .log(format_args!("SERVER: {status} {}", printable(body)));
    }
}

/// What the log shows instead of a credential.
const REDACTED: &str = "<redacted>";

/// Whether a header carries a credential: `Authorization` and
/// `Proxy-Authorization`.
fn is_secret(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("proxy-authorization")
}

/// `message` behind a right-aligned seconds stamp, as one line.
fn stamped(elapsed: Duration, message: fmt::Arguments<'_>) -> String {
    let mut line = String::new();
    let _ = writeln!(line, "[{:>8.3}] {message}", elapsed.as_secs_f64());
    line
}

/// `bytes` as text on one line: invalid UTF-8 is replaced and control
/// characters are escaped, so a client cannot forge or split log lines.
pub(crate) fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .flat_map(|c| {
            let escaped = c.is_control().then(|| c.escape_default());
            escaped
                .into_iter()
                .flatten()
                .chain((!c.is_control()).then_some(c))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_is_seconds_with_milliseconds() {
        let line = stamped(Duration::from_millis(12_345), format_args!("hello"));
        assert_eq!(line, "[  12.345] hello\n");
    }

    #[test]
    fn credentials_are_redacted_in_any_case() {
        for name in [
            "Authorization",
            "authorization",
            "AUTHORIZATION",
            "Proxy-Authorization",
        ] {
            assert!(is_secret(name), "{name}");
        }
        for name in ["Host", "X-Authorization", "Content-Type"] {
            assert!(!is_secret(name), "{name}");
        }
    }

    #[test]
    fn control_characters_cannot_break_a_line() {
        assert_eq!(printable(b"a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(printable(b"{\"desired\": 1}"), "{\"desired\": 1}");
        assert_eq!(printable(&[0x66, 0xff, 0x6f]), "f\u{fffd}o");
    }
}
