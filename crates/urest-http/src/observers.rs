//! Ready-made [`Observer`]s that log each request and response through the
//! `log` or `defmt` facade, so request logging on a board is one line.
//!
//! Both log at `info` level, one line for the request (method, path, body)
//! and one for the response (status, body). Bytes from the network are shown
//! escaped, so a client cannot forge or split log lines.

#[cfg(any(feature = "log", feature = "defmt"))]
use crate::{Observer, RequestInfo};

/// Logs requests and responses through the [`log`](https://docs.rs/log)
/// facade at `info` level (feature `log`).
///
/// ```
/// use urest_http::{LogObserver, Observer, RequestInfo};
///
/// let request = RequestInfo { method: "GET", path: "/led0", version: 1, headers: &[], body: b"" };
/// // With no logger installed the lines go nowhere; on a board, install one
/// // (for instance over a serial port) and pass `&LogObserver` to
/// // `Server::with_observer`.
/// LogObserver.request(&request);
/// LogObserver.response(200, br#"{"led":1}"#);
/// ```
#[cfg(feature = "log")]
#[derive(Copy, Clone, Debug, Default)]
pub struct LogObserver;

#[cfg(feature = "log")]
impl Observer for LogObserver {
    fn request(&self, request: &RequestInfo<'_>) {
        log::info!(
            "{} {} HTTP/1.{} {}",
            Escaped(request.method.as_bytes()),
            Escaped(request.path.as_bytes()),
            request.version,
            Escaped(request.body)
        );
    }

    fn response(&self, status: u16, body: &[u8]) {
        log::info!("-> {} {}", status, Escaped(body));
    }
}

/// Logs requests and responses through [`defmt`](https://docs.rs/defmt) at
/// `info` level (feature `defmt`). Bodies are shown as byte strings
/// (`b"{\"led\":1}"`), which defmt escapes.
///
/// ```no_run
/// use urest_http::{DefmtObserver, Observer};
///
/// // Pass `&DefmtObserver` to `Server::with_observer`; the lines appear in
/// // the defmt log (RTT, for instance).
/// DefmtObserver.response(200, br#"{"led":1}"#);
/// ```
#[cfg(feature = "defmt")]
#[derive(Copy, Clone, Debug, Default)]
pub struct DefmtObserver;

#[cfg(feature = "defmt")]
impl Observer for DefmtObserver {
    fn request(&self, request: &RequestInfo<'_>) {
        defmt::info!(
            "{=[u8]:a} {=[u8]:a} HTTP/1.{=u8} {=[u8]:a}",
            request.method.as_bytes(),
            request.path.as_bytes(),
            request.version,
            request.body
        );
    }

    fn response(&self, status: u16, body: &[u8]) {
        defmt::info!("-> {=u16} {=[u8]:a}", status, body);
    }
}

/// Bytes shown as text on one line: valid UTF-8 as it is, control
/// characters and quotes escaped, invalid bytes as `\xNN`.
#[cfg(feature = "log")]
struct Escaped<'b>(&'b [u8]);

#[cfg(feature = "log")]
impl core::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        use core::fmt::Write as _;
        for chunk in self.0.utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() {
                    for escaped in c.escape_default() {
                        f.write_char(escaped)?;
                    }
                } else {
                    f.write_char(c)?;
                }
            }
            for byte in chunk.invalid() {
                write!(f, "\\x{byte:02x}")?;
            }
        }
        Ok(())
    }
}

#[cfg(all(test, feature = "log"))]
mod tests {
    extern crate std;
    use super::Escaped;
    use std::string::ToString;

    #[test]
    fn control_characters_and_invalid_bytes_cannot_break_a_line() {
        assert_eq!(Escaped(b"a\r\nb\tc").to_string(), "a\\r\\nb\\tc");
        assert_eq!(Escaped(br#"{"led": 1}"#).to_string(), r#"{"led": 1}"#);
        assert_eq!(Escaped(&[0x66, 0xff, 0x6f]).to_string(), "f\\xffo");
        assert_eq!(Escaped("é".as_bytes()).to_string(), "é");
    }
}
